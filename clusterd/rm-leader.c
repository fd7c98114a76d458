/*
 * rm-leader.c - the resource manager's leader duties: track lost nodes,
 * fence them (fence.c) and record it before any of their roles move, wait
 * until their self-fencing lease has surely ended (lib/lease.h L5), readmit returning nodes with a new
 * incarnation, and turn the policy engine's decisions into guarded changes.
 * Also fencing by hand for rm-ipc.c.
 */
#include "rm-int.h"
#include "log.h"
#include "error.h"
#include "policy.h"
#include "drain.h"
#include "migphase.h"
#include "pr.h"
#include "timeutil.h"
#include "heartbeat.h"
#include "lease.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RECOVERY_DELAY_MS_DEFAULT	100
#define MAX_FENCE_RECORDS		50
/* a failed fence is retried after 100 ms, doubling up to 3.2 s */
#define FENCE_RETRY_MIN_MS		100
#define FENCE_RETRY_MAX_MS		3200

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

/* L5: when a lost node's lease has surely ended (and recovery-delay-ms). */
static uint64_t
recovery_at(struct cd_rm *rm, const struct lost_node *ln)
{
	/* L5a: not before this node entered its majority; L5b: nor before
	 * it last heard the node (it may have come back and gone again
	 * unseen); a planned stop may have recorded a longer lease
	 * (rm-restart.c) */
	uint64_t lost = cd_lease_lost_since(ln->at_ms, rm->majority_since_ms,
					    cd_hb_peer_heard_ms(rm->d, ln->id));
	uint64_t at = cd_lease_recovery_at(lost, rm_node_lease_ms(rm, ln->id));
	uint64_t delay = (uint64_t)rm_prop_int(rm, "recovery-delay-ms",
					       RECOVERY_DELAY_MS_DEFAULT);

	return at > lost + delay ? at : lost + delay;
}

