/*
 * quorum-ipc.c - quorum/ as the daemon core sees it: the "witness" section
 * of the status document, the quorum-show and quorum-set commands, and the
 * hooks that main.c registers (quorum.h).
 */
#include "quorum.h"
#include "quorum-int.h"
#include "iscsi-url.h"
#include "state-schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- status ---- */

static json_object *
witness_status(struct cd_daemon *d)
{
	struct cd_witness *w = d->witness;
	json_object *o = json_object_new_object();
	const char *health, *owner = "none";
	char ring[48];

	if (!o || !w)
		return o;
	if (!w->enabled)
		health = "disabled";
	else if (w->last.v == CD_ARB_FAILED)
		health = "failed";
	else if (w->last.v == CD_ARB_NONE || !w->copy_checked)
		health = "starting";
	else
		health = "ok";
	if (w->last.holder) {
		bool in = false;

		for (size_t i = 0; i < w->n; i++)
			in = in || w->members[i] == w->last.holder;
		owner = in ? "this partition" : "another partition";
	}
	snprintf(ring, sizeof(ring), "%" PRIu32 ".%" PRIx64, w->ring.nodeid, w->ring.seq);
	json_object_object_add(o, "mode", json_object_new_string(w->mode));
	json_object_object_add(o, "url", w->url[0] ? json_object_new_string(w->url) : NULL);
	json_object_object_add(o, "in_use", json_object_new_boolean(w->enabled));
	json_object_object_add(o, "health", json_object_new_string(health));
	json_object_object_add(o, "registered", json_object_new_boolean(w->registered));
	json_object_object_add(o, "casting", json_object_new_boolean(w->registered && w->cast));
	json_object_object_add(o, "arbitration", json_object_new_string(cd_arb_verdict_str(w->last.v)));
	json_object_object_add(o, "owner", json_object_new_string(owner));
	json_object_object_add(o, "holder", json_object_new_int64(w->last.holder));
	json_object_object_add(o, "keys", json_object_new_int64((int64_t)w->last.n_keys));
	json_object_object_add(o, "ring", json_object_new_string(ring));
	json_object_object_add(o, "detail", json_object_new_string(w->last.detail));
	json_object_object_add(o, "copy_generation",
			       json_object_new_int64((int64_t)w->last.written_gen));
	return o;
}

static int
ipc_show(struct cd_daemon *d, struct cd_ipc_client *client,
		    json_object *args, json_object **out)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *q = st ? cd_sp_get(st, CD_SP_QUORUM) : NULL;
	json_object *o = json_object_new_object();
	const struct cd_quorum_info *qi = &d->mship.quorum;
	json_object *v = json_object_new_object();

	json_object_object_add(o, "config", q ? json_object_get(q) : NULL);
	json_object_object_add(o, "nodes", json_object_new_int64(
		(int64_t)(d->witness ? cd_qdevice_configured_nodes(st) : 0)));
	json_object_object_add(v, "quorate", json_object_new_boolean(cd_membership_quorate(&d->mship)));
	json_object_object_add(v, "total_votes", json_object_new_int64(qi->total_votes));
	json_object_object_add(v, "expected_votes", json_object_new_int64(qi->expected_votes));
	json_object_object_add(v, "quorum", json_object_new_int64(qi->quorum));
	json_object_object_add(o, "votes", v);
	json_object_object_add(o, "witness", witness_status(d));
	*out = o;
	return 0;
}

static void
set_done(void *ctx, int err, const char *msg)
{
	cd_ipc_complete(ctx, NULL, err, err ? msg : NULL);
}

static int
ipc_set(struct cd_daemon *d, struct cd_ipc_client *client,
		   json_object *args, json_object **out)
{
	json_object *m = NULL, *u = NULL, *ops;
	const char *mode;
	struct cd_iscsi_url url;
	char err[128];
	struct cd_ipc_deferred *def;
	int rc;

	json_object_object_get_ex(args, "mode", &m);
	json_object_object_get_ex(args, "witness", &u);
	mode = m ? json_object_get_string(m) : NULL;
	if (!mode || (strcmp(mode, "node-majority") && strcmp(mode, "node-disk-majority") &&
		      strcmp(mode, "auto")))
		return -EINVAL;
	if (u && !json_object_is_type(u, json_type_null) &&
	    cd_iscsi_url_parse(json_object_get_string(u), &url, err, sizeof(err)) < 0)
		return -EINVAL;
	if (!strcmp(mode, "node-disk-majority") && (!u || json_object_is_type(u, json_type_null))) {
		const struct cd_state *st = cd_replica_state(d);

		if (!st || !cd_sp_get(st, CD_SP_QUORUM_WITNESS))
			return -EINVAL;
	}
	ops = json_object_new_array();
	cd_sp_op(ops, "set", json_object_new_string(mode), CD_SP_QUORUM_MODE);
	if (u)
		cd_sp_op(ops, "set", json_object_get(u), CD_SP_QUORUM_WITNESS);
	def = cd_ipc_defer(client);
	if (!def) {
		json_object_put(ops);
		return -ENOMEM;
	}
	rc = cd_replica_submit(d, ops, set_done, def);
	json_object_put(ops);
	if (rc < 0) {
		cd_ipc_complete(def, NULL, rc, "cannot change the quorum configuration");
		return CD_IPC_DEFERRED;
	}
	return CD_IPC_DEFERRED;
}

/* ---- hooks (quorum.h) ---- */

static const struct cd_ipc_handler witness_ipc[] = {
	{ "quorum-show", ipc_show, 0 },
	{ "quorum-set", ipc_set, CD_IPC_CHANGES },
};

/* A new state to copy, or a half view that may be ours to claim (S7). */
static void
wcopy_hook(struct cd_daemon *d)
{
	if (d->witness)
		cd_wcopy_sync(d->witness);
}

const struct cd_hooks cd_quorum_hooks = {
	.name = "witness",
	.quorum_filter = cd_qdevice_quorum_filter,
	.state_changed = wcopy_hook,
	.membership_changed = wcopy_hook,
	.status = witness_status,
	.ipc = witness_ipc,
	.n_ipc = sizeof(witness_ipc) / sizeof(witness_ipc[0]),
};
