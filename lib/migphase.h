/*
 * migphase.h - the phase machine of live and quick migration: one table
 * says, for each type and phase, which side runs which agent action, the
 * phase that follows on success and on failure, and what the phase allows.
 * Pure code: no I/O, no state. The resource manager (clusterd/rm-migrate.c)
 * runs the steps and records every transition in the replicated state
 * (runtime.roles.R.migration.phase); rm-ipc.c's cancel and clusterctl's
 * move follower read the same table. The agent actions are the vm agent's
 * (agents/vm/hypervisor.h).
 *
 *   live:     prepare (target) -> send (source) -> finish (target)
 *             -> cleanup (source) -> done
 *   quick:    prepare (target) -> save (source) -> restore (target)
 *             -> cleanup (source) -> done
 *   rollback: abort (target) -> abort-source (source) -> done
 *
 * Rules:
 *  M1. The leader starts a migration of a started role for a MOVE whose
 *      type is live or quick: phase prepare (the table's row for "none").
 *  M2. Every phase but done belongs to one side, source or target, which
 *      runs the phase's agent action once; the other side and the leader
 *      wait. Exactly one copy of the guest runs at every step.
 *  M3. The step's result names the next phase: on_success or on_failure.
 *      A live prepare that printed no migration uri has failed.
 *  M4. Success of finish (live) or restore (quick) is the switch-over: the
 *      target becomes the role's owner (SWITCH); cleanup then drops the
 *      source's copy.
 *  M5. done ends the migration (its record is deleted): the role is started
 *      on its owner, except when abort-source failed (FAIL_ROLE): then no
 *      copy runs and the role is failed. A send that switched to post-copy
 *      (migration policy postcopy, lib/migstall.h) and did not complete
 *      ends so: the source's abort never resumes it (the agent reports the
 *      VM lost), and the policy engine cold-boots the failed role
 *      (docs/ARCHITECTURE.md §7, post-copy safety).
 *  M6. The administrator may cancel a migration in a phase before the
 *      switch-over (CANCEL: prepare, send, save): the phase becomes abort.
 *  M7. A step whose report the cluster keeps refusing is rolled back (the
 *      phase becomes abort) only while the guest has not run on the
 *      target: after prepare or save (UNDO), after send only in paused mode
 *      (UNDO_PAUSED: in pre-copy and post-copy the target runs the guest
 *      already).
 *      Other reports, and those of the rollback, are resent until they land.
 *  M8. A side lost from the membership (the leader decides, only once the
 *      lost node is fenced: it may still run the guest):
 *       a. both sides up: nothing;
 *       b. source lost and fenced: the migration ends and the role recovers
 *          cold: starting on the target if it is up, else stopped;
 *       c. target lost and fenced, source up, phase not abort-source: the
 *          phase becomes abort-source and the source is the owner again;
 *       d. otherwise (the lost side not fenced yet, or the source already
 *          takes the guest back): wait.
 *  M9. What a step leaves running on its side (the resource manager's
 *      bookkeeping): run_ok after success, run_fail after failure, each
 *      1 (a copy runs here), 0 (none) or -1 (unchanged). A copy left on the
 *      node that does not own the role once the migration ended (the
 *      target's prepared QEMU after a failed quick restore) is stopped by
 *      the resource manager's reconcile like any role not assigned there.
 *  M10. A step's error is recorded when its failure changes the outcome
 *      (on_failure differs from on_success, or FAIL_ROLE); a failed
 *      cleanup or abort only ends in the phase that follows anyway. The
 *      target's prepare prints the uri the source sends to (GIVES_URI).
 *  M11. PROGRESS phases report the transfer's progress (ephemeral values,
 *      clusterd/ephemeral.h), shown by the follower's progress bar.
 */
#ifndef CLUSTERD_MIGPHASE_H
#define CLUSTERD_MIGPHASE_H

#include <stdbool.h>

enum cd_mig_type {
	CD_MIG_LIVE = 0,
	CD_MIG_QUICK,
};