/* Track when each configured node was lost (as seen by this node). */
void
rm_track_lost(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i;

	for (i = 0; i < rm->model.n_nodes; i++) {
		const struct cd_node *n = cd_membership_node(m, rm->model.nodes[i].id);
		/* Lost: out of the ring, its clusterd out of the group, or
		 * silent in it (lease.h L4): its roles are in an unknown state. */
		bool down = !n || cd_membership_node_state(n) != CD_NODE_UP ||
			    cd_hb_peer_stale(rm->d, rm->model.nodes[i].id);
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

static void
arm_delay_timer(struct cd_rm *rm, uint64_t ms);

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

	cd_sp_op(ops, "test", json_object_new_boolean(0), CD_SP_RT_NODE_FENCED, node);
	cd_sp_op(ops, "set", json_object_new_boolean(1), CD_SP_RT_NODE_FENCED, node);
	old = cd_sp_get(st, CD_SP_FENCES);
	arr = json_object_new_array();
	n = old && json_object_is_type(old, json_type_array) ? json_object_array_length(old) : 0;
	for (i = n >= MAX_FENCE_RECORDS ? n - MAX_FENCE_RECORDS + 1 : 0; i < n; i++)
		json_object_array_add(arr, json_object_get(json_object_array_get_idx(old, i)));
	rec = json_object_new_object();
	json_object_object_add(rec, "node", json_object_new_string(node));
	json_object_object_add(rec, "incarnation", json_object_new_int64(incarnation));
	json_object_object_add(rec, "at", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(rec, "by", json_object_new_string(rm_local_name(rm)));
	json_object_object_add(rec, "luns", json_object_new_int64((int64_t)n_luns));
	json_object_array_add(arr, rec);
	cd_sp_op(ops, "set", arr, CD_SP_FENCES);
	rm_submit_role_ops(rm, "@fence", ops, true);
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
		uint64_t wait = cd_backoff_ms(ln ? ++ln->fence_failures : 1,
					      FENCE_RETRY_MIN_MS, FENCE_RETRY_MAX_MS);

		if (ln)
			ln->fence_retry_ms = cd_now_mono_ms() + wait;
		cd_err("fence: node %s NOT fenced: %s; its roles stay where they are "
		       "until fencing succeeds (retrying in %" PRIu64 " ms)", fc->node, detail,
		       wait);
		arm_delay_timer(rm, wait);
	} else {
		if (ln)
			ln->fence_failures = 0;
		cd_notice("fence: node %s fenced on %zu cluster LUN(s) and %zu data LUN(s)",
			  fc->node, cd_fence_n_luns(rm->fence), cd_fence_n_data_luns(rm->fence));
		record_fence(rm, fc->node, fc->incarnation,
			     cd_fence_n_luns(rm->fence) + cd_fence_n_data_luns(rm->fence));
	}
	free(fc);
	rm_schedule_reconcile(rm);
}

static void
do_fence(struct cd_rm *rm, const struct rm_node_rt *victim)
{
	struct lost_node *ln = lost_get(rm, victim->id);
	struct rm_node_rt *me = rm_model_node_id(&rm->model, rm->d->mship.local_id);
	struct fence_ctx *fc;

	if ((ln && ln->fencing) || rm_inflight_has(rm, "@fence"))
		return;
	if (ln && cd_now_mono_ms() < ln->fence_retry_ms) {
		arm_delay_timer(rm, ln->fence_retry_ms - cd_now_mono_ms());
		return;
	}
	if (cd_fence_n_luns(rm->fence) + cd_fence_n_data_luns(rm->fence) == 0) {
		cd_warn("fence: node %s lost; no cluster LUNs to fence it on: "
			"relying on its self-fencing", victim->name);
		record_fence(rm, victim->name, victim->incarnation, 0);
		return;
	}
	if (!me || (cd_fence_n_luns(rm->fence) &&
		    (rm->registered_inc == 0 || rm->registered_inc != me->incarnation))) {
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

	if (rm->node_change_inflight || rm_inflight_has(rm, "@nodes"))
		return;
	for (i = 0; i < rm->model.n_nodes; i++) {
		struct rm_node_rt *n = &rm->model.nodes[i];
		const struct cd_node *mn = cd_membership_node(m, n->id);

		if (!mn || cd_membership_node_state(mn) != CD_NODE_UP ||
		    cd_hb_peer_stale(rm->d, n->id))
			continue;
		if (n->known && !n->fenced && n->incarnation)
			continue;
		if (!ops)
			ops = json_object_new_array();
		cd_notice("rm: admitting node %s with incarnation %" PRIu32, n->name,
			  n->incarnation + 1);
		cd_sp_op(ops, "set", json_object_new_int64(n->incarnation + 1),
			 CD_SP_RT_NODE_INCARNATION, n->name);
		cd_sp_op(ops, "set", json_object_new_boolean(0), CD_SP_RT_NODE_FENCED, n->name);
		if (!n->known)
			cd_sp_op(ops, "set", json_object_new_boolean(0), CD_SP_RT_NODE_PAUSED,
				 n->name);
	}
	if (ops)
		rm_submit_role_ops(rm, "@nodes", ops, true);
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
	if (!r || rm_inflight_has(rm, r->p.name))
		return;
	ops = json_object_new_array();
	switch (a->type) {
	case CD_ACT_START: {
		/* Roles of a lost node wait until it has surely self-fenced. */
		struct rm_node_rt *prev = r->p.owner[0] ? rm_model_node(&rm->model, r->p.owner) : NULL;
		struct lost_node *ln = prev ? lost_get(rm, prev->id) : NULL;

		if (ln && cd_now_mono_ms() < recovery_at(rm, ln)) {
			arm_delay_timer(rm, recovery_at(rm, ln) - cd_now_mono_ms());
			json_object_put(ops);
			return;
		}
		rm_ops_guard(ops, r->p.name, r->p.owner, st);
		cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_OWNER, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_LAST_OWNER,
			 r->p.name);	/* policy.h rule 9's home */
		cd_sp_op(ops, "set", json_object_new_string("starting"), CD_SP_RT_ROLE_STATE,
			 r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TO, r->p.name);
		break;
	}
	case CD_ACT_STOP:
		rm_ops_guard(ops, r->p.name, r->p.owner, st);
		cd_sp_op(ops, "set", json_object_new_string("stopping"), CD_SP_RT_ROLE_STATE,
			 r->p.name);
		break;
	case CD_ACT_RESTART:
		rm_ops_guard(ops, r->p.name, r->p.owner, st);
		cd_sp_op(ops, "set", json_object_new_string("starting"), CD_SP_RT_ROLE_STATE,
			 r->p.name);
		break;
	case CD_ACT_MOVE:
		if (rm_storage_active(rm, r->p.name)) {
			json_object_put(ops);	/* after its storage move (smove.h S8) */
			return;
		}
		if (r->p.not_ha && strcmp(r->move_type, "live")) {
			/* rule 9: its disks are local: only a live migration takes them */
			cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TO,
				 r->p.name);
			cd_sp_op(ops, "set", json_object_new_string("cannot move: not highly "
				 "available, it moves only live"), CD_SP_RT_ROLE_LAST_ERROR,
				 r->p.name);
			break;
		}
		if (rm_leader_migrate(rm, r, node)) {
			json_object_put(ops);
			return;
		}
		rm_ops_guard(ops, r->p.name, r->p.owner, st);
		if (r->p.owner[0]) {
			rm_drain_note_start(rm, ops, r->p.name, r->p.owner);	/* drain.h D5 */
			cd_sp_op(ops, "set", json_object_new_string("stopping"),
				 CD_SP_RT_ROLE_STATE, r->p.name);
			cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_MOVE_TO,
				 r->p.name);
		} else {
			cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_OWNER,
				 r->p.name);
			cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_LAST_OWNER,
				 r->p.name);
			cd_sp_op(ops, "set", json_object_new_string("starting"),
				 CD_SP_RT_ROLE_STATE, r->p.name);
			cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TO,
				 r->p.name);
		}
		break;
	case CD_ACT_REFUSE_MOVE:
		cd_warn("rm: role %s: move refused: %s", r->p.name, a->reason);
		cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_MOVE_TO, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(a->reason), CD_SP_RT_ROLE_LAST_ERROR,
			 r->p.name);
		break;
	default:
		json_object_put(ops);
		return;
	}
	cd_info("rm: leader: %s role %s%s%s (%s)", cd_action_str(a->type), r->p.name,
		node[0] ? " on " : "", node, a->reason);
	rm_submit_role_ops(rm, r->p.name, ops, true);
}

