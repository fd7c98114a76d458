/*
 * drain-ipc.c - the drain subsystem's IPC commands and status section
 * (drain-sys.h): node-drain starts a drain (a record, the node paused),
 * node-show shows a node with its drain's progress, node-resume ends a
 * drain and says which roles fail back; the "drain" status section counts
 * each drain's roles.
 */
#include "drain-int.h"
#include "daemon.h"
#include "drain.h"
#include "jsonget.h"
#include "error.h"
#include "policy.h"
#include "state-schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct reply_ctx {
	struct cd_ipc_deferred *def;
	json_object *data;		/* the answer (owned) */
};

static void
reply_done(void *ctx, int err, const char *msg)
{
	struct reply_ctx *rc = ctx;

	cd_ipc_complete(rc->def, err ? NULL : rc->data, err, err && msg && *msg ? msg : NULL);
	json_object_put(rc->data);
	free(rc);
}

/* Submit ops (consumed) for a client, committed on a majority; the reply
 * is data (consumed) once it is. */
static int
submit(struct cd_daemon *d, struct cd_ipc_client *client, json_object *ops, json_object *data,
       json_object **out)
{
	struct reply_ctx *rc = calloc(1, sizeof(*rc));
	int err;

	if (!rc || !(rc->def = cd_ipc_defer(client))) {
		free(rc);
		json_object_put(ops);
		json_object_put(data);
		return -ENOMEM;
	}
	rc->data = data;
	err = cd_replica_submit_committed(d, ops, reply_done, rc);
	json_object_put(ops);
	if (err < 0) {
		cd_ipc_complete(rc->def, NULL, err, NULL);
		json_object_put(rc->data);
		free(rc);
		*out = NULL;
	}
	return CD_IPC_DEFERRED;
}

static json_object *
node_cfg(struct cd_daemon *d, json_object *args, const char **name, json_object **out)
{
	json_object *cfg;

	*name = cd_jstr(args, "name", NULL);
	cfg = *name ? cd_sp_get(cd_replica_state(d), CD_SP_NODE, *name) : NULL;
	if (!cfg)
		*out = cd_ipc_message("'%s' is not a node of this cluster", *name ? *name : "");
	return cfg;
}

static bool
node_up(struct cd_daemon *d, json_object *cfg)
{
	const struct cd_node *n = cd_membership_node(&d->mship, (uint32_t)cd_jint(cfg, "id", 0));

	return n && cd_membership_node_state(n) == CD_NODE_UP;
}

/*
 * node-drain {name}: record a drain of the node and pause it; the leader
 * carries it out. A drain in progress is left as it is ("already"); a
 * finished one is started again (its failed roles are tried anew).
 */
int
cd_drain_ipc_drain(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
		   json_object **out)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *cfg, *nodes, *ops, *rec, *data;
	const char *name, *state;
	int others = 0;

	if (!(cfg = node_cfg(d, args, &name, out)))
		return -ENOENT;
	if (!node_up(d, cfg)) {
		*out = cd_ipc_message("%s is not up: the roles of a lost node are recovered "
				      "by failover (after fencing), not drained", name);
		return -CD_E_BAD_ARGS;
	}
	nodes = cd_sp_get(st, CD_SP_NODES);
	json_object_object_foreach(nodes, other, ocfg) {
		if (strcmp(other, name) && node_up(d, ocfg) &&
		    !cd_jbool(cd_sp_get(st, CD_SP_RT_NODE, other), "paused", false))
			others++;
	}
	if (!others) {
		*out = cd_ipc_message("no other node is up and takes roles: draining %s would "
				      "leave its roles nowhere to go", name);
		return -CD_E_BAD_ARGS;
	}
	data = json_object_new_object();
	state = cd_sp_str(st, NULL, CD_SP_RT_NODE_DRAIN_STATE, name);
	if (state && !strcmp(state, "draining")) {
		json_object_object_add(data, "already", json_object_new_boolean(true));
		*out = data;
		return 0;
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "state", json_object_new_string("draining"));
	json_object_object_add(rec, "origin", json_object_new_string("admin"));
	json_object_object_add(rec, "started_at", json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(rec, "roles", json_object_new_object());
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_boolean(true), CD_SP_RT_NODE_PAUSED, name);
	cd_sp_op(ops, "set", rec, CD_SP_RT_NODE_DRAIN, name);
	return submit(d, client, ops, data, out);
}

