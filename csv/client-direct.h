/*
 * client-direct.h - the CSV client's direct I/O (issue 15): reads and
 * overwrites of a file's mapped blocks straight on the LUN, through this
 * process's own iSCSI sessions, under a lease from the coordinator
 * (lib/csv-dlease.h C1-C6; coordinator side csv/coord-lease.c).
 *
 * Scope: handles opened O_DIRECT (QEMU's cache=none, fio --direct=1) of
 * regular files, when csv-client runs with --lun (and --node-id). Other
 * handles, and every request of such a handle that is not a sector-aligned
 * read or overwrite of mapped bytes, go to the coordinator as before
 * (redirected). A buffered handle is unchanged.
 *
 * Sessions: up to CL_DIRECT_SESSIONS libiscsi sessions (lib/pr.h), made
 * as the direct I/O in flight needs them (libiscsi's calls here are
 * synchronous: one command per session at a time, so the count bounds the
 * node's direct queue depth), each
 * REGISTERed with this node's key cd_pr_key(node id, incarnation), made
 * when a lease was granted (a coordinator admits the node: it is not
 * fenced) and a new incarnation each time they are made again, so a key
 * that was preempted (fenced, or by the next coordinator's disk holder
 * taking the LUN) is never registered again; sessions given up (after a
 * failure, at exit) unregister their key when they still can, so keys do
 * not pile up on the target (a killed client's stay until the next disk
 * holder preempts them). Under the volume's WERO
 * reservation only registrants write: preempting the node's key stops its
 * direct writes.
 *
 * Threads: FUSE threads call cl_direct_read/write/fsync; a recall pushed
 * by the coordinator (reader thread) is handled on a thread of its own,
 * which waits for the handle's direct I/O in flight (a writer-preferring
 * rwlock) and RETURNs the lease. Failures (C5) return every lease from a
 * thread of their own.
 *
 * Durability: a direct write is remembered with the handle's redirected
 * ones (client-ops.c's unsynced copy, in order) until an fsync made it
 * stable: SYNCHRONIZE CACHE on a session, then the coordinator's FSYNC.
 * When the SYNCHRONIZE CACHE fails (the path is gone) the handle's
 * unsynced writes are written again through the coordinator before its
 * FSYNC, and a new coordinator gets them replayed as before: nothing
 * acknowledged is lost, and a replay keeps the writes' order.
 *
 * State (cl_direct_state, and --status-file rewritten on change):
 * "direct", or "redirected: REASON" (no --lun, the coordinator offers no
 * direct I/O, the last failure: "link: connection lost", "reservation
 * conflict", ...). After a failure direct I/O is tried again after
 * CSV_DL_RETRY_MS.
 */
#ifndef CLUSTERD_CSV_CLIENT_DIRECT_H
#define CLUSTERD_CSV_CLIENT_DIRECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Every session is a registration on the LUN: 64 nodes (CD_MAX_NODES) x 16
 * plus the holders' and fence keys stay under the 2048 registrations that
 * clusterd's fence and the disk agent's take read at once. 16: a QD16
 * workload (a VM's queue, fio --iodepth 16) has every request on the wire;
 * bench/csv QD16 with 8 vs 16 (one run each, same load): random write
 * 0.60 -> 0.68 of raw, random read 0.78 -> 0.89. */
#define CL_DIRECT_SESSIONS	16

/* A handle's lease; opaque, one per O_DIRECT handle (NULL otherwise). */
struct cl_dlease;

/**
 * Start: the options' --lun (parsed here), --node-id, --status-file.
 * @return 0 (direct I/O configured or not), -EINVAL (bad URL or node id)
 */
int cl_direct_init(const struct cl_opts *o);

/** A lease slot for a handle opened with flags (NULL: not for direct I/O). */
struct cl_dlease *cl_direct_new(uint32_t flags);

/** Return the lease (if any) and free (at RELEASE). */
void cl_direct_free(struct cl_dlease *d);

/* fh(arg, &err): the handle's coordinator handle (reopened if needed). */
struct cl_direct_ops {
	uint64_t (*fh)(void *arg, int *err);
	void *arg;
};

/**
 * Read or write [off, off + len) directly when C1-C3 allow it.
 * @return the bytes done (len), or -EAGAIN: do it through the coordinator
 *         (not mapped, no lease, redirected, or the direct I/O failed: C5)
 */
int cl_direct_read(struct cl_dlease *d, const struct cl_direct_ops *ops, char *buf,
		   size_t len, uint64_t off);
int cl_direct_write(struct cl_dlease *d, const struct cl_direct_ops *ops, const char *buf,
		    size_t len, uint64_t off);

/**
 * fsync of a handle: SYNCHRONIZE CACHE on the sessions when it wrote
 * directly since its last fsync. @return 0 or -EIO
 */
int cl_direct_fsync(struct cl_dlease *d);

/**
 * C7 (lib/csv-dlease.h): are the file's times due for an update (the
 * caller sends UTIMENS, atime omitted, mtime now, through the
 * coordinator)? force: before an fsync or the close. A true answer clears
 * the handle's mark; cl_direct_times_failed sets it again when the update
 * failed (so a later one is made). NULL d: false.
 */
bool cl_direct_times_due(struct cl_dlease *d, bool force);
void cl_direct_times_failed(struct cl_dlease *d);

/** At exit (after unmount): unregister the sessions' keys and log out. */
void cl_direct_shutdown(void);

/** "direct" or "redirected: REASON" into buf. */
void cl_direct_state(char *buf, size_t len);

#endif
