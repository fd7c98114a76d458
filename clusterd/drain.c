/*
 * drain.c - node drain as a cluster operation (drain-sys.h): the drain
 * record in the replicated state, the leader's pass that carries it out
 * (lib/drain.h D1-D9 through the resource manager's moves), the IPC
 * commands node-drain, node-show and node-resume, the status section, and
 * the drain on a clean stop.
 */
#include "drain-int.h"
#include "daemon.h"
#include "drain.h"
#include "hooks.h"
#include "jsonget.h"
#include "log.h"
#include "error.h"
#include "rm.h"
#include "rm-model.h"
#include "state-schema.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHUTDOWN_DRAIN_S_DEFAULT	120

/* The subsystem's one object: clusterd has one daemon per process. */
static struct {
	struct cd_daemon *d;
	bool queued;			/* a pass is on the loop */
	qb_loop_timer_handle timer;
	bool inflight;			/* a change of ours is on its way */
	/* a clean stop waiting for its drain (cd_drain_planned_stop) */
	void (*stop)(struct cd_daemon *d);
	bool stop_timer_armed;
	qb_loop_timer_handle stop_timer;
	uint64_t stop_t0_ms;
	bool stop_recorded;		/* our drain on stop is in the state */
	bool resuming;			/* ending our drain on stop after a restart */
} ds;

static void schedule(struct cd_daemon *d);

/* ---- reading the state ---- */

static const char *
local_name(struct cd_daemon *d)
{
	const struct cd_node *n = cd_membership_node(&d->mship, d->mship.local_id);

	return n ? n->name : "";
}

static bool
prop_bool(struct cd_daemon *d, const char *name, bool dflt)
{
	json_object *v = cd_sp_get(cd_replica_state(d), CD_SP_PROPERTY, name);

	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : dflt;
}

static int64_t
prop_int(struct cd_daemon *d, const char *name, int64_t dflt)
{
	json_object *v = cd_sp_get(cd_replica_state(d), CD_SP_PROPERTY, name);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

static int
view_node(const struct cd_rm_view *v, const char *name)
{
	size_t i;

	for (i = 0; name && i < v->in->n_nodes; i++) {
		if (!strcmp(v->in->nodes[i].name, name))
			return (int)i;
	}
	return -1;
}

/* Role r's step in node's drain record (fills d's record fields). */
static bool
read_record(const struct cd_state *st, const struct cd_rm_view *v, const char *node,
	    const char *role, struct cd_drain_role *d)
{
	json_object *rec = cd_sp_get(st, CD_SP_RT_NODE_DRAIN_ROLE, node, role);

	if (!rec)
		return false;
	d->rec_node = view_node(v, node);
	d->step = cd_drain_step_parse(cd_jstr(rec, "step", ""));
	if (cd_drain_how_parse(cd_jstr(rec, "how", "live"), &d->how) < 0)
		d->how = CD_DRAIN_LIVE;
	d->tries = (unsigned)cd_jint(rec, "tries", 1);
	snprintf(d->to, sizeof(d->to), "%s", cd_jstr(rec, "to", ""));
	return d->rec_node >= 0 && d->step != CD_DSTEP_NONE;
}

/*
 * The planner's view of role j: which record holds it - the drain of the
 * node it is on (or migrating from) when that has it, else a drain where it
 * is queued or moving.
 */
static void
drain_role(const struct cd_state *st, const struct cd_rm_view *v,
	   const struct cd_drain_node *drains, size_t n_drains, size_t j,
	   struct cd_drain_role *d)
{
	const struct rm_role *r = &v->roles[j];
	const char *here = r->mig.active ? r->mig.from : r->p.owner;
	json_object *cfg = cd_sp_get(st, CD_SP_ROLE, r->p.name);
	size_t i;

	memset(d, 0, sizeof(*d));
	d->rec_node = -1;
	d->migratable = r->migratable;
	if (cd_drain_fallback_parse(cd_jstr(cfg, "drain_fallback", "none"), &d->fallback) < 0)
		d->fallback = CD_FALLBACK_NONE;
	d->mig_active = r->mig.active;
	snprintf(d->mig_from, sizeof(d->mig_from), "%s", r->mig.from);
	snprintf(d->mig_to, sizeof(d->mig_to), "%s", r->mig.to);
	d->last_error = cd_sp_str(st, NULL, CD_SP_RT_ROLE_LAST_ERROR, r->p.name);
	for (i = 0; i < n_drains; i++) {
		const char *dn = v->in->nodes[drains[i].node].name;

		if (here[0] && !strcmp(dn, here) && read_record(st, v, dn, r->p.name, d))
			return;
	}
	for (i = 0; i < n_drains; i++) {
		struct cd_drain_role t = *d;

		if (read_record(st, v, v->in->nodes[drains[i].node].name, r->p.name, &t) &&
		    (t.step == CD_DSTEP_QUEUED || t.step == CD_DSTEP_MOVING)) {
			*d = t;
			return;
		}
	}
	d->rec_node = -1;
	d->step = CD_DSTEP_NONE;
}

/* ---- the leader's pass ---- */

static void
pass_done(void *ctx, int err, const char *msg)
{
	struct cd_daemon *d = ctx;

	ds.inflight = false;
	if (err)
		cd_info("drain: change not applied (%s); planning again",
			msg && *msg ? msg : cd_strerror(err));
	schedule(d);
}

static json_object *
record(enum cd_drain_step step, const char *to, enum cd_drain_how how, unsigned tries,
       const char *reason)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "step", json_object_new_string(cd_drain_step_str(step)));
	json_object_object_add(o, "to", json_object_new_string(to));
	json_object_object_add(o, "how", json_object_new_string(cd_drain_how_str(how)));
	json_object_object_add(o, "tries", json_object_new_int64(tries));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	return o;
}

