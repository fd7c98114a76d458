/*
 * test_move_follow.c - the one rule that decides when a followed role got
 * where it was asked to be (cli/move-follow.c, mf_judge()): sequences of
 * looks at a role's runtime, as clusterd shows them during starts, stops,
 * moves by restart, live migrations and their rollbacks, refusals and
 * failures, each with the verdict every look must give.
 */
#include "move-follow.h"
#include "unit.h"

#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define LOOKS_MAX 6

struct look {
	const char *rt;		/* the runtime (JSON); NULL: none */
	uint64_t elapsed_ms;
	enum mf_verdict want;
};

struct scase {
	const char *what;
	struct mf_goal goal;
	struct look looks[LOOKS_MAX];	/* until rt and want are 0 */
};

#define MIG(phase, owner) "{\"state\":\"migrating\",\"owner\":\"" owner "\",\"move_to\":\"\"," \
	"\"migration\":{\"type\":\"live\",\"from\":\"n1\",\"to\":\"n2\",\"phase\":\"" phase "\"}}"

static const struct scase sequences[] = {
	{ "start: starting, then started (rule 1)", { "r", NULL, "started" }, {
		{ "{\"state\":\"stopped\",\"owner\":\"\"}", 5, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n1\"}", 40, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\"}", 90, MF_DONE } } },
	{ "start: already started", { "r", NULL, "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n3\"}", 5, MF_DONE } } },
	{ "start: it fails (rule 2)", { "r", NULL, "started" }, {
		{ "{\"state\":\"starting\",\"owner\":\"n1\"}", 5, MF_PENDING },
		{ "{\"state\":\"failed\",\"owner\":\"n1\"}", 50, MF_FAILED } } },
	{ "start: failed at first, then recovered (rule 2's exception)",
	  { "r", NULL, "started" }, {
		{ "{\"state\":\"failed\",\"owner\":\"n1\"}", 5, MF_PENDING },
		{ "{\"state\":\"failed\",\"owner\":\"n1\"}", 2000, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n2\"}", 2100, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n2\"}", 2200, MF_DONE } } },
	{ "start: failed at first, recovery fails again", { "r", NULL, "started" }, {
		{ "{\"state\":\"failed\",\"owner\":\"n1\"}", 5, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n2\"}", 100, MF_PENDING },
		{ "{\"state\":\"failed\",\"owner\":\"n2\"}", 200, MF_FAILED } } },
	{ "stop: stopping, then stopped", { "r", NULL, "stopped" }, {
		{ "{\"state\":\"stopping\",\"owner\":\"n1\"}", 5, MF_PENDING },
		{ "{\"state\":\"stopped\",\"owner\":\"\"}", 60, MF_DONE } } },
	{ "no runtime yet", { "r", NULL, "started" }, {
		{ NULL, 5, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\"}", 60, MF_DONE } } },
	{ "move by restart: stop here, start there", { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 5, MF_PENDING },
		{ "{\"state\":\"stopping\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 20, MF_PENDING },
		{ "{\"state\":\"stopped\",\"owner\":\"\",\"move_to\":\"n2\"}", 30, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n2\",\"move_to\":\"\"}", 40, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n2\",\"move_to\":\"\"}", 90, MF_DONE } } },
	{ "move: started on the goal node but elsewhere asked", { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n2\"}", 5, MF_DONE } } },
	{ "move: seen pending, then refused (rule 3)", { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 5, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\","
		  "\"last_error\":\"cannot move to n2: banned\"}", 30, MF_NOT_MOVED } } },
	{ "move: refused before the first look, known after the grace",
	  { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\"}", 5, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\"}", 999, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\"}", 1000, MF_NOT_MOVED } } },
	{ "move: start on the goal node failed, back on the old one",
	  { "r", "n2", "started" }, {
		{ "{\"state\":\"stopping\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 5, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n2\",\"move_to\":\"\"}", 50, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n1\",\"move_to\":\"\"}", 80, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\"}", 120, MF_NOT_MOVED } } },
	{ "move: it fails on the way (rule 2 before rule 3)", { "r", "n2", "started" }, {
		{ "{\"state\":\"stopping\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 5, MF_PENDING },
		{ "{\"state\":\"failed\",\"owner\":\"n2\",\"move_to\":\"\"}", 50, MF_FAILED } } },
	{ "move of a stopped role: no owner is not settled elsewhere",
	  { "r", "n2", "started" }, {
		{ "{\"state\":\"stopped\",\"owner\":\"\",\"move_to\":\"\"}", 2000, MF_PENDING },
		{ "{\"state\":\"starting\",\"owner\":\"n2\"}", 2100, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n2\"}", 2200, MF_DONE } } },
	{ "live migration to its end", { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"n2\"}", 5, MF_PENDING },
		{ MIG("prepare", "n1"), 30, MF_PENDING },
		{ MIG("send", "n1"), 2000, MF_PENDING },
		{ MIG("finish", "n1"), 3000, MF_PENDING },
		/* the guest runs on n2, the source still drops its copy: not yet */
		{ MIG("cleanup", "n2"), 3100, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n2\",\"move_to\":\"\"}", 3200, MF_DONE } } },
	{ "a migration is never done while it runs, whatever the state",
	  { "r", "n2", "started" }, {
		{ "{\"state\":\"started\",\"owner\":\"n2\",\"migration\":{\"phase\":\"cleanup\"}}",
		  5, MF_PENDING } } },
	{ "live migration rolled back: the guest runs on in the source",
	  { "r", "n2", "started" }, {
		{ MIG("prepare", "n1"), 5, MF_PENDING },
		{ MIG("send", "n1"), 40, MF_PENDING },
		{ MIG("abort", "n1"), 60, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\","
		  "\"last_error\":\"migrate_to failed\"}", 80, MF_NOT_MOVED } } },
	{ "live migration refused by the target at once (before the grace)",
	  { "r", "n2", "started" }, {
		{ MIG("prepare", "n1"), 5, MF_PENDING },
		{ "{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"\"}", 10, MF_NOT_MOVED } } },
	{ "live migration lost the guest on the source", { "r", "n2", "started" }, {
		{ MIG("abort-source", "n1"), 5, MF_PENDING },
		{ "{\"state\":\"failed\",\"owner\":\"n1\",\"move_to\":\"\"}", 40, MF_FAILED } } },
	{ "wait for stopped with a node: stopped elsewhere is settled",
	  { "r", "n2", "stopped" }, {
		{ "{\"state\":\"stopped\",\"owner\":\"n1\",\"move_to\":\"\"}", 1500, MF_NOT_MOVED } } },
};

