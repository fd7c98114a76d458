/*
 * test_migstall.c - stall handling of live migration (lib/migstall.h,
 * rules S1-S9): a table of simulated transfers (pass sizes, pass length,
 * policy, paused mode, limits) fed sample by sample as the plugin feeds
 * QEMU's query-migrate every 200 ms, with the decisions each must produce,
 * in order and at which pass; then the single rules one by one.
 */
#include "migstall.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1024ull * 1024ull)
#define MAXP 40
#define MAXD 8

/*
 * A simulated transfer: pass 1 is the bulk copy of bulk MiB; pass k >= 2
 * starts with size[k-2] MiB (the last entry repeats) that shrinks
 * linearly to 0 over pass_ms, as QEMU's remaining does within a pass.
 */
struct sim {
	const char *name;
	enum cd_migpolicy policy;
	bool paused;
	uint32_t downtime, downtime_max, window, timeout;
	uint64_t bulk;
	uint32_t pass_ms;
	unsigned n_size;
	uint64_t size[8];
	unsigned passes;	/* simulate this many passes */
	/* expected decisions, in order, and the pass each comes in */
	unsigned n_dec;
	enum cd_migstall_act act[MAXD];
	unsigned at_pass[MAXD];
	uint32_t dt[MAXD];	/* STEP: the new limit */
	const char *why;	/* substring of the last decision's reason */
};

#define ST CD_MIGSTALL_STEP
#define AB CD_MIGSTALL_ABORT
#define PC CD_MIGSTALL_POSTCOPY

static const struct sim sims[] = {
	/* S1: precopy never decides, however stuck */
	{ "precopy, stuck", CD_MIGPOLICY_PRECOPY, false, 300, 2000, 3000, 0, 256, 2000, 1, { 64 },
	  20, 0, { 0 }, { 0 }, { 0 }, NULL },
	/* S2: paused + postcopy: at the first sample; paused + stall-abort: never */
	{ "paused, postcopy", CD_MIGPOLICY_POSTCOPY, true, 300, 2000, 3000, 0, 256, 2000, 1, { 64 },
	  5, 1, { PC }, { 1 }, { 0 }, "paused for the transfer" },
	{ "paused, stall-abort", CD_MIGPOLICY_STALL_ABORT, true, 300, 2000, 3000, 0, 256, 2000, 1,
	  { 64 }, 10, 0, { 0 }, { 0 }, { 0 }, NULL },
	/* S6-S8: a constant dirty set. Pass 2 is the first sized pass
	 * (progress, closed when pass 3 begins); two passes without progress
	 * (3, 4) -> stall when pass 5 begins; after a step two more each. */
	{ "stall-abort, constant 64 MiB", CD_MIGPOLICY_STALL_ABORT, false, 300, 1000, 3000, 0, 256,
	  2000, 1, { 64 }, 20, 3, { ST, ST, AB }, { 5, 7, 9 }, { 600, 1000, 0 },
	  "cancelled, the VM runs on the source" },
	{ "postcopy, constant 64 MiB", CD_MIGPOLICY_POSTCOPY, false, 300, 1000, 3000, 0, 256,
	  2000, 1, { 64 }, 20, 3, { ST, ST, PC }, { 5, 7, 9 }, { 600, 1000, 0 },
	  "switching to post-copy" },
	/* the default bound 2000: 300 -> 600 -> 1200 -> 2000 -> post-copy */
	{ "postcopy, default bound", CD_MIGPOLICY_POSTCOPY, false, 300, 2000, 3000, 0, 256, 2000, 1,
	  { 64 }, 30, 4, { ST, ST, ST, PC }, { 5, 7, 9, 11 }, { 600, 1200, 2000, 0 },
	  "downtime limit 2000 ms" },
	/* bound at or below the start: no step, straight to the decision */
	{ "no room to step", CD_MIGPOLICY_STALL_ABORT, false, 300, 100, 3000, 0, 256, 2000, 1,
	  { 64 }, 20, 1, { AB }, { 5 }, { 0 }, "downtime limit 300 ms" },
	/* converging: each pass well below the best */
	{ "halving", CD_MIGPOLICY_POSTCOPY, false, 300, 1000, 3000, 0, 256, 2000, 6,
	  { 64, 32, 16, 8, 4, 2 }, 8, 0, { 0 }, { 0 }, { 0 }, NULL },
	/* S5: 5 % per pass is no progress (10 % needed): a stall */
	{ "5 % a pass", CD_MIGPOLICY_STALL_ABORT, false, 300, 1000, 3000, 0, 256, 2000, 5,
	  { 100, 95, 90, 86, 82 }, 6, 1, { ST }, { 5 }, { 600 }, "without shrinking" },
	/* ...but 15 % over two passes is (pass 4 at 85 of 100): no stall then */
	{ "8 % a pass", CD_MIGPOLICY_STALL_ABORT, false, 300, 1000, 3000, 0, 256, 2000, 4,
	  { 100, 92, 85, 78 }, 6, 0, { 0 }, { 0 }, { 0 }, NULL },
	/* S6: the window dominates short passes: 0.6 s passes (3 samples),
	 * 4 s window: progress at 1.2 s, step at 5.2 s (pass 9), abort at
	 * 9.2 s (pass 16) */
	{ "short passes, window", CD_MIGPOLICY_STALL_ABORT, false, 300, 600, 4000, 0, 256, 500, 1,
	  { 16 }, 25, 2, { ST, AB }, { 9, 16 }, { 600, 0 }, "in 4.0 s" },
	/* S9: a 14 s budget at 80 Mbit/s: 64 MiB need 6.7 s; when pass 4
	 * begins (6 s in, 8 s left) that plus the 3 s window is more than
	 * what is left, before the stall of pass 5 */
	{ "deadline, postcopy", CD_MIGPOLICY_POSTCOPY, false, 300, 2000, 3000, 14000, 64, 2000, 1,
	  { 64 }, 10, 1, { PC }, { 4 }, { 0 }, "8.0 s left of the transfer's 14 s" },
	/* ...and a budget that fits (need + window < left throughout): no S9 */
	{ "deadline fits", CD_MIGPOLICY_POSTCOPY, false, 300, 300, 3000, 60000, 64, 2000, 1,
	  { 64 }, 10, 1, { PC }, { 5 }, { 0 }, "2 passes in 4.0 s" },
	/* S9 for stall-abort, and a budget too short from the start: decided
	 * one window (3 s) in, in pass 2 */
	{ "deadline, stall-abort", CD_MIGPOLICY_STALL_ABORT, false, 300, 2000, 3000, 5000, 64,
	  2000, 1, { 64 }, 10, 1, { AB }, { 2 }, { 0 }, "2.0 s left of the transfer's 5 s" },
	/* no budget (0): only stalls decide */
	{ "no deadline", CD_MIGPOLICY_POSTCOPY, false, 300, 300, 3000, 0, 64, 2000, 1,
	  { 64 }, 10, 1, { PC }, { 5 }, { 0 }, "2 passes in 4.0 s" },
};

