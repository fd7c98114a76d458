/*
 * replica.c - the replicated cluster state on this node.
 *
 * Every change is a CPG CHANGE message that all members apply in the same
 * total order. After every group change the members run a synchronisation
 * round: each multicasts a SYNC_OFFER (epoch, generation, hash); once all
 * offers are in, every member computes the same winner (lib/sync.h S1)
 * and, unless all offers were equal, the winner multicasts its whole state
 * (SYNC_STATE) for everyone to adopt. A majority view then stamps the
 * state with a new epoch (S2, S3) and only a stamped view applies changes
 * (S4). CHANGE messages delivered during a round or in an unstamped view
 * are refused by every member alike (their submitters get "syncing,
 * retry"), so no member applies what another does not. The state is
 * persisted atomically after every change, then acknowledged (ACK); an
 * administrator's change is answered only once a strict majority of the
 * configured nodes acknowledged it (S5), or "unconfirmed" when the view
 * ended first (S6).
 */
#include "daemon.h"
#include "fsutil.h"
#include "jsonget.h"
#include "log.h"
#include "error.h"
#include "state.h"
#include "state-rules.h"
#include "sync.h"
#include "cpgmsg.h"
#include "proto.h"
#include "props.h"
#include "timeutil.h"
#include "heartbeat.h"
#include "ephemeral.h"
#include "state-schema.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qb/qblist.h>

#define CHANGE_TIMEOUT_MS	10000
#define PENDING_CHECK_MS	1000
#define SAVE_RETRY_MS		1000

struct pending_change {
	struct qb_list_head list;
	uint64_t req;
	struct cd_ipc_deferred *def;	/* an IPC client waits, or ... */
	cd_change_done_fn done;		/* ... an internal caller */
	void *ctx;
	uint64_t deadline_ms;
	bool client;		/* answered on commit (S5), not on apply */
	bool applied;		/* applied here as (epoch, generation) */
	uint64_t epoch;
	uint64_t generation;
};

struct cd_replica {
	struct cd_daemon *d;
	struct cd_state state;
	char path[PATH_MAX];
	bool syncing;		/* a round is in progress: changes refused */
	struct cd_sync_round round;
	uint64_t next_req;
	struct qb_list_head pending;
	qb_loop_timer_handle timer;
	bool timer_armed;
	/* the view (S2, S3) */
	uint32_t view[CD_MAX_NODES];	/* CPG members of the current view */
	size_t n_view;
	enum cd_view_kind view_kind;
	uint64_t next_epoch;	/* what this view stamps, once classified */
	bool classified;	/* its round is complete */
	bool stamped;		/* S3 done: changes apply (S4) */
	bool claim_sent;
	uint64_t view_seq;	/* counts views */
	/* S3, S4: the epoch promised in this view (0: none yet), the highest
	 * ever promised here (saved in promised_path) */
	uint64_t promise_epoch;
	uint64_t promised;
	bool promise_told;	/* half view: all promised, the hook ran (S7) */
	char promised_path[PATH_MAX];
	/* acknowledgements (S5) */
	struct cd_acks acks;
	uint64_t committed;	/* highest generation a majority made durable */
	uint64_t saved_gen;	/* durable here (in the current epoch) */
	uint64_t saved_epoch;
	uint64_t ack_sent_gen;
	bool ack_sent;
	bool ack_armed;
	qb_loop_timer_handle ack_timer;
	/* a state that could not be saved: retried, shown by status */
	char save_error[256];
	uint64_t saves;		/* state saves (each fsyncs file and folder), for status */
	bool save_armed;
	qb_loop_timer_handle save_timer;
};

static void schedule_ack(struct cd_replica *r);

/* ---- helpers ---- */


static void save_retry_fn(void *data);

/*
 * Save the state; only what is saved is acknowledged (S5). A failed save
 * is said once in the log and in status, and retried every SAVE_RETRY_MS.
 */