/* One planned step as operations (guarded: the role is still where the
 * plan saw it, so a stale plan is refused as a whole and made again). */
static void
act_ops(json_object *ops, const struct cd_rm_view *v, const struct cd_drain_role *dr,
	const struct cd_drain_act *a)
{
	const char *node = v->in->nodes[a->drain].name;
	const struct rm_role *r = a->role >= 0 ? &v->roles[a->role] : NULL;
	const char *to = a->to >= 0 ? v->in->nodes[a->to].name : "";

	switch (a->type) {
	case CD_DRAIN_QUEUE:
		cd_sp_op(ops, "test", json_object_new_string(r->p.owner), CD_SP_RT_ROLE_OWNER,
			 r->p.name);
		cd_sp_op(ops, "test", json_object_new_string("started"), CD_SP_RT_ROLE_STATE,
			 r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(to), CD_SP_RT_ROLE_MOVE_TO, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(a->how == CD_DRAIN_COLD ? "" :
							   cd_drain_how_str(a->how)),
			 CD_SP_RT_ROLE_MOVE_TYPE, r->p.name);
		cd_sp_op(ops, "set", record(CD_DSTEP_QUEUED, to, a->how, a->tries, ""),
			 CD_SP_RT_NODE_DRAIN_ROLE, node, r->p.name);
		cd_info("drain: %s: role %s queued to %s (%s%s)", node, r->p.name, to,
			cd_drain_how_str(a->how), a->tries > 1 ? ", again" : "");
		break;
	case CD_DRAIN_DONE:
		cd_sp_op(ops, "set", record(CD_DSTEP_DONE, a->to >= 0 ? to : "", dr->how,
					    dr->tries, a->reason),
			 CD_SP_RT_NODE_DRAIN_ROLE, node, r->p.name);
		cd_info("drain: %s: role %s done (%s)", node, r->p.name,
			a->to >= 0 ? to : a->reason);
		break;
	case CD_DRAIN_FAIL:
		cd_sp_op(ops, "set", record(CD_DSTEP_FAILED, "", dr->how, dr->tries, a->reason),
			 CD_SP_RT_NODE_DRAIN_ROLE, node, r->p.name);
		cd_warn("drain: %s: role %s stays: %s", node, r->p.name, a->reason);
		break;
	case CD_DRAIN_FINISH:
		cd_sp_op(ops, "set", json_object_new_string("done"), CD_SP_RT_NODE_DRAIN_STATE,
			 node);
		cd_notice("drain: %s: finished", node);
		break;
	}
}

static void
leader_pass(struct cd_daemon *d)
{
	const struct cd_state *st = cd_replica_state(d);
	struct cd_drain_node drains[CD_MAX_NODES];
	struct cd_drain_role *dr = NULL;
	struct cd_drain_act *acts = NULL;
	struct cd_drain_input in = { 0 };
	struct cd_rm_view v;
	size_t i, n_drains = 0, n = 0, max;
	json_object *ops;
	int rc;

	if (cd_rm_view_get(d, &v) < 0)
		return;
	for (i = 0; i < v.in->n_nodes && n_drains < CD_MAX_NODES; i++) {
		const char *state = cd_sp_str(st, NULL, CD_SP_RT_NODE_DRAIN_STATE,
					      v.in->nodes[i].name);

		if (!state)
			continue;
		drains[n_drains].node = (int)i;
		drains[n_drains++].finished = strcmp(state, "draining") != 0;
	}
	max = v.in->n_roles + n_drains + 1;
	dr = calloc(v.in->n_roles + 1, sizeof(*dr));
	acts = calloc(max, sizeof(*acts));
	if (!n_drains || !dr || !acts)
		goto out;
	for (i = 0; i < v.in->n_roles; i++)
		drain_role(st, &v, drains, n_drains, i, &dr[i]);
	in.pol = v.in;
	in.roles = dr;
	in.drains = drains;
	in.n_drains = n_drains;
	rc = cd_drain_plan(&in, acts, max, &n);
	if (rc < 0) {
		cd_err("drain: planning failed: %s", strerror(-rc));
		goto out;
	}
	if (!n)
		goto out;
	ops = json_object_new_array();
	for (i = 0; i < n; i++)
		act_ops(ops, &v, acts[i].role >= 0 ? &dr[acts[i].role] : NULL, &acts[i]);
	if (cd_replica_submit(d, ops, pass_done, d) == 0)
		ds.inflight = true;
	json_object_put(ops);
out:
	free(dr);
	free(acts);
	cd_rm_view_put(d, &v);
}

