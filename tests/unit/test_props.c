/*
 * test_props.c - cluster properties (lib/props.c): the values the VM
 * confinement and migration-policy properties accept, and the text agents
 * get for them.
 */
#include "props.h"
#include "error.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct parse_case {
	const char *name, *text;
	int want;		/* 0 or -CD_E_BAD_VALUE */
};

static const struct parse_case cases[] = {
	{ "vm-storage-roots", "/clusterstorage", 0 },
	{ "vm-storage-roots", "/clusterstorage:/var/lib/clusterd/images", 0 },
	{ "vm-storage-roots", "/srv/vm/", 0 },
	{ "vm-storage-roots", "/", 0 },
	{ "vm-storage-roots", "", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "relative/dir", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a::/b", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a:", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", ":/a", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/clusterstorage/../etc", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a/./b", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a//b", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a/..", -CD_E_BAD_VALUE },
	{ "vm-storage-roots", "/a/.hidden", 0 },
	{ "vm-storage-roots", "/a\n/etc", -CD_E_BAD_VALUE },
	{ "vm-extra-args", "true", 0 },
	{ "vm-extra-args", "off", 0 },
	{ "vm-extra-args", "maybe", -CD_E_BAD_VALUE },
	{ "migration-policy", "precopy", 0 },
	{ "migration-policy", "stall-abort", 0 },
	{ "migration-policy", "postcopy", 0 },
	{ "migration-policy", "post-copy", -CD_E_BAD_VALUE },
	{ "migration-policy", "", -CD_E_BAD_VALUE },
	{ "migration-downtime-max-ms", "5s", 0 },
	{ "migration-downtime-max-ms", "0", -CD_E_BAD_VALUE },
	{ "migration-downtime-max-ms", "61s", -CD_E_BAD_VALUE },
	{ "migration-stall-window-ms", "3000", 0 },
	{ "migration-stall-window-ms", "100", -CD_E_BAD_VALUE },
};

static void
test_parse_table(void)
{
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_object *v = NULL;
		char err[256] = "";
		int rc = cd_prop_parse(cases[i].name, cases[i].text, &v, err, sizeof(err));

		if (rc != cases[i].want)
			printf("\n  %s '%s': got %d (%s), want %d", cases[i].name,
			       cases[i].text, rc, err, cases[i].want);
		CU_ASSERT_EQUAL(rc, cases[i].want);
		CU_ASSERT_TRUE(rc == 0 ? v != NULL : v == NULL && err[0]);
		json_object_put(v);
	}
	/* The defaults parse. */
	for (const struct cd_prop *p = cd_props(); p->name; p++) {
		json_object *v = NULL;
		char err[256];

		CU_ASSERT_EQUAL(cd_prop_parse(p->name, p->dflt, &v, err, sizeof(err)), 0);
		json_object_put(v);
	}
}

static void
test_env_text(void)
{
	const struct cd_prop *roots = cd_prop_find("vm-storage-roots");
	const struct cd_prop *extra = cd_prop_find("vm-extra-args");
	json_object *v = NULL;
	char buf[1100], err[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(roots);
	CU_ASSERT_PTR_NOT_NULL_FATAL(extra);
	CU_ASSERT_STRING_EQUAL(roots->agent_env, "CD_VM_STORAGE_ROOTS");
	CU_ASSERT_STRING_EQUAL(extra->agent_env, "CD_VM_EXTRA_ARGS");
	/* unset: the default */
	CU_ASSERT_STRING_EQUAL(cd_prop_env_text(roots, NULL, buf, sizeof(buf)),
			       "/clusterstorage:/var/lib/clusterd/images");
	CU_ASSERT_STRING_EQUAL(cd_prop_env_text(extra, NULL, buf, sizeof(buf)), "false");
	CU_ASSERT_EQUAL(cd_prop_parse("vm-extra-args", "yes", &v, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cd_prop_env_text(extra, v, buf, sizeof(buf)), "true");
	json_object_put(v);
	CU_ASSERT_EQUAL(cd_prop_parse("vm-storage-roots", "/srv/a:/srv/b", &v, err,
				      sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cd_prop_env_text(roots, v, buf, sizeof(buf)), "/srv/a:/srv/b");
	/* a value of the wrong type (a hand-edited state): the default */
	CU_ASSERT_STRING_EQUAL(cd_prop_env_text(extra, v, buf, sizeof(buf)), "false");
	json_object_put(v);
}

static CU_TestInfo props_tests[] = {
	{ "vm-storage-roots, vm-extra-args: values, table", test_parse_table },
	{ "the text agents get", test_env_text },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "props", NULL, NULL, NULL, NULL, props_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
