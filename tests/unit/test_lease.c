/*
 * test_lease.c - the self-fencing lease rules (lib/lease.c): when a node
 * may renew (L2), when a peer is stale (L4), when its roles may move (L5).
 */
#include "lease.h"
#include "timeutil.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A case is a delivery sequence seen by node `self`: "o<t0>" its own
 * heartbeat t0 delivered, "m<id>" a message of node id delivered. `want`
 * lists the t0 each event renews from (0: no renewal).
 */
struct renew_case {
	const char *what;
	uint32_t self;
	uint32_t conf[5];
	size_t n_conf;
	bool witness;
	const char *events[8];
	uint64_t want[8];
};

static const struct renew_case renew_cases[] = {
	{ "3 nodes: one peer after our heartbeat", 1, { 1, 2, 3 }, 3, false,
	  { "o100", "m2", "m3" }, { 0, 100, 0 } },
	{ "peers before our heartbeat do not count", 1, { 1, 2, 3 }, 3, false,
	  { "m2", "m3", "o100", "m3" }, { 0, 0, 0, 100 } },
	{ "our own messages do not count", 1, { 1, 2, 3 }, 3, false,
	  { "o100", "m1", "m1" }, { 0, 0, 0 } },
	{ "5 nodes need two peers", 2, { 1, 2, 3, 4, 5 }, 5, false,
	  { "o50", "m4", "m4", "m1" }, { 0, 0, 0, 50 } },
	{ "a newer heartbeat renews further", 1, { 1, 2, 3 }, 3, false,
	  { "o100", "m2", "o200", "m3" }, { 0, 100, 0, 200 } },
	{ "the older heartbeat may still complete", 1, { 1, 2, 3, 4, 5 }, 5, false,
	  { "o100", "m2", "o200", "m3" }, { 0, 0, 0, 100 } },
	{ "once renewed, a heartbeat is spent", 1, { 1, 2, 3 }, 3, false,
	  { "o100", "m2", "m3", "m2" }, { 0, 100, 0, 0 } },
	{ "unconfigured nodes do not count", 1, { 1, 2, 3 }, 3, false,
	  { "o100", "m9", "m8" }, { 0, 0, 0 } },
	{ "half without the witness: never", 1, { 1, 2, 3, 4 }, 4, false,
	  { "o100", "m2", "o200", "m2" }, { 0, 0, 0, 0 } },
	{ "half with the witness vote", 1, { 1, 2, 3, 4 }, 4, true,
	  { "o100", "m2" }, { 0, 100 } },
	{ "single-node cluster renews on its own heartbeat", 1, { 1 }, 1, false,
	  { "o100", "o200" }, { 100, 200 } },
	{ "a node not configured counts only its peers", 7, { 1, 2, 3 }, 3, false,
	  { "o100", "m2", "m3" }, { 0, 0, 100 } },
};

static void
test_renew_table(void)
{
	size_t i, j;

	for (i = 0; i < N_ELEMS(renew_cases); i++) {
		const struct renew_case *c = &renew_cases[i];
		struct cd_lease_track t;

		cd_lease_track_reset(&t);
		for (j = 0; j < N_ELEMS(c->events) && c->events[j]; j++) {
			uint64_t v = strtoull(c->events[j] + 1, NULL, 10), got;

			if (c->events[j][0] == 'o')
				got = cd_lease_own(&t, v, c->self, c->conf, c->n_conf, c->witness);
			else
				got = cd_lease_heard(&t, (uint32_t)v, c->self, c->conf, c->n_conf,
						     c->witness);
			if (got != c->want[j])
				fprintf(stderr, "\n  lease case \"%s\" event %zu (%s): %llu, "
					"want %llu\n", c->what, j, c->events[j],
					(unsigned long long)got, (unsigned long long)c->want[j]);
			CU_ASSERT_EQUAL(got, c->want[j]);
		}
	}
}

static void
test_stale_and_recovery(void)
{
	CU_ASSERT_FALSE(cd_lease_peer_stale(1000, 1000, 1000));
	CU_ASSERT_FALSE(cd_lease_peer_stale(1000, 2000, 1000));
	CU_ASSERT_TRUE(cd_lease_peer_stale(1000, 2001, 1000));
	CU_ASSERT_FALSE(cd_lease_peer_stale(5000, 1000, 1000));	/* clock order */
	/* L5: lease + 10 % + the kill margin after the loss */
	CU_ASSERT_EQUAL(cd_lease_recovery_at(10000, 1000), 10000 + 1000 + 100 +
			CD_LEASE_KILL_MARGIN_MS);
	CU_ASSERT_EQUAL(cd_lease_recovery_at(0, 300), 300 + 30 + CD_LEASE_KILL_MARGIN_MS);
}

