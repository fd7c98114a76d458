/*
 * test_state_overlay.c - the overlay of not-persisted values on the
 * replicated state (lib/state-overlay.c, rules O1-O5 of state-overlay.h):
 * a table of updates against one state, each with its result and what a
 * reader then sees, plus expiry, capacity and merging.
 */
#include "state-overlay.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define PH "runtime.roles.web.migration.phase"
#define PR "runtime.roles.web.migration.progress"
#define TEST_SEND "{\"op\":\"test\",\"path\":\"" PH "\",\"value\":\"send\"}"
#define SET_PR(v) "{\"op\":\"set\",\"path\":\"" PR "\",\"value\":\"" v "\"}"

/* A state with role web migrating in phase send (no progress). */
static void
make_state(struct cd_state *st, const char *phase)
{
	char err[200], ops[300];
	json_object *o;

	memset(st, 0, sizeof(*st));
	CU_ASSERT_EQUAL_FATAL(cd_state_init(st, "c", "u"), 0);
	snprintf(ops, sizeof(ops), "[{\"op\":\"set\",\"path\":\"runtime.roles\",\"value\":"
		 "{\"web\":{\"state\":\"migrating\",\"migration\":{\"phase\":\"%s\"}}}}]", phase);
	o = json_tokener_parse(ops);
	CU_ASSERT_EQUAL_FATAL(cd_state_apply(st, o, err, sizeof(err)), 0);
	json_object_put(o);
}

struct ocase {
	const char *name;
	const char *ops;	/* the update */
	int rc;
	const char *shown;	/* what cd_overlay_get(PR) then gives, NULL none */
};

static const struct ocase cases[] = {
	{ "O2: tests hold", "[" TEST_SEND "," SET_PR("percent=10") "]", 0, "percent=10" },
	{ "O2: no test", "[" SET_PR("percent=11") "]", 0, "percent=11" },
	{ "O2: test fails", "[{\"op\":\"test\",\"path\":\"" PH "\",\"value\":\"finish\"},"
	  SET_PR("percent=12") "]", -ESTALE, NULL },
	{ "O2: absent equals null", "[{\"op\":\"test\",\"path\":\"runtime.x\",\"value\":null},"
	  SET_PR("percent=13") "]", 0, "percent=13" },
	{ "O2: absent is not a value", "[{\"op\":\"test\",\"path\":\"runtime.x\",\"value\":1},"
	  SET_PR("percent=14") "]", -ESTALE, NULL },
	{ "O1: no set", "[" TEST_SEND "]", -EINVAL, NULL },
	{ "O1: delete", "[{\"op\":\"delete\",\"path\":\"" PR "\",\"value\":1}]", -EINVAL, NULL },
	{ "O1: set without value", "[{\"op\":\"set\",\"path\":\"" PR "\"}]", -EINVAL, NULL },
	{ "O1: test without value", "[{\"op\":\"test\",\"path\":\"" PH "\"}," SET_PR("p") "]",
	  -EINVAL, NULL },
	{ "O1: path not a string", "[{\"op\":\"set\",\"path\":1,\"value\":1}]", -EINVAL, NULL },
	{ "O1: empty path", "[{\"op\":\"set\",\"path\":\"\",\"value\":1}]", -EINVAL, NULL },
	{ "O1: empty list", "[]", -EINVAL, NULL },
	{ "O1: not a list", "{}", -EINVAL, NULL },
	{ "O1: not an object", "[1]", -EINVAL, NULL },
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		const struct ocase *c = &cases[i];
		struct cd_overlay ov;
		struct cd_state st;
		json_object *ops = json_tokener_parse(c->ops), *v;
		int rc;

		make_state(&st, "send");
		cd_overlay_init(&ov);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
		rc = cd_overlay_put(&ov, &st, ops);
		if (rc != c->rc)
			printf("\n  case '%s': rc %d, expected %d", c->name, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
		v = cd_overlay_get(&ov, &st, PR);
		if (c->shown) {
			CU_ASSERT_PTR_NOT_NULL(v);
			if (v)
				CU_ASSERT_STRING_EQUAL(json_object_get_string(v), c->shown);
		} else {
			CU_ASSERT_PTR_NULL(v);
			CU_ASSERT_EQUAL(ov.n, 0);
		}
		json_object_put(ops);
		cd_overlay_clear(&ov);
		cd_state_clear(&st);
	}
}

static int
put(struct cd_overlay *ov, const struct cd_state *st, const char *text)
{
	json_object *ops = json_tokener_parse(text);
	int rc = cd_overlay_put(ov, st, ops);

	json_object_put(ops);
	return rc;
}

