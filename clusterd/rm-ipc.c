/*
 * rm-ipc.c - IPC commands for roles, resources, nodes and cluster LUNs.
 * Each validates its arguments here (clear messages), then submits one
 * change to the replicated state; the reply comes once it is applied.
 */
#include "ephemeral.h"
#include "migphase.h"
#include "rm-int.h"
#include "drain.h"
#include "jsonget.h"
#include "exec.h"
#include "rm-model.h"
#include "log.h"
#include "error.h"
#include "iscsi-url.h"
#include "proto.h"
#include "state-rules.h"
#include "valid.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Parameter names, keys in the state: [A-Za-z0-9_-]{1,63}. */
static bool
valid_key(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* A resource as clients see it: {"id": ID, ...its config members} (new). */
static json_object *
rsc_json(const char *id, json_object *cfg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(id));
	if (cfg && json_object_is_type(cfg, json_type_object)) {
		json_object_object_foreach(cfg, k, v)
			json_object_object_add(o, k, json_object_get(v));
	}
	return o;
}

/* ---- submitting with a deferred reply ---- */

struct change_ctx {
	struct cd_ipc_deferred *def;
	struct cd_daemon *d;
	char queued[CD_POLICY_REASON_MAX + 32];	/* a move waits: why ("" none) */
};

static void
change_done(void *ctx, int err, const char *m)
{
	struct change_ctx *cc = ctx;
	json_object *out = NULL;

	if (!err) {
		out = json_object_new_object();
		json_object_object_add(out, "generation", json_object_new_int64(
			(int64_t)cd_state_generation(cd_replica_state(cc->d))));
		if (cc->queued[0])
			json_object_object_add(out, "queued", json_object_new_string(cc->queued));
	}
	cd_ipc_complete(cc->def, out, err, err && m && *m ? m : NULL);
	json_object_put(out);
	free(cc);
}

/*
 * Why a change was refused before it was sent: the state's own reason
 * (e.g. "the configuration would be N bytes, over its budget ...: remove
 * something first") from a trial apply, for refusals whose generic text
 * would not tell the administrator what to do.
 */
static void
refusal_text(struct cd_daemon *d, int err, json_object *ops, char *text, size_t len)
{
	struct cd_state trial = { 0 };

	snprintf(text, len, "%s", cd_strerror(err));
	if (err != -ENOSPC && err != -EEXIST && err != -CD_E_BAD_ARGS)
		return;
	if (cd_state_copy(&trial, cd_replica_state(d)) == 0 &&
	    cd_state_apply(&trial, ops, text, len) == 0)
		snprintf(text, len, "%s", cd_strerror(err));
	cd_state_clear(&trial);
}

/* Submit ops (consumed) for an IPC client; the reply comes when applied,
 * with "queued": queued when that is not NULL (a move that waits). */
static int
submit_noted(struct cd_daemon *d, struct cd_ipc_client *client, json_object *ops,
	     json_object **out, const char *queued)
{
	struct change_ctx *cc = calloc(1, sizeof(*cc));
	int err;

	if (!cc) {
		json_object_put(ops);
		return -ENOMEM;
	}
	cc->d = d;
	if (queued)
		snprintf(cc->queued, sizeof(cc->queued), "%s", queued);
	cc->def = cd_ipc_defer(client);
	if (!cc->def) {
		free(cc);
		json_object_put(ops);
		return -ENOMEM;
	}
	err = cd_replica_submit(d, ops, change_done, cc);
	if (err < 0) {
		const struct cd_membership *m = &d->mship;
		char text[512];

		if (err == -CD_E_NOT_QUORATE)
			snprintf(text, sizeof(text), "this partition is not quorate (%u of %u "
				 "votes, %u needed): changes are refused",
				 m->quorum.total_votes, m->quorum.expected_votes, m->quorum.quorum);
		else
			refusal_text(d, err, ops, text, sizeof(text));
		cd_ipc_complete(cc->def, NULL, err, text);
		free(cc);
	}
	json_object_put(ops);
	return CD_IPC_DEFERRED;
}

static int
submit(struct cd_daemon *d, struct cd_ipc_client *client, json_object *ops,
       json_object **out)
{
	return submit_noted(d, client, ops, out, NULL);
}

int
rm_ipc_submit(struct cd_daemon *d, struct cd_ipc_client *client, json_object *ops,
	      json_object **out)
{
	return submit(d, client, ops, out);
}

/* ---- roles ---- */

static int
names_arg(json_object *args, const char *key, json_object **out, json_object **err,
	  struct cd_daemon *d)
{
	json_object *v;
	size_t i;

