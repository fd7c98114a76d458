/*
 * test_arbiter.c - the witness arbitration rules (quorum/arbiter.h): one
 * table row per case the lab tests exercise (tests/lab/test-quorum,
 * test-quorum-split: 2 nodes, 2|2 splits, an isolated holder, a holder cut
 * from the cluster and from the storage, a target that forgot every
 * registration, amnesia), the outcome rules, and a randomized run of the
 * whole protocol against a simulated LUN: never two partitions casting the
 * witness vote at once.
 */
#include "arbiter.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define T0 100000u	/* a monotonic "now" well past zero */

/* One observation and what the arbiter must make of it. */
struct arb_case {
	const char *name;
	uint32_t local;
	uint32_t members[4];
	size_t n;
	bool can_win;
	bool res_present;
	uint32_t holder;
	bool i_hold;
	bool hb_ok;
	uint32_t hb_owner;
	uint64_t since_change;	/* now - hb_changed_ms */
	uint64_t since_evidence;	/* now - hb_evidence_ms */
	/* expected */
	int rule;
	enum cd_arb_verdict v;
	enum cd_arb_action act;
	uint32_t leader;
};

#define P12 { 1, 2 }, 2
#define P34 { 3, 4 }, 2
#define P1 { 1 }, 1
#define P2 { 2 }, 1
#define P234 { 2, 3, 4 }, 3

