/*
 * client.h - the CSV client: a libfuse3 filesystem (high-level API) at
 * /clusterstorage/volumeN that forwards every operation to the volume's
 * coordinator (redirected I/O, issue 14; DESIGN.md §8).
 *
 * Pieces:
 *   client-conn.c  the connection: connect + TLS + HELLO, a reader thread
 *                  matching replies to waiting callers by request id, and
 *                  reconnection with retry of every request in flight
 *   client-ops.c   the FUSE operations
 *   client-wb.c    write-behind: several WRITEs in flight (client-wb.h)
 *   client-direct.c  direct I/O on the LUN under leases (client-direct.h)
 *   client-main.c  arguments and fuse_main
 *
 * Liveness: the coordinator answers PING from its reader thread, not the
 * workers, so a busy coordinator still answers; a link cut without EOF is
 * noticed after CL_PING_MS * CL_PING_MISSES of silence.
 *
 * Reconnection: the first connection is made as soon as the mount is up
 * (cl_conn_start, from FUSE init), or by a request that comes first; after
 * a connection is lost a thread connects again at once, requests or not
 * (an idle client must reach a new coordinator to end its lock grace).
 *
 * Coordinator address: each (re)connect reads --coordinator-file (one
 * "ADDR:PORT" line, kept current by whoever places the coordinator) when
 * given, else tries the --coordinator addresses in turn.
 *
 * Retry contract (cl_call): a request whose connection breaks before its
 * reply arrives is sent again, with the same id and CSV_F_RETRY, on the
 * next connection, until it gets a reply or --timeout seconds passed since
 * it was first sent (then -EIO). Applications see a pause, not an error.
 * The same coordinator answers a retried non-idempotent request from its
 * reply cache (coord.h). A new coordinator (another epoch) has no cache
 * but the records the namespace operations leave on the volume
 * (lib/csv-reqrec.h R1-R8): it answers a retried create, mkdir, mknod,
 * symlink, link, unlink, rmdir or rename as its first attempt was answered
 * (done: success; never shown: executed now), so the client reports every
 * answer as it comes: a retry's EEXIST or ENOENT is real (R7). cl_call
 * still says when a request moved (*moved: a handle of the old coordinator
 * is reopened).
 *
 * Handles: every open file has a client handle (FUSE fi->fh) holding the
 * coordinator's handle and the epoch it belongs to; after a coordinator
 * change a handle is reopened by its current path (the high-level API
 * passes it to every operation) before use.
 *
 * Locks: byte-range and flock locks are held by the coordinator, and
 * remembered here: per (file, lock owner) the ranges and types
 * (lib/csv-lockset.h), per handle its flock. When a connection reaches a
 * coordinator of another epoch, a thread (cl_on_new_coordinator's
 * callback, client-ops.c) reopens every handle that carries locks and
 * reclaims them all (LOCK CSV_LK_RECLAIM, FLOCK CSV_FL_RECLAIM), then says
 * RECLAIM_DONE; the coordinator's grace period (lib/csv-grace.h) grants no
 * other lock meanwhile. A reclaim that is refused (the grace ended before
 * this client came back) loses that lock: logged at error level; the
 * application is not told (POSIX has no way to). A release is forgotten
 * here before it is sent, a lock remembered once granted, so a request
 * cut by the coordinator's change is never reclaimed for a lock the
 * application was not told it holds. Every F_GETLK is answered by the
 * coordinator (libfuse's own lock table is kept empty), and closing a file
 * unlocks, on the coordinator, the owners that locked through it (and
 * forgets them here): OFD locks (QEMU's image locks) end with their open
 * file, as locally.
 *
 * Page cache: files are opened with direct_io and attribute/entry caching
 * is off, so a node never reads data or sizes older than the coordinator's
 * (close-to-open and better).
 *
 * Writes (client-wb.h): a buffered write(2) (a handle opened without
 * O_DIRECT, O_SYNC, O_DSYNC) returns once its data is queued in the
 * write-behind window (CL_WB_BYTES, CL_WB_JOBS), and a pool of threads
 * sends the queued WRITEs, several in flight at once, each with the retry
 * contract above. Before an operation whose result depends on the data
 * the client waits for the writes queued before it: of the same file for
 * read, fsync/fdatasync, close (FLUSH), fallocate, lseek, fstat and
 * ftruncate; of every file for lock and flock requests (what was written
 * under a lock is on the coordinator before the unlock), open, create,
 * rename, link, getattr/truncate/chmod/chown/utimens by path. So fsync
 * still returns only once the data is durable on the LUN, this node reads
 * its own writes, and another node sees them after this node's close,
 * fsync or unlock (close-to-open, and NFS's locking rule); data written
 * and not yet closed, synced or unlocked may reach other nodes a moment
 * later than the write returned. A write behind that fails (ENOSPC, the
 * timeout's EIO) is reported by the next fsync or close of its file, as a
 * local filesystem reports a writeback error (NFS's semantics for
 * buffered writes). Handles opened O_DIRECT write through, as before: the
 * data is on the coordinator, for every node, when write(2) returns (what
 * a disk gives, and what shared-disk users such as lease managers rely
 * on; QEMU's cache=none images); O_SYNC/O_DSYNC handles write through too,
 * their write returning when the data is durable.
 */
