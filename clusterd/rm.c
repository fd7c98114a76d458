/*
 * rm.c - the resource manager: runs roles on their owners, and on the
 * leader turns the policy engine's decisions into replicated changes.
 *
 * Every node:
 *   - executes what the replicated state assigns to it: a role whose owner
 *     is this node and whose state is "starting" is started (resources in
 *     order), "stopping" is stopped (reverse order); results go back into
 *     the state as changes guarded by "test" operations, so a stale report
 *     never overrides a newer decision;
 *   - runs recurring monitors of its started roles and reports failures;
 *   - stops anything it runs that the state does not assign to it;
 *   - probes every resource at start-up, so a restarted clusterd learns what
 *     already runs here and restarts nothing;
 *   - self-fences: when its partition loses quorum (or corosync), it stops
 *     every local role at once and waits for the cluster to readmit it.
 * The leader additionally:
 *   - runs lib/policy.c after every state or membership change;
 *   - fences a lost node (PREEMPT of its keys on every cluster LUN, see
 *     fence.c) and records the fence in the state before any of its roles
 *     move, then waits recovery-delay-ms from the loss so that a node cut
 *     off (which lost quorum at the same instant) has stopped its roles;
 *   - readmits returning nodes with a new incarnation (a new PR key).
 */
#include "daemon.h"
#include "exec.h"
#include "fence.h"
#include "rm-model.h"
#include "log.h"
#include "error.h"
#include "policy.h"
#include "pr.h"
#include "props.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>

#define RECOVERY_DELAY_MS_DEFAULT	100
#define FENCE_TIMEOUT_MS		5000
#define MAX_FENCE_RECORDS		50

enum local_op {
	L_IDLE = 0,
	L_PROBING,
	L_STARTING,
	L_STOPPING,
};

/* What this node runs or is doing for one role. */
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
};

struct lost_node {
	uint32_t id;
	uint64_t at_ms;
	bool fencing;
};

struct mon_ctx {
	struct mon_ctx *next;
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	int idx;
};

struct cd_rm {
	struct cd_daemon *d;
	struct mon_ctx *mon_ctxs;	/* stable contexts of recurring monitors */
	struct cd_exec *exec;
	struct cd_fence *fence;
	struct rm_model model;
	size_t n_local, cap_local;
	struct local_role *local;
	bool reconcile_queued;
	bool probed;		/* start-up probes done */
	bool probing;
	int probes_pending;
	bool self_fenced;	/* stopped everything after losing quorum */
	uint32_t registered_inc;
	uint64_t registered_sig;	/* which LUN list the key is on */
	bool registering;
	bool fenced_here;	/* our key was found preempted */
	size_t n_lost;
	struct lost_node lost[CD_MAX_NODES];
	char inflight_roles[64][RM_NAME_MAX];	/* leader changes on their way */
	size_t n_inflight;
	bool node_change_inflight;
	qb_loop_timer_handle delay_timer;
	bool delay_armed;
};

static void schedule_reconcile(struct cd_rm *rm);

/* ---- small helpers ---- */

static const char *
local_name(struct cd_rm *rm)
{
	const struct cd_node *n = cd_membership_node(&rm->d->mship, rm->d->mship.local_id);

	return n ? n->name : "";
}

static struct local_role *
local_get(struct cd_rm *rm, const char *name, bool create)
{
	size_t i;

	for (i = 0; i < rm->n_local; i++) {
		if (!strcmp(rm->local[i].name, name))
			return &rm->local[i];
	}
	if (!create)
		return NULL;
	if (rm->n_local == rm->cap_local) {
		size_t ncap = rm->cap_local ? rm->cap_local * 2 : 16;
		struct local_role *nl = realloc(rm->local, ncap * sizeof(*nl));

		if (!nl)
			return NULL;
		rm->local = nl;
		rm->cap_local = ncap;
	}
	memset(&rm->local[rm->n_local], 0, sizeof(rm->local[0]));
	snprintf(rm->local[rm->n_local].name, RM_NAME_MAX, "%s", name);
	return &rm->local[rm->n_local++];
}

static int64_t
prop_int(struct cd_rm *rm, const char *name, int64_t dflt)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *props = cd_state_get(st, "config.properties"), *v;

	if (props && json_object_object_get_ex(props, name, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

static json_object *
op_new(const char *op, const char *path, json_object *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "path", json_object_new_string(path));
	if (value || strcmp(op, "delete"))
		json_object_object_add(o, "value", value);
	return o;
}

/* Append {"op", "path": "<prefix>.<name>[.<field>]", "value"} to ops. */
static void
ops_add(json_object *ops, const char *op, const char *prefix, const char *name,
	const char *field, json_object *value)
{
	char path[256];

	if (field)
		snprintf(path, sizeof(path), "%s.%s.%s", prefix, name, field);
	else
		snprintf(path, sizeof(path), "%s.%s", prefix, name);
	json_object_array_add(ops, op_new(op, path, value));
}

/* ---- reporting results into the state ---- */

struct report_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	bool leader;		/* a leader decision (else an owner report) */
};

static bool inflight_has(struct cd_rm *rm, const char *role);
static void inflight_del(struct cd_rm *rm, const char *role);

static void
report_done(void *ctx, int err, const char *msg)
{
	struct report_ctx *rc = ctx;
	struct cd_rm *rm = rc->rm;

	if (rc->leader) {
		inflight_del(rm, rc->role);
	} else {
		struct local_role *l = local_get(rm, rc->role, false);

		if (l)
			l->inflight = false;
	}
	if (err)
		cd_debug("rm: role %s: change not applied: %s", rc->role,
			 msg && *msg ? msg : cd_strerror(err));
	free(rc);
	schedule_reconcile(rm);
}

/* Submit ops for a role; owner reports and leader decisions are tracked so
 * that the same thing is not sent twice while on its way. */
static int
submit_role_ops(struct cd_rm *rm, const char *role, json_object *ops, bool leader)
{
	struct report_ctx *rc = calloc(1, sizeof(*rc));
	int err;

	if (!rc) {
		json_object_put(ops);
		return -ENOMEM;
	}
	rc->rm = rm;
	rc->leader = leader;
	snprintf(rc->role, sizeof(rc->role), "%s", role);
	err = cd_replica_submit(rm->d, ops, report_done, rc);
	json_object_put(ops);
	if (err < 0) {
		free(rc);
		return err;
	}
	if (leader) {
		if (rm->n_inflight < 64)
			snprintf(rm->inflight_roles[rm->n_inflight++], RM_NAME_MAX, "%s", role);
	} else {
		struct local_role *l = local_get(rm, role, false);

		if (l)
			l->inflight = true;
	}
	return 0;
}

static bool
inflight_has(struct cd_rm *rm, const char *role)
{
	size_t i;

	for (i = 0; i < rm->n_inflight; i++) {
		if (!strcmp(rm->inflight_roles[i], role))
			return true;
	}
	return false;
}

static void
inflight_del(struct cd_rm *rm, const char *role)
{
	size_t i;

	for (i = 0; i < rm->n_inflight; i++) {
		if (!strcmp(rm->inflight_roles[i], role)) {
			memmove(&rm->inflight_roles[i], &rm->inflight_roles[i + 1],
				(rm->n_inflight - i - 1) * RM_NAME_MAX);
			rm->n_inflight--;
			return;
		}
	}
}

/* Guard: the role's runtime is still what we saw (owner, state). */
static void
ops_guard(json_object *ops, const char *role, const char *owner, const char *state)
{
	ops_add(ops, "test", "runtime.roles", role, "owner",
		json_object_new_string(owner));
	ops_add(ops, "test", "runtime.roles", role, "state",
		json_object_new_string(state));
}

