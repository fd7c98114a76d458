/*
 * csv-grace.h - the lock grace period of a new CSV coordinator (issue 14
 * item 3, csv/README.md): byte-range and flock locks survive a coordinator
 * change because the clients hold them again (reclaim), as NFSv4 does.
 * Pure code: no I/O, no clock (callers pass now, CLOCK_MONOTONIC ms), no
 * locking (the coordinator calls it under its own mutex).
 *
 * What it rests on (csv/coord-record.c): before a coordinator grants a
 * client its first lock, it records that client (id and node) in the
 * volume's lock record, a reserved file on the volume, synced. So every
 * client that can hold a lock granted by any earlier coordinator is in the
 * record a new coordinator reads: the expected clients.
 *
 * Rules:
 *  G1. A coordinator starts in grace when the lock record names at least
 *      one expected client whose node is not fenced; otherwise it starts
 *      out of grace (no lock can be waiting to be reclaimed).
 *  G2. In grace, a reclaim (LOCK CSV_LK_RECLAIM, FLOCK CSV_FL_RECLAIM) from
 *      an expected client that has not said RECLAIM_DONE goes ahead (it
 *      was consistent with every other expected client's locks under the
 *      old coordinator); a reclaim from any other client is refused.
 *  G3. In grace, a request that could take a lock or report one (LOCK
 *      GET/SET/SETW, FLOCK shared/exclusive) waits for the grace to end: a
 *      lock that a client still has to reclaim must not be granted to
 *      another one, nor reported free. Releases (type UN) go ahead: they
 *      cannot conflict with anything.
 *  G4. Out of grace, every reclaim is refused (ENOLCK: what it covered may
 *      have been granted to another client since); everything else goes
 *      ahead.
 *  G5. The grace ends, for good, at the first of: every expected client
 *      said RECLAIM_DONE, or was replaced (its node said HELLO with
 *      another client id: the process that held its locks is gone, and its
 *      FUSE mount with it), or its node was fenced (fencing is what ends a
 *      dead node's locks, issue 14 item 3); or the bound passed (now >=
 *      start + bound_ms), for an expected client that never comes back
 *      without its node being fenced (a client that crashed and was not
 *      restarted, a planned move with a node gone quiet).
 *  G6. The expected set is at most CSV_GRACE_MAX clients; a record with
 *      more is cut there by the reader (csv_grace_start takes what it is
 *      given), and the bound still ends the grace.
 */
#ifndef CLUSTERD_CSV_GRACE_H
#define CLUSTERD_CSV_GRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv-proto.h"

#define CSV_GRACE_MAX		256
#define CSV_GRACE_DEFAULT_MS	15000	/* csv-coord --grace-ms */

/** What a lock request is, for the grace rules. */
enum csv_grace_kind {
	CSV_GK_RECLAIM,		/* LOCK CSV_LK_RECLAIM, FLOCK CSV_FL_RECLAIM */
	CSV_GK_TAKE,		/* LOCK GET/SET/SETW of RD/WR, FLOCK RD/WR */
	CSV_GK_RELEASE,		/* type CSV_LK_UN */
};

enum csv_grace_verdict {
	CSV_GV_GO,		/* execute now */
	CSV_GV_WAIT,		/* ask again when the grace ended (G3) */
	CSV_GV_REFUSE,		/* answer -ENOLCK (G2, G4) */
};

struct csv_grace_client {
	uint64_t id;
	char node[CSV_NAME_MAX + 1];
	bool done;		/* said RECLAIM_DONE, replaced or fenced */
};

struct csv_grace {
	bool active;
	uint64_t end_ms;	/* the bound */
	size_t n;
	struct csv_grace_client c[CSV_GRACE_MAX];
};

/**
 * Start (G1): expected clients (n of them, at most CSV_GRACE_MAX are
 * taken), fenced: a NULL-terminated list of fenced node names (may be NULL).
 * @return whether the coordinator is in grace
 */
bool csv_grace_start(struct csv_grace *g, uint64_t now, uint64_t bound_ms,
		     const struct csv_grace_client *expected, size_t n,
		     const char *const *fenced);

/** The verdict for a lock request of client (G2-G4; G5's bound first). */
enum csv_grace_verdict csv_grace_admit(struct csv_grace *g, uint64_t now,
				       enum csv_grace_kind kind, uint64_t client);

/**
 * Client said RECLAIM_DONE (G5).
 * @return true when this ended the grace
 */
bool csv_grace_done(struct csv_grace *g, uint64_t now, uint64_t client);

/**
 * Node said HELLO as client (G5: its other expected ids are replaced).
 * @return true when this ended the grace
 */
bool csv_grace_hello(struct csv_grace *g, uint64_t now, const char *node, uint64_t client);

/**
 * Node was fenced (G5).
 * @return true when this ended the grace
 */
bool csv_grace_fenced(struct csv_grace *g, uint64_t now, const char *node);

/**
 * The bound (G5), for a timer.
 * @return true when this ended the grace
 */
bool csv_grace_tick(struct csv_grace *g, uint64_t now);

/** Is client one of the expected clients (still reclaiming or not)? */
bool csv_grace_expected(const struct csv_grace *g, uint64_t client);

#endif
