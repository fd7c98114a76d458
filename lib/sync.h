/*
 * sync.h - the rules that keep the replicated state safe, as pure code:
 * views, synchronisation rounds, epochs and commits. Cited as S1..S6 in
 * clusterd/replica.c; argued in docs/ARCHITECTURE.md §4.
 *
 * S1  Winner of a round: the highest (epoch, generation), then the lowest
 *     node id (cd_sync_choose in state.h).
 * S2  A view (one CPG membership of clusterd processes) is a MAJORITY view
 *     when its members are more than half of the configured nodes, a HALF
 *     view at exactly half, else a MINORITY view (cd_view_kind). Counted
 *     from the CPG member list and the state's node list only, which every
 *     member has alike, so all members classify a view the same way.
 * S3  A majority view, once its round is complete, stamps the chosen state
 *     with a new epoch: the highest offered epoch + 1 (cd_sync_next_epoch).
 *     A half view does the same only when a member holding the witness
 *     vote claims it (a delivered VIEW_CLAIM), so that too is decided in
 *     delivery order. A minority view never stamps an epoch and applies no
 *     change.
 * S4  Changes are applied only in a stamped view, in delivery order.
 * S5  Each member acknowledges (ACK epoch, generation) what it has made
 *     durable. A change is committed, and only then acknowledged to the
 *     client that asked for it, when a strict majority of the configured
 *     nodes acknowledged its generation in its epoch (cd_acks_committed).
 *     In a half view stamped with the witness, half of the nodes (all of
 *     the view) commit: node and disk majority, as WSFC. Known gap: the
 *     witness copy of the state is written after the commit (at most every
 *     200 ms) and read only at start-up, so if the other half later takes
 *     the witness over without a restart, such a change can be lost.
 * S6  A change whose view ends before it committed is answered
 *     "unconfirmed": it may or may not survive, and the client is told so.
 *
 * One round after every CPG membership change:
 *   each member multicasts an offer (epoch, generation, hash). CPG delivers
 * the offers in the same order to every member, so feeding them to this
 * module in delivery order gives every member the same decision:
 * After every CPG membership change each member multicasts an offer
 * (generation, hash). CPG delivers the offers in the same order to every
 * member, so feeding them to this module in delivery order gives every
 * member the same decision:
 *   - offers from non-members, and a second offer from the same node (an
 *     older round's offer delivered late), are ignored;
 *   - members without a state (generation 0, hash 0) only receive;
 *   - the winner is cd_sync_choose() over the members with a state;
 *   - no transfer is needed when every member offered the same state.
 */
#ifndef CLUSTERD_SYNC_H
#define CLUSTERD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membership.h"
#include "state.h"

enum cd_sync_result {
	CD_SYNC_WAITING = 0,	/* more offers to come */
	CD_SYNC_IGNORED,	/* offer not part of this round */
	CD_SYNC_DONE_EQUAL,	/* complete: everybody has the same state */
	CD_SYNC_DONE_EMPTY,	/* complete: nobody has a state */
	CD_SYNC_DONE_TRANSFER,	/* complete: the winner must send its state */
};

struct cd_sync_round {
	bool active;
	uint32_t expected[CD_MAX_NODES];
	size_t n_expected;
	struct cd_sync_offer offers[CD_MAX_NODES];
	size_t n_offers;
	uint32_t winner;	/* valid after CD_SYNC_DONE_TRANSFER */
};

/** Start a round for this membership (ids beyond CD_MAX_NODES dropped). */
void cd_sync_round_start(struct cd_sync_round *r, const uint32_t *members,
			 size_t n);

/** Feed one delivered offer. @return what the round now says */
enum cd_sync_result cd_sync_round_offer(struct cd_sync_round *r,
					const struct cd_sync_offer *offer);

/** End the round (state adopted, or the connection lost). */
void cd_sync_round_end(struct cd_sync_round *r);

/** S3: the epoch a completed round's view stamps: highest offered + 1. */
uint64_t cd_sync_next_epoch(const struct cd_sync_round *r);

enum cd_view_kind {
	CD_VIEW_MINORITY = 0,
	CD_VIEW_HALF,
	CD_VIEW_MAJORITY,
};

/**
 * S2: classify a view. @param members ids of the view (CPG members)
 * @param configured ids of the configured nodes (the state's node list);
 * members that are not configured do not count. No configured node: minority.
 */
enum cd_view_kind cd_view_kind(const uint32_t *members, size_t n_members,
			       const uint32_t *configured, size_t n_configured);
const char *cd_view_kind_str(enum cd_view_kind k);

/** id is one of ids[0..n). */
bool cd_ids_contain(const uint32_t *ids, size_t n, uint32_t id);

/** k of n nodes are a strict majority, or exactly half with the witness. */
bool cd_majority(size_t k, size_t n, bool witness);

/* S5: acknowledgements of one epoch. */
struct cd_acks {
	uint64_t epoch;
	size_t n;
	struct {
		uint32_t nodeid;
		uint64_t generation;	/* highest acknowledged in epoch */
	} node[CD_MAX_NODES];
};

/** Forget everything; count acknowledgements of this epoch only. */
void cd_acks_reset(struct cd_acks *a, uint64_t epoch);

/** Note an ACK (other epochs ignored; generations only grow). */
void cd_acks_note(struct cd_acks *a, uint32_t nodeid, uint64_t epoch,
		  uint64_t generation);

/**
 * The highest generation acknowledged by a strict majority of the
 * configured nodes, or by half of them in a half view stamped with the
 * witness (witness true); acks of nodes not configured do not count.
 * @return that generation, 0 when none is
 */
uint64_t cd_acks_committed(const struct cd_acks *a, const uint32_t *configured,
			   size_t n_configured, bool witness);

#endif
