/*
 * rm-util.c - the resource manager's small helpers: local role records,
 * cluster properties, building changes, and submitting them (owner reports
 * and leader decisions) into the replicated state.
 */
#include "rm-int.h"
#include "props.h"
#include "log.h"
#include "error.h"
#include "timeutil.h"
#include "state-rules.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- small helpers ---- */

const char *
rm_local_name(struct cd_rm *rm)
{
	const struct cd_node *n = cd_membership_node(&rm->d->mship, rm->d->mship.local_id);

	return n ? n->name : "";
}

struct local_role *
rm_local_get(struct cd_rm *rm, const char *name, bool create)
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

int64_t
rm_prop_int(struct cd_rm *rm, const char *name, int64_t dflt)
{
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *props = cd_sp_get(st, CD_SP_PROPERTIES), *v;

	if (props && json_object_object_get_ex(props, name, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

const char *const *
rm_agent_env(void *ctx)
{
	struct cd_rm *rm = ctx;
	const struct cd_state *st = cd_replica_state(rm->d);
	json_object *props = cd_sp_get(st, CD_SP_PROPERTIES), *v;
	const struct cd_prop *p;
	size_t n = 0, cap = sizeof(rm->agent_env) / sizeof(rm->agent_env[0]) - 1;
	char val[1100];

	for (p = cd_props(); p->name && n < cap; p++) {
		if (!p->agent_env)
			continue;
		v = NULL;
		if (props)
			json_object_object_get_ex(props, p->name, &v);
		snprintf(rm->agent_env_buf[n], sizeof(rm->agent_env_buf[n]), "%s=%s",
			 p->agent_env, cd_prop_env_text(p, v, val, sizeof(val)));
		rm->agent_env[n] = rm->agent_env_buf[n];
		n++;
	}
	rm->agent_env[n] = NULL;
	return rm->agent_env;
}

void
rm_drain_note_start(struct cd_rm *rm, json_object *ops, const char *role, const char *owner)
{
	const struct cd_state *st = cd_replica_state(rm->d);

	if (!owner || !owner[0] ||
	    strcmp(cd_sp_str(st, "", CD_SP_RT_NODE_DRAIN_STEP, owner, role), "queued"))
		return;
	cd_sp_op(ops, "set", json_object_new_string("moving"), CD_SP_RT_NODE_DRAIN_STEP,
		 owner, role);
}

/* ---- reporting results into the state ---- */

struct report_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	bool leader;		/* a leader decision (else an owner report) */
};

static void inflight_del(struct cd_rm *rm, const char *role);

/*
 * An owner report of a finished migration step was refused: count it
 * towards that migration's rollback (rm-migrate.c resends the report).
 */
static void
count_refusal(struct cd_rm *rm, const char *role, bool leader, enum rm_refusal how)
{
	struct local_role *l = leader ? NULL : rm_local_get(rm, role, false);

	if (!l || !l->mig_reported[0] || how == RM_REFUSAL_STALE)
		return;
	if (!l->mig_since_ms)
		l->mig_since_ms = cd_now_mono_ms();
	if (how == RM_REFUSAL_ERROR)
		l->mig_tries++;
}

static void
report_done(void *ctx, int err, const char *msg)
{
	struct report_ctx *rc = ctx;
	struct cd_rm *rm = rc->rm;

	if (rc->leader) {
		inflight_del(rm, rc->role);
	} else {
		struct local_role *l = rm_local_get(rm, rc->role, false);

		if (l)
			l->inflight = false;
	}
	if (err)
		count_refusal(rm, rc->role, rc->leader, rm_refused(rm, rc->role, err, msg));
	free(rc);
	rm_schedule_reconcile(rm);
}

#define REFUSED_LOG_EVERY_MS 10000

enum rm_refusal
rm_refused(struct cd_rm *rm, const char *what, int err, const char *msg)
{
	uint64_t now = cd_now_mono_ms();
	const char *why = msg && *msg ? msg : cd_strerror(err);

	if (err == -CD_E_BAD_ARGS && strstr(why, ": test of ")) {
		cd_debug("rm: %s: change not applied (the state moved on): %s", what, why);
		return RM_REFUSAL_STALE;
	}
	/* Domain conditions (syncing, not quorate, no corosync, ...) pass. */
	if (err == -ESHUTDOWN || err == -ETIMEDOUT ||
	    (err <= -CD_E_BASE && err != -CD_E_BAD_ARGS && err != -CD_E_STATE_INVALID)) {
		cd_info("rm: %s: change not applied for now: %s", what, why);
		return RM_REFUSAL_TRANSIENT;
	}
	rm->n_refused++;
	rm->refused_at = (int64_t)time(NULL);
	if (strcmp(rm->refused_msg, why) || strcmp(rm->refused_what, what) ||
	    now >= rm->refused_logged_ms + REFUSED_LOG_EVERY_MS) {
		cd_err("rm: %s: the cluster REFUSED an internal change (%" PRIu64 " so far): "
		       "%s", what, rm->n_refused, why);
		rm->refused_logged_ms = now;
	}
	snprintf(rm->refused_what, sizeof(rm->refused_what), "%s", what);
	snprintf(rm->refused_msg, sizeof(rm->refused_msg), "%s", why);
	return RM_REFUSAL_ERROR;
}

/*
 * A change refused before it was sent says only its code; the state's own
 * reason comes from a trial apply (the refused path only).
 */
static void
refusal_reason(struct cd_rm *rm, json_object *ops, int err, char *buf, size_t len)
{
	struct cd_state trial = { 0 };

	buf[0] = '\0';
	if (err != -CD_E_BAD_ARGS && err != -ENOSPC && err != -EEXIST &&
	    err != -CD_E_STATE_INVALID)
		return;
	if (cd_state_copy(&trial, cd_replica_state(rm->d)) == 0 &&
	    cd_state_apply(&trial, ops, buf, len) == 0)
		buf[0] = '\0';
	cd_state_clear(&trial);
}

int
rm_role_waits(struct cd_rm *rm, const char *role, char *why, size_t len)
{
	struct rm_role *r = rm_model_role(&rm->model, role);
	struct rm_policy_in pi;
	int rc;

	if (!r)
		return -ENOENT;
	if (!r->p.not_ha)
		return 0;
	rc = rm_policy_input(rm, &pi, false);
	if (rc == 0)
		rc = cd_policy_waits(&pi.in, (size_t)(r - rm->model.roles), why, len);
	rm_policy_input_free(rm, &pi);
	return rc;
}

/* Does p run (not stopped) on an up owner? */
static bool
owner_up(const struct rm_policy_in *pi, const struct cd_prole *p)
{
	size_t i;

	for (i = 0; p->state != CD_ROLE_STOPPED && i < pi->in.n_nodes; i++) {
		if (!strcmp(pi->nodes[i].name, p->owner))
			return pi->nodes[i].state == CD_PNODE_UP;
	}
	return false;
}

void
rm_leader_park_not_ha(struct cd_rm *rm, const struct rm_policy_in *pi)
{
	size_t i, k;

	for (i = 0; i < rm->model.n_roles; i++) {
		const struct rm_role *r = &rm->model.roles[i];
		json_object *ops;

		if (!r->p.not_ha || r->mig.active || r->p.state == CD_ROLE_STOPPED ||
		    !r->p.owner[0] || rm_inflight_has(rm, r->p.name))
			continue;
		for (k = 0; k < pi->in.n_nodes && strcmp(pi->nodes[k].name, r->p.owner); k++)
			;
		if (k == pi->in.n_nodes || pi->nodes[k].state != CD_PNODE_DOWN_FENCED)
			continue;
		ops = json_object_new_array();
		rm_ops_guard(ops, r->p.name, r->p.owner, rm_role_state_str(r->p.state));
		cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_OWNER, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(r->p.owner), CD_SP_RT_ROLE_LAST_OWNER,
			 r->p.name);
		cd_sp_op(ops, "set", json_object_new_string("stopped"), CD_SP_RT_ROLE_STATE,
			 r->p.name);
		cd_notice("rm: role %s: not highly available: stopped with fenced %s, waits for it",
			  r->p.name, r->p.owner);
		rm_submit_role_ops(rm, r->p.name, ops, true);
	}
}

/* The roles that are not highly available (policy.h rule 9), for status:
 * [{"role", "home", "state", "waits"}], "waits" only while one waits. */
static json_object *
not_ha_json(struct cd_rm *rm)
{
	json_object *arr = json_object_new_array();
	char why[CD_POLICY_REASON_MAX];
	struct rm_policy_in pi;
	size_t i, n = 0;

	for (i = 0; i < rm->model.n_roles; i++)
		n += rm->model.roles[i].p.not_ha;
	if (!n || rm_policy_input(rm, &pi, false) < 0)
		return arr;
	for (i = 0; i < rm->model.n_roles; i++) {
		const struct cd_prole *p = &pi.roles[i];
		json_object *o;

		if (!p->not_ha)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "role", json_object_new_string(p->name));
		json_object_object_add(o, "home", json_object_new_string(p->owner[0] ? p->owner :
									 p->last_owner));
		json_object_object_add(o, "state", json_object_new_string(cd_sp_str(
			cd_replica_state(rm->d), "stopped", CD_SP_RT_ROLE_STATE, p->name)));
		/* a run's cost per role: only for one that may wait */
		if (p->target_started && !owner_up(&pi, p) &&
		    cd_policy_waits(&pi.in, i, why, sizeof(why)) == 1)
			json_object_object_add(o, "waits", json_object_new_string(why));
		json_object_array_add(arr, o);
	}
	rm_policy_input_free(rm, &pi);
	return arr;
}

