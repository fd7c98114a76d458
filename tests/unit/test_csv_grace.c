/*
 * test_csv_grace.c - the lock grace period of a new CSV coordinator
 * (lib/csv-grace.c, rules G1-G6 of csv-grace.h): tables of scripted cases.
 *
 * A case starts a grace at t=0 with a bound of 1000 ms, the expected
 * clients "ID@NODE ..." and the fenced nodes "NODE ...", then runs steps,
 * ';'-separated, each checked at once:
 *   "T admit KIND ID = go|wait|refuse"   KIND: reclaim, take, release
 *   "T done ID = ended|on"               RECLAIM_DONE (grace ended by it?)
 *   "T hello NODE ID = ended|on"
 *   "T fenced NODE = ended|on"
 *   "T tick = ended|on"
 *   "active = yes|no"                    csv_grace's state now
 */
#include "csv-grace.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gcase {
	const char *name;
	const char *expected;
	const char *fenced;
	const char *steps;
};

static const struct gcase cases[] = {
	{ "G1: empty record, no grace", "", "", "active = no; 0 admit take 5 = go; "
	  "0 admit reclaim 5 = refuse" },
	{ "G1: every expected node fenced, no grace", "1@n1 2@n1", "n1", "active = no; "
	  "0 admit take 3 = go" },
	{ "G1: one expected client not fenced: grace", "1@n1 2@n2", "n1", "active = yes; "
	  "0 admit reclaim 1 = refuse; 0 admit reclaim 2 = go" },
	{ "G2: expected client reclaims, others refused", "1@n1 2@n2", "",
	  "10 admit reclaim 1 = go; 10 admit reclaim 2 = go; 10 admit reclaim 3 = refuse" },
	{ "G2: no reclaim after RECLAIM_DONE", "1@n1 2@n2", "",
	  "10 done 1 = on; 11 admit reclaim 1 = refuse; 11 admit reclaim 2 = go" },
	{ "G3: takes wait, releases go", "1@n1", "",
	  "10 admit take 1 = wait; 10 admit take 9 = wait; 10 admit release 9 = go; "
	  "10 admit release 1 = go" },
	{ "G5: last RECLAIM_DONE ends the grace", "1@n1 2@n2", "",
	  "10 done 1 = on; active = yes; 20 done 2 = ended; active = no; "
	  "21 admit take 9 = go; 21 admit reclaim 2 = refuse" },
	{ "G5: a done of a stranger changes nothing", "1@n1", "",
	  "10 done 7 = on; active = yes; 11 admit take 7 = wait" },
	{ "G5: the bound ends the grace", "1@n1", "",
	  "999 tick = on; 999 admit take 2 = wait; 1000 tick = ended; active = no; "
	  "1000 admit take 2 = go; 1000 admit reclaim 1 = refuse" },
	{ "G5: the bound is checked by admit too", "1@n1", "",
	  "1500 admit take 2 = go; active = no; 1500 tick = on" },
	{ "G5: a new client of the node replaces the old", "1@n1 2@n2", "",
	  "10 hello n1 5 = on; 10 admit reclaim 1 = refuse; 10 admit reclaim 5 = refuse; "
	  "10 hello n2 6 = ended; 11 admit take 5 = go" },
	{ "G5: the same client saying HELLO again is not replaced", "1@n1", "",
	  "10 hello n1 1 = on; 10 admit reclaim 1 = go; 20 done 1 = ended" },
	{ "G5: fencing a node ends its clients' part", "1@n1 2@n1 3@n2", "",
	  "10 done 3 = on; 10 admit take 3 = wait; 20 fenced n3 = on; 30 fenced n1 = ended; "
	  "30 admit take 3 = go; 30 admit reclaim 1 = refuse" },
	{ "G5: never restarts", "1@n1", "",
	  "10 done 1 = ended; 20 hello n1 1 = on; 20 admit take 2 = go; active = no" },
	{ "duplicate ids count once", "1@n1 1@n1 0@n2", "",
	  "10 done 1 = ended" },
};