static const struct arb_case cases[] = {
	/* test-quorum a): 2 nodes + witness, nobody holds it yet */
	{ "2 nodes, start: the leader reserves", 1, P12, true, false, 0, false, false, 0,
	  0, 0, 11, CD_ARB_PENDING, CD_ARB_RESERVE, 1 },
	{ "2 nodes, start: the other waits for its leader", 2, P12, true, false, 0, false,
	  false, 0, 0, 0, 12, CD_ARB_PENDING, CD_ARB_NOTHING, 1 },
	{ "2 nodes: the holder holds", 1, P12, true, true, 1, true, true, 1, 50, 200,
	  2, CD_ARB_PENDING, CD_ARB_HOLD, 1 },
	{ "2 nodes: a member sees a fresh heartbeat: wins", 2, P12, true, true, 1, false,
	  true, 1, 100, 300, 4, CD_ARB_WIN, CD_ARB_NOTHING, 1 },
	{ "member: evidence too old, not stale: waits", 2, P12, true, true, 1, false, true,
	  1, 900, 900, 6, CD_ARB_PENDING, CD_ARB_NOTHING, 1 },
	{ "member: heartbeat by another owner: waits", 2, P12, true, true, 1, false, true,
	  3, 100, 100, 6, CD_ARB_PENDING, CD_ARB_NOTHING, 1 },
	/* test-quorum b): kill the holder; the survivor alone */
	{ "holder killed: its heartbeat not yet stale: lose", 2, P2, true, true, 1, false,
	  true, 1, 1499, 1600, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 2 },
	{ "holder killed: stale: the survivor takes over", 2, P2, true, true, 1, false, true,
	  1, 1500, 1700, 8, CD_ARB_PENDING, CD_ARB_PREEMPT, 2 },
	{ "non-holder killed: the holder alone holds", 1, P1, true, true, 1, true, true, 1,
	  10, 10, 2, CD_ARB_PENDING, CD_ARB_HOLD, 1 },
	/* test-quorum c), test-quorum-split: cuts and 2|2 splits */
	{ "2|2: the holder's partition, holder", 1, P12, true, true, 1, true, true, 1, 100,
	  100, 2, CD_ARB_PENDING, CD_ARB_HOLD, 1 },
	{ "2|2: the holder's partition, member", 2, P12, true, true, 1, false, true, 1, 100,
	  200, 4, CD_ARB_WIN, CD_ARB_NOTHING, 1 },
	{ "2|2: the other partition's leader never challenges a live holder", 3, P34,
	  true, true, 1, false, true, 1, 100, 200, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 3 },
	{ "2|2: the other partition's member", 4, P34, true, true, 1, false, true, 1, 100,
	  200, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 3 },
	{ "2|2: holder's heartbeat stale: the other leader takes over", 3, P34, true, true,
	  1, false, true, 1, 1600, 1700, 8, CD_ARB_PENDING, CD_ARB_PREEMPT, 3 },
	{ "2|2: holder's heartbeat stale: the other member waits", 4, P34, true, true, 1,
	  false, true, 1, 1600, 1700, 9, CD_ARB_PENDING, CD_ARB_NOTHING, 3 },
	/* an isolated holder (1 of 4 nodes, quorum 3 of 5) */
	{ "isolated holder cannot win: gives the witness up", 1, P1, false, true, 1, true,
	  true, 1, 100, 100, 1, CD_ARB_LOSE, CD_ARB_GIVE_UP, 1 },
	{ "isolated non-holder: gives up too", 4, { 4 }, 1, false, true, 1, false, true, 1,
	  100, 100, 1, CD_ARB_LOSE, CD_ARB_GIVE_UP, 4 },
	{ "3 others, holder alive outside: lose (node majority holds)", 2, P234, true,
	  true, 1, false, true, 1, 100, 100, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 2 },
	{ "3 others, holder released it: the leader reserves", 2, P234, true, false, 0,
	  false, true, 0, 100, 100, 11, CD_ARB_PENDING, CD_ARB_RESERVE, 2 },
	{ "3 others, released: a member waits for its leader", 3, P234, true, false, 0,
	  false, true, 0, 100, 100, 12, CD_ARB_PENDING, CD_ARB_NOTHING, 2 },
	/* a holder cut from the cluster and from the storage (it fails: B4) */
	{ "holder cut off: heartbeat unchanged < lease: lose", 2, P234, true, true, 1,
	  false, true, 1, 1000, 1200, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 2 },
	{ "holder cut off: stale: the leader takes over", 2, P234, true, true, 1, false,
	  true, 1, 2000, 2100, 8, CD_ARB_PENDING, CD_ARB_PREEMPT, 2 },
	{ "holder cut off: stale: members wait for the leader", 4, P234, true, true, 1,
	  false, true, 1, 2000, 2100, 9, CD_ARB_PENDING, CD_ARB_NOTHING, 2 },
	{ "holder in our partition cut from storage: stale: our leader takes over", 1,
	  { 1, 2 }, 2, true, true, 2, false, true, 2, 1500, 1600, 5, CD_ARB_PENDING,
	  CD_ARB_PREEMPT, 1 },
	{ "holder in our partition: stale, not the leader: wait", 3, { 2, 3 }, 2, true,
	  true, 2, false, true, 2, 1500, 1600, 6, CD_ARB_PENDING, CD_ARB_NOTHING, 2 },
	/* test-quorum d2): the target forgot every registration */
	{ "target restart: no reservation, our heartbeat: the leader reserves", 1, P12,
	  true, false, 0, false, true, 1, 100, 100, 11, CD_ARB_PENDING, CD_ARB_RESERVE, 1 },
	{ "target restart: the member waits", 2, P12, true, false, 0, false, true, 1, 100,
	  100, 12, CD_ARB_PENDING, CD_ARB_NOTHING, 1 },
	{ "target restart in a 2|2 split: the other side waits for the writer's side", 3,
	  P34, true, false, 0, false, true, 1, 100, 100, 10, CD_ARB_LOSE, CD_ARB_NOTHING, 3 },
	{ "target restart, writer's heartbeat stale: the other side reserves", 3, P34,
	  true, false, 0, false, true, 1, 1500, 1600, 11, CD_ARB_PENDING, CD_ARB_RESERVE, 3 },
	{ "no reservation, unreadable heartbeat: the leader reserves", 3, P34, true, false,
	  0, false, false, 1, 100, 100, 11, CD_ARB_PENDING, CD_ARB_RESERVE, 3 },
	/* test-quorum e): restarted node, the reservation is its old process's key */
	{ "our node's old key, we lead: take it over", 1, P12, true, true, 1, false, true,
	  1, 3000, 3000, 3, CD_ARB_PENDING, CD_ARB_PREEMPT, 1 },
	{ "our node's old key, another leads: like any holder in M", 2, P12, true, true, 2,
	  false, true, 2, 100, 100, 4, CD_ARB_WIN, CD_ARB_NOTHING, 1 },
	{ "a reservation key that does not decode: like another partition's", 1, P12,
	  true, true, 0, false, true, 0, 100, 100, 7, CD_ARB_LOSE, CD_ARB_NOTHING, 1 },
	{ "a reservation key that does not decode, stale: taken over", 1, P12, true, true,
	  0, false, true, 0, 1500, 1500, 8, CD_ARB_PENDING, CD_ARB_PREEMPT, 1 },
};

