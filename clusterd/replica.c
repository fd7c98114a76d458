/*
 * replica.c - the replicated cluster state on this node: persistence,
 * changes (submitting, applying in CPG total order, answering), start-up
 * and the witness copy's adoption. The synchronisation rounds and views
 * are in replica-view.c, the IPC commands and status in replica-ipc.c
 * (replica-int.h says what the three share).
 *
 * Every change is a CPG CHANGE message that all members apply in the same
 * total order; only an established view applies changes (lib/sync.h S4),
 * and members refuse alike what arrives during a sync round or in a view
 * not established (their submitters get "syncing, retry"), so no member
 * applies what another does not. The state is persisted atomically after
 * every change, then acknowledged (ACK); an administrator's change is
 * answered only once a strict majority of the configured nodes
 * acknowledged it (S5), or "unconfirmed" when the view ended first (S6).
 */
#include "replica-int.h"

#define CHANGE_TIMEOUT_MS	10000
#define PENDING_CHECK_MS	1000
#define SAVE_RETRY_MS		1000

/* ---- helpers ---- */

static void save_retry_fn(void *data);

/*
 * Save the state; only what is saved is acknowledged (S5). A failed save
 * is said once in the log and in status, and retried every SAVE_RETRY_MS.
 */
void
cd_rep_persist(struct cd_replica *r)
{
	int rc = cd_state_save(&r->state, r->path);

	r->saves++;
	if (rc < 0) {
		if (!r->save_error[0])
			cd_err("state: cannot save generation %" PRIu64 " to %s: %s; "
			       "this node does not acknowledge changes until it can "
			       "(retrying every %d ms)", cd_state_generation(&r->state),
			       r->path, strerror(-rc), SAVE_RETRY_MS);
		snprintf(r->save_error, sizeof(r->save_error), "cannot save %s: %s",
			 r->path, strerror(-rc));
		if (!r->save_armed) {
			r->save_armed = true;
			qb_loop_timer_add(r->d->loop, QB_LOOP_LOW,
					  (uint64_t)SAVE_RETRY_MS * QB_TIME_NS_IN_MSEC,
					  r, save_retry_fn, &r->save_timer);
		}
		return;
	}
	if (r->save_error[0])
		cd_notice("state: saved generation %" PRIu64 " to %s again",
			  cd_state_generation(&r->state), r->path);
	r->save_error[0] = '\0';
	r->saved_gen = cd_state_generation(&r->state);
	r->saved_epoch = cd_state_epoch(&r->state);
	if (r->promise_epoch)
		cd_rep_schedule_ack(r);
}

static void
save_retry_fn(void *data)
{
	struct cd_replica *r = data;

	r->save_armed = false;
	if (r->save_error[0] && r->state.doc)
		cd_rep_persist(r);
}

void
cd_rep_state_changed(struct cd_replica *r, const char *why)
{
	json_object *st;

	cd_rep_persist(r);
	cd_hooks_state_changed(r->d);
	st = cd_hooks_status(r->d);
	if (st) {
		json_object_object_add(st, "reason", json_object_new_string(why));
		cd_ipc_broadcast(r->d, "state", st);
		json_object_put(st);
	}
}

static struct pending_change *
find_pending(struct cd_replica *r, uint64_t req)
{
	struct pending_change *p;

	qb_list_for_each_entry(p, &r->pending, list) {
		if (p->req == req)
			return p;
	}
	return NULL;
}

void
cd_rep_finish_pending(struct pending_change *p, json_object *data, int err,
	       const char *message)
{
	qb_list_del(&p->list);
	if (p->def)
		cd_ipc_complete(p->def, data, err, message);
	else if (p->done)
		p->done(p->ctx, err, message);
	free(p);
}

void
cd_rep_fail_all_pending(struct cd_replica *r, int err, const char *message)
{
	struct pending_change *p, *tmp;

	qb_list_for_each_entry_safe(p, tmp, &r->pending, list)
		cd_rep_finish_pending(p, NULL, err, message);
}