static void
start(struct csv_grace *g, const struct gcase *c)
{
	static struct csv_grace_client exp[CSV_GRACE_MAX];
	char buf[512], *tok, *save = NULL, *fen[16];
	static char fbuf[512];
	size_t n = 0, nf = 0;

	snprintf(buf, sizeof(buf), "%s", c->expected);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *at = strchr(tok, '@');

		CU_ASSERT_FATAL(at != NULL);
		*at = '\0';
		exp[n] = (struct csv_grace_client){ .id = strtoull(tok, NULL, 10), .done = true };
		snprintf(exp[n].node, sizeof(exp[n].node), "%s", at + 1);
		n++;
	}
	snprintf(fbuf, sizeof(fbuf), "%s", c->fenced);
	save = NULL;
	for (tok = strtok_r(fbuf, " ", &save); tok && nf < 15; tok = strtok_r(NULL, " ", &save))
		fen[nf++] = tok;
	fen[nf] = NULL;
	csv_grace_start(g, 0, 1000, exp, n, (const char *const *)fen);
}

static void
run_step(struct csv_grace *g, const struct gcase *c, char *step)
{
	char what[16] = "", a[64] = "", b[64] = "", want[16] = "";
	unsigned long long t = 0;
	const char *got = "?";

	while (*step == ' ')
		step++;
	if (sscanf(step, "active = %15s", want) == 1) {
		got = g->active ? "yes" : "no";
	} else if (sscanf(step, "%llu admit %15s %63s = %15s", &t, what, a, want) == 4) {
		enum csv_grace_kind k = !strcmp(what, "reclaim") ? CSV_GK_RECLAIM :
					!strcmp(what, "take") ? CSV_GK_TAKE : CSV_GK_RELEASE;
		enum csv_grace_verdict v = csv_grace_admit(g, t, k, strtoull(a, NULL, 10));

		got = v == CSV_GV_GO ? "go" : v == CSV_GV_WAIT ? "wait" : "refuse";
	} else if (sscanf(step, "%llu done %63s = %15s", &t, a, want) == 3) {
		got = csv_grace_done(g, t, strtoull(a, NULL, 10)) ? "ended" : "on";
	} else if (sscanf(step, "%llu hello %63s %63s = %15s", &t, a, b, want) == 4) {
		got = csv_grace_hello(g, t, a, strtoull(b, NULL, 10)) ? "ended" : "on";
	} else if (sscanf(step, "%llu fenced %63s = %15s", &t, a, want) == 3) {
		got = csv_grace_fenced(g, t, a) ? "ended" : "on";
	} else if (sscanf(step, "%llu tick = %15s", &t, want) == 2) {
		got = csv_grace_tick(g, t) ? "ended" : "on";
	} else {
		printf("\n  %s: bad step '%s'\n", c->name, step);
		CU_FAIL("bad step");
		return;
	}
	if (strcmp(got, want))
		printf("\n  %s: step '%s' gave %s\n", c->name, step, got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_cases(void)
{
	static struct csv_grace g;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char steps[1024], *tok, *save = NULL;

		start(&g, &cases[i]);
		snprintf(steps, sizeof(steps), "%s", cases[i].steps);
		for (tok = strtok_r(steps, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
			run_step(&g, &cases[i], tok);
	}
}

/* G6: more expected clients than fit are cut; the bound still ends it. */
static void
test_capacity(void)
{
	static struct csv_grace g;
	static struct csv_grace_client exp[CSV_GRACE_MAX + 10];

	for (size_t i = 0; i < CSV_GRACE_MAX + 10; i++) {
		exp[i].id = i + 1;
		snprintf(exp[i].node, sizeof(exp[i].node), "n%zu", i);
	}
	CU_ASSERT_TRUE(csv_grace_start(&g, 0, 100, exp, CSV_GRACE_MAX + 10, NULL));
	CU_ASSERT_EQUAL(g.n, CSV_GRACE_MAX);
	CU_ASSERT_TRUE(csv_grace_expected(&g, CSV_GRACE_MAX));
	CU_ASSERT_FALSE(csv_grace_expected(&g, CSV_GRACE_MAX + 1));
	for (size_t i = 0; i + 1 < CSV_GRACE_MAX; i++)
		CU_ASSERT_FALSE(csv_grace_done(&g, 10, i + 1));
	CU_ASSERT_TRUE(csv_grace_done(&g, 10, CSV_GRACE_MAX));
	CU_ASSERT_TRUE(csv_grace_start(&g, 0, 100, exp, CSV_GRACE_MAX + 10, NULL));
	CU_ASSERT_TRUE(csv_grace_tick(&g, 100));
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "scripted cases (G1-G5)", test_cases },
		{ "capacity (G6)", test_capacity },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv_grace", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
