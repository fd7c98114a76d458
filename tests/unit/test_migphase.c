/*
 * test_migphase.c - the migration phase table (lib/migphase.c, rules M1-M11
 * of migphase.h): every transition of both types on success and failure,
 * who runs what, then whole migrations walked event by event (success,
 * cancel, agent failure on each side, source and target lost) with what
 * runs on each side at the end, and the node-loss and rollback tables.
 */
#include "migphase.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every transition ---- */

struct tcase {
	enum cd_mig_type type;
	const char *phase;
	const char *side;	/* "source", "target", "leader", "" */
	const char *action;	/* NULL: none */
	const char *on_ok, *on_fail;
	bool switch_ok;		/* M4 */
	bool error_recorded;	/* M10, on failure */
	bool cancel, undo, undo_paused, rollback;
};

#define L CD_MIG_LIVE
#define Q CD_MIG_QUICK

static const struct tcase transitions[] = {
	/* M1: the leader starts it */
	{ L, "", "leader", NULL, "prepare", "", false, false, false, false, false, false },
	{ Q, "", "leader", NULL, "prepare", "", false, false, false, false, false, false },
	/* live */
	{ L, "prepare", "target", "migrate_prepare", "send", "abort", false, true,
	  true, true, false, false },
	{ L, "send", "source", "migrate_to", "finish", "abort", false, true,
	  true, false, true, false },
	{ L, "finish", "target", "migrate_from", "cleanup", "abort", true, true,
	  false, false, false, false },
	{ L, "cleanup", "source", "stop", "done", "done", false, false,
	  false, false, false, false },
	{ L, "abort", "target", "migrate_abort", "abort-source", "abort-source", false, false,
	  false, false, false, true },
	{ L, "abort-source", "source", "migrate_abort", "done", "done", false, true,
	  false, false, false, true },
	{ L, "done", "", NULL, "", "", false, false, false, false, false, false },
	/* quick */
	{ Q, "prepare", "target", "migrate_prepare", "save", "abort", false, true,
	  true, true, false, false },
	{ Q, "save", "source", "save", "restore", "abort", false, true,
	  true, true, false, false },
	{ Q, "restore", "target", "restore", "cleanup", "abort-source", true, true,
	  false, false, false, false },
	{ Q, "cleanup", "source", "stop", "done", "done", false, false,
	  false, false, false, false },
	{ Q, "abort", "target", "migrate_abort", "abort-source", "abort-source", false, false,
	  false, false, false, true },
	{ Q, "abort-source", "source", "restore", "done", "done", false, true,
	  false, false, false, true },
	{ Q, "done", "", NULL, "", "", false, false, false, false, false, false },
};

static const char *
side_str(enum cd_mig_side s)
{
	switch (s) {
	case CD_MIG_SOURCE: return "source";
	case CD_MIG_TARGET: return "target";
	case CD_MIG_LEADER: return "leader";
	case CD_MIG_NOBODY: break;
	}
	return "";
}

static void
test_transitions(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(transitions); i++) {
		const struct tcase *c = &transitions[i];
		const struct cd_mig_step *s;
		enum cd_mig_phase ph;

		CU_ASSERT_EQUAL_FATAL(cd_migphase_parse(c->phase, &ph), 0);
		s = cd_migphase_step(c->type, ph);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		printf("\n  %s %-12s", cd_migtype_str(c->type), c->phase[0] ? c->phase : "(none)");
		CU_ASSERT_STRING_EQUAL(side_str(s->side), c->side);
		if (c->action) {
			CU_ASSERT_PTR_NOT_NULL(s->action);
			if (s->action)
				CU_ASSERT_STRING_EQUAL(s->action, c->action);
		} else {
			CU_ASSERT_PTR_NULL(s->action);
		}
		CU_ASSERT_STRING_EQUAL(cd_migphase_str(cd_migphase_next(c->type, ph, true)), c->on_ok);
		CU_ASSERT_STRING_EQUAL(cd_migphase_str(cd_migphase_next(c->type, ph, false)),
				       c->on_fail);
		CU_ASSERT_EQUAL(!!(s->flags & CD_MIG_SWITCH), c->switch_ok);
		CU_ASSERT_EQUAL(cd_migphase_error_matters(s, false), c->error_recorded);
		CU_ASSERT_FALSE(cd_migphase_error_matters(s, true));
		CU_ASSERT_EQUAL(cd_migphase_cancellable(ph), c->cancel);
		CU_ASSERT_EQUAL(cd_migphase_undoable(c->type, ph, false), c->undo);
		CU_ASSERT_EQUAL(cd_migphase_undoable(c->type, ph, true), c->undo || c->undo_paused);
		CU_ASSERT_EQUAL(!!(s->flags & CD_MIG_ROLLBACK), c->rollback);
		CU_ASSERT_EQUAL(!!(s->flags & CD_MIG_TERMINAL), ph == CD_MIG_DONE);
		/* M11: progress only while the live transfer runs */
		CU_ASSERT_EQUAL(!!(s->flags & CD_MIG_PROGRESS), c->type == L && ph == CD_MIG_SEND);
		/* M2: the action is the owning side's, never the other's */
		CU_ASSERT_EQUAL(cd_migphase_action(c->type, ph, true, false) != NULL,
				s->side == CD_MIG_SOURCE && s->action);
		CU_ASSERT_EQUAL(cd_migphase_action(c->type, ph, false, true) != NULL,
				s->side == CD_MIG_TARGET && s->action);
		CU_ASSERT_PTR_NULL(cd_migphase_action(c->type, ph, false, false));
	}
}

