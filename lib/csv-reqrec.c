/*
 * csv-reqrec.c - a namespace operation's record on the volume: names, the
 * decision table and the prune rule (see csv-reqrec.h, rules R1-R8).
 */
#include "csv-reqrec.h"
#include "csv-proto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum csv_rq_kind
csv_rq_kind(unsigned op, uint32_t oflags, uint64_t id)
{
	if (id == 0)
		return CSV_RQ_PLAIN;		/* R5 */
	switch (op) {
	case CSV_OP_CREATE:
		return (oflags & O_EXCL) ? CSV_RQ_CREATE : CSV_RQ_PLAIN;	/* R5 */
	case CSV_OP_MKDIR: case CSV_OP_MKNOD: case CSV_OP_SYMLINK: case CSV_OP_LINK:
		return CSV_RQ_CREATE;		/* R1 */
	case CSV_OP_UNLINK: case CSV_OP_RMDIR:
		return CSV_RQ_REMOVE;		/* R2 */
	case CSV_OP_RENAME:
		return CSV_RQ_RENAME;		/* R3 */
	default:
		return CSV_RQ_PLAIN;
	}
}

enum csv_rq_act
csv_rq_decide(enum csv_rq_kind kind, enum csv_rq_rec rec, bool tagged)
{
	switch (kind) {
	case CSV_RQ_CREATE:
		return rec == CSV_RQ_WHITEOUT ? CSV_RQ_DONE :
		       rec == CSV_RQ_NODE ? CSV_RQ_DISCARD_EXEC : CSV_RQ_EXEC;
	case CSV_RQ_REMOVE:
		return rec == CSV_RQ_WHITEOUT ? CSV_RQ_DONE :
		       rec == CSV_RQ_NODE ? CSV_RQ_FINISH : CSV_RQ_EXEC;
	case CSV_RQ_RENAME:
		return tagged ? CSV_RQ_DONE : CSV_RQ_EXEC;
	case CSV_RQ_PLAIN:
	default:
		return CSV_RQ_EXEC;
	}
}

int
csv_rq_name(char *buf, size_t len, char prefix, uint64_t client, uint64_t id)
{
	if (len < CSV_RQ_NAME_LEN + 1)
		return -ENAMETOOLONG;
	snprintf(buf, len, "%c-%016" PRIx64 "-%016" PRIx64, prefix, client, id);
	return 0;
}

static int
hex16(const char *s, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 16; i++) {
		char c = s[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (uint64_t)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	*v = x;
	return 0;
}

int
csv_rq_parse(const char *name, char *prefix, uint64_t *client, uint64_t *id)
{
	if (strlen(name) != CSV_RQ_NAME_LEN || (name[0] != 'r' && name[0] != 'x') ||
	    name[1] != '-' || name[18] != '-' || hex16(name + 2, client) < 0 ||
	    hex16(name + 19, id) < 0)
		return -EINVAL;
	*prefix = name[0];
	return 0;
}

bool
csv_rq_prune(const char *name, int64_t age_ms, uint64_t keep_ms)
{
	uint64_t client, id;
	char prefix;

	if (csv_rq_parse(name, &prefix, &client, &id) < 0)
		return false;			/* not ours: left alone */
	if (prefix == 'x')
		return true;
	return age_ms > 0 && (uint64_t)age_ms > keep_ms;
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void
csv_rq_tag(unsigned char out[CSV_RQ_TAG_LEN], uint64_t client, uint64_t id)
{
	put64(out, client);
	put64(out + 8, id);
}

bool
csv_rq_tag_is(const void *value, size_t len, uint64_t client, uint64_t id)
{
	unsigned char want[CSV_RQ_TAG_LEN];

	csv_rq_tag(want, client, id);
	return len == CSV_RQ_TAG_LEN && memcmp(value, want, CSV_RQ_TAG_LEN) == 0;
}

bool
csv_rq_xattr_hidden(const char *name)
{
	return strncmp(name, CSV_RQ_XATTR_PREFIX, strlen(CSV_RQ_XATTR_PREFIX)) == 0;
}

size_t
csv_rq_xattr_filter(char *list, size_t len)
{
	size_t in = 0, out = 0, plen = strlen(CSV_RQ_XATTR_PREFIX);

	while (in < len) {
		size_t n = strnlen(list + in, len - in);
		size_t step = n + (in + n < len ? 1 : 0);	/* with its NUL, if any */

		if (n < plen || memcmp(list + in, CSV_RQ_XATTR_PREFIX, plen) != 0) {
			memmove(list + out, list + in, step);
			out += step;
		}
		in += step;
	}
	return out;
}
