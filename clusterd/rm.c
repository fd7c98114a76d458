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
 *
 * This file: start/stop, the reconcile pass, the owner's side and the
 * agents' op sequencing; rm-leader.c: the leader's duties; rm-migrate.c:
 * migrations; rm-util.c: helpers (see rm-int.h).
 */
#include "rm-int.h"
#include "heartbeat.h"
#include "timeutil.h"
#include "log.h"
#include "error.h"
#include "pr.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define FENCE_TIMEOUT_MS		5000

/* Recurring monitor contexts: see monitors_start. */
struct mon_ctx {
	struct mon_ctx *next;
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	int idx;
};

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
	struct local_role *l = rm_local_get(rm, oc->role, false);

	/*
	 * A start that begin_stop() abandoned ends (cancelled, rc generic)
	 * after the stop sequence began: it is neither the stop's result nor
	 * a failure of the resource (the node stopped its roles for its own
	 * reason: quorum or lease lost), so it is dropped; the queued stop of
	 * that resource runs next and decides.
	 */
	if (!l || l->idx != oc->idx ||
	    (l->op == L_STOPPING && strcmp(res->action, "stop"))) {
		free(oc);
		return;
	}
	if (l->op == L_STARTING) {
		if (res->rc == OCF_SUCCESS) {
			l->running |= 1u << oc->idx;
			l->idx++;
		} else {
			rm_op_failure(l->fail_reason, sizeof(l->fail_reason), res);
			cd_warn("rm: role %s: %s; stopping what started", l->name, l->fail_reason);
			/* a failed start may have left processes: it counts as
			 * running until its stop succeeds (as OCF wants) */
			l->running |= 1u << oc->idx;
			l->op = L_STOPPING;
			l->report_failed = true;
			l->then_start = false;
			l->idx = oc->idx;	/* stop from the failed one down */
		}
	} else if (l->op == L_STOPPING) {
		if (res->rc == OCF_SUCCESS || res->rc == OCF_NOT_RUNNING) {
			l->running &= ~(1u << oc->idx);
			l->failed &= ~(1u << oc->idx);
		} else {
			rm_op_failure(l->fail_reason, sizeof(l->fail_reason), res);
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
			rm_schedule_reconcile(rm);
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
			if (l->running)
				cd_warn("rm: role %s: stop sequence ended, not all of it stopped "
					"(%s): reported failed, the stop is retried", l->name,
					l->fail_reason);
			else
				cd_notice("rm: role %s stopped here", l->name);
			rm_schedule_reconcile(rm);
			return;
		}
		err = run_op(rm, l, l->idx, "stop", r->rsc[l->idx].stop_timeout_ms);
		if (err < 0) {
			/* Not run is not stopped: its running bit stays, the role is
			 * reported failed here and the stop retried (ARCHITECTURE
			 * §6, 4.), never started again or elsewhere meanwhile. */
			snprintf(l->fail_reason, sizeof(l->fail_reason), "%s: stop cannot run "
				 "(%s)", r->rsc[l->idx].id, strerror(-err));
			cd_err("rm: role %s: %s", l->name, l->fail_reason);
			l->report_failed = true;
			l->idx--;
			role_step(rm, l);
		}
	}
}

