/*
 * csv-proto.h - the cluster-shared-volume protocol between the CSV client
 * on every node and the volume's coordinator (DESIGN.md §8, issue 14).
 *
 * Binary, because file data travels in it. One frame: a 32-byte header,
 * all integers little-endian,
 *    0 u32 magic 0x31565343 ("CSV1")    4 u16 version (1)   6 u16 op
 *    8 u32 flags (CSV_F_*)              12 u32 payload length
 *   16 u64 request id                   24 i32 status       28 u32 zero
 * followed by exactly `length` payload bytes (at most CSV_MAX_PAYLOAD).
 *
 * The payload is the op's fields in the order its schema (csv-proto.c's
 * table, one for the request and one for the reply) lists them:
 *   u32, u64     fixed width
 *   string       u16 length + bytes: no NUL, PATH at most CSV_PATH_MAX
 *                bytes, NAME (a file or xattr name) at most CSV_NAME_MAX
 *   data         u32 length + bytes, at most CSV_MAX_DATA
 *   time         i64 seconds + u32 nanoseconds (< 1e9, or CSV_UTIME_NOW /
 *                CSV_UTIME_OMIT as utimensat's UTIME_*)
 *   attr/statfs  fixed records (struct csv_attr, struct csv_statfs)
 * A frame with trailing bytes, a short field or a field over its limit is
 * malformed. An error reply (status < 0) has an empty payload.
 *
 * Requests carry an id > 0, unique per client incarnation (HELLO's
 * client id): the reply repeats it, and the coordinator answers a request
 * it has already executed (CSV_F_RETRY, after a reconnect) from its reply
 * cache instead of executing it twice. status is a negative Linux errno
 * (both ends are Linux; no errno translation).
 *
 * Versioning and the next issue: the header's version changes only with
 * the framing. New operations get new op numbers and are announced by
 * capability bits in HELLO; a coordinator answers an op it does not know
 * with -ENOSYS (csv_decode says -CD_E_UNKNOWN_CMD, the frame being sound).
 * Ops 0x100..0x1ff and CSV_CAP_DIRECT are the direct-I/O extent map and
 * lease messages (issue 15: MAP, RECALL, RETURN; the rest of the range
 * stays unknown); CSV_F_PUSH marks messages the coordinator sends unasked
 * (RECALL), with id 0 and no reply.
 *
 * Pure code: no I/O, no allocation except csv_encode's result.
 */
#ifndef CLUSTERD_CSV_PROTO_H
#define CLUSTERD_CSV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_MAGIC		0x31565343u
#define CSV_VERSION		1
#define CSV_HDR_SIZE		32
#define CSV_PATH_MAX		4095
#define CSV_NAME_MAX		255
#define CSV_MAX_DATA		(1024 * 1024)
/* data + the largest set of other fields of any op */
#define CSV_MAX_PAYLOAD		(CSV_MAX_DATA + 3 * (CSV_PATH_MAX + 2) + 512)
#define CSV_UTIME_NOW		((1u << 30) - 1)
#define CSV_UTIME_OMIT		((1u << 30) - 2)

/* Header flags; every other bit must be 0. */
#define CSV_F_REPLY		0x1u	/* a reply to request `id` */
#define CSV_F_RETRY		0x2u	/* request resent after a reconnect */
#define CSV_F_PUSH		0x4u	/* coordinator-initiated (issue 15) */
#define CSV_F_ALL		0x7u

/* HELLO capability bits. */
#define CSV_CAP_REDIRECTED	0x1ull	/* every op below through the coordinator */
#define CSV_CAP_LOCKS		0x2ull	/* LOCK/FLOCK held by the coordinator */
#define CSV_CAP_DIRECT		0x4ull	/* extent maps + leases (issue 15) */
#define CSV_CAP_RECLAIM		0x8ull	/* lock reclaim after a coordinator change */