/* Counts of a drain's roles: queued, moving, done, failed, and left on
 * the node without a step yet. */
static json_object *
drain_counts(struct cd_daemon *d, const char *node, json_object *rec)
{
	json_object *roles = json_object_object_get(rec, "roles");
	json_object *rt_roles = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLES);
	json_object *o = json_object_new_object();
	int64_t n[5] = { 0 }, pending = 0;

	if (roles && json_object_is_type(roles, json_type_object)) {
		json_object_object_foreach(roles, rname, rr) {
			(void)rname;
			n[cd_drain_step_parse(cd_jstr(rr, "step", ""))]++;
		}
	}
	if (rt_roles && !strcmp(cd_jstr(rec, "state", ""), "draining")) {
		json_object_object_foreach(rt_roles, rname, rrt) {
			if (!strcmp(cd_jstr(rrt, "owner", ""), node) &&
			    strcmp(cd_jstr(rrt, "state", ""), "stopped") &&
			    (!roles || !json_object_object_get_ex(roles, rname, NULL)))
				pending++;
		}
	}
	json_object_object_add(o, "state", json_object_new_string(cd_jstr(rec, "state", "")));
	json_object_object_add(o, "origin", json_object_new_string(cd_jstr(rec, "origin", "")));
	json_object_object_add(o, "started_at", json_object_new_int64(cd_jint(rec, "started_at", 0)));
	json_object_object_add(o, "left", json_object_new_int64(pending + n[CD_DSTEP_QUEUED] +
								 n[CD_DSTEP_MOVING]));
	json_object_object_add(o, "queued", json_object_new_int64(n[CD_DSTEP_QUEUED] + pending));
	json_object_object_add(o, "moving", json_object_new_int64(n[CD_DSTEP_MOVING]));
	json_object_object_add(o, "done", json_object_new_int64(n[CD_DSTEP_DONE]));
	json_object_object_add(o, "failed", json_object_new_int64(n[CD_DSTEP_FAILED]));
	return o;
}

/*
 * node-show {name}: the node (id, state, flags, incarnation, roles) and,
 * when it is or was drained, the drain: counts and each role's step, with
 * where the role runs now and its last migration's line.
 */
int
cd_drain_ipc_show(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
		  json_object **out)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *cfg, *rt, *rec, *owned, *rt_roles, *o;
	const struct cd_node *n;
	const char *name;

	(void)client;
	if (!(cfg = node_cfg(d, args, &name, out)))
		return -ENOENT;
	rt = cd_sp_get(st, CD_SP_RT_NODE, name);
	n = cd_membership_node(&d->mship, (uint32_t)cd_jint(cfg, "id", 0));
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "id", json_object_new_int64(cd_jint(cfg, "id", 0)));
	json_object_object_add(o, "state", json_object_new_string(
		cd_node_state_str(n ? cd_membership_node_state(n) : CD_NODE_DOWN)));
	json_object_object_add(o, "paused", json_object_new_boolean(cd_jbool(rt, "paused", false)));
	json_object_object_add(o, "fenced", json_object_new_boolean(cd_jbool(rt, "fenced", false)));
	json_object_object_add(o, "incarnation", json_object_new_int64(cd_jint(rt, "incarnation", 0)));
	owned = json_object_new_array();
	rt_roles = cd_sp_get(st, CD_SP_RT_ROLES);
	if (rt_roles) {
		json_object_object_foreach(rt_roles, rname, rrt) {
			if (!strcmp(cd_jstr(rrt, "owner", ""), name))
				json_object_array_add(owned, json_object_new_string(rname));
		}
	}
	json_object_object_add(o, "roles", owned);
	rec = cd_sp_get(st, CD_SP_RT_NODE_DRAIN, name);
	if (rec) {
		json_object *dr = drain_counts(d, name, rec), *list = json_object_new_array();
		json_object *roles = json_object_object_get(rec, "roles");

		if (roles && json_object_is_type(roles, json_type_object)) {
			json_object_object_foreach(roles, rname, rr) {
				json_object *e = json_object_new_object();

				json_object_object_add(e, "role", json_object_new_string(rname));
				json_object_object_foreach(rr, k, v)
					json_object_object_add(e, k, json_object_get(v));
				json_object_object_add(e, "owner", json_object_new_string(
					cd_sp_str(st, "", CD_SP_RT_ROLE_OWNER, rname)));
				json_object_object_add(e, "last_migration", json_object_new_string(
					cd_sp_str(st, "", CD_SP_RT_ROLE_LAST_MIGRATION, rname)));
				json_object_array_add(list, e);
			}
		}
		json_object_object_add(dr, "roles", list);
		json_object_object_add(o, "drain", dr);
	}
	*out = o;
	return 0;
}

