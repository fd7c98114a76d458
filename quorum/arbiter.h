/*
 * arbiter.h - the witness arbitration as pure code: which partition gets
 * the witness vote (node and disk majority, docs/ARCHITECTURE.md §5).
 *
 * Observations in (the ring membership, what one round of disk reads saw:
 * the reservation, our key, the heartbeat block and when it last changed,
 * the monotonic clock), a verdict and the one PR action to take out. No I/O,
 * no clock, no globals: quorum/wdisk-worker.c reads the disk, calls
 * cd_arb_decide(), performs the action and reports the outcome through
 * cd_arb_after_*(); quorum/qdevice.c casts the vote. tests/unit/
 * test_arbiter.c checks every rule with a table and a randomized run of
 * the whole protocol against a simulated LUN.
 *
 * The result travels through the disk, not through CPG (CPG sends are
 * refused while votequorum holds its sync): every node reads the
 * reservation, the keys and the heartbeat block itself and decides at once.
 * The partition M is the ring membership; its leader is the lowest id. The
 * holder H is the node of the WERO reservation's key (0: a key that does
 * not decode). Times are CLOCK_MONOTONIC milliseconds.
 *
 * Rules of a round (cd_arb_decide), first match wins:
 *   A1  A partition that cannot reach quorum even with the witness vote
 *       (cd_arb_can_win) gives the witness up: GIVE_UP (the holder writes a
 *       "released" heartbeat, owner 0; whoever has a key unregisters it,
 *       which releases the reservation) and loses.
 *   A2  We hold the reservation: HOLD (remove the keys of nodes outside M,
 *       then renew the heartbeat); we win while the write succeeds.
 *   A3  The reservation is our own node's key from an earlier process and
 *       we lead M: PREEMPT it (take it over).
 *   A4  H is in M and its heartbeat is fresh (H wrote it, and we saw it
 *       change less than CD_ARB_VALID_MS after the read before): win, valid
 *       until that read's issue + CD_ARB_VALID_MS.
 *   A5  H is in M, its heartbeat is stale (unchanged for CD_ARB_LEASE_MS)
 *       and we lead M: PREEMPT H's key.
 *   A6  H is in M otherwise: pending (wait for its heartbeat).
 *   A7  H is outside M and its heartbeat is not stale: lose at once. A live
 *       holder is never challenged, so two live partitions never race.
 *   A8  H is outside M, its heartbeat is stale and we lead M: PREEMPT H's
 *       key (the holder is dead).
 *   A9  H is outside M, stale, and we do not lead M: pending (our leader
 *       takes over).
 *   A10 No reservation (released, or the target forgot it), and the
 *       heartbeat is fresh and written by a node outside M: lose (that
 *       partition reserves again first).
 *   A11 No reservation otherwise and we lead M: RESERVE.
 *   A12 No reservation otherwise: pending (our leader reserves).
 *
 * Rules of the outcome:
 *   B1  HOLD removes a key when it is not ours and its node is outside M,
 *       does not decode, or is our node (an orphan of an earlier session)
 *       (cd_arb_outsider).
 *   B2  HOLD wins when the heartbeat write succeeded, valid until the
 *       write's issue + CD_ARB_VALID_MS; a failed write fails the round
 *       (cast 0, retry) while we still have a key, and loses when our key
 *       was preempted meanwhile (cd_arb_after_hold).
 *   B3  PREEMPT/RESERVE that succeed go on with HOLD; a reservation
 *       conflict, or our key preempted meanwhile, loses (another partition
 *       was first: the target serialises contenders); any other error
 *       fails the round (cd_arb_after_acquire).
 *   B4  I/O errors before a decision (no session, reads fail) fail the
 *       round: cast 0, status "failed"; the node majority still applies.
 *
 * Rules of the vote (quorum/qdevice.c):
 *   V1  A won vote is cast only until its valid_ms: the loop stops casting
 *       when no newer result renewed it by then (a node whose witness I/O
 *       hangs stops casting), and drops a result that arrives after it.
 *       CD_ARB_VALID_MS + a re-check < CD_ARB_LEASE_MS, so the old
 *       holder's partition has stopped casting before anyone takes over.
 *   V2  On a new ring nothing is cast until the round for that ring
 *       decided, at most 3/4 of quorum.device.sync_timeout; then 0.
 *   V3  A vote votequorum counts but this node does not cast for the
 *       current ring does not count (lib/membership.h
 *       cd_quorum_without_unbacked_vote).
 *
 * Rule of the state copy (amnesia):
 *   C1  At start-up, before the device registers, the witness copy is
 *       adopted when it is valid, of our cluster (or we have no cluster
 *       uuid yet) and of a newer generation than ours (cd_arb_copy).
 */