static void
report(struct cd_rm *rm, struct local_role *l, const char *expect_state,
       const char *new_state, const char *new_owner, const char *failure)
{
	json_object *ops = json_object_new_array();
	const char *me = local_name(rm);

	ops_guard(ops, l->name, me, expect_state);
	ops_add(ops, "set", "runtime.roles", l->name, "state",
		json_object_new_string(new_state));
	if (new_owner)
		ops_add(ops, "set", "runtime.roles", l->name, "owner",
			json_object_new_string(new_owner));
	if (failure) {
		const struct cd_state *st = cd_replica_state(rm->d);
		char path[200];
		json_object *old, *arr = json_object_new_array(), *rec;
		size_t i, n;

		snprintf(path, sizeof(path), "runtime.roles.%s.failures", l->name);
		old = cd_state_get(st, path);
		n = old && json_object_is_type(old, json_type_array) ?
		    json_object_array_length(old) : 0;
		/* Keep the last 20 failures: the threshold window needs no more. */
		for (i = n > 19 ? n - 19 : 0; i < n; i++)
			json_object_array_add(arr, json_object_get(json_object_array_get_idx(old, i)));
		rec = json_object_new_object();
		json_object_object_add(rec, "node", json_object_new_string(me));
		json_object_object_add(rec, "at", json_object_new_int64((int64_t)time(NULL)));
		json_object_object_add(rec, "reason", json_object_new_string(failure));
		json_object_array_add(arr, rec);
		ops_add(ops, "set", "runtime.roles", l->name, "failures", arr);
	}
	cd_info("rm: role %s: reporting %s -> %s%s%s", l->name, expect_state, new_state,
		failure ? ": " : "", failure ? failure : "");
	submit_role_ops(rm, l->name, ops, false);
}

/* ---- running agents for a role ---- */

static void role_step(struct cd_rm *rm, struct local_role *l);

struct op_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	int idx;
};

static const struct rm_rsc *
rsc_of(struct cd_rm *rm, const char *role, int idx)
{
	struct rm_role *r = rm_model_role(&rm->model, role);

	if (!r || idx < 0 || (size_t)idx >= r->n_rsc)
		return NULL;
	return &r->rsc[idx];
}

static void
op_done(void *ctx, const struct cd_op_result *res)
{
	struct op_ctx *oc = ctx;
	struct cd_rm *rm = oc->rm;
	struct local_role *l = local_get(rm, oc->role, false);

	if (!l || l->idx != oc->idx) {
		free(oc);
		return;
	}
	if (l->op == L_STARTING) {
		if (res->rc == CD_OCF_SUCCESS) {
			l->running |= 1u << oc->idx;
			l->idx++;
		} else {
			snprintf(l->fail_reason, sizeof(l->fail_reason), "%s start failed (rc %d%s)",
				 res->rsc_id, res->rc, res->timed_out ? ", timed out" : "");
			cd_warn("rm: role %s: %s; stopping what started", l->name, l->fail_reason);
			l->op = L_STOPPING;
			l->report_failed = true;
			l->then_start = false;
			l->idx = oc->idx;	/* stop from the failed one down */
		}
	} else if (l->op == L_STOPPING) {
		if (res->rc == CD_OCF_SUCCESS || res->rc == CD_OCF_NOT_RUNNING) {
			l->running &= ~(1u << oc->idx);
			l->failed &= ~(1u << oc->idx);
		} else {
			snprintf(l->fail_reason, sizeof(l->fail_reason), "%s stop failed (rc %d%s)",
				 res->rsc_id, res->rc, res->timed_out ? ", timed out" : "");
			cd_err("rm: role %s: %s", l->name, l->fail_reason);
			l->report_failed = true;
		}
		l->idx--;
	}
	free(oc);
	role_step(rm, l);
}

static int
run_op(struct cd_rm *rm, struct local_role *l, int idx, const char *action,
       uint32_t timeout_ms)
{
	const struct rm_rsc *r = rsc_of(rm, l->name, idx);
	struct cd_op_request req = { 0 };
	struct op_ctx *oc;
	int err;

	if (!r)
		return -ENOENT;
	oc = calloc(1, sizeof(*oc));
	if (!oc)
		return -ENOMEM;
	oc->rm = rm;
	oc->idx = idx;
	snprintf(oc->role, sizeof(oc->role), "%s", l->name);
	req.rsc_id = r->id;
	req.agent = r->agent;
	req.action = action;
	req.params = r->params;
	req.timeout_ms = timeout_ms;
	err = cd_exec_run(rm->exec, &req, op_done, oc);
	if (err < 0)
		free(oc);
	return err;
}

static void monitors_stop(struct cd_rm *rm, struct local_role *l);

/* Advance a start or stop sequence by one resource. */
static void
role_step(struct cd_rm *rm, struct local_role *l)
{
	struct rm_role *r = rm_model_role(&rm->model, l->name);
	int n = r ? (int)r->n_rsc : 0;
	int err;

	if (l->op == L_STARTING) {
		if (l->idx >= n) {
			l->op = L_IDLE;
			cd_notice("rm: role %s started here", l->name);
			schedule_reconcile(rm);
			return;
		}
		err = run_op(rm, l, l->idx, "start", r->rsc[l->idx].start_timeout_ms);
		if (err < 0) {
			snprintf(l->fail_reason, sizeof(l->fail_reason), "%s: cannot run agent %s: %s",
				 r->rsc[l->idx].id, r->rsc[l->idx].agent, strerror(-err));
			l->op = L_STOPPING;
			l->report_failed = true;
			role_step(rm, l);
		}
		return;
	}
	if (l->op == L_STOPPING) {
		if (l->idx >= n)
			l->idx = n - 1;
		if (l->idx < 0 || !r) {
			l->op = L_IDLE;
			if (l->then_start && !l->report_failed) {
				l->then_start = false;
				l->op = L_STARTING;
				l->idx = 0;
				role_step(rm, l);
				return;
			}
			cd_notice("rm: role %s stopped here", l->name);
			schedule_reconcile(rm);
			return;
		}
		err = run_op(rm, l, l->idx, "stop", r->rsc[l->idx].stop_timeout_ms);
		if (err < 0) {
			cd_err("rm: role %s: cannot stop %s: %s", l->name, r->rsc[l->idx].id,
			       strerror(-err));
			l->idx--;
			role_step(rm, l);
		}
	}
}

static void
begin_start(struct cd_rm *rm, struct local_role *l, bool restart)
{
	monitors_stop(rm, l);
	l->report_failed = false;
	l->fail_reason[0] = '\0';
	if (restart || l->failed) {
		l->op = L_STOPPING;
		l->then_start = true;
		l->idx = RM_MAX_RSC;
	} else {
		l->op = L_STARTING;
		l->idx = 0;
	}
	cd_info("rm: role %s: %s here", l->name, restart ? "restarting" : "starting");
	role_step(rm, l);
}

static void
begin_stop(struct cd_rm *rm, struct local_role *l, const char *why)
{
	struct rm_role *r = rm_model_role(&rm->model, l->name);
	size_t i;

	monitors_stop(rm, l);
	/* A start in progress is abandoned: kill it, then stop everything. */
	if (l->op == L_STARTING && r) {
		for (i = 0; i < r->n_rsc; i++)
			cd_exec_cancel(rm->exec, r->rsc[i].id);
	}
	l->op = L_STOPPING;
	l->then_start = false;
	l->idx = RM_MAX_RSC;
	cd_info("rm: role %s: stopping here (%s)", l->name, why);
	role_step(rm, l);
}

/* ---- monitors ---- */

static void
monitor_done(void *ctx, const struct cd_op_result *res)
{
	struct mon_ctx *oc = ctx;
	struct cd_rm *rm = oc->rm;
	struct local_role *l = local_get(rm, oc->role, false);

	if (!l || !l->monitors || res->rc == CD_OCF_SUCCESS)
		return;
	cd_warn("rm: role %s: monitor of %s failed (rc %d%s)", l->name, res->rsc_id,
		res->rc, res->timed_out ? ", timed out" : "");
	l->failed |= 1u << oc->idx;
	snprintf(l->fail_reason, sizeof(l->fail_reason), "%s monitor failed (rc %d)",
		 res->rsc_id, res->rc);
	schedule_reconcile(rm);
}

