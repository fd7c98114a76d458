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

uint64_t
cd_sync_next_epoch(const struct cd_sync_round *r)
{
	uint64_t max = 0;
	size_t i;

	for (i = 0; i < r->n_offers; i++) {
		if (r->offers[i].epoch > max)
			max = r->offers[i].epoch;
		if (r->offers[i].promised > max)
			max = r->offers[i].promised;
	}
	return max + 1;
}

bool
cd_ids_contain(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

bool
cd_majority(size_t k, size_t n, bool witness)
{
	if (n == 0)
		return false;
	return 2 * k > n || (witness && 2 * k == n);
}

enum cd_view_kind
cd_view_kind(const uint32_t *members, size_t n_members,
	     const uint32_t *configured, size_t n_configured)
{
	size_t i, k = 0;

	for (i = 0; i < n_members; i++) {
		if (cd_ids_contain(configured, n_configured, members[i]) &&
		    !cd_ids_contain(members, i, members[i]))
			k++;
	}
	if (cd_majority(k, n_configured, false))
		return CD_VIEW_MAJORITY;
	if (n_configured && 2 * k == n_configured)
		return CD_VIEW_HALF;
	return CD_VIEW_MINORITY;
}

const char *
cd_view_kind_str(enum cd_view_kind k)
{
	switch (k) {
	case CD_VIEW_MAJORITY: return "majority";
	case CD_VIEW_HALF: return "half";
	case CD_VIEW_MINORITY: return "minority";
	}
	return "unknown";
}

void
cd_acks_reset(struct cd_acks *a, uint64_t epoch)
{
	memset(a, 0, sizeof(*a));
	a->epoch = epoch;
}

void
cd_acks_note(struct cd_acks *a, uint32_t nodeid, uint64_t epoch,
	     uint64_t generation)
{
	size_t i;

	if (epoch != a->epoch || nodeid == 0)
		return;
	for (i = 0; i < a->n; i++) {
		if (a->node[i].nodeid == nodeid) {
			if (generation > a->node[i].generation)
				a->node[i].generation = generation;
			return;
		}
	}
	if (a->n < CD_MAX_NODES) {
		a->node[a->n].nodeid = nodeid;
		a->node[a->n].generation = generation;
		a->n++;
	}
}

void
cd_acks_note_witness(struct cd_acks *a, uint64_t epoch, uint64_t generation)
{
	if (epoch != a->epoch)
		return;
	a->witness_acked = true;
	if (generation > a->witness_gen)
		a->witness_gen = generation;
}

bool
cd_acks_established(const struct cd_acks *a, const uint32_t *configured, size_t n_configured,
		    const uint32_t *view, size_t n_view, bool half)
{
	size_t i, k = 0;

	for (i = 0; i < a->n; i++)
		k += cd_ids_contain(configured, n_configured, a->node[i].nodeid);
	if (!half)
		return cd_majority(k, n_configured, false);
	return cd_acks_all(a, view, n_view) && a->witness_acked &&
	       cd_majority(k, n_configured, true);
}

bool
cd_acks_all(const struct cd_acks *a, const uint32_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!cd_acks_has(a, ids[i]))
			return false;
	}
	return true;
}

bool
cd_acks_has(const struct cd_acks *a, uint32_t nodeid)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->node[i].nodeid == nodeid)
			return true;
	}
	return false;
}

bool
cd_sync_newer(uint64_t a_epoch, uint64_t a_gen, uint64_t b_epoch, uint64_t b_gen)
{
	return a_epoch > b_epoch || (a_epoch == b_epoch && a_gen > b_gen);
}

uint64_t
cd_sync_claim_epoch(uint64_t round_next_epoch, uint64_t copy_epoch)
{
	return copy_epoch >= round_next_epoch ? copy_epoch + 1 : round_next_epoch;
}

uint64_t
cd_acks_committed(const struct cd_acks *a, const uint32_t *configured,
		  size_t n_configured, bool witness)
{
	uint64_t best = 0;
	size_t i, j;

	/* The answer is one of the acknowledged generations: the highest g
	 * that a strict majority acknowledged (g or more). */
	for (i = 0; i < a->n; i++) {
		uint64_t g = a->node[i].generation;
		size_t k = 0;

		if (g <= best)
			continue;
		for (j = 0; j < a->n; j++) {
			if (a->node[j].generation >= g &&
			    cd_ids_contain(configured, n_configured, a->node[j].nodeid))
				k++;
		}
		/* S5: half of the nodes count only with the witness copy */
		if (cd_majority(k, n_configured, false) ||
		    (witness && a->witness_acked && g <= a->witness_gen &&
		     cd_majority(k, n_configured, true)))
			best = g;
	}
	return best;
}