static void
obs_of(const struct arb_case *c, struct cd_arb_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->local = c->local;
	o->members = c->members;
	o->n = c->n;
	o->can_win = c->can_win;
	o->res_present = c->res_present;
	o->holder = c->holder;
	o->i_hold = c->i_hold;
	o->hb_ok = c->hb_ok;
	o->hb_owner = c->hb_owner;
	o->now_ms = T0;
	o->hb_changed_ms = T0 - c->since_change;
	o->hb_evidence_ms = T0 - c->since_evidence;
}

static void
test_table(void)
{
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		const struct arb_case *c = &cases[i];
		struct cd_arb_obs o;
		struct cd_arb_decision d;
		bool ok;

		obs_of(c, &o);
		cd_arb_decide(&o, &d);
		ok = d.rule == c->rule && d.v == c->v && d.act == c->act &&
		     d.leader == c->leader && d.detail[0];
		if (!ok)
			printf("\n  case \"%s\": rule %d verdict %s action %d leader %u "
			       "(expected A%d %s %d %u): %s", c->name, d.rule,
			       cd_arb_verdict_str(d.v), d.act, d.leader, c->rule,
			       cd_arb_verdict_str(c->v), c->act, c->leader, d.detail);
		CU_ASSERT(ok);
		if (c->v == CD_ARB_WIN) {
			CU_ASSERT_EQUAL(d.valid_ms, o.hb_evidence_ms + CD_ARB_VALID_MS);
		} else {
			CU_ASSERT_EQUAL(d.valid_ms, 0);
		}
	}
}

/* Every rule A1-A12 has at least one row. */
static void
test_table_covers_rules(void)
{
	bool seen[13] = { false };

	for (size_t i = 0; i < N_ELEMS(cases); i++)
		seen[cases[i].rule] = true;
	for (int r = 1; r <= 12; r++)
		CU_ASSERT(seen[r]);
}

static void
test_can_win(void)
{
	static const struct { size_t n; uint32_t dv, quorum; bool win; } t[] = {
		{ 1, 1, 2, true },	/* 2 nodes + witness: one node wins with it */
		{ 1, 1, 3, false },	/* 4 nodes + witness: one node cannot */
		{ 2, 1, 3, true },	/* 2|2 */
		{ 2, 0, 3, true },	/* device votes unknown: 1 */
		{ 1, 0, 3, false },
		{ 3, 1, 3, true },
		{ 1, 1, 0, true },	/* quorum unknown: assume it can */
		{ 2, 2, 5, false },
		{ 3, 2, 5, true },
	};

	for (size_t i = 0; i < N_ELEMS(t); i++)
		CU_ASSERT_EQUAL(cd_arb_can_win(t[i].n, t[i].dv, t[i].quorum), t[i].win);
}

static void
test_outsider(void)
{
	static const uint32_t m[] = { 1, 2 };
	struct cd_arb_obs o = { .local = 1, .members = m, .n = 2 };

	CU_ASSERT_FALSE(cd_arb_outsider(&o, 1, true));		/* ours */
	CU_ASSERT_FALSE(cd_arb_outsider(&o, 2, false));		/* a member's */
	CU_ASSERT_TRUE(cd_arb_outsider(&o, 3, false));		/* outside M */
	CU_ASSERT_TRUE(cd_arb_outsider(&o, 0, false));		/* does not decode */
	CU_ASSERT_TRUE(cd_arb_outsider(&o, 1, false));		/* our orphan */
}