static void
monitors_start(struct cd_rm *rm, struct local_role *l)
{
	struct rm_role *r = rm_model_role(&rm->model, l->name);
	size_t i;

	if (l->monitors || !r)
		return;
	l->monitors = true;
	for (i = 0; i < r->n_rsc; i++) {
		struct cd_op_request req = { 0 };
		struct mon_ctx *oc;

		if (!r->rsc[i].monitor_interval_ms)
			continue;
		/*
		 * Monitor callbacks may come after monitor_stop (a running
		 * one finishes), so contexts live as long as the manager.
		 */
		for (oc = rm->mon_ctxs; oc; oc = oc->next) {
			if (oc->idx == (int)i && !strcmp(oc->role, l->name))
				break;
		}
		if (!oc) {
			oc = calloc(1, sizeof(*oc));
			if (!oc)
				continue;
			oc->rm = rm;
			oc->idx = (int)i;
			snprintf(oc->role, sizeof(oc->role), "%s", l->name);
			oc->next = rm->mon_ctxs;
			rm->mon_ctxs = oc;
		}
		req.rsc_id = r->rsc[i].id;
		req.agent = r->rsc[i].agent;
		req.action = "monitor";
		req.params = r->rsc[i].params;
		req.timeout_ms = r->rsc[i].monitor_timeout_ms;
		req.interval_ms = r->rsc[i].monitor_interval_ms;
		cd_exec_monitor_start(rm->exec, &req, monitor_done, oc);
	}
}

static void
monitors_stop(struct cd_rm *rm, struct local_role *l)
{
	struct rm_role *r = rm_model_role(&rm->model, l->name);
	size_t i;

	if (!l->monitors)
		return;
	l->monitors = false;
	for (i = 0; r && i < r->n_rsc; i++)
		cd_exec_monitor_stop(rm->exec, r->rsc[i].id);
}

/* ---- start-up probes ---- */

static void
probe_done(void *ctx, const struct cd_op_result *res)
{
	struct op_ctx *oc = ctx;
	struct cd_rm *rm = oc->rm;
	struct local_role *l = local_get(rm, oc->role, true);

	if (l) {
		if (res->rc == CD_OCF_SUCCESS) {
			l->running |= 1u << oc->idx;
		} else if (res->rc != CD_OCF_NOT_RUNNING) {
			/* Unknown or failed: treat as running-but-failed, so it is stopped. */
			l->running |= 1u << oc->idx;
			l->failed |= 1u << oc->idx;
		}
		cd_info("rm: probe of %s (role %s): %s", res->rsc_id, oc->role,
			res->rc == CD_OCF_SUCCESS ? "running" :
			res->rc == CD_OCF_NOT_RUNNING ? "not running" : "failed");
	}
	free(oc);
	if (--rm->probes_pending == 0) {
		rm->probing = false;
		rm->probed = true;
		cd_notice("rm: start-up probes done");
		schedule_reconcile(rm);
	}
}

static void
start_probes(struct cd_rm *rm)
{
	size_t i, j;

	rm->probing = true;
	rm->probes_pending = 1;	/* held until all are queued */
	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];

		for (j = 0; j < r->n_rsc; j++) {
			struct cd_op_request req = { 0 };
			struct op_ctx *oc = calloc(1, sizeof(*oc));

			if (!oc)
				continue;
			oc->rm = rm;
			oc->idx = (int)j;
			snprintf(oc->role, sizeof(oc->role), "%s", r->p.name);
			req.rsc_id = r->rsc[j].id;
			req.agent = r->rsc[j].agent;
			req.action = "monitor";
			req.params = r->rsc[j].params;
			req.timeout_ms = r->rsc[j].monitor_timeout_ms;
			rm->probes_pending++;
			if (cd_exec_run(rm->exec, &req, probe_done, oc) < 0) {
				/* Agent missing here: it cannot be running here. */
				rm->probes_pending--;
				free(oc);
			}
		}
	}
	cd_info("rm: probing %d resource(s)", rm->probes_pending - 1);
	if (--rm->probes_pending == 0) {
		rm->probing = false;
		rm->probed = true;
	}
}

/* ---- self-fencing ---- */

static void
self_fence(struct cd_rm *rm, const char *why)
{
	size_t i;
	int n = 0;

	for (i = 0; i < rm->n_local; i++) {
		struct local_role *l = &rm->local[i];

		if (l->running || l->op == L_STARTING) {
			if (l->op != L_STOPPING)
				begin_stop(rm, l, why);
			n++;
		}
	}
	if (!rm->self_fenced && n)
		cd_warn("rm: %s: stopping %d local role(s); waiting for the cluster", why, n);
	else if (!rm->self_fenced)
		cd_info("rm: %s: nothing runs here; waiting for the cluster", why);
	rm->self_fenced = true;
}

/* ---- migrations (rm-migrate part) ---- */

static void migration_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l);

/* ---- owner duties ---- */

static void
owner_duties(struct cd_rm *rm)
{
	const char *me = local_name(rm);
	size_t i;

	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];
		struct local_role *l = local_get(rm, r->p.name, true);
		bool mine = r->p.owner[0] && !strcmp(r->p.owner, me);
		const char *st = rm_role_state_str(r->p.state);

		if (!l)
			continue;
		if (r->mig.active) {
			migration_duties(rm, r, l);
			continue;
		}
		if (l->op != L_IDLE || l->mig_busy)
			continue;	/* busy: look again when it is done */
		if (!mine) {
			if (l->running)
				begin_stop(rm, l, "not assigned to this node");
			continue;
		}
		switch (r->p.state) {
		case CD_ROLE_STARTING:
			if (l->inflight)
				break;
			if (l->running == (r->n_rsc ? (1u << r->n_rsc) - 1 : 0) &&
			    !l->failed && !l->fail_reason[0]) {
				report(rm, l, st, "started", NULL, NULL);
				monitors_start(rm, l);
			} else if (l->report_failed) {
				l->report_failed = false;
				report(rm, l, st, "failed", NULL, l->fail_reason);
			} else {
				begin_start(rm, l, l->running != 0);
			}
			break;
		case CD_ROLE_STARTED:
			if (l->inflight)
				break;
			if (l->failed || l->report_failed) {
				monitors_stop(rm, l);
				l->report_failed = false;
				report(rm, l, st, "failed", NULL,
				       l->fail_reason[0] ? l->fail_reason : "failed on its owner");
			} else if (l->running != (r->n_rsc ? (1u << r->n_rsc) - 1 : 0)) {
				/*
				 * Not all of it runs here, and nothing failed: resources
				 * added to the running role, or a probe after a restart
				 * that found them gone: start what is missing.
				 */
				monitors_stop(rm, l);
				l->op = L_STARTING;
				l->idx = 0;
				role_step(rm, l);
			} else {
				monitors_start(rm, l);
			}
			break;
		case CD_ROLE_STOPPING:
			if (l->running && l->report_failed) {
				/* The stop failed: say so; the leader decides again. */
				if (!l->inflight) {
					l->report_failed = false;
					report(rm, l, st, "failed", NULL, l->fail_reason);
				}
			} else if (l->running) {
				begin_stop(rm, l, "asked by the cluster");
			} else if (!l->inflight) {
				report(rm, l, st, "stopped", "", NULL);
				l->fail_reason[0] = '\0';
				l->report_failed = false;
			}
			break;
		case CD_ROLE_FAILED:
			monitors_stop(rm, l);
			break;
		case CD_ROLE_STOPPED:
			if (l->running)
				begin_stop(rm, l, "role is stopped");
			break;
		}
	}
}

/* ---- leader duties ---- */

static struct lost_node *
lost_get(struct cd_rm *rm, uint32_t id)
{
	size_t i;

	for (i = 0; i < rm->n_lost; i++) {
		if (rm->lost[i].id == id)
			return &rm->lost[i];
	}
	return NULL;
}

/* Track when each configured node was lost (as seen by this node). */
static void
track_lost(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i;

	for (i = 0; i < rm->model.n_nodes; i++) {
		const struct cd_node *n = cd_membership_node(m, rm->model.nodes[i].id);
		bool down = !n || cd_membership_node_state(n) == CD_NODE_DOWN;
		struct lost_node *ln = lost_get(rm, rm->model.nodes[i].id);

		if (down && !ln && rm->n_lost < CD_MAX_NODES) {
			ln = &rm->lost[rm->n_lost++];
			memset(ln, 0, sizeof(*ln));
			ln->id = rm->model.nodes[i].id;
			ln->at_ms = cd_now_mono_ms();
		} else if (!down && ln) {
			*ln = rm->lost[--rm->n_lost];
		}
	}
}

struct fence_ctx {
	struct cd_rm *rm;
	char node[RM_NAME_MAX];
	uint32_t id;
	uint32_t incarnation;
};

