/*
 * sync.c - state synchronisation round bookkeeping (see sync.h). Pure code.
 */
#include "sync.h"

#include <string.h>

void
cd_sync_round_start(struct cd_sync_round *r, const uint32_t *members, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->active = true;
	r->n_expected = n < CD_MAX_NODES ? n : CD_MAX_NODES;
	if (r->n_expected)
		memcpy(r->expected, members, r->n_expected * sizeof(members[0]));
}

void
cd_sync_round_end(struct cd_sync_round *r)
{
	memset(r, 0, sizeof(*r));
}

static bool
expected(const struct cd_sync_round *r, uint32_t nodeid)
{
	size_t i;

	for (i = 0; i < r->n_expected; i++) {
		if (r->expected[i] == nodeid)
			return true;
	}
	return false;
}

static bool
offered(const struct cd_sync_round *r, uint32_t nodeid)
{
	size_t i;

	for (i = 0; i < r->n_offers; i++) {
		if (r->offers[i].nodeid == nodeid)
			return true;
	}
	return false;
}

enum cd_sync_result
cd_sync_round_offer(struct cd_sync_round *r, const struct cd_sync_offer *offer)
{
	struct cd_sync_offer with_state[CD_MAX_NODES];
	size_t i, n = 0;
	bool all_equal;

	if (!r->active || !expected(r, offer->nodeid) || offered(r, offer->nodeid))
		return CD_SYNC_IGNORED;
	r->offers[r->n_offers++] = *offer;
	if (r->n_offers < r->n_expected)
		return CD_SYNC_WAITING;

	for (i = 0; i < r->n_offers; i++) {
		if (r->offers[i].generation != 0 || r->offers[i].hash != 0)
			with_state[n++] = r->offers[i];
	}
	if (n == 0)
		return CD_SYNC_DONE_EMPTY;
	r->winner = cd_sync_choose(with_state, n, &all_equal);
	if (all_equal && n == r->n_offers)
		return CD_SYNC_DONE_EQUAL;
	return CD_SYNC_DONE_TRANSFER;
}