static void
test_outcomes(void)
{
	/* B2 */
	CU_ASSERT_EQUAL(cd_arb_after_hold(true, true), CD_ARB_WIN);
	CU_ASSERT_EQUAL(cd_arb_after_hold(false, true), CD_ARB_FAILED);
	CU_ASSERT_EQUAL(cd_arb_after_hold(false, false), CD_ARB_LOSE);
	/* B3 */
	CU_ASSERT_EQUAL(cd_arb_after_acquire(true, true), CD_ARB_LOSE);
	CU_ASSERT_EQUAL(cd_arb_after_acquire(false, false), CD_ARB_LOSE);
	CU_ASSERT_EQUAL(cd_arb_after_acquire(true, false), CD_ARB_LOSE);
	CU_ASSERT_EQUAL(cd_arb_after_acquire(false, true), CD_ARB_FAILED);
	/* periods */
	CU_ASSERT_EQUAL(cd_arb_period(CD_ARB_PENDING, false), CD_ARB_PENDING_MS);
	CU_ASSERT_EQUAL(cd_arb_period(CD_ARB_WIN, true), CD_ARB_HB_MS);
	CU_ASSERT_EQUAL(cd_arb_period(CD_ARB_WIN, false), CD_ARB_CHECK_MS);
	CU_ASSERT_EQUAL(cd_arb_period(CD_ARB_LOSE, false), CD_ARB_CHECK_MS);
	/* V1: a vote ends (with a re-check) before anyone may take over */
	CU_ASSERT(CD_ARB_VALID_MS + CD_ARB_CHECK_MS < CD_ARB_LEASE_MS);
	CU_ASSERT(CD_ARB_HB_MS < CD_ARB_CHECK_MS);
}

/* C1: amnesia. */
static void
test_copy(void)
{
	static const char *u = "8c5f00112233445566778899aabbccdd";

	CU_ASSERT_EQUAL(cd_arb_copy(false, "", 0, u, 5), CD_ARB_COPY_NONE);
	CU_ASSERT_EQUAL(cd_arb_copy(true, "other", 9, u, 5), CD_ARB_COPY_FOREIGN);
	CU_ASSERT_EQUAL(cd_arb_copy(true, u, 5, u, 5), CD_ARB_COPY_OLD);
	CU_ASSERT_EQUAL(cd_arb_copy(true, u, 4, u, 5), CD_ARB_COPY_OLD);
	CU_ASSERT_EQUAL(cd_arb_copy(true, u, 29, u, 27), CD_ARB_COPY_ADOPT);
	CU_ASSERT_EQUAL(cd_arb_copy(true, u, 3, "", 0), CD_ARB_COPY_ADOPT);	/* no cluster yet */
	CU_ASSERT_EQUAL(cd_arb_copy(true, u, 3, NULL, 0), CD_ARB_COPY_ADOPT);
}

/*
 * The randomized run: 4 nodes (quorum 3 of 5 votes with the witness) run
 * the worker's round (read; decide; act; report to the loop) against a
 * simulated WERO LUN, with random latencies between the reads, the PR
 * action and the result reaching the loop (sometimes seconds: hung I/O),
 * while the cluster is re-partitioned, nodes lose the storage and the
 * target forgets every registration. The loop casts a won vote until its
 * valid_ms (V1) and stops at once on a new ring. Checked every simulated
 * millisecond: no two partitions have a casting node at once.
 */
#define SIM_NODES	4
#define SIM_QUORUM	3
#define SIM_MS		(10 * 60 * 1000)	/* per seed */
#define SIM_SEEDS	8

enum sim_phase { S_IDLE, S_ACT, S_DELIVER };

struct sim_disk {
	uint64_t keys[SIM_NODES * 4];
	size_t nk;
	uint64_t res;			/* the reservation's key, 0: none */
	uint32_t hb_owner;
	uint64_t hb_counter;
	bool hb_written;
};