static void
record_fence(struct cd_rm *rm, const char *node, uint32_t incarnation, size_t n_luns)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *ops = json_object_new_array(), *old, *arr, *rec;
	size_t i, n;

	ops_add(ops, "test", "runtime.nodes", node, "fenced",
		json_object_new_boolean(0));
	ops_add(ops, "set", "runtime.nodes", node, "fenced", json_object_new_boolean(1));
	old = cd_state_get(st, "runtime.fences");
	arr = json_object_new_array();
	n = old && json_object_is_type(old, json_type_array) ? json_object_array_length(old) : 0;
	for (i = n >= MAX_FENCE_RECORDS ? n - MAX_FENCE_RECORDS + 1 : 0; i < n; i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(old, i)));
	rec = json_object_new_object();
	json_object_object_add(rec, "node", json_object_new_string(node));
	json_object_object_add(rec, "incarnation", json_object_new_int64(incarnation));
	json_object_object_add(rec, "at", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(rec, "by", json_object_new_string(local_name(rm)));
	json_object_object_add(rec, "luns", json_object_new_int64((int64_t)n_luns));
	json_object_array_add(arr, rec);
	json_object_array_add(ops, op_new("set", "runtime.fences", arr));
	submit_role_ops(rm, "@fence", ops, true);
}

static void
fence_done(void *ctx, int err, const char *detail)
{
	struct fence_ctx *fc = ctx;
	struct cd_rm *rm = fc->rm;
	struct lost_node *ln = lost_get(rm, fc->id);

	if (ln)
		ln->fencing = false;
	if (err) {
		cd_err("fence: node %s NOT fenced: %s; its roles stay where they are "
		       "until fencing succeeds (retrying)", fc->node, detail);
	} else {
		cd_notice("fence: node %s fenced on %zu LUN(s)", fc->node,
			  cd_fence_n_luns(rm->fence));
		record_fence(rm, fc->node, fc->incarnation, cd_fence_n_luns(rm->fence));
	}
	free(fc);
	schedule_reconcile(rm);
}

static void
do_fence(struct cd_rm *rm, const struct rm_node_rt *victim)
{
	struct lost_node *ln = lost_get(rm, victim->id);
	struct rm_node_rt *me = rm_model_node_id(&rm->model, rm->d->mship.local_id);
	struct fence_ctx *fc;

	if ((ln && ln->fencing) || inflight_has(rm, "@fence"))
		return;
	if (cd_fence_n_luns(rm->fence) == 0) {
		cd_warn("fence: node %s lost; no cluster LUNs to fence it on: "
			"relying on its self-fencing", victim->name);
		record_fence(rm, victim->name, victim->incarnation, 0);
		return;
	}
	if (!me || rm->registered_inc == 0 || rm->registered_inc != me->incarnation) {
		cd_warn("fence: cannot fence %s yet: this node is not registered on "
			"the cluster LUNs", victim->name);
		return;
	}
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		return;
	fc->rm = rm;
	fc->id = victim->id;
	fc->incarnation = victim->incarnation;
	snprintf(fc->node, sizeof(fc->node), "%s", victim->name);
	if (ln)
		ln->fencing = true;
	cd_notice("fence: fencing node %s (id %" PRIu32 ")", victim->name, victim->id);
	if (cd_fence_node(rm->fence, cd_pr_key(rm->d->mship.local_id, me->incarnation),
			  victim->id, fence_done, fc) < 0) {
		if (ln)
			ln->fencing = false;
		free(fc);
	}
}

/* Admit nodes that are up but new or fenced: a new incarnation (PR key). */
static void
readmit(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	json_object *ops = NULL;
	size_t i;

	if (rm->node_change_inflight || inflight_has(rm, "@nodes"))
		return;
	for (i = 0; i < rm->model.n_nodes; i++) {
		struct rm_node_rt *n = &rm->model.nodes[i];
		const struct cd_node *mn = cd_membership_node(m, n->id);

		if (!mn || cd_membership_node_state(mn) != CD_NODE_UP)
			continue;
		if (n->known && !n->fenced && n->incarnation)
			continue;
		if (!ops)
			ops = json_object_new_array();
		cd_notice("rm: admitting node %s with incarnation %" PRIu32, n->name,
			  n->incarnation + 1);
		ops_add(ops, "set", "runtime.nodes", n->name, "incarnation",
			json_object_new_int64(n->incarnation + 1));
		ops_add(ops, "set", "runtime.nodes", n->name, "fenced",
			json_object_new_boolean(0));
		if (!n->known)
			ops_add(ops, "set", "runtime.nodes", n->name, "paused",
				json_object_new_boolean(0));
	}
	if (ops)
		submit_role_ops(rm, "@nodes", ops, true);
}

