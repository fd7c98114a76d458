/*
 * test_sync.c - the state synchronisation rules (lib/sync.c, cd_sync_choose):
 * who wins, when a transfer is needed, and which offers count.
 */
#include "sync.h"
#include "unit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t three[] = { 1, 2, 3 };

static struct cd_sync_offer
offer(uint32_t id, uint64_t gen, uint64_t hash)
{
	struct cd_sync_offer o = { .nodeid = id, .generation = gen, .hash = hash };

	return o;
}

/* Run a whole round; returns the final result, or WAITING/IGNORED. */
static enum cd_sync_result
run_round(struct cd_sync_round *r, const uint32_t *members, size_t n,
	  const struct cd_sync_offer *offers, size_t n_offers)
{
	enum cd_sync_result res = CD_SYNC_WAITING;
	size_t i;

	cd_sync_round_start(r, members, n);
	for (i = 0; i < n_offers; i++)
		res = cd_sync_round_offer(r, &offers[i]);
	return res;
}

static void
test_all_equal(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer o[] = { offer(2, 7, 0xaa), offer(1, 7, 0xaa), offer(3, 7, 0xaa) };

	CU_ASSERT_EQUAL(run_round(&r, three, 3, o, 3), CD_SYNC_DONE_EQUAL);
}

static void
test_highest_generation_wins(void)
{
	struct cd_sync_round r;
	/* The restarted node 1 has an old state; node 3 the newest. */
	struct cd_sync_offer o[] = { offer(1, 4, 0x11), offer(2, 9, 0x22), offer(3, 10, 0x33) };

	CU_ASSERT_EQUAL(run_round(&r, three, 3, o, 3), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 3);
}

static void
test_tie_lowest_id(void)
{
	struct cd_sync_round r;
	/* Same generation, different content: deterministic, lowest id. */
	struct cd_sync_offer o[] = { offer(3, 5, 0x1), offer(2, 5, 0x2), offer(1, 4, 0x3) };

	CU_ASSERT_EQUAL(run_round(&r, three, 3, o, 3), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 2);
}

static void
test_order_does_not_matter(void)
{
	struct cd_sync_offer o[] = { offer(1, 3, 0x1), offer(2, 8, 0x2), offer(3, 8, 0x3) };
	static const size_t perms[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 }
	};
	size_t p;

	for (p = 0; p < 6; p++) {
		struct cd_sync_offer shuffled[3];
		struct cd_sync_round r;

		shuffled[0] = o[perms[p][0]];
		shuffled[1] = o[perms[p][1]];
		shuffled[2] = o[perms[p][2]];
		CU_ASSERT_EQUAL(run_round(&r, three, 3, shuffled, 3), CD_SYNC_DONE_TRANSFER);
		CU_ASSERT_EQUAL(r.winner, 2);
	}
}

static void
test_waiting_until_all(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer a = offer(1, 1, 1), b = offer(2, 1, 1), c = offer(3, 1, 1);

	cd_sync_round_start(&r, three, 3);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &a), CD_SYNC_WAITING);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &b), CD_SYNC_WAITING);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &c), CD_SYNC_DONE_EQUAL);
}

static void
test_ignored_offers(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer stranger = offer(9, 100, 9), first = offer(1, 2, 5),
			     late_dup = offer(1, 50, 6), two = offer(2, 2, 5);
	static const uint32_t pair[] = { 1, 2 };

	/* Not in the round at all. */
	cd_sync_round_end(&r);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &first), CD_SYNC_IGNORED);

	cd_sync_round_start(&r, pair, 2);
	/* A non-member's offer never counts, however new. */
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &stranger), CD_SYNC_IGNORED);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &first), CD_SYNC_WAITING);
	/* The first offer of a node counts; a second is a stale duplicate. */
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &late_dup), CD_SYNC_IGNORED);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &two), CD_SYNC_DONE_EQUAL);
}

