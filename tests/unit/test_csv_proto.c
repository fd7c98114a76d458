/*
 * test_csv_proto.c - unit tests of the CSV protocol codec (lib/csv-proto.c).
 *
 * Frames are decoded from heap buffers of exactly their size so that ASan
 * sees any read past the end.
 */
#include "csv-proto.h"
#include "error.h"
#include "unit.h"
#include "unit-fuzz.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- round trips: every op, request and reply ---- */

static void
fill_all(struct csv_msg *m)
{
	static const char data[] = "some file data\0with a NUL";

	m->fh = 0x1122334455667788ull;
	m->off = 1ull << 40;
	m->len = 4096;
	m->owner = 0xdeadbeefcafef00dull;
	m->rdev = 0x0801;
	m->caps = CSV_CAP_REDIRECTED | CSV_CAP_LOCKS;
	m->client = 77;
	m->mode = 0100644;
	m->oflags = 02 | 0100;
	m->uid = 1000;
	m->gid = 1001;
	m->type = CSV_LK_WR;
	m->pid = 4242;
	m->atime = (struct csv_time){ -5, 999999999 };
	m->mtime = (struct csv_time){ 0, CSV_UTIME_NOW };
	m->attr = (struct csv_attr){ .ino = 12, .size = 1 << 20, .blocks = 2048,
		.mode = 0100600, .nlink = 1, .uid = 3, .gid = 4, .blksize = 4096,
		.atime = { 1, 2 }, .mtime = { 3, 4 }, .ctime = { 5, 6 } };
	m->statfs = (struct csv_statfs){ 100, 50, 40, 1000, 900, 7, 4096, 4096, 255, 0 };
	strcpy(m->path, "/vm/web/disk.qcow2");
	strcpy(m->path2, "/vm/web/disk.qcow2.new");
	strcpy(m->name, "user.qemu.lock");
	m->data = data;
	m->datalen = sizeof(data);
}