enum csv_op {
	CSV_OP_HELLO = 1,	/* client, caps, name(node) -> caps, client(epoch) */
	CSV_OP_PING,
	CSV_OP_GETATTR,		/* path, fh -> attr */
	CSV_OP_READLINK,	/* path -> path */
	CSV_OP_MKNOD,		/* path, mode, rdev, uid, gid -> attr */
	CSV_OP_MKDIR,		/* path, mode, uid, gid -> attr */
	CSV_OP_UNLINK,		/* path */
	CSV_OP_RMDIR,		/* path */
	CSV_OP_SYMLINK,		/* path(link), path2(target), uid, gid -> attr */
	CSV_OP_RENAME,		/* path, path2, oflags (RENAME_*) */
	CSV_OP_LINK,		/* path(existing), path2(new) -> attr */
	CSV_OP_CHMOD,		/* path, fh, mode */
	CSV_OP_CHOWN,		/* path, fh, uid, gid (-1: unchanged) */
	CSV_OP_TRUNCATE,	/* path, fh, off(size) */
	CSV_OP_UTIMENS,		/* path, fh, atime, mtime */
	CSV_OP_OPEN,		/* path, oflags -> fh, attr */
	CSV_OP_CREATE,		/* path, oflags, mode, uid, gid -> fh, attr */
	CSV_OP_READ,		/* fh, off, len -> data */
	CSV_OP_WRITE,		/* fh, off, data -> len(written) */
	CSV_OP_RELEASE,		/* fh */
	CSV_OP_FSYNC,		/* fh, mode(1: datasync) */
	CSV_OP_READDIR,		/* path, off(cookie), len(max bytes) -> data(dirents) */
	CSV_OP_STATFS,		/* -> statfs */
	CSV_OP_ACCESS,		/* path, mode(mask) */
	CSV_OP_SETXATTR,	/* path, name, data, oflags */
	CSV_OP_GETXATTR,	/* path, name, len(size) -> len, data */
	CSV_OP_LISTXATTR,	/* path, len(size) -> len, data */
	CSV_OP_REMOVEXATTR,	/* path, name */
	CSV_OP_FALLOCATE,	/* fh, mode, off, len */
	CSV_OP_LSEEK,		/* fh, off, mode(whence) -> off */
	CSV_OP_LOCK,		/* fh, owner, oflags(CSV_LK_GET/SET/SETW), type, off, len, pid
				 * -> type, off, len, pid (GET: the conflicting lock) */
	CSV_OP_FLOCK,		/* fh, owner, type(CSV_LK_RD/WR/UN), oflags(CSV_FL_*) */
	CSV_OP_RECLAIM_DONE,	/* (no fields): this client reclaimed all it holds */
	CSV_OP_COUNT,
	/* 0x100..0x1ff: direct I/O (issue 15; csv/README.md, lib/csv-dlease.h) */
	CSV_OP_DIRECT_FIRST = 0x100,
	CSV_OP_MAP = 0x100,	/* fh, owner(lease to renew, 0: new) -> owner(lease id),
				 * len(lease ms), off(size),
				 * data(extents, csv_extent_put) */
	CSV_OP_RECALL,		/* push (CSV_F_PUSH, id 0): owner(lease id) */
	CSV_OP_RETURN,		/* owner(lease id): drained, no more direct I/O */
	CSV_OP_DIRECT_END,	/* first unused direct op */
	CSV_OP_DIRECT_LAST = 0x1ff,
};

/*
 * LOCK's oflags. CSV_LK_RECLAIM is a SET of a lock the client held under
 * the previous coordinator, sent during the new one's grace period
 * (lib/csv-grace.h) before RECLAIM_DONE; FLOCK's CSV_FL_RECLAIM the same.
 */
enum csv_lock_cmd { CSV_LK_GET = 1, CSV_LK_SET = 2, CSV_LK_SETW = 3, CSV_LK_RECLAIM = 4 };
#define CSV_FL_WAIT		0x1u	/* FLOCK: block until granted */
#define CSV_FL_RECLAIM		0x2u	/* FLOCK: a reclaim (never waits) */
enum csv_lock_type { CSV_LK_RD = 0, CSV_LK_WR = 1, CSV_LK_UN = 2 };

struct csv_time {
	int64_t sec;
	uint32_t nsec;
};

/* stat(2) as the coordinator sees it (104 bytes on the wire). */
struct csv_attr {
	uint64_t ino, size, blocks, rdev;
	uint32_t mode, nlink, uid, gid, blksize;
	struct csv_time atime, mtime, ctime;
};

/* statvfs(3) (64 bytes on the wire). */
struct csv_statfs {
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t bsize, frsize, namemax, flags;
};

/*
 * One decoded frame. Strings are copied (NUL-terminated); data points
 * into the decoded buffer and is valid as long as that buffer is. Fields
 * an op's schema does not name are zero.
 */
struct csv_msg {
	uint16_t op;
	uint32_t flags;		/* CSV_F_* */
	uint64_t id;
	int32_t status;		/* replies: 0 or -errno */

