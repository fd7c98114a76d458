/*
 * csv-dlease.h - direct-I/O leases of a cluster shared volume (issue 15):
 * which client may read and overwrite which file's blocks straight on the
 * LUN, and when the coordinator may move or free blocks. Pure code: no
 * I/O, no clock (times are passed in, CLOCK_MONOTONIC ms of the side that
 * decides), no allocation; the coordinator (csv/coord-lease.c) and the
 * client (csv/client-direct.c) call it under their own locks.
 *
 * A lease is granted with a file's extent map (CSV_OP_MAP: the written,
 * allocated extents after FIEMAP_FLAG_SYNC). While it lasts the client may
 * READ the mapped bytes and OVERWRITE them on the LUN through its own
 * iSCSI session (registered under its node's key); everything else of the
 * file goes to the coordinator as in redirected I/O.
 *
 * Coordinator rules (struct csv_dl_tab):
 *  D1 A grant is refused (-EBUSY) while an operation that moves or frees
 *     blocks of that file is waiting or running (a "mover"): the client
 *     stays redirected for the file and asks again later (C6).
 *  D2 A MAP naming an earlier lease of the same client (a renewal) ends
 *     that lease and grants a new one; a lease of another client cannot be
 *     renewed (-ENOENT). Every grant lasts the table's duration from the
 *     coordinator's clock at the grant.
 *  D3 RETURN ends a lease, only from the client that holds it (-ENOENT
 *     otherwise); the client returns a lease once its direct I/O on the
 *     file has drained (C4).
 *  D4 A mover (truncate, O_TRUNC, punch/collapse/zero/insert range) runs
 *     only when the file has no lease left: each lease not recalled yet is
 *     recalled (CSV_OP_RECALL pushed to its client) and the mover waits
 *     for the returns (D3) or the expiries (D5), whichever comes first.
 *  D5 A lease not returned ends at its expiry; a client that does not
 *     answer (dead, cut off, fenced) is waited for until then: its own
 *     clock stopped its direct I/O before (C1).
 *  D6 A coordinator that has just started knows nothing of its
 *     predecessor's leases: for one lease duration from its start every
 *     mover waits (as a grace period), so a lease granted before the
 *     change has run out before any block moves.
 *  D7 Coherence: while a file has a lease (recalled or not) the
 *     coordinator's own reads of it drop its page cache first and its
 *     writes are written through and dropped (a client may have written
 *     the blocks behind its cache); when the last lease of a file ends its
 *     cache is dropped once more.
 *  D8 A client that is replaced (new incarnation) or fenced keeps its
 *     leases until they are returned or expire (D5): its I/O may still be
 *     in flight. The lease holds the file open on the coordinator, so an
 *     unlink or a rename over it frees no block while it lasts.
 *
 * Client rules:
 *  C1 A lease is usable while now + CSV_DL_MARGIN_MS < sent + duration,
 *     `sent` being the client's clock before it sent the MAP (so the
 *     client's lease ends before the coordinator's); the margin is longer
 *     than a direct I/O command's deadline, so a command issued while
 *     usable ends before the coordinator's expiry.
 *  C2 A usable lease is renewed (MAP with its id) once half its duration
 *     passed.
 *  C3 A request goes direct only when its offset and length are multiples
 *     of CSV_DL_SECTOR and every byte lies in the map (csv_dl_map_run);
 *     the map covers written extents inside the file's size at the grant,
 *     so a direct write never allocates, converts or extends.
 *  C4 On RECALL the client stops new direct I/O on that lease, waits for
 *     the I/O in flight, then RETURNs it.
 *  C5 A direct I/O that fails (link down, reservation conflict or
 *     preempted, LUN error) is done again through the coordinator, every
 *     lease of the volume is returned, and the volume is "redirected:
 *     REASON" until CSV_DL_RETRY_MS passed (then a new session and key).
 *  C6 A handle whose MAP was refused or whose lease was recalled or lost
 *     asks again no sooner than CSV_DL_REMAP_MS later.
 *  C7 Times: the coordinator does not see a direct write, so the client
 *     sets the file's mtime (and with it ctime) to now through the
 *     coordinator (UTIMENS, atime omitted) after the handle's first direct
 *     write, then at most every CSV_DL_TIMES_MS while it writes directly,
 *     and always before its fsync and its close when it wrote directly
 *     since the last update: a backup or an rsync that compares times sees
 *     a file written only on the LUN as changed.
 */
#ifndef CLUSTERD_CSV_DLEASE_H
#define CLUSTERD_CSV_DLEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv-proto.h"

#define CSV_DL_DURATION_MS	10000	/* a lease's length (coordinator default) */
#define CSV_DL_MARGIN_MS	3000	/* C1 */
#define CSV_DL_IO_TIMEOUT_MS	2000	/* a direct command's deadline (< margin) */
#define CSV_DL_RETRY_MS		5000	/* C5 */
#define CSV_DL_REMAP_MS		1000	/* C6 */
#define CSV_DL_TIMES_MS		5000	/* C7 */
#define CSV_DL_SECTOR		512
#define CSV_DL_MAX		256	/* leases a coordinator holds at once */
#define CSV_DL_MAX_MOVERS	64	/* movers waiting or running at once */