static unsigned
count_failures(json_object *failures, const char *node, uint32_t period_s)
{
	time_t now = time(NULL);
	unsigned n = 0;
	size_t i;

	if (!failures || !json_object_is_type(failures, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(failures); i++) {
		json_object *f = json_object_array_get_idx(failures, i), *v;

		if (!json_object_object_get_ex(f, "node", &v) ||
		    strcmp(json_object_get_string(v), node))
			continue;
		if (json_object_object_get_ex(f, "at", &v) &&
		    (time_t)json_object_get_int64(v) + (time_t)period_s >= now)
			n++;
	}
	return n;
}

static void
arm_delay_timer(struct cd_rm *rm, uint64_t ms);
static bool leader_migrate(struct cd_rm *rm, struct rm_role *r, const char *to);
static void leader_resolve_migrations(struct cd_rm *rm);

/* Translate one action into a guarded change. */
static void
apply_action(struct cd_rm *rm, const struct cd_action *a, const struct cd_pnode *nodes)
{
	struct rm_role *r = a->role >= 0 ? &rm->model.roles[a->role] : NULL;
	const char *node = a->node >= 0 ? nodes[a->node].name : "";
	const char *st = r ? rm_role_state_str(r->p.state) : "";
	json_object *ops;

	if (a->type == CD_ACT_FENCE) {
		struct rm_node_rt *victim = rm_model_node(&rm->model, node);

		if (victim)
			do_fence(rm, victim);
		return;
	}
	if (!r || inflight_has(rm, r->p.name))
		return;
	ops = json_object_new_array();
	switch (a->type) {
	case CD_ACT_START: {
		/* Roles of a lost node wait until it has surely self-fenced. */
		struct rm_node_rt *prev = r->p.owner[0] ? rm_model_node(&rm->model, r->p.owner) : NULL;
		struct lost_node *ln = prev ? lost_get(rm, prev->id) : NULL;
		uint64_t delay = (uint64_t)prop_int(rm, "recovery-delay-ms", RECOVERY_DELAY_MS_DEFAULT);

		if (ln && cd_now_mono_ms() < ln->at_ms + delay) {
			arm_delay_timer(rm, ln->at_ms + delay - cd_now_mono_ms());
			json_object_put(ops);
			return;
		}
		ops_guard(ops, r->p.name, r->p.owner, st);
		ops_add(ops, "set", "runtime.roles", r->p.name, "owner",
			json_object_new_string(node));
		ops_add(ops, "set", "runtime.roles", r->p.name, "state",
			json_object_new_string("starting"));
		ops_add(ops, "set", "runtime.roles", r->p.name, "move_to",
			json_object_new_string(""));
		break;
	}
	case CD_ACT_STOP:
		ops_guard(ops, r->p.name, r->p.owner, st);
		ops_add(ops, "set", "runtime.roles", r->p.name, "state",
			json_object_new_string("stopping"));
		break;
	case CD_ACT_RESTART:
		ops_guard(ops, r->p.name, r->p.owner, st);
		ops_add(ops, "set", "runtime.roles", r->p.name, "state",
			json_object_new_string("starting"));
		break;
	case CD_ACT_MOVE:
		if (leader_migrate(rm, r, node)) {
			json_object_put(ops);
			return;
		}
		ops_guard(ops, r->p.name, r->p.owner, st);
		if (r->p.owner[0]) {
			ops_add(ops, "set", "runtime.roles", r->p.name, "state",
				json_object_new_string("stopping"));
			ops_add(ops, "set", "runtime.roles", r->p.name, "move_to",
				json_object_new_string(node));
		} else {
			ops_add(ops, "set", "runtime.roles", r->p.name, "owner",
				json_object_new_string(node));
			ops_add(ops, "set", "runtime.roles", r->p.name, "state",
				json_object_new_string("starting"));
			ops_add(ops, "set", "runtime.roles", r->p.name, "move_to",
				json_object_new_string(""));
		}
		break;
	case CD_ACT_REFUSE_MOVE:
		cd_warn("rm: role %s: move refused: %s", r->p.name, a->reason);
		ops_add(ops, "set", "runtime.roles", r->p.name, "move_to",
			json_object_new_string(""));
		ops_add(ops, "set", "runtime.roles", r->p.name, "last_error",
			json_object_new_string(a->reason));
		break;
	default:
		json_object_put(ops);
		return;
	}
	cd_info("rm: leader: %s role %s%s%s (%s)", cd_action_str(a->type), r->p.name,
		node[0] ? " on " : "", node, a->reason);
	submit_role_ops(rm, r->p.name, ops, true);
}

static void
leader_duties(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	struct cd_pnode *nodes;
	unsigned *failures;
	struct cd_action *acts;
	struct cd_policy_input in = { 0 };
	size_t i, j, n_acts = 0, max;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	readmit(rm);
	leader_resolve_migrations(rm);
	nodes = calloc(rm->model.n_nodes ? rm->model.n_nodes : 1, sizeof(*nodes));
	failures = calloc((rm->model.n_nodes ? rm->model.n_nodes : 1) *
			  (rm->model.n_roles ? rm->model.n_roles : 1), sizeof(*failures));
	max = rm->model.n_roles + rm->model.n_nodes + 1;
	acts = calloc(max, sizeof(*acts));
	if (!nodes || !failures || !acts)
		goto out;

	for (i = 0; i < rm->model.n_nodes; i++) {
		struct rm_node_rt *n = &rm->model.nodes[i];
		const struct cd_node *mn = cd_membership_node(m, n->id);
		enum cd_node_state ns = mn ? cd_membership_node_state(mn) : CD_NODE_DOWN;

		snprintf(nodes[i].name, sizeof(nodes[i].name), "%s", n->name);
		nodes[i].id = n->id;
		nodes[i].paused = n->paused;
		if (ns == CD_NODE_UP) {
			nodes[i].state = CD_PNODE_UP;
			/* Up but not readmitted yet: no roles until it has a key. */
			if (!n->known || n->fenced || !n->incarnation)
				nodes[i].paused = true;
		} else if (ns == CD_NODE_JOINING && !n->fenced) {
			/* corosync member whose clusterd is down: its roles stay,
			 * unmonitored; nothing new goes there. */
			nodes[i].state = CD_PNODE_UP;
			nodes[i].paused = true;
		} else {
			nodes[i].state = n->fenced ? CD_PNODE_DOWN_FENCED : CD_PNODE_DOWN_UNFENCED;
		}
	}
	for (j = 0; j < rm->model.n_roles; j++) {
		struct rm_role *r = &rm->model.roles[j];
		char path[200];
		json_object *f;

		snprintf(path, sizeof(path), "runtime.roles.%s.failures", r->p.name);
		f = cd_state_get(cd_replica_state(rm->d), path);
		for (i = 0; i < rm->model.n_nodes; i++)
			failures[j * rm->model.n_nodes + i] =
				count_failures(f, rm->model.nodes[i].name, r->failover_period_s);
		r->p.failures = &failures[j * rm->model.n_nodes];
		if (!r->p.failover_threshold)
			r->p.failover_threshold = rm->model.n_nodes > 1 ?
						  (unsigned)rm->model.n_nodes - 1 : 1;
	}
	localtime_r(&now, &tm);
	in.nodes = nodes;
	in.n_nodes = rm->model.n_nodes;
	in.hour = (unsigned)tm.tm_hour;
	/* Policy input: the role array's cd_prole views. */
	{
		struct cd_prole *pr = calloc(rm->model.n_roles ? rm->model.n_roles : 1, sizeof(*pr));

		if (!pr)
			goto out;
		for (j = 0; j < rm->model.n_roles; j++)
			pr[j] = rm->model.roles[j].p;
		in.roles = pr;
		in.n_roles = rm->model.n_roles;
		rc = cd_policy_run(&in, acts, max, &n_acts);
		free(pr);
	}
	if (rc < 0) {
		cd_err("rm: policy engine: %s", strerror(-rc));
		goto out;
	}
	for (i = 0; i < n_acts; i++)
		apply_action(rm, &acts[i], nodes);
out:
	for (j = 0; j < rm->model.n_roles; j++)
		rm->model.roles[j].p.failures = NULL;
	free(acts);
	free(failures);
	free(nodes);
}

static void
delay_timer_fn(void *data)
{
	struct cd_rm *rm = data;

	rm->delay_armed = false;
	schedule_reconcile(rm);
}

static void
arm_delay_timer(struct cd_rm *rm, uint64_t ms)
{
	if (rm->delay_armed)
		return;
	rm->delay_armed = true;
	qb_loop_timer_add(rm->d->loop, QB_LOOP_HIGH, (ms + 1) * QB_TIME_NS_IN_MSEC,
			  rm, delay_timer_fn, &rm->delay_timer);
}

/* ---- our own registration on the cluster LUNs ---- */

struct reg_ctx {
	struct cd_rm *rm;
	uint32_t inc;
	uint64_t sig;
};

/* FNV-1a over the LUN URLs: re-register when the list changes. */
static uint64_t
luns_sig(const struct rm_model *m)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;
	const char *p;

	for (i = 0; i < m->n_luns; i++) {
		for (p = m->luns[i].url; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static void
register_done(void *ctx, int err, const char *detail)
{
	struct reg_ctx *rc = ctx;
	struct cd_rm *rm = rc->rm;

	rm->registering = false;
	if (err) {
		cd_err("fence: cannot register this node on the cluster LUNs: %s", detail);
	} else {
		rm->registered_inc = rc->inc;
		rm->registered_sig = rc->sig;
		cd_notice("fence: registered key %016" PRIx64 " on %zu LUN(s)",
			  cd_pr_key(rm->d->mship.local_id, rc->inc), cd_fence_n_luns(rm->fence));
	}
	free(rc);
	schedule_reconcile(rm);
}

static void
registration(struct cd_rm *rm)
{
	struct rm_node_rt *me = rm_model_node_id(&rm->model, rm->d->mship.local_id);
	struct reg_ctx *rc;

	if (!me || !me->known || me->fenced || !me->incarnation)
		return;		/* the cluster has not (re)admitted us yet */
	if (rm->registering || (rm->registered_inc == me->incarnation &&
				rm->registered_sig == luns_sig(&rm->model)))
		return;
	if (rm->model.n_luns == 0) {
		rm->registered_inc = me->incarnation;
		rm->registered_sig = luns_sig(&rm->model);
		return;
	}
	rc = calloc(1, sizeof(*rc));
	if (!rc)
		return;
	rc->rm = rm;
	rc->inc = me->incarnation;
	rc->sig = luns_sig(&rm->model);
	rm->registering = true;
	if (cd_fence_register(rm->fence, cd_pr_key(rm->d->mship.local_id, me->incarnation),
			      register_done, rc) < 0) {
		rm->registering = false;
		free(rc);
	}
}

/* ---- the reconcile pass ---- */

static void
update_luns(struct cd_rm *rm)
{
	const char *urls[RM_MAX_LUNS];
	size_t i;

	for (i = 0; i < rm->model.n_luns; i++)
		urls[i] = rm->model.luns[i].url;
	cd_fence_set_luns(rm->fence, urls, rm->model.n_luns);
}

static void
reconcile(void *data)
{
	struct cd_rm *rm = data;
	const struct cd_membership *m = &rm->d->mship;
	uint32_t leader = cd_membership_leader(m);
	struct rm_node_rt *me;

	rm->reconcile_queued = false;
	if (rm_model_load(&rm->model, cd_replica_state(rm->d)) < 0)
		cd_err("rm: too many roles; some are not managed");
	update_luns(rm);
	track_lost(rm);

	if (!m->connected || !m->quorum.quorate) {
		self_fence(rm, m->connected ? "quorum lost" : "corosync lost");
		return;
	}
	if (!cd_replica_ready(rm->d))
		return;		/* sync round: decide on the settled state */
	if (!rm->probed) {
		if (!rm->probing)
			start_probes(rm);
		if (!rm->probed)
			return;
	}
	me = rm_model_node_id(&rm->model, m->local_id);
	if (rm->self_fenced) {
		/*
		 * Back in a quorate partition. If the cluster fenced us meanwhile
		 * we wait for readmission (a new incarnation); roles it still
		 * assigns to us start again through the normal path.
		 */
		rm->self_fenced = false;
		cd_notice("rm: quorum regained");
	}
	if (me && me->fenced)
		rm->registered_inc = 0;
	registration(rm);
	owner_duties(rm);
	if (leader == m->local_id)
		leader_duties(rm);
}

static void
schedule_reconcile(struct cd_rm *rm)
{
	if (rm->reconcile_queued)
		return;
	rm->reconcile_queued = true;
	qb_loop_job_add(rm->d->loop, QB_LOOP_MED, rm, reconcile);
}

void
cd_rm_state_changed(struct cd_daemon *d)
{
	if (d->rm)
		schedule_reconcile(d->rm);
}

void
cd_rm_membership_changed(struct cd_daemon *d)
{
	struct cd_rm *rm = d->rm;

	if (!rm)
		return;
	/* Losing quorum is acted on at once, not after the queue. */
	if (!d->mship.connected || !d->mship.quorum.quorate) {
		self_fence(rm, d->mship.connected ? "quorum lost" : "corosync lost");
		return;
	}
	schedule_reconcile(rm);
}

int
cd_rm_start(struct cd_daemon *d)
{
	struct cd_rm *rm = calloc(1, sizeof(*rm));
	char initiator[224], host[128] = "node";
	const char *root = getenv("OCF_ROOT");

	if (!rm)
		return -ENOMEM;
	rm->d = d;
	/* HA_RSCTMP of Debian's resource-agents (Dummy keeps state there). */
	if (mkdir("/run/resource-agents", 0755) < 0 && errno != EEXIST)
		cd_warn("rm: cannot create /run/resource-agents: %s", strerror(errno));
	rm->exec = cd_exec_new(d->loop, root);
	if (!rm->exec) {
		free(rm);
		return -errno;
	}
	/* The initiator name is this node's identity on the target. */
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "node");
	snprintf(initiator, sizeof(initiator), "iqn.2026-11.org.clusterd:%s", host);
	rm->fence = cd_fence_new(d->loop, initiator, FENCE_TIMEOUT_MS);
	if (!rm->fence) {
		cd_exec_free(rm->exec);
		free(rm);
		return -errno;
	}
	d->rm = rm;
	return 0;
}

void
cd_rm_stop(struct cd_daemon *d)
{
	struct cd_rm *rm = d->rm;
	struct mon_ctx *mc;

	if (!rm)
		return;
	/*
	 * Resources keep running across a clusterd restart (VMs must survive
	 * it); the next clusterd probes and adopts them.
	 */
	if (rm->delay_armed)
		qb_loop_timer_del(d->loop, rm->delay_timer);
	/* A queued reconcile would outlive us (and leak in qb_loop_destroy). */
	if (rm->reconcile_queued)
		qb_loop_job_del(d->loop, QB_LOOP_MED, rm, reconcile);
	cd_fence_free(rm->fence);
	cd_exec_free(rm->exec);
	while ((mc = rm->mon_ctxs)) {
		rm->mon_ctxs = mc->next;
		free(mc);
	}
	rm_model_free(&rm->model);
	free(rm->local);
	free(rm);
	d->rm = NULL;
}

/* ---- services for rm-ipc.c ---- */

int
cd_rm_exec_run(struct cd_daemon *d, const struct cd_op_request *req,
	       cd_op_done_fn done, void *ctx)
{
	if (!d->rm)
		return -ENOTCONN;
	return cd_exec_run(d->rm->exec, req, done, ctx);
}

struct manual_fence {
	struct cd_rm *rm;
	struct cd_ipc_deferred *def;
	char node[RM_NAME_MAX];
	uint32_t incarnation;
};

static void
manual_fence_done(void *ctx, int err, const char *detail)
{
	struct manual_fence *mf = ctx;
	json_object *out = NULL;

	if (err) {
		char text[320];

		snprintf(text, sizeof(text), "fencing %s failed: %s", mf->node, detail);
		cd_ipc_complete(mf->def, NULL, err, text);
	} else {
		record_fence(mf->rm, mf->node, mf->incarnation, cd_fence_n_luns(mf->rm->fence));
		out = json_object_new_object();
		json_object_object_add(out, "fenced", json_object_new_string(mf->node));
		json_object_object_add(out, "luns",
				       json_object_new_int64((int64_t)cd_fence_n_luns(mf->rm->fence)));
		cd_ipc_complete(mf->def, out, 0, NULL);
		json_object_put(out);
	}
	free(mf);
}

int
cd_rm_fence_now(struct cd_daemon *d, struct cd_ipc_client *client, const char *node,
		json_object **out)
{
	struct cd_rm *rm = d->rm;
	struct rm_node_rt *victim, *me;
	struct manual_fence *mf;

	rm_model_load(&rm->model, cd_replica_state(d));
	victim = rm_model_node(&rm->model, node);
	me = rm_model_node_id(&rm->model, d->mship.local_id);
	if (!victim)
		return -ENOENT;
	if (!d->mship.quorum.quorate)
		return -CD_E_NOT_QUORATE;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	mf->rm = rm;
	mf->incarnation = victim->incarnation;
	snprintf(mf->node, sizeof(mf->node), "%s", node);
	mf->def = cd_ipc_defer(client);
	if (!mf->def) {
		free(mf);
		return -ENOMEM;
	}
	cd_notice("fence: fencing node %s by hand", node);
	if (cd_fence_n_luns(rm->fence) == 0) {
		manual_fence_done(mf, 0, "");
	} else if (!me || !rm->registered_inc) {
		manual_fence_done(mf, -EPERM, "this node is not registered on the cluster LUNs");
	} else if (cd_fence_node(rm->fence, cd_pr_key(d->mship.local_id, me->incarnation),
				 victim->id, manual_fence_done, mf) < 0) {
		manual_fence_done(mf, -ENOMEM, "out of memory");
	}
	return CD_IPC_DEFERRED;
}

/* ---- live and quick migration ----
 *
 * runtime.roles.R.migration.phase drives both ends; each step is run by one
 * side and reported as a guarded change that names the next phase:
 *   live:  prepare (target) -> send (source) -> finish (target)
 *          -> cleanup (source drops its paused copy) -> done
 *   quick: prepare (target, pre-start) -> save (source) -> restore (target)
 *          -> cleanup (source) -> done
 * Any failure: abort (target drops what it prepared) -> abort-source (the
 * source resumes: migrate_abort, or restore from the state file after a
 * save) -> done, the role still started on the source. Exactly one copy
 * runs at every step.
 */

#define MIGRATE_TIMEOUT_MS 300000

struct mig_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	char phase[16];
	uint64_t last_progress_ms;
};

#define PROGRESS_EVERY_MS 500

/*
 * migrate_to's progress lines ("progress percent=.. mbps=.. remaining=..")
 * go into the state at most every PROGRESS_EVERY_MS, for clusterctl move's
 * progress bar on whichever node it runs.
 */
static void
mig_progress(void *ctx, const char *line)
{
	struct mig_ctx *mc = ctx;
	json_object *ops;
	char path[200];
	uint64_t now = cd_now_mono_ms();

	if (strncmp(line, "progress ", 9) || now < mc->last_progress_ms + PROGRESS_EVERY_MS)
		return;
	mc->last_progress_ms = now;
	ops = json_object_new_array();
	snprintf(path, sizeof(path), "runtime.roles.%s.migration.phase", mc->role);
	json_object_array_add(ops, op_new("test", path, json_object_new_string(mc->phase)));
	snprintf(path, sizeof(path), "runtime.roles.%s.migration.progress", mc->role);
	json_object_array_add(ops, op_new("set", path, json_object_new_string(line + 9)));
	cd_replica_submit(mc->rm->d, ops, NULL, NULL);
	json_object_put(ops);
}

static void mig_report(struct cd_rm *rm, struct rm_role *r, struct local_role *l,
		       const char *next, const char *error, const char *uri,
		       const char *result);

/* The value of "key=" in agent output, up to the end of its line. */
static void
out_value(const char *out, const char *key, char *buf, size_t len)
{
	const char *p = out;
	size_t k = strlen(key);

	buf[0] = '\0';
	while (p && *p) {
		if (!strncmp(p, key, k)) {
			size_t n = strcspn(p + k, "\n");

			snprintf(buf, len, "%.*s", (int)n, p + k);
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
}

static void
mig_done(void *ctx, const struct cd_op_result *res)
{
	struct mig_ctx *mc = ctx;
	struct cd_rm *rm = mc->rm;
	struct local_role *l = local_get(rm, mc->role, false);
	struct rm_role *r = rm_model_role(&rm->model, mc->role);
	char uri[256], result[512], err[300];
	bool ok = res->rc == CD_OCF_SUCCESS;

	if (!l || !r || !r->mig.active || strcmp(r->mig.phase, mc->phase)) {
		if (l)
			l->mig_busy = false;
		free(mc);
		schedule_reconcile(rm);
		return;
	}
	l->mig_busy = false;
	snprintf(err, sizeof(err), "%s %s failed (rc %d%s)", res->rsc_id, res->action,
		 res->rc, res->timed_out ? ", timed out" : "");
	out_value(res->output, "uri=", uri, sizeof(uri));
	out_value(res->output, "result ", result, sizeof(result));
	cd_info("rm: role %s: migration %s step %s %s", r->p.name, r->mig.type, mc->phase,
		ok ? "done" : "FAILED");

	if (!strcmp(mc->phase, "prepare")) {
		if (ok)
			l->running = 1;	/* a prepared QEMU is ours to clean up */
		if (ok && !strcmp(r->mig.type, "live") && !uri[0])
			mig_report(rm, r, l, "abort", "migrate_prepare printed no uri", NULL, NULL);
		else
			mig_report(rm, r, l, ok ? (!strcmp(r->mig.type, "live") ? "send" : "save") :
				   "abort", ok ? NULL : err, uri, NULL);
	} else if (!strcmp(mc->phase, "send")) {
		mig_report(rm, r, l, ok ? "finish" : "abort", ok ? NULL : err, NULL, result);
	} else if (!strcmp(mc->phase, "save")) {
		if (ok)
			l->running = 0;
		mig_report(rm, r, l, ok ? "restore" : "abort", ok ? NULL : err, NULL, result);
	} else if (!strcmp(mc->phase, "finish")) {
		if (ok)
			l->running = 1;
		mig_report(rm, r, l, ok ? "cleanup" : "abort", ok ? NULL : err, NULL, NULL);
	} else if (!strcmp(mc->phase, "restore")) {
		char path[200], paused[32] = "", resumed[32] = "", bytes[32] = "", combined[256];
		json_object *saved;

		if (ok)
			l->running = 1;
		/* The guest's pause: from the source's save to the target's resume
		 * (CLOCK_MONOTONIC, the same on every lab node / host). */
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.result", r->p.name);
		saved = cd_state_get(cd_replica_state(rm->d), path);
		if (saved && json_object_is_type(saved, json_type_string)) {
			const char *sv = json_object_get_string(saved), *p;

			if ((p = strstr(sv, "paused_at_ms=")))
				snprintf(paused, sizeof(paused), "%.*s", (int)strcspn(p + 13, " "), p + 13);
			if ((p = strstr(sv, "transferred=")))
				snprintf(bytes, sizeof(bytes), "%.*s", (int)strcspn(p + 12, " "), p + 12);
		}
		{
			const char *p = strstr(result, "resumed_at_ms=");

			if (p)
				snprintf(resumed, sizeof(resumed), "%.*s", (int)strcspn(p + 14, " "), p + 14);
		}
		if (paused[0] && resumed[0])
			snprintf(combined, sizeof(combined), "type=quick downtime_ms=%lld transferred=%s",
				 atoll(resumed) - atoll(paused), bytes[0] ? bytes : "0");
		else
			snprintf(combined, sizeof(combined), "type=quick %s", result);
		mig_report(rm, r, l, ok ? "cleanup" : "abort-source", ok ? NULL : err, NULL,
			   ok ? combined : NULL);
	} else if (!strcmp(mc->phase, "cleanup")) {
		l->running = 0;
		mig_report(rm, r, l, "done", NULL, NULL, NULL);
	} else if (!strcmp(mc->phase, "abort")) {
		l->running = 0;
		mig_report(rm, r, l, "abort-source", NULL, NULL, NULL);
	} else if (!strcmp(mc->phase, "abort-source")) {
		l->running = ok ? 1 : 0;
		mig_report(rm, r, l, "done", ok ? NULL : err, NULL, NULL);
	}
	free(mc);
	schedule_reconcile(rm);
}

/*
 * This node's IPv4 address inside the cluster property migration-network
 * (A.B.C.D/N), or "" when the property is unset or no interface matches.
 */
static void
migration_address(struct cd_rm *rm, char *out, size_t len)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *v = cd_state_get(st, "config.properties.migration-network");
	struct ifaddrs *ifs, *i;
	struct in_addr net;
	char buf[32], *slash;
	long prefix;
	uint32_t mask;

	out[0] = '\0';
	if (!v || !json_object_is_type(v, json_type_string))
		return;
	snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	slash = strchr(buf, '/');
	if (!slash)
		return;
	*slash = '\0';
	prefix = strtol(slash + 1, NULL, 10);
	if (inet_pton(AF_INET, buf, &net) != 1 || prefix < 1 || prefix > 32 ||
	    getifaddrs(&ifs) < 0)
		return;
	mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	for (i = ifs; i; i = i->ifa_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)i->ifa_addr;

		if (!sin || sin->sin_family != AF_INET)
			continue;
		if ((ntohl(sin->sin_addr.s_addr) & mask) == (ntohl(net.s_addr) & mask)) {
			inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)len);
			break;
		}
	}
	freeifaddrs(ifs);
	if (!out[0])
		cd_warn("rm: no address of this node in migration-network %s; "
			"using the default", json_object_get_string(v));
}