	uint64_t fh;		/* coordinator file handle (0: none) */
	uint64_t off;
	uint64_t len;
	uint64_t owner;		/* lock owner */
	uint64_t rdev;
	uint64_t caps;		/* HELLO */
	uint64_t client;	/* HELLO: client id / coordinator epoch */
	uint32_t mode;
	uint32_t oflags;
	uint32_t uid, gid;
	uint32_t type;		/* lock type */
	uint32_t pid;
	struct csv_time atime, mtime;
	struct csv_attr attr;
	struct csv_statfs statfs;
	char path[CSV_PATH_MAX + 1];
	char path2[CSV_PATH_MAX + 1];
	char name[CSV_NAME_MAX + 1];
	const void *data;
	uint32_t datalen;
};

/**
 * Decode a frame header (the first CSV_HDR_SIZE bytes of buf).
 * @param payload_len out: the payload length the header announces
 * @return 0; -CD_E_PROTO_MALFORMED (magic, flags, reserved bits, a
 *         request with id 0 or a status), -CD_E_PROTO_VERSION,
 *         -CD_E_PROTO_TOO_BIG (length over CSV_MAX_PAYLOAD)
 */
int csv_hdr_decode(const void *buf, size_t len, uint32_t *payload_len);

/**
 * Decode and validate a whole frame (header + payload, exactly len bytes).
 * @return 0 with *m filled; -CD_E_UNKNOWN_CMD for a sound frame with an op
 *         this side does not know (m->op, id and flags are filled so the
 *         caller can answer -ENOSYS); the errors of csv_hdr_decode; or
 *         -CD_E_PROTO_MALFORMED for a payload that does not match its
 *         schema. Otherwise *m is zeroed.
 */
int csv_decode(const void *buf, size_t len, struct csv_msg *m);

/**
 * The header of a frame only: m->op, flags, id and status, the rest zeroed;
 * to answer a request whose sound header carries a payload csv_decode
 * refused (-CD_E_PROTO_MALFORMED).
 * @return 0; the errors of csv_hdr_decode (then *m is zeroed)
 */
int csv_hdr_peek(const void *buf, size_t len, struct csv_msg *m);

/**
 * Encode m (request, or reply when CSV_F_REPLY is set; an error reply
 * carries only the header, and may answer any op > 0, unknown ones too).
 * @return a malloc'd frame of *len bytes the caller frees; NULL with errno
 *         EINVAL (unknown op, a string with NUL or over its limit, id 0 on
 *         a request), EMSGSIZE (data over CSV_MAX_DATA) or ENOMEM
 */
void *csv_encode(const struct csv_msg *m, size_t *len);

/** Name of an op for logs ("getattr"...), "unknown" for others. */
const char *csv_op_name(unsigned op);

/* ---- READDIR's data: packed entries ---- */

struct csv_dirent {
	uint64_t ino;
	uint64_t next;		/* cookie to continue after this entry */
	uint8_t type;		/* DT_* */
	char name[CSV_NAME_MAX + 1];
};

/**
 * Append one entry to buf (used bytes *used, capacity cap).
 * @return 0; -ENOSPC when it does not fit (buf unchanged); -EINVAL for a
 *         name that is empty, has '/' or NUL, or is over CSV_NAME_MAX
 */
int csv_dirent_put(void *buf, size_t cap, size_t *used,
		   const struct csv_dirent *d);

/**
 * Read the entry at *pos of data (len bytes) and advance *pos.
 * @return 1 with *d filled, 0 at the end, -CD_E_PROTO_MALFORMED
 */
int csv_dirent_next(const void *data, size_t len, size_t *pos,
		    struct csv_dirent *d);

/* ---- MAP's data: extents, u64 logical, u64 physical, u64 length ---- */

/*
 * One extent of a file: bytes [logical, logical + length) of the file are
 * bytes [physical, physical + length) of the volume's block device (and,
 * the device mapping the LUN 1:1, of the LUN). All three are multiples of
 * 512; length > 0.
 */
struct csv_extent {
	uint64_t logical, physical, length;
};

#define CSV_EXTENT_SIZE		24
#define CSV_MAX_EXTENTS		(CSV_MAX_DATA / CSV_EXTENT_SIZE)

/**
 * Append one extent to buf (used bytes *used, capacity cap).
 * @return 0; -ENOSPC when it does not fit; -EINVAL for a zero length, a
 *         field not a multiple of 512 or an end past 2^63
 */
int csv_extent_put(void *buf, size_t cap, size_t *used, const struct csv_extent *e);

/**
 * Read the extent at *pos of data (len bytes) and advance *pos.
 * @return 1 with *e filled, 0 at the end, -CD_E_PROTO_MALFORMED (short,
 *         or a field csv_extent_put refuses)
 */
int csv_extent_next(const void *data, size_t len, size_t *pos, struct csv_extent *e);

#endif
