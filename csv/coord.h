/*
 * coord.h - the CSV coordinator: the one process of a volume that mounts
 * its filesystem (privately) and executes every client's operations on it
 * (redirected I/O, issue 14; DESIGN.md §8).
 *
 * Pieces:
 *   coord-main.c   arguments, the block device from a provider, the private
 *                  mount (the kernel replays the journal here), listening
 *   coord-serve.c  connections: handshake (lib/csv-conn.h), one reader
 *                  thread per connection, a worker pool executing requests,
 *                  the per-client reply cache that answers retried requests
 *   coord-ops.c    the operations, each with *at() calls relative to the
 *                  mount's directory fd; paths never leave the volume
 *   coord-ns.c     the namespace operations (create, mkdir, mknod,
 *                  symlink, link, unlink, rmdir, rename) with their
 *                  records on the volume (lib/csv-reqrec.h R1-R8), so a
 *                  retry on a new coordinator gets the first attempt's answer
 *   coord-grace.c  the lock record, the grace period after a coordinator
 *                  change and the fenced nodes
 *   coord-lease.c  direct I/O (issue 15): extent maps under leases, recalls
 *                  before blocks move, page-cache coherence
 *
 * Block-device providers (--device): any block device path. On real hosts
 * the open-iscsi/multipath device (/dev/disk/by-id/..., /dev/mapper/...);
 * in the lab, where the kernel has no iSCSI initiator, the device of a disk
 * agent holder of the same role (/run/clusterd/disk/NAME/device: libiscsi
 * behind a FUSE file behind `losetup --direct-io=on`), which also holds the
 * LUN's SCSI-3 reservation (WERO) through lib/pr.h. The coordinator itself
 * never registers a key: the reservation belongs to the role's disk.
 *
 * Path rules (coord_path_ok): a client path is absolute, has no empty, "."
 * or ".." component and is resolved with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV): FUSE resolves symlinks on the
 * client, so a symlink inside a path the coordinator receives is an attack
 * or a race and fails with ELOOP; a trailing symlink is acted on itself.
 *
 * Order: requests run on the worker pool in any order, except that the
 * WRITEs of one handle not opened O_DIRECT run one after the other in the
 * order they arrived (coord-serve.c): a client keeps several buffered
 * writes of a handle in flight (csv/client-wb.h) and a reader elsewhere
 * must see the file grow as a prefix. O_DIRECT writes in flight at once
 * (QEMU's aio on a cache=none image) were issued concurrently by the
 * application and run in parallel as before.
 *
 * Durability: WRITE returns once pwrite(2) returned; FSYNC returns once
 * fsync/fdatasync on the coordinator's file returned, i.e. the data and
 * the journal are on the LUN (barriers reach the target: ext4 -> loop ->
 * the disk holder's FUSE file -> FUA writes).
 *
 * Handles and locks: a client's OPEN/CREATE gets a handle (coordinator fd,
 * numbered from the epoch's low 32 bits up, so that a handle of an earlier
 * coordinator is unknown here: EBADF, and the client reopens)
 * that lives until RELEASE or until the same node says HELLO with another
 * client id (a new client process: the old one's handles and locks go).
 * A connection that breaks keeps its client's handles, so the client can
 * reconnect and go on. FLOCK acts on the handle's own open file; LOCK (POSIX
 * and OFD from the client) uses one open file per (client, lock owner,
 * file), with OFD locks, so owners conflict exactly as they do locally;
 * a client's lock files on a file close with its last handle there.
 *
 * Lost volume: an operation that fails with EIO or EROFS means the
 * volume failed under this coordinator (its reservation was preempted, its
 * path or disk holder is gone, or ext4 aborted its journal). The
 * coordinator then sends no reply and exits at once with COORD_EXIT_LOST:
 * connections break, clients resend to the next coordinator (writes not
 * yet fsynced included), and applications see a pause, not the error.
 *
 * Locks across a coordinator change (coord-grace.c, lib/csv-grace.h G1-G6):
 * before a client gets its first lock, the coordinator records it (client
 * id and node) in the lock record, COORD_RESERVED/locks on the volume,
 * written to a temporary file, synced and renamed into place (the
 * filesystem's journal keeps it across a crash). A new coordinator reads
 * the record and starts in grace when it names a client whose node is not
 * fenced: the clients reclaim their locks (LOCK CSV_LK_RECLAIM, FLOCK
 * CSV_FL_RECLAIM) and say RECLAIM_DONE; until every one did, was replaced
 * or fenced, or the bound (--grace-ms) passed, requests that could take or
 * test a lock wait. A record that cannot be read keeps the grace for its
 * whole bound. At the end of the grace the record is rewritten with the
 * clients that hold locks now.
 *
 * Fencing (coord-grace.c): --fenced-file names a file (one node name per
 * line) that clusterd keeps on every node from the replicated state
 * (clusterd/csv-fence.h: the nodes whose runtime.nodes.N.fenced is true).
 * The coordinator re-reads it when it changes (every COORD_TICK_MS); a
 * node in it is refused at HELLO and its connections are closed, and the
 * handles and locks of its clients are released then, not before: a node
 * that died holds its locks until it is fenced (issue 14 item 3).
 *
 * The reserved directory COORD_RESERVED at the volume's root is the
 * coordinator's: a client path naming it fails with EPERM and READDIR of
 * the root leaves it out.
 *
 * Direct I/O (coord-lease.c, lib/csv-dlease.h D1-D8): a client that said
 * HELLO with CSV_CAP_DIRECT may ask for a regular file's extent map (MAP:
 * FIEMAP with FIEMAP_FLAG_SYNC, written and allocated extents only,
 * clipped to the size) under a lease, and then reads and overwrites those
 * blocks on the LUN itself. The lease holds the file open (an O_PATH fd),
 * so unlink or rename over it frees no block while it lasts. Before an
 * operation that frees or moves blocks (TRUNCATE, OPEN/CREATE with
 * O_TRUNC, FALLOCATE punch/collapse/zero/insert) the worker recalls the
 * file's leases (RECALL pushed to the holders' connections) and waits for
 * their RETURNs or expiries; MAPs of that file are refused meanwhile (D1).
 * READ/WRITE of a leased file by the coordinator drop its page cache
 * before reading and write through (D7). RETURN is executed by the
 * connection's reader (a worker may be waiting for it). Offered only when
 * the device maps the LUN 1:1 (a whole block device, not a partition).
 * The first grant on a volume writes COORD_RESERVED/direct; a coordinator
 * that finds it holds movers for one lease duration after its start (D6).
 *
 * Retries: a non-idempotent request whose id is in its client's reply
 * cache (the last COORD_CACHE such requests) is answered from the cache,
 * not executed again; a retry that overtakes its original (still
 * executing on a worker when the client reconnected) waits for its reply.
 * A new coordinator has no cache: a namespace operation is made so that it
 * leaves its own record on the volume, in the journal transaction of the
 * rename that shows its result (coord-ns.c, lib/csv-reqrec.h R1-R8:
 * COORD_RESERVED/req/r-CLIENT-ID entries, whiteouts, and the xattr
 * trusted.csv.req), and a retry (CSV_F_RETRY) is resolved from it: done
 * (success), never shown (executed), or not this request's (its EEXIST or
 * ENOENT is real). Records are pruned after --retry-keep-ms.
 *
 * Test-only fault injection: CSV_COORD_CRASH=POINT:OP:NAME (read at
 * start, only when set) makes the coordinator SIGKILL itself at POINT
 * (before: before executing; mid: in the middle of a namespace operation,
 * after its first step; after: executed, before the reply) of the first
 * request of op OP (csv_op_name: create, mkdir, unlink, rename...) whose
 * path's last component is NAME. tests/csv/test-csv-retry uses it.
 */