/* O2 and O3: the last value wins; it dies with the phase it was sent in. */
static void
test_replace_and_expire(void)
{
	struct cd_overlay ov;
	struct cd_state st, later;

	make_state(&st, "send");
	make_state(&later, "finish");
	cd_overlay_init(&ov);
	CU_ASSERT_EQUAL(put(&ov, &st, "[" TEST_SEND "," SET_PR("percent=1") "]"), 0);
	CU_ASSERT_EQUAL(put(&ov, &st, "[" TEST_SEND "," SET_PR("percent=2") "]"), 0);
	CU_ASSERT_EQUAL(ov.n, 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(cd_overlay_get(&ov, &st, PR)), "percent=2");
	CU_ASSERT_PTR_NULL(cd_overlay_get(&ov, &st, "runtime.roles.web.state"));
	/* the phase moved on: gone, and dropped */
	CU_ASSERT_PTR_NULL(cd_overlay_get(&ov, &later, PR));
	CU_ASSERT_EQUAL(ov.n, 0);
	/* a late progress of the old phase is refused */
	CU_ASSERT_EQUAL(put(&ov, &later, "[" TEST_SEND "," SET_PR("percent=3") "]"), -ESTALE);
	CU_ASSERT_EQUAL(ov.n, 0);
	cd_state_clear(&st);
	cd_state_clear(&later);
}

/* O4: full: stale values go first, then the oldest. */
static void
test_capacity(void)
{
	struct cd_overlay ov;
	struct cd_state st, later;
	char buf[300];
	size_t i;

	make_state(&st, "send");
	make_state(&later, "finish");
	cd_overlay_init(&ov);
	CU_ASSERT_EQUAL(put(&ov, &st, "[" TEST_SEND ",{\"op\":\"set\",\"path\":"
			    "\"runtime.stale\",\"value\":0}]"), 0);
	for (i = 1; i < CD_OVERLAY_MAX; i++) {
		snprintf(buf, sizeof(buf), "[{\"op\":\"set\",\"path\":\"runtime.k%zu\",\"value\":%zu}]",
			 i, i);
		CU_ASSERT_EQUAL(put(&ov, &st, buf), 0);
	}
	CU_ASSERT_EQUAL(ov.n, CD_OVERLAY_MAX);
	/* judged against "later", the first value is stale: it makes room */
	CU_ASSERT_EQUAL(put(&ov, &later, "[{\"op\":\"set\",\"path\":\"runtime.new\",\"value\":1}]"), 0);
	CU_ASSERT_EQUAL(ov.n, CD_OVERLAY_MAX);
	CU_ASSERT_PTR_NULL(cd_overlay_get(&ov, &st, "runtime.stale"));
	CU_ASSERT_PTR_NOT_NULL(cd_overlay_get(&ov, &st, "runtime.k1"));
	/* nothing stale: the oldest (k1) goes */
	CU_ASSERT_EQUAL(put(&ov, &st, "[{\"op\":\"set\",\"path\":\"runtime.new2\",\"value\":2}]"), 0);
	CU_ASSERT_EQUAL(ov.n, CD_OVERLAY_MAX);
	CU_ASSERT_PTR_NULL(cd_overlay_get(&ov, &st, "runtime.k1"));
	CU_ASSERT_PTR_NOT_NULL(cd_overlay_get(&ov, &st, "runtime.k2"));
	CU_ASSERT_PTR_NOT_NULL(cd_overlay_get(&ov, &st, "runtime.new2"));
	cd_overlay_clear(&ov);
	CU_ASSERT_EQUAL(ov.n, 0);
	cd_state_clear(&st);
	cd_state_clear(&later);
}

/* O5: merged into a copy, only under objects that exist. */
static void
test_merge(void)
{
	struct cd_overlay ov;
	struct cd_state st;
	json_object *copy, *mig, *v;

	make_state(&st, "send");
	cd_overlay_init(&ov);
	CU_ASSERT_EQUAL(put(&ov, &st, "[" TEST_SEND "," SET_PR("percent=7") ","
			    "{\"op\":\"set\",\"path\":\"runtime.roles.web.nothere.x\",\"value\":1},"
			    "{\"op\":\"set\",\"path\":\"runtime.roles.webby.progress\",\"value\":1}]"), 0);
	copy = NULL;
	CU_ASSERT_EQUAL_FATAL(json_object_deep_copy(cd_state_get(&st, "runtime.roles.web"), &copy, NULL), 0);
	CU_ASSERT_EQUAL(cd_overlay_merge(&ov, &st, "runtime.roles.web", copy), 1);
	CU_ASSERT_TRUE(json_object_object_get_ex(copy, "migration", &mig));
	CU_ASSERT_TRUE(json_object_object_get_ex(mig, "progress", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "percent=7");
	CU_ASSERT_FALSE(json_object_object_get_ex(copy, "nothere", NULL));
	/* the state itself is untouched */
	CU_ASSERT_PTR_NULL(cd_state_get(&st, PR));
	json_object_put(copy);
	cd_overlay_clear(&ov);
	cd_state_clear(&st);
}

static CU_TestInfo tests[] = {
	{ "table of updates", test_table },
	{ "replace and expire", test_replace_and_expire },
	{ "capacity", test_capacity },
	{ "merge", test_merge },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "state overlay", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
