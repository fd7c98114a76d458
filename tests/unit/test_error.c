/*
 * test_error.c - unit tests of clusterd's error texts (lib/error.c).
 */
#include "error.h"
#include "proto.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The names are part of the IPC protocol (reply "error.code"): stable. */
static const struct {
	int code;
	const char *name;
} domain_names[] = {
	{ CD_E_PROTO_MALFORMED, "malformed" },
	{ CD_E_PROTO_VERSION, "version" },
	{ CD_E_PROTO_TOO_BIG, "too-big" },
	{ CD_E_UNKNOWN_CMD, "unknown-command" },
	{ CD_E_BAD_ARGS, "bad-arguments" },
	{ CD_E_NO_COROSYNC, "no-corosync" },
	{ CD_E_NOT_QUORATE, "not-quorate" },
	{ CD_E_STATE_INVALID, "invalid-state" },
	{ CD_E_SYNCING, "syncing" },
	{ CD_E_UNCONFIRMED, "unconfirmed" },
	{ CD_E_BAD_VALUE, "bad-value" },
};

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EACCES, "EACCES" },
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ EINVAL, "EINVAL" },
	{ ENOMEM, "ENOMEM" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ EAGAIN, "EAGAIN" },
	{ EBUSY, "EBUSY" },
};

static void
test_success(void)
{
	CU_ASSERT_STRING_EQUAL(cd_strerror(0), "success");
	CU_ASSERT_PTR_NOT_NULL(cd_errname(0));
	CU_ASSERT_NOT_EQUAL(cd_errname(0)[0], '\0');
}

static void
test_errno_values(void)
{
	static const int others[] = { EIO, EEXIST, ENOSPC, EPIPE, E2BIG,
				       EMSGSIZE, ECONNREFUSED };
	size_t i;

	for (i = 0; i < N_ELEMS(errno_names); i++) {
		int err = -errno_names[i].err;

		CU_ASSERT_STRING_EQUAL(cd_strerror(err), strerror(errno_names[i].err));
		CU_ASSERT_STRING_EQUAL(cd_errname(err), errno_names[i].name);
	}
	for (i = 0; i < N_ELEMS(others); i++) {
		CU_ASSERT_STRING_EQUAL(cd_strerror(-others[i]), strerror(others[i]));
		CU_ASSERT_STRING_EQUAL(cd_errname(-others[i]), "error");
	}
	/* EWOULDBLOCK is EAGAIN on Linux. */
	CU_ASSERT_STRING_EQUAL(cd_errname(-EWOULDBLOCK), "EAGAIN");
}

static void
test_domain_errors(void)
{
	size_t i;

	/* The table covers the whole enum, and nothing is left out. */
	CU_ASSERT_EQUAL(N_ELEMS(domain_names), CD_E_MAX - CD_E_BASE - 1);
	for (i = 0; i < N_ELEMS(domain_names); i++) {
		int err = -domain_names[i].code;

		CU_ASSERT_EQUAL(domain_names[i].code, CD_E_BASE + 1 + (int)i);
		CU_ASSERT_STRING_EQUAL(cd_errname(err), domain_names[i].name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cd_strerror(err));
		CU_ASSERT_NOT_EQUAL(cd_strerror(err)[0], '\0');
		CU_ASSERT_STRING_NOT_EQUAL(cd_strerror(err), "unknown error");
		/* Not mistaken for an errno by strerror(). */
		CU_ASSERT_STRING_NOT_EQUAL(cd_strerror(err), strerror(-err));
	}
	CU_ASSERT_STRING_EQUAL(cd_strerror(-CD_E_NOT_QUORATE),
			       "this partition is not quorate");
	CU_ASSERT_STRING_EQUAL(cd_strerror(-CD_E_PROTO_MALFORMED),
			       "malformed message");
}

/* Texts and names tell errors apart; names fit a reply's code field. */
static void
test_domain_errors_distinct(void)
{
	int a, b;

	for (a = CD_E_BASE + 1; a < CD_E_MAX; a++) {
		CU_ASSERT(strlen(cd_errname(-a)) < CD_PROTO_CMD_MAX);
		for (b = a + 1; b < CD_E_MAX; b++) {
			CU_ASSERT_STRING_NOT_EQUAL(cd_errname(-a), cd_errname(-b));
			CU_ASSERT_STRING_NOT_EQUAL(cd_strerror(-a), cd_strerror(-b));
		}
	}
	for (a = 0; a < (int)N_ELEMS(errno_names); a++)
		CU_ASSERT(strlen(cd_errname(-errno_names[a].err)) < CD_PROTO_CMD_MAX);
}

static void
test_unknown_codes(void)
{
	static const int unknown[] = {
		-CD_E_BASE, -CD_E_MAX, -(CD_E_MAX + 1), -100000, -INT_MAX,
		/* positive values are not errors of our convention */
		1, EACCES, CD_E_BASE, CD_E_NOT_QUORATE, CD_E_PROTO_MALFORMED, INT_MAX,
	};
	size_t i;

	for (i = 0; i < N_ELEMS(unknown); i++) {
		CU_ASSERT_STRING_EQUAL(cd_strerror(unknown[i]), "unknown error");
		CU_ASSERT_STRING_EQUAL(cd_errname(unknown[i]), "error");
	}
	/* Just below the domain range is still errno's range. */
	CU_ASSERT_PTR_NOT_NULL(cd_strerror(-(CD_E_BASE - 1)));
	CU_ASSERT_STRING_NOT_EQUAL(cd_strerror(-(CD_E_BASE - 1)), "success");
	CU_ASSERT_STRING_EQUAL(cd_errname(-(CD_E_BASE - 1)), "error");
}

/*
 * Run fn in a child and report whether it returned true. A sanitizer
 * abort or a crash in the child fails the calling test, not the program.
 */
static bool
isolated(bool (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* INT_MIN cannot be negated: it must still be just an unknown code. */
static bool
int_min_is_unknown(void)
{
	return strcmp(cd_strerror(INT_MIN), "unknown error") == 0 &&
	       strcmp(cd_errname(INT_MIN), "error") == 0;
}

static void
test_int_min(void)
{
	CU_ASSERT_TRUE(isolated(int_min_is_unknown));
}

/*
 * cd_strerror promises a static string. glibc's strerror() builds the text
 * of an errno it does not know ("Unknown error 1999") in a buffer that the
 * next strerror() call frees, so keep reading the first text after a
 * second call.
 */
static bool
unknown_errno_text_is_static(void)
{
	const char *a = cd_strerror(-(CD_E_BASE - 1));
	const char *b;
	char copy[128];

	snprintf(copy, sizeof(copy), "%s", a);
	b = cd_strerror(-(CD_E_BASE - 2));
	(void)strerror(CD_E_BASE - 3);
	return b && a[0] && strcmp(a, copy) == 0;
}

static void
test_unknown_errno_text_is_static(void)
{
	CU_ASSERT_TRUE(isolated(unknown_errno_text_is_static));
}

static CU_TestInfo error_tests[] = {
	{ "success", test_success },
	{ "errno values", test_errno_values },
	{ "every domain error", test_domain_errors },
	{ "domain errors are distinct", test_domain_errors_distinct },
	{ "unknown codes", test_unknown_codes },
	{ "INT_MIN", test_int_min },
	{ "unknown errno text is static", test_unknown_errno_text_is_static },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "error", NULL, NULL, NULL, NULL, error_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
