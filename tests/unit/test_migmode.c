/*
 * test_migmode.c - the live-migration mode decision (agents/vm/migmode.c):
 * a table of accelerator x QEMU version x "declared fixed" cases with the
 * mode and a substring of the reason each must produce, and the version
 * parser on the strings QEMU, dpkg and validate.sh produce.
 */
#include "migmode.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct mcase {
	const char *accel;
	int major, minor;
	bool fixed;
	enum cd_migmode mode;
	const char *why;	/* substring of the reason */
};

static const struct mcase cases[] = {
	/* KVM: its own dirty tracking, whatever the version */
	{ "kvm", 7, 2, false, CD_MIGMODE_PRECOPY, "KVM tracks dirty pages" },
	{ "kvm", 5, 0, false, CD_MIGMODE_PRECOPY, "KVM" },
	{ "kvm", 9, 0, false, CD_MIGMODE_PRECOPY, "KVM" },
	{ "kvm", 0, 0, false, CD_MIGMODE_PRECOPY, "KVM" },
	{ "kvm", 7, 2, true, CD_MIGMODE_PRECOPY, "KVM" },
	/* TCG before 9.0: paused, unless declared fixed */
	{ "tcg", 7, 2, false, CD_MIGMODE_PAUSED, "TCG on QEMU 7.2 loses pages in pre-copy" },
	{ "tcg", 8, 2, false, CD_MIGMODE_PAUSED, "QEMU 8.2 loses pages" },
	{ "tcg", 8, 99, false, CD_MIGMODE_PAUSED, "QEMU 8.99" },
	{ "tcg", 5, 2, false, CD_MIGMODE_PAUSED, "QEMU 5.2" },
	{ "tcg", 7, 2, true, CD_MIGMODE_PRECOPY, "declared fixed by qemu_dirty_tracking_fixed" },
	{ "tcg", 8, 2, true, CD_MIGMODE_PRECOPY, "QEMU 8.2, declared fixed" },
	/* TCG from 9.0 on: the fix is upstream */
	{ "tcg", 9, 0, false, CD_MIGMODE_PRECOPY, "TCG on QEMU 9.0 tracks dirty pages correctly" },
	{ "tcg", 9, 2, false, CD_MIGMODE_PRECOPY, "QEMU 9.2" },
	{ "tcg", 10, 0, false, CD_MIGMODE_PRECOPY, "QEMU 10.0" },
	{ "tcg", 10, 0, true, CD_MIGMODE_PRECOPY, "QEMU 10.0 tracks" },
	/* unknown version or accelerator: the safe side */
	{ "tcg", 0, 0, false, CD_MIGMODE_PAUSED, "unknown version" },
	{ "tcg", 0, 0, true, CD_MIGMODE_PRECOPY, "declared fixed" },
	{ NULL, 7, 2, false, CD_MIGMODE_PAUSED, "TCG on QEMU 7.2" },
	{ "hvf", 7, 2, false, CD_MIGMODE_PAUSED, "QEMU 7.2" },
	{ NULL, 9, 1, false, CD_MIGMODE_PRECOPY, "QEMU 9.1" },
};

static void
test_decide_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		const struct mcase *c = &cases[i];
		struct cd_migmode_in in = { .accel = c->accel, .major = c->major,
					    .minor = c->minor, .declared_fixed = c->fixed };
		char why[128];
		enum cd_migmode m = cd_migmode_decide(&in, why, sizeof(why));

		if (m != c->mode || !strstr(why, c->why))
			printf("\ncase %zu (%s %d.%d fixed=%d): %s, \"%s\"", i,
			       c->accel ? c->accel : "NULL", c->major, c->minor, c->fixed,
			       cd_migmode_name(m), why);
		CU_ASSERT_EQUAL(m, c->mode);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, c->why));
	}
}

static void
test_decide_no_why(void)
{
	struct cd_migmode_in in = { .accel = "tcg", .major = 7, .minor = 2 };

	CU_ASSERT_EQUAL(cd_migmode_decide(&in, NULL, 0), CD_MIGMODE_PAUSED);
	CU_ASSERT_STRING_EQUAL(cd_migmode_name(CD_MIGMODE_PAUSED), "paused");
	CU_ASSERT_STRING_EQUAL(cd_migmode_name(CD_MIGMODE_PRECOPY), "precopy");
}