struct sim_node {
	uint32_t id;
	int part;			/* partition number */
	uint64_t ring;			/* +1 per partition change */
	bool storage;			/* can reach the LUN */
	uint64_t key;
	uint32_t inc;
	/* the worker's view of the heartbeat block (read_hb) */
	bool hb_seen_ok;
	uint32_t hb_seen_owner;
	uint64_t hb_seen_counter, hb_read, hb_changed, hb_evidence;
	/* the round in flight */
	enum sim_phase phase;
	uint64_t t_next, round_ring;
	struct cd_arb_decision dec;
	struct cd_arb_obs obs;
	uint32_t members[SIM_NODES];
	enum cd_arb_verdict v;
	uint64_t valid_ms;
	bool holding;
	/* the loop */
	uint64_t cast_until;		/* casting while now < cast_until */
};

struct sim {
	struct sim_disk disk;
	struct sim_node node[SIM_NODES];
	uint64_t now;
	unsigned takeovers, reserves, wins, give_ups;
};

static bool
sim_registered(const struct sim_disk *k, uint64_t key)
{
	for (size_t i = 0; key && i < k->nk; i++) {
		if (k->keys[i] == key)
			return true;
	}
	return false;
}

static void
sim_unregister(struct sim_disk *k, uint64_t key)
{
	for (size_t i = 0; i < k->nk; i++) {
		if (k->keys[i] == key) {
			k->keys[i] = k->keys[--k->nk];
			break;
		}
	}
	if (k->res == key)
		k->res = 0;
}

/* The node's key, or 0 when the target no longer has it (unit attention). */
static uint64_t
sim_key(struct sim *s, struct sim_node *nd)
{
	if (nd->key && !sim_registered(&s->disk, nd->key))
		nd->key = 0;
	return nd->key;
}

static void
sim_write_hb(struct sim *s, struct sim_node *nd, uint32_t owner)
{
	s->disk.hb_owner = owner;
	s->disk.hb_counter++;
	s->disk.hb_written = true;
	nd->hb_seen_ok = true;
	nd->hb_seen_owner = owner;
	nd->hb_seen_counter = s->disk.hb_counter;
	nd->hb_changed = s->now;
	nd->hb_evidence = s->now;
}

static int
sim_members(struct sim *s, const struct sim_node *nd, uint32_t *m)
{
	int n = 0;

	for (int i = 0; i < SIM_NODES; i++) {
		if (s->node[i].part == nd->part)
			m[n++] = s->node[i].id;
	}
	return n;
}

/* Read phase: the keys, the reservation, the heartbeat; decide. */
static void
sim_read(struct sim *s, struct sim_node *nd)
{
	struct cd_arb_obs *o = &nd->obs;
	uint64_t prev = nd->hb_read;
	int n = sim_members(s, nd, nd->members);

	nd->round_ring = nd->ring;
	nd->holding = false;
	nd->valid_ms = 0;
	if (!nd->storage) {
		nd->v = CD_ARB_FAILED;
		nd->dec.act = CD_ARB_NOTHING;
		return;
	}
	sim_key(s, nd);
	nd->hb_read = s->now;
	if (s->disk.hb_written != nd->hb_seen_ok || s->disk.hb_owner != nd->hb_seen_owner ||
	    s->disk.hb_counter != nd->hb_seen_counter) {
		nd->hb_seen_ok = s->disk.hb_written;
		nd->hb_seen_owner = s->disk.hb_owner;
		nd->hb_seen_counter = s->disk.hb_counter;
		nd->hb_changed = s->now;
		nd->hb_evidence = prev;
	}
	memset(o, 0, sizeof(*o));
	o->local = nd->id;
	o->members = nd->members;
	o->n = (size_t)n;
	o->can_win = cd_arb_can_win((size_t)n, 1, SIM_QUORUM);
	o->res_present = s->disk.res != 0;
	o->holder = (uint32_t)(s->disk.res >> 32);
	o->i_hold = nd->key && s->disk.res == nd->key;
	o->hb_ok = nd->hb_seen_ok;
	o->hb_owner = nd->hb_seen_owner;
	o->now_ms = s->now;
	o->hb_changed_ms = nd->hb_changed;
	o->hb_evidence_ms = nd->hb_evidence;
	cd_arb_decide(o, &nd->dec);
	nd->v = nd->dec.v;
	nd->valid_ms = nd->dec.valid_ms;
}