/* throughput of the simulation: 10 MB/s */
#define SIM_MBPS 80.0

static void
run_sim(const struct sim *c)
{
	struct cd_migstall_cfg cfg = { .policy = c->policy, .paused = c->paused,
				       .downtime_ms = c->downtime,
				       .downtime_max_ms = c->downtime_max,
				       .window_ms = c->window, .timeout_ms = c->timeout };
	struct cd_migstall s;
	unsigned got = 0, p;
	uint64_t t = 0;

	cd_migstall_init(&s, &cfg);
	for (p = 1; p <= c->passes; p++) {
		uint64_t size = p == 1 ? c->bulk * MiB :
				c->size[p - 2 < c->n_size ? p - 2 : c->n_size - 1] * MiB;
		uint32_t ms;

		for (ms = 0; ms < c->pass_ms; ms += 200, t += 200) {
			struct cd_migstall_sample x = {
				.elapsed_ms = t, .status = "active",
				.remaining = size - size * ms / c->pass_ms,
				.passes = p, .mbps = SIM_MBPS };
			struct cd_migstall_decision d = cd_migstall_feed(&s, &x);

			if (d.act == CD_MIGSTALL_NONE)
				continue;
			if (got >= c->n_dec) {
				fprintf(stderr, "%s: unexpected decision %d at pass %u: %s\n",
					c->name, d.act, p, d.why);
				CU_FAIL("unexpected decision");
				return;
			}
			if (d.act != c->act[got] || p != c->at_pass[got] ||
			    (d.act == ST && d.downtime_ms != c->dt[got]))
				fprintf(stderr, "%s: decision %u: act %d at pass %u (dt %u), "
					"want %d at %u (dt %u): %s\n", c->name, got, d.act, p,
					d.downtime_ms, c->act[got], c->at_pass[got],
					c->dt[got], d.why);
			CU_ASSERT_EQUAL(d.act, c->act[got]);
			CU_ASSERT_EQUAL(p, c->at_pass[got]);
			if (d.act == ST)
				CU_ASSERT_EQUAL(d.downtime_ms, c->dt[got]);
			CU_ASSERT_TRUE(d.why[0] != '\0');
			got++;
			if (got == c->n_dec && c->why && !strstr(d.why, c->why)) {
				fprintf(stderr, "%s: reason '%s' lacks '%s'\n", c->name, d.why,
					c->why);
				CU_FAIL("reason");
			}
		}
	}
	if (got != c->n_dec)
		fprintf(stderr, "%s: %u decisions, want %u\n", c->name, got, c->n_dec);
	CU_ASSERT_EQUAL(got, c->n_dec);
}