static void
pending_timer_fn(void *data)
{
	struct cd_replica *r = data;
	struct pending_change *p, *tmp;
	uint64_t now = cd_now_mono_ms();

	r->timer_armed = false;
	qb_list_for_each_entry_safe(p, tmp, &r->pending, list) {
		if (now >= p->deadline_ms) {
			cd_warn("state: change request %" PRIu64 " not delivered "
				"within %d ms", p->req, CHANGE_TIMEOUT_MS);
			cd_rep_finish_pending(p, NULL, -ETIMEDOUT,
				       "the change was not delivered in time; "
				       "check 'clusterctl status'");
		}
	}
	if (!qb_list_empty(&r->pending)) {
		r->timer_armed = true;
		qb_loop_timer_add(r->d->loop, QB_LOOP_LOW,
				  (uint64_t)PENDING_CHECK_MS * QB_TIME_NS_IN_MSEC,
				  r, pending_timer_fn, &r->timer);
	}
}

/* ---- CPG messages ---- */

void
cd_rep_send_msg(struct cd_replica *r, enum cd_cpg_type type, json_object *body)
{
	size_t len;
	void *buf = cd_cpg_encode(type, body, &len);
	int rc;

	if (!buf) {
		cd_err("state: cannot encode %s: %s", cd_cpg_type_str(type),
		       strerror(errno));
		return;
	}
	rc = cd_cs_send(r->d, buf, len);
	if (rc < 0)
		cd_err("state: cannot send %s: %s", cd_cpg_type_str(type),
		       strerror(-rc));
	free(buf);
}

/* The configured node ids, from the state (alike on every member). */
size_t
cd_rep_configured_ids(struct cd_replica *r, uint32_t *ids)
{
	json_object *nodes = cd_sp_get(&r->state, CD_SP_NODES);
	size_t n = 0;

	if (!nodes || !json_object_is_type(nodes, json_type_object))
		return 0;
	json_object_object_foreach(nodes, name, node) {
		int64_t id = cd_jint(node, "id", 0);

		(void)name;
		if (id > 0 && id <= UINT32_MAX && n < CD_MAX_NODES)
			ids[n++] = (uint32_t)id;
	}
	return n;
}

static void
on_change(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	struct pending_change *p = NULL;
	json_object *v, *ops, *out;
	char err[256];
	uint64_t req;
	int rc;

	json_object_object_get_ex(body, "origin", &v);
	if ((uint32_t)json_object_get_int64(v) != nodeid) {
		cd_warn("state: node %" PRIu32 " sent a change claiming origin %"
			PRId64 "; ignored", nodeid, json_object_get_int64(v));
		return;
	}
	json_object_object_get_ex(body, "req", &v);
	req = (uint64_t)json_object_get_int64(v);
	json_object_object_get_ex(body, "ops", &ops);
	if (nodeid == r->d->mship.local_id)
		p = find_pending(r, req);

	if (r->syncing || !r->stamped) {
		/* S4: every member refuses alike (the view is the same for all);
		 * a majority or half view not established yet is still syncing */
		bool wait = r->syncing || (r->classified && r->view_kind != CD_VIEW_MINORITY);

		cd_info("state: change %" PRIu32 "/%" PRIu64 " refused: %s", nodeid, req,
			r->syncing ? "sync round in progress" :
			wait ? "view not established yet" : "no majority view");
		if (p)
			cd_rep_finish_pending(p, NULL, wait ? -CD_E_SYNCING : -CD_E_NOT_QUORATE,
				       wait ? NULL : "this partition does not hold a "
				       "majority of the cluster's nodes: the change was refused");
		return;
	}
	if (!r->state.doc) {
		if (p)
			cd_rep_finish_pending(p, NULL, -CD_E_STATE_INVALID,
				       "this node has no cluster state");
		return;
	}
	rc = cd_state_apply(&r->state, ops, err, sizeof(err));
	if (rc < 0) {
		cd_warn("state: change %" PRIu32 "/%" PRIu64 " rejected: %s",
			nodeid, req, err);
		if (p)
			cd_rep_finish_pending(p, NULL, rc, err);
		return;
	}
	cd_info("state: applied change %" PRIu32 "/%" PRIu64 " -> generation %"
		PRIu64, nodeid, req, cd_state_generation(&r->state));
	cd_rep_state_changed(r, "change");
	if (p && p->client) {
		/* S5: answered when a majority has it (on_ack) */
		p->applied = true;
		p->epoch = cd_state_epoch(&r->state);
		p->generation = cd_state_generation(&r->state);
	} else if (p) {
		out = json_object_new_object();
		if (out)
			json_object_object_add(out, "generation",
				json_object_new_int64((int64_t)cd_state_generation(&r->state)));
		cd_rep_finish_pending(p, out, 0, NULL);
		json_object_put(out);
	}
}

