/*
 * drain.h - node drain and migration admission, pure code run by the
 * leader (clusterd/drain.c, clusterd/rm-leader.c). A snapshot in,
 * decisions out; no I/O, no state kept between runs, so every leader (a
 * new one after a leader change included) decides the same from the same
 * replicated state.
 *
 * A drain is a record in the replicated state per drained node (the node
 * is paused as well, so nothing new goes there): for each role it handled,
 * its step (queued, moving, done, failed), target, how it moves, tries and
 * the reason of a failure. cd_drain_plan() turns the record and the roles
 * into the next steps:
 *
 *  D1. A drain handles the roles its node owns, started, that no migration
 *      or requested move is already taking away (those are left to finish;
 *      a role that leaves the node without a record is not the drain's).
 *      Roles in a transition (starting, stopping, failed) are waited for.
 *  D2. Order: priority (higher first), then declared memory (smaller
 *      first, so VMs become safe early), then name.
 *  D3. Target: the policy engine's placement (policy.h rule 5 through
 *      cd_policy_pick: first valid preferred owner, else least loaded by
 *      declared memory and role count), on the cluster as it will be: the
 *      roles this and every other drain already sent away count on their
 *      targets, and no draining node is ever a target.
 *  D4. A role with a target is QUEUED: move_to = target, moved live when it
 *      is a VM (migratable), cold (stop, start there) otherwise - a role
 *      that is not a VM moves the only way it can. Admission (A1-A5 below)
 *      decides when its migration starts; a role with no target FAILS
 *      ("no node can take it"): it stays and is reported.
 *  D5. The migration's or cold move's start turns a queued record into
 *      moving in the same change (clusterd/rm-leader.c, rm-migrate.c).
 *  D6. A role of the record no longer owned by the drained node is DONE
 *      (to = its owner), once it runs somewhere (or was stopped by the
 *      administrator).
 *  D7. A moving role back on the drained node, started, with no migration
 *      and no move requested: its move failed. The next way its policy
 *      allows (live, then quick when the role's fallback allows it, then
 *      cold restart when it allows that too) is QUEUED; otherwise FAILED
 *      with the role's last error. A drain never turns a failed live
 *      migration into a stop-and-start unless the role's policy says so.
 *  D8. A queued role still on the node, started, with no move requested
 *      and no migration: the move was refused (rule 7: the target is no
 *      longer valid) or cancelled. It is queued again with a new target
 *      up to CD_DRAIN_TRIES times in all, then FAILED with its last error.
 *  D9. The drain is FINISHED (state done) when no role of its record is
 *      queued or moving and its node owns no role but failed ones. A
 *      finished drain stays recorded (the node stays paused) until
 *      'node resume'.
 * D10. A role that is not highly available (policy.h rule 9: its disks are
 *      local to its node) leaves only by live migration: its fallback is
 *      none whatever its configuration says (D7), and one that is no VM
 *      (not migratable) FAILS at once ("it moves only live").
 *
 * Admission of migrations (cd_mig_admit), for every move the leader would
 * start as a live or quick migration (drains, 'clusterctl move',
 * failback):
 *
 *  A1. Candidates are taken in order: priority (higher first), declared
 *      memory (smaller first), name.
 *  A2. A live migration starts only while its source has fewer than
 *      live_out live migrations going out, its target fewer than live_in
 *      coming in, and the cluster fewer than live_cluster, counting the
 *      running ones and those admitted before it in this pass.
 *  A3. A quick migration starts only while each of its two nodes takes
 *      part in fewer than quick_node quick migrations and the cluster runs
 *      fewer than quick_cluster.
 *  A4. A candidate that does not fit waits (its move stays requested, the
 *      reason says which limit); a later one that fits may start (a busy
 *      target does not hold up moves to other targets).
 *  A5. Cold moves (stop, then start) are not migrations and are not
 *      limited. A limit of 0 is invalid (-EINVAL).
 */
#ifndef CLUSTERD_DRAIN_H
#define CLUSTERD_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define CD_DRAIN_TRIES		3	/* D8: targets tried per role */
#define CD_DRAIN_REASON_MAX	160

/** How a role leaves a drained node (D4, D7). */
enum cd_drain_how {
	CD_DRAIN_LIVE = 0,
	CD_DRAIN_QUICK,
	CD_DRAIN_COLD,		/* stop, then start on the target */
};

/** What a role's policy allows after a failed live migration (D7). */
enum cd_drain_fallback {
	CD_FALLBACK_NONE = 0,	/* stays, reported */
	CD_FALLBACK_QUICK,	/* quick migration */
	CD_FALLBACK_RESTART,	/* quick, then a cold restart on the target */
};