#ifndef CLUSTERD_CSV_COORD_H
#define CLUSTERD_CSV_COORD_H

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv-conn.h"
#include "csv-dlease.h"
#include "csv-grace.h"
#include "csv-proto.h"

#define COORD_CACHE		512	/* cached replies per client */
#define COORD_WORKERS		8
#define COORD_HANDSHAKE_MS	5000
#define COORD_EXIT_LOST		3	/* exit status: the volume failed (EIO/EROFS) */
#define COORD_RESERVED		".clusterd-csv"	/* the coordinator's directory */
#define COORD_TICK_MS		200	/* grace bound and fenced-file checks */
#define COORD_MAX_FENCED	64
/* flags a client may ask for in OPEN/CREATE */
#define COORD_OPEN_FLAGS	(O_ACCMODE | O_TRUNC | O_EXCL | O_DIRECT | O_DSYNC | O_SYNC | \
				 O_NOATIME | O_DIRECTORY)

/* CSV_COORD_CRASH's points (test only) */
enum { COORD_CRASH_NONE, COORD_CRASH_BEFORE, COORD_CRASH_MID, COORD_CRASH_AFTER };

struct coord_cached {
	uint64_t id;
	void *frame;		/* the encoded reply; owned */
	size_t len;
	bool busy;		/* executing; retries wait for it */
};