static enum cd_arb_verdict
sim_hold(struct sim *s, struct sim_node *nd)
{
	for (size_t i = 0; i < s->disk.nk; i++) {
		uint64_t k = s->disk.keys[i];

		if (!sim_key(s, nd))
			return CD_ARB_LOSE;
		if (cd_arb_outsider(&nd->obs, (uint32_t)(k >> 32), k == nd->key)) {
			if (s->disk.res == k)
				s->disk.res = nd->key;
			sim_unregister(&s->disk, k);
			i--;
		}
	}
	/* WERO: only a registrant writes */
	if (!sim_key(s, nd))
		return cd_arb_after_hold(false, false);
	sim_write_hb(s, nd, nd->id);
	nd->valid_ms = s->now + CD_ARB_VALID_MS;
	nd->holding = true;
	return cd_arb_after_hold(true, true);
}

static enum cd_arb_verdict
sim_acquire(struct sim *s, struct sim_node *nd, bool preempt)
{
	uint64_t victim = preempt ? s->disk.res : 0;

	if (!sim_key(s, nd)) {
		nd->key = ((uint64_t)nd->id << 32) | ++nd->inc;
		s->disk.keys[s->disk.nk++] = nd->key;
	}
	if (preempt) {
		/* the reservation moved since our read: a conflict */
		if (!victim || (uint32_t)(victim >> 32) != nd->obs.holder)
			return cd_arb_after_acquire(true, true);
		sim_unregister(&s->disk, victim);
		s->disk.res = nd->key;
		s->takeovers++;
	} else {
		if (s->disk.res && s->disk.res != nd->key)
			return cd_arb_after_acquire(true, true);
		s->disk.res = nd->key;
		s->reserves++;
	}
	return sim_hold(s, nd);
}

/* Act phase: the one PR action the arbiter named. */
static void
sim_act(struct sim *s, struct sim_node *nd)
{
	if (!nd->storage) {
		nd->v = CD_ARB_FAILED;
		nd->valid_ms = 0;
		return;
	}
	switch (nd->dec.act) {
	case CD_ARB_GIVE_UP:
		if (sim_key(s, nd)) {
			if (s->disk.res == nd->key)
				sim_write_hb(s, nd, 0);
			sim_unregister(&s->disk, nd->key);
			nd->key = 0;
			s->give_ups++;
		}
		break;
	case CD_ARB_HOLD:
		nd->v = sim_hold(s, nd);
		break;
	case CD_ARB_PREEMPT:
		nd->v = sim_acquire(s, nd, true);
		break;
	case CD_ARB_RESERVE:
		nd->v = sim_acquire(s, nd, false);
		break;
	case CD_ARB_NOTHING:
		break;
	}
	if (nd->v != CD_ARB_WIN)
		nd->valid_ms = 0;
}

/* The loop takes the result (qdevice.c on_result, V1). */
static void
sim_deliver(struct sim *s, struct sim_node *nd)
{
	if (nd->round_ring != nd->ring || nd->v == CD_ARB_PENDING)
		return;
	if (nd->v == CD_ARB_WIN) {
		if (nd->valid_ms > s->now) {
			nd->cast_until = nd->valid_ms;
			s->wins++;
		}
	} else {
		nd->cast_until = 0;
	}
}

static uint64_t
sim_latency(void)
{
	int r = rand() % 100;

	if (r < 3)
		return 500 + (uint64_t)(rand() % 2500);		/* hung I/O */
	return (uint64_t)(rand() % 40);
}