static void
mig_run(struct cd_rm *rm, struct rm_role *r, struct local_role *l, const char *action)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	struct cd_op_request req = { 0 };
	struct mig_ctx *mc;
	char path[200], env_uri[300], env_bw[64], env_dt[64], env_addr[80], addr[48];
	const char *env[7];
	json_object *uri;
	size_t ne = 0;

	mc = calloc(1, sizeof(*mc));
	if (!mc)
		return;
	mc->rm = rm;
	snprintf(mc->role, sizeof(mc->role), "%s", r->p.name);
	snprintf(mc->phase, sizeof(mc->phase), "%s", r->mig.phase);
	snprintf(path, sizeof(path), "runtime.roles.%s.migration.uri", r->p.name);
	uri = cd_state_get(st, path);
	if (uri && json_object_is_type(uri, json_type_string)) {
		snprintf(env_uri, sizeof(env_uri), "OCF_RESKEY_CRM_meta_migrate_uri=%s",
			 json_object_get_string(uri));
		env[ne++] = env_uri;
	}
	if (!strcmp(r->mig.type, "quick"))
		env[ne++] = "OCF_RESKEY_CRM_meta_migrate_mode=quick";
	/* The target listens on the migration network when there is one. */
	if (!strcmp(action, "migrate_prepare") &&
	    !json_object_object_get_ex(r->rsc[0].params, "migration_address", NULL)) {
		migration_address(rm, addr, sizeof(addr));
		if (addr[0]) {
			snprintf(env_addr, sizeof(env_addr), "OCF_RESKEY_migration_address=%s", addr);
			env[ne++] = env_addr;
		}
	}
	/* Cluster migration settings, unless the resource sets its own. */
	snprintf(env_bw, sizeof(env_bw), "OCF_RESKEY_migration_bandwidth=%lld",
		 (long long)prop_int(rm, "migration-bandwidth-mbps", 0));
	snprintf(env_dt, sizeof(env_dt), "OCF_RESKEY_migration_downtime=%lld",
		 (long long)prop_int(rm, "migration-downtime-ms", 300));
	if (!json_object_object_get_ex(r->rsc[0].params, "migration_bandwidth", NULL))
		env[ne++] = env_bw;
	if (!json_object_object_get_ex(r->rsc[0].params, "migration_downtime", NULL))
		env[ne++] = env_dt;
	env[ne] = NULL;
	req.rsc_id = r->rsc[0].id;
	req.agent = r->rsc[0].agent;
	req.action = action;
	req.params = r->rsc[0].params;
	req.extra_env = env;
	req.timeout_ms = MIGRATE_TIMEOUT_MS;
	if (!strcmp(action, "migrate_to"))
		req.on_line = mig_progress;
	monitors_stop(rm, l);
	l->mig_busy = true;
	snprintf(l->mig_phase, sizeof(l->mig_phase), "%s", r->mig.phase);
	cd_info("rm: role %s: migration %s: %s here", r->p.name, r->mig.phase, action);
	if (cd_exec_run(rm->exec, &req, mig_done, mc) < 0) {
		struct cd_op_result res = { .rsc_id = r->rsc[0].id, .action = action,
					    .rc = CD_OCF_ERR_INSTALLED, .output = "" };

		mig_done(mc, &res);
	}
}