static void
test_stateless_members(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer fresh[] = { offer(1, 0, 0), offer(2, 0, 0), offer(3, 0, 0) };
	/* A node added to a running cluster has no state yet. */
	struct cd_sync_offer joiner[] = { offer(1, 0, 0), offer(2, 6, 0x6), offer(3, 6, 0x6) };
	/* A state at generation 0 (just created) is a state: hash != 0. */
	struct cd_sync_offer created[] = { offer(1, 0, 0x77), offer(2, 0, 0), offer(3, 0, 0x77) };

	CU_ASSERT_EQUAL(run_round(&r, three, 3, fresh, 3), CD_SYNC_DONE_EMPTY);
	CU_ASSERT_EQUAL(run_round(&r, three, 3, joiner, 3), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 2);
	CU_ASSERT_EQUAL(run_round(&r, three, 3, created, 3), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 1);
}

static void
test_partition_merge(void)
{
	struct cd_sync_round r;
	static const uint32_t five[] = { 1, 2, 3, 4, 5 };
	/*
	 * {1,2} were a minority (no changes: generation 20); {3,4,5} the
	 * quorate side that went on to 23. The merge converges to the majority.
	 */
	struct cd_sync_offer o[] = { offer(1, 20, 0x1), offer(2, 20, 0x1), offer(3, 23, 0x9),
				     offer(4, 23, 0x9), offer(5, 23, 0x9) };

	CU_ASSERT_EQUAL(run_round(&r, five, 5, o, 5), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 3);
}

static void
test_single_member(void)
{
	struct cd_sync_round r;
	static const uint32_t one[] = { 4 };
	struct cd_sync_offer o[] = { offer(4, 3, 0x3) };

	CU_ASSERT_EQUAL(run_round(&r, one, 1, o, 1), CD_SYNC_DONE_EQUAL);
}

static void
test_restart_resets(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer a = offer(1, 1, 1), b = offer(2, 2, 2);
	static const uint32_t pair[] = { 1, 2 };

	cd_sync_round_start(&r, three, 3);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &a), CD_SYNC_WAITING);
	/* A new membership before the round completed: start over. */
	cd_sync_round_start(&r, pair, 2);
	CU_ASSERT_EQUAL(r.n_offers, 0);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &a), CD_SYNC_WAITING);
	CU_ASSERT_EQUAL(cd_sync_round_offer(&r, &b), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 2);
	cd_sync_round_end(&r);
	CU_ASSERT_FALSE(r.active);
}

static void
test_choose_direct(void)
{
	struct cd_sync_offer o[] = { offer(5, 2, 0x1), offer(4, 2, 0x1) };
	bool eq = false;

	CU_ASSERT_EQUAL(cd_sync_choose(NULL, 0, &eq), 0);
	CU_ASSERT_EQUAL(cd_sync_choose(o, 2, &eq), 4);
	CU_ASSERT_TRUE(eq);
	o[0].hash = 0x2;
	CU_ASSERT_EQUAL(cd_sync_choose(o, 2, &eq), 4);
	CU_ASSERT_FALSE(eq);
}


/* ---- S2: views ---- */

struct view_case {
	const char *what;
	uint32_t members[6];
	size_t n_members;
	uint32_t conf[6];
	size_t n_conf;
	enum cd_view_kind want;
};

static const struct view_case view_cases[] = {
	{ "3 of 3", { 1, 2, 3 }, 3, { 1, 2, 3 }, 3, CD_VIEW_MAJORITY },
	{ "2 of 3", { 3, 1 }, 2, { 1, 2, 3 }, 3, CD_VIEW_MAJORITY },
	{ "1 of 3 (issue 12 A, step 2)", { 3 }, 1, { 1, 2, 3 }, 3, CD_VIEW_MINORITY },
	{ "2 of 4: half", { 1, 2 }, 2, { 1, 2, 3, 4 }, 4, CD_VIEW_HALF },
	{ "3 of 4", { 1, 2, 4 }, 3, { 1, 2, 3, 4 }, 4, CD_VIEW_MAJORITY },
	{ "1 of 2: half", { 2 }, 1, { 1, 2 }, 2, CD_VIEW_HALF },
	{ "3 of 5", { 5, 4, 3 }, 3, { 1, 2, 3, 4, 5 }, 5, CD_VIEW_MAJORITY },
	{ "2 of 5", { 1, 2 }, 2, { 1, 2, 3, 4, 5 }, 5, CD_VIEW_MINORITY },
	{ "unconfigured members do not count", { 1, 7, 8 }, 3, { 1, 2, 3 }, 3,
	  CD_VIEW_MINORITY },
	{ "a duplicate counts once", { 1, 1 }, 2, { 1, 2, 3 }, 3, CD_VIEW_MINORITY },
	{ "no configured node", { 1, 2 }, 2, { 0 }, 0, CD_VIEW_MINORITY },
	{ "single-node cluster", { 1 }, 1, { 1 }, 1, CD_VIEW_MAJORITY },
};