	*out = NULL;
	if (!json_object_object_get_ex(args, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > CD_ROLE_OWNERS_MAX) {
		*err = cd_ipc_message("%s: must be a list of at most %d node names", key,
				      CD_ROLE_OWNERS_MAX);
		return -CD_E_BAD_VALUE;
	}
	for (i = 0; i < json_object_array_length(v); i++) {
		json_object *n = json_object_array_get_idx(v, i);

		for (size_t j = 0; j < i && json_object_is_type(n, json_type_string); j++) {
			if (json_object_equal(n, json_object_array_get_idx(v, j))) {
				*err = cd_ipc_message("%s: node %s given twice", key,
						      json_object_get_string(n));
				return -CD_E_BAD_VALUE;
			}
		}
		if (!json_object_is_type(n, json_type_string) ||
		    !cd_sp_get(cd_replica_state(d), CD_SP_NODE, json_object_get_string(n))) {
			*err = cd_ipc_message("%s: '%s' is not a node of this cluster", key,
				   json_object_get_string(n));
			return -CD_E_BAD_ARGS;
		}
	}
	*out = v;
	return 0;
}

static int
int_arg(json_object *args, const char *key, int64_t lo, int64_t hi, json_object **cfg,
	json_object **err)
{
	json_object *v;

	if (!json_object_object_get_ex(args, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < lo ||
	    json_object_get_int64(v) > hi) {
		*err = cd_ipc_message("%s must be a whole number %lld..%lld", key, (long long)lo,
				      (long long)hi);
		return -CD_E_BAD_VALUE;
	}
	json_object_object_add(*cfg, key, json_object_get(v));
	return 0;
}

int
cd_rm_ipc_role_add(struct cd_daemon *d, struct cd_ipc_client *client,
		   json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL), *fb = cd_jstr(args, "failback", NULL),
		   *target = cd_jstr(args, "target", NULL),
		   *dfb = cd_jstr(args, "drain_fallback", NULL);
	enum cd_drain_fallback dfb_v;
	json_object *cfg, *ops, *pref, *poss, *win = NULL, *ha = NULL;
	char text[256];
	int rc;

	if ((rc = cd_valid_name(CD_NAME_ROLE, name, text, sizeof(text))) < 0) {
		*out = cd_ipc_message("%s", text);
		return rc;
	}
	if (cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name)) {
		*out = cd_ipc_message("role '%s' already exists", name);
		return -EEXIST;
	}
	if ((fb && cd_valid_enum("failback", fb, cd_role_failback_values, NULL, text,
				 sizeof(text))) ||
	    (target && cd_valid_enum("target", target, cd_role_target_values, NULL, text,
				     sizeof(text)))) {
		*out = cd_ipc_message("%s", text);
		return -CD_E_BAD_VALUE;
	}
	json_object_object_get_ex(args, "failback_window", &win);
	if ((win != NULL) != (fb && strcmp(fb, "window") == 0)) {
		*out = cd_ipc_message("failback_window goes with failback window, and "
				      "failback window needs a failback_window");
		return -CD_E_BAD_VALUE;
	}
	if ((rc = names_arg(args, "preferred_owners", &pref, out, d)) < 0 ||
	    (rc = names_arg(args, "possible_owners", &poss, out, d)) < 0)
		return rc;
	for (size_t i = 0; pref && poss && json_object_array_length(poss) &&
			   i < json_object_array_length(pref); i++) {
		json_object *n = json_object_array_get_idx(pref, i);
		bool found = false;

		for (size_t j = 0; j < json_object_array_length(poss); j++)
			found |= json_object_equal(n, json_object_array_get_idx(poss, j));
		if (!found) {
			*out = cd_ipc_message("preferred owner %s is not one of the possible "
					      "owners", json_object_get_string(n));
			return -CD_E_BAD_VALUE;
		}
	}
	if (dfb && cd_drain_fallback_parse(dfb, &dfb_v) < 0) {	/* lib/drain.h D7 */
		*out = cd_ipc_message("drain_fallback must be none, quick or restart, not '%s'", dfb);
		return -CD_E_BAD_VALUE;
	}
	/* policy.h rule 9: "ha" false, not highly available; lib/drain.h D10 */
	if (json_object_object_get_ex(args, "ha", &ha) &&
	    !json_object_is_type(ha, json_type_boolean)) {
		*out = cd_ipc_message("ha must be true or false");
		return -CD_E_BAD_VALUE;
	}
	if (ha && !json_object_get_boolean(ha) && dfb && dfb_v != CD_FALLBACK_NONE) {
		*out = cd_ipc_message("drain_fallback %s needs a highly available role: one with "
				      "\"ha\": false moves only live", dfb);
		return -CD_E_BAD_VALUE;
	}
	cfg = json_object_new_object();
	json_object_object_add(cfg, "resources", json_object_new_array());
	json_object_object_add(cfg, "preferred_owners", pref ? json_object_get(pref) : json_object_new_array());
	json_object_object_add(cfg, "possible_owners", poss ? json_object_get(poss) : json_object_new_array());
	json_object_object_add(cfg, "failback", json_object_new_string(fb ? fb : "never"));
	json_object_object_add(cfg, "target", json_object_new_string(target ? target : "started"));
	if (dfb)
		json_object_object_add(cfg, "drain_fallback", json_object_new_string(dfb));
	json_object_object_add(cfg, "ha",
			       json_object_new_boolean(!ha || json_object_get_boolean(ha)));
	if (win) {
		bool arr = json_object_is_type(win, json_type_array);
		json_object *h0 = arr ? json_object_array_get_idx(win, 0) : NULL;
		json_object *h1 = arr ? json_object_array_get_idx(win, 1) : NULL;

		if (!arr || json_object_array_length(win) != 2 ||
		    !json_object_is_type(h0, json_type_int) ||
		    !json_object_is_type(h1, json_type_int) ||
		    json_object_get_int64(h0) < 0 || json_object_get_int64(h0) > 23 ||
		    json_object_get_int64(h1) < 0 || json_object_get_int64(h1) > 23 ||
		    json_object_get_int64(h0) == json_object_get_int64(h1)) {
			json_object_put(cfg);
			*out = cd_ipc_message("failback_window must be [start_hour, end_hour], "
					      "two different hours 0..23");
			return -CD_E_BAD_VALUE;
		}
		json_object_object_add(cfg, "failback_window", json_object_get(win));
	}
	if ((rc = int_arg(args, "priority", CD_ROLE_PRIORITY_MIN, CD_ROLE_PRIORITY_MAX,
			  &cfg, out)) < 0 ||
	    (rc = int_arg(args, "failover_threshold", 0, CD_ROLE_THRESHOLD_MAX, &cfg, out)) < 0 ||
	    (rc = int_arg(args, "failover_period_s", CD_ROLE_PERIOD_MIN_S, CD_ROLE_PERIOD_MAX_S,
			  &cfg, out)) < 0 ||
	    (rc = int_arg(args, "memory_mib", 0, CD_ROLE_MEMORY_MAX_MIB, &cfg, out)) < 0) {
		json_object_put(cfg);
		return rc;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "set", cfg, CD_SP_ROLE, name);
	{
		json_object *rt = json_object_new_object();

		json_object_object_add(rt, "owner", json_object_new_string(""));
		json_object_object_add(rt, "state", json_object_new_string("stopped"));
		json_object_object_add(rt, "move_to", json_object_new_string(""));
		json_object_object_add(rt, "failures", json_object_new_array());
		cd_sp_op(ops, "set", rt, CD_SP_RT_ROLE, name);
	}
	return submit(d, client, ops, out);
}