void
cd_replica_deliver(struct cd_daemon *d, uint32_t nodeid, const void *msg,
		   size_t len)
{
	struct cd_replica *r = d->replica;
	struct cd_cpg_msg m;
	int rc;

	if (!r)
		return;
	rc = cd_cpg_decode(msg, len, &m);
	if (rc < 0) {
		cd_warn("cpg: ignoring a %zu-byte message from node %" PRIu32 ": %s",
			len, nodeid, cd_strerror(rc));
		return;
	}
	switch (m.type) {
	case CD_CPG_CHANGE: on_change(r, nodeid, m.body); break;
	case CD_CPG_SYNC_OFFER: cd_rep_on_offer(r, nodeid, m.body); break;
	case CD_CPG_SYNC_STATE: cd_rep_on_state(r, nodeid, m.body); break;
	case CD_CPG_ACK: cd_rep_on_ack(r, nodeid, m.body); break;
	case CD_CPG_VIEW_CLAIM: cd_rep_on_claim(r, nodeid, m.body); break;
	case CD_CPG_WITNESS_ACK: cd_rep_on_witness_ack(r, m.body); break;
	case CD_CPG_HEARTBEAT: cd_hb_on_heartbeat(d, nodeid, m.body); break;
	case CD_CPG_EPHEMERAL: cd_ephemeral_deliver(d, nodeid, m.body); break;
	}
	/* lease.h L2: any delivered message of a peer counts */
	cd_hb_delivered(d, nodeid);
	cd_cpg_msg_clear(&m);
}

/* ---- submitting changes ---- */

/*
 * Check and send a change. On success the pending entry p (filled by the
 * caller with its way of answering) is queued and 0 returned; otherwise a
 * negative error, with *msg set to an explanation when there is one.
 */
static int
send_change(struct cd_replica *r, json_object *ops, struct pending_change *p,
	    char *msg, size_t msglen)
{
	const struct cd_membership *m = &r->d->mship;
	struct cd_state trial = { 0 };
	json_object *body;
	size_t len;
	void *buf;
	int rc;

	msg[0] = '\0';
	if (!r->state.doc) {
		snprintf(msg, msglen, "this node has no cluster configuration; "
			 "create a cluster with 'clusterctl create'");
		return -CD_E_STATE_INVALID;
	}
	if (!m->connected) {
		snprintf(msg, msglen, "corosync is not running on this node");
		return -CD_E_NO_COROSYNC;
	}
	if (!cd_membership_majority(m)) {
		snprintf(msg, msglen, "this partition is not quorate (%u of %u votes, %u "
			 "needed; clusterd runs on %zu of %zu configured nodes): changes "
			 "are refused", m->quorum.total_votes, m->quorum.expected_votes,
			 m->quorum.quorum, cd_membership_count_group(m),
			 cd_membership_count_configured(m));
		return -CD_E_NOT_QUORATE;
	}
	if (r->syncing || !r->stamped) {
		snprintf(msg, msglen, "the cluster state is synchronising after a "
			 "membership change; retry in a moment");
		return -CD_E_SYNCING;
	}
	/* Validate here for a precise error; every node re-checks on apply. */
	rc = cd_state_copy(&trial, &r->state);
	if (rc < 0)
		return rc;
	rc = cd_state_apply(&trial, ops, msg, msglen);
	cd_state_clear(&trial);
	if (rc < 0)
		return rc;

	body = json_object_new_object();
	if (!body)
		return -ENOMEM;
	p->req = ++r->next_req;
	json_object_object_add(body, "req", json_object_new_int64((int64_t)p->req));
	json_object_object_add(body, "origin", json_object_new_int64(m->local_id));
	json_object_object_add(body, "ops", json_object_get(ops));
	buf = cd_cpg_encode(CD_CPG_CHANGE, body, &len);
	json_object_put(body);
	if (!buf) {
		snprintf(msg, msglen, "the change is too large or malformed");
		return -errno;
	}
	rc = cd_cs_send(r->d, buf, len);
	free(buf);
	if (rc < 0)
		return rc;
	p->deadline_ms = cd_now_mono_ms() + CHANGE_TIMEOUT_MS;
	qb_list_add_tail(&p->list, &r->pending);
	if (!r->timer_armed) {
		r->timer_armed = true;
		qb_loop_timer_add(r->d->loop, QB_LOOP_LOW,
				  (uint64_t)PENDING_CHECK_MS * QB_TIME_NS_IN_MSEC,
				  r, pending_timer_fn, &r->timer);
	}
	return 0;
}