enum cd_mig_phase {
	CD_MIG_NONE = 0,	/* no migration (before M1, after done) */
	CD_MIG_PREPARE,
	CD_MIG_SEND,
	CD_MIG_SAVE,
	CD_MIG_FINISH,
	CD_MIG_RESTORE,
	CD_MIG_CLEANUP,
	CD_MIG_ABORT,
	CD_MIG_ABORT_SOURCE,
	CD_MIG_DONE,		/* the migration ends (M5) */
};

enum cd_mig_side {
	CD_MIG_NOBODY = 0,	/* done */
	CD_MIG_LEADER,		/* M1: the leader's decision, no agent action */
	CD_MIG_SOURCE,
	CD_MIG_TARGET,
};

/* Flags of a phase. */
#define CD_MIG_CANCEL		0x01u	/* M6 */
#define CD_MIG_UNDO		0x02u	/* M7 */
#define CD_MIG_UNDO_PAUSED	0x04u	/* M7, paused-mode send only */
#define CD_MIG_SWITCH		0x08u	/* M4, on success */
#define CD_MIG_ROLLBACK		0x10u	/* abort, abort-source */
#define CD_MIG_FAIL_ROLE	0x20u	/* M5, on failure */
#define CD_MIG_PROGRESS		0x40u	/* M11 */
#define CD_MIG_TERMINAL		0x80u	/* done */
#define CD_MIG_GIVES_URI	0x100u	/* the step prints the uri the source sends to */

struct cd_mig_step {
	enum cd_mig_type type;
	enum cd_mig_phase phase;
	enum cd_mig_side side;
	const char *action;	/* the vm agent's action; NULL: none */
	enum cd_mig_phase on_success, on_failure;
	signed char run_ok, run_fail;	/* M9 */
	unsigned flags;
};

/** The table's row for (type, phase), or NULL (no such phase for the type,
 *  e.g. save in a live migration). */
const struct cd_mig_step *cd_migphase_step(enum cd_mig_type type, enum cd_mig_phase phase);

/** M3: the phase after a step of phase ended (ok or not); CD_MIG_NONE
 *  when the type has no such phase. */
enum cd_mig_phase cd_migphase_next(enum cd_mig_type type, enum cd_mig_phase phase, bool ok);

/** M2: the agent action this node runs in phase, given which sides it is
 *  (a node is never both); NULL when it has nothing to run. */
const char *cd_migphase_action(enum cd_mig_type type, enum cd_mig_phase phase,
			       bool is_source, bool is_target);

/** M10: record the step's error? */
bool cd_migphase_error_matters(const struct cd_mig_step *s, bool ok);

/** M6 */
bool cd_migphase_cancellable(enum cd_mig_phase phase);
/** M7: paused: the send ran in paused mode. */
bool cd_migphase_undoable(enum cd_mig_type type, enum cd_mig_phase phase, bool paused);

/** M8's outcomes. */
enum cd_mig_loss {
	CD_MIG_LOSS_NONE = 0,	/* a, or d when the source takes it back already */
	CD_MIG_LOSS_WAIT,	/* d: a lost side not fenced yet */
	CD_MIG_LOSS_RECOVER,	/* b: end it; cold start on the target if up */
	CD_MIG_LOSS_TAKE_BACK,	/* c: abort-source, the source owns the role */
};

/** M8. *_fenced: that node is recorded fenced (ignored while it is up). */
enum cd_mig_loss cd_migphase_node_lost(enum cd_mig_phase phase, bool src_up,
				       bool src_fenced, bool dst_up, bool dst_fenced);

/** The phase's name in the state ("prepare", "abort-source", ...; "" for
 *  none, "done" for done). */
const char *cd_migphase_str(enum cd_mig_phase phase);
/** @return 0, or -EINVAL for a name that is no phase ("" is none) */
int cd_migphase_parse(const char *s, enum cd_mig_phase *out);
/** "live" or "quick". */
const char *cd_migtype_str(enum cd_mig_type type);
/** @return 0, or -EINVAL */
int cd_migtype_parse(const char *s, enum cd_mig_type *out);

#endif
