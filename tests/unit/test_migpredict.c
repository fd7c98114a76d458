/*
 * test_migpredict.c - the live-migration prediction (lib/migpredict.h),
 * as a table of cases.
 */
#include "migpredict.h"
#include "unit.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <stdio.h>

#define MiB (1024ull * 1024)

static const struct pcase {
	const char *what;
	struct cd_migpredict_in in;
	int rc;
	struct cd_migpredict out;
} cases[] = {
	{ "P1 no bandwidth: no prediction",
	  { .ram_bytes = 256 * MiB }, -ENODATA, { 0 } },
	{ "invalid: no RAM", { .link_bps = 100 * MiB }, -EINVAL, { 0 } },
	{ "P3 paused: one pass, the whole memory is the pause",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .paused = true },
	  0, { .total_ms = 2560, .downtime_ms = 2560, .passes = 1, .converges = true } },
	{ "P3 + P2 + P6: disks first, then the paused memory, setup on top",
	  { .ram_bytes = 256 * MiB, .link_bps = 128 * MiB, .paused = true,
	    .disk_bytes = 1024 * MiB, .setup_ms = 400 },
	  0, { .total_ms = 400 + 8000 + 2000, .downtime_ms = 2000, .passes = 1, .converges = true } },
	{ "P4 idle guest: one bulk pass, a second of nothing",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB },
	  0, { .total_ms = 2561, .downtime_ms = 1, .passes = 2, .converges = true } },
	{ "P4 small guest: the first pass fits the pause",
	  { .ram_bytes = 16 * MiB, .link_bps = 100 * MiB, .dirty_bps = 50 * MiB },
	  0, { .total_ms = 160, .downtime_ms = 160, .passes = 1, .converges = true } },
	{ "P4 dirtying at half the link: passes halve until one fits 300 ms",
	  /* 2560 + 1280 + 640 + 320 ms sent, then 160 ms fits */
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .dirty_bps = 50 * MiB },
	  0, { .total_ms = 2560 + 1280 + 640 + 320 + 160, .downtime_ms = 160, .passes = 5,
	       .converges = true } },
	{ "P4 a higher downtime limit ends sooner",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .dirty_bps = 50 * MiB,
	    .downtime_limit_ms = 700 },
	  0, { .total_ms = 2560 + 1280 + 640, .downtime_ms = 640, .passes = 3, .converges = true } },
	{ "P4 dirtying at 90% of the link: slow, 22 passes (0.9^21 x 2560 ms fits)",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .dirty_bps = 90 * MiB },
	  0, { .total_ms = 23089, .downtime_ms = 281, .passes = 22, .converges = true } },
	{ "P5 dirtying at 97% of the link: not within 30 passes",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .dirty_bps = 97 * MiB },
	  0, { .converges = false } },
	{ "P5 dirtying as fast as the link: does not converge",
	  { .ram_bytes = 256 * MiB, .link_bps = 100 * MiB, .dirty_bps = 100 * MiB },
	  0, { .converges = false } },
	{ "P5 dirtying faster than the link",
	  { .ram_bytes = 256 * MiB, .link_bps = 16 * MiB, .dirty_bps = 64 * MiB },
	  0, { .converges = false } },
	{ "P7 paused mode with the postcopy policy: no pause but the switch",
	  { .ram_bytes = 256 * MiB, .link_bps = 16 * MiB, .paused = true, .postcopy = true },
	  0, { .total_ms = 16000, .downtime_ms = 0, .passes = 1, .converges = true } },
	{ "P7 does not apply to a live pre-copy that does not converge (P5)",
	  { .ram_bytes = 256 * MiB, .link_bps = 16 * MiB, .dirty_bps = 64 * MiB, .postcopy = true },
	  0, { .converges = false } },
	{ "P5 paused mode converges whatever the guest dirties",
	  { .ram_bytes = 256 * MiB, .link_bps = 16 * MiB, .dirty_bps = 64 * MiB, .paused = true },
	  0, { .total_ms = 16000, .downtime_ms = 16000, .passes = 1, .converges = true } },
};

static void
test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct cd_migpredict out;
		int rc = cd_migpredict(&c->in, &out);

		if (rc != c->rc || (rc == 0 && (out.total_ms != c->out.total_ms ||
						out.downtime_ms != c->out.downtime_ms ||
						out.passes != c->out.passes ||
						out.converges != c->out.converges))) {
			printf("\n  %s: rc %d total %llu downtime %llu passes %u converges %d\n",
			       c->what, rc, (unsigned long long)out.total_ms,
			       (unsigned long long)out.downtime_ms, out.passes, out.converges);
			CU_FAIL(c->what);
		}
	}
	CU_ASSERT_EQUAL(cd_migpredict(NULL, NULL), -EINVAL);
}

static CU_TestInfo tests[] = {
	{ "prediction table (P1-P7)", test_table },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "migpredict", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