static void
test_view_kind_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(view_cases); i++) {
		const struct view_case *c = &view_cases[i];
		enum cd_view_kind k = cd_view_kind(c->members, c->n_members, c->conf, c->n_conf);

		if (k != c->want)
			fprintf(stderr, "\n  view case \"%s\": %s, want %s\n", c->what,
				cd_view_kind_str(k), cd_view_kind_str(c->want));
		CU_ASSERT_EQUAL(k, c->want);
	}
	CU_ASSERT_TRUE(cd_majority(2, 4, true));
	CU_ASSERT_FALSE(cd_majority(2, 4, false));
	CU_ASSERT_FALSE(cd_majority(1, 4, true));
	CU_ASSERT_FALSE(cd_majority(0, 0, true));
}

/* ---- S3: the epoch of a completed round ---- */

static void
test_next_epoch(void)
{
	struct cd_sync_round r;
	struct cd_sync_offer o[] = { offer(1, 9, 0x1), offer(2, 12, 0x2), offer(3, 4, 0x3) };

	o[0].epoch = 7;
	o[1].epoch = 5;
	o[2].epoch = 0;
	CU_ASSERT_EQUAL(run_round(&r, three, 3, o, 3), CD_SYNC_DONE_TRANSFER);
	CU_ASSERT_EQUAL(r.winner, 1);	/* S1: epoch 7 beats generation 12 */
	CU_ASSERT_EQUAL(cd_sync_next_epoch(&r), 8);
	cd_sync_round_start(&r, three, 3);
	CU_ASSERT_EQUAL(cd_sync_next_epoch(&r), 1);
}

/* ---- S5: commits ---- */

struct ack { uint32_t node; uint64_t epoch, gen; };

struct commit_case {
	const char *what;
	uint32_t conf[5];
	size_t n_conf;
	uint64_t epoch;
	struct ack acks[8];
	size_t n_acks;
	uint64_t want;
};

static const struct commit_case commit_cases[] = {
	{ "nobody", { 1, 2, 3 }, 3, 4, { { 0, 0, 0 } }, 0, 0 },
	{ "one of three", { 1, 2, 3 }, 3, 4, { { 1, 4, 10 } }, 1, 0 },
	{ "two of three", { 1, 2, 3 }, 3, 4, { { 1, 4, 10 }, { 2, 4, 9 } }, 2, 9 },
	{ "cumulative", { 1, 2, 3 }, 3, 4,
	  { { 1, 4, 10 }, { 2, 4, 9 }, { 2, 4, 11 } }, 3, 10 },
	{ "older epoch ignored", { 1, 2, 3 }, 3, 4, { { 1, 4, 10 }, { 2, 3, 12 } }, 2, 0 },
	{ "generations never shrink", { 1, 2, 3 }, 3, 4,
	  { { 1, 4, 10 }, { 2, 4, 10 }, { 2, 4, 3 } }, 3, 10 },
	{ "unconfigured node does not count", { 1, 2, 3 }, 3, 4,
	  { { 1, 4, 10 }, { 9, 4, 10 } }, 2, 0 },
	{ "half is not enough (S5)", { 1, 2, 3, 4 }, 4, 2,
	  { { 1, 2, 10 }, { 2, 2, 10 } }, 2, 0 },
	{ "three of four", { 1, 2, 3, 4 }, 4, 2,
	  { { 1, 2, 10 }, { 2, 2, 12 }, { 4, 2, 11 } }, 3, 10 },
	{ "three of five, the middle one", { 1, 2, 3, 4, 5 }, 5, 1,
	  { { 1, 1, 5 }, { 2, 1, 7 }, { 3, 1, 6 }, { 4, 1, 2 } }, 4, 5 },
	{ "single node", { 1 }, 1, 1, { { 1, 1, 3 } }, 1, 3 },
};

