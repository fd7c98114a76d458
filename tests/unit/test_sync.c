/*
 * test_sync.c - the state synchronisation rules (lib/sync.c, cd_sync_choose):
 * who wins, when a transfer is needed, and which offers count.
 */
#include "sync.h"
#include "unit.h"

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