#ifndef CLUSTERD_CSV_CLIENT_H
#define CLUSTERD_CSV_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "csv-proto.h"

#define CL_MAX_COORDS		8
#define CL_CONNECT_MS		2000
/* Liveness: a connection silent for CL_PING_MS gets a PING; after
 * CL_PING_MISSES silent periods in a row it is taken for dead. */
#define CL_PING_MS		1000
#define CL_PING_MISSES		4
/* A node the coordinator refuses at HELLO (fenced until readmitted, or
 * another cluster's key) tries again this often; requests meanwhile fail
 * at once with EIO, as I/O of a fenced node fails on the LUN. */
#define CL_REFUSED_RETRY_MS	1000

struct cl_opts {
	const char *volume;
	const char *node;
	const char *coords[CL_MAX_COORDS];
	int ncoords;
	const char *coord_file;
	const char *authkey;
	int timeout_s;		/* give up on a request after this long */
	/* direct I/O (client-direct.h); lun NULL: redirected only */
	const char *lun;	/* --lun iscsi://... */
	uint32_t node_id;	/* --node-id: the key's node id (lib/pr.h) */
	const char *status_file;	/* --status-file: "direct" / "redirected: ..." */
};

/** Start the connection machinery (no connection is made yet). */
int cl_conn_init(const struct cl_opts *o);
/**
 * Connect now, in the background (the reconnector thread: a try every
 * 100 ms until connected), so a mount nothing has used yet is connected
 * too: `clusterctl csv show` then says "reconnecting" only for a client
 * that lost its coordinator, and the first request pays no handshake.
 * Call once the mount is up (FUSE init); requests connect by themselves
 * anyway.
 */
void cl_conn_start(void);

/**
 * Send req (op and fields set; id and flags are set here) and wait for its
 * reply, across reconnects (see the retry contract).
 * @param rep    out: the decoded reply; its data points into *frame
 * @param frame  out: the reply frame, which the caller frees (also on error)
 * @param moved  out (may be NULL): the request was retried on another
 *               coordinator than the one it was first sent to
 * @return the reply's status (0 or -errno), -EIO after the timeout
 */
int cl_call(struct csv_msg *req, struct csv_msg *rep, void **frame, bool *moved);

/**
 * cl_call, and sent(arg) once, on the calling thread, as soon as the
 * request's first send returned (or it fails without one): requests of a
 * caller that waits for sent before sending the next reach the
 * coordinator in that order (write-behind, client-wb.h).
 */
int cl_call_ex(struct csv_msg *req, struct csv_msg *rep, void **frame, bool *moved,
	       void (*sent)(void *arg), void *arg);

/**
 * Run fn(epoch), on a thread of its own, whenever a connection is made to
 * a coordinator whose epoch differs from the previous connection's (not on
 * the first connection). fn may call cl_call.
 */
void cl_on_new_coordinator(void (*fn)(uint64_t epoch));

/**
 * Run fn(m), on the connection's reader thread, for every message the
 * coordinator pushes (CSV_F_PUSH: lease recalls). fn must not block.
 */
void cl_on_push(void (*fn)(const struct csv_msg *m));

/** The capabilities the coordinator of the current connection granted (0: none). */
uint64_t cl_caps(void);

/** The epoch of the coordinator of the current connection (0: none). */
uint64_t cl_epoch(void);

/** Connection state for status: "connected", "reconnecting", "down". */
const char *cl_state(void);

/** The FUSE operations (client-ops.c). */
struct fuse_operations;
extern const struct fuse_operations cl_ops;

#endif