/*
 * L5a: a loss learnt outside a majority counts from the moment this node
 * entered one (fault run seed 120603: n2 in a minority saw n1 leave, then
 * joined n3 16 s later and recovered n1's roles at once, while n1 still
 * renewed with n3 until its clusterd was killed 3 s before).
 * L5b: a peer heard after its loss was first seen counts from then (fault
 * run seed 120717: n1, the leader, stopped for 8.5 s; n2's clusterd killed,
 * restarted and killed again meanwhile; n1 read n2's rejoin and second
 * leave in one go and recovered n2's role at once, timed from the first
 * kill, while n2 had renewed its lease in between: 1.7 s on two nodes).
 */
static void
test_lost_since(void)
{
	static const struct {
		const char *what;
		uint64_t seen, since, heard, want;
	} c[] = {
		{ "lost inside the majority: when it was seen", 20000, 15000, 19000, 20000 },
		{ "lost while in a minority: when the majority was joined", 1000, 17000, 900, 17000 },
		{ "seen at the moment the majority formed", 17000, 17000, 0, 17000 },
		{ "started clusterd, the peer absent from the start", 0, 9000, 0, 9000 },
		{ "heard again after the loss, lost again: the later", 56790, 54576, 63552, 63552 },
		{ "heard again while in a minority, then the majority", 1000, 17000, 12000, 17000 },
		{ "heard after the majority formed", 1000, 17000, 18000, 18000 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t got = cd_lease_lost_since(c[i].seen, c[i].since, c[i].heard);

		if (got != c[i].want)
			fprintf(stderr, "lost_since: %s: got %llu, want %llu\n", c[i].what,
				(unsigned long long)got, (unsigned long long)c[i].want);
		CU_ASSERT_EQUAL(got, c[i].want);
	}
}

/*
 * The wait before a failed fence is retried (rm-leader.c): fault run seed
 * 120717 logged 1096 failed fences of one node 4 ms apart.
 */
static void
test_backoff(void)
{
	static const struct { uint32_t failures; uint64_t want; } c[] = {
		{ 0, 100 }, { 1, 100 }, { 2, 200 }, { 3, 400 }, { 6, 3200 }, { 7, 3200 },
		{ 1000, 3200 }, { UINT32_MAX, 3200 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t got = cd_backoff_ms(c[i].failures, 100, 3200);

		if (got != c[i].want)
			fprintf(stderr, "backoff: %u failures: got %llu, want %llu\n", c[i].failures,
				(unsigned long long)got, (unsigned long long)c[i].want);
		CU_ASSERT_EQUAL(got, c[i].want);
	}
}

/* L7: the lease outlasts corosync's ring re-formation. */
static void
test_effective_lease(void)
{
	static const struct { uint32_t conf, token, consensus, want; } c[] = {
		{ 2000, 0, 0, 2000 },		/* unknown totem: as configured */
		{ 2000, 1000, 1200, 6600 },	/* the lab's token 1000 */
		{ 2000, 3000, 3600, 19800 },	/* corosync's defaults */
		{ 30000, 1000, 1200, 30000 },	/* a longer lease stays */
		{ 300, 100, 120, 660 },
		{ 1000, 300000, 360000, 600000 },	/* capped */
	};
	size_t i;

	for (i = 0; i < N_ELEMS(c); i++)
		CU_ASSERT_EQUAL(cd_lease_effective_ms(c[i].conf, c[i].token, c[i].consensus),
				c[i].want);
}

/*
 * L2 + L5 together: the node renews from its heartbeats while the cluster
 * answers; the cluster loses it at T (it is cut off: nothing delivered
 * after T). Whatever the timing, its lease ends by cd_lease_recovery_at(T).
 */
static void
test_cut_off_node_expires_in_time(void)
{
	static const uint32_t conf[] = { 1, 2, 3 };
	uint64_t cut;

	for (cut = 1000; cut < 3000; cut += 37) {
		struct cd_lease_track t;
		uint64_t now, until = 0, r;

		cd_lease_track_reset(&t);
		/* heartbeats every 250 ms; peers' messages 3 ms later */
		for (now = 0; now < cut; now += 250) {
			cd_lease_own(&t, now, 1, conf, 3, false);
			if (now + 3 < cut) {
				r = cd_lease_heard(&t, 2, 1, conf, 3, false);
				if (r && r + 1000 > until)
					until = r + 1000;
			}
		}
		CU_ASSERT_TRUE(until <= cd_lease_recovery_at(cut, 1000));
	}
}

static CU_TestInfo lease_tests[] = {
	{ "L2: renewals, table", test_renew_table },
	{ "L4, L5: stale peers, recovery time", test_stale_and_recovery },
	{ "L5a, L5b: a loss learnt outside a majority, a peer heard again", test_lost_since },
	{ "a failed fence's retry backs off", test_backoff },
	{ "L7: the lease outlasts the ring re-formation", test_effective_lease },
	{ "L2+L5: a cut-off node's lease ends in time", test_cut_off_node_expires_in_time },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "lease", NULL, NULL, NULL, NULL, lease_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