/* Phases of the other type have no row; every row is in the test above. */
static void
test_no_other_rows(void)
{
	enum cd_mig_phase ph;
	size_t rows = 0, i;

	CU_ASSERT_PTR_NULL(cd_migphase_step(L, CD_MIG_SAVE));
	CU_ASSERT_PTR_NULL(cd_migphase_step(L, CD_MIG_RESTORE));
	CU_ASSERT_PTR_NULL(cd_migphase_step(Q, CD_MIG_SEND));
	CU_ASSERT_PTR_NULL(cd_migphase_step(Q, CD_MIG_FINISH));
	CU_ASSERT_EQUAL(cd_migphase_next(L, CD_MIG_SAVE, true), CD_MIG_NONE);
	CU_ASSERT_PTR_NULL(cd_migphase_action(Q, CD_MIG_SEND, true, false));
	for (ph = CD_MIG_NONE; ph <= CD_MIG_DONE; ph++) {
		rows += cd_migphase_step(L, ph) != NULL;
		rows += cd_migphase_step(Q, ph) != NULL;
	}
	CU_ASSERT_EQUAL(rows, N_ELEMS(transitions));
	for (i = 0; i < N_ELEMS(transitions); i++)
		CU_ASSERT_EQUAL(cd_migphase_parse(transitions[i].phase, &ph), 0);
}

static void
test_names(void)
{
	enum cd_mig_phase ph, back;
	enum cd_mig_type t;

	for (ph = CD_MIG_NONE; ph <= CD_MIG_DONE; ph++) {
		CU_ASSERT_EQUAL(cd_migphase_parse(cd_migphase_str(ph), &back), 0);
		CU_ASSERT_EQUAL(back, ph);
	}
	CU_ASSERT_EQUAL(cd_migphase_parse("Prepare", &back), -EINVAL);
	CU_ASSERT_EQUAL(cd_migphase_parse(NULL, &back), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_migphase_str((enum cd_mig_phase)99), "?");
	CU_ASSERT_EQUAL(cd_migtype_parse("quick", &t), 0);
	CU_ASSERT_EQUAL(t, Q);
	CU_ASSERT_EQUAL(cd_migtype_parse("live", &t), 0);
	CU_ASSERT_EQUAL(t, L);
	CU_ASSERT_EQUAL(cd_migtype_parse("restart", &t), -EINVAL);
	CU_ASSERT_EQUAL(cd_migtype_parse(NULL, &t), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_migtype_str(Q), "quick");
}

/* ---- whole migrations ---- */

/*
 * Events, space-separated: "ok" / "fail" (the current phase's step ended),
 * "cancel" (M6: the administrator; refused when the phase does not allow
 * it), "src-lost" / "dst-lost" (that side lost and fenced, the other up:
 * M8). path: the phases seen, from the first; end: "started on source",
 * "started on target", "failed" (no copy), "recovered on target" (cold).
 */
struct walk {
	const char *name;
	enum cd_mig_type type;
	const char *events;
	const char *path;
	const char *end;
};