/*
 * S5: half of the nodes commit only in a view stamped with the witness,
 * and only what the witness copy holds too.
 */
struct half_case {
	const char *what;
	uint32_t conf[4];
	size_t n_conf;
	struct { uint32_t node; uint64_t gen; } acks[2];
	size_t n_acks;
	bool witness;
	uint64_t wepoch, wgen;	/* WITNESS_ACK noted (epoch 0: none) */
	uint64_t want;
};

static const struct half_case half_cases[] = {
	{ "half, no witness view", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  false, 3, 10, 0 },
	{ "half + witness view, copy holds 9", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  true, 3, 9, 9 },
	{ "half + witness view, copy holds 12", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  true, 3, 12, 9 },
	{ "half + witness view, copy behind", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  true, 3, 8, 0 },
	{ "half + witness view, no copy yet", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  true, 0, 0, 0 },
	{ "copy of another epoch", { 1, 2, 3, 4 }, 4, { { 1, 10 }, { 2, 9 } }, 2,
	  true, 2, 50, 0 },
	{ "2 nodes: one + the copy", { 1, 2 }, 2, { { 2, 5 } }, 1, true, 3, 5, 5 },
	{ "2 nodes: one, copy behind", { 1, 2 }, 2, { { 2, 5 } }, 1, true, 3, 4, 0 },
	{ "2 nodes: one, no witness view", { 1, 2 }, 2, { { 2, 5 } }, 1, false, 3, 5, 0 },
	{ "a majority needs no copy", { 1, 2, 3 }, 3, { { 1, 7 }, { 3, 7 } }, 2, true, 0, 0, 7 },
	{ "one of four + copy is not half", { 1, 2, 3, 4 }, 4, { { 1, 7 } }, 1, true, 3, 7, 0 },
};

static void
test_commit_half_with_witness(void)
{
	size_t i, j;

	for (i = 0; i < N_ELEMS(half_cases); i++) {
		const struct half_case *c = &half_cases[i];
		struct cd_acks a;
		uint64_t got;

		cd_acks_reset(&a, 3);
		for (j = 0; j < c->n_acks; j++)
			cd_acks_note(&a, c->acks[j].node, 3, c->acks[j].gen);
		if (c->wepoch)
			cd_acks_note_witness(&a, c->wepoch, c->wgen);
		got = cd_acks_committed(&a, c->conf, c->n_conf, c->witness);
		if (got != c->want)
			fprintf(stderr, "\n  half case \"%s\": %" PRIu64 ", want %" PRIu64 "\n",
				c->what, got, c->want);
		CU_ASSERT_EQUAL(got, c->want);
	}
}

/* S7: which copy a claim carries, and the epoch it stamps. */
static void
test_claim_copy(void)
{
	static const struct {
		uint64_t ae, ag, be, bg;
		bool newer;
	} nc[] = {
		{ 5, 20, 5, 19, true }, { 5, 20, 5, 20, false }, { 5, 20, 6, 3, false },
		{ 6, 3, 5, 20, true }, { 0, 0, 0, 0, false }, { 1, 0, 0, 9, true },
	};
	static const struct { uint64_t next, copy, want; } ec[] = {
		{ 6, 0, 6 }, { 6, 5, 6 }, { 6, 6, 7 }, { 6, 9, 10 }, { 1, 0, 1 },
	};
	size_t i;

	for (i = 0; i < N_ELEMS(nc); i++)
		CU_ASSERT_EQUAL(cd_sync_newer(nc[i].ae, nc[i].ag, nc[i].be, nc[i].bg), nc[i].newer);
	for (i = 0; i < N_ELEMS(ec); i++)
		CU_ASSERT_EQUAL(cd_sync_claim_epoch(ec[i].next, ec[i].copy), ec[i].want);
}

