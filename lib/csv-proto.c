/*
 * csv-proto.c - encoder and decoder of the CSV protocol (see csv-proto.h).
 *
 * Every op is a row of the schema table: the fields of its request and of
 * its (successful) reply, in wire order. Encoder and decoder both walk the
 * row, so they cannot disagree about an op.
 */
#include "csv-proto.h"
#include "error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum field {
	F_END = 0,
	F_FH, F_OFF, F_LEN, F_OWNER, F_RDEV, F_CAPS, F_CLIENT,	/* u64 */
	F_MODE, F_OFLAGS, F_UID, F_GID, F_TYPE, F_PID,		/* u32 */
	F_ATIME, F_MTIME,					/* time */
	F_PATH, F_PATH2, F_NAME,				/* string */
	F_DATA, F_ATTR, F_STATFS,
};

#define MAXF 8

struct schema {
	const char *name;
	unsigned char req[MAXF];
	unsigned char rep[MAXF];
};

static const struct schema schemas[CSV_OP_COUNT] = {
	[CSV_OP_HELLO] = { "hello", { F_CLIENT, F_CAPS, F_NAME }, { F_CLIENT, F_CAPS } },
	[CSV_OP_PING] = { "ping", { 0 }, { 0 } },
	[CSV_OP_GETATTR] = { "getattr", { F_PATH, F_FH }, { F_ATTR } },
	[CSV_OP_READLINK] = { "readlink", { F_PATH }, { F_PATH } },
	[CSV_OP_MKNOD] = { "mknod", { F_PATH, F_MODE, F_RDEV, F_UID, F_GID }, { F_ATTR } },
	[CSV_OP_MKDIR] = { "mkdir", { F_PATH, F_MODE, F_UID, F_GID }, { F_ATTR } },
	[CSV_OP_UNLINK] = { "unlink", { F_PATH }, { 0 } },
	[CSV_OP_RMDIR] = { "rmdir", { F_PATH }, { 0 } },
	[CSV_OP_SYMLINK] = { "symlink", { F_PATH, F_PATH2, F_UID, F_GID }, { F_ATTR } },
	[CSV_OP_RENAME] = { "rename", { F_PATH, F_PATH2, F_OFLAGS }, { 0 } },
	[CSV_OP_LINK] = { "link", { F_PATH, F_PATH2 }, { F_ATTR } },
	[CSV_OP_CHMOD] = { "chmod", { F_PATH, F_FH, F_MODE }, { 0 } },
	[CSV_OP_CHOWN] = { "chown", { F_PATH, F_FH, F_UID, F_GID }, { 0 } },
	[CSV_OP_TRUNCATE] = { "truncate", { F_PATH, F_FH, F_OFF }, { 0 } },
	[CSV_OP_UTIMENS] = { "utimens", { F_PATH, F_FH, F_ATIME, F_MTIME }, { 0 } },
	[CSV_OP_OPEN] = { "open", { F_PATH, F_OFLAGS }, { F_FH, F_ATTR } },
	[CSV_OP_CREATE] = { "create", { F_PATH, F_OFLAGS, F_MODE, F_UID, F_GID },
			    { F_FH, F_ATTR } },
	[CSV_OP_READ] = { "read", { F_FH, F_OFF, F_LEN }, { F_DATA } },
	[CSV_OP_WRITE] = { "write", { F_FH, F_OFF, F_DATA }, { F_LEN } },
	[CSV_OP_RELEASE] = { "release", { F_FH }, { 0 } },
	[CSV_OP_FSYNC] = { "fsync", { F_FH, F_MODE }, { 0 } },
	[CSV_OP_READDIR] = { "readdir", { F_PATH, F_OFF, F_LEN }, { F_DATA } },
	[CSV_OP_STATFS] = { "statfs", { 0 }, { F_STATFS } },
	[CSV_OP_ACCESS] = { "access", { F_PATH, F_MODE }, { 0 } },
	[CSV_OP_SETXATTR] = { "setxattr", { F_PATH, F_NAME, F_DATA, F_OFLAGS }, { 0 } },
	[CSV_OP_GETXATTR] = { "getxattr", { F_PATH, F_NAME, F_LEN }, { F_LEN, F_DATA } },
	[CSV_OP_LISTXATTR] = { "listxattr", { F_PATH, F_LEN }, { F_LEN, F_DATA } },
	[CSV_OP_REMOVEXATTR] = { "removexattr", { F_PATH, F_NAME }, { 0 } },
	[CSV_OP_FALLOCATE] = { "fallocate", { F_FH, F_MODE, F_OFF, F_LEN }, { 0 } },
	[CSV_OP_LSEEK] = { "lseek", { F_FH, F_OFF, F_MODE }, { F_OFF } },
	[CSV_OP_LOCK] = { "lock", { F_FH, F_OWNER, F_OFLAGS, F_TYPE, F_OFF, F_LEN, F_PID },
			  { F_TYPE, F_OFF, F_LEN, F_PID } },
	[CSV_OP_FLOCK] = { "flock", { F_FH, F_OWNER, F_TYPE, F_OFLAGS }, { 0 } },
	[CSV_OP_RECLAIM_DONE] = { "reclaim-done", { 0 }, { 0 } },
};

