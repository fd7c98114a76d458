/*
 * fuzz_csv_proto.c - libFuzzer target: csv_decode (the CSV protocol frames
 * a coordinator or client reads from the network) on arbitrary bytes, and
 * the READDIR entries of whatever data field it accepts.
 *
 * Besides "no crash, no leak, no UB" it checks, and aborts when one breaks:
 *   - the format is canonical: an accepted frame re-encodes to the very
 *     same bytes;
 *   - a failed decode leaves *m zeroed (except for -CD_E_UNKNOWN_CMD,
 *     which keeps op, id and flags for the -ENOSYS reply);
 *   - csv_hdr_decode agrees with csv_decode about the header;
 *   - the entry decoder only moves forward and stays inside its data.
 */
#include "fuzz-check.h"
#include "csv-proto.h"
#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct csv_msg m;

static void
walk_dirents(const void *d, size_t len)
{
	struct csv_dirent e;
	size_t pos = 0, before;
	int rc;

	for (;;) {
		before = pos;
		rc = csv_dirent_next(d, len, &pos, &e);
		CHECK(rc == 1 || rc == 0 || rc == -CD_E_PROTO_MALFORMED);
		if (rc != 1)
			break;
		CHECK(pos > before && pos <= len);
		CHECK(e.name[0] != '\0' && !strchr(e.name, '/'));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t plen;
	size_t len;
	void *again;
	int rc, hrc;

	memset(&m, 0xa5, sizeof(m));
	rc = csv_decode(data, size, &m);
	hrc = csv_hdr_decode(data, size, &plen);
	if (rc == -CD_E_UNKNOWN_CMD) {
		CHECK(hrc == 0 && strcmp(csv_op_name(m.op), "unknown") == 0);
		return 0;
	}
	if (rc < 0) {
		CHECK(fuzz_all_zero(&m, sizeof(m)));
		CHECK(rc == -CD_E_PROTO_MALFORMED || rc == -CD_E_PROTO_VERSION ||
		      rc == -CD_E_PROTO_TOO_BIG);
		CHECK(hrc < 0 || rc == -CD_E_PROTO_MALFORMED);
		if (hrc < 0)
			CHECK(hrc == rc);
		return 0;
	}
	CHECK(hrc == 0 && plen == size - CSV_HDR_SIZE);
	again = csv_encode(&m, &len);
	CHECK(again);
	CHECK(len == size && memcmp(again, data, size) == 0);
	free(again);
	if (m.datalen)
		walk_dirents(m.data, m.datalen);
	return 0;
}