/* One client incarnation (HELLO's client id), across its connections. */
struct coord_client {
	uint64_t id;
	char node[CSV_NAME_MAX + 1];
	bool locker;		/* was granted a lock: in the lock record */
	bool direct;		/* said HELLO with CSV_CAP_DIRECT */
	void *conn;		/* its current connection (coord-serve.c), or NULL */
	struct coord_cached cache[COORD_CACHE];
	unsigned next;		/* ring position */
	struct coord_client *next_client;
};

struct coord_fh {
	uint64_t fh;		/* 0: free slot */
	int fd;
	int flags;		/* open flags as the coordinator used them */
	uint64_t client;
};

struct coord_lock {
	uint64_t client, owner;
	uint64_t dev, ino;
	int fd;
	struct coord_lock *next;
};

struct coord {
	const char *name;	/* volume name, for logs */
	int mntfd;		/* O_PATH directory fd of the private mount */
	uint64_t epoch;		/* this coordinator incarnation (HELLO reply) */
	unsigned char key[CSV_KEY_LEN];
	int listenfd;

	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t cache_cond;	/* a busy reply cache entry was filled */
	struct coord_fh *fhs;
	size_t nfh;
	uint64_t fh_gen;
	struct coord_client *clients;
	struct coord_lock *locks;

	/* coord-grace.c; grace, fenced and nfenced under lock */
	struct csv_grace grace;
	bool grace_on;			/* in grace as far as coord_tick announced */
	pthread_cond_t grace_cond;	/* the grace ended */
	uint64_t grace_ms;		/* the bound (--grace-ms) */
	char fenced[COORD_MAX_FENCED][CSV_NAME_MAX + 1];
	size_t nfenced;
	const char *fenced_file;	/* --fenced-file, or NULL */
	struct timespec fenced_mtime;
	int resfd;			/* COORD_RESERVED, O_DIRECTORY */
	pthread_mutex_t record_lock;	/* one lock record write at a time */

	/* coord-lease.c; dl under lock */
	bool dl_on;			/* coord_lease_init ran */
	bool direct;			/* CSV_CAP_DIRECT offered */
	bool dl_marked;			/* COORD_RESERVED/direct written */
	uint64_t lease_ms;		/* --lease-ms */
	struct csv_dl_tab dl;
	pthread_cond_t dl_cond;		/* a lease ended */
	/* push m (CSV_F_PUSH, id 0) to client's current connection: 0,
	 * -ENOTCONN or the send's error; set by coord_serve (coord-serve.c) */
	int (*push)(struct coord *co, uint64_t client, const struct csv_msg *m);