static void
test_commit_table(void)
{
	size_t i, j;

	for (i = 0; i < N_ELEMS(commit_cases); i++) {
		const struct commit_case *c = &commit_cases[i];
		struct cd_acks a;
		uint64_t got;

		cd_acks_reset(&a, c->epoch);
		for (j = 0; j < c->n_acks; j++)
			cd_acks_note(&a, c->acks[j].node, c->acks[j].epoch, c->acks[j].gen);
		got = cd_acks_committed(&a, c->conf, c->n_conf, false);
		if (got != c->want)
			fprintf(stderr, "\n  commit case \"%s\": %" PRIu64 ", want %" PRIu64 "\n",
				c->what, got, c->want);
		CU_ASSERT_EQUAL(got, c->want);
	}
}

/*
 * ---- a simulation of replicas under S1..S6 ----
 * Each simulated node holds a history (the ids of the changes it applied,
 * in order), an epoch and a persisted copy. A view runs a sync round over
 * its members, stamps a new epoch if it is a majority, applies changes in
 * order and commits them by acknowledgements; its end may deliver the
 * last change to only some members (the transitional delivery of virtual
 * synchrony). Invariants: every committed change is in every later
 * majority view's state, and equal (epoch, generation) means equal history.
 */
#define SIM_NODES	5
#define SIM_HIST	512

struct sim_node {
	uint64_t epoch;
	uint64_t promised;	/* S3 */
	size_t n;		/* generation = number of changes applied */
	uint32_t hist[SIM_HIST];
};

struct sim {
	size_t n_nodes;
	uint32_t conf[SIM_NODES];
	struct sim_node node[SIM_NODES + 1];	/* by id */
	bool witness;		/* even clusters: node and disk majority */
	uint32_t holder;	/* of the witness reservation (0: none) */
	struct sim_node copy;	/* the witness copy on the LUN */
	bool no_s7;		/* break S7 on purpose (the test of the test) */
	bool no_promise;	/* break S3/S4: stamp at the round's end, as before */
	bool partial;		/* views may end while their round, promise or
				 * establishment reached only some members */
	bool half;		/* the current view is a half view */
	unsigned int lost;	/* committed changes missing from a stamped view */
	unsigned int forks;	/* equal (epoch, generation), other history */
	uint32_t committed[SIM_HIST * 4];
	size_t n_committed;
	uint32_t next_id;
	uint64_t rng;
};

static uint64_t
sim_rand(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

static uint64_t
sim_hash(const struct sim_node *n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n->n; i++)
		h = (h ^ n->hist[i]) * 1099511628211ull;
	return h | 1;	/* 0 means "no state" */
}

static bool
sim_has(const struct sim_node *n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		if (n->hist[i] == id)
			return true;
	}
	return false;
}

/* A prefix of n members (1..n): how far a delivery got before the view ended. */
static size_t
sim_reach(struct sim *s, size_t n)
{
	if (!s->partial || sim_rand(s) % 6)
		return n;
	return 1 + sim_rand(s) % n;
}

/* S3/S4: establish epoch e at the first q members (set the state's epoch). */
static void
sim_establish(struct sim *s, const uint32_t *members, size_t q, uint64_t e)
{
	size_t i;

	for (i = 0; i < q; i++)
		s->node[members[i]].epoch = e;
}

/*
 * S7: the holder claims a half view (its leader takes the witness over
 * when the holder is outside the view, and reads the copy; a holder knows
 * the copy it read or wrote last): an epoch above the round's and the
 * copy's, the state to go on from (the copy when newer). The first p
 * members get the claim and promise; when all did, the holder writes the
 * state with the epoch to the LUN (or the view ends first), which
 * establishes the view at the first q members.
 * @return the epoch established at every member, 0 when none
 */
static uint64_t
sim_half_claim(struct sim *s, const uint32_t *members, size_t n, uint64_t next)
{
	struct sim_node claim = s->node[members[0]];
	size_t i, p, q;
	uint64_t e;

	if (!cd_ids_contain(members, n, s->holder))
		s->holder = members[0];	/* takes over, reads the copy */
	if (!s->no_s7 && cd_sync_newer(s->copy.epoch, s->copy.n, claim.epoch, claim.n))
		claim = s->copy;
	e = s->no_s7 ? next : cd_sync_claim_epoch(next, s->copy.epoch);
	p = sim_reach(s, n);
	for (i = 0; i < p; i++) {
		uint64_t keep = s->node[members[i]].promised;

		s->node[members[i]] = claim;
		s->node[members[i]].promised = keep > e ? keep : e;
	}
	if (s->no_promise) {
		sim_establish(s, members, p, e);
		if (p < n)
			return 0;
	} else if (p < n || sim_rand(s) % 8 == 0) {
		return 0;	/* not every member promised, or no disk write */
	}
	claim.epoch = e;
	s->copy = claim;
	q = sim_reach(s, n);
	sim_establish(s, members, q, e);
	return q == n ? e : 0;
}