/* A change asked by an IPC client: answered when applied here. */
int
cd_rep_submit(struct cd_replica *r, struct cd_ipc_client *client, json_object *ops,
       json_object **out)
{
	struct pending_change *p = calloc(1, sizeof(*p));
	char msg[CD_PROTO_MSG_MAX];
	int rc;

	if (!p)
		return -ENOMEM;
	p->def = cd_ipc_defer(client);
	if (!p->def) {
		free(p);
		return -ENOMEM;
	}
	p->client = true;
	rc = send_change(r, ops, p, msg, sizeof(msg));
	if (rc < 0) {
		/* Answer through the normal path, with the explanation. */
		cd_ipc_complete(p->def, NULL, rc, msg[0] ? msg : NULL);
		free(p);
	}
	return CD_IPC_DEFERRED;
}

static int submit_internal(struct cd_daemon *d, json_object *ops,
			   cd_change_done_fn done, void *ctx, bool committed);

int
cd_replica_submit(struct cd_daemon *d, json_object *ops, cd_change_done_fn done,
		  void *ctx)
{
	return submit_internal(d, ops, done, ctx, false);
}

int
cd_replica_submit_committed(struct cd_daemon *d, json_object *ops,
			    cd_change_done_fn done, void *ctx)
{
	return submit_internal(d, ops, done, ctx, true);
}

static int
submit_internal(struct cd_daemon *d, json_object *ops, cd_change_done_fn done,
		void *ctx, bool committed)
{
	struct pending_change *p = calloc(1, sizeof(*p));
	char msg[CD_PROTO_MSG_MAX];
	int rc;

	if (!p)
		return -ENOMEM;
	p->done = done;
	p->ctx = ctx;
	p->client = committed;
	rc = send_change(d->replica, ops, p, msg, sizeof(msg));
	if (rc < 0) {
		cd_debug("state: internal change not sent: %s", msg[0] ? msg : cd_strerror(rc));
		free(p);
	}
	return rc;
}

const struct cd_state *
cd_replica_state(struct cd_daemon *d)
{
	return d->replica ? &d->replica->state : NULL;
}

bool
cd_replica_ready(struct cd_daemon *d)
{
	/* S3/S4: a restarted node acts only on a state a majority view stamped */
	return d->replica && d->replica->state.doc && !d->replica->syncing &&
	       d->replica->stamped;
}

size_t
cd_replica_configured(struct cd_daemon *d, uint32_t *ids)
{
	return d->replica ? cd_rep_configured_ids(d->replica, ids) : 0;
}

bool
cd_replica_client_changes(struct cd_daemon *d)
{
	return cd_replica_ready(d) && d->replica->view_kind == CD_VIEW_MAJORITY;
}

/* ---- start-up ---- */

/*
 * Load the persisted state, then reconcile it with clusterd.conf (written by
 * 'clusterctl create'): a state of another cluster (other uuid) is set
 * aside and a fresh generation-0 state is made from the configuration.
 */