/* Direct I/O (issue 15), indexed by op - CSV_OP_DIRECT_FIRST. */
static const struct schema dschemas[CSV_OP_DIRECT_END - CSV_OP_DIRECT_FIRST] = {
	[CSV_OP_MAP - CSV_OP_DIRECT_FIRST] = { "map", { F_FH, F_OWNER }, { F_OWNER, F_LEN, F_OFF, F_DATA } },
	[CSV_OP_RECALL - CSV_OP_DIRECT_FIRST] = { "recall", { F_OWNER }, { 0 } },
	[CSV_OP_RETURN - CSV_OP_DIRECT_FIRST] = { "return", { F_OWNER }, { 0 } },
};

static const struct schema *
schema_of(unsigned op)
{
	if (op < CSV_OP_COUNT && schemas[op].name)
		return &schemas[op];
	if (op >= CSV_OP_DIRECT_FIRST && op < CSV_OP_DIRECT_END)
		return &dschemas[op - CSV_OP_DIRECT_FIRST];
	return NULL;
}

const char *
csv_op_name(unsigned op)
{
	const struct schema *s = schema_of(op);

	return s ? s->name : "unknown";
}

/* ---- little-endian primitives ---- */

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A write cursor; buf NULL only measures. */
struct wr {
	unsigned char *buf;
	size_t pos;
};

static void
w_int(struct wr *w, uint64_t v, int n)
{
	if (w->buf)
		put_le(w->buf + w->pos, v, n);
	w->pos += (size_t)n;
}

static void
w_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->buf && n)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

static void
w_time(struct wr *w, const struct csv_time *t)
{
	w_int(w, (uint64_t)t->sec, 8);
	w_int(w, t->nsec, 4);
}

/* A read cursor; fails sticky once anything is short or invalid. */
struct rd {
	const unsigned char *buf;
	size_t len, pos;
	bool bad;
};

static uint64_t
r_int(struct rd *r, int n)
{
	uint64_t v;

	if (r->bad || r->len - r->pos < (size_t)n) {
		r->bad = true;
		return 0;
	}
	v = get_le(r->buf + r->pos, n);
	r->pos += (size_t)n;
	return v;
}

static bool
time_ok(const struct csv_time *t)
{
	return t->nsec < 1000000000u || t->nsec == CSV_UTIME_NOW ||
	       t->nsec == CSV_UTIME_OMIT;
}

static void
r_time(struct rd *r, struct csv_time *t)
{
	t->sec = (int64_t)r_int(r, 8);
	t->nsec = (uint32_t)r_int(r, 4);
	if (!time_ok(t))
		r->bad = true;
}

static void
r_string(struct rd *r, char *out, size_t max)
{
	size_t n = (size_t)r_int(r, 2);

	if (r->bad || n > max || r->len - r->pos < n ||
	    memchr(r->buf + r->pos, '\0', n)) {
		r->bad = true;
		return;
	}
	memcpy(out, r->buf + r->pos, n);
	out[n] = '\0';
	r->pos += n;
}

/* ---- fixed records ---- */

static void
w_attr(struct wr *w, const struct csv_attr *a)
{
	w_int(w, a->ino, 8);
	w_int(w, a->size, 8);
	w_int(w, a->blocks, 8);
	w_int(w, a->rdev, 8);
	w_int(w, a->mode, 4);
	w_int(w, a->nlink, 4);
	w_int(w, a->uid, 4);
	w_int(w, a->gid, 4);
	w_int(w, a->blksize, 4);
	w_time(w, &a->atime);
	w_time(w, &a->mtime);
	w_time(w, &a->ctime);
}

