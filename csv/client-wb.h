/*
 * client-wb.h - the CSV client's write-behind (client-wb.c): several
 * WRITE requests in flight per client, so that one writer (a sequential
 * copy, QEMU saving a guest's state, the kernel's per-file serialised
 * direct-I/O writes) is not bound by one round trip to the coordinator per
 * write.
 *
 * Contract:
 *   - cl_wb_submit copies the data, queues the write and returns once it
 *     is queued; the application's write(2) then returns. A pool of
 *     CL_WB_THREADS threads sends the queued writes (each through cl_call,
 *     so with the usual retry across reconnects and coordinator changes)
 *     and calls the done callback with the result, on that thread.
 *   - Window: at most CL_WB_BYTES bytes and CL_WB_JOBS writes queued or in
 *     flight; a submit beyond that waits.
 *   - Coalescing: a write that continues the last queued write of its
 *     handle, while that one is not being sent yet, joins it (up to
 *     CL_WB_COALESCE bytes, or the first write's size when larger): under
 *     back-pressure small sequential writes go as fewer, larger requests.
 *   - Order: the writes of one handle are sent in the order they were
 *     submitted: a job's run waits until every earlier job of its handle
 *     called cl_wb_sent (run calls it once its request is on the wire,
 *     cl_call_ex's sent callback; the pool calls it after run otherwise).
 *     The coordinator executes the WRITEs of one handle in the order they
 *     arrive (coord.h), so a reader on another node sees a file that one
 *     handle writes sequentially grow as a prefix, never with a hole a
 *     later write skipped (the streamed restore of a quick migration
 *     follows the state file so). Not across a reconnect: the writes in
 *     flight are then sent again each by its thread, in any order.
 *     A write that overlaps a queued or in-flight write of the same file
 *     (ino), through any handle, waits until that one is done before it is
 *     queued.
 *   - Drains: cl_wb_drain_ino / _handle / _all return when every write
 *     submitted before the call (of that file / handle / any) is done. The
 *     caller (client-ops.c) drains before every operation whose result
 *     depends on the data: a read, fsync, flush (close), lock, truncate,
 *     getattr, open, chmod/chown/utimens, fallocate, lseek, release.
 *     Writes submitted meanwhile by other threads are not waited for.
 *   - Errors: the done callback records a failed write; client-ops.c
 *     reports it on the next fsync or close (flush) of the file, as a
 *     local filesystem reports a writeback error.
 *
 * Threads: the pool is started by cl_wb_init; jobs never block each other
 * (a job waits only for its reply).
 */
#ifndef CLUSTERD_CSV_CLIENT_WB_H
#define CLUSTERD_CSV_CLIENT_WB_H

#include <stdint.h>

#define CL_WB_THREADS	8
#define CL_WB_JOBS	32
#define CL_WB_BYTES	(8u << 20)
#define CL_WB_COALESCE	(256u << 10)	/* small writes join up to this */

struct cl_wb_job {
	void *h;		/* the client handle (client-ops.c) */
	uint64_t ino;		/* the coordinator's inode number of its file */
	uint64_t off;
	uint32_t len;
	uint64_t seq;		/* submission order */
	char *path;		/* as the write named it (reopen after a change) */
	struct cl_wb_job *next;
	char data[];
};

/**
 * Start the pool. run executes a job (sends the WRITE, returns the bytes
 * written or -errno); done gets the job and run's result after it, before
 * the job counts as done for drains.
 * @return 0 or -errno (a thread could not start)
 */
int cl_wb_init(int (*run)(struct cl_wb_job *j), void (*done)(struct cl_wb_job *j, int rc));

/**
 * Queue a write of len bytes at off to handle h of file ino, named path.
 * @return 0 (queued), -ENOMEM
 */
int cl_wb_submit(void *h, uint64_t ino, const char *path, uint64_t off, const void *data,
		 uint32_t len);

/** run's request for j is on the wire: the next job of its handle may go. */
void cl_wb_sent(struct cl_wb_job *j);

/** Wait for the writes of file ino submitted before this call. */
void cl_wb_drain_ino(uint64_t ino);

/** Wait for the writes through handle h submitted before this call. */
void cl_wb_drain_handle(const void *h);

/** Wait for every write submitted before this call. */
void cl_wb_drain_all(void);

#endif