static void
test_sims(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(sims); i++)
		run_sim(&sims[i]);
}

/* S3: only active pre-copy samples count; a sync count going back is ignored. */
static void
test_status_filter(void)
{
	struct cd_migstall_cfg cfg = { .policy = CD_MIGPOLICY_STALL_ABORT, .downtime_ms = 300,
				       .downtime_max_ms = 300, .window_ms = 1000 };
	static const char *const other[] = { "setup", "device", "postcopy-active",
					     "completed", "cancelling", "pre-switchover" };
	struct cd_migstall s;
	struct cd_migstall_sample x = { .remaining = 64 * MiB, .mbps = 80.0 };
	size_t i;
	uint64_t p;

	cd_migstall_init(&s, &cfg);
	/* many passes, none active: nothing counted */
	for (p = 1; p < 20; p++) {
		for (i = 0; i < N_ELEMS(other); i++) {
			x.status = other[i];
			x.passes = p;
			x.elapsed_ms = p * 1000 + i;
			CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
		}
	}
	CU_ASSERT_FALSE(s.started);
	x.status = NULL;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	/* active: bulk pass 5, sized 6 (progress), 7, 8, stall at 9 */
	x.status = "active";
	for (p = 5; p <= 8; p++) {
		x.passes = p;
		x.elapsed_ms = p * 2000;
		CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	}
	/* a sample from before (lower sync count) is ignored */
	x.passes = 3;
	x.elapsed_ms = 30000;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	CU_ASSERT_EQUAL(s.pass, 8);
	x.passes = 9;
	x.elapsed_ms = 18000;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_ABORT);
	/* S8: once only */
	x.passes = 20;
	x.elapsed_ms = 60000;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
}

/* S9: not in the first window, whatever QEMU's first throughput says
 * (the lab saw "1 Mbit/s" in the first samples of a 16 MiB/s transfer). */
static void
test_deadline_not_early(void)
{
	struct cd_migstall_cfg cfg = { .policy = CD_MIGPOLICY_STALL_ABORT, .downtime_ms = 300,
				       .downtime_max_ms = 600, .window_ms = 3000,
				       .timeout_ms = 300000 };
	struct cd_migstall s;
	struct cd_migstall_sample x = { .status = "active", .passes = 1,
					.remaining = 176 * MiB, .mbps = 1.0 };
	struct cd_migstall_decision d;

	cd_migstall_init(&s, &cfg);
	for (x.elapsed_ms = 1000; x.elapsed_ms < 4000; x.elapsed_ms += 200)
		CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	/* one window after the first sample, a throughput still that low
	 * does decide: 176 MiB at 1 Mbit/s cannot fit in 296 s */
	x.elapsed_ms = 4000;
	d = cd_migstall_feed(&s, &x);
	CU_ASSERT_EQUAL(d.act, CD_MIGSTALL_ABORT);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "at 1 Mbit/s"));
}