static void
begin_start(struct cd_rm *rm, struct local_role *l, bool restart)
{
	rm_monitors_stop(rm, l);
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

	rm_monitors_stop(rm, l);
	/*
	 * A start in progress is abandoned: kill it with everything it began
	 * (its resource's cgroup: a daemon that has not written its pidfile
	 * yet would escape both the process group and the stop), then stop
	 * everything, the one being started included (what the cgroup cannot
	 * hold: an address, a mount). The others only lose their monitors.
	 */
	if (l->op == L_STARTING && r) {
		if (l->idx >= 0 && (size_t)l->idx < r->n_rsc)
			l->running |= 1u << l->idx;
		for (i = 0; i < r->n_rsc; i++) {
			if ((int)i == l->idx)
				cd_exec_abort(rm->exec, r->rsc[i].id);
			else
				cd_exec_cancel(rm->exec, r->rsc[i].id);
		}
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
	struct local_role *l = rm_local_get(rm, oc->role, false);

	if (!l || !l->monitors || res->rc == OCF_SUCCESS)
		return;
	cd_warn("rm: role %s: monitor of %s failed (rc %d%s)", l->name, res->rsc_id,
		res->rc, res->timed_out ? ", timed out" : "");
	l->failed |= 1u << oc->idx;
	rm_op_failure(l->fail_reason, sizeof(l->fail_reason), res);
	rm_schedule_reconcile(rm);
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

void
rm_monitors_stop(struct cd_rm *rm, struct local_role *l)
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
	struct local_role *l = rm_local_get(rm, oc->role, true);

	if (l) {
		if (res->rc == OCF_SUCCESS) {
			l->running |= 1u << oc->idx;
		} else if (res->rc != OCF_NOT_RUNNING) {
			/* Unknown or failed: treat as running-but-failed, so it is stopped. */
			l->running |= 1u << oc->idx;
			l->failed |= 1u << oc->idx;
		}
		cd_info("rm: probe of %s (role %s): %s", res->rsc_id, oc->role,
			res->rc == OCF_SUCCESS ? "running" :
			res->rc == OCF_NOT_RUNNING ? "not running" : "failed");
	}
	free(oc);
	if (--rm->probes_pending == 0) {
		rm->probing = false;
		rm->probed = true;
		cd_notice("rm: start-up probes done");
		rm_schedule_reconcile(rm);
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

/* ---- owner duties ---- */

/*
 * Roles start only under a valid self-fencing lease (lib/lease.h): should
 * this node be cut off, clusterd-guard then kills them by the deadline the
 * rest of the cluster waits for; and only with half of it left (L7), not
 * just before L6 stops them again. Heartbeat.c reconciles when a renewal
 * makes either true.
 */
static bool
may_start(struct cd_rm *rm, const char *role)
{
	if (cd_hb_lease_start_ok(rm->d))
		return true;
	cd_debug("rm: role %s waits for the self-fencing lease (%s)", role,
		 cd_hb_lease_valid(rm->d) ? "less than half of it left" : "not held");
	return false;
}

static void
owner_duties(struct cd_rm *rm)
{
	const char *me = rm_local_name(rm);
	size_t i;

	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];
		struct local_role *l = rm_local_get(rm, r->p.name, true);
		bool mine = r->p.owner[0] && !strcmp(r->p.owner, me);
		const char *st = rm_role_state_str(r->p.state);

		if (!l)
			continue;
		if (rm_storage_duties(rm, r, l))
			continue;	/* a storage move's step of ours */
		if (r->mig.active) {
			rm_migration_duties(rm, r, l);
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
				rm_report(rm, l, st, "started", NULL, NULL);
				monitors_start(rm, l);
			} else if (l->report_failed) {
				l->report_failed = false;
				rm_report(rm, l, st, "failed", NULL, l->fail_reason);
			} else if (may_start(rm, r->p.name)) {
				begin_start(rm, l, l->running != 0);
			}
			break;
		case CD_ROLE_STARTED:
			if (l->inflight)
				break;
			if (l->failed || l->report_failed) {
				rm_monitors_stop(rm, l);
				l->report_failed = false;
				rm_report(rm, l, st, "failed", NULL,
					  l->fail_reason[0] ? l->fail_reason : "failed on its owner");
			} else if (l->running != (r->n_rsc ? (1u << r->n_rsc) - 1 : 0)) {
				/*
				 * Not all of it runs here, and nothing failed: resources
				 * added to the running role, or a probe after a restart
				 * that found them gone: start what is missing.
				 */
				if (!may_start(rm, r->p.name))
					break;
				rm_monitors_stop(rm, l);
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
					rm_report(rm, l, st, "failed", NULL, l->fail_reason);
				}
			} else if (l->running) {
				begin_stop(rm, l, "asked by the cluster");
			} else if (!l->inflight) {
				rm_report(rm, l, st, "stopped", "", NULL);
				l->fail_reason[0] = '\0';
				l->report_failed = false;
			}
			break;
		case CD_ROLE_FAILED:
			rm_monitors_stop(rm, l);
			break;
		case CD_ROLE_STOPPED:
			if (l->running)
				begin_stop(rm, l, "role is stopped");
			break;
		}
	}
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
	rm_schedule_reconcile(rm);
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
	for (i = 0; i < rm->model.n_data_luns; i++)
		urls[i] = rm->model.data_luns[i].url;
	cd_fence_set_data_luns(rm->fence, urls, rm->model.n_data_luns);
}

static void
grace_timer_fn(void *data)
{
	struct cd_rm *rm = data;

	rm->grace_armed = false;
	rm_schedule_reconcile(rm);
}