#ifndef CLUSTERD_QUORUM_ARBITER_H
#define CLUSTERD_QUORUM_ARBITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_ARB_HB_MS		150	/* the holder's heartbeat period */
#define CD_ARB_CHECK_MS		250	/* everyone else's re-check period (> HB) */
#define CD_ARB_VALID_MS		800	/* a vote is valid this long after its evidence */
#define CD_ARB_LEASE_MS		1500	/* heartbeat unchanged this long: holder dead */
#define CD_ARB_PENDING_MS	20	/* re-check while waiting for our leader */
#define CD_ARB_MAX_MEMBERS	64

enum cd_arb_verdict {
	CD_ARB_NONE,		/* witness not in use */
	CD_ARB_PENDING,		/* undecided: re-check soon */
	CD_ARB_WIN,		/* cast the vote until valid_ms */
	CD_ARB_LOSE,		/* cast 0 */
	CD_ARB_FAILED,		/* witness unreachable: cast 0 */
};

enum cd_arb_action {
	CD_ARB_NOTHING,
	CD_ARB_GIVE_UP,		/* A1 */
	CD_ARB_HOLD,		/* A2 */
	CD_ARB_PREEMPT,		/* A3, A5, A8: take over the reservation's key */
	CD_ARB_RESERVE,		/* A11 */
};

/** What a round saw (all borrowed; members has n entries). */
struct cd_arb_obs {
	uint32_t local;			/* this node */
	const uint32_t *members;	/* the ring membership M */
	size_t n;
	bool can_win;			/* cd_arb_can_win() */
	bool res_present;		/* a WERO reservation exists */
	uint32_t holder;		/* its key's node (0: does not decode) */
	bool i_hold;			/* the reservation is our registered key */
	bool hb_ok;			/* the heartbeat block decoded */
	uint32_t hb_owner;		/* its owner (0: released) */
	uint64_t now_ms;
	uint64_t hb_changed_ms;		/* when we last saw the block change */
	uint64_t hb_evidence_ms;	/* that change was written after this */
};

struct cd_arb_decision {
	enum cd_arb_verdict v;		/* HOLD, PREEMPT, RESERVE: by B2/B3 */
	enum cd_arb_action act;
	int rule;			/* the A-rule that matched (1..12) */
	uint32_t leader;		/* lowest id of M */
	uint64_t valid_ms;		/* CD_ARB_WIN (A4): cast until then */
	char detail[160];		/* for status and the log */
};

/** Whether a partition of n nodes can reach quorum with the device's
 *  votes (quorum 0: unknown, assume it can). */
bool cd_arb_can_win(size_t n, uint32_t qdevice_votes, uint32_t quorum);

/** Rules A1-A12. */
void cd_arb_decide(const struct cd_arb_obs *o, struct cd_arb_decision *out);

/** B1: should HOLD remove this key (key_node: its node, 0 if it does not
 *  decode; mine: it is our registered key)? */
bool cd_arb_outsider(const struct cd_arb_obs *o, uint32_t key_node, bool mine);

/** B2: the verdict of HOLD. write_ok: the heartbeat write succeeded;
 *  have_key: we still have a registered key. */
enum cd_arb_verdict cd_arb_after_hold(bool write_ok, bool have_key);

/** B3: the verdict after PREEMPT/RESERVE when it did not succeed
 *  (conflict: a reservation conflict; have_key as above). */
enum cd_arb_verdict cd_arb_after_acquire(bool conflict, bool have_key);

/** How long the worker waits before the next round (ms). */
int cd_arb_period(enum cd_arb_verdict v, bool holding);

enum cd_arb_copy {
	CD_ARB_COPY_NONE,	/* no valid copy on the witness */
	CD_ARB_COPY_FOREIGN,	/* another cluster's copy: ignored */
	CD_ARB_COPY_OLD,	/* not newer than ours */
	CD_ARB_COPY_ADOPT,	/* C1: adopt it */
};

/** C1. our_uuid "" : no cluster yet; have: a valid copy was read. */
enum cd_arb_copy cd_arb_copy(bool have, const char *copy_uuid, uint64_t copy_gen,
			     const char *our_uuid, uint64_t our_gen);

/** "none", "pending", "won", "lost", "failed". */
const char *cd_arb_verdict_str(enum cd_arb_verdict v);

#endif