/* A sync round of these members; returns whether the view is established. */
static bool
sim_view(struct sim *s, const uint32_t *members, size_t n, uint64_t *epoch)
{
	struct cd_sync_round r;
	struct cd_sync_offer o;
	enum cd_sync_result res = CD_SYNC_WAITING;
	enum cd_view_kind kind;
	size_t i, done, p, q, k;

	cd_sync_round_start(&r, members, n);
	for (i = 0; i < n; i++) {
		const struct sim_node *sn = &s->node[members[i]];

		o = offer(members[i], sn->n, sim_hash(sn));
		o.epoch = sn->epoch;
		o.promised = s->no_promise ? 0 : sn->promised;
		res = cd_sync_round_offer(&r, &o);
	}
	CU_ASSERT_TRUE_FATAL(res == CD_SYNC_DONE_EQUAL || res == CD_SYNC_DONE_TRANSFER);
	/* the round completes at the first `done` members */
	done = sim_reach(s, n);
	if (res == CD_SYNC_DONE_TRANSFER) {
		struct sim_node w = s->node[r.winner];

		for (i = 0; i < done; i++) {
			uint64_t keep = s->node[members[i]].promised;

			s->node[members[i]] = w;
			s->node[members[i]].promised = keep;
		}
	}
	kind = cd_view_kind(members, n, s->conf, s->n_nodes);
	s->half = kind == CD_VIEW_HALF && s->witness;
	if (kind != CD_VIEW_MAJORITY && !s->half)
		return false;
	*epoch = cd_sync_next_epoch(&r);
	if (s->half) {
		if (done < n || !(*epoch = sim_half_claim(s, members, n, *epoch)))
			return false;
	} else {
		/* S3: the members whose round completed promise; S4: established
		 * where a majority's promises were delivered */
		p = s->no_promise ? done : sim_reach(s, done);
		for (i = 0; i < p; i++) {
			if (s->node[members[i]].promised < *epoch)
				s->node[members[i]].promised = *epoch;
		}
		for (i = 0, k = 0; i < p; i++)
			k += cd_ids_contain(s->conf, s->n_nodes, members[i]);
		if (s->no_promise) {
			sim_establish(s, members, p, *epoch);
		} else if (cd_majority(k, s->n_nodes, false)) {
			q = sim_reach(s, p);
			sim_establish(s, members, q, *epoch);
			p = q;
		} else {
			return false;
		}
		if (p < n)
			return false;
		if (s->witness && !cd_ids_contain(members, n, s->holder) && sim_rand(s) % 2)
			s->holder = members[0];	/* a majority may take the witness too */
	}
	/* every committed change is in an established view's state (S1, S7) */
	for (i = 0; i < s->n_committed; i++)
		s->lost += !sim_has(&s->node[members[0]], s->committed[i]);
	return true;
}

/*
 * Apply one change to the first `reach` members; the witness holder among
 * them may copy its state to the LUN (in a half view it must before the
 * change commits); commit by S5.
 */
static void
sim_change(struct sim *s, const uint32_t *members, size_t reach, uint64_t epoch)
{
	struct cd_acks a;
	uint32_t id = ++s->next_id;
	size_t i;
	uint64_t gen = 0;

	cd_acks_reset(&a, epoch);
	for (i = 0; i < reach; i++) {
		struct sim_node *sn = &s->node[members[i]];

		if (sn->n >= SIM_HIST)
			return;
		sn->hist[sn->n++] = id;
		gen = sn->n;
		cd_acks_note(&a, members[i], epoch, sn->n);
	}
	if (s->witness && cd_ids_contain(members, reach, s->holder) && sim_rand(s) % 4) {
		s->copy = s->node[s->holder];
		cd_acks_note_witness(&a, s->copy.epoch, s->copy.n);
	}
	if (gen && cd_acks_committed(&a, s->conf, s->n_nodes, s->half) >= gen)
		s->committed[s->n_committed++] = id;
}