/* "ha" (absent in the config: true) and, while it waits for its home
 * (policy.h rule 9), "waits": the reason, into o. */
static void
role_ha(struct cd_daemon *d, const char *name, json_object *cfg, json_object *o)
{
	char why[CD_POLICY_REASON_MAX];
	bool ha = cd_jbool(cfg, "ha", true);

	json_object_object_add(o, "ha", json_object_new_boolean(ha));
	if (!ha && d->rm && rm_role_waits(d->rm, name, why, sizeof(why)) == 1)
		json_object_object_add(o, "waits", json_object_new_string(why));
}

static json_object *
role_summary(struct cd_daemon *d, const char *name, json_object *cfg)
{
	json_object *o = json_object_new_object(), *v;
	json_object *rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, name);

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "target", json_object_get(json_object_object_get(cfg, "target")));
	json_object_object_add(o, "state", json_object_get(rt ? json_object_object_get(rt, "state") : NULL));
	json_object_object_add(o, "owner", json_object_get(rt ? json_object_object_get(rt, "owner") : NULL));
	json_object_object_add(o, "resources", json_object_get(json_object_object_get(cfg, "resources")));
	json_object_object_add(o, "preferred_owners",
			       json_object_get(json_object_object_get(cfg, "preferred_owners")));
	v = json_object_object_get(cfg, "priority");
	json_object_object_add(o, "priority", v ? json_object_get(v) : json_object_new_int(0));
	role_ha(d, name, cfg, o);
	return o;
}

int
cd_rm_ipc_role_list(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	json_object *roles = cd_sp_get(cd_replica_state(d), CD_SP_ROLES);
	json_object *arr = json_object_new_array();

	if (roles) {
		json_object_object_foreach(roles, name, cfg)
			json_object_array_add(arr, role_summary(d, name, cfg));
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "roles", arr);
	return 0;
}

int
cd_rm_ipc_role_show(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name), *list, *rscs;
	char prefix[200];
	size_t i;

	if (!cfg) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "name", json_object_new_string(name));
	json_object_object_add(*out, "config", json_object_get(cfg));
	role_ha(d, name, cfg, *out);
	/* with what changes too often to be replicated (progress) on top */
	cd_sp_path(prefix, sizeof(prefix), CD_SP_RT_ROLE, name);
	json_object_object_add(*out, "runtime",
			       cd_ephemeral_view(d, prefix, cd_sp_get(cd_replica_state(d),
								      CD_SP_RT_ROLE, name)));
	rscs = json_object_new_array();
	list = json_object_object_get(cfg, "resources");
	for (i = 0; list && i < json_object_array_length(list); i++) {
		const char *id = json_object_get_string(json_object_array_get_idx(list, i));

		json_object_array_add(rscs, rsc_json(id, cd_sp_get(cd_replica_state(d),
								   CD_SP_RESOURCE, id)));
	}
	json_object_object_add(*out, "resources", rscs);
	return 0;
}

static int
role_target(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
	    json_object **out, const char *target)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *ops;

	if (!name || !cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name)) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_string(target), CD_SP_ROLE_TARGET, name);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_role_start(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	return role_target(d, client, args, out, "started");
}

int
cd_rm_ipc_role_stop(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	return role_target(d, client, args, out, "stopped");
}

/*
 * Forget a role's failure history (pcs resource cleanup): its failures (and
 * with them a node's ban from failover-threshold) and last_error. The leader
 * then places or restarts it by the usual rules. Guarded: a failure recorded
 * meanwhile makes the request fail rather than vanish.
 */