/* ---- a drain on a clean stop ---- */

static void
stop_now(struct cd_daemon *d, const char *why)
{
	void (*stop)(struct cd_daemon *) = ds.stop;

	if (!stop)
		return;
	ds.stop = NULL;
	if (ds.stop_timer_armed) {
		qb_loop_timer_del(d->loop, ds.stop_timer);
		ds.stop_timer_armed = false;
	}
	cd_notice("drain: stop: %s after %" PRIu64 " ms", why, cd_now_mono_ms() - ds.stop_t0_ms);
	stop(d);
}

static void
stop_timeout(void *data)
{
	struct cd_daemon *d = data;

	ds.stop_timer_armed = false;
	cd_warn("drain: stop: the drain did not finish in %" PRId64 " s (drain-on-shutdown-s); "
		"stopping with what is left",
		prop_int(d, "drain-on-shutdown-s", SHUTDOWN_DRAIN_S_DEFAULT));
	stop_now(d, "drain timed out");
}

/* VM roles this node runs (or is migrating away). */
static size_t
vm_roles_here(struct cd_daemon *d, const char *me)
{
	struct cd_rm_view v;
	size_t i, n = 0;

	if (cd_rm_view_get(d, &v) < 0)
		return 0;
	for (i = 0; i < v.in->n_roles; i++) {
		const struct rm_role *r = &v.roles[i];

		if (r->migratable && (!strcmp(r->p.owner, me) ||
				      (r->mig.active && !strcmp(r->mig.from, me))))
			n++;
	}
	cd_rm_view_put(d, &v);
	return n;
}

/* The stopping node: go on once its drain finished (or it lost quorum). */
static void
stop_check(struct cd_daemon *d)
{
	const char *me = local_name(d);
	const char *state = cd_sp_str(cd_replica_state(d), NULL, CD_SP_RT_NODE_DRAIN_STATE, me);

	if (!ds.stop)
		return;
	if (!cd_membership_majority(&d->mship)) {
		cd_warn("drain: stop: quorum lost during the drain; stopping with what is left");
		stop_now(d, "quorum lost");
	} else if (ds.stop_recorded && (!state || strcmp(state, "draining"))) {
		/* finished, or ended by 'node resume' */
		size_t left = vm_roles_here(d, me);

		if (left)
			cd_warn("drain: stop: %zu VM role(s) could not leave %s (no target or their "
				"migration failed: 'clusterctl node show %s')", left, me, me);
		stop_now(d, "drain finished");
	}
}

static void
stop_recorded(void *ctx, int err, const char *msg)
{
	struct cd_daemon *d = ctx;

	if (err) {
		cd_warn("drain: stop: the drain cannot be recorded (%s); stopping without it",
			msg && *msg ? msg : cd_strerror(err));
		stop_now(d, "no drain");
		return;
	}
	ds.stop_recorded = true;
	schedule(d);
}