static void
persist(struct cd_replica *r)
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
		schedule_ack(r);
}

static void
save_retry_fn(void *data)
{
	struct cd_replica *r = data;

	r->save_armed = false;
	if (r->save_error[0] && r->state.doc)
		persist(r);
}

static void
state_changed(struct cd_replica *r, const char *why)
{
	json_object *st;

	persist(r);
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

static void
finish_pending(struct pending_change *p, json_object *data, int err,
	       const char *message)
{
	qb_list_del(&p->list);
	if (p->def)
		cd_ipc_complete(p->def, data, err, message);
	else if (p->done)
		p->done(p->ctx, err, message);
	free(p);
}

static void
fail_all_pending(struct cd_replica *r, int err, const char *message)
{
	struct pending_change *p, *tmp;

	qb_list_for_each_entry_safe(p, tmp, &r->pending, list)
		finish_pending(p, NULL, err, message);
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
			finish_pending(p, NULL, -ETIMEDOUT,
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

/* ---- synchronisation ---- */

static void
send_msg(struct cd_replica *r, enum cd_cpg_type type, json_object *body)
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

static void
send_offer(struct cd_replica *r)
{
	json_object *body = json_object_new_object();
	char hash[24];

	if (!body)
		return;
	snprintf(hash, sizeof(hash), "%016" PRIx64, cd_state_hash(&r->state));
	json_object_object_add(body, "epoch",
			       json_object_new_int64((int64_t)cd_state_epoch(&r->state)));
	json_object_object_add(body, "generation",
			       json_object_new_int64((int64_t)cd_state_generation(&r->state)));
	json_object_object_add(body, "hash", json_object_new_string(hash));
	json_object_object_add(body, "uuid", json_object_new_string(cd_state_uuid(&r->state)));
	json_object_object_add(body, "promised", json_object_new_int64((int64_t)r->promised));
	send_msg(r, CD_CPG_SYNC_OFFER, body);
	json_object_put(body);
}

/* The configured node ids, from the state (alike on every member). */
static size_t
configured_ids(struct cd_replica *r, uint32_t *ids)
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
send_ack(void *data)
{
	struct cd_replica *r = data;
	json_object *body;

	r->ack_armed = false;
	/* S3: before the view is established, the ACK is the promise */
	if (!r->promise_epoch || r->save_error[0] ||
	    r->saved_epoch != cd_state_epoch(&r->state) ||
	    r->saved_gen != cd_state_generation(&r->state) ||
	    (r->ack_sent && r->saved_gen <= r->ack_sent_gen))
		return;
	body = json_object_new_object();
	if (!body)
		return;
	json_object_object_add(body, "epoch", json_object_new_int64((int64_t)r->promise_epoch));
	json_object_object_add(body, "generation", json_object_new_int64((int64_t)r->saved_gen));
	send_msg(r, CD_CPG_ACK, body);
	json_object_put(body);
	r->ack_sent = true;
	r->ack_sent_gen = r->saved_gen;
}

/* One ACK for what a burst of deliveries made durable (cumulative). */
static void
schedule_ack(struct cd_replica *r)
{
	if (r->ack_armed)
		return;
	r->ack_armed = true;
	if (qb_loop_timer_add(r->d->loop, QB_LOOP_HIGH, 0, r, send_ack, &r->ack_timer) < 0) {
		r->ack_armed = false;
		send_ack(r);
	}
}

/* S6: changes applied in a view that ended before they committed. */
static void
fail_unconfirmed(struct cd_replica *r)
{
	struct pending_change *p, *tmp;

	qb_list_for_each_entry_safe(p, tmp, &r->pending, list) {
		if (p->client && p->applied) {
			cd_warn("state: change %" PRIu64 " (generation %" PRIu64 ") was not "
				"confirmed by a majority before the membership changed",
				p->req, p->generation);
			finish_pending(p, NULL, -CD_E_UNCONFIRMED, NULL);
		}
	}
}

/* S5: answer the client changes a majority has made durable. */
static void
complete_committed(struct cd_replica *r)
{
	struct pending_change *p, *tmp;

	qb_list_for_each_entry_safe(p, tmp, &r->pending, list) {
		json_object *out;

		if (!p->client || !p->applied || p->epoch != r->acks.epoch ||
		    p->generation > r->committed)
			continue;
		out = json_object_new_object();
		if (out)
			json_object_object_add(out, "generation",
					       json_object_new_int64((int64_t)p->generation));
		finish_pending(p, out, 0, NULL);
		json_object_put(out);
	}
}

/* S3: save "promised epoch" (write, fsync, rename, fsync the folder). */
static int
save_promise(struct cd_replica *r, uint64_t epoch)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->promised_path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%" PRIu64 "\n", epoch) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, r->promised_path) < 0)
		rc = -errno;
	if (rc == 0)
		rc = cd_fsync_dir_of(r->promised_path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static void
load_promise(struct cd_replica *r)
{
	FILE *f = fopen(r->promised_path, "r");
	unsigned long long v = 0;

	if (!f)
		return;
	if (fscanf(f, "%llu", &v) == 1)
		r->promised = v;
	fclose(f);
}

/* S3: this member promises epoch for the current view, then ACKs. */
static void
promise(struct cd_replica *r, uint64_t epoch, const char *why)
{
	int rc = epoch > r->promised ? save_promise(r, epoch) : 0;

	if (rc < 0) {
		cd_err("state: cannot save the promise of epoch %" PRIu64 " to %s: %s; "
		       "this view is not established here", epoch, r->promised_path,
		       strerror(-rc));
		return;
	}
	if (epoch > r->promised)
		r->promised = epoch;
	r->promise_epoch = epoch;
	r->promise_told = false;
	cd_acks_reset(&r->acks, epoch);
	r->committed = 0;
	r->ack_sent = false;
	cd_info("state: %s view of %zu node(s) promised epoch %" PRIu64 " (%s)",
		cd_view_kind_str(r->view_kind), r->n_view, epoch, why);
	/* the ACK says what is durable here: a state loaded at start-up or
	 * created from the configuration may not be saved yet */
	if (r->saved_gen != cd_state_generation(&r->state) ||
	    r->saved_epoch != cd_state_epoch(&r->state))
		persist(r);
	else
		schedule_ack(r);
}

/* S4: the promises (and, in a half view, the witness copy) are in. */
static void
establish(struct cd_replica *r)
{
	int rc = cd_state_set_epoch(&r->state, r->promise_epoch);

	if (rc < 0) {
		cd_err("state: cannot set epoch %" PRIu64 ": %s", r->promise_epoch, strerror(-rc));
		return;
	}
	r->stamped = true;
	cd_notice("state: %s view of %zu node(s) established epoch %" PRIu64 ", generation %"
		  PRIu64, cd_view_kind_str(r->view_kind), r->n_view, r->promise_epoch,
		  cd_state_generation(&r->state));
	persist(r);
	cd_hooks_state_changed(r->d);
}

/*
 * S7: a half view with the witness vote here claims the view for all
 * (quorum/wcopy.c calls cd_replica_claim); when all members promised, the
 * holder writes cd_replica_establish_doc() to the witness LUN and reports
 * it (cd_replica_witness_written), which establishes the view.
 */
static bool
claimable(const struct cd_replica *r)
{
	return r->classified && !r->syncing && !r->stamped && !r->claim_sent &&
	       !r->promise_epoch && r->view_kind == CD_VIEW_HALF && r->state.doc &&
	       cd_membership_quorate(&r->d->mship) && r->d->mship.quorum.witness_vote;
}

int
cd_replica_claim(struct cd_daemon *d, json_object *newer, uint64_t copy_epoch)
{
	struct cd_replica *r = d->replica;
	struct cd_state tmp = { 0 };
	json_object *body, *doc = r ? r->state.doc : NULL;
	uint64_t epoch;
	char err[256];

	if (!r || !claimable(r))
		return -EAGAIN;
	if (newer && cd_state_set_doc(&tmp, newer, err, sizeof(err)) == 0 &&
	    cd_sync_newer(cd_state_epoch(&tmp), cd_state_generation(&tmp),
			  cd_state_epoch(&r->state), cd_state_generation(&r->state)) &&
	    !strcmp(cd_state_uuid(&tmp), cd_state_uuid(&r->state))) {
		cd_notice("state: the witness copy (epoch %" PRIu64 " generation %" PRIu64
			  ") is newer than this half view's (epoch %" PRIu64 " generation %"
			  PRIu64 "): claiming with it", cd_state_epoch(&tmp),
			  cd_state_generation(&tmp), cd_state_epoch(&r->state),
			  cd_state_generation(&r->state));
		doc = newer;
	}
	cd_state_clear(&tmp);
	body = json_object_new_object();
	if (!body)
		return -ENOMEM;
	epoch = cd_sync_claim_epoch(r->next_epoch, copy_epoch);
	json_object_object_add(body, "epoch", json_object_new_int64((int64_t)epoch));
	json_object_object_add(body, "state", json_object_get(doc));
	send_msg(r, CD_CPG_VIEW_CLAIM, body);
	json_object_put(body);
	r->claim_sent = true;
	cd_info("state: half view with the witness vote here: claiming epoch %" PRIu64, epoch);
	return 0;
}

/* Half view: every member promised this view's epoch (S7). */
static bool
all_promised(const struct cd_replica *r)
{
	return r->promise_epoch && r->view_kind == CD_VIEW_HALF &&
	       cd_acks_all(&r->acks, r->view, r->n_view);
}

json_object *
cd_replica_establish_doc(struct cd_daemon *d, uint64_t *epoch)
{
	struct cd_replica *r = d->replica;
	json_object *doc = NULL;

	if (!r || r->syncing || r->stamped || !all_promised(r) || !r->state.doc)
		return NULL;
	if (json_object_deep_copy(r->state.doc, &doc, NULL) < 0 || !doc)
		return NULL;
	json_object_object_add(doc, "epoch", json_object_new_int64((int64_t)r->promise_epoch));
	*epoch = r->promise_epoch;
	return doc;
}

void
cd_replica_witness_written(struct cd_daemon *d, uint64_t epoch, uint64_t generation)
{
	struct cd_replica *r = d->replica;
	json_object *body;

	if (!r || r->syncing || !r->promise_epoch || epoch != r->promise_epoch)
		return;
	body = json_object_new_object();
	if (!body)
		return;
	json_object_object_add(body, "epoch", json_object_new_int64((int64_t)epoch));
	json_object_object_add(body, "generation", json_object_new_int64((int64_t)generation));
	send_msg(r, CD_CPG_WITNESS_ACK, body);
	json_object_put(body);
}

static void
sync_done(struct cd_replica *r, const char *how)
{
	uint32_t conf[CD_MAX_NODES];
	size_t n_conf;

	r->syncing = false;
	r->next_epoch = cd_sync_next_epoch(&r->round);
	cd_sync_round_end(&r->round);
	cd_info("state: synchronised (%s), epoch %" PRIu64 " generation %" PRIu64, how,
		cd_state_epoch(&r->state), cd_state_generation(&r->state));
	/* S2 on the state every member now holds */
	n_conf = configured_ids(r, conf);
	r->view_kind = r->state.doc ? cd_view_kind(r->view, r->n_view, conf, n_conf) :
		       CD_VIEW_MINORITY;
	r->classified = true;
	if (r->view_kind == CD_VIEW_MAJORITY)
		promise(r, r->next_epoch, "majority of the configured nodes");
	else if (r->view_kind == CD_VIEW_HALF)
		cd_info("state: half view: waits for the witness holder's claim (S7)");
	else if (r->state.doc)
		cd_notice("state: minority view (%zu of %zu configured node(s) run "
			  "clusterd here): the state is read-only", r->n_view, n_conf);
	cd_hooks_state_changed(r->d);
}

static void
send_state(struct cd_replica *r)
{
	json_object *body = json_object_new_object();

	if (!body)
		return;
	json_object_object_add(body, "to_generation",
		json_object_new_int64((int64_t)cd_state_generation(&r->state)));
	json_object_object_add(body, "state", json_object_get(r->state.doc));
	send_msg(r, CD_CPG_SYNC_STATE, body);
	json_object_put(body);
}

void
cd_replica_confchg(struct cd_daemon *d, const uint32_t *members, size_t n)
{
	struct cd_replica *r = d->replica;

	if (!r)
		return;
	fail_unconfirmed(r);
	r->syncing = true;
	r->stamped = false;
	r->classified = false;
	r->claim_sent = false;
	r->promise_epoch = 0;
	r->promise_told = false;
	r->view_seq++;
	r->n_view = n < CD_MAX_NODES ? n : CD_MAX_NODES;
	memcpy(r->view, members, r->n_view * sizeof(members[0]));
	cd_sync_round_start(&r->round, members, n);
	cd_hb_confchg(d, members, n);
	cd_debug("state: sync round with %zu member(s)", r->round.n_expected);
	send_offer(r);
}

static void
on_offer(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	struct cd_sync_offer offer = { .nodeid = nodeid };
	json_object *v;
	const char *uuid;

	offer.epoch = json_object_object_get_ex(body, "epoch", &v) ?
		      (uint64_t)json_object_get_int64(v) : 0;
	offer.promised = json_object_object_get_ex(body, "promised", &v) ?
			 (uint64_t)json_object_get_int64(v) : 0;
	json_object_object_get_ex(body, "generation", &v);
	offer.generation = (uint64_t)json_object_get_int64(v);
	json_object_object_get_ex(body, "hash", &v);
	offer.hash = strtoull(json_object_get_string(v), NULL, 16);
	json_object_object_get_ex(body, "uuid", &v);
	uuid = json_object_get_string(v);
	if (cd_state_uuid(&r->state)[0] && uuid[0] &&
	    strcmp(uuid, cd_state_uuid(&r->state)))
		cd_err("state: node %" PRIu32 " belongs to cluster %s, this node to %s",
		       nodeid, uuid, cd_state_uuid(&r->state));

	switch (cd_sync_round_offer(&r->round, &offer)) {
	case CD_SYNC_IGNORED:
	case CD_SYNC_WAITING:
		break;
	case CD_SYNC_DONE_EMPTY:
		sync_done(r, "no member has a state");
		break;
	case CD_SYNC_DONE_EQUAL:
		sync_done(r, "all members equal");
		break;
	case CD_SYNC_DONE_TRANSFER:
		cd_info("state: node %" PRIu32 " has the newest state; %s",
			r->round.winner, r->round.winner == r->d->mship.local_id ?
			"sending it" : "waiting for it");
		if (r->round.winner == r->d->mship.local_id)
			send_state(r);
		break;
	}
}

static void
on_state(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	json_object *doc;
	char err[256];
	uint64_t before = cd_state_generation(&r->state);
	int rc;

	if (!r->syncing || r->round.winner == 0 || nodeid != r->round.winner)
		return;	/* a previous round's transfer: this round decides */
	json_object_object_get_ex(body, "state", &doc);
	if (nodeid == r->d->mship.local_id) {
		sync_done(r, "sent ours");
		return;
	}
	rc = cd_state_set_doc(&r->state, doc, err, sizeof(err));
	if (rc < 0) {
		cd_err("state: node %" PRIu32 " sent an invalid state: %s", nodeid, err);
		return;
	}
	cd_notice("state: adopted epoch %" PRIu64 " generation %" PRIu64 " from node %"
		  PRIu32 " (had %" PRIu64 ")", cd_state_epoch(&r->state),
		  cd_state_generation(&r->state), nodeid, before);
	state_changed(r, "sync");
	sync_done(r, "adopted");
}

/*
 * After an ACK or a WITNESS_ACK: establish the view (S4), or tell the
 * witness holder that every member promised (S7), or move the commit point
 * (S5).
 */
static void
acks_changed(struct cd_replica *r)
{
	uint32_t conf[CD_MAX_NODES];
	size_t n_conf = configured_ids(r, conf);
	bool half = r->view_kind == CD_VIEW_HALF;
	uint64_t c;

	if (!r->promise_epoch || r->syncing)
		return;
	if (!r->stamped) {
		if (cd_acks_established(&r->acks, conf, n_conf, r->view, r->n_view, half)) {
			establish(r);
		} else if (half && !r->promise_told && all_promised(r)) {
			r->promise_told = true;
			cd_hooks_state_changed(r->d);	/* the holder writes the copy */
		}
		if (!r->stamped)
			return;
	}
	c = cd_acks_committed(&r->acks, conf, n_conf, half);
	if (c > r->committed) {
		r->committed = c;
		complete_committed(r);
	}
}

/*
 * S7: the witness holder's claim: the epoch and the state to go on from
 * (the round's, or the newer witness copy); every member takes the state
 * and promises the epoch.
 */
static void
on_claim(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	json_object *v, *doc = NULL;
	uint64_t epoch, before = cd_state_generation(&r->state);
	struct cd_state tmp = { 0 };
	char err[256] = "";

	json_object_object_get_ex(body, "epoch", &v);
	epoch = (uint64_t)json_object_get_int64(v);
	if (r->syncing || !r->classified || r->stamped || r->promise_epoch ||
	    r->view_kind != CD_VIEW_HALF || epoch < r->next_epoch)
		return;		/* an earlier view's claim */
	if (!json_object_object_get_ex(body, "state", &doc) ||
	    cd_state_set_doc(&tmp, doc, err, sizeof(err)) < 0 ||
	    strcmp(cd_state_uuid(&tmp), cd_state_uuid(&r->state))) {
		cd_err("state: node %" PRIu32 "'s claim carries an unusable state (%s); "
		       "ignored", nodeid, err[0] ? err : "no state, or another cluster's");
		cd_state_clear(&tmp);
		return;
	}
	cd_state_clear(&tmp);
	cd_info("state: node %" PRIu32 " holds the witness vote for this half view", nodeid);
	if (cd_state_set_doc(&r->state, doc, err, sizeof(err)) == 0 &&
	    cd_state_generation(&r->state) != before) {
		cd_notice("state: took generation %" PRIu64 " (had %" PRIu64 ") from the "
			  "witness copy node %" PRIu32 " claimed with",
			  cd_state_generation(&r->state), before, nodeid);
	}
	state_changed(r, "claim");
	promise(r, epoch, "half of the nodes with the witness");
}

/* S5, S7: the witness holder copied (epoch, generation) to the witness LUN. */
static void
on_witness_ack(struct cd_replica *r, json_object *body)
{
	json_object *e, *g;

	json_object_object_get_ex(body, "epoch", &e);
	json_object_object_get_ex(body, "generation", &g);
	cd_acks_note_witness(&r->acks, (uint64_t)json_object_get_int64(e),
			     (uint64_t)json_object_get_int64(g));
	acks_changed(r);
}

static void
on_ack(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	json_object *e, *g;

	json_object_object_get_ex(body, "epoch", &e);
	json_object_object_get_ex(body, "generation", &g);
	cd_acks_note(&r->acks, nodeid, (uint64_t)json_object_get_int64(e),
		     (uint64_t)json_object_get_int64(g));
	acks_changed(r);
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
			finish_pending(p, NULL, wait ? -CD_E_SYNCING : -CD_E_NOT_QUORATE,
				       wait ? NULL : "this partition does not hold a "
				       "majority of the cluster's nodes: the change was refused");
		return;
	}
	if (!r->state.doc) {
		if (p)
			finish_pending(p, NULL, -CD_E_STATE_INVALID,
				       "this node has no cluster state");
		return;
	}
	rc = cd_state_apply(&r->state, ops, err, sizeof(err));
	if (rc < 0) {
		cd_warn("state: change %" PRIu32 "/%" PRIu64 " rejected: %s",
			nodeid, req, err);
		if (p)
			finish_pending(p, NULL, rc, err);
		return;
	}
	cd_info("state: applied change %" PRIu32 "/%" PRIu64 " -> generation %"
		PRIu64, nodeid, req, cd_state_generation(&r->state));
	state_changed(r, "change");
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
		finish_pending(p, out, 0, NULL);
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
	case CD_CPG_SYNC_OFFER: on_offer(r, nodeid, m.body); break;
	case CD_CPG_SYNC_STATE: on_state(r, nodeid, m.body); break;
	case CD_CPG_ACK: on_ack(r, nodeid, m.body); break;
	case CD_CPG_VIEW_CLAIM: on_claim(r, nodeid, m.body); break;
	case CD_CPG_WITNESS_ACK: on_witness_ack(r, m.body); break;
	case CD_CPG_HEARTBEAT: cd_hb_on_heartbeat(d, nodeid, m.body); break;
	case CD_CPG_EPHEMERAL: cd_ephemeral_deliver(d, nodeid, m.body); break;
	}
	/* lease.h L2: any delivered message of a peer counts */
	cd_hb_delivered(d, nodeid);
	cd_cpg_msg_clear(&m);
}

void
cd_replica_disconnected(struct cd_daemon *d)
{
	struct cd_replica *r = d->replica;

	if (!r)
		return;
	r->syncing = false;
	r->stamped = false;
	r->classified = false;
	r->promise_epoch = 0;
	cd_sync_round_end(&r->round);
	fail_all_pending(r, -CD_E_NO_COROSYNC, NULL);
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
static int
submit(struct cd_replica *r, struct cd_ipc_client *client, json_object *ops,
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
	return d->replica ? configured_ids(d->replica, ids) : 0;
}

bool
cd_replica_client_changes(struct cd_daemon *d)
{
	return cd_replica_ready(d) && d->replica->view_kind == CD_VIEW_MAJORITY;
}

/* ---- IPC handlers ---- */

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
	rc = submit(d->replica, client, ops, out);
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
	rc = submit(d->replica, client, ops, out);
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
		persist(r);
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
	load_promise(r);
	return 0;
}

void
cd_replica_cancel_pending(struct cd_daemon *d)
{
	if (d->replica)
		fail_all_pending(d->replica, -ESHUTDOWN, "clusterd is stopping");
}

void
cd_replica_stop(struct cd_daemon *d)
{
	struct cd_replica *r = d->replica;

	if (!r)
		return;
	fail_all_pending(r, -ESHUTDOWN, "clusterd is stopping");
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
	state_changed(r, why);
	return 0;
}

/* ---- hooks ---- */

static const struct cd_ipc_handler replica_ipc[] = {
	{ "config-show", cd_replica_ipc_show, 0 },
	{ "config-set", cd_replica_ipc_set, 0 },
	{ "config-unset", cd_replica_ipc_unset, 0 },
	{ "config-properties", cd_replica_ipc_props, 0 },
	{ "nodes-update", cd_replica_ipc_nodes, CD_IPC_ROOT_ONLY },
};

const struct cd_hooks cd_replica_hooks = {
	.name = "state",
	.status = cd_replica_status,
	.ipc = replica_ipc,
	.n_ipc = sizeof(replica_ipc) / sizeof(replica_ipc[0]),
};
