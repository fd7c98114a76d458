/*
 * test_ipc_admit.c - who may hold a connection to clusterd's IPC server
 * (lib/ipc-admit.c, rules A1-A4).
 */
#include "ipc-admit.h"
#include "unit.h"

#include <stdio.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct admit_case {
	const char *what;
	struct cd_ipc_peer peer;
	struct cd_ipc_counts n;
	enum cd_ipc_verdict want;
};

static const struct admit_case cases[] = {
	{ "A1: root, none open", { 0, false }, { 0 }, CD_IPC_ADMIT },
	{ "A1: root below its budget, admins full",
	  { 0, false }, { CD_IPC_ROOT_MAX - 1, CD_IPC_ADMIN_MAX, 0, 0, 0 },
	  CD_IPC_ADMIT },
	{ "A1: root, others flooding (denied ones pending, window full)",
	  { 0, false }, { 3, 5, 3, CD_IPC_DENY_PENDING_MAX, CD_IPC_DENY_WINDOW_MAX },
	  CD_IPC_ADMIT },
	{ "A4: root at its budget", { 0, true }, { CD_IPC_ROOT_MAX, 0, 0, 0, 0 },
	  CD_IPC_CLOSE_BUSY },
	{ "A2: admin, none open", { 1000, true }, { 0 }, CD_IPC_ADMIT },
	{ "A2: admin below both budgets", { 1000, true },
	  { CD_IPC_ROOT_MAX, CD_IPC_ADMIN_MAX - 1, CD_IPC_UID_MAX - 1, 0, 0 },
	  CD_IPC_ADMIT },
	{ "A4: admin at the per-uid budget", { 1000, true },
	  { 0, CD_IPC_UID_MAX, CD_IPC_UID_MAX, 0, 0 }, CD_IPC_CLOSE_BUSY },
	{ "A4: admin at the admins' budget, own uid low", { 1001, true },
	  { 0, CD_IPC_ADMIN_MAX, 1, 0, 0 }, CD_IPC_CLOSE_BUSY },
	{ "A2: admin unaffected by denied peers", { 1000, true },
	  { 0, 2, 2, CD_IPC_DENY_PENDING_MAX, CD_IPC_DENY_WINDOW_MAX },
	  CD_IPC_ADMIT },
	{ "A3: stranger, nothing pending: let libqb refuse it", { 65534, false },
	  { 0 }, CD_IPC_LET_REFUSE },
	{ "A3: stranger, pending just below the bound", { 65534, false },
	  { 0, 0, 0, CD_IPC_DENY_PENDING_MAX - 1, CD_IPC_DENY_WINDOW_MAX - 1 },
	  CD_IPC_LET_REFUSE },
	{ "A3: stranger, pending bound reached", { 65534, false },
	  { 0, 0, 0, CD_IPC_DENY_PENDING_MAX, 0 }, CD_IPC_CLOSE_DENIED },
	{ "A3: stranger, window bound reached", { 65534, false },
	  { 0, 0, 0, 0, CD_IPC_DENY_WINDOW_MAX }, CD_IPC_CLOSE_DENIED },
	{ "A3: a stranger's own connection count does not matter", { 65534, false },
	  { 0, 0, 0, 0, 0 }, CD_IPC_LET_REFUSE },
};

static void
test_admit_table(void)
{
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		enum cd_ipc_verdict v = cd_ipc_admit(&cases[i].peer, &cases[i].n);

		if (v != cases[i].want)
			printf("\n  case '%s': got %s, want %s", cases[i].what,
			       cd_ipc_verdict_str(v), cd_ipc_verdict_str(cases[i].want));
		CU_ASSERT_EQUAL(v, cases[i].want);
	}
}

static void
test_gid_in(void)
{
	const gid_t gids[] = { 100, 27, 4711 };

	CU_ASSERT_TRUE(cd_ipc_gid_in(4711, gids, 3));
	CU_ASSERT_TRUE(cd_ipc_gid_in(100, gids, 3));
	CU_ASSERT_FALSE(cd_ipc_gid_in(4711, gids, 2));
	CU_ASSERT_FALSE(cd_ipc_gid_in(5, gids, 3));
	CU_ASSERT_FALSE(cd_ipc_gid_in(100, gids, 0));
}

static void
test_fd_budget(void)
{
	/* The unit's LimitNOFILE (4096) covers every IPC socket with room to
	 * spare for corosync, state files and the agents' pipes. */
	CU_ASSERT_TRUE(CD_IPC_FD_MAX < 4096 / 8);
	CU_ASSERT_TRUE(CD_IPC_UID_MAX <= CD_IPC_ADMIN_MAX);
}

static CU_TestInfo admit_tests[] = {
	{ "A1-A4: verdicts, table", test_admit_table },
	{ "haclient among the peer's groups", test_gid_in },
	{ "the budgets fit the unit's fd limit", test_fd_budget },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "ipc_admit", NULL, NULL, NULL, NULL, admit_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