/** A role's step in a drain record. */
enum cd_drain_step {
	CD_DSTEP_NONE = 0,	/* not in the record */
	CD_DSTEP_QUEUED,
	CD_DSTEP_MOVING,
	CD_DSTEP_DONE,
	CD_DSTEP_FAILED,
};

/** What the planner needs of a role beyond the policy view (same index). */
struct cd_drain_role {
	bool migratable;		/* one VM: live and quick migration */
	enum cd_drain_fallback fallback;
	bool mig_active;		/* a migration runs ... */
	char mig_from[CD_POLICY_NAME_MAX];	/* ... from this node */
	char mig_to[CD_POLICY_NAME_MAX];	/* ... to this one */
	const char *last_error;		/* for a failure's reason; may be NULL */
	/* its record: in the drain of node rec_node (index into the policy
	 * input's nodes; -1 and CD_DSTEP_NONE when no drain holds it) */
	int rec_node;
	enum cd_drain_step step;
	enum cd_drain_how how;		/* the way queued or tried last */
	unsigned tries;			/* targets tried so far (D8) */
	char to[CD_POLICY_NAME_MAX];	/* recorded target */
};

/** A drained node (index into the policy input's nodes). */
struct cd_drain_node {
	int node;
	bool finished;			/* the record says done already */
};

struct cd_drain_input {
	const struct cd_policy_input *pol;	/* nodes, roles (owner, state, move_to) */
	const struct cd_drain_role *roles;	/* pol->n_roles entries */
	const struct cd_drain_node *drains;
	size_t n_drains;
};

enum cd_drain_act_type {
	CD_DRAIN_QUEUE = 1,	/* role: move_to = to, by how; record queued */
	CD_DRAIN_DONE,		/* role: record done, to = node */
	CD_DRAIN_FAIL,		/* role: record failed, reason */
	CD_DRAIN_FINISH,	/* drain: record done */
};

struct cd_drain_act {
	enum cd_drain_act_type type;
	int drain;		/* index into the node array of the input (pol->nodes) */
	int role;		/* index into pol->roles; -1 for FINISH */
	int to;			/* QUEUE, DONE: node index; -1 if none */
	enum cd_drain_how how;	/* QUEUE */
	unsigned tries;		/* QUEUE: tries including this one */
	char reason[CD_DRAIN_REASON_MAX];
};

/**
 * Plan the next steps of every drain. Pure and deterministic.
 * @param out  room for max actions; n_roles + n_drains is always enough
 * @param n    out: actions written
 * @return 0; -E2BIG (max too small; the first max are valid); -EINVAL
 *         (inconsistent input); -ENOMEM
 */
int cd_drain_plan(const struct cd_drain_input *in, struct cd_drain_act *out, size_t max,
		  size_t *n);

/** D2 / A1 order of two roles: <0 when a goes first. */
int cd_drain_order(const struct cd_prole *a, const struct cd_prole *b);

/* ---- admission (A1-A5) ---- */

enum cd_mig_kind {
	CD_MIGK_LIVE = 0,
	CD_MIGK_QUICK,
};

struct cd_mig_limits {
	unsigned live_out, live_in, live_cluster;	/* >= 1 each */
	unsigned quick_node, quick_cluster;		/* >= 1 each */
};

/** A migration running (or already submitted). Nodes are indices < n_nodes. */
struct cd_mig_running {
	enum cd_mig_kind kind;
	int from, to;
};

/** A migration the leader would start. */
struct cd_mig_cand {
	enum cd_mig_kind kind;
	int from, to;
	const struct cd_prole *role;	/* for A1's order */
	/* out */
	bool admit;
	char why[CD_DRAIN_REASON_MAX];	/* when it waits: which limit */
};

/**
 * Decide which candidates start now (A1-A5); sets c[i].admit and c[i].why.
 * @param names  node names (n_nodes entries) for the reasons; may be NULL
 * @return 0; -EINVAL (a limit of 0, a node index out of range)
 */
int cd_mig_admit(const struct cd_mig_limits *lim, size_t n_nodes, const char *const *names,
		 const struct cd_mig_running *run, size_t n_run, struct cd_mig_cand *c,
		 size_t n_c);

const char *cd_drain_how_str(enum cd_drain_how h);	/* live, quick, cold */
int cd_drain_how_parse(const char *s, enum cd_drain_how *out);
const char *cd_drain_step_str(enum cd_drain_step s);	/* queued, moving, ... */
enum cd_drain_step cd_drain_step_parse(const char *s);	/* NONE if unknown */
const char *cd_drain_fallback_str(enum cd_drain_fallback f);	/* none, quick, restart */
int cd_drain_fallback_parse(const char *s, enum cd_drain_fallback *out);

#endif