static const struct walk walks[] = {
	{ "live: success", L, "ok ok ok ok",
	  "prepare send finish cleanup done", "started on target" },
	{ "quick: success", Q, "ok ok ok ok",
	  "prepare save restore cleanup done", "started on target" },
	/* cancel */
	{ "live: cancel at prepare", L, "cancel ok ok",
	  "prepare abort abort-source done", "started on source" },
	{ "live: cancel after prepare", L, "ok cancel ok ok",
	  "prepare send abort abort-source done", "started on source" },
	{ "quick: cancel at save", Q, "ok cancel ok ok",
	  "prepare save abort abort-source done", "started on source" },
	{ "live: too late to cancel at finish", L, "ok ok cancel ok ok",
	  "prepare send finish cleanup done", "started on target" },
	{ "quick: too late to cancel at restore", Q, "ok ok cancel ok ok",
	  "prepare save restore cleanup done", "started on target" },
	/* agent failure on the target */
	{ "live: prepare fails", L, "fail ok ok",
	  "prepare abort abort-source done", "started on source" },
	{ "live: finish fails", L, "ok ok fail ok ok",
	  "prepare send finish abort abort-source done", "started on source" },
	{ "quick: prepare fails", Q, "fail ok ok",
	  "prepare abort abort-source done", "started on source" },
	{ "quick: restore fails", Q, "ok ok fail ok",
	  "prepare save restore abort-source done", "started on source" },
	{ "live: abort fails too", L, "fail fail ok",
	  "prepare abort abort-source done", "started on source" },
	/* agent failure on the source */
	{ "live: send fails", L, "ok fail ok ok",
	  "prepare send abort abort-source done", "started on source" },
	{ "quick: save fails", Q, "ok fail ok ok",
	  "prepare save abort abort-source done", "started on source" },
	{ "live: cleanup fails", L, "ok ok ok fail",
	  "prepare send finish cleanup done", "started on target" },
	{ "live: abort-source fails", L, "fail ok fail",
	  "prepare abort abort-source done", "failed" },
	{ "quick: abort-source fails", Q, "ok ok fail fail",
	  "prepare save restore abort-source done", "failed" },
	/* the source lost (and fenced): the target recovers cold */
	{ "live: source lost in send", L, "ok src-lost",
	  "prepare send", "recovered on target" },
	{ "quick: source lost in save", Q, "ok src-lost",
	  "prepare save", "recovered on target" },
	{ "live: source lost in cleanup", L, "ok ok ok src-lost",
	  "prepare send finish cleanup", "recovered on target" },
	/* the target lost (and fenced): the source takes it back */
	{ "live: target lost in prepare", L, "dst-lost ok",
	  "prepare abort-source done", "started on source" },
	{ "live: target lost in send", L, "ok dst-lost ok",
	  "prepare send abort-source done", "started on source" },
	{ "quick: target lost in restore", Q, "ok ok dst-lost ok",
	  "prepare save restore abort-source done", "started on source" },
	{ "quick: target lost in abort", Q, "fail dst-lost ok",
	  "prepare abort abort-source done", "started on source" },
	{ "live: target lost in abort-source: nothing more", L, "fail ok dst-lost ok",
	  "prepare abort abort-source done", "started on source" },
};

struct sim {
	enum cd_mig_type type;
	enum cd_mig_phase ph;
	int run[2];		/* [0] source, [1] target: a copy runs there (M9) */
	bool switched, role_failed, recovered;
	char path[256];
};

static void
sim_enter(struct sim *s, enum cd_mig_phase ph)
{
	s->ph = ph;
	snprintf(s->path + strlen(s->path), sizeof(s->path) - strlen(s->path), "%s%s",
		 s->path[0] ? " " : "", cd_migphase_str(ph));
}

static void
sim_step(struct sim *s, bool ok)
{
	const struct cd_mig_step *st = cd_migphase_step(s->type, s->ph);
	int *run;
	signed char v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st->action);
	run = &s->run[st->side == CD_MIG_TARGET];
	v = ok ? st->run_ok : st->run_fail;
	if (v >= 0)
		*run = v;
	if (ok && (st->flags & CD_MIG_SWITCH))
		s->switched = true;
	if (!ok && (st->flags & CD_MIG_FAIL_ROLE) && !s->run[0])
		s->role_failed = true;
	sim_enter(s, cd_migphase_next(s->type, s->ph, ok));
}

static void
sim_event(struct sim *s, const char *ev)
{
	enum cd_mig_loss loss;

	if (!strcmp(ev, "ok") || !strcmp(ev, "fail")) {
		sim_step(s, !strcmp(ev, "ok"));
	} else if (!strcmp(ev, "cancel")) {
		if (cd_migphase_cancellable(s->ph))
			sim_enter(s, CD_MIG_ABORT);
	} else if (!strcmp(ev, "src-lost")) {
		CU_ASSERT_EQUAL(cd_migphase_node_lost(s->ph, false, false, true, false),
				CD_MIG_LOSS_WAIT);	/* not fenced yet */
		loss = cd_migphase_node_lost(s->ph, false, true, true, false);
		CU_ASSERT_EQUAL(loss, CD_MIG_LOSS_RECOVER);
		s->recovered = true;
		s->run[0] = 0;	/* fenced */
	} else if (!strcmp(ev, "dst-lost")) {
		CU_ASSERT_EQUAL(cd_migphase_node_lost(s->ph, true, false, false, false),
				CD_MIG_LOSS_WAIT);
		loss = cd_migphase_node_lost(s->ph, true, false, false, true);
		s->run[1] = 0;	/* fenced */
		if (s->ph == CD_MIG_ABORT_SOURCE) {
			CU_ASSERT_EQUAL(loss, CD_MIG_LOSS_NONE);
		} else {
			CU_ASSERT_EQUAL(loss, CD_MIG_LOSS_TAKE_BACK);
			s->switched = false;	/* the source owns it again */
			sim_enter(s, CD_MIG_ABORT_SOURCE);
		}
	} else {
		CU_FAIL("unknown event");
	}
}