/*
 * The policy engine's input from the model (pi's arrays are allocated;
 * rm_policy_input_free releases them). leader: this is the leader's pass,
 * which arms the recovery delay of nodes it must wait for.
 */
int
rm_policy_input(struct cd_rm *rm, struct rm_policy_in *pi, bool leader)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i, j, nn = rm->model.n_nodes ? rm->model.n_nodes : 1;
	size_t nr = rm->model.n_roles ? rm->model.n_roles : 1;
	time_t now = time(NULL);
	struct tm tm;

	memset(pi, 0, sizeof(*pi));
	pi->nodes = calloc(nn, sizeof(*pi->nodes));
	pi->failures = calloc(nn * nr, sizeof(*pi->failures));
	pi->roles = calloc(nr, sizeof(*pi->roles));
	if (!pi->nodes || !pi->failures || !pi->roles) {
		rm_policy_input_free(rm, pi);
		return -ENOMEM;
	}
	for (i = 0; i < rm->model.n_nodes; i++) {
		struct rm_node_rt *n = &rm->model.nodes[i];
		const struct cd_node *mn = cd_membership_node(m, n->id);
		enum cd_node_state ns = mn ? cd_membership_node_state(mn) : CD_NODE_DOWN;
		struct cd_pnode *pn = &pi->nodes[i];
		struct lost_node *ln = lost_get(rm, n->id);
		bool stale = ns == CD_NODE_UP && cd_hb_peer_stale(rm->d, n->id);

		snprintf(pn->name, sizeof(pn->name), "%s", n->name);
		pn->id = n->id;
		pn->paused = n->paused;
		if (ns == CD_NODE_UP && !stale) {
			pn->state = CD_PNODE_UP;
			/* Up but not readmitted yet: no roles until it has a key. */
			if (!n->known || n->fenced || !n->incarnation)
				pn->paused = true;
		} else if ((ns == CD_NODE_JOINING || stale) && !n->fenced && ln &&
			   cd_now_mono_ms() < recovery_at(rm, ln)) {
			/*
			 * Its corosync runs but its clusterd left the group or is
			 * silent: its roles may still run. They stay (nothing new
			 * goes there) until its lease has surely ended (L5) - its
			 * clusterd may come back and probe them meanwhile - then
			 * it is fenced and its roles recovered like a lost node's.
			 */
			pn->state = CD_PNODE_UP;
			pn->paused = true;
			if (leader)
				arm_delay_timer(rm, recovery_at(rm, ln) - cd_now_mono_ms());
		} else {
			pn->state = n->fenced ? CD_PNODE_DOWN_FENCED : CD_PNODE_DOWN_UNFENCED;
		}
	}
	for (j = 0; j < rm->model.n_roles; j++) {
		struct rm_role *r = &rm->model.roles[j];
		json_object *f;

		f = cd_sp_get(cd_replica_state(rm->d), CD_SP_RT_ROLE_FAILURES, r->p.name);
		for (i = 0; i < rm->model.n_nodes; i++)
			pi->failures[j * rm->model.n_nodes + i] =
				count_failures(f, rm->model.nodes[i].name, r->failover_period_s);
		if (!r->p.failover_threshold)
			r->p.failover_threshold = rm->model.n_nodes > 1 ?
						  (unsigned)rm->model.n_nodes - 1 : 1;
		pi->roles[j] = r->p;
		pi->roles[j].failures = &pi->failures[j * rm->model.n_nodes];
	}
	localtime_r(&now, &tm);
	pi->in.nodes = pi->nodes;
	pi->in.n_nodes = rm->model.n_nodes;
	pi->in.roles = pi->roles;
	pi->in.n_roles = rm->model.n_roles;
	pi->in.hour = (unsigned)tm.tm_hour;
	return 0;
}