int
cd_rm_ipc_role_cleanup(struct cd_daemon *d, struct cd_ipc_client *client,
		       json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *rt, *fails, *ops;

	if (!name || !cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name)) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, name);
	fails = rt ? json_object_object_get(rt, "failures") : NULL;
	if ((!fails || !json_object_array_length(fails)) &&
	    !(rt && json_object_object_get_ex(rt, "last_error", NULL))) {
		*out = cd_ipc_message("role %s has no failures to clean up", name);
		return 0;
	}
	ops = json_object_new_array();
	if (fails) {
		cd_sp_op(ops, "test", json_object_get(fails), CD_SP_RT_ROLE_FAILURES, name);
		cd_sp_op(ops, "set", json_object_new_array(), CD_SP_RT_ROLE_FAILURES, name);
	}
	if (json_object_object_get_ex(rt, "last_error", NULL))
		cd_sp_op(ops, "delete", NULL, CD_SP_RT_ROLE_LAST_ERROR, name);
	cd_info("rm: role %s: failure history cleared on request (%zu failures)", name,
		fails ? json_object_array_length(fails) : 0);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_role_move(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL), *node = cd_jstr(args, "node", NULL);
	const char *type = cd_jstr(args, "type", NULL);
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name);
	json_object *rt, *ops, *list;
	char why[CD_POLICY_REASON_MAX];
	bool vm_role = false;
	int rc;

	if (!cfg) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	list = json_object_object_get(cfg, "resources");
	if (list && json_object_array_length(list) == 1) {
		const char *id = json_object_get_string(json_object_array_get_idx(list, 0));
		json_object *r = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCE, id);
		const char *agent = r ? json_object_get_string(json_object_object_get(r, "agent")) : NULL;

		vm_role = agent && !strcmp(agent, "ocf:clusterd:vm");
	}
	if (type && strcmp(type, "live") && strcmp(type, "quick") && strcmp(type, "restart")) {
		*out = cd_ipc_message("move type must be live, quick or restart, not '%s'", type);
		return -CD_E_BAD_ARGS;
	}
	if (type && strcmp(type, "restart") && !vm_role) {
		*out = cd_ipc_message("role %s is not a VM role: %s migration needs a role made of "
			   "one ocf:clusterd:vm resource (use a plain move)", name, type);
		return -CD_E_BAD_ARGS;
	}
	/* VMs move live unless told otherwise (Hyper-V's default). */
	if (!type)
		type = vm_role ? "live" : "restart";
	if (!cd_jbool(cfg, "ha", true) && strcmp(type, "live")) {	/* policy.h rule 9 */
		*out = cd_ipc_message("role %s is not highly available: its disks are local to "
				      "the node that runs it, so only a live migration moves it, "
				      "not a %s move ('clusterctl move %s NODE --live')", name,
				      type, name);
		return -CD_E_BAD_ARGS;
	}
	rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, name);
	if (rt && !strcmp(json_object_get_string(json_object_object_get(rt, "state")), "migrating")) {
		*out = cd_ipc_message("role %s is being migrated already", name);
		return -EBUSY;
	}
	if (rm_storage_active(d->rm, name)) {	/* smove.h S8 */
		*out = cd_ipc_message("role %s: a storage move is under way; move it after that "
				      "('clusterctl vm move-storage %s --cancel' stops it)", name, name);
		return -EBUSY;
	}
	if (!node || !cd_sp_get(cd_replica_state(d), CD_SP_NODE, node)) {
		*out = cd_ipc_message("'%s' is not a node of this cluster", node ? node : "");
		return -CD_E_BAD_ARGS;
	}
	/* The policy engine decides whether the target is valid (rule 7). */
	rc = d->rm ? rm_move_check(d->rm, name, node, why, sizeof(why)) : -EAGAIN;
	if (rc == -EALREADY) {
		*out = cd_ipc_message("role %s already runs on %s", name, node);
		return -EALREADY;
	}
	if (rc == -EAGAIN) {
		*out = cd_ipc_message("the resource manager is not running yet");
		return -EAGAIN;
	}
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0) {
		*out = cd_ipc_message("%s", why);
		return -CD_E_BAD_ARGS;
	}
	/* Over the migration limits (lib/drain.h A2, A3) it waits: say so. */
	rm_move_queue_why(d->rm, name, node, type, why, sizeof(why));
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_string(node), CD_SP_RT_ROLE_MOVE_TO, name);
	cd_sp_op(ops, "set", json_object_new_string(strcmp(type, "restart") ? type : ""),
		 CD_SP_RT_ROLE_MOVE_TYPE, name);
	cd_sp_op(ops, "set", json_object_new_string("started"), CD_SP_ROLE_TARGET, name);
	return submit_noted(d, client, ops, out, why[0] ? why : NULL);
}

/*
 * role-pick {name}: where the role would go if it left its owner (the
 * policy engine's choice, policy.h cd_policy_pick): {"node": NAME}; for
 * node drain, which then moves it there. Changes nothing.
 */
int
cd_rm_ipc_role_pick(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	char node[CD_POLICY_NAME_MAX];
	int rc;

	(void)client;
	if (!name || !cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name)) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	rc = d->rm ? rm_move_pick(d->rm, name, node, sizeof(node)) : -EAGAIN;
	if (rc == -ENOENT) {
		*out = cd_ipc_message("no node can take role %s", name);
		return -ENOENT;
	}
	if (rc == -EAGAIN) {
		*out = cd_ipc_message("the resource manager is not running yet");
		return rc;
	}
	if (rc < 0)
		return rc;
	*out = json_object_new_object();
	json_object_object_add(*out, "node", json_object_new_string(node));
	return 0;
}

