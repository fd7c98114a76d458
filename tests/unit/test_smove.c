/*
 * test_smove.c - the live storage move's phases (lib/smove.c, rules S1-S9
 * of smove.h): every transition with and without success and switch, whole
 * moves walked event by event (success, failure before the switch, cancel,
 * clusterd restart before and after the switch), the restart and
 * node-loss tables, and the start checks.
 */
#include "smove.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every transition ---- */

struct tcase {
	const char *phase;
	bool ok, switched;
	const char *next;
	bool commit;		/* S3: the report records the switch */
};

static const struct tcase transitions[] = {
	/* S3: mirror's success is the switch */
	{ "mirror", true, false, "finish", true },
	{ "mirror", true, true, "finish", true },
	/* S4: a failure before the switch goes to undo, nothing recorded */
	{ "mirror", false, false, "undo", false },
	{ "mirror", false, true, "undo", false },
	/* undo that finds the switch done records it (S3) */
	{ "undo", true, true, "finish", true },
	{ "undo", true, false, "done", false },
	{ "undo", false, false, "done", false },
	{ "undo", false, true, "done", false },
	/* S9: finish always ends the move */
	{ "finish", true, false, "done", false },
	{ "finish", false, false, "done", false },
	/* no steps */
	{ "", true, false, "", false },
	{ "done", true, false, "", false },
};

static void
test_transitions(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(transitions); i++) {
		const struct tcase *c = &transitions[i];
		enum cd_smove_phase p, want;
		bool commit = !c->commit;

		CU_ASSERT_EQUAL_FATAL(cd_smove_parse(c->phase, &p), 0);
		CU_ASSERT_EQUAL_FATAL(cd_smove_parse(c->next, &want), 0);
		if (cd_smove_next(p, c->ok, c->switched, &commit) != want || commit != c->commit)
			printf("\n  case %zu: %s ok=%d switched=%d", i, c->phase, c->ok,
			       c->switched);
		CU_ASSERT_EQUAL(cd_smove_next(p, c->ok, c->switched, &commit), want);
		CU_ASSERT_EQUAL(commit, c->commit);
	}
}

static void
test_actions(void)
{
	static const struct { enum cd_smove_phase p; const char *action; bool cancel; } rows[] = {
		{ CD_SMOVE_MIRROR, "move_storage", true },
		{ CD_SMOVE_UNDO, "move_storage_undo", false },
		{ CD_SMOVE_FINISH, "move_storage_finish", false },
	};
	size_t i;

	for (i = 0; i < N_ELEMS(rows); i++) {
		const struct cd_smove_step *s = cd_smove_step(rows[i].p);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_STRING_EQUAL(s->action, rows[i].action);
		CU_ASSERT_EQUAL(cd_smove_cancellable(rows[i].p), rows[i].cancel);	/* S5 */
	}
	CU_ASSERT_PTR_NULL(cd_smove_step(CD_SMOVE_NONE));
	CU_ASSERT_PTR_NULL(cd_smove_step(CD_SMOVE_DONE));
	CU_ASSERT_PTR_NULL(cd_smove_step((enum cd_smove_phase)99));
	CU_ASSERT_FALSE(cd_smove_cancellable(CD_SMOVE_NONE));
	CU_ASSERT_FALSE(cd_smove_cancellable(CD_SMOVE_DONE));
	CU_ASSERT_TRUE(cd_smove_step(CD_SMOVE_MIRROR)->flags & CD_SMOVE_PROGRESS);
}

static void
test_names(void)
{
	enum cd_smove_phase p;
	int i;

	for (i = CD_SMOVE_NONE; i <= CD_SMOVE_DONE; i++) {
		CU_ASSERT_EQUAL(cd_smove_parse(cd_smove_str((enum cd_smove_phase)i), &p), 0);
		CU_ASSERT_EQUAL(p, (enum cd_smove_phase)i);
	}
	CU_ASSERT_EQUAL(cd_smove_parse("abort", &p), -EINVAL);
	CU_ASSERT_EQUAL(cd_smove_parse("Mirror", &p), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_smove_str((enum cd_smove_phase)42), "");
}