/*
 * node-resume {name}: the node takes roles again and its drain record
 * ends. The answer lists the roles the drain moved away with their
 * failback policy: immediate or window bring a role back by themselves
 * (policy.h rule 8) when the node is its most preferred; the others stay.
 */
int
cd_drain_ipc_resume(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
		    json_object **out)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *cfg, *rec, *ops, *data, *list, *roles;
	const char *name;

	if (!(cfg = node_cfg(d, args, &name, out)))
		return -ENOENT;
	rec = cd_sp_get(st, CD_SP_RT_NODE_DRAIN, name);
	data = json_object_new_object();
	list = json_object_new_array();
	roles = rec ? json_object_object_get(rec, "roles") : NULL;
	if (roles && json_object_is_type(roles, json_type_object)) {
		json_object_object_foreach(roles, rname, rr) {
			json_object *rcfg = cd_sp_get(st, CD_SP_ROLE, rname), *pref, *e;
			const char *fb = cd_jstr(rcfg, "failback", "never");
			bool first = false;

			if (strcmp(cd_jstr(rr, "step", ""), "done") || !rcfg)
				continue;
			pref = json_object_object_get(rcfg, "preferred_owners");
			if (pref && json_object_is_type(pref, json_type_array) &&
			    json_object_array_length(pref))
				first = !strcmp(json_object_get_string(
					json_object_array_get_idx(pref, 0)), name);
			e = json_object_new_object();
			json_object_object_add(e, "role", json_object_new_string(rname));
			json_object_object_add(e, "on", json_object_new_string(
				cd_sp_str(st, "", CD_SP_RT_ROLE_OWNER, rname)));
			json_object_object_add(e, "failback", json_object_new_string(fb));
			json_object_object_add(e, "comes_back", json_object_new_boolean(
				first && strcmp(fb, "never")));
			json_object_array_add(list, e);
		}
	}
	json_object_object_add(data, "roles", list);
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_boolean(false), CD_SP_RT_NODE_PAUSED, name);
	if (rec)
		cd_sp_op(ops, "delete", NULL, CD_SP_RT_NODE_DRAIN, name);
	return submit(d, client, ops, data, out);
}

json_object *
cd_drain_status(struct cd_daemon *d)
{
	json_object *nodes = cd_sp_get(cd_replica_state(d), CD_SP_NODES);
	json_object *rt_roles = cd_sp_get(cd_replica_state(d), CD_SP_RT_ROLES);
	json_object *o = json_object_new_object(), *drains = json_object_new_object();
	int64_t live = 0, quick = 0;

	if (nodes) {
		json_object_object_foreach(nodes, name, cfg) {
			json_object *rec = cd_sp_get(cd_replica_state(d), CD_SP_RT_NODE_DRAIN, name);

			(void)cfg;
			if (rec)
				json_object_object_add(drains, name, drain_counts(d, name, rec));
		}
	}
	/* every migration running, for the limits (lib/drain.h A2, A3) */
	if (rt_roles) {
		json_object_object_foreach(rt_roles, rname, rrt) {
			json_object *mig = json_object_object_get(rrt, "migration");

			(void)rname;
			if (mig && json_object_is_type(mig, json_type_object)) {
				if (!strcmp(cd_jstr(mig, "type", "live"), "quick"))
					quick++;
				else
					live++;
			}
		}
	}
	json_object_object_add(o, "nodes", drains);
	json_object_object_add(o, "live_migrations", json_object_new_int64(live));
	json_object_object_add(o, "quick_migrations", json_object_new_int64(quick));
	return o;
}