struct vcase {
	const char *s;
	int rc, major, minor, micro;
};

static const struct vcase vcases[] = {
	{ "7.2.22", 0, 7, 2, 22 },
	{ "9.0", 0, 9, 0, 0 },
	{ "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", 0, 7, 2, 22 },
	{ "1:7.2+dfsg-7+deb12u18+b3", 0, 7, 2, 0 },
	{ "1:10.0.2+ds-2+deb13u1~bpo12+1", 0, 10, 0, 2 },
	{ "v8.2.1", 0, 8, 2, 1 },
	{ "", -EINVAL, 0, 0, 0 },
	{ NULL, -EINVAL, 0, 0, 0 },
	{ "none", -EINVAL, 0, 0, 0 },
	{ "42", -EINVAL, 0, 0, 0 },
	{ "0.15.1", -EINVAL, 0, 0, 0 },
};

static void
test_parse_version(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(vcases); i++) {
		const struct vcase *c = &vcases[i];
		int a = -1, b = -1, d = -1;
		int rc = cd_migmode_parse_version(c->s, &a, &b, &d);

		if (rc != c->rc || a != c->major || b != c->minor || d != c->micro)
			printf("\nversion case %zu \"%s\": rc %d %d.%d.%d", i,
			       c->s ? c->s : "NULL", rc, a, b, d);
		CU_ASSERT_EQUAL(rc, c->rc);
		CU_ASSERT_EQUAL(a, c->major);
		CU_ASSERT_EQUAL(b, c->minor);
		CU_ASSERT_EQUAL(d, c->micro);
	}
}

static void
test_crash_line(void)
{
	char line[128];

	CU_ASSERT_FALSE(cd_migmode_crash_line("", line, sizeof(line)));
	CU_ASSERT_FALSE(cd_migmode_crash_line(NULL, line, sizeof(line)));
	CU_ASSERT_FALSE(cd_migmode_crash_line("INIT: start\nHB 10\nmem ok 3\n"
					      "a BUG: in the middle is not a crash\n",
					      line, sizeof(line)));
	CU_ASSERT_TRUE(cd_migmode_crash_line("HB 10\n[   41.123456] BUG: kernel NULL "
					     "pointer dereference, address: 0000000000000008\r\n"
					     "[   41.2] Kernel panic - not syncing: Attempted to kill init!\n",
					     line, sizeof(line)));
	CU_ASSERT_STRING_EQUAL(line, "BUG: kernel NULL pointer dereference, address: "
			       "0000000000000008");
	CU_ASSERT_TRUE(cd_migmode_crash_line("x\nKernel panic - not syncing: sysrq triggered crash",
					     line, sizeof(line)));
	CU_ASSERT_STRING_EQUAL(line, "Kernel panic - not syncing: sysrq triggered crash");
	CU_ASSERT_TRUE(cd_migmode_crash_line("[ 3.1] Oops: 0000 [#1] SMP PTI  \n", line,
					     sizeof(line)));
	CU_ASSERT_STRING_EQUAL(line, "Oops: 0000 [#1] SMP PTI");
	CU_ASSERT_TRUE(cd_migmode_crash_line("[ 3.1] general protection fault, probably for "
					     "non-canonical address", line, 12));
	CU_ASSERT_STRING_EQUAL(line, "general pro");
	CU_ASSERT_TRUE(cd_migmode_crash_line("kernel BUG at mm/slub.c:123!\n", line,
					     sizeof(line)));
	CU_ASSERT_STRING_EQUAL(line, "kernel BUG at mm/slub.c:123!");
}

static CU_TestInfo tests[] = {
	{ "decide: accel x version x declared fixed", test_decide_table },
	{ "decide: no reason buffer, names", test_decide_no_why },
	{ "parse_version", test_parse_version },
	{ "crash_line: kernel crash lines on a serial console", test_crash_line },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "migmode", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