static void
migration_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l)
{
	const char *me = local_name(rm), *ph = r->mig.phase;
	bool src = !strcmp(r->mig.from, me), dst = !strcmp(r->mig.to, me);
	bool live = !strcmp(r->mig.type, "live");

	if (l->mig_busy && strcmp(l->mig_phase, ph)) {
		/*
		 * The migration moved on without us (the other side was lost and
		 * the leader decided): stop our step; abort-source cleans up.
		 */
		cd_warn("rm: role %s: migration is now %s: cancelling our %s step",
			r->p.name, ph, l->mig_phase);
		l->mig_phase[0] = '\0';
		cd_exec_cancel(rm->exec, r->rsc[0].id);
		return;
	}
	if (l->mig_busy || l->inflight || l->op != L_IDLE)
		return;
	if (dst && !strcmp(ph, "prepare"))
		mig_run(rm, r, l, "migrate_prepare");
	else if (src && !strcmp(ph, "send") && live)
		mig_run(rm, r, l, "migrate_to");
	else if (src && !strcmp(ph, "save"))
		mig_run(rm, r, l, "save");
	else if (dst && !strcmp(ph, "finish"))
		mig_run(rm, r, l, "migrate_from");
	else if (dst && !strcmp(ph, "restore"))
		mig_run(rm, r, l, "restore");
	else if (src && !strcmp(ph, "cleanup"))
		mig_run(rm, r, l, "stop");
	else if (dst && !strcmp(ph, "abort"))
		mig_run(rm, r, l, "migrate_abort");
	else if (src && !strcmp(ph, "abort-source"))
		mig_run(rm, r, l, live ? "migrate_abort" : "restore");
}