static void
r_attr(struct rd *r, struct csv_attr *a)
{
	a->ino = r_int(r, 8);
	a->size = r_int(r, 8);
	a->blocks = r_int(r, 8);
	a->rdev = r_int(r, 8);
	a->mode = (uint32_t)r_int(r, 4);
	a->nlink = (uint32_t)r_int(r, 4);
	a->uid = (uint32_t)r_int(r, 4);
	a->gid = (uint32_t)r_int(r, 4);
	a->blksize = (uint32_t)r_int(r, 4);
	r_time(r, &a->atime);
	r_time(r, &a->mtime);
	r_time(r, &a->ctime);
	/* attributes carry real times, not UTIME_* markers */
	if (a->atime.nsec >= 1000000000u || a->mtime.nsec >= 1000000000u ||
	    a->ctime.nsec >= 1000000000u)
		r->bad = true;
}

static void
w_statfs(struct wr *w, const struct csv_statfs *s)
{
	w_int(w, s->blocks, 8);
	w_int(w, s->bfree, 8);
	w_int(w, s->bavail, 8);
	w_int(w, s->files, 8);
	w_int(w, s->ffree, 8);
	w_int(w, s->fsid, 8);
	w_int(w, s->bsize, 4);
	w_int(w, s->frsize, 4);
	w_int(w, s->namemax, 4);
	w_int(w, s->flags, 4);
}

static void
r_statfs(struct rd *r, struct csv_statfs *s)
{
	s->blocks = r_int(r, 8);
	s->bfree = r_int(r, 8);
	s->bavail = r_int(r, 8);
	s->files = r_int(r, 8);
	s->ffree = r_int(r, 8);
	s->fsid = r_int(r, 8);
	s->bsize = (uint32_t)r_int(r, 4);
	s->frsize = (uint32_t)r_int(r, 4);
	s->namemax = (uint32_t)r_int(r, 4);
	s->flags = (uint32_t)r_int(r, 4);
}

/* ---- fields ---- */

static uint64_t *
u64_slot(struct csv_msg *m, enum field f)
{
	switch (f) {
	case F_FH: return &m->fh;
	case F_OFF: return &m->off;
	case F_LEN: return &m->len;
	case F_OWNER: return &m->owner;
	case F_RDEV: return &m->rdev;
	case F_CAPS: return &m->caps;
	case F_CLIENT: return &m->client;
	default: return NULL;
	}
}

static uint32_t *
u32_slot(struct csv_msg *m, enum field f)
{
	switch (f) {
	case F_MODE: return &m->mode;
	case F_OFLAGS: return &m->oflags;
	case F_UID: return &m->uid;
	case F_GID: return &m->gid;
	case F_TYPE: return &m->type;
	case F_PID: return &m->pid;
	default: return NULL;
	}
}

static char *
str_slot(struct csv_msg *m, enum field f, size_t *max)
{
	*max = f == F_NAME ? CSV_NAME_MAX : CSV_PATH_MAX;
	switch (f) {
	case F_PATH: return m->path;
	case F_PATH2: return m->path2;
	case F_NAME: return m->name;
	default: return NULL;
	}
}

/* Write field f of m; 0, or -EINVAL / -EMSGSIZE for a value over a limit. */
static int
w_field(struct wr *w, const struct csv_msg *cm, enum field f)
{
	/* the slot helpers only read through m here */
	struct csv_msg *m = (struct csv_msg *)(uintptr_t)cm;
	uint64_t *u64 = u64_slot(m, f);
	uint32_t *u32 = u32_slot(m, f);
	size_t max, n;
	const char *s;

	if (u64) {
		w_int(w, *u64, 8);
		return 0;
	}
	if (u32) {
		w_int(w, *u32, 4);
		return 0;
	}
	switch (f) {
	case F_ATIME:
	case F_MTIME:
		if (!time_ok(f == F_ATIME ? &m->atime : &m->mtime))
			return -EINVAL;
		w_time(w, f == F_ATIME ? &m->atime : &m->mtime);
		return 0;
	case F_PATH:
	case F_PATH2:
	case F_NAME:
		s = str_slot(m, f, &max);
		n = strnlen(s, max + 1);
		if (n > max)
			return -EINVAL;
		w_int(w, n, 2);
		w_bytes(w, s, n);
		return 0;
	case F_DATA:
		if (m->datalen > CSV_MAX_DATA)
			return -EMSGSIZE;
		if (m->datalen && !m->data)
			return -EINVAL;
		w_int(w, m->datalen, 4);
		w_bytes(w, m->data, m->datalen);
		return 0;
	case F_ATTR:
		w_attr(w, &m->attr);
		return 0;
	case F_STATFS:
		w_statfs(w, &m->statfs);
		return 0;
	default:
		return -EINVAL;
	}
}