void
rm_policy_input_free(struct cd_rm *rm, struct rm_policy_in *pi)
{
	(void)rm;
	free(pi->nodes);
	free(pi->failures);
	free(pi->roles);
	memset(pi, 0, sizeof(*pi));
}

static int model_role_idx(struct cd_rm *rm, const char *name);

/* ---- migration admission (lib/drain.h A1-A5) ---- */

static void
mig_limits(struct cd_rm *rm, struct cd_mig_limits *l)
{
	l->live_out = (unsigned)rm_prop_int(rm, "live-migrations-out", 2);
	l->live_in = (unsigned)rm_prop_int(rm, "live-migrations-in", 2);
	l->live_cluster = (unsigned)rm_prop_int(rm, "live-migrations-cluster", 16);
	l->quick_node = (unsigned)rm_prop_int(rm, "quick-migrations-node", 2);
	l->quick_cluster = (unsigned)rm_prop_int(rm, "quick-migrations-cluster", 16);
}

/* Would a MOVE of r start a migration (rm_leader_migrate's conditions)? */
static bool
would_migrate(const struct rm_role *r, const char *type, enum cd_mig_kind *kind)
{
	enum cd_mig_type t;

	if (!r->migratable || cd_migtype_parse(type, &t) || r->p.state != CD_ROLE_STARTED ||
	    !r->p.owner[0] || r->mig.active)
		return false;
	*kind = t == CD_MIG_QUICK ? CD_MIGK_QUICK : CD_MIGK_LIVE;
	return true;
}

static int
pnode_idx(const struct rm_policy_in *pi, const char *name)
{
	size_t i;

	for (i = 0; name && i < pi->in.n_nodes; i++) {
		if (!strcmp(pi->nodes[i].name, name))
			return (int)i;
	}
	return -1;
}

/* The migrations running now, into run (room for n_roles). */
static size_t
running_migrations(struct cd_rm *rm, const struct rm_policy_in *pi, struct cd_mig_running *run)
{
	size_t i, n = 0;

	for (i = 0; i < rm->model.n_roles; i++) {
		const struct rm_role *r = &rm->model.roles[i];
		int from = pnode_idx(pi, r->mig.from), to = pnode_idx(pi, r->mig.to);

		if (!r->mig.active || from < 0 || to < 0)
			continue;
		run[n].kind = !strcmp(r->mig.type, "quick") ? CD_MIGK_QUICK : CD_MIGK_LIVE;
		run[n].from = from;
		run[n++].to = to;
	}
	return n;
}

static const char **
node_names(const struct rm_policy_in *pi)
{
	const char **names = calloc(pi->in.n_nodes ? pi->in.n_nodes : 1, sizeof(*names));
	size_t i;

	for (i = 0; names && i < pi->in.n_nodes; i++)
		names[i] = pi->nodes[i].name;
	return names;
}

/*
 * A1-A5 over this pass's MOVE actions that would start a migration: those
 * that do not fit the limits are dropped (type 0); their move stays
 * requested and a later pass starts them. A move whose start is on its way
 * (a leader change in flight) counts as running.
 */
