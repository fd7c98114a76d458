/*
 * test_vmpolicy.c - what a VM definition may reach (agents/vm/vmpolicy.c,
 * rules V1 and V2 of issue 16).
 */
#include "vmpolicy.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct path_case {
	const char *path, *roots;
	int want;
};

static const struct path_case path_cases[] = {
	{ "/clusterstorage/volume1/web1.qcow2", CD_VMPOLICY_ROOTS_DEFAULT, 0 },
	{ "/var/lib/clusterd/images/a/b.raw", CD_VMPOLICY_ROOTS_DEFAULT, 0 },
	/* resolved ../ out of the volume (what the issue attached) */
	{ "/var/tmp/x.img", CD_VMPOLICY_ROOTS_DEFAULT, -EINVAL },
	{ "/etc/shadow", CD_VMPOLICY_ROOTS_DEFAULT, -EINVAL },
	/* a sibling with the root as prefix is not inside it */
	{ "/clusterstorage2/x.img", CD_VMPOLICY_ROOTS_DEFAULT, -EINVAL },
	{ "/var/lib/clusterd/imagesX/x", CD_VMPOLICY_ROOTS_DEFAULT, -EINVAL },
	/* the root itself is not a file inside it */
	{ "/clusterstorage", CD_VMPOLICY_ROOTS_DEFAULT, -EINVAL },
	{ "/srv/vm/a.img", "/srv/vm/", 0 },
	{ "/srv/vm/a.img", "::/srv/vm", 0 },
	{ "/srv/vm/a.img", "", -EINVAL },
	{ "/srv/vm/a.img", "srv/vm", -EINVAL },
	{ "/anything", "/", 0 },
};

static void
test_paths(void)
{
	char why[256];

	for (size_t i = 0; i < N_ELEMS(path_cases); i++) {
		int rc = cd_vmpolicy_path_check(path_cases[i].path,
						path_cases[i].roots, why, sizeof(why));

		if (rc != path_cases[i].want)
			printf("\n  %s in '%s': got %d (%s)", path_cases[i].path,
			       path_cases[i].roots, rc, why);
		CU_ASSERT_EQUAL(rc, path_cases[i].want);
	}
	cd_vmpolicy_path_check("/var/tmp/x.img", CD_VMPOLICY_ROOTS_DEFAULT, why,
			       sizeof(why));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "/var/tmp/x.img is outside the storage roots"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "vm-storage-roots"));
}

struct extra_case {
	const char *what;
	const char *args[6];
	bool allowed;
	int want;
	const char *why;	/* part of the reason */
};

static const struct extra_case extra_cases[] = {
	{ "none", { NULL }, false, 0, NULL },
	{ "off by default", { "-no-reboot" }, false, -EPERM, "vm-extra-args is false" },
	{ "allowed flag", { "-no-reboot" }, true, 0, NULL },
	{ "allowed with values", { "-rtc", "base=utc", "-uuid",
	  "6c0a9f2e-3f9b-4d52-9d1e-0b9f3c8f1a11", "-no-shutdown" }, true, 0, NULL },
	{ "a monitor open to the network", { "-monitor",
	  "tcp:0.0.0.0:4444,server=on,wait=off" }, true, -EPERM, "'-monitor' is not" },
	{ "a chardev", { "-chardev", "socket,id=x,path=/tmp/x" }, true, -EPERM, "-chardev" },
	{ "a netdev", { "-netdev", "user,id=n" }, true, -EPERM, "-netdev" },
	{ "an object", { "-object", "memory-backend-file,id=m,mem-path=/etc" },
	  true, -EPERM, "-object" },
	{ "a QMP socket", { "-qmp", "tcp:0:5555,server=on" }, true, -EPERM, "-qmp" },
	{ "a serial port", { "-serial", "tcp::4555,server" }, true, -EPERM, "-serial" },
	{ "a value smuggled as an option", { "-rtc", "-monitor", "stdio" }, true,
	  -EPERM, "needs a value" },
	{ "a value missing at the end", { "-no-reboot", "-uuid" }, true, -EPERM,
	  "'-uuid' needs a value" },
	{ "a bare value", { "tcp:0:1" }, true, -EPERM, "extra_args[0]" },
	{ "splash reads a file", { "-boot", "splash=/etc/shadow" }, true, -EPERM, "-boot" },
};

static void
test_extra(void)
{
	char why[256];

	for (size_t i = 0; i < N_ELEMS(extra_cases); i++) {
		const struct extra_case *c = &extra_cases[i];
		struct cd_vmdef def = { 0 };
		char *args[6] = { 0 };
		int rc;

		while (def.n_extra_args < 6 && c->args[def.n_extra_args]) {
			args[def.n_extra_args] = strdup(c->args[def.n_extra_args]);
			def.n_extra_args++;
		}
		def.extra_args = args;
		why[0] = '\0';
		rc = cd_vmpolicy_extra_check(&def, c->allowed, why, sizeof(why));
		if (rc != c->want || (c->why && !strstr(why, c->why)))
			printf("\n  case '%s': got %d (%s)", c->what, rc, why);
		CU_ASSERT_EQUAL(rc, c->want);
		if (c->why)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, c->why));
		for (size_t k = 0; k < def.n_extra_args; k++)
			free(args[k]);
	}
}

static void
test_bool(void)
{
	CU_ASSERT_TRUE(cd_vmpolicy_bool("true"));
	CU_ASSERT_TRUE(cd_vmpolicy_bool("1"));
	CU_ASSERT_FALSE(cd_vmpolicy_bool("false"));
	CU_ASSERT_FALSE(cd_vmpolicy_bool(""));
	CU_ASSERT_FALSE(cd_vmpolicy_bool(NULL));
}

static CU_TestInfo tests[] = {
	{ "V1: paths inside the storage roots", test_paths },
	{ "V2: extra_args, table", test_extra },
	{ "property values", test_bool },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "vmpolicy", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
