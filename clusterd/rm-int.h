/*
 * rm-int.h - what the resource manager's parts share; not for use outside
 * clusterd/rm*.c (rm.h has the manager's interface to main.c).
 *
 *   rm.c          start/stop, the reconcile pass, state/membership hooks,
 *                 start-up probes, self-fencing, registration on the cluster
 *                 LUNs, owner duties and agent op sequencing (start, stop,
 *                 monitors);
 *   rm-leader.c   leader duties: lost nodes, fencing, readmission, the
 *                 policy engine's input and actions, the recovery delay;
 *   rm-migrate.c  live and quick migration (both ends, and the leader's part);
 *   rm-storage.c  live storage moves (the VM's node, and the leader's part);
 *   rm-util.c     small helpers and reports into the replicated state.
 *
 * Everything runs on the daemon's one qb_loop; nothing here is thread-safe.
 */
#ifndef CLUSTERD_RM_INT_H
#define CLUSTERD_RM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <qb/qbloop.h>

#include "daemon.h"
#include "exec.h"
#include "fence.h"
#include "membership.h"
#include "policy.h"
#include "rm-model.h"
#include "rm.h"
#include "state-schema.h"

/* The hooks' targets (rm.c, rm-util.c; see cd_rm_hooks in rm.h). */
void cd_rm_state_changed(struct cd_daemon *d);
void cd_rm_membership_changed(struct cd_daemon *d);
json_object *cd_rm_status(struct cd_daemon *d);