/* ---- whole moves, event by event ---- */

/* Events: 'o' step ok, 'O' ok and switched (undo), 'f' failed,
 * 'r' clusterd restarted under the step (S6), 'c' cancel (S5: the step fails). */
struct walk {
	const char *name;
	const char *events;
	const char *phases;	/* the phases passed, space separated, ending "done" */
	bool committed;		/* the switch was recorded */
};

static const struct walk walks[] = {
	{ "success", "oo", "mirror finish done", true },
	{ "target full", "fo", "mirror undo done", false },
	{ "cancel", "co", "mirror undo done", false },
	{ "restart before switch", "ro", "mirror undo done", false },
	{ "restart after switch", "rOo", "mirror undo finish done", true },
	{ "undo fails", "ff", "mirror undo done", false },
	{ "finish fails", "of", "mirror finish done", true },
};

static void
test_walks(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(walks); i++) {
		const struct walk *w = &walks[i];
		enum cd_smove_phase p = CD_SMOVE_MIRROR;
		char seen[128];
		bool committed = false, commit;
		const char *e;
		size_t n;

		n = (size_t)snprintf(seen, sizeof(seen), "%s", cd_smove_str(p));
		for (e = w->events; *e && p != CD_SMOVE_DONE; e++) {
			switch (*e) {
			case 'r':	/* S6: the step is lost, the phase becomes undo */
				CU_ASSERT_EQUAL(cd_smove_duty(p, true, true, false, false, false),
						CD_SMOVE_DUTY_ORPHANED);
				p = CD_SMOVE_UNDO;
				commit = false;
				break;
			case 'c':
				CU_ASSERT_TRUE(cd_smove_cancellable(p));
				p = cd_smove_next(p, false, false, &commit);
				break;
			default:
				p = cd_smove_next(p, *e != 'f', *e == 'O', &commit);
				break;
			}
			committed |= commit;
			n += (size_t)snprintf(seen + n, sizeof(seen) - n, " %s", cd_smove_str(p));
		}
		if (strcmp(seen, w->phases) || committed != w->committed)
			printf("\n  walk %s: %s committed=%d", w->name, seen, committed);
		CU_ASSERT_STRING_EQUAL(seen, w->phases);
		CU_ASSERT_EQUAL(committed, w->committed);
	}
}

/* ---- S6, S7 ---- */

#define M CD_SMOVE_MIRROR
#define U CD_SMOVE_UNDO
#define F CD_SMOVE_FINISH

static void
test_duty(void)
{
	static const struct {
		enum cd_smove_phase p;
		bool mine, claimed, by_me, busy, reported;
		enum cd_smove_duty want;
	} rows[] = {
		{ M, false, false, false, false, false, CD_SMOVE_DUTY_NONE },	/* another node's */
		{ M, false, true, false, true, false, CD_SMOVE_DUTY_NONE },
		{ CD_SMOVE_NONE, true, false, false, false, false, CD_SMOVE_DUTY_NONE },
		{ CD_SMOVE_DONE, true, false, false, false, false, CD_SMOVE_DUTY_NONE },
		{ M, true, false, false, false, false, CD_SMOVE_DUTY_CLAIM },	/* new move */
		{ M, true, true, true, false, false, CD_SMOVE_DUTY_RUN },	/* claim landed */
		{ M, true, true, true, true, false, CD_SMOVE_DUTY_WAIT },	/* the step runs */
		{ M, true, true, true, false, true, CD_SMOVE_DUTY_WAIT },	/* report on its way */
		{ M, true, true, false, false, false, CD_SMOVE_DUTY_ORPHANED },	/* restarted */
		{ U, true, true, false, false, false, CD_SMOVE_DUTY_CLAIM },	/* re-run undo */
		{ F, true, true, false, false, false, CD_SMOVE_DUTY_CLAIM },	/* re-run finish */
		{ U, true, false, false, false, false, CD_SMOVE_DUTY_CLAIM },
		{ U, true, true, true, false, false, CD_SMOVE_DUTY_RUN },
		{ F, true, true, true, true, false, CD_SMOVE_DUTY_WAIT },
	};
	size_t i;

	for (i = 0; i < N_ELEMS(rows); i++) {
		enum cd_smove_duty got = cd_smove_duty(rows[i].p, rows[i].mine, rows[i].claimed,
						       rows[i].by_me, rows[i].busy,
						       rows[i].reported);

		if (got != rows[i].want)
			printf("\n  case %zu: %d, expected %d", i, got, rows[i].want);
		CU_ASSERT_EQUAL(got, rows[i].want);
	}
}