/* Decoded fields an op does not carry are zero; compare the ones it does. */
static void
roundtrip(unsigned op, uint32_t flags)
{
	struct csv_msg in = { 0 }, out;
	size_t len;
	unsigned char *buf, *exact;
	int rc;

	fill_all(&in);
	in.op = (uint16_t)op;
	in.flags = flags;
	in.id = flags & CSV_F_PUSH ? 0 : 99;
	buf = csv_encode(&in, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT(len >= CSV_HDR_SIZE);
	exact = malloc(len);
	memcpy(exact, buf, len);
	rc = csv_decode(exact, len, &out);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(out.op, op);
	CU_ASSERT_EQUAL(out.flags, flags);
	CU_ASSERT_EQUAL(out.id, in.id);
	/* each field either travelled intact or was left at zero */
#define SAME_OR_ZERO(f) CU_ASSERT(out.f == in.f || out.f == 0)
	SAME_OR_ZERO(fh);
	SAME_OR_ZERO(off);
	SAME_OR_ZERO(len);
	SAME_OR_ZERO(owner);
	SAME_OR_ZERO(mode);
	SAME_OR_ZERO(uid);
	SAME_OR_ZERO(pid);
	SAME_OR_ZERO(datalen);
#undef SAME_OR_ZERO
	CU_ASSERT(out.path[0] == '\0' || strcmp(out.path, in.path) == 0);
	CU_ASSERT(out.name[0] == '\0' || strcmp(out.name, in.name) == 0);
	if (out.datalen)
		CU_ASSERT(memcmp(out.data, in.data, in.datalen) == 0);
	if (out.attr.ino)
		CU_ASSERT(memcmp(&out.attr, &in.attr, sizeof(in.attr)) == 0);
	/* the format is canonical: decode + encode gives the same bytes */
	{
		size_t len2;
		unsigned char *again = csv_encode(&out, &len2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(again);
		CU_ASSERT_EQUAL(len2, len);
		CU_ASSERT(memcmp(again, buf, len) == 0);
		free(again);
	}
	free(exact);
	free(buf);
}

static void
test_roundtrip_all_ops(void)
{
	unsigned op;

	for (op = 1; op < CSV_OP_COUNT; op++) {
		CU_ASSERT_STRING_NOT_EQUAL(csv_op_name(op), "unknown");
		roundtrip(op, 0);
		roundtrip(op, CSV_F_RETRY);
		roundtrip(op, CSV_F_REPLY);
	}
	for (op = CSV_OP_DIRECT_FIRST; op < CSV_OP_DIRECT_END; op++) {
		CU_ASSERT_STRING_NOT_EQUAL(csv_op_name(op), "unknown");
		roundtrip(op, 0);
		roundtrip(op, CSV_F_RETRY);
		roundtrip(op, CSV_F_REPLY);
	}
	CU_ASSERT_STRING_EQUAL(csv_op_name(0), "unknown");
	CU_ASSERT_STRING_EQUAL(csv_op_name(CSV_OP_DIRECT_END), "unknown");
	CU_ASSERT_STRING_EQUAL(csv_op_name(CSV_OP_DIRECT_LAST), "unknown");
}

/* Specific payloads of the ops the client relies on most. */
static void
test_known_fields(void)
{
	struct csv_msg in = { 0 }, out;
	char big[CSV_PATH_MAX + 1];
	size_t len;
	void *buf;

	memset(big, 'a', CSV_PATH_MAX);
	big[0] = '/';
	big[CSV_PATH_MAX] = '\0';
	in.op = CSV_OP_RENAME;
	in.id = 1;
	memcpy(in.path, big, sizeof(big));
	strcpy(in.path2, "/b");
	in.oflags = 1;
	buf = csv_encode(&in, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(len, CSV_HDR_SIZE + 2 + CSV_PATH_MAX + 2 + 2 + 4);
	CU_ASSERT_EQUAL(csv_decode(buf, len, &out), 0);
	CU_ASSERT_STRING_EQUAL(out.path, big);
	CU_ASSERT_STRING_EQUAL(out.path2, "/b");
	CU_ASSERT_EQUAL(out.oflags, 1);
	free(buf);

	/* an error reply is the header alone, whatever the op */
	memset(&in, 0, sizeof(in));
	in.op = CSV_OP_CREATE;
	in.flags = CSV_F_REPLY;
	in.id = 5;
	in.status = -EEXIST;
	in.fh = 9;
	buf = csv_encode(&in, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(len, CSV_HDR_SIZE);
	CU_ASSERT_EQUAL(csv_decode(buf, len, &out), 0);
	CU_ASSERT_EQUAL(out.status, -EEXIST);
	CU_ASSERT_EQUAL(out.fh, 0);
	free(buf);

	/* a full-size write */
	memset(&in, 0, sizeof(in));
	in.op = CSV_OP_WRITE;
	in.id = 6;
	in.datalen = CSV_MAX_DATA;
	in.data = calloc(1, CSV_MAX_DATA);
	buf = csv_encode(&in, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT(len - CSV_HDR_SIZE <= CSV_MAX_PAYLOAD);
	CU_ASSERT_EQUAL(csv_decode(buf, len, &out), 0);
	CU_ASSERT_EQUAL(out.datalen, CSV_MAX_DATA);
	free(buf);
	free((void *)(uintptr_t)in.data);
}

/* ---- the encoder refuses what the decoder would refuse ---- */

struct enc_case {
	const char *what;
	unsigned op;
	uint32_t flags;
	uint64_t id;
	int32_t status;
	uint32_t datalen;
	int path_len;		/* -1: leave empty */
	int nsec_bad;
	int err;
};

static const struct enc_case enc_cases[] = {
	{ "op 0", 0, 0, 1, 0, 0, -1, 0, EINVAL },
	{ "op past the table", CSV_OP_COUNT, 0, 1, 0, 0, -1, 0, EINVAL },
	{ "reserved direct-I/O op", CSV_OP_DIRECT_END, 0, 1, 0, 0, -1, 0, EINVAL },
	{ "last reserved op", CSV_OP_DIRECT_LAST, 0, 1, 0, 0, -1, 0, EINVAL },
	{ "request id 0", CSV_OP_PING, 0, 0, 0, 0, -1, 0, EINVAL },
	{ "reply id 0", CSV_OP_PING, CSV_F_REPLY, 0, 0, 0, -1, 0, EINVAL },
	{ "request with status", CSV_OP_PING, 0, 1, -EIO, 0, -1, 0, EINVAL },
	{ "positive status", CSV_OP_PING, CSV_F_REPLY, 1, 1, 0, -1, 0, EINVAL },
	{ "unknown flag", CSV_OP_PING, 0x10, 1, 0, 0, -1, 0, EINVAL },
	{ "retried reply", CSV_OP_PING, CSV_F_REPLY | CSV_F_RETRY, 1, 0, 0, -1, 0, EINVAL },
	{ "push with id", CSV_OP_PING, CSV_F_PUSH, 1, 0, 0, -1, 0, EINVAL },
	{ "data too big", CSV_OP_WRITE, 0, 1, 0, CSV_MAX_DATA + 1, -1, 0, EMSGSIZE },
	{ "path too long", CSV_OP_UNLINK, 0, 1, 0, 0, CSV_PATH_MAX + 1, 0, EINVAL },
	{ "bad nanoseconds", CSV_OP_UTIMENS, 0, 1, 0, 0, -1, 1, EINVAL },
	{ "ENOSYS for an unknown op", CSV_OP_DIRECT_END, CSV_F_REPLY, 1, -ENOSYS, 0, -1,
	  0, 0 },
	{ "error reply, big data", CSV_OP_READ, CSV_F_REPLY, 1, -EIO, CSV_MAX_DATA + 1,
	  -1, 0, 0 },
};

static void
test_encode_refuses(void)
{
	static struct csv_msg m;
	size_t i, len;
	void *buf;

	for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
		const struct enc_case *c = &enc_cases[i];

		memset(&m, 0, sizeof(m));
		m.op = (uint16_t)c->op;
		m.flags = c->flags;
		m.id = c->id;
		m.status = c->status;
		m.datalen = c->datalen;
		m.data = c->datalen ? (const void *)&m : NULL;
		if (c->path_len >= 0)
			memset(m.path, 'x', (size_t)c->path_len);
		/* path_len CSV_PATH_MAX + 1 fills the terminator slot too */
		if (c->nsec_bad)
			m.atime.nsec = 1000000000u;
		errno = 0;
		buf = csv_encode(&m, &len);
		if (c->err == 0) {
			CU_ASSERT_PTR_NOT_NULL(buf);
		} else {
			if (buf || errno != c->err)
				printf("\n  case '%s': buf %p errno %d\n", c->what, buf, errno);
			CU_ASSERT_PTR_NULL(buf);
			CU_ASSERT_EQUAL(errno, c->err);
		}
		free(buf);
	}
}

/* ---- decoder: raw frames that must be refused ---- */

static unsigned char *
raw(uint32_t magic, uint16_t ver, uint16_t op, uint32_t flags, uint32_t plen,
    uint64_t id, int32_t status, uint32_t zero, const void *payload,
    size_t paylen, size_t *len)
{
	unsigned char *b = malloc(CSV_HDR_SIZE + paylen + 1);
	uint64_t v[8] = { magic, ver, op, flags, plen, id, (uint32_t)status, zero };
	static const int off[8] = { 0, 4, 6, 8, 12, 16, 24, 28 };
	static const int width[8] = { 4, 2, 2, 4, 4, 8, 4, 4 };
	int i, j;

	for (i = 0; i < 8; i++)
		for (j = 0; j < width[i]; j++)
			b[off[i] + j] = (unsigned char)(v[i] >> (8 * j));
	if (paylen)
		memcpy(b + CSV_HDR_SIZE, payload, paylen);
	*len = CSV_HDR_SIZE + paylen;
	return b;
}

struct dec_case {
	const char *what;
	uint32_t magic;
	uint16_t ver, op;
	uint32_t flags, plen;
	uint64_t id;
	int32_t status;
	uint32_t zero;
	const char *payload;
	size_t paylen;
	int rc;
};

#define M CSV_MAGIC
static const struct dec_case dec_cases[] = {
	{ "ping", M, 1, CSV_OP_PING, 0, 0, 1, 0, 0, "", 0, 0 },
	{ "bad magic", 0x31565344, 1, CSV_OP_PING, 0, 0, 1, 0, 0, "", 0, -CD_E_PROTO_MALFORMED },
	{ "version 2", M, 2, CSV_OP_PING, 0, 0, 1, 0, 0, "", 0, -CD_E_PROTO_VERSION },
	{ "version 0", M, 0, CSV_OP_PING, 0, 0, 1, 0, 0, "", 0, -CD_E_PROTO_VERSION },
	{ "reserved word", M, 1, CSV_OP_PING, 0, 0, 1, 0, 1, "", 0, -CD_E_PROTO_MALFORMED },
	{ "unknown flag", M, 1, CSV_OP_PING, 0x8, 0, 1, 0, 0, "", 0, -CD_E_PROTO_MALFORMED },
	{ "request id 0", M, 1, CSV_OP_PING, 0, 0, 0, 0, 0, "", 0, -CD_E_PROTO_MALFORMED },
	{ "too big", M, 1, CSV_OP_WRITE, 0, CSV_MAX_PAYLOAD + 1, 1, 0, 0, "", 0,
	  -CD_E_PROTO_TOO_BIG },
	{ "length > bytes", M, 1, CSV_OP_PING, 0, 1, 1, 0, 0, "", 0, -CD_E_PROTO_MALFORMED },
	{ "trailing byte", M, 1, CSV_OP_PING, 0, 1, 1, 0, 0, "x", 1, -CD_E_PROTO_MALFORMED },
	{ "unknown op", M, 1, 0x77, 0, 0, 1, 0, 0, "", 0, -CD_E_UNKNOWN_CMD },
	{ "reserved direct-I/O op", M, 1, 0x103, 0, 0, 1, 0, 0, "", 0, -CD_E_UNKNOWN_CMD },
	{ "map without its fh", M, 1, CSV_OP_MAP, 0, 0, 1, 0, 0, "", 0, -CD_E_PROTO_MALFORMED },
	{ "op 0", M, 1, 0, 0, 0, 1, 0, 0, "", 0, -CD_E_UNKNOWN_CMD },
	{ "short u64", M, 1, CSV_OP_RELEASE, 0, 7, 1, 0, 0, "1234567", 7, -CD_E_PROTO_MALFORMED },
	{ "release", M, 1, CSV_OP_RELEASE, 0, 8, 1, 0, 0, "12345678", 8, 0 },
	{ "string past end", M, 1, CSV_OP_UNLINK, 0, 3, 1, 0, 0, "\x05\x00/", 3,
	  -CD_E_PROTO_MALFORMED },
	{ "string with NUL", M, 1, CSV_OP_UNLINK, 0, 4, 1, 0, 0, "\x02\x00/\x00", 4,
	  -CD_E_PROTO_MALFORMED },
	{ "unlink", M, 1, CSV_OP_UNLINK, 0, 4, 1, 0, 0, "\x02\x00/a", 4, 0 },
	{ "string over PATH_MAX", M, 1, CSV_OP_UNLINK, 0, 2, 1, 0, 0, "\x00\x10", 2,
	  -CD_E_PROTO_MALFORMED },
	{ "name over NAME_MAX", M, 1, CSV_OP_REMOVEXATTR, 0, 4, 1, 0, 0,
	  "\x00\x00\x00\x01", 4, -CD_E_PROTO_MALFORMED },
	{ "data length lies", M, 1, CSV_OP_READ, CSV_F_REPLY, 6, 1, 0, 0,
	  "\x05\x00\x00\x00" "ab", 6, -CD_E_PROTO_MALFORMED },
	{ "data over max", M, 1, CSV_OP_READ, CSV_F_REPLY, 4, 1, 0, 0,
	  "\x01\x00\x10\x00", 4, -CD_E_PROTO_MALFORMED },
	{ "read reply", M, 1, CSV_OP_READ, CSV_F_REPLY, 6, 1, 0, 0, "\x02\x00\x00\x00" "ab", 6, 0 },
	{ "error reply + payload", M, 1, CSV_OP_READ, CSV_F_REPLY, 1, 1, -5, 0, "x", 1,
	  -CD_E_PROTO_MALFORMED },
	{ "error reply", M, 1, CSV_OP_READ, CSV_F_REPLY, 0, 1, -5, 0, "", 0, 0 },
	{ "status beyond errno", M, 1, CSV_OP_READ, CSV_F_REPLY, 0, 1, -5000, 0, "", 0,
	  -CD_E_PROTO_MALFORMED },
	{ "request with status", M, 1, CSV_OP_PING, 0, 0, 1, -5, 0, "", 0,
	  -CD_E_PROTO_MALFORMED },
	{ "push", M, 1, CSV_OP_PING, CSV_F_PUSH, 0, 0, 0, 0, "", 0, 0 },
	{ "push with id", M, 1, CSV_OP_PING, CSV_F_PUSH, 0, 3, 0, 0, "", 0,
	  -CD_E_PROTO_MALFORMED },
	{ "utimens bad nsec", M, 1, CSV_OP_UTIMENS, 0, 34, 1, 0, 0,
	  /* path "", fh 0, atime {0, 1e9}, mtime {0, 0} */
	  "\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00"
	  "\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\xca\x9a\x3b"
	  "\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00", 34, -CD_E_PROTO_MALFORMED },
};
#undef M

static void
test_decode_table(void)
{
	size_t i, len;
	struct csv_msg m;

	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		const struct dec_case *c = &dec_cases[i];
		unsigned char *b = raw(c->magic, c->ver, c->op, c->flags, c->plen, c->id,
				       c->status, c->zero, c->payload, c->paylen, &len);
		int rc = csv_decode(b, len, &m);

		if (rc != c->rc)
			printf("\n  case '%s': got %d want %d\n", c->what, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
		if (rc == -CD_E_UNKNOWN_CMD) {
			/* enough to answer -ENOSYS */
			CU_ASSERT_EQUAL(m.op, c->op);
			CU_ASSERT_EQUAL(m.id, c->id);
		}
		free(b);
	}
	/* short header */
	CU_ASSERT_EQUAL(csv_hdr_decode("CSV1", 4, NULL), -CD_E_PROTO_MALFORMED);
}

/* csv_hdr_peek: the header of a request whose payload is refused */
static void
test_hdr_peek(void)
{
	struct csv_msg m;
	size_t len;
	unsigned char *b;

	b = raw(CSV_MAGIC, 1, CSV_OP_UNLINK, 0, 3, 42, 0, 0, "\x05\x00/", 3, &len);
	CU_ASSERT_EQUAL(csv_decode(b, len, &m), -CD_E_PROTO_MALFORMED);
	CU_ASSERT_EQUAL(csv_hdr_peek(b, len, &m), 0);
	CU_ASSERT_EQUAL(m.op, CSV_OP_UNLINK);
	CU_ASSERT_EQUAL(m.id, 42);
	CU_ASSERT_EQUAL(m.flags, 0);
	CU_ASSERT_EQUAL(m.path[0], '\0');
	free(b);
	b = raw(0x31565344, 1, CSV_OP_UNLINK, 0, 3, 42, 0, 0, "\x05\x00/", 3, &len);
	CU_ASSERT_EQUAL(csv_hdr_peek(b, len, &m), -CD_E_PROTO_MALFORMED);
	CU_ASSERT_EQUAL(m.op, 0);
	CU_ASSERT_EQUAL(m.id, 0);
	free(b);
}

/* ---- dirents ---- */

static void
test_dirents(void)
{
	static const char *const names[] = { ".", "..", "disk.qcow2", "a b\tc" };
	unsigned char buf[128];
	struct csv_dirent d = { 0 };
	size_t used = 0, pos = 0, i;
	int n = 0;

	for (i = 0; i < 4; i++) {
		d.ino = i + 10;
		d.next = i + 1;
		d.type = 4;
		strcpy(d.name, names[i]);
		CU_ASSERT_EQUAL(csv_dirent_put(buf, sizeof(buf), &used, &d), 0);
	}
	strcpy(d.name, "this-name-does-not-fit-any-more-into-the-buffer-at-all");
	CU_ASSERT_EQUAL(csv_dirent_put(buf, sizeof(buf), &used, &d), -ENOSPC);
	strcpy(d.name, "a/b");
	CU_ASSERT_EQUAL(csv_dirent_put(buf, sizeof(buf), &used, &d), -EINVAL);
	d.name[0] = '\0';
	CU_ASSERT_EQUAL(csv_dirent_put(buf, sizeof(buf), &used, &d), -EINVAL);

	while (csv_dirent_next(buf, used, &pos, &d) == 1) {
		CU_ASSERT_STRING_EQUAL(d.name, names[n]);
		CU_ASSERT_EQUAL(d.ino, (uint64_t)n + 10);
		CU_ASSERT_EQUAL(d.next, (uint64_t)n + 1);
		n++;
	}
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(pos, used);
	/* every truncation is refused, never over-read */
	for (i = 1; i < 19 + 1; i++) {
		unsigned char *cut = malloc(i);

		memcpy(cut, buf, i);
		pos = 0;
		CU_ASSERT_EQUAL(csv_dirent_next(cut, i, &pos, &d), -CD_E_PROTO_MALFORMED);
		free(cut);
	}
	pos = used + 1;
	CU_ASSERT_EQUAL(csv_dirent_next(buf, used, &pos, &d), -CD_E_PROTO_MALFORMED);
}

/* ---- MAP's extents ---- */

static void
test_extents(void)
{
	static const struct {
		struct csv_extent e;
		int rc;
	} cases[] = {
		{ { 0, 4096, 4096 }, 0 },
		{ { 1 << 20, 1ull << 33, 512 }, 0 },
		{ { 0, 0, 0 }, -EINVAL },		/* empty */
		{ { 100, 4096, 4096 }, -EINVAL },	/* logical not on a sector */
		{ { 0, 4097, 4096 }, -EINVAL },		/* physical not on a sector */
		{ { 0, 4096, 1000 }, -EINVAL },		/* length not sectors */
		{ { 1ull << 62, 0, 512 }, -EINVAL },	/* past the limit */
	};
	unsigned char buf[3 * CSV_EXTENT_SIZE];
	struct csv_extent e;
	size_t used = 0, pos = 0, i, ok = 0;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = csv_extent_put(buf, sizeof(buf), &used, &cases[i].e);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		ok += rc == 0;
	}
	CU_ASSERT_EQUAL(used, ok * CSV_EXTENT_SIZE);
	CU_ASSERT_EQUAL(csv_extent_put(buf, sizeof(buf), &used, &cases[0].e), 0);
	CU_ASSERT_EQUAL(csv_extent_put(buf, sizeof(buf), &used, &cases[0].e), -ENOSPC);
	for (i = 0; (rc = csv_extent_next(buf, used, &pos, &e)) == 1; i++) {
		const struct csv_extent *w = &cases[i < 2 ? i : 0].e;

		CU_ASSERT(e.logical == w->logical && e.physical == w->physical &&
			  e.length == w->length);
	}
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(i, 3);
	/* a truncated or invalid record is refused */
	pos = 0;
	CU_ASSERT_EQUAL(csv_extent_next(buf, CSV_EXTENT_SIZE - 1, &pos, &e),
			-CD_E_PROTO_MALFORMED);
	buf[8] = 1;	/* physical 4097 */
	pos = 0;
	CU_ASSERT_EQUAL(csv_extent_next(buf, used, &pos, &e), -CD_E_PROTO_MALFORMED);
}

/* ---- mutation fuzzing: any mutation decodes or fails cleanly ---- */

static void
test_mutations(void)
{
	static const char interesting[] = "\x01\x02\xff\x7f\x80/";
	struct csv_msg in = { 0 }, out;
	unsigned char work[8192];
	unsigned op, round;
	size_t len, n;
	void *buf;
	int rc;

	cd_unit_seed(14);
	for (op = 1; op < CSV_OP_COUNT; op++) {
		fill_all(&in);
		in.op = (uint16_t)op;
		in.id = 3;
		in.flags = (op & 1) ? CSV_F_REPLY : 0;
		buf = csv_encode(&in, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		CU_ASSERT_FATAL(len + 64 <= sizeof(work));
		for (round = 0; round < 300; round++) {
			unsigned char *exact;

			memcpy(work, buf, len);
			n = len;
			cd_unit_mutate(work, &n, CSV_HDR_SIZE, sizeof(work),
				       (enum cd_unit_mutation)cd_unit_rnd(7), interesting);
			exact = malloc(n ? n : 1);
			memcpy(exact, work, n);
			rc = csv_decode(exact, n, &out);
			CU_ASSERT(rc == 0 || rc == -CD_E_PROTO_MALFORMED ||
				  rc == -CD_E_PROTO_VERSION || rc == -CD_E_PROTO_TOO_BIG ||
				  rc == -CD_E_UNKNOWN_CMD);
			free(exact);
		}
		free(buf);
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "every op round-trips, canonically", test_roundtrip_all_ops },
		{ "known fields and limits", test_known_fields },
		{ "the encoder refuses bad messages", test_encode_refuses },
		{ "decoder table", test_decode_table },
		{ "the header of a refused request", test_hdr_peek },
		{ "readdir entries", test_dirents },
		{ "map extents", test_extents },
		{ "mutated frames fail cleanly", test_mutations },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-proto", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