/* clusterctl move NAME --cancel: roll a running migration back. */
int
cd_rm_ipc_role_move_cancel(struct cd_daemon *d, struct cd_ipc_client *client,
			   json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, name), *mig, *ops;
	enum cd_mig_phase ph;
	const char *phase;

	if (!rt) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	if (!json_object_object_get_ex(rt, "migration", &mig) || !mig) {
		*out = cd_ipc_message("role %s is not being migrated", name);
		return -CD_E_BAD_ARGS;
	}
	phase = json_object_get_string(json_object_object_get(mig, "phase"));
	/* Past the switch-over the guest runs on the target: nothing to undo (M6). */
	if (!phase || cd_migphase_parse(phase, &ph) || !cd_migphase_cancellable(ph)) {
		*out = cd_ipc_message("role %s's migration is at '%s': too late to cancel", name,
			   phase ? phase : "?");
		return -EBUSY;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "test", json_object_new_string(phase), CD_SP_MIG_PHASE, name);
	cd_sp_op(ops, "set", json_object_new_string(cd_migphase_str(CD_MIG_ABORT)), CD_SP_MIG_PHASE,
		 name);
	cd_sp_op(ops, "set", json_object_new_string("cancelled by the administrator"),
		 CD_SP_MIG_ERROR, name);
	cd_sp_op(ops, "set", json_object_new_string("migration cancelled by the administrator"),
		 CD_SP_RT_ROLE_LAST_ERROR, name);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_role_remove(struct cd_daemon *d, struct cd_ipc_client *client,
		      json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_ROLE, name);
	json_object *rt, *ops, *list;
	const char *state;
	size_t i;

	if (!cfg) {
		*out = cd_ipc_message("no role '%s'", name ? name : "");
		return -ENOENT;
	}
	rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, name);
	state = rt ? json_object_get_string(json_object_object_get(rt, "state")) : "stopped";
	/* Its resources' definitions go with it: only a stopped role can go. */
	if (strcmp(state, "stopped")) {
		*out = cd_ipc_message("role %s is %s: stop it first ('clusterctl role stop %s')", name,
			   state, name);
		return -EBUSY;
	}
	ops = json_object_new_array();
	list = json_object_object_get(cfg, "resources");
	for (i = 0; list && i < json_object_array_length(list); i++)
		cd_sp_op(ops, "delete", NULL, CD_SP_RESOURCE,
			 json_object_get_string(json_object_array_get_idx(list, i)));
	cd_sp_op(ops, "delete", NULL, CD_SP_ROLE, name);
	if (rt)
		cd_sp_op(ops, "delete", NULL, CD_SP_RT_ROLE, name);
	return submit(d, client, ops, out);
}

/* ---- resources ---- */

struct rsc_add_ctx {
	struct cd_daemon *d;
	struct cd_ipc_deferred *def;
	json_object *ops;	/* the change, once the meta-data checks pass */
	json_object *params;
	char agent[128];
	char id[64];
};

static bool
meta_has_action(const struct cd_agent_meta *meta, const char *action)
{
	size_t i;

	for (i = 0; i < meta->n_actions; i++) {
		if (!strcmp(meta->actions[i], action))
			return true;
	}
	return false;
}

/* The checks passed: submit the change; frees rc. */
static void
submit_rsc(struct rsc_add_ctx *rc)
{
	struct change_ctx *cc = calloc(1, sizeof(*cc));
	int e;

	if (!cc) {
		cd_ipc_complete(rc->def, NULL, -ENOMEM, NULL);
	} else {
		cc->d = rc->d;
		cc->def = rc->def;
		e = cd_replica_submit(rc->d, rc->ops, change_done, cc);
		if (e < 0) {
			char text[512];

			refusal_text(rc->d, e, rc->ops, text, sizeof(text));
			cd_ipc_complete(rc->def, NULL, e, text);
			free(cc);
		}
	}
	json_object_put(rc->ops);
	json_object_put(rc->params);
	free(rc);
}

static void
rsc_validate_done(void *ctx, const struct cd_op_result *res)
{
	struct rsc_add_ctx *rc = ctx;
	char text[400];

	if (res->rc != OCF_SUCCESS) {
		snprintf(text, sizeof(text), "%s validate-all failed (rc %d)%s%s", rc->agent,
			 res->rc, res->error_line && *res->error_line ? ": " : "",
			 res->error_line ? res->error_line : "");
		cd_ipc_complete(rc->def, NULL, -CD_E_BAD_ARGS, text);
		json_object_put(rc->ops);
		json_object_put(rc->params);
		free(rc);
		return;
	}
	submit_rsc(rc);
}

static void
rsc_meta_done(void *ctx, const struct cd_op_result *res)
{
	struct rsc_add_ctx *rc = ctx;
	struct cd_agent_meta meta;
	char err[256];

	if (res->rc != OCF_SUCCESS ||
	    cd_agent_meta_parse(res->output, strlen(res->output), &meta) < 0) {
		snprintf(err, sizeof(err), "agent %s gave no usable meta-data (rc %d)",
			 rc->agent, res->rc);
		cd_ipc_complete(rc->def, NULL, -CD_E_BAD_ARGS, err);
		goto out;
	}
	if (cd_agent_meta_check(&meta, rc->params, err, sizeof(err)) < 0) {
		char text[400];

		snprintf(text, sizeof(text), "%s: %s", rc->agent, err);
		cd_ipc_complete(rc->def, NULL, -CD_E_BAD_ARGS, text);
		goto out;
	}
	/* Then the agent judges its parameters itself (validate-all). */
	{
		struct cd_op_request req = { 0 };

		req.rsc_id = rc->id;	/* agents want OCF_RESOURCE_INSTANCE */
		req.agent = rc->agent;
		req.action = "validate-all";
		req.params = rc->params;
		req.timeout_ms = 20000;
		if (meta_has_action(&meta, "validate-all") &&
		    cd_rm_exec_run(rc->d, &req, rsc_validate_done, rc) == 0)
			return;	/* rsc_validate_done takes it from here */
	}
	submit_rsc(rc);
	return;
out:
	json_object_put(rc->ops);
	json_object_put(rc->params);
	free(rc);
}