static void
admit_moves(struct cd_rm *rm, struct rm_policy_in *pi, struct cd_action *acts, size_t n)
{
	struct cd_mig_running *run = calloc(rm->model.n_roles + n + 1, sizeof(*run));
	struct cd_mig_cand *cand = calloc(n + 1, sizeof(*cand));
	size_t *which = calloc(n + 1, sizeof(*which));
	const char **names = node_names(pi);
	struct cd_mig_limits lim;
	size_t i, nr, nc = 0;
	int rc;

	if (!run || !cand || !which || !names)
		goto out;
	nr = running_migrations(rm, pi, run);
	for (i = 0; i < n; i++) {
		struct rm_role *r = acts[i].type == CD_ACT_MOVE && acts[i].role >= 0 ?
				    &rm->model.roles[acts[i].role] : NULL;
		enum cd_mig_kind kind;
		int from;

		if (!r || !would_migrate(r, r->move_type, &kind) ||
		    (from = pnode_idx(pi, r->p.owner)) < 0 || acts[i].node < 0)
			continue;
		if (rm_inflight_has(rm, r->p.name)) {
			run[nr].kind = kind;
			run[nr].from = from;
			run[nr++].to = acts[i].node;
			continue;
		}
		cand[nc].kind = kind;
		cand[nc].from = from;
		cand[nc].to = acts[i].node;
		cand[nc].role = &pi->roles[acts[i].role];
		which[nc++] = i;
	}
	mig_limits(rm, &lim);
	rc = cd_mig_admit(&lim, pi->in.n_nodes, names, run, nr, cand, nc);
	if (rc < 0)
		cd_err("rm: migration admission: %s; starting none", strerror(-rc));
	for (i = 0; i < nc; i++) {
		if (rc == 0 && cand[i].admit)
			continue;
		cd_debug("rm: leader: role %s waits: %s", cand[i].role->name, cand[i].why);
		acts[which[i]].type = 0;
	}
out:
	free(run);
	free(cand);
	free(which);
	free(names);
}

void
rm_move_queue_why(struct cd_rm *rm, const char *role, const char *node, const char *type,
		  char *why, size_t len)
{
	struct cd_mig_running *run;
	struct cd_mig_cand c = { 0 };
	struct cd_mig_limits lim;
	struct rm_policy_in pi;
	const char **names;
	int ri = model_role_idx(rm, role);
	size_t nr;

	why[0] = '\0';
	if (ri < 0 || !would_migrate(&rm->model.roles[ri], type, &c.kind) ||
	    rm_policy_input(rm, &pi, false) < 0)
		return;
	c.from = pnode_idx(&pi, rm->model.roles[ri].p.owner);
	c.to = pnode_idx(&pi, node);
	c.role = &pi.roles[ri];
	run = calloc(rm->model.n_roles + 1, sizeof(*run));
	names = node_names(&pi);
	if (run && names && c.from >= 0 && c.to >= 0) {
		nr = running_migrations(rm, &pi, run);
		mig_limits(rm, &lim);
		if (cd_mig_admit(&lim, pi.in.n_nodes, names, run, nr, &c, 1) == 0 && !c.admit)
			snprintf(why, len, "%s", c.why);
	}
	free(run);
	free(names);
	rm_policy_input_free(rm, &pi);
}

/* ---- the drain subsystem's view (rm.h) ---- */

int
cd_rm_view_get(struct cd_daemon *d, struct cd_rm_view *v)
{
	struct rm_policy_in *pi;
	int rc;

	memset(v, 0, sizeof(*v));
	if (!d->rm)
		return -EAGAIN;
	pi = calloc(1, sizeof(*pi));
	if (!pi)
		return -ENOMEM;
	if (rm_model_load(&d->rm->model, cd_replica_state(d)) < 0)
		cd_err("rm: too many roles; some are not managed");
	rm_track_lost(d->rm);
	rc = rm_policy_input(d->rm, pi, false);
	if (rc < 0) {
		free(pi);
		return rc;
	}
	v->in = &pi->in;
	v->roles = d->rm->model.roles;
	v->priv = pi;
	return 0;
}

void
cd_rm_view_put(struct cd_daemon *d, struct cd_rm_view *v)
{
	if (v->priv && d->rm)
		rm_policy_input_free(d->rm, v->priv);
	free(v->priv);
	memset(v, 0, sizeof(*v));
}