	/* coord-ns.c: records of namespace operations (lib/csv-reqrec.h) */
	pthread_rwlock_t ns_lock;	/* creations shared; removals, renames exclusive */
	bool rq_on;			/* records made (R5: the volume can hold them) */
	int reqfd;			/* COORD_RESERVED/req, O_DIRECTORY */
	uint64_t rq_keep_ms;		/* --retry-keep-ms (R6) */
	int crash_point;		/* CSV_COORD_CRASH (test only) */
	unsigned crash_op;
	char crash_name[CSV_NAME_MAX + 1];
};

/* A mover in progress (coord_move_begin .. coord_move_end). */
struct coord_move {
	bool active;
	uint64_t dev, ino;
};

/* One request as a worker executes it. */
struct coord_req {
	struct coord_conn *conn;
	void *frame;		/* owned; the request's data points into it */
	struct csv_msg msg;
};

/* ---- coord-ops.c ---- */

/**
 * Is path acceptable (see the path rules above)?
 * @return 0 or -EINVAL
 */
int coord_path_ok(const char *path);

/**
 * Execute request q for client cl; fill rep (op, id, flags set by the
 * caller). READ/READDIR/GETXATTR/LISTXATTR data goes to *buf, which the
 * caller frees after encoding.
 * @return 0, or the negative errno to answer with
 */
int coord_exec(struct coord *co, uint64_t client, const struct csv_msg *q,
	       struct csv_msg *rep, void **buf);

/** A dup of handle fh's fd in *fd (the caller closes). @return 0 or -EBADF */
int coord_fh_dup(struct coord *co, uint64_t fh, int *fd);

/** Was handle fh opened O_DIRECT (false for an unknown handle)? */
bool coord_fh_direct(struct coord *co, uint64_t fh);

/** Close every handle and lock of client id (a new incarnation said HELLO,
 * or its node was fenced). */
void coord_forget_client(struct coord *co, uint64_t client);

/** Close every handle and lock and forget every client (at exit). */
void coord_clear(struct coord *co);

/* coord-ops.c's helpers for coord-ns.c: path resolution beneath the mount
 * (negative errno or an fd the caller closes), attributes, handles. */
int coord_open_beneath(struct coord *co, const char *rel, int flags, mode_t mode);
int coord_node_fd(struct coord *co, const char *path);
int coord_parent_fd(struct coord *co, const char *path, const char **leaf);
void coord_proc_path(char *buf, size_t len, int fd);
int coord_stat_fd(int fd, struct csv_attr *a);
int coord_stat_at(int dirfd, const char *leaf, struct csv_attr *a);
/** Register fd (taken over, closed on failure) as client's handle; 0 on ENOMEM. */
uint64_t coord_fh_add(struct coord *co, int fd, int flags, uint64_t client);
/** O_TRUNC as a mover (leases recalled first); see coord_trunc_later. */
int coord_open_trunc(struct coord *co, int fd);
/** Strip O_TRUNC from *flags for coord_open_trunc (kept for read-only opens). */
bool coord_trunc_later(int *flags);

/* ---- coord-ns.c ---- */

/**
 * At start, after coord_grace_init: COORD_RESERVED/req, the probe of
 * RENAME_WHITEOUT and trusted xattrs (without them no records: R5), a
 * first prune, CSV_COORD_CRASH.
 * @return 0; -errno when the directory cannot be made (-EIO/-EROFS: lost)
 */
int coord_req_init(struct coord *co, uint64_t keep_ms);

/** Start the pruner thread (R6, every 10 s). */
void coord_req_start(struct coord *co);

/** One pass of R6 over COORD_RESERVED/req. */
void coord_req_prune(struct coord *co);