/* "ocf:PROVIDER:TYPE" -> OCF_ROOT/resource.d/PROVIDER/TYPE exists? */
static int
agent_path(const char *agent, char *path, size_t len)
{
	const char *root = getenv("OCF_ROOT");
	char prov[64], type[64];
	struct stat st;

	if (sscanf(agent, "ocf:%63[A-Za-z0-9_.-]:%63[A-Za-z0-9_.-]", prov, type) != 2)
		return -EINVAL;
	snprintf(path, len, "%s/resource.d/%s/%s", root ? root : "/usr/lib/ocf", prov, type);
	if (stat(path, &st) < 0 || !(st.st_mode & S_IXUSR))
		return -ENOENT;
	return 0;
}

/*
 * A VM resource carries its VM's identity ({"name", "disks", "macs"}, from
 * 'clusterctl vm add'): the state lets one resource claim a VM (state-rules.h
 * rule 3, re-checked on apply on every node); checked here first for a clear
 * error naming the role that has it.
 */
static int
vm_identity_arg(struct cd_daemon *d, json_object *args, const char *id, const char *agent,
		json_object *params, json_object **out)
{
	bool is_vm = !strcmp(agent, "ocf:clusterd:vm");
	char err[512];
	json_object *vm;
	int rc;

	if (!json_object_object_get_ex(args, "vm", &vm)) {
		if (!is_vm)
			return 0;
		*out = cd_ipc_message("a VM resource is added with 'clusterctl vm add', which "
				      "records the VM's identity (name, disks, MACs) so that "
				      "a VM belongs to one role only");
		return -CD_E_BAD_ARGS;
	}
	if (!is_vm) {
		*out = cd_ipc_message("vm: only an ocf:clusterd:vm resource has a VM identity");
		return -CD_E_BAD_ARGS;
	}
	if (params && json_object_object_get_ex(params, "vm_name", NULL)) {
		*out = cd_ipc_message("parameter 'vm_name' is set by clusterd from the VM's identity");
		return -CD_E_BAD_ARGS;
	}
	rc = cd_rule_vm_claim_check(cd_sp_get(cd_replica_state(d), CD_SP_RESOURCES),
				    id, vm, err, sizeof(err));
	if (rc < 0) {
		*out = cd_ipc_message("%s", err);
		return rc;
	}
	return 0;
}

