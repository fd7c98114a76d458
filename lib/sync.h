/*
 * sync.h - the rules that keep the replicated state safe, as pure code:
 * views, synchronisation rounds, epochs and commits. Cited as S1..S7 in
 * clusterd/replica-view.c; argued in docs/ARCHITECTURE.md §4.
 *
 * S1  Winner of a round: the highest (epoch, generation), then the lowest
 *     node id (cd_sync_choose in state.h).
 * S2  A view (one CPG membership of clusterd processes) is a MAJORITY view
 *     when its members are more than half of the configured nodes, a HALF
 *     view at exactly half, else a MINORITY view (cd_view_kind). Counted
 *     from the CPG member list and the state's node list only, which every
 *     member has alike, so all members classify a view the same way.
 * S3  Epochs are promised before they are used. A view's epoch is E = the
 *     highest epoch or promise offered in its round + 1
 *     (cd_sync_next_epoch). A majority view's members promise E when the
 *     round completes; a half view's when the witness holder's VIEW_CLAIM
 *     is delivered (S7). Promising E = saving "promised E" durably, then
 *     ACK (E, generation). A node offers its promise in every later round,
 *     so it never promises an epoch twice. A minority view promises
 *     nothing and applies no change.
 * S4  A view is established (the "stamp") when a strict majority of the
 *     configured nodes promised E, or, in a half view, every member did
 *     and the witness copy holds E (WITNESS_ACK, S7)
 *     (cd_acks_established); established, every member sets the state's
 *     epoch to E, and only then are changes applied, in delivery order.
 *     ACKs are delivered in the same order everywhere, so all members
 *     establish at the same point of the stream. Two views never establish
 *     one epoch: their promise sets intersect in a node that promised E
 *     once (majority/majority, majority/half), or the second half view read
 *     E from the witness LUN (half/half, S7). A view that promised E but
 *     was never established leaves no state of epoch E anywhere.
 * S5  Each member acknowledges (ACK epoch, generation) what it has made
 *     durable. A change is committed, and only then acknowledged to the
 *     client that asked for it, when a strict majority of the configured
 *     nodes acknowledged its generation in its epoch (cd_acks_committed).
 *     In a half view, half of the nodes (all of the view) commit a
 *     generation only once the witness copy holds it too: the witness
 *     holder writes the state to the witness LUN and multicasts
 *     WITNESS_ACK (epoch, generation) (cd_acks_note_witness). Node and disk
 *     majority, as WSFC: the disk is the replica the other half meets.
 * S6  A change whose view ends before it committed is answered
 *     "unconfirmed": it may or may not survive, and the client is told so.
 * S7  A node that takes the witness reservation over (PREEMPT or RESERVE)
 *     reads the witness copy after it holds the reservation and before it
 *     casts the vote. In a half view the holder claims: VIEW_CLAIM carries
 *     E above the round's and every epoch it knows on the LUN
 *     (cd_sync_claim_epoch) and the state to go on from: the round's, or
 *     the copy when newer (cd_sync_newer); every member takes it and
 *     promises E (S3). When all members promised, the holder writes that
 *     state with epoch E to the LUN, then multicasts WITNESS_ACK, which
 *     establishes the view (S4). A copy written by a previous holder
 *     succeeded before the takeover (after it, the old holder's writes
 *     fail: its key is gone), so every change a half view committed, and
 *     every epoch one established, reaches the next half view through the
 *     disk.
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

/** S3: the epoch a completed round's view promises: the highest epoch or
 *  promise offered + 1. */
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

/* S4, S5: acknowledgements of one epoch (its promises and saves). */
struct cd_acks {
	uint64_t epoch;
	bool witness_acked;	/* a WITNESS_ACK of this epoch was delivered */
	uint64_t witness_gen;	/* the witness copy holds this generation */
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

/** S5: the witness copy holds generation (other epochs ignored; only grows). */
void cd_acks_note_witness(struct cd_acks *a, uint64_t epoch, uint64_t generation);

/** nodeid acknowledged (promised) this epoch. */
bool cd_acks_has(const struct cd_acks *a, uint32_t nodeid);

/** Every one of ids[0..n) acknowledged (promised) this epoch. */
bool cd_acks_all(const struct cd_acks *a, const uint32_t *ids, size_t n);

/**
 * S4: the view of these members, which promised a->epoch, is established:
 * a strict majority of the configured nodes acknowledged the epoch, or
 * (half) every member of the view did and the witness copy holds it.
 */
bool cd_acks_established(const struct cd_acks *a, const uint32_t *configured, size_t n_configured,
			 const uint32_t *view, size_t n_view, bool half);

/**
 * The highest generation acknowledged by a strict majority of the
 * configured nodes, or, in a half view stamped with the witness (witness
 * true), by half of them and by the witness copy; acks of nodes not
 * configured do not count.
 * @return that generation, 0 when none is
 */
uint64_t cd_acks_committed(const struct cd_acks *a, const uint32_t *configured,
			   size_t n_configured, bool witness);

/** S7: (epoch, generation) a is newer than b. */
bool cd_sync_newer(uint64_t a_epoch, uint64_t a_gen, uint64_t b_epoch, uint64_t b_gen);

/** S7: the epoch a half view stamps: the round's, and above a claimed copy's. */
uint64_t cd_sync_claim_epoch(uint64_t round_next_epoch, uint64_t copy_epoch);

#endif