/* rm-ipc.c: IPC commands for roles, resources, nodes, LUNs (rm.c's table). */
int cd_rm_ipc_role_add(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_list(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_show(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_move_cancel(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_pick(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_remove(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_start(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_stop(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_move(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_role_cleanup(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_rsc_add(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_rsc_list(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_rsc_show(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_rsc_remove(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_node_pause(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_node_fence(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_node_list(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_storage_add(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_storage_remove(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_storage_list(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);

struct cd_op_request;
struct cd_op_result;
/* Run an agent operation on this node's executor (rm.c). */
int cd_rm_exec_run(struct cd_daemon *d, const struct cd_op_request *req,
		   void (*done)(void *ctx, const struct cd_op_result *res), void *ctx);
/* Fence a node now (clusterctl node fence); answers the client later. */
int cd_rm_fence_now(struct cd_daemon *d, struct cd_ipc_client *client,
		    const char *node, json_object **out);

/** The start/stop sequence a local role is in. */
enum local_op {
	L_IDLE = 0,
	L_PROBING,
	L_STARTING,
	L_STOPPING,
};

/** What this node runs or is doing for one role. */
struct local_role {
	char name[RM_NAME_MAX];
	enum local_op op;
	int idx;		/* resource being started/stopped */
	uint32_t running;	/* bit i: resource i started here */
	uint32_t failed;	/* bit i: probe or monitor saw it failed */
	bool then_start;	/* restart: start after the stop */
	bool report_failed;	/* stop after a failed start: report failed */
	bool monitors;		/* recurring monitors active */
	bool inflight;		/* a report of ours is on its way */
	bool mig_busy;		/* a migration step runs here ... */
	char mig_phase[16];	/* ... for this phase */
	char fail_reason[256];
	/* a finished migration step whose report is not recorded yet
	 * (rm-migrate.c): the report is resent, never the step re-run */
	char mig_reported[16];	/* the phase whose step ended here ("" none) */
	json_object *mig_ops;	/* its report (owned) */
	uint64_t mig_since_ms;	/* first refusal, monotonic ms (0: none yet) */
	unsigned mig_tries;	/* refusals counted towards the rollback */
	uint64_t mig_sent_ms;	/* last (re)sent, monotonic ms */
	char mig_key[RM_NAME_MAX * 2 + 24];	/* which migration: from>to@started_at */
	/* a live storage move's step here (rm-storage.c) */
	bool smove_busy;		/* its agent runs ... */
	char smove_phase[16];		/* ... for this phase */
	json_object *smove_ops;		/* a report not recorded yet (owned) ... */
	json_object *smove_seen;	/* ... answering this record (owned) */
	uint64_t smove_sent_ms;		/* last (re)sent, monotonic ms */
	void *smove_ctx;		/* the running step's context (freed by
					 * its done, or by cd_rm_stop) */
};

/** A configured node this node sees lost, since when (monotonic ms). */
struct lost_node {
	uint32_t id;
	uint64_t at_ms;
	bool fencing;		/* a fence of it is running */
	uint32_t fence_failures;	/* failed fences in a row */
	uint64_t fence_retry_ms;	/* no new fence before (monotonic ms) */
};

struct mon_ctx;		/* a recurring monitor's context (rm.c) */

/** The resource manager of this daemon (d->rm), from cd_rm_start to cd_rm_stop. */
struct cd_rm {
	struct cd_daemon *d;
	struct mon_ctx *mon_ctxs;	/* stable contexts of recurring monitors */
	struct cd_exec *exec;
	struct cd_fence *fence;
	struct rm_model model;
	size_t n_local, cap_local;
	struct local_role *local;
	bool reconcile_queued;
	qb_loop_timer_handle reconcile_timer;
	bool probed;		/* start-up probes done */
	bool probing;
	int probes_pending;
	bool self_fenced;	/* stopped everything after losing quorum */
	/* Start-up: until this node first is quorate and ready, the previous
	 * clusterd's lease may still run (the guard enforces it); not being
	 * quorate yet is no reason to stop what the probes found before it
	 * has surely ended: started_ms + the lease. */
	uint64_t started_ms;
	bool ever_ready;
	bool restart_clearing;	/* rm-restart.c: deleting our restart grace */
	bool grace_armed;
	qb_loop_timer_handle grace_timer;
	uint32_t registered_inc;
	uint64_t registered_sig;	/* which LUN list the key is on */
	bool registering;
	bool fenced_here;	/* our key was found preempted */
	size_t n_lost;
	struct lost_node lost[CD_MAX_NODES];
	uint64_t majority_since_ms;	/* lease.h L5a: entered the current
					 * majority view (0: not in one) */
	char inflight_roles[64][RM_NAME_MAX];	/* leader changes on their way */
	size_t n_inflight;
	bool node_change_inflight;
	qb_loop_timer_handle delay_timer;
	bool delay_armed;
	uint64_t delay_due_ms;	/* when the armed delay timer fires */
	qb_loop_timer_handle mig_retry_timer;	/* rm-migrate.c: resend reports */
	bool mig_retry_armed;
	qb_loop_timer_handle smove_retry_timer;	/* rm-storage.c: resend reports */
	bool smove_retry_armed;
	/* internal changes refused for a reason other than a stale test or a
	 * passing condition (rm_refused): for the log and status */
	uint64_t n_refused;
	int64_t refused_at;		/* wall clock, s */
	uint64_t refused_logged_ms;	/* monotonic ms of the last log line */
	char refused_what[RM_NAME_MAX + 16];
	char refused_msg[320];
	/* rm_agent_env: the list it returns and the strings it points to */
	const char *agent_env[8];
	char agent_env_buf[8][1100];
};

/* ---- rm.c ---- */

/** Queue one reconcile pass on the loop (no-op if one is queued already). */
void rm_schedule_reconcile(struct cd_rm *rm);
/** Stop the recurring monitors of a local role (their contexts stay, see rm.c). */
void rm_monitors_stop(struct cd_rm *rm, struct local_role *l);

/* ---- rm-leader.c ---- */

/** Note when each configured node went down, and forget it when it is back. */
void rm_track_lost(struct cd_rm *rm);
/** The leader's pass: readmit nodes, resolve migrations, run the policy
 *  engine and turn its actions into guarded changes (or fences). */
void rm_leader_duties(struct cd_rm *rm);

/** The policy engine's input as the model and membership say now. */
struct rm_policy_in {
	struct cd_policy_input in;
	struct cd_pnode *nodes;
	struct cd_prole *roles;
	unsigned *failures;
};
/** Build it (allocates; leader: arms the recovery delay of silent nodes).
 *  @return 0 or -ENOMEM */
int rm_policy_input(struct cd_rm *rm, struct rm_policy_in *pi, bool leader);
void rm_policy_input_free(struct cd_rm *rm, struct rm_policy_in *pi);
/** May role move to node now? The policy engine's rule 7 (policy.h
 *  cd_policy_move_check), with its reason in why: 0, -ENOENT, -EALREADY,
 *  -EPERM, -ENOMEM. */
int rm_move_check(struct cd_rm *rm, const char *role, const char *node, char *why,
		  size_t len);
/** Would a migration of role to node start now, under the limits (lib/drain.h
 *  A1-A5)? "" when it would, else why it waits, into why. */
void rm_move_queue_why(struct cd_rm *rm, const char *role, const char *node,
		       const char *type, char *why, size_t len);
/** Where role would go if it left its owner (cd_policy_pick), into node.
 *  @return 0, -ENOENT (no role, or no node fits), -ENOMEM */
int rm_move_pick(struct cd_rm *rm, const char *role, char *node, size_t len);
/** Does role, not highly available, wait for its home (policy.h rule 9,
 *  cd_policy_waits)? (rm-util.c) @return 1 and the reason in why; 0; -ENOENT
 *  (no such role); -ENOMEM */
int rm_role_waits(struct cd_rm *rm, const char *role, char *why, size_t len);
/** The leader records a role that is not highly available and whose owner
 *  was fenced as stopped there (owner "", last_owner that node): it waits
 *  for the node, and starts there once it is readmitted (rule 9), never
 *  before its readmission through the stale "started". (rm-util.c) */
void rm_leader_park_not_ha(struct cd_rm *rm, const struct rm_policy_in *pi);

/* rm-restart.c: a planned stop's restart grace. */
/** Delete this node's restart grace once it is back and leased. */
void rm_restart_duties(struct cd_rm *rm);
/** The lease a node may hold: the lease in force, or its recorded restart
 *  grace when that is longer. */
uint32_t rm_node_lease_ms(struct cd_rm *rm, uint32_t nodeid);

/* ---- rm-migrate.c ---- */

/** Owner side of an active migration of r: run this node's step, if any. */
void rm_migration_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l);
/** Leader: start a migration for a MOVE of r to node "to".
 *  @return true if a migration was submitted (else do a cold move). */
bool rm_leader_migrate(struct cd_rm *rm, struct rm_role *r, const char *to);
/** Leader: resolve migrations whose source or target was lost and fenced. */
void rm_leader_resolve_migrations(struct cd_rm *rm);

/* ---- rm-storage.c: live storage moves (lib/smove.h) ---- */
int cd_rm_ipc_vm_move_storage(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
int cd_rm_ipc_vm_move_storage_cancel(struct cd_daemon *d, struct cd_ipc_client *client,
		json_object *args, json_object **out);
/** Is a storage move of role recorded? (S8: then it does not migrate) */
bool rm_storage_active(struct cd_rm *rm, const char *role);
/** The record's node: claim and run this node's step of a storage move of
 *  r, keep and resend its report. @return true while the role is busy with
 *  one here (the owner duties leave it alone this pass). */
bool rm_storage_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l);
/** Leader: end storage moves whose node was lost and fenced (S7). */
void rm_leader_resolve_storage(struct cd_rm *rm);
/** cd_rm_stop, after the executor is freed (no done comes any more):
 *  free the contexts of storage steps still running. */
void rm_storage_stop(struct cd_rm *rm);
/** Reconcile again in ms (one timer; cd_rm_stop deletes it). */
void rm_storage_retry_later(struct cd_rm *rm, uint32_t ms);
/** rm-ipc.c: submit ops (consumed) for an IPC client; it is answered when
 *  they are applied. @return CD_IPC_DEFERRED or a negative errno */
int rm_ipc_submit(struct cd_daemon *d, struct cd_ipc_client *client, json_object *ops,
		  json_object **out);

/* ---- rm-util.c ---- */

/** This node's name ("" when membership does not know it yet); not to be freed. */
const char *rm_local_name(struct cd_rm *rm);
/** The local record of role name; with create, added (zeroed) if missing.
 *  @return the record (owned by rm; moves when one is added), or NULL if
 *          missing and !create, or out of memory. */
struct local_role *rm_local_get(struct cd_rm *rm, const char *name, bool create);
/** Integer cluster property name (config.properties), dflt if unset. */
int64_t rm_prop_int(struct cd_rm *rm, const char *name, int64_t dflt);
/** cd_exec_set_env_source's fn (ctx: the rm): the properties with an
 *  agent_env (lib/props.h), current values or defaults, "K=V". */
const char *const *rm_agent_env(void *ctx);

/*
 * An agent operation's failure for the state and the log: "RSC ACTION
 * failed (rc N[, timed out]): <the agent's last line on stderr>", so that
 * clusterctl can say why (e.g. "bridge vmbr1 does not exist on this node").
 */
void rm_op_failure(char *buf, size_t len, const struct cd_op_result *res);
/** A move of role off owner starts: its drain record there, if queued, is
 *  moving now (lib/drain.h D5), in the same change ops. */
void rm_drain_note_start(struct cd_rm *rm, json_object *ops, const char *role,
			 const char *owner);
/** Append tests that the role's runtime is still (owner, state). */
void rm_ops_guard(json_object *ops, const char *role, const char *owner, const char *state);
/** Submit ops (always consumed) for role: a leader decision or an owner
 *  report, tracked until applied so that it is not sent twice.
 *  @return 0, or a negative errno (nothing submitted). */
int rm_submit_role_ops(struct cd_rm *rm, const char *role, json_object *ops, bool leader);
/** Whether a leader change for role (or "@fence", "@nodes") is on its way. */
bool rm_inflight_has(struct cd_rm *rm, const char *role);
/** How a refused internal change counts (rm_refused). */
enum rm_refusal {
	RM_REFUSAL_STALE = 0,	/* a "test" failed: the state moved on (normal) */
	RM_REFUSAL_TRANSIENT,	/* syncing, not quorate, corosync gone, stopping */
	RM_REFUSAL_ERROR,	/* anything else: an error in the log and status */
};
/** Classify a refused internal change about what (a role, "@fence", ...);
 *  an error is logged (at most every 10 s while it repeats) and counted for
 *  status. msg may be NULL or "". */
enum rm_refusal rm_refused(struct cd_rm *rm, const char *what, int err, const char *msg);
/** Owner report: the role l goes from expect_state to new_state (and to
 *  new_owner if not NULL), recording failure if not NULL; guarded by this
 *  node still being the owner in expect_state. */
void rm_report(struct cd_rm *rm, struct local_role *l, const char *expect_state,
	       const char *new_state, const char *new_owner, const char *failure);

#endif /* CLUSTERD_RM_INT_H */