json_object *
cd_rm_status(struct cd_daemon *d)
{
	struct cd_rm *rm = d->rm;
	json_object *o = json_object_new_object();

	size_t total, config;

	if (!o || !rm)
		return o;
	/* How full the state is: configuration against its budget, whole
	 * document against its limit (lib/state-rules.h rules 1-2). */
	cd_state_sizes(cd_replica_state(d), &total, &config);
	json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)total));
	json_object_object_add(o, "state_limit", json_object_new_int64(CD_STATE_MAX_SIZE));
	json_object_object_add(o, "config_bytes", json_object_new_int64((int64_t)config));
	json_object_object_add(o, "config_budget", json_object_new_int64(CD_STATE_CONFIG_MAX));
	json_object_object_add(o, "refused_changes", json_object_new_int64((int64_t)rm->n_refused));
	if (rm->n_refused) {
		json_object_object_add(o, "refused_last", json_object_new_string(rm->refused_msg));
		json_object_object_add(o, "refused_what", json_object_new_string(rm->refused_what));
		json_object_object_add(o, "refused_at", json_object_new_int64(rm->refused_at));
	}
	json_object_object_add(o, "not_ha", not_ha_json(rm));
	return o;
}

/*
 * Fault injection for tests (tests/lab/test-safety-d): while the file
 * RUNTIME_DIR/fault-refuse-migration-phase holds a phase name, this node
 * refuses its own reports that end that migration phase (not a rollback to
 * abort) as a full state would (-ENOSPC), so the bounded resend and the
 * rollback can be tested.
 */