static void
r_field(struct rd *r, struct csv_msg *m, enum field f)
{
	uint64_t *u64 = u64_slot(m, f);
	uint32_t *u32 = u32_slot(m, f);
	size_t max;
	char *out;

	if (u64) {
		*u64 = r_int(r, 8);
		return;
	}
	if (u32) {
		*u32 = (uint32_t)r_int(r, 4);
		return;
	}
	switch (f) {
	case F_ATIME:
		r_time(r, &m->atime);
		break;
	case F_MTIME:
		r_time(r, &m->mtime);
		break;
	case F_PATH:
	case F_PATH2:
	case F_NAME:
		out = str_slot(m, f, &max);	/* sets max: not in one call */
		r_string(r, out, max);
		break;
	case F_DATA:
		m->datalen = (uint32_t)r_int(r, 4);
		if (r->bad || m->datalen > CSV_MAX_DATA ||
		    r->len - r->pos < m->datalen) {
			r->bad = true;
			m->datalen = 0;
			break;
		}
		m->data = m->datalen ? r->buf + r->pos : NULL;
		r->pos += m->datalen;
		break;
	case F_ATTR:
		r_attr(r, &m->attr);
		break;
	case F_STATFS:
		r_statfs(r, &m->statfs);
		break;
	default:
		r->bad = true;
	}
}

/* ---- frames ---- */

static bool
hdr_sound(uint32_t flags, uint64_t id, int32_t status)
{
	if (flags & ~CSV_F_ALL)
		return false;
	if (flags & CSV_F_REPLY)
		return !(flags & (CSV_F_RETRY | CSV_F_PUSH)) && id != 0 &&
		       status <= 0 && status > -4096;
	if (flags & CSV_F_PUSH)
		return id == 0 && status == 0 && !(flags & CSV_F_RETRY);
	return id != 0 && status == 0;
}

int
csv_hdr_decode(const void *buf, size_t len, uint32_t *payload_len)
{
	const unsigned char *p = buf;
	uint32_t flags, plen;

	if (len < CSV_HDR_SIZE || get_le(p, 4) != CSV_MAGIC)
		return -CD_E_PROTO_MALFORMED;
	if (get_le(p + 4, 2) != CSV_VERSION)
		return -CD_E_PROTO_VERSION;
	flags = (uint32_t)get_le(p + 8, 4);
	plen = (uint32_t)get_le(p + 12, 4);
	if (!hdr_sound(flags, get_le(p + 16, 8), (int32_t)get_le(p + 24, 4)) ||
	    get_le(p + 28, 4) != 0)
		return -CD_E_PROTO_MALFORMED;
	if (plen > CSV_MAX_PAYLOAD)
		return -CD_E_PROTO_TOO_BIG;
	if (payload_len)
		*payload_len = plen;
	return 0;
}

/* The header's op, flags, id and status into m. */
static void
hdr_fields(const unsigned char *p, struct csv_msg *m)
{
	m->op = (uint16_t)get_le(p + 6, 2);
	m->flags = (uint32_t)get_le(p + 8, 4);
	m->id = get_le(p + 16, 8);
	m->status = (int32_t)get_le(p + 24, 4);
}

int
csv_hdr_peek(const void *buf, size_t len, struct csv_msg *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = csv_hdr_decode(buf, len, NULL);
	if (rc == 0)
		hdr_fields(buf, m);
	return rc;
}

int
csv_decode(const void *buf, size_t len, struct csv_msg *m)
{
	const unsigned char *p = buf;
	const struct schema *s;
	const unsigned char *fields;
	struct rd r;
	uint32_t plen;
	int rc, i;

	memset(m, 0, sizeof(*m));
	rc = csv_hdr_decode(buf, len, &plen);
	if (rc < 0)
		return rc;
	if (len - CSV_HDR_SIZE != plen)
		return -CD_E_PROTO_MALFORMED;
	hdr_fields(p, m);
	s = schema_of(m->op);
	if (!s)
		return -CD_E_UNKNOWN_CMD;
	if (m->status < 0) {
		if (plen == 0)
			return 0;
		rc = -CD_E_PROTO_MALFORMED;
		goto fail;
	}
	fields = (m->flags & CSV_F_REPLY) ? s->rep : s->req;
	r = (struct rd){ .buf = p + CSV_HDR_SIZE, .len = plen };
	for (i = 0; i < MAXF && fields[i] != F_END; i++)
		r_field(&r, m, (enum field)fields[i]);
	if (!r.bad && r.pos == r.len)
		return 0;
	rc = -CD_E_PROTO_MALFORMED;
fail:
	memset(m, 0, sizeof(*m));
	return rc;
}