static void
sim_check_no_fork(struct sim *s)
{
	size_t i, j;

	for (i = 1; i <= s->n_nodes; i++) {
		for (j = i + 1; j <= s->n_nodes; j++) {
			const struct sim_node *a = &s->node[i], *b = &s->node[j];

			if (a->epoch == b->epoch && a->n == b->n && sim_hash(a) != sim_hash(b))
				s->forks++;
		}
	}
}

static void
sim_init(struct sim *s, size_t n, uint64_t seed)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->n_nodes = n;
	s->rng = seed | 1;
	for (i = 0; i < n; i++)
		s->conf[i] = (uint32_t)i + 1;
}

/* Issue 12 §A, the five steps, as views of the clusterd group. */
static void
test_sim_issue_sequence(void)
{
	static const uint32_t all[] = { 1, 2, 3 }, n13[] = { 1, 3 }, n3[] = { 3 },
			      n12[] = { 1, 2 };
	struct sim s;
	uint64_t e;
	size_t i;
	uint32_t on_n3;

	sim_init(&s, 3, 1);
	CU_ASSERT_TRUE(sim_view(&s, all, 3, &e));
	for (i = 0; i < 9; i++)
		sim_change(&s, all, 3, e);
	/* 1. clusterd on n2 killed: {1,3} is still a majority */
	CU_ASSERT_TRUE(sim_view(&s, n13, 2, &e));
	sim_change(&s, n13, 2, e);
	/* 2. n1 killed: n3 alone is no majority and applies nothing */
	CU_ASSERT_FALSE(sim_view(&s, n3, 1, &e));
	on_n3 = (uint32_t)s.node[3].n;	/* it applies nothing (S4) */
	/* 3., 4. n3's clusterd killed; n1 and n2 come back: a majority */
	CU_ASSERT_TRUE(sim_view(&s, n12, 2, &e));
	sim_change(&s, n12, 2, e);
	/* 5. n3 comes back: everyone ends with every committed change */
	CU_ASSERT_TRUE(sim_view(&s, all, 3, &e));
	CU_ASSERT_EQUAL(on_n3, 10);
	for (i = 1; i <= 3; i++)
		CU_ASSERT_EQUAL(s.node[i].n, 11);
	CU_ASSERT_EQUAL(s.n_committed, 11);
	sim_check_no_fork(&s);
	CU_ASSERT_EQUAL(s.lost + s.forks, 0);
}

/*
 * The fork the epoch prevents: n1 alone applied a change the others never
 * got (transitional delivery, not committed); {2,3} then committed another
 * at the same generation. Without epochs the tie went to n1 (lowest id)
 * and the committed change was lost.
 */
static void
test_sim_transitional_fork(void)
{
	static const uint32_t all[] = { 1, 2, 3 }, n23[] = { 2, 3 };
	struct sim s;
	uint64_t e;

	sim_init(&s, 3, 2);
	CU_ASSERT_TRUE(sim_view(&s, all, 3, &e));
	sim_change(&s, all, 3, e);
	sim_change(&s, all, 1, e);	/* reaches n1 only, then the view ends */
	CU_ASSERT_EQUAL(s.n_committed, 1);
	CU_ASSERT_TRUE(sim_view(&s, n23, 2, &e));
	sim_change(&s, n23, 2, e);	/* committed at generation 2 */
	CU_ASSERT_EQUAL(s.n_committed, 2);
	CU_ASSERT_EQUAL(s.node[1].n, s.node[2].n);	/* same generation ... */
	CU_ASSERT_TRUE(sim_view(&s, all, 3, &e));	/* ... the later epoch wins */
	CU_ASSERT_TRUE(sim_has(&s.node[1], s.committed[1]));
	CU_ASSERT_EQUAL(s.lost + s.forks, 0);
}

