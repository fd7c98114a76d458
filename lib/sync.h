/*
 * sync.h - one state synchronisation round, as pure bookkeeping.
 *
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

#endif