void *
csv_encode(const struct csv_msg *m, size_t *len)
{
	const struct schema *s = schema_of(m->op);
	const unsigned char *fields;
	struct wr w = { 0 };
	unsigned char *buf;
	int i, rc = 0;

	/* an error reply has no fields: it may answer an op we do not know */
	bool bare = (m->flags & CSV_F_REPLY) && m->status < 0 && m->op != 0;

	if ((!s && !bare) || !hdr_sound(m->flags, m->id, m->status)) {
		errno = EINVAL;
		return NULL;
	}
	fields = bare ? (const unsigned char *)"" :
		 (m->flags & CSV_F_REPLY) ? s->rep : s->req;
	for (i = 0; i < MAXF && fields[i] != F_END && rc == 0; i++)
		rc = w_field(&w, m, (enum field)fields[i]);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	buf = malloc(CSV_HDR_SIZE + w.pos);
	if (!buf)
		return NULL;
	put_le(buf, CSV_MAGIC, 4);
	put_le(buf + 4, CSV_VERSION, 2);
	put_le(buf + 6, m->op, 2);
	put_le(buf + 8, m->flags, 4);
	put_le(buf + 12, w.pos, 4);
	put_le(buf + 16, m->id, 8);
	put_le(buf + 24, (uint32_t)m->status, 4);
	put_le(buf + 28, 0, 4);
	w.buf = buf + CSV_HDR_SIZE;
	w.pos = 0;
	for (i = 0; i < MAXF && fields[i] != F_END; i++)
		(void)w_field(&w, m, (enum field)fields[i]);
	*len = CSV_HDR_SIZE + w.pos;
	return buf;
}

/* ---- dirents: u64 ino, u64 next, u8 type, u16 namelen, name ---- */

int
csv_dirent_put(void *buf, size_t cap, size_t *used, const struct csv_dirent *d)
{
	size_t n = strnlen(d->name, CSV_NAME_MAX + 1);
	struct wr w = { .buf = buf, .pos = *used };

	if (n == 0 || n > CSV_NAME_MAX || strchr(d->name, '/'))
		return -EINVAL;
	if (cap < *used || cap - *used < 19 + n)
		return -ENOSPC;
	w_int(&w, d->ino, 8);
	w_int(&w, d->next, 8);
	w_int(&w, d->type, 1);
	w_int(&w, n, 2);
	w_bytes(&w, d->name, n);
	*used = w.pos;
	return 0;
}

int
csv_dirent_next(const void *data, size_t len, size_t *pos, struct csv_dirent *d)
{
	struct rd r = { .buf = data, .len = len, .pos = *pos };

	if (*pos > len)
		return -CD_E_PROTO_MALFORMED;
	if (*pos == len)
		return 0;
	d->ino = r_int(&r, 8);
	d->next = r_int(&r, 8);
	d->type = (uint8_t)r_int(&r, 1);
	r_string(&r, d->name, CSV_NAME_MAX);
	if (r.bad || d->name[0] == '\0' || strchr(d->name, '/'))
		return -CD_E_PROTO_MALFORMED;
	*pos = r.pos;
	return 1;
}

/* ---- extents: u64 logical, u64 physical, u64 length ---- */

static bool
extent_ok(const struct csv_extent *e)
{
	return e->length && !(e->logical % 512) && !(e->physical % 512) &&
	       !(e->length % 512) && e->logical < (1ull << 62) &&
	       e->physical < (1ull << 62) && e->length < (1ull << 62);
}

int
csv_extent_put(void *buf, size_t cap, size_t *used, const struct csv_extent *e)
{
	struct wr w = { .buf = buf, .pos = *used };

	if (!extent_ok(e))
		return -EINVAL;
	if (cap < *used || cap - *used < CSV_EXTENT_SIZE)
		return -ENOSPC;
	w_int(&w, e->logical, 8);
	w_int(&w, e->physical, 8);
	w_int(&w, e->length, 8);
	*used = w.pos;
	return 0;
}

int
csv_extent_next(const void *data, size_t len, size_t *pos, struct csv_extent *e)
{
	struct rd r = { .buf = data, .len = len, .pos = *pos };

	if (*pos > len)
		return -CD_E_PROTO_MALFORMED;
	if (*pos == len)
		return 0;
	e->logical = r_int(&r, 8);
	e->physical = r_int(&r, 8);
	e->length = r_int(&r, 8);
	if (r.bad || !extent_ok(e))
		return -CD_E_PROTO_MALFORMED;
	*pos = r.pos;
	return 1;
}