/* S4: a pass's size is its largest remaining, not its first sample. */
static void
test_pass_size_is_peak(void)
{
	struct cd_migstall_cfg cfg = { .policy = CD_MIGPOLICY_STALL_ABORT, .downtime_ms = 300,
				       .downtime_max_ms = 600, .window_ms = 100 };
	struct cd_migstall s;
	struct cd_migstall_sample x = { .status = "active", .mbps = 80.0 };

	cd_migstall_init(&s, &cfg);
	x.passes = 1, x.remaining = 100 * MiB, x.elapsed_ms = 0;
	cd_migstall_feed(&s, &x);
	/* pass 2: first sample 10 MiB (sampled late), then 50 MiB seen */
	x.passes = 2, x.remaining = 10 * MiB, x.elapsed_ms = 1000;
	cd_migstall_feed(&s, &x);
	x.remaining = 50 * MiB, x.elapsed_ms = 1200;
	cd_migstall_feed(&s, &x);
	x.passes = 3, x.remaining = 48 * MiB, x.elapsed_ms = 2000;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	CU_ASSERT_EQUAL(s.best, 50 * MiB);
	/* pass 3 peaks at 48 (4 % less), pass 4: no progress -> step at 5 */
	x.passes = 4, x.remaining = 47 * MiB, x.elapsed_ms = 3000;
	CU_ASSERT_EQUAL(cd_migstall_feed(&s, &x).act, CD_MIGSTALL_NONE);
	x.passes = 5, x.remaining = 47 * MiB, x.elapsed_ms = 4000;
	struct cd_migstall_decision d = cd_migstall_feed(&s, &x);
	CU_ASSERT_EQUAL(d.act, CD_MIGSTALL_STEP);
	CU_ASSERT_EQUAL(d.downtime_ms, 600);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.why, "below 50.0 MiB"));
}

/* cd_migstall_init's defaults. */
static void
test_defaults(void)
{
	struct cd_migstall_cfg cfg = { .policy = CD_MIGPOLICY_POSTCOPY };
	struct cd_migstall s;

	cd_migstall_init(&s, &cfg);
	CU_ASSERT_EQUAL(s.cfg.downtime_ms, 300);
	CU_ASSERT_EQUAL(s.cfg.downtime_max_ms, 300);
	CU_ASSERT_EQUAL(s.cfg.window_ms, CD_MIGSTALL_WINDOW_MS);
	CU_ASSERT_EQUAL(s.cfg.min_passes, CD_MIGSTALL_MIN_PASSES);
	CU_ASSERT_EQUAL(s.cfg.shrink_pct, CD_MIGSTALL_SHRINK_PCT);
	cfg.shrink_pct = 100;
	cfg.downtime_ms = 500;
	cfg.downtime_max_ms = 4000;
	cd_migstall_init(&s, &cfg);
	CU_ASSERT_EQUAL(s.cfg.shrink_pct, CD_MIGSTALL_SHRINK_PCT);
	CU_ASSERT_EQUAL(s.downtime_ms, 500);
	CU_ASSERT_EQUAL(s.cfg.downtime_max_ms, 4000);
}

static void
test_policy_names(void)
{
	static const char *const bad[] = { "", "pre-copy", "Postcopy", "stall", "abort",
					   "postcopy ", NULL };
	enum cd_migpolicy p = CD_MIGPOLICY_POSTCOPY;
	size_t i;

	CU_ASSERT_EQUAL(cd_migpolicy_parse("precopy", &p), 0);
	CU_ASSERT_EQUAL(p, CD_MIGPOLICY_PRECOPY);
	CU_ASSERT_EQUAL(cd_migpolicy_parse("stall-abort", &p), 0);
	CU_ASSERT_EQUAL(p, CD_MIGPOLICY_STALL_ABORT);
	CU_ASSERT_EQUAL(cd_migpolicy_parse("postcopy", &p), 0);
	CU_ASSERT_EQUAL(p, CD_MIGPOLICY_POSTCOPY);
	for (i = 0; i < N_ELEMS(bad); i++) {
		CU_ASSERT_EQUAL(cd_migpolicy_parse(bad[i], &p), -EINVAL);
		CU_ASSERT_EQUAL(p, CD_MIGPOLICY_POSTCOPY);	/* unchanged */
	}
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(cd_migpolicy_parse(cd_migpolicy_name((enum cd_migpolicy)i), &p), 0);
		CU_ASSERT_EQUAL((size_t)p, i);
	}
	CU_ASSERT_STRING_EQUAL(cd_migpolicy_name((enum cd_migpolicy)7), "?");
}

static CU_TestInfo tests[] = {
	{ "simulated transfers: decisions and when (S1, S2, S4-S9)", test_sims },
	{ "S3: only active samples, sync count never back", test_status_filter },
	{ "S4: a pass's size is its peak", test_pass_size_is_peak },
	{ "S9: not in the first window", test_deadline_not_early },
	{ "init: defaults and bounds", test_defaults },
	{ "policy names", test_policy_names },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "migstall", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