/* ---- the moves list (S3) ---- */

static void
test_moves_add(void)
{
	char *l1, *l2, *l3, *l4;

	l1 = cd_smove_moves_add(NULL, "/a/web1.img", "/b/web1.img", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l1);
	CU_ASSERT_STRING_EQUAL(l1, "[{\"from\":\"/a/web1.img\",\"to\":\"/b/web1.img\"}]");
	/* the same disk again: the first move now ends at the new place */
	l2 = cd_smove_moves_add(l1, "/b/web1.img", "/c/web1.qcow2", "qcow2");
	CU_ASSERT_PTR_NOT_NULL_FATAL(l2);
	CU_ASSERT_STRING_EQUAL(l2, "[{\"from\":\"/a/web1.img\",\"to\":\"/c/web1.qcow2\","
			       "\"format\":\"qcow2\"},{\"from\":\"/b/web1.img\","
			       "\"to\":\"/c/web1.qcow2\",\"format\":\"qcow2\"}]");
	/* and back to where it began: that move is no move */
	l3 = cd_smove_moves_add(l2, "/c/web1.qcow2", "/a/web1.img", "raw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(l3);
	CU_ASSERT_PTR_NULL(strstr(l3, "\"from\":\"/a/web1.img\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l3, "{\"from\":\"/c/web1.qcow2\",\"to\":\"/a/web1.img\""));
	errno = 0;
	CU_ASSERT_PTR_NULL(cd_smove_moves_add("{", "/a", "/b", NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(cd_smove_moves_add("[{\"from\":1}]", "/a", "/b", NULL));
	/* bounded: the oldest entries go */
	l4 = strdup(l2);
	for (int i = 0; i < CD_SMOVE_MOVES_MAX + 5; i++) {
		char from[32], to[32], *n;

		snprintf(from, sizeof(from), "/x/%d", i);
		snprintf(to, sizeof(to), "/y/%d", i);
		n = cd_smove_moves_add(l4, from, to, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(n);
		free(l4);
		l4 = n;
	}
	CU_ASSERT_PTR_NULL(strstr(l4, "web1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(l4, "\"/y/68\""));
	CU_ASSERT_PTR_NULL(strstr(l4, "\"/y/4\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(l4, "\"/y/5\""));
	free(l1);
	free(l2);
	free(l3);
	free(l4);
}

static void
test_node_lost(void)
{
	static const struct { enum cd_smove_phase p; bool up, fenced; enum cd_smove_loss want; }
	rows[] = {
		{ CD_SMOVE_MIRROR, true, false, CD_SMOVE_LOSS_NONE },
		{ CD_SMOVE_MIRROR, false, false, CD_SMOVE_LOSS_WAIT },
		{ CD_SMOVE_MIRROR, false, true, CD_SMOVE_LOSS_END },
		{ CD_SMOVE_UNDO, false, true, CD_SMOVE_LOSS_END },
		{ CD_SMOVE_FINISH, false, false, CD_SMOVE_LOSS_WAIT },
		{ CD_SMOVE_FINISH, false, true, CD_SMOVE_LOSS_END },
		{ CD_SMOVE_NONE, false, true, CD_SMOVE_LOSS_NONE },
		{ CD_SMOVE_DONE, false, true, CD_SMOVE_LOSS_NONE },
	};
	size_t i;

	for (i = 0; i < N_ELEMS(rows); i++)
		CU_ASSERT_EQUAL(cd_smove_node_lost(rows[i].p, rows[i].up, rows[i].fenced),
				rows[i].want);
}

/* ---- S1 ---- */

struct scase {
	struct cd_smove_start s;
	int want;
	const char *says;	/* a piece of the message */
};

#define OK_VM .role_started = true, .owner_up = true, .is_vm = true, .n_disks = 2, \
	.from = "/a/web1.img"

static const struct scase starts[] = {
	{ { OK_VM, .disk = 0, .to = "/b/web1.img" }, 0, NULL },
	{ { OK_VM, .disk = 1, .to = "/b/web1.qcow2", .format = "qcow2" }, 0, NULL },
	{ { OK_VM, .disk = 2, .to = "/b/x" }, -EINVAL, "no disk 2: the VM has 2 disks (0..1)" },
	{ { OK_VM, .disk = -1, .to = "/b/x" }, -EINVAL, "no disk -1" },
	{ { OK_VM, .disk = 0, .to = "b/x" }, -EINVAL, "absolute file path" },
	{ { OK_VM, .disk = 0, .to = "/b/../x" }, -EINVAL, "absolute file path" },
	{ { OK_VM, .disk = 0, .to = "/b/" }, -EINVAL, "absolute file path" },
	{ { OK_VM, .disk = 0, .to = NULL }, -EINVAL, "absolute file path" },
	{ { OK_VM, .disk = 0, .to = "/b/x", .format = "vmdk" }, -EINVAL, "raw or qcow2" },
	{ { OK_VM, .disk = 0, .to = "/a/web1.img" }, -EEXIST, "at /a/web1.img already" },
	{ { OK_VM, .disk = 0, .to = "/b/x", .claimed_by = "db1" }, -EEXIST, "VM resource db1" },
	{ { OK_VM, .disk = 0, .to = "/b/x", .migrating = true }, -EBUSY, "migrating" },
	{ { OK_VM, .disk = 0, .to = "/b/x", .moving = true }, -EBUSY, "under way" },
	{ { .owner_up = true, .is_vm = true, .n_disks = 1, .disk = 0, .to = "/b/x" }, -EBUSY,
	  "not started" },
	{ { .role_started = true, .is_vm = true, .n_disks = 1, .disk = 0, .to = "/b/x" }, -EBUSY,
	  "owner is not up" },
	{ { .role_started = true, .owner_up = true, .disk = 0, .to = "/b/x" }, -ENOTSUP,
	  "not a VM" },
};

static void
test_start(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(starts); i++) {
		char err[256] = "";
		int rc = cd_smove_check_start(&starts[i].s, err, sizeof(err));

		if (rc != starts[i].want || (starts[i].says && !strstr(err, starts[i].says)))
			printf("\n  case %zu: %d '%s'", i, rc, err);
		CU_ASSERT_EQUAL(rc, starts[i].want);
		if (starts[i].says)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, starts[i].says));
	}
}

static CU_TestInfo tests[] = {
	{ "every transition (S3, S4, S9)", test_transitions },
	{ "actions and cancel (S2, S5)", test_actions },
	{ "names", test_names },
	{ "whole moves", test_walks },
	{ "claims and restarts (S6)", test_duty },
	{ "the moves list (S3)", test_moves_add },
	{ "node lost (S7)", test_node_lost },
	{ "start checks (S1, S8)", test_start },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "storage move phases", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