/** CREATE, MKDIR, MKNOD, SYMLINK (and LINK) of client. @return 0 or -errno */
int coord_ns_create(struct coord *co, uint64_t client, const struct csv_msg *q,
		    struct csv_msg *r);

/** UNLINK, RMDIR of client. @return 0 or -errno */
int coord_ns_remove(struct coord *co, uint64_t client, const struct csv_msg *q);

/** RENAME, LINK of client. @return 0 or -errno */
int coord_ns_two(struct coord *co, uint64_t client, const struct csv_msg *q,
		 struct csv_msg *r);

/** CSV_COORD_CRASH (test only): SIGKILL itself when q matches at point. */
void coord_crash(struct coord *co, int point, const struct csv_msg *q);

/* ---- coord-grace.c ---- */

/**
 * At start, after the mount: make COORD_RESERVED, read the fenced file and
 * the lock record, start the grace (G1).
 * @return 0 or -errno (the reserved directory cannot be made or opened)
 */
int coord_grace_init(struct coord *co);

/**
 * Gate of a LOCK or FLOCK request of client before it executes: waits
 * while the grace says so (G3), records the client before its first lock
 * (the write-ahead of the lock record).
 * @return 0 to execute; -ENOLCK (a refused reclaim, G2/G4); -EIO/-EROFS
 *         (the record could not be written: the volume is lost)
 */
int coord_lock_gate(struct coord *co, uint64_t client, const struct csv_msg *q);

/** A LOCK/FLOCK of client that takes a lock succeeded (it holds locks). */
void coord_lock_granted(struct coord *co, uint64_t client);

/** Would a LOCK/FLOCK request wait now (so it needs a thread of its own)? */
bool coord_lock_may_wait(struct coord *co, const struct csv_msg *q);

/** RECLAIM_DONE of client. @return 0 */
int coord_reclaim_done(struct coord *co, uint64_t client);

/** HELLO of node as client: G5's replacement. */
void coord_grace_hello(struct coord *co, const char *node, uint64_t client);

/** Is node fenced (per the fenced file)? */
bool coord_node_fenced(struct coord *co, const char *node);

/**
 * Every COORD_TICK_MS from the accept loop: the grace's bound, and the
 * fenced file (a newly fenced node's clients are released). Exits with
 * COORD_EXIT_LOST when the lock record cannot be written.
 */
void coord_tick(struct coord *co);

/* ---- coord-lease.c ---- */

/**
 * After coord_grace_init: the lease table; direct I/O offered when device
 * is a whole block device (its offsets are the LUN's). Reads the
 * COORD_RESERVED/direct marker (D6).
 * @return 0 or -errno
 */
int coord_lease_init(struct coord *co, const char *device);

/** MAP of client (a worker). @return 0 or -errno (reply fields in r) */
int coord_map(struct coord *co, uint64_t client, const struct csv_msg *q,
	      struct csv_msg *r, void **buf);

/** RETURN of client (the reader thread). @return 0 or -ENOENT */
int coord_return(struct coord *co, uint64_t client, uint64_t id);

/**
 * Before an operation that frees or moves blocks of the file open as fd:
 * recall its leases and wait until none is left (D4-D6). A no-op for
 * files that are not regular and without coord_lease_init.
 * @return 0 (call coord_move_end after the operation) or -errno
 */
int coord_move_begin(struct coord *co, int fd, struct coord_move *mv);
void coord_move_end(struct coord *co, struct coord_move *mv);

/** Is the file open as fd leased (D7: read around, write through)? */
bool coord_leased(struct coord *co, int fd);

/** From coord_tick: end expired leases (D5). */
void coord_lease_tick(struct coord *co);

/* ---- coord-serve.c ---- */


/**
 * Accept and serve connections on co->listenfd until *stop becomes true
 * (checked at least every 200 ms).
 * @return 0, or -errno when the listening socket fails
 */
int coord_serve(struct coord *co, volatile int *stop);

#endif