static void
test_sequences(void)
{
	size_t i, k;

	for (i = 0; i < N_ELEMS(sequences); i++) {
		const struct scase *c = &sequences[i];
		struct mf_seen seen = { false, false, false };

		for (k = 0; k < LOOKS_MAX && (c->looks[k].rt || c->looks[k].elapsed_ms); k++) {
			const struct look *l = &c->looks[k];
			json_object *rt = l->rt ? json_tokener_parse(l->rt) : NULL;
			enum mf_verdict v = mf_judge(&c->goal, rt, l->elapsed_ms, &seen);

			if (l->rt) {
				CU_ASSERT_PTR_NOT_NULL(rt);
			}
			if (v != l->want)
				printf("\n%s: look %zu: verdict %d, want %d", c->what, k, v, l->want);
			CU_ASSERT_EQUAL(v, l->want);
			json_object_put(rt);
		}
	}
}

/* What a wait remembers: a migration seen makes the move "seen" too. */
static void
test_seen(void)
{
	struct mf_goal goal = { "r", "n2", "started" };
	struct mf_seen seen = { false, false, false };
	json_object *rt = json_tokener_parse(MIG("send", "n1"));

	CU_ASSERT_EQUAL(mf_judge(&goal, rt, 1, &seen), MF_PENDING);
	CU_ASSERT(seen.live);
	CU_ASSERT(seen.move);
	CU_ASSERT(seen.migration);
	json_object_put(rt);
	memset(&seen, 0, sizeof(seen));
	rt = json_tokener_parse("{\"state\":\"started\",\"owner\":\"n1\",\"move_to\":\"n3\"}");
	CU_ASSERT_EQUAL(mf_judge(&goal, rt, 1, &seen), MF_PENDING);
	CU_ASSERT(!seen.move);		/* a move to another node is not ours */
	CU_ASSERT(!seen.migration);
	json_object_put(rt);
}

static void
test_phase(void)
{
	static const struct { const char *rt; const char *phase; } cases[] = {
		{ "{}", NULL },
		{ "{\"migration\":null}", NULL },
		{ "{\"migration\":{\"phase\":\"send\"}}", "send" },
		{ "{\"migration\":{}}", "?" },
	};
	size_t i;

	CU_ASSERT_PTR_NULL(mf_phase(NULL));
	for (i = 0; i < N_ELEMS(cases); i++) {
		json_object *rt = json_tokener_parse(cases[i].rt);
		const char *p = mf_phase(rt);

		if (cases[i].phase) {
			CU_ASSERT(p && !strcmp(p, cases[i].phase));
		} else {
			CU_ASSERT_PTR_NULL(p);
		}
		json_object_put(rt);
	}
}

static CU_TestInfo tests[] = {
	{ "sequences of looks", test_sequences },
	{ "what a wait has seen", test_seen },
	{ "the migration phase", test_phase },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "move_follow", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