static void
load(struct cd_replica *r, const char *conf_path)
{
	json_object *conf, *nodes = NULL;
	const char *uuid = NULL, *name = NULL;
	char err[256], aside[PATH_MAX + 32];
	int rc;

	rc = cd_state_load(&r->state, r->path, err, sizeof(err));
	if (rc == -ENOENT) {
		cd_info("state: no state file %s yet", r->path);
	} else if (rc < 0) {
		snprintf(aside, sizeof(aside), "%s.corrupt", r->path);
		cd_err("state: %s is unusable (%s); moved to %s, the cluster "
		       "will send this node the current state", r->path, err, aside);
		rename(r->path, aside);
	} else {
		cd_info("state: loaded generation %" PRIu64 " of cluster %s",
			cd_state_generation(&r->state), cd_state_cluster_name(&r->state));
	}

	conf = json_object_from_file(conf_path);
	if (!conf) {
		if (!r->state.doc)
			cd_notice("state: no %s: this node belongs to no cluster yet",
				  conf_path);
		return;
	}
	uuid = cd_jstr(conf, "uuid", NULL);
	name = cd_jstr(conf, "cluster_name", NULL);
	json_object_object_get_ex(conf, "nodes", &nodes);
	if (!uuid || !name) {
		cd_err("state: %s lacks uuid or cluster_name; ignored", conf_path);
		json_object_put(conf);
		return;
	}
	if (r->state.doc && strcmp(cd_state_uuid(&r->state), uuid) == 0) {
		json_object_put(conf);
		return;
	}
	if (r->state.doc) {
		snprintf(aside, sizeof(aside), "%s.%s", r->path, cd_state_uuid(&r->state));
		cd_notice("state: %s holds cluster %s, configuration says %s: "
			  "old state moved to %s", r->path, cd_state_uuid(&r->state),
			  uuid, aside);
		rename(r->path, aside);
		cd_state_clear(&r->state);
	}
	rc = cd_state_init(&r->state, name, uuid);
	if (rc == 0 && nodes && json_object_is_type(nodes, json_type_object)) {
		json_object *ops = json_object_new_array();
		struct cd_state trial = { 0 };

		cd_sp_op(ops, "set", json_object_get(nodes), CD_SP_NODES);
		/* Seed the node list without counting it as a change. */
		if (cd_state_copy(&trial, &r->state) == 0 &&
		    cd_state_apply(&trial, ops, err, sizeof(err)) == 0) {
			json_object_object_add(trial.doc, "generation", json_object_new_int64(0));
			cd_state_set_doc(&r->state, trial.doc, err, sizeof(err));
		} else {
			cd_err("state: nodes in %s rejected: %s", conf_path, err);
		}
		cd_state_clear(&trial);
		json_object_put(ops);
	}
	if (rc == 0) {
		cd_notice("state: new state for cluster %s (%s) from %s", name, uuid,
			  conf_path);
		cd_rep_persist(r);
	}
	json_object_put(conf);
}

int
cd_replica_start(struct cd_daemon *d)
{
	struct cd_replica *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->d = d;
	qb_list_init(&r->pending);
	snprintf(r->path, sizeof(r->path), "%s/state.json", d->state_dir);
	snprintf(r->promised_path, sizeof(r->promised_path), "%s/promised", d->state_dir);
	/* Request ids only need to be unique per origin and run. */
	r->next_req = cd_now_mono_ns() & 0xffffffffffull;
	d->replica = r;
	load(r, d->config_path);
	cd_rep_load_promise(r);
	return 0;
}

void
cd_replica_cancel_pending(struct cd_daemon *d)
{
	if (d->replica)
		cd_rep_fail_all_pending(d->replica, -ESHUTDOWN, "clusterd is stopping");
}

void
cd_replica_stop(struct cd_daemon *d)
{
	struct cd_replica *r = d->replica;

	if (!r)
		return;
	cd_rep_fail_all_pending(r, -ESHUTDOWN, "clusterd is stopping");
	if (r->timer_armed)
		qb_loop_timer_del(d->loop, r->timer);
	if (r->ack_armed)
		qb_loop_timer_del(d->loop, r->ack_timer);
	if (r->save_armed)
		qb_loop_timer_del(d->loop, r->save_timer);
	cd_ephemeral_clear();
	cd_state_clear(&r->state);
	free(r);
	d->replica = NULL;
}

/* ---- the witness copy (quorum/qdevice.c) ---- */

int
cd_replica_adopt(struct cd_daemon *d, json_object *doc, const char *why)
{
	struct cd_replica *r = d->replica;
	uint64_t before;
	char err[256];
	struct cd_state tmp = { 0 };
	int rc;

	if (!r)
		return -ENOTCONN;
	before = cd_state_generation(&r->state);
	rc = cd_state_set_doc(&tmp, doc, err, sizeof(err));
	if (rc < 0) {
		cd_err("state: %s is invalid: %s", why, err);
		return rc;
	}
	if (cd_state_epoch(&tmp) < cd_state_epoch(&r->state) ||
	    (cd_state_epoch(&tmp) == cd_state_epoch(&r->state) &&
	     cd_state_generation(&tmp) <= before)) {
		cd_state_clear(&tmp);
		return -ESTALE;
	}
	cd_state_clear(&tmp);
	rc = cd_state_set_doc(&r->state, doc, err, sizeof(err));
	if (rc < 0)
		return rc;
	cd_notice("state: adopted generation %" PRIu64 " from the %s (had %" PRIu64 ")",
		  cd_state_generation(&r->state), why, before);
	cd_rep_state_changed(r, why);
	return 0;
}