/*
 * True while a just-started clusterd that was never quorate and ready may
 * still be covered by its predecessor's lease (at most the lease from our
 * start): what the probes found keeps running until then, and the guard
 * ends it at that lease's deadline anyway. After it, not quorate means
 * self-fence (issue 12 §B: a clusterd restarted while cut off).
 */
static bool
in_start_grace(struct cd_rm *rm)
{
	uint64_t now = cd_now_mono_ms(), end;

	if (rm->ever_ready)
		return false;
	/* our predecessor may have extended it for a planned restart */
	end = rm->started_ms + rm_node_lease_ms(rm, rm->d->mship.local_id);
	if (now >= end)
		return false;
	if (!rm->grace_armed) {
		rm->grace_armed = true;
		qb_loop_timer_add(rm->d->loop, QB_LOOP_MED, (end - now + 1) * QB_TIME_NS_IN_MSEC,
				  rm, grace_timer_fn, &rm->grace_timer);
	}
	return true;
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
	rm_track_lost(rm);

	/*
	 * A (re)started clusterd probes its roles before anything else,
	 * quorate or not: what runs here is known before it self-fences or
	 * takes part in anything (issue 12 item 2). The roles are those of the
	 * state loaded from disk: the ones this node may have been running.
	 */
	if (!rm->probed) {
		if (!rm->probing)
			start_probes(rm);
		if (!rm->probed)
			return;
	}
	if (!m->connected || !cd_membership_majority(m)) {
		if (in_start_grace(rm))
			return;
		self_fence(rm, m->connected ? "quorum lost" : "corosync lost");
		return;
	}
	if (cd_hb_lease_failing(rm->d)) {
		/* lease.h L6: stop before the lease lapses */
		self_fence(rm, "self-fencing lease about to lapse");
		return;
	}
	if (!cd_replica_ready(rm->d))
		return;		/* sync round: decide on the settled state */
	rm->ever_ready = true;
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
	rm_restart_duties(rm);
	owner_duties(rm);
	if (leader == m->local_id)
		rm_leader_duties(rm);
}

/*
 * A zero-delay timer, not qb_loop_job_add(): libqb 2.0's qb_loop_run()
 * does not count a job added while it dispatches its last priority pass,
 * and then sleeps in epoll_wait() until the next timer or event - measured
 * here as a steady ~50 ms (the next periodic timer) between a delivered
 * state change and the reconcile that acts on it, on every hand-over of a
 * migration. A due timer makes the loop poll with a zero timeout.
 */
static void
reconcile_timer_fn(void *data)
{
	reconcile(data);
}

void
rm_schedule_reconcile(struct cd_rm *rm)
{
	if (rm->reconcile_queued)
		return;
	rm->reconcile_queued = true;
	if (qb_loop_timer_add(rm->d->loop, QB_LOOP_MED, 0, rm, reconcile_timer_fn,
			      &rm->reconcile_timer) < 0) {
		rm->reconcile_queued = false;
		cd_err("rm: cannot schedule a reconcile pass");
	}
}

void
cd_rm_state_changed(struct cd_daemon *d)
{
	if (d->rm)
		rm_schedule_reconcile(d->rm);
}

void
cd_rm_membership_changed(struct cd_daemon *d)
{
	struct cd_rm *rm = d->rm;

	if (!rm)
		return;
	/* lease.h L5a: every membership change, not the coalesced reconcile */
	if (!d->mship.connected || !cd_membership_majority(&d->mship))
		rm->majority_since_ms = 0;
	else if (!rm->majority_since_ms)
		rm->majority_since_ms = cd_now_mono_ms();
	/* Losing quorum is acted on at once, not after the queue. */
	if (rm->probed && (!d->mship.connected || !cd_membership_majority(&d->mship)) &&
	    !in_start_grace(rm)) {
		self_fence(rm, d->mship.connected ? "quorum lost" : "corosync lost");
		return;
	}
	rm_schedule_reconcile(rm);
}

static void
host_probe_done(void *ctx, const struct cd_op_result *res)
{
	const char *out = res->output ? res->output : "";
	int n = (int)strcspn(out, "\n");

	(void)ctx;
	if (res->rc == OCF_SUCCESS)
		cd_info("rm: this node runs VMs with %.*s (vm probe-host, %llu ms)", n, out,
			(unsigned long long)res->duration_ms);
	else
		cd_warn("rm: vm probe-host failed (rc %d): %s", res->rc,
			res->error_line ? res->error_line : "");
}