struct csv_dl {
	uint64_t id;		/* 0: free slot */
	uint64_t client;
	uint64_t dev, ino;	/* the file */
	uint64_t expiry_ms;	/* coordinator's clock */
	bool recalled;
	int fd;			/* the caller's (holds the file open); opaque here */
};

struct csv_dl_tab {
	struct csv_dl l[CSV_DL_MAX];
	struct {
		uint64_t dev, ino;
		unsigned n;	/* 0: free slot */
	} movers[CSV_DL_MAX_MOVERS];
	uint64_t next_id;
	uint64_t start_ms;	/* D6 */
	uint64_t dur_ms;
};

/** Empty table; ids start above id_base (e.g. the epoch's low bits). */
void csv_dl_init(struct csv_dl_tab *t, uint64_t now, uint64_t dur_ms, uint64_t id_base);

/**
 * D1, D2: grant client a lease on file (dev, ino), holding fd.
 * @param renew  0, or the client's lease to replace; its fd is put in
 *               *old_fd (-1 when none) for the caller to close
 * @return 0 with *id; -EBUSY (D1), -ENOENT (renew of a lease that is not
 *         the client's), -ENOSPC (table full)
 */
int csv_dl_grant(struct csv_dl_tab *t, uint64_t client, uint64_t dev, uint64_t ino,
		 uint64_t now, int fd, uint64_t renew, uint64_t *id, int *old_fd);

/**
 * D3: client returns lease id.
 * @return 0 with *fd (the lease's, to close) and *last (the file has no
 *         lease left: drop its cache, D7); -ENOENT
 */
int csv_dl_return(struct csv_dl_tab *t, uint64_t id, uint64_t client, int *fd,
		  bool *last);

/** D1: a mover of (dev, ino) begins. @return 0 or -ENOSPC */
int csv_dl_move_begin(struct csv_dl_tab *t, uint64_t dev, uint64_t ino);

/** The mover of (dev, ino) ended (whether it ran or gave up). */
void csv_dl_move_end(struct csv_dl_tab *t, uint64_t dev, uint64_t ino);

/**
 * D4, D6: may the mover of (dev, ino) run now?
 * @param recall   out: ids of leases to recall now (marked recalled here,
 *                 so each is listed once); at most max
 * @param nrecall  out: how many
 * @param until    out (when waiting): when to look again at the latest
 *                 (the last expiry, or the end of D6's wait)
 * @return true to run; false to wait (for a return, an expiry, *until)
 */
bool csv_dl_move_check(struct csv_dl_tab *t, uint64_t dev, uint64_t ino, uint64_t now,
		       uint64_t *recall, size_t max, size_t *nrecall, uint64_t *until);

/** The client that holds lease id (0: none), for sending its recall. */
uint64_t csv_dl_holder(const struct csv_dl_tab *t, uint64_t id);

/**
 * D5: end the leases expired at now.
 * @param out  their entries (fd, dev, ino for D7's drop), at most max
 * @return how many ended (call again when it equals max)
 */
size_t csv_dl_expire(struct csv_dl_tab *t, uint64_t now, struct csv_dl *out, size_t max);

/** D7: has (dev, ino) a lease (recalled or not)? */
bool csv_dl_leased(const struct csv_dl_tab *t, uint64_t dev, uint64_t ino);

/** Leases in the table. */
size_t csv_dl_count(const struct csv_dl_tab *t);

/* ---- the client's side ---- */

/** C1: is a lease of dur_ms, asked for at sent (client clock), usable at now? */
bool csv_dl_usable(uint64_t sent, uint64_t dur_ms, uint64_t now);

/** C2: is its renewal due? */
bool csv_dl_renew_due(uint64_t sent, uint64_t dur_ms, uint64_t now);

/**
 * C7: are a handle's file times due for an update at now?
 * @param wrote  direct writes since the last update (or since the open)
 * @param last   when the last update was sent (0: none yet)
 * @param force  before an fsync or the close
 */
bool csv_dl_times_due(bool wrote, uint64_t last, uint64_t now, bool force);

/**
 * C3: of the map (n extents, sorted by logical offset, not overlapping),
 * how many bytes from file offset off are mapped contiguously on the
 * device, starting at device offset *phys.
 * @return the run's length (0: off is not mapped)
 */
uint64_t csv_dl_map_run(const struct csv_extent *map, size_t n, uint64_t off,
			uint64_t *phys);

/** C3: may [off, off + len) go direct (aligned, every byte mapped)? */
bool csv_dl_direct_ok(const struct csv_extent *map, size_t n, uint64_t off, uint64_t len);

/**
 * Sort a map from the wire by logical offset and check that no two
 * extents overlap in the file.
 * @return 0 or -EINVAL
 */
int csv_dl_map_check(struct csv_extent *map, size_t n);

#endif