void
cd_drain_planned_stop(struct cd_daemon *d, void (*stop)(struct cd_daemon *d))
{
	const char *me = local_name(d), *state;
	int64_t secs = prop_int(d, "drain-on-shutdown-s", SHUTDOWN_DRAIN_S_DEFAULT);
	json_object *ops, *rec;
	size_t n;

	ds.d = d;
	ds.stop_t0_ms = cd_now_mono_ms();
	/* a restart that keeps the VMs where they are (a package upgrade:
	 * debian/clusterd.postinst; an administrator's restart) */
	if (unlink(CD_KEEP_ROLES_MARKER) == 0) {
		cd_notice("drain: stop: %s was there (a restart that keeps the roles): "
			  "not draining", CD_KEEP_ROLES_MARKER);
		stop(d);
		return;
	}
	if (!cd_replica_state(d) || !prop_bool(d, "drain-on-shutdown", true) || !me[0]) {
		stop(d);
		return;
	}
	n = vm_roles_here(d, me);
	if (!n) {
		stop(d);
		return;
	}
	if (!cd_membership_majority(&d->mship) || !cd_replica_ready(d)) {
		cd_warn("drain: stop: cannot drain %s (%zu VM role(s)): this node is not in a "
			"quorate, synchronised view; stopping with the roles in place", me, n);
		stop(d);
		return;
	}
	ds.stop = stop;
	state = cd_sp_str(cd_replica_state(d), NULL, CD_SP_RT_NODE_DRAIN_STATE, me);
	ds.stop_recorded = state && !strcmp(state, "draining");
	if (!ds.stop_recorded) {
		ops = json_object_new_array();
		rec = json_object_new_object();
		json_object_object_add(rec, "state", json_object_new_string("draining"));
		json_object_object_add(rec, "origin", json_object_new_string("shutdown"));
		json_object_object_add(rec, "started_at", json_object_new_int64((int64_t)time(NULL)));
		json_object_object_add(rec, "roles", json_object_new_object());
		cd_sp_op(ops, "set", json_object_new_boolean(true), CD_SP_RT_NODE_PAUSED, me);
		cd_sp_op(ops, "set", rec, CD_SP_RT_NODE_DRAIN, me);
		if (cd_replica_submit(d, ops, stop_recorded, d) < 0) {
			json_object_put(ops);
			ds.stop = NULL;
			cd_warn("drain: stop: cannot record the drain of %s; stopping without it", me);
			stop(d);
			return;
		}
		json_object_put(ops);
	}
	cd_notice("drain: stop: draining %s first (%zu VM role(s)), for at most %" PRId64 " s",
		  me, n, secs);
	if (qb_loop_timer_add(d->loop, QB_LOOP_HIGH, (uint64_t)secs * QB_TIME_NS_IN_SEC, d,
			      stop_timeout, &ds.stop_timer) == 0)
		ds.stop_timer_armed = true;
}

/* Back after a drain on stop: end it, so the node takes roles again
 * (they fail back as their policy says). */
static void
resumed(void *ctx, int err, const char *msg)
{
	struct cd_daemon *d = ctx;

	ds.resuming = false;
	if (err)
		cd_info("drain: ending the drain on stop not applied (%s)",
			msg && *msg ? msg : cd_strerror(err));
	else
		cd_notice("drain: %s is back: its drain on stop ended", local_name(d));
}

static void
resume_after_stop(struct cd_daemon *d)
{
	const char *me = local_name(d);
	json_object *rec = me[0] ? cd_sp_get(cd_replica_state(d), CD_SP_RT_NODE_DRAIN, me) : NULL;
	json_object *ops;

	if (!rec || d->stopping || ds.resuming || strcmp(cd_jstr(rec, "origin", ""), "shutdown"))
		return;
	ops = json_object_new_array();
	cd_sp_op(ops, "delete", NULL, CD_SP_RT_NODE_DRAIN, me);
	cd_sp_op(ops, "set", json_object_new_boolean(false), CD_SP_RT_NODE_PAUSED, me);
	if (cd_replica_submit(d, ops, resumed, d) == 0)
		ds.resuming = true;
	json_object_put(ops);
}

/* ---- the pass and the hooks ---- */

static void
pass(void *data)
{
	struct cd_daemon *d = data;

	ds.queued = false;
	if (!cd_replica_state(d))
		return;
	stop_check(d);
	if (!cd_replica_ready(d) || !cd_membership_majority(&d->mship))
		return;
	resume_after_stop(d);
	if (!ds.inflight && cd_membership_leader(&d->mship) == d->mship.local_id)
		leader_pass(d);
}

static void
schedule(struct cd_daemon *d)
{
	ds.d = d;
	if (ds.queued || !d->loop)
		return;
	if (qb_loop_timer_add(d->loop, QB_LOOP_MED, 0, d, pass, &ds.timer) == 0)
		ds.queued = true;
}

static void
drain_changed(struct cd_daemon *d)
{
	schedule(d);
}

static const struct cd_ipc_handler drain_ipc[] = {
	{ "node-drain", cd_drain_ipc_drain, CD_IPC_CHANGES },
	{ "node-show", cd_drain_ipc_show, 0 },
	{ "node-resume", cd_drain_ipc_resume, CD_IPC_CHANGES },
};

const struct cd_hooks cd_drain_hooks = {
	.name = "drain",
	.membership_changed = drain_changed,
	.state_changed = drain_changed,
	.status = cd_drain_status,
	.ipc = drain_ipc,
	.n_ipc = sizeof(drain_ipc) / sizeof(drain_ipc[0]),
};