/* Report a finished step: move to the next phase (or end the migration). */
static void
mig_report(struct cd_rm *rm, struct rm_role *r, struct local_role *l,
	   const char *next, const char *error, const char *uri, const char *result)
{
	json_object *ops = json_object_new_array();
	const char *name = r->p.name;
	char path[200];

	snprintf(path, sizeof(path), "runtime.roles.%s.migration.phase", name);
	json_object_array_add(ops, op_new("test", path, json_object_new_string(r->mig.phase)));
	if (uri && uri[0]) {
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.uri", name);
		json_object_array_add(ops, op_new("set", path, json_object_new_string(uri)));
	}
	if (result && result[0]) {
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.result", name);
		json_object_array_add(ops, op_new("set", path, json_object_new_string(result)));
		ops_add(ops, "set", "runtime.roles", name, "last_migration",
			json_object_new_string(result));
	}
	if (error) {
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.error", name);
		json_object_array_add(ops, op_new("set", path, json_object_new_string(error)));
		ops_add(ops, "set", "runtime.roles", name, "last_error",
			json_object_new_string(error));
	}
	if (!strcmp(next, "cleanup") && strcmp(r->mig.phase, "abort")) {
		/* The guest runs on the target now: it is the owner. */
		ops_add(ops, "set", "runtime.roles", name, "owner",
			json_object_new_string(r->mig.to));
	}
	if (!strcmp(next, "done")) {
		snprintf(path, sizeof(path), "runtime.roles.%s.migration", name);
		json_object_array_add(ops, op_new("delete", path, NULL));
		ops_add(ops, "set", "runtime.roles", name, "state",
			json_object_new_string(l->running || strcmp(r->mig.phase, "abort-source") ?
					       "started" : "failed"));
	} else {
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.phase", name);
		json_object_array_add(ops, op_new("set", path, json_object_new_string(next)));
	}
	cd_info("rm: role %s: migration %s -> %s%s%s", name, r->mig.phase, next,
		error ? ": " : "", error ? error : "");
	submit_role_ops(rm, name, ops, false);
}

/*
 * Leader: start a migration for a MOVE of a migratable role, and resolve
 * migrations whose source or target was lost (only once that node is
 * fenced: it may still run the guest).
 */
static bool
leader_migrate(struct cd_rm *rm, struct rm_role *r, const char *to)
{
	json_object *ops, *mig;

	if (!r->migratable || (strcmp(r->move_type, "live") && strcmp(r->move_type, "quick")) ||
	    r->p.state != CD_ROLE_STARTED || !r->p.owner[0] || r->mig.active)
		return false;
	ops = json_object_new_array();
	ops_guard(ops, r->p.name, r->p.owner, "started");
	mig = json_object_new_object();
	json_object_object_add(mig, "type", json_object_new_string(r->move_type));
	json_object_object_add(mig, "from", json_object_new_string(r->p.owner));
	json_object_object_add(mig, "to", json_object_new_string(to));
	json_object_object_add(mig, "phase", json_object_new_string("prepare"));
	json_object_object_add(mig, "started_at", json_object_new_int64((int64_t)time(NULL)));
	ops_add(ops, "set", "runtime.roles", r->p.name, "migration", mig);
	ops_add(ops, "set", "runtime.roles", r->p.name, "state", json_object_new_string("migrating"));
	ops_add(ops, "set", "runtime.roles", r->p.name, "move_to", json_object_new_string(""));
	ops_add(ops, "set", "runtime.roles", r->p.name, "move_type", json_object_new_string(""));
	cd_info("rm: leader: %s migration of role %s from %s to %s", r->move_type, r->p.name,
		r->p.owner, to);
	submit_role_ops(rm, r->p.name, ops, true);
	return true;
}

static void
leader_resolve_migrations(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i;

	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];
		struct rm_node_rt *src, *dst;
		const struct cd_node *ms, *md;
		bool src_up, dst_up;
		json_object *ops;
		char path[200];

		if (!r->mig.active || inflight_has(rm, r->p.name))
			continue;
		src = rm_model_node(&rm->model, r->mig.from);
		dst = rm_model_node(&rm->model, r->mig.to);
		ms = src ? cd_membership_node(m, src->id) : NULL;
		md = dst ? cd_membership_node(m, dst->id) : NULL;
		src_up = ms && cd_membership_node_state(ms) == CD_NODE_UP;
		dst_up = md && cd_membership_node_state(md) == CD_NODE_UP;
		if (src_up && dst_up)
			continue;
		ops = json_object_new_array();
		snprintf(path, sizeof(path), "runtime.roles.%s.migration.phase", r->p.name);
		json_object_array_add(ops, op_new("test", path, json_object_new_string(r->mig.phase)));
		if (!src_up && src && src->fenced) {
			/* The source is gone and fenced: recover on the target (cold). */
			snprintf(path, sizeof(path), "runtime.roles.%s.migration", r->p.name);
			json_object_array_add(ops, op_new("delete", path, NULL));
			ops_add(ops, "set", "runtime.roles", r->p.name, "owner",
				json_object_new_string(dst_up ? r->mig.to : ""));
			ops_add(ops, "set", "runtime.roles", r->p.name, "state",
				json_object_new_string(dst_up ? "starting" : "stopped"));
		} else if (src_up && !dst_up && dst && dst->fenced &&
			   strcmp(r->mig.phase, "abort-source")) {
			/* The target is gone and fenced: the source takes the guest back. */
			json_object_array_add(ops, op_new("set", path, json_object_new_string("abort-source")));
			ops_add(ops, "set", "runtime.roles", r->p.name, "owner",
				json_object_new_string(r->mig.from));
		} else {
			json_object_put(ops);
			continue;	/* wait until the lost node is fenced */
		}
		cd_warn("rm: role %s: %s lost during its migration; resolving", r->p.name,
			src_up ? r->mig.to : r->mig.from);
		submit_role_ops(rm, r->p.name, ops, true);
	}
}