static void
sim_event(struct sim *s)
{
	int r = rand() % 100;

	if (r < 60) {	/* a new partitioning: 1 to 3 parts */
		int parts = 1 + rand() % 3, old[SIM_NODES];

		for (int i = 0; i < SIM_NODES; i++) {
			old[i] = s->node[i].part;
			s->node[i].part = rand() % parts;
		}
		/* a node whose partition has other members now is in a new ring */
		for (int i = 0; i < SIM_NODES; i++) {
			struct sim_node *nd = &s->node[i];
			bool changed = false;

			for (int j = 0; j < SIM_NODES; j++)
				changed = changed || ((old[j] == old[i]) !=
						      (s->node[j].part == nd->part));
			if (!changed)
				continue;
			nd->ring++;
			nd->cast_until = 0;	/* the device polls for the new ring */
			if (nd->phase == S_IDLE)
				nd->t_next = s->now;
		}
	} else if (r < 85) {	/* a node loses or regains the storage */
		struct sim_node *nd = &s->node[rand() % SIM_NODES];

		nd->storage = !nd->storage;
	} else if (r < 92) {	/* the target forgets every registration */
		s->disk.nk = 0;
		s->disk.res = 0;
	} else {		/* everything heals */
		for (int i = 0; i < SIM_NODES; i++)
			s->node[i].storage = true;
	}
}

/* At most one partition casts the vote. @return false on a violation */
static bool
sim_check(const struct sim *s)
{
	int casting = -1;

	for (int i = 0; i < SIM_NODES; i++) {
		const struct sim_node *nd = &s->node[i];

		if (nd->cast_until <= s->now)
			continue;
		if (casting >= 0 && casting != nd->part) {
			printf("\n  t=%llu: node %u (partition %d) casts while partition %d does",
			       (unsigned long long)s->now, nd->id, nd->part, casting);
			return false;
		}
		casting = nd->part;
	}
	return true;
}

static void
test_simulation(void)
{
	unsigned takeovers = 0, reserves = 0, wins = 0, give_ups = 0, violations = 0;

	for (unsigned seed = 1; seed <= SIM_SEEDS; seed++) {
		struct sim s = { .now = T0 };
		uint64_t next_event = T0 + 2000;

		srand(seed * 2654435761u);
		for (int i = 0; i < SIM_NODES; i++) {
			s.node[i].id = (uint32_t)i + 1;
			s.node[i].storage = true;
			s.node[i].t_next = T0;
		}
		for (; s.now < T0 + SIM_MS; s.now++) {
			if (s.now >= next_event) {
				sim_event(&s);
				next_event = s.now + 500 + (uint64_t)(rand() % 5000);
			}
			for (int i = 0; i < SIM_NODES; i++) {
				struct sim_node *nd = &s.node[i];

				if (nd->phase == S_IDLE && s.now >= nd->t_next) {
					sim_read(&s, nd);
					nd->phase = S_ACT;
					nd->t_next = s.now + sim_latency();
				} else if (nd->phase == S_ACT && s.now >= nd->t_next) {
					sim_act(&s, nd);
					nd->phase = S_DELIVER;
					nd->t_next = s.now + sim_latency();
				} else if (nd->phase == S_DELIVER && s.now >= nd->t_next) {
					sim_deliver(&s, nd);
					nd->phase = S_IDLE;
					nd->t_next = s.now + (uint64_t)cd_arb_period(nd->v,
										     nd->holding);
				}
			}
			if (!sim_check(&s) && ++violations > 5)
				break;
		}
		takeovers += s.takeovers;
		reserves += s.reserves;
		wins += s.wins;
		give_ups += s.give_ups;
	}
	printf("\n  %u seeds x %u s: %u takeovers, %u reservations, %u give-ups, %u won "
	       "rounds, %u violations ", SIM_SEEDS, SIM_MS / 1000, takeovers, reserves,
	       give_ups, wins, violations);
	CU_ASSERT_EQUAL(violations, 0);
	/* the run exercised what it is about */
	CU_ASSERT(takeovers > 10);
	CU_ASSERT(reserves > 10);
	CU_ASSERT(give_ups > 10);
	CU_ASSERT(wins > 1000);
}

static CU_TestInfo arbiter_tests[] = {
	{ "A1-A12: the lab's cases", test_table },
	{ "A1-A12: every rule has a case", test_table_covers_rules },
	{ "A1: can a partition win", test_can_win },
	{ "B1: keys a holder removes", test_outsider },
	{ "B2, B3, V1: outcomes and periods", test_outcomes },
	{ "C1: the state copy at start-up (amnesia)", test_copy },
	{ "simulation: never two partitions cast the vote", test_simulation },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "arbiter", NULL, NULL, NULL, NULL, arbiter_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