/*
 * What this node can run VMs with (the KVM boot probe takes up to 3 s where
 * KVM hangs): found out once now, in the background, and cached by the vm
 * agent, instead of inside the first VM start or migration here.
 */
static void
host_probe(struct cd_rm *rm)
{
	struct cd_op_request req = { 0 };

	req.rsc_id = "clusterd-host-probe";
	req.agent = "ocf:clusterd:vm";
	req.action = "probe-host";
	req.timeout_ms = 30000;
	if (cd_exec_run(rm->exec, &req, host_probe_done, rm) < 0)
		cd_debug("rm: no vm agent here: no host probe");
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
	cd_exec_set_env_source(rm->exec, rm_agent_env, rm);
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
	rm->started_ms = cd_now_mono_ms();
	host_probe(rm);
	/* probe at once, corosync or not (see reconcile) */
	rm_schedule_reconcile(rm);
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
	if (rm->grace_armed)
		qb_loop_timer_del(d->loop, rm->grace_timer);
	if (rm->mig_retry_armed)
		qb_loop_timer_del(d->loop, rm->mig_retry_timer);
	if (rm->smove_retry_armed)
		qb_loop_timer_del(d->loop, rm->smove_retry_timer);
	/* A queued reconcile would outlive us (and leak in qb_loop_destroy). */
	if (rm->reconcile_queued)
		qb_loop_timer_del(d->loop, rm->reconcile_timer);
	cd_fence_free(rm->fence);
	cd_exec_free(rm->exec);
	rm_storage_stop(rm);	/* no done comes any more */
	/* a migration report not recorded yet: the next clusterd probes instead */
	for (size_t i = 0; i < rm->n_local; i++)
		json_object_put(rm->local[i].mig_ops);
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

/* ---- hooks (rm.h) ---- */

static const struct cd_ipc_handler rm_ipc[] = {
	{ "role-add", cd_rm_ipc_role_add, CD_IPC_CHANGES },
	{ "role-list", cd_rm_ipc_role_list, 0 },
	{ "role-show", cd_rm_ipc_role_show, 0 },
	{ "role-remove", cd_rm_ipc_role_remove, CD_IPC_CHANGES },
	{ "role-start", cd_rm_ipc_role_start, CD_IPC_CHANGES },
	{ "role-stop", cd_rm_ipc_role_stop, CD_IPC_CHANGES },
	{ "role-move", cd_rm_ipc_role_move, CD_IPC_CHANGES },
	{ "role-move-cancel", cd_rm_ipc_role_move_cancel, CD_IPC_CHANGES },
	{ "vm-move-storage", cd_rm_ipc_vm_move_storage, CD_IPC_CHANGES },
	{ "vm-move-storage-cancel", cd_rm_ipc_vm_move_storage_cancel, CD_IPC_CHANGES },
	{ "role-pick", cd_rm_ipc_role_pick, 0 },
	{ "role-cleanup", cd_rm_ipc_role_cleanup, CD_IPC_CHANGES },
	{ "resource-add", cd_rm_ipc_rsc_add, CD_IPC_CHANGES },
	{ "resource-list", cd_rm_ipc_rsc_list, 0 },
	{ "resource-show", cd_rm_ipc_rsc_show, 0 },
	{ "resource-remove", cd_rm_ipc_rsc_remove, CD_IPC_CHANGES },
	{ "node-pause", cd_rm_ipc_node_pause, CD_IPC_CHANGES },
	{ "node-fence", cd_rm_ipc_node_fence, CD_IPC_CHANGES },
	{ "node-list", cd_rm_ipc_node_list, 0 },
	{ "storage-add", cd_rm_ipc_storage_add, CD_IPC_CHANGES },
	{ "storage-remove", cd_rm_ipc_storage_remove, CD_IPC_CHANGES },
	{ "storage-list", cd_rm_ipc_storage_list, 0 },
};

const struct cd_hooks cd_rm_hooks = {
	.name = "rm",
	.membership_changed = cd_rm_membership_changed,
	.state_changed = cd_rm_state_changed,
	.lease_changed = cd_rm_state_changed,
	.status = cd_rm_status,
	.ipc = rm_ipc,
	.n_ipc = sizeof(rm_ipc) / sizeof(rm_ipc[0]),
};