static bool
fault_refused(struct cd_rm *rm, json_object *ops)
{
	char path[PATH_MAX], want[32] = "";
	bool tested = false, aborts = false;
	size_t i, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fault-refuse-migration-phase", rm->d->runtime_dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(want, sizeof(want), f))
		want[0] = '\0';
	fclose(f);
	want[strcspn(want, "\n")] = '\0';
	n = json_object_array_length(ops);
	for (i = 0; i < n; i++) {
		json_object *op = json_object_array_get_idx(ops, i), *v;
		const char *kind = json_object_get_string(json_object_object_get(op, "op"));
		const char *p = json_object_get_string(json_object_object_get(op, "path"));

		if (!kind || !p || !cd_sp_is(p, CD_SP_MIG_PHASE) ||
		    !json_object_object_get_ex(op, "value", &v))
			continue;
		if (!strcmp(kind, "test") && !strcmp(json_object_get_string(v), want))
			tested = true;
		if (!strcmp(kind, "set") && !strcmp(json_object_get_string(v), "abort"))
			aborts = true;
	}
	return want[0] && tested && !aborts;
}

/* Submit ops for a role; owner reports and leader decisions are tracked so
 * that the same thing is not sent twice while on its way. */
int
rm_submit_role_ops(struct cd_rm *rm, const char *role, json_object *ops, bool leader)
{
	struct report_ctx *rc = calloc(1, sizeof(*rc));
	enum rm_refusal how;
	int err;

	if (!rc) {
		json_object_put(ops);
		return -ENOMEM;
	}
	rc->rm = rm;
	rc->leader = leader;
	snprintf(rc->role, sizeof(rc->role), "%s", role);
	err = !leader && fault_refused(rm, ops) ? -ENOSPC :
	      cd_replica_submit(rm->d, ops, report_done, rc);
	if (err < 0) {
		char why[320];

		refusal_reason(rm, ops, err, why, sizeof(why));
		if (!why[0] && err == -ENOSPC)
			snprintf(why, sizeof(why), "refused by fault injection "
				 "(fault-refuse-migration-phase)");
		how = rm_refused(rm, role, err, why);
		count_refusal(rm, role, leader, how);	/* rm-migrate.c paces the resend */
		json_object_put(ops);
		free(rc);
		return err;
	}
	json_object_put(ops);
	if (leader) {
		if (rm->n_inflight < 64)
			snprintf(rm->inflight_roles[rm->n_inflight++], RM_NAME_MAX, "%s", role);
	} else {
		struct local_role *l = rm_local_get(rm, role, false);

		if (l)
			l->inflight = true;
	}
	return 0;
}