static void
test_walks(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(walks); i++) {
		const struct walk *w = &walks[i];
		struct sim s = { .type = w->type, .run = { 1, 0 } };
		char evs[128], *tok, *save = NULL;
		const char *end;

		printf("\n  %s", w->name);
		/* M1 */
		sim_enter(&s, cd_migphase_next(w->type, CD_MIG_NONE, true));
		snprintf(evs, sizeof(evs), "%s", w->events);
		for (tok = strtok_r(evs, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			sim_event(&s, tok);
		/* M9: once it ended, the reconcile stops a copy on the non-owner */
		if (s.ph == CD_MIG_DONE && !s.role_failed)
			s.run[!s.switched] = 0;
		else if (s.ph == CD_MIG_DONE)
			s.run[1] = 0;
		if (s.recovered)
			end = "recovered on target";
		else if (s.ph != CD_MIG_DONE)
			end = "unfinished";
		else if (s.role_failed)
			end = s.run[0] || s.run[1] ? "failed, yet a copy runs" : "failed";
		else if (s.switched)
			end = s.run[1] == 1 && s.run[0] == 0 ? "started on target" : "copies wrong";
		else
			end = s.run[0] == 1 && s.run[1] == 0 ? "started on source" : "copies wrong";
		if (strcmp(s.path, w->path) || strcmp(end, w->end))
			printf(": path '%s' end '%s' (src %d dst %d)", s.path, end, s.run[0], s.run[1]);
		CU_ASSERT_STRING_EQUAL(s.path, w->path);
		CU_ASSERT_STRING_EQUAL(end, w->end);
	}
}

/* ---- M8: who is lost and fenced ---- */

struct lcase {
	enum cd_mig_phase ph;
	bool src_up, src_fenced, dst_up, dst_fenced;
	enum cd_mig_loss want;
};

#define NONE_ CD_MIG_LOSS_NONE
#define WAIT_ CD_MIG_LOSS_WAIT
#define RECOVER_ CD_MIG_LOSS_RECOVER
#define BACK_ CD_MIG_LOSS_TAKE_BACK

static const struct lcase losses[] = {
	/* a: both up (a stale fenced flag of an up node is ignored) */
	{ CD_MIG_SEND, true, false, true, false, NONE_ },
	{ CD_MIG_SEND, true, true, true, true, NONE_ },
	/* b: the source lost and fenced, whatever the phase and the target */
	{ CD_MIG_PREPARE, false, true, true, false, RECOVER_ },
	{ CD_MIG_FINISH, false, true, true, false, RECOVER_ },
	{ CD_MIG_CLEANUP, false, true, true, false, RECOVER_ },
	{ CD_MIG_ABORT_SOURCE, false, true, true, false, RECOVER_ },
	{ CD_MIG_SEND, false, true, false, true, RECOVER_ },	/* both: stopped */
	{ CD_MIG_SEND, false, true, false, false, RECOVER_ },
	/* c: the target lost and fenced, the source up */
	{ CD_MIG_PREPARE, true, false, false, true, BACK_ },
	{ CD_MIG_SAVE, true, false, false, true, BACK_ },
	{ CD_MIG_RESTORE, true, false, false, true, BACK_ },
	{ CD_MIG_ABORT, true, false, false, true, BACK_ },
	{ CD_MIG_CLEANUP, true, false, false, true, BACK_ },
	{ CD_MIG_ABORT_SOURCE, true, false, false, true, NONE_ },
	/* d: the lost side not fenced yet */
	{ CD_MIG_SEND, false, false, true, false, WAIT_ },
	{ CD_MIG_SEND, true, false, false, false, WAIT_ },
	{ CD_MIG_SEND, false, false, false, true, WAIT_ },
	{ CD_MIG_SEND, false, false, false, false, WAIT_ },
};

static void
test_node_lost(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(losses); i++) {
		const struct lcase *c = &losses[i];
		enum cd_mig_loss got = cd_migphase_node_lost(c->ph, c->src_up, c->src_fenced,
							     c->dst_up, c->dst_fenced);

		if (got != c->want)
			printf("\n  case %zu: %d, expected %d", i, got, c->want);
		CU_ASSERT_EQUAL(got, c->want);
	}
}

static CU_TestInfo tests[] = {
	{ "every transition", test_transitions },
	{ "no other rows", test_no_other_rows },
	{ "names", test_names },
	{ "whole migrations", test_walks },
	{ "node lost (M8)", test_node_lost },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "migration phases", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
