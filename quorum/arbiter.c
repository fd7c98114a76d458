/*
 * arbiter.c - the witness arbitration rules (see arbiter.h; the rule
 * numbers below are its).
 */
#include "arbiter.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool
in_members(const struct cd_arb_obs *o, uint32_t id)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->members[i] == id)
			return true;
	}
	return false;
}

static uint32_t
lowest(const struct cd_arb_obs *o)
{
	uint32_t leader = UINT32_MAX;

	for (size_t i = 0; i < o->n; i++)
		leader = o->members[i] < leader ? o->members[i] : leader;
	return leader;
}

bool
cd_arb_can_win(size_t n, uint32_t qdevice_votes, uint32_t quorum)
{
	uint32_t dv = qdevice_votes ? qdevice_votes : 1;

	return quorum == 0 || n + dv >= quorum;
}

static void
set(struct cd_arb_decision *d, int rule, enum cd_arb_verdict v, enum cd_arb_action act)
{
	d->rule = rule;
	d->v = v;
	d->act = act;
}

/* A3-A6: the holder is in our partition. */
static void
holder_inside(const struct cd_arb_obs *o, bool stale, bool fresh, struct cd_arb_decision *d)
{
	bool lead = d->leader == o->local;

	if (o->holder == o->local && lead) {
		/* A3: our node's key from an earlier process */
		set(d, 3, CD_ARB_PENDING, CD_ARB_PREEMPT);
		snprintf(d->detail, sizeof(d->detail), "taking over our node's old key");
	} else if (fresh) {
		set(d, 4, CD_ARB_WIN, CD_ARB_NOTHING);
		d->valid_ms = o->hb_evidence_ms + CD_ARB_VALID_MS;
		snprintf(d->detail, sizeof(d->detail), "held by this partition (node %" PRIu32 ")",
			 o->holder);
	} else if (stale && lead) {
		set(d, 5, CD_ARB_PENDING, CD_ARB_PREEMPT);
		snprintf(d->detail, sizeof(d->detail), "the heartbeat of holder %" PRIu32
			 " is stale: taking the witness over", o->holder);
	} else {
		set(d, 6, CD_ARB_PENDING, CD_ARB_NOTHING);
		snprintf(d->detail, sizeof(d->detail), "waiting for the heartbeat of holder %"
			 PRIu32, o->holder);
	}
}

/* A7-A9: another partition's node holds it. */
static void
holder_outside(const struct cd_arb_obs *o, bool stale, struct cd_arb_decision *d)
{
	if (!stale) {
		set(d, 7, CD_ARB_LOSE, CD_ARB_NOTHING);
		snprintf(d->detail, sizeof(d->detail), "held by another partition (node %"
			 PRIu32 ")", o->holder);
	} else if (d->leader == o->local) {
		set(d, 8, CD_ARB_PENDING, CD_ARB_PREEMPT);
		snprintf(d->detail, sizeof(d->detail), "the heartbeat of holder %" PRIu32
			 " has not changed for %" PRIu64 " ms: taking the witness over",
			 o->holder, o->now_ms - o->hb_changed_ms);
	} else {
		set(d, 9, CD_ARB_PENDING, CD_ARB_NOTHING);
		snprintf(d->detail, sizeof(d->detail), "holder %" PRIu32 " is dead; waiting "
			 "for leader %" PRIu32, o->holder, d->leader);
	}
}

/* A10-A12: nobody holds it. */
static void
unreserved(const struct cd_arb_obs *o, bool stale, struct cd_arb_decision *d)
{
	if (!stale && o->hb_ok && o->hb_owner != 0 && !in_members(o, o->hb_owner)) {
		set(d, 10, CD_ARB_LOSE, CD_ARB_NOTHING);
		snprintf(d->detail, sizeof(d->detail), "not reserved; waiting for the partition "
			 "of node %" PRIu32 " (its heartbeat is fresh)", o->hb_owner);
	} else if (d->leader == o->local) {
		set(d, 11, CD_ARB_PENDING, CD_ARB_RESERVE);
		snprintf(d->detail, sizeof(d->detail), "not reserved: reserving");
	} else {
		set(d, 12, CD_ARB_PENDING, CD_ARB_NOTHING);
		snprintf(d->detail, sizeof(d->detail), "not reserved; waiting for leader %"
			 PRIu32, d->leader);
	}
}

void
cd_arb_decide(const struct cd_arb_obs *o, struct cd_arb_decision *d)
{
	bool holder_in = o->holder && in_members(o, o->holder);
	bool stale = o->now_ms - o->hb_changed_ms >= CD_ARB_LEASE_MS;
	bool fresh = o->hb_ok && o->holder && o->hb_owner == o->holder &&
		     o->now_ms < o->hb_evidence_ms + CD_ARB_VALID_MS;

	memset(d, 0, sizeof(*d));
	d->leader = lowest(o);
	if (!o->can_win) {
		set(d, 1, CD_ARB_LOSE, CD_ARB_GIVE_UP);
		snprintf(d->detail, sizeof(d->detail), "partition of %zu cannot reach quorum "
			 "even with the witness", o->n);
	} else if (o->res_present && o->i_hold) {
		set(d, 2, CD_ARB_PENDING, CD_ARB_HOLD);
		snprintf(d->detail, sizeof(d->detail), "held by this partition (node %" PRIu32
			 ")", o->local);
	} else if (o->res_present && holder_in) {
		holder_inside(o, stale, fresh, d);
	} else if (o->res_present) {
		holder_outside(o, stale, d);
	} else {
		unreserved(o, stale, d);
	}
}

bool
cd_arb_outsider(const struct cd_arb_obs *o, uint32_t key_node, bool mine)
{
	if (mine)
		return false;
	return !key_node || !in_members(o, key_node) || key_node == o->local;
}

enum cd_arb_verdict
cd_arb_after_hold(bool write_ok, bool have_key)
{
	if (write_ok)
		return CD_ARB_WIN;
	return have_key ? CD_ARB_FAILED : CD_ARB_LOSE;
}

enum cd_arb_verdict
cd_arb_after_acquire(bool conflict, bool have_key)
{
	return conflict || !have_key ? CD_ARB_LOSE : CD_ARB_FAILED;
}

int
cd_arb_period(enum cd_arb_verdict v, bool holding)
{
	if (v == CD_ARB_PENDING)
		return CD_ARB_PENDING_MS;
	return holding ? CD_ARB_HB_MS : CD_ARB_CHECK_MS;
}

enum cd_arb_copy
cd_arb_copy(bool have, const char *copy_uuid, uint64_t copy_gen, const char *our_uuid,
	    uint64_t our_gen)
{
	if (!have)
		return CD_ARB_COPY_NONE;
	if (our_uuid && our_uuid[0] && strcmp(our_uuid, copy_uuid ? copy_uuid : ""))
		return CD_ARB_COPY_FOREIGN;
	if (copy_gen <= our_gen)
		return CD_ARB_COPY_OLD;
	return CD_ARB_COPY_ADOPT;
}

const char *
cd_arb_verdict_str(enum cd_arb_verdict v)
{
	static const char *const s[] = { "none", "pending", "won", "lost", "failed" };

	return (unsigned)v < sizeof(s) / sizeof(s[0]) ? s[v] : "?";
}