int
cd_rm_ipc_rsc_add(struct cd_daemon *d, struct cd_ipc_client *client,
		  json_object *args, json_object **out)
{
	const char *id = cd_jstr(args, "id", NULL), *agent = cd_jstr(args, "agent", NULL),
		   *role = cd_jstr(args, "role", NULL);
	json_object *params = NULL, *cfg, *ops, *rolecfg, *list, *newlist, *t;
	struct cd_op_request req = { 0 };
	struct rsc_add_ctx *rc;
	char path[PATH_MAX], text[256];
	size_t i;
	int e;

	if ((e = cd_valid_name(CD_NAME_RESOURCE, id, text, sizeof(text))) < 0) {
		*out = cd_ipc_message("%s", text);
		return e;
	}
	if (cd_sp_get(cd_replica_state(d), CD_SP_RESOURCE, id)) {
		*out = cd_ipc_message("resource '%s' already exists", id);
		return -EEXIST;
	}
	if (!role || !(rolecfg = cd_sp_get(cd_replica_state(d), CD_SP_ROLE, role))) {
		*out = cd_ipc_message("no role '%s' (create it with 'clusterctl role add')", role ? role : "");
		return -ENOENT;
	}
	if (!agent || (e = agent_path(agent, path, sizeof(path))) == -EINVAL) {
		*out = cd_ipc_message("agent must be ocf:PROVIDER:TYPE, not '%s'", agent ? agent : "");
		return -CD_E_BAD_ARGS;
	}
	if (e < 0) {
		*out = cd_ipc_message("no agent %s on this node (%s missing)", agent, path);
		return -ENOENT;
	}
	if (json_object_object_get_ex(args, "params", &params)) {
		if (!json_object_is_type(params, json_type_object)) {
			*out = cd_ipc_message("params must be an object of name: value");
			return -CD_E_BAD_ARGS;
		}
		json_object_object_foreach(params, k, v) {
			if (!valid_key(k) || !json_object_is_type(v, json_type_string)) {
				*out = cd_ipc_message("parameter '%s': names are A-Z a-z 0-9 _ -, values strings", k);
				return -CD_E_BAD_ARGS;
			}
		}
	}
	if ((e = vm_identity_arg(d, args, id, agent, params, out)) < 0)
		return e;
	list = json_object_object_get(rolecfg, "resources");
	if (list && json_object_array_length(list) >= RM_MAX_RSC) {
		*out = cd_ipc_message("role %s has %d resources already (the most)", role, RM_MAX_RSC);
		return -E2BIG;
	}
	cfg = json_object_new_object();
	json_object_object_add(cfg, "role", json_object_new_string(role));
	json_object_object_add(cfg, "agent", json_object_new_string(agent));
	json_object_object_add(cfg, "params", params ? json_object_get(params) : json_object_new_object());
	if (json_object_object_get_ex(args, "vm", &t)) {
		/* The agent checks the definition against the claimed name. */
		json_object_object_add(cfg, "vm", json_object_get(t));
		json_object_object_add(json_object_object_get(cfg, "params"), "vm_name",
				       json_object_get(json_object_object_get(t, "name")));
	}
	if (json_object_object_get_ex(args, "monitor_interval_ms", &t)) {
		if (!json_object_is_type(t, json_type_int) || json_object_get_int64(t) < 0 ||
		    json_object_get_int64(t) > 86400000) {
			json_object_put(cfg);
			*out = cd_ipc_message("monitor_interval_ms must be 0..86400000");
			return -CD_E_BAD_ARGS;
		}
		json_object_object_add(cfg, "monitor_interval_ms", json_object_get(t));
	}
	if (json_object_object_get_ex(args, "timeouts_ms", &t)) {
		if (!json_object_is_type(t, json_type_object)) {
			json_object_put(cfg);
			*out = cd_ipc_message("timeouts_ms must be an object");
			return -CD_E_BAD_ARGS;
		}
		json_object_object_foreach(t, k, v) {
			if ((strcmp(k, "start") && strcmp(k, "stop") && strcmp(k, "monitor")) ||
			    !json_object_is_type(v, json_type_int) ||
			    json_object_get_int64(v) < 100 || json_object_get_int64(v) > 3600000) {
				json_object_put(cfg);
				*out = cd_ipc_message("timeouts: start, stop and monitor, 100..3600000 ms");
				return -CD_E_BAD_ARGS;
			}
		}
		json_object_object_add(cfg, "timeouts_ms", json_object_get(t));
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "set", cfg, CD_SP_RESOURCE, id);
	newlist = json_object_new_array();
	for (i = 0; list && i < json_object_array_length(list); i++)
		json_object_array_add(newlist, json_object_get(json_object_array_get_idx(list, i)));
	json_object_array_add(newlist, json_object_new_string(id));
	cd_sp_op(ops, "set", newlist, CD_SP_ROLE_RESOURCES, role);

	/* Required parameters come from the agent's meta-data: ask it. */
	rc = calloc(1, sizeof(*rc));
	if (!rc) {
		json_object_put(ops);
		return -ENOMEM;
	}
	rc->d = d;
	rc->ops = ops;
	rc->params = params ? json_object_get(params) : json_object_new_object();
	snprintf(rc->agent, sizeof(rc->agent), "%s", agent);
	snprintf(rc->id, sizeof(rc->id), "%s", id);
	rc->def = cd_ipc_defer(client);
	req.rsc_id = id;
	req.agent = agent;
	req.action = "meta-data";
	req.timeout_ms = 10000;
	if (!rc->def || cd_rm_exec_run(d, &req, rsc_meta_done, rc) < 0) {
		if (rc->def)
			cd_ipc_complete(rc->def, NULL, -EIO, "cannot run the agent's meta-data");
		json_object_put(rc->ops);
		json_object_put(rc->params);
		free(rc);
	}
	return CD_IPC_DEFERRED;
}

int
cd_rm_ipc_rsc_list(struct cd_daemon *d, struct cd_ipc_client *client,
		   json_object *args, json_object **out)
{
	json_object *rs = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCES);
	json_object *arr = json_object_new_array();

	if (rs) {
		json_object_object_foreach(rs, id, cfg)
			json_object_array_add(arr, rsc_json(id, cfg));
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "resources", arr);
	return 0;
}

int
cd_rm_ipc_rsc_show(struct cd_daemon *d, struct cd_ipc_client *client,
		   json_object *args, json_object **out)
{
	const char *id = cd_jstr(args, "id", NULL);
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCE, id), *rt;
	const char *role;

	if (!cfg) {
		*out = cd_ipc_message("no resource '%s'", id ? id : "");
		return -ENOENT;
	}
	*out = rsc_json(id, cfg);
	role = json_object_get_string(json_object_object_get(cfg, "role"));
	rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, role);
	json_object_object_add(*out, "state",
			       json_object_get(rt ? json_object_object_get(rt, "state") : NULL));
	json_object_object_add(*out, "owner",
			       json_object_get(rt ? json_object_object_get(rt, "owner") : NULL));
	return 0;
}

int
cd_rm_ipc_rsc_remove(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	const char *id = cd_jstr(args, "id", NULL), *role;
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCE, id);
	json_object *list, *newlist, *rt, *ops;
	size_t i;

	if (!cfg) {
		*out = cd_ipc_message("no resource '%s'", id ? id : "");
		return -ENOENT;
	}
	role = json_object_get_string(json_object_object_get(cfg, "role"));
	rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLE, role);
	if (rt && strcmp(json_object_get_string(json_object_object_get(rt, "state")), "stopped")) {
		*out = cd_ipc_message("role %s is running: stop it before removing %s", role, id);
		return -EBUSY;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "delete", NULL, CD_SP_RESOURCE, id);
	list = json_object_object_get(cd_sp_get(cd_replica_state(d), CD_SP_ROLE, role),
				      "resources");
	newlist = json_object_new_array();
	for (i = 0; list && i < json_object_array_length(list); i++) {
		json_object *v = json_object_array_get_idx(list, i);

		if (strcmp(json_object_get_string(v), id))
			json_object_array_add(newlist, json_object_get(v));
	}
	cd_sp_op(ops, "set", newlist, CD_SP_ROLE_RESOURCES, role);
	return submit(d, client, ops, out);
}