void
rm_op_failure(char *buf, size_t len, const struct cd_op_result *res)
{
	const char *e = res->error_line ? res->error_line : "";

	snprintf(buf, len, "%s %s failed (rc %d%s)%s%s", res->rsc_id, res->action,
		 res->rc, res->timed_out ? ", timed out" : "", *e ? ": " : "", e);
}

bool
rm_inflight_has(struct cd_rm *rm, const char *role)
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
void
rm_ops_guard(json_object *ops, const char *role, const char *owner, const char *state)
{
	cd_sp_op(ops, "test", json_object_new_string(owner), CD_SP_RT_ROLE_OWNER, role);
	cd_sp_op(ops, "test", json_object_new_string(state), CD_SP_RT_ROLE_STATE, role);
}

void
rm_report(struct cd_rm *rm, struct local_role *l, const char *expect_state,
	  const char *new_state, const char *new_owner, const char *failure)
{
	json_object *ops = json_object_new_array();
	const char *me = rm_local_name(rm);

	rm_ops_guard(ops, l->name, me, expect_state);
	cd_sp_op(ops, "set", json_object_new_string(new_state), CD_SP_RT_ROLE_STATE, l->name);
	if (new_owner)
		cd_sp_op(ops, "set", json_object_new_string(new_owner), CD_SP_RT_ROLE_OWNER,
			 l->name);
	if (failure) {
		const struct cd_state *st = cd_replica_state(rm->d);
		json_object *old, *arr = json_object_new_array(), *rec;
		size_t i, n;

		old = cd_sp_get(st, CD_SP_RT_ROLE_FAILURES, l->name);
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
		cd_sp_op(ops, "set", arr, CD_SP_RT_ROLE_FAILURES, l->name);
	}
	cd_info("rm: role %s: reporting %s -> %s%s%s", l->name, expect_state, new_state,
		failure ? ": " : "", failure ? failure : "");
	rm_submit_role_ops(rm, l->name, ops, false);
}
