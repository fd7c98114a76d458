/*
 * replica-view.c - synchronisation rounds and views (lib/sync.h S1-S7).
 *
 * After every group change the members run a round: each multicasts a
 * SYNC_OFFER (epoch, generation, hash, promised); once all offers are in,
 * every member computes the same winner (S1) and, unless all offers were
 * equal, the winner multicasts its whole state (SYNC_STATE) for everyone
 * to adopt. The view is then classified (S2): a majority view promises the
 * next epoch at once (S3: saved and fsynced before the ACK that carries
 * it), a half view waits for the witness holder's VIEW_CLAIM (S7); the
 * view is established (S4) once the promises (and, in a half view, the
 * witness copy) are in. ACKs then move the commit point (S5).
 */
#include "replica-int.h"

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
	cd_rep_send_msg(r, CD_CPG_SYNC_OFFER, body);
	json_object_put(body);
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
	cd_rep_send_msg(r, CD_CPG_ACK, body);
	json_object_put(body);
	r->ack_sent = true;
	r->ack_sent_gen = r->saved_gen;
}

/* One ACK for what a burst of deliveries made durable (cumulative). */
void
cd_rep_schedule_ack(struct cd_replica *r)
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
			cd_rep_finish_pending(p, NULL, -CD_E_UNCONFIRMED, NULL);
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
		cd_rep_finish_pending(p, out, 0, NULL);
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

void
cd_rep_load_promise(struct cd_replica *r)
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
		cd_rep_persist(r);
	else
		cd_rep_schedule_ack(r);
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
	cd_rep_persist(r);
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
	cd_rep_send_msg(r, CD_CPG_VIEW_CLAIM, body);
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
	cd_rep_send_msg(r, CD_CPG_WITNESS_ACK, body);
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
	n_conf = cd_rep_configured_ids(r, conf);
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
	cd_rep_send_msg(r, CD_CPG_SYNC_STATE, body);
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

void
cd_rep_on_offer(struct cd_replica *r, uint32_t nodeid, json_object *body)
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

void
cd_rep_on_state(struct cd_replica *r, uint32_t nodeid, json_object *body)
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
	cd_rep_state_changed(r, "sync");
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
	size_t n_conf = cd_rep_configured_ids(r, conf);
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
void
cd_rep_on_claim(struct cd_replica *r, uint32_t nodeid, json_object *body)
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
	cd_rep_state_changed(r, "claim");
	promise(r, epoch, "half of the nodes with the witness");
}

/* S5, S7: the witness holder copied (epoch, generation) to the witness LUN. */
void
cd_rep_on_witness_ack(struct cd_replica *r, json_object *body)
{
	json_object *e, *g;

	json_object_object_get_ex(body, "epoch", &e);
	json_object_object_get_ex(body, "generation", &g);
	cd_acks_note_witness(&r->acks, (uint64_t)json_object_get_int64(e),
			     (uint64_t)json_object_get_int64(g));
	acks_changed(r);
}

void
cd_rep_on_ack(struct cd_replica *r, uint32_t nodeid, json_object *body)
{
	json_object *e, *g;

	json_object_object_get_ex(body, "epoch", &e);
	json_object_object_get_ex(body, "generation", &g);
	cd_acks_note(&r->acks, nodeid, (uint64_t)json_object_get_int64(e),
		     (uint64_t)json_object_get_int64(g));
	acks_changed(r);
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
	cd_rep_fail_all_pending(r, -CD_E_NO_COROSYNC, NULL);
}