void
rm_leader_duties(struct cd_rm *rm)
{
	struct rm_policy_in pi;
	struct cd_action *acts;
	size_t i, n_acts = 0, max;
	int rc;

	readmit(rm);
	rm_leader_resolve_migrations(rm);
	rm_leader_resolve_storage(rm);
	max = rm->model.n_roles + rm->model.n_nodes + 1;
	acts = calloc(max, sizeof(*acts));
	if (!acts || rm_policy_input(rm, &pi, true) < 0) {
		free(acts);
		return;
	}
	rc = cd_policy_run(&pi.in, acts, max, &n_acts);
	if (rc < 0)
		cd_err("rm: policy engine: %s", strerror(-rc));
	else
		admit_moves(rm, &pi, acts, n_acts);
	for (i = 0; rc >= 0 && i < n_acts; i++)
		apply_action(rm, &acts[i], pi.nodes);
	rm_leader_park_not_ha(rm, &pi);		/* policy.h rule 9 */
	rm_policy_input_free(rm, &pi);
	free(acts);
}

/* Index of role name in the model (rm_model_role), or -1. */
static int
model_role_idx(struct cd_rm *rm, const char *name)
{
	const struct rm_role *r = rm_model_role(&rm->model, name);

	return r ? (int)(r - rm->model.roles) : -1;
}

int
rm_move_check(struct cd_rm *rm, const char *role, const char *node, char *why, size_t len)
{
	struct rm_policy_in pi;
	int ri = model_role_idx(rm, role), rc;

	if (ri < 0) {
		snprintf(why, len, "no role '%s'", role);
		return -ENOENT;
	}
	rc = rm_policy_input(rm, &pi, false);
	if (rc == 0)
		rc = cd_policy_move_check(&pi.in, (size_t)ri, node, why, len);
	rm_policy_input_free(rm, &pi);
	return rc;
}

int
rm_move_pick(struct cd_rm *rm, const char *role, char *node, size_t len)
{
	struct rm_policy_in pi;
	int ri = model_role_idx(rm, role), rc;

	if (ri < 0)
		return -ENOENT;
	rc = rm_policy_input(rm, &pi, false);
	if (rc == 0)
		rc = cd_policy_pick(&pi.in, (size_t)ri);
	if (rc >= 0) {
		snprintf(node, len, "%s", pi.nodes[rc].name);
		rc = 0;
	}
	rm_policy_input_free(rm, &pi);
	return rc;
}

static void
delay_timer_fn(void *data)
{
	struct cd_rm *rm = data;

	rm->delay_armed = false;
	rm_schedule_reconcile(rm);
}

/* One timer for every wait of the leader: the earliest wins. */
static void
arm_delay_timer(struct cd_rm *rm, uint64_t ms)
{
	uint64_t due = cd_now_mono_ms() + ms;

	if (rm->delay_armed) {
		if (rm->delay_due_ms <= due)
			return;
		qb_loop_timer_del(rm->d->loop, rm->delay_timer);
	}
	rm->delay_armed = true;
	rm->delay_due_ms = due;
	qb_loop_timer_add(rm->d->loop, QB_LOOP_HIGH, (ms + 1) * QB_TIME_NS_IN_MSEC,
			  rm, delay_timer_fn, &rm->delay_timer);
}

/* ---- services for rm-ipc.c ---- */

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
		size_t n = cd_fence_n_luns(mf->rm->fence) + cd_fence_n_data_luns(mf->rm->fence);

		record_fence(mf->rm, mf->node, mf->incarnation, n);
		out = json_object_new_object();
		json_object_object_add(out, "fenced", json_object_new_string(mf->node));
		json_object_object_add(out, "luns", json_object_new_int64((int64_t)n));
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
	if (!cd_membership_majority(&d->mship))
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
	if (cd_fence_n_luns(rm->fence) + cd_fence_n_data_luns(rm->fence) == 0) {
		manual_fence_done(mf, 0, "");
	} else if (!me || (cd_fence_n_luns(rm->fence) && !rm->registered_inc)) {
		manual_fence_done(mf, -EPERM, "this node is not registered on the cluster LUNs");
	} else if (cd_fence_node(rm->fence, cd_pr_key(d->mship.local_id, me->incarnation),
				 victim->id, manual_fence_done, mf) < 0) {
		manual_fence_done(mf, -ENOMEM, "out of memory");
	}
	return CD_IPC_DEFERRED;
}