/*
 * Random views, changes and cut-short deliveries on 2 to 5 nodes (the even
 * ones with the witness: half views commit through the copy); returns the
 * number of failed checks.
 */
static unsigned int
sim_random(size_t nodes, bool no_s7, bool no_promise)
{
	bool broken = no_s7 || no_promise;
	size_t round, i;
	struct sim s;

	sim_init(&s, nodes, 0x9e3779b97f4a7c15ull + nodes);
	s.witness = nodes % 2 == 0;
	s.no_s7 = no_s7;
	s.no_promise = no_promise;
	s.partial = true;
	for (round = 0; round < 2000; round++) {
		uint32_t members[SIM_NODES];
		size_t n = 0, k, changes;
		uint64_t e;

		for (i = 1; i <= nodes; i++) {
			if (sim_rand(&s) % 3)
				members[n++] = (uint32_t)i;
		}
		if (n == 0)
			continue;
		if (!sim_view(&s, members, n, &e))
			continue;
		changes = sim_rand(&s) % 4;
		for (k = 0; k < changes; k++)
			sim_change(&s, members, n, e);
		if (sim_rand(&s) % 2)	/* the view ends mid-delivery */
			sim_change(&s, members, 1 + sim_rand(&s) % n, e);
		sim_check_no_fork(&s);
	}
	{
		uint32_t all[SIM_NODES];
		uint64_t e;

		for (i = 0; i < nodes; i++)
			all[i] = (uint32_t)i + 1;
		s.partial = false;
		CU_ASSERT_TRUE(sim_view(&s, all, nodes, &e));
		for (i = 0; i < s.n_committed; i++)
			s.lost += !sim_has(&s.node[1], s.committed[i]);
		if (!broken && s.n_committed <= 200)
			fprintf(stderr, "\n  %zu nodes: only %zu committed\n", nodes, s.n_committed);
		CU_ASSERT_TRUE(broken || s.n_committed > 200);
	}
	if (!broken && (s.lost || s.forks))
		fprintf(stderr, "\n  %zu nodes: %u lost, %u forks\n", nodes, s.lost, s.forks);
	return s.lost + s.forks;
}

static void
test_sim_random(void)
{
	size_t nodes;

	for (nodes = 2; nodes <= SIM_NODES; nodes++)
		CU_ASSERT_EQUAL(sim_random(nodes, false, false), 0);
}

/*
 * The simulation must see what each rule prevents, or it could not see the
 * rule at all: half views hand changes to each other through the copy only
 * (S7), and an epoch stamped where the round completed at some members
 * only is used again by the next view (S3/S4: promise, then establish).
 */
static void
test_sim_needs_rules(void)
{
	CU_ASSERT_TRUE(sim_random(2, true, false) + sim_random(4, true, false) > 0);
	CU_ASSERT_TRUE(sim_random(3, false, true) + sim_random(5, false, true) > 0);
}

static CU_TestInfo sync_tests[] = {
	{ "all equal: no transfer", test_all_equal },
	{ "highest generation wins", test_highest_generation_wins },
	{ "tie: lowest node id", test_tie_lowest_id },
	{ "delivery order does not matter", test_order_does_not_matter },
	{ "waits for every member", test_waiting_until_all },
	{ "stale, duplicate and foreign offers ignored", test_ignored_offers },
	{ "members without a state only receive", test_stateless_members },
	{ "partition merge converges to the majority", test_partition_merge },
	{ "single member", test_single_member },
	{ "a new membership restarts the round", test_restart_resets },
	{ "cd_sync_choose", test_choose_direct },
	{ "S2: view kinds", test_view_kind_table },
	{ "S3: next epoch", test_next_epoch },
	{ "S5: commit table", test_commit_table },
	{ "S5: half of the nodes with the witness", test_commit_half_with_witness },
	{ "S7: the claim carries a newer witness copy", test_claim_copy },
	{ "simulation: issue 12 five-step sequence", test_sim_issue_sequence },
	{ "simulation: transitional fork", test_sim_transitional_fork },
	{ "simulation: random views (even: with the witness)", test_sim_random },
	{ "simulation: S3/S4 or S7 broken on purpose loses changes", test_sim_needs_rules },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "sync", NULL, NULL, NULL, NULL, sync_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
