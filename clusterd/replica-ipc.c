/*
 * replica-ipc.c - the replicated state's IPC commands (config-show,
 * config-set, config-unset, config-properties, nodes-update), its part of
 * status, and its hooks entry (cd_replica_hooks).
 */
#include "replica-int.h"

static json_object *
effective_properties(struct cd_replica *r)
{
	json_object *eff = json_object_new_object();
	json_object *set = cd_sp_get(&r->state, CD_SP_PROPERTIES);
	const struct cd_prop *p;

	if (!eff)
		return NULL;
	for (p = cd_props(); p->name; p++) {
		json_object *v = NULL, *parsed = NULL;
		char err[128];

		if (set && json_object_object_get_ex(set, p->name, &v)) {
			json_object_object_add(eff, p->name, json_object_get(v));
		} else if (cd_prop_parse(p->name, p->dflt, &parsed, err, sizeof(err)) == 0) {
			json_object_object_add(eff, p->name, parsed);
		}
	}
	return eff;
}

static int
cd_replica_ipc_show(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	struct cd_replica *r = d->replica;
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "generation",
			       json_object_new_int64((int64_t)cd_state_generation(&r->state)));
	json_object_object_add(o, "syncing", json_object_new_boolean(r->syncing));
	json_object_object_add(o, "state", json_object_get(r->state.doc));
	json_object_object_add(o, "properties", effective_properties(r));
	*out = o;
	return 0;
}

static int
property_op(struct cd_daemon *d, struct cd_ipc_client *client,
	    json_object *args, json_object **out, bool set)
{
	const char *name = cd_jstr(args, "name", NULL);
	const char *text = cd_jstr(args, "value", NULL);
	json_object *ops, *value = NULL;
	char err[256];
	int rc;

	if (!name) {
		*out = cd_ipc_message("a property name is required");
		return -CD_E_BAD_ARGS;
	}
	if (set) {
		rc = cd_prop_parse(name, text, &value, err, sizeof(err));
		if (rc < 0) {
			*out = cd_ipc_message("%s", err);
			return rc;
		}
	} else if (!cd_prop_find(name)) {
		*out = cd_ipc_message("unknown property '%s' (see 'clusterctl config "
				   "properties')", name);
		return -CD_E_BAD_ARGS;
	} else if (!cd_sp_get(&d->replica->state, CD_SP_PROPERTY, name)) {
		/* Unsetting what is not set is done already. */
		*out = json_object_new_object();
		json_object_object_add(*out, "generation",
			json_object_new_int64((int64_t)cd_state_generation(&d->replica->state)));
		return 0;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, set ? "set" : "delete", value, CD_SP_PROPERTY, name);
	rc = cd_rep_submit(d->replica, client, ops, out);
	json_object_put(ops);
	return rc;
}

static int
cd_replica_ipc_set(struct cd_daemon *d, struct cd_ipc_client *client,
		   json_object *args, json_object **out)
{
	return property_op(d, client, args, out, true);
}

static int
cd_replica_ipc_unset(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	return property_op(d, client, args, out, false);
}

/* Replace the node list (clusterctl node add/remove after corosync's). */
static int
cd_replica_ipc_nodes(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	json_object *nodes, *ops;
	int rc;

	if (!json_object_object_get_ex(args, "nodes", &nodes) ||
	    !json_object_is_type(nodes, json_type_object)) {
		*out = cd_ipc_message("'nodes' must be an object {name: {id, addr}}");
		return -CD_E_BAD_ARGS;
	}
	/* A whole list that keeps every live member (state-rules.h rule 4). */
	{
		uint32_t live[CD_MAX_NODES];
		size_t i, n_live = 0;
		char why[400];

		for (i = 0; i < d->mship.n_nodes; i++) {
			if (cd_membership_node_state(&d->mship.nodes[i]) != CD_NODE_DOWN)
				live[n_live++] = d->mship.nodes[i].id;
		}
		rc = cd_rule_nodes_update(d->replica->state.doc, nodes, live, n_live, why,
					  sizeof(why));
		if (rc < 0) {
			cd_warn("state: nodes-update refused: %s", why);
			*out = cd_ipc_message("%s", why);
			return rc;
		}
	}
	ops = json_object_new_array();
	if (!ops)
		return -ENOMEM;
	cd_sp_op(ops, "set", json_object_get(nodes), CD_SP_NODES);
	if (cd_rule_nodes_update_ops(d->replica->state.doc, nodes, ops) < 0) {
		json_object_put(ops);
		return -ENOMEM;
	}
	rc = cd_rep_submit(d->replica, client, ops, out);
	json_object_put(ops);
	return rc;
}

static int
cd_replica_ipc_props(struct cd_daemon *d, struct cd_ipc_client *client,
		     json_object *args, json_object **out)
{
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "properties", cd_props_to_json());
	json_object_object_add(o, "values", effective_properties(d->replica));
	*out = o;
	return 0;
}

static json_object *
cd_replica_status(struct cd_daemon *d)
{
	struct cd_replica *r = d->replica;
	json_object *o = json_object_new_object();
	char hash[24];

	if (!o || !r)
		return o;
	snprintf(hash, sizeof(hash), "%016" PRIx64, cd_state_hash(&r->state));
	json_object_object_add(o, "generation",
			       json_object_new_int64((int64_t)cd_state_generation(&r->state)));
	json_object_object_add(o, "hash", json_object_new_string(hash));
	json_object_object_add(o, "uuid", json_object_new_string(cd_state_uuid(&r->state)));
	json_object_object_add(o, "syncing", json_object_new_boolean(r->syncing));
	json_object_object_add(o, "epoch", json_object_new_int64((int64_t)cd_state_epoch(&r->state)));
	json_object_object_add(o, "view", json_object_new_string(
		!r->classified ? "syncing" : cd_view_kind_str(r->view_kind)));
	json_object_object_add(o, "stamped", json_object_new_boolean(r->stamped));
	json_object_object_add(o, "promised_epoch", json_object_new_int64((int64_t)r->promised));
	json_object_object_add(o, "committed", json_object_new_int64((int64_t)r->committed));
	json_object_object_add(o, "saved_generation", json_object_new_int64((int64_t)r->saved_gen));
	json_object_object_add(o, "saves", json_object_new_int64((int64_t)r->saves));
	if (r->save_error[0])
		json_object_object_add(o, "save_error", json_object_new_string(r->save_error));
	return o;
}

/* ---- hooks ---- */

static const struct cd_ipc_handler replica_ipc[] = {
	{ "config-show", cd_replica_ipc_show, 0 },
	{ "config-set", cd_replica_ipc_set, CD_IPC_CHANGES },
	{ "config-unset", cd_replica_ipc_unset, CD_IPC_CHANGES },
	{ "config-properties", cd_replica_ipc_props, 0 },
	{ "nodes-update", cd_replica_ipc_nodes, CD_IPC_ROOT_ONLY | CD_IPC_CHANGES },
};

const struct cd_hooks cd_replica_hooks = {
	.name = "state",
	.status = cd_replica_status,
	.ipc = replica_ipc,
	.n_ipc = sizeof(replica_ipc) / sizeof(replica_ipc[0]),
};