/* ---- nodes ---- */

static int
node_flag(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
	  json_object **out, enum cd_sp flag, bool value)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *ops;

	if (!name || !cd_sp_get(cd_replica_state(d), CD_SP_NODE, name)) {
		*out = cd_ipc_message("'%s' is not a node of this cluster", name ? name : "");
		return -ENOENT;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_boolean(value), flag, name);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_node_pause(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	return node_flag(d, client, args, out, CD_SP_RT_NODE_PAUSED, true);
}

int
cd_rm_ipc_node_fence(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *cfg = cd_sp_get(cd_replica_state(d), CD_SP_NODE, name);
	const struct cd_node *n;

	if (!cfg) {
		*out = cd_ipc_message("'%s' is not a node of this cluster", name ? name : "");
		return -ENOENT;
	}
	n = cd_membership_node(&d->mship, (uint32_t)json_object_get_int64(
				json_object_object_get(cfg, "id")));
	if (n && cd_membership_node_state(n) == CD_NODE_UP) {
		*out = cd_ipc_message("%s is up and running clusterd: fencing is for nodes that "
			   "are down or whose clusterd is dead; use 'node pause' to "
			   "drain it instead", name);
		return -EBUSY;
	}
	return cd_rm_fence_now(d, client, name, out);
}

int
cd_rm_ipc_node_list(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	json_object *nodes = cd_sp_get(cd_replica_state(d), CD_SP_NODES);
	json_object *roles = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLES);
	json_object *arr = json_object_new_array();

	if (nodes) {
		json_object_object_foreach(nodes, name, cfg) {
			json_object *o = json_object_new_object();
			json_object *rt = cd_sp_get(cd_replica_state(d), CD_SP_RT_NODE, name);
			json_object *owned = json_object_new_array();
			uint32_t id = (uint32_t)json_object_get_int64(json_object_object_get(cfg, "id"));
			const struct cd_node *n = cd_membership_node(&d->mship, id);

			json_object_object_add(o, "name", json_object_new_string(name));
			json_object_object_add(o, "id", json_object_new_int64(id));
			json_object_object_add(o, "state", json_object_new_string(
				cd_node_state_str(n ? cd_membership_node_state(n) : CD_NODE_DOWN)));
			json_object_object_add(o, "paused", json_object_new_boolean(
				rt && json_object_get_boolean(json_object_object_get(rt, "paused"))));
			json_object_object_add(o, "fenced", json_object_new_boolean(
				rt && json_object_get_boolean(json_object_object_get(rt, "fenced"))));
			json_object_object_add(o, "incarnation", json_object_new_int64(
				rt ? json_object_get_int64(json_object_object_get(rt, "incarnation")) : 0));
			if (roles) {
				json_object_object_foreach(roles, rname, rrt) {
					const char *owner = json_object_get_string(json_object_object_get(rrt, "owner"));

					if (owner && !strcmp(owner, name))
						json_object_array_add(owned, json_object_new_string(rname));
				}
			}
			json_object_object_add(o, "roles", owned);
			json_object_array_add(arr, o);
		}
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "nodes", arr);
	return 0;
}

/* ---- cluster LUNs ---- */

int
cd_rm_ipc_storage_add(struct cd_daemon *d, struct cd_ipc_client *client,
		      json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL), *url = cd_jstr(args, "url", NULL);
	struct cd_iscsi_url u;
	char err[256];
	json_object *ops, *cfg;

	if (cd_valid_name(CD_NAME_LUN, name, err, sizeof(err)) < 0) {
		*out = cd_ipc_message("%s", err);
		return -CD_E_BAD_VALUE;
	}
	if (!url || cd_iscsi_url_parse(url, &u, err, sizeof(err)) < 0) {
		*out = cd_ipc_message("%s", url ? err : "a LUN URL (iscsi://PORTAL/IQN/LUN) is required");
		return -CD_E_BAD_ARGS;
	}
	if (cd_sp_get(cd_replica_state(d), CD_SP_LUN, name)) {
		*out = cd_ipc_message("LUN '%s' already exists", name);
		return -EEXIST;
	}
	cfg = json_object_new_object();
	json_object_object_add(cfg, "url", json_object_new_string(url));
	ops = json_object_new_array();
	cd_sp_op(ops, "set", cfg, CD_SP_LUN, name);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_storage_remove(struct cd_daemon *d, struct cd_ipc_client *client,
			 json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *ops;

	if (!name || !cd_sp_get(cd_replica_state(d), CD_SP_LUN, name)) {
		*out = cd_ipc_message("no LUN '%s'", name ? name : "");
		return -ENOENT;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "delete", NULL, CD_SP_LUN, name);
	return submit(d, client, ops, out);
}

int
cd_rm_ipc_storage_list(struct cd_daemon *d, struct cd_ipc_client *client,
		       json_object *args, json_object **out)
{
	json_object *luns = cd_sp_get(cd_replica_state(d), CD_SP_LUNS);
	json_object *arr = json_object_new_array();

	if (luns) {
		json_object_object_foreach(luns, name, cfg) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(name));
			json_object_object_add(o, "url", json_object_get(json_object_object_get(cfg, "url")));
			json_object_array_add(arr, o);
		}
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "luns", arr);
	return 0;
}
