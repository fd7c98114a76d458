/*
 * lease.c - the self-fencing lease rules (see lease.h). Pure code.
 */
#include "lease.h"
#include "sync.h"

#include <string.h>

void
cd_lease_track_reset(struct cd_lease_track *t)
{
	memset(t, 0, sizeof(*t));
}

/* Nodes counted for a slot: this node (if configured) and those heard. */
static bool
slot_majority(const struct cd_lease_track *t, int s, uint32_t self,
	      const uint32_t *configured, size_t n_configured, bool witness)
{
	size_t k = t->slot[s].n_heard + (cd_ids_contain(configured, n_configured, self) ? 1 : 0);

	return cd_majority(k, n_configured, witness);
}

uint64_t
cd_lease_own(struct cd_lease_track *t, uint64_t t0, uint32_t self,
	     const uint32_t *configured, size_t n_configured, bool witness)
{
	/* The older heartbeat may still complete: keep it one more round. */
	t->slot[1] = t->slot[0];
	memset(&t->slot[0], 0, sizeof(t->slot[0]));
	t->slot[0].open = true;
	t->slot[0].t0 = t0;
	if (slot_majority(t, 0, self, configured, n_configured, witness)) {
		t->slot[0].open = t->slot[1].open = false;
		return t0;
	}
	return 0;
}

uint64_t
cd_lease_heard(struct cd_lease_track *t, uint32_t from, uint32_t self,
	       const uint32_t *configured, size_t n_configured, bool witness)
{
	int s;

	if (from == self || !cd_ids_contain(configured, n_configured, from))
		return 0;
	for (s = 0; s < 2; s++) {
		if (!t->slot[s].open || cd_ids_contain(t->slot[s].heard, t->slot[s].n_heard, from))
			continue;
		if (t->slot[s].n_heard < CD_MAX_NODES)
			t->slot[s].heard[t->slot[s].n_heard++] = from;
	}
	/* The newest heartbeat first: it gives the longer lease. */
	for (s = 0; s < 2; s++) {
		if (t->slot[s].open &&
		    slot_majority(t, s, self, configured, n_configured, witness)) {
			uint64_t t0 = t->slot[s].t0;

			t->slot[s].open = false;
			if (s == 0)
				t->slot[1].open = false;
			return t0;
		}
	}
	return 0;
}

bool
cd_lease_peer_stale(uint64_t last_ms, uint64_t now_ms, uint32_t lease_ms)
{
	return now_ms > last_ms && now_ms - last_ms > lease_ms;
}

uint64_t
cd_lease_lost_since(uint64_t seen_lost_ms, uint64_t majority_since_ms,
		    uint64_t last_heard_ms)
{
	uint64_t t = seen_lost_ms > majority_since_ms ? seen_lost_ms : majority_since_ms;

	return last_heard_ms > t ? last_heard_ms : t;	/* L5b */
}

uint64_t
cd_lease_recovery_at(uint64_t lost_ms, uint32_t lease_ms)
{
	return lost_ms + lease_ms + lease_ms / 10 + CD_LEASE_KILL_MARGIN_MS;
}

uint32_t
cd_lease_effective_ms(uint32_t configured_ms, uint32_t token_ms, uint32_t consensus_ms)
{
	uint64_t floor = (uint64_t)CD_LEASE_TOTEM_FACTOR * ((uint64_t)token_ms + consensus_ms);

	if (floor > 600000)
		floor = 600000;
	return floor > configured_ms ? (uint32_t)floor : configured_ms;
}
