/*
 * qdevice.c - clusterd as votequorum's quorum device "Witness" (the loop
 * side of quorum/; quorum-int.h).
 *
 * votequorum side (our own votequorum handle, not cs.c's): register the
 * device, learn the ring id from the nodelist callback, poll every
 * timeout/3 and at once on every decision. On a new ring we do NOT poll
 * until the arbitration decided (votequorum holds its sync for that poll,
 * so quorum does not blip), at most 3/4 of quorum.device.sync_timeout (rule
 * V2); then we poll with 0. Every partition but a dead holder's decides in
 * one round of disk reads (a few ms): only a member waiting for its leader
 * waits. The rounds run on the worker (wdisk-worker.c); a won vote is cast
 * until its evidence expires (V1).
 *
 * Start-up: the state copy is read before the device registers, and a newer
 * copy of our cluster is adopted (C1): no amnesia.
 *
 * clusterd's decisions do not rely on the quorate flag between a ring change
 * and votequorum's quorum callback for the new ring (lib/membership.h,
 * quorum_stale): the loser's flag is stale until its poll.
 */
#include "quorum.h"
#include "quorum-int.h"
#include "cs-error.h"
#include "log.h"
#include "timeutil.h"
#include "state-schema.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <corosync/cmap.h>

#define Q_TICK_MS	200

static void w_connect(struct cd_witness *w);
static void read_timeouts(struct cd_witness *w);
static void do_poll(struct cd_witness *w, const char *why);

/* Hand the current view to the worker (and wake it). */
void
cd_qdevice_push(struct cd_witness *w, char *state_json, uint64_t gen, uint64_t seq)
{
	const struct cd_state *st = cd_replica_state(w->d);
	struct cd_wdisk_input *in = &w->in;
	struct votequorum_info info;
	uint32_t quorum = 0, dv = 1;
	char host[128] = "node";

	if (w->vq_up && cd_cs_err(votequorum_getinfo(w->vq, 0, &info)) == 0) {
		quorum = info.quorum;
		dv = info.qdevice_votes;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '-';
	in->enabled = w->enabled;
	snprintf(in->url, sizeof(in->url), "%s", w->url);
	snprintf(in->initiator, sizeof(in->initiator), "iqn.2026-11.org.clusterd:%s.witness", host);
	in->local = w->d->mship.local_id;
	in->ring_node = w->ring.nodeid;
	in->ring_seq = w->ring.seq;
	memcpy(in->members, w->members, sizeof(w->members));
	in->n = w->n;
	in->can_win = cd_arb_can_win(w->n, dv, quorum);
	in->want_copy = !w->copy_checked;
	snprintf(in->uuid, sizeof(in->uuid), "%s", st ? cd_state_uuid(st) : "");
	cd_wdisk_push(w->wd, in, state_json, gen, seq);
}

static void
do_poll(struct cd_witness *w, const char *why)
{
	cs_error_t err;
	int rc;

	if (!w->vq_up || !w->registered || !w->have_ring)
		return;
	err = votequorum_qdevice_poll(w->vq, CD_QDEVICE_NAME, w->cast ? 1 : 0, w->ring);
	rc = cd_cs_err(err);
	w->last_poll_ms = cd_now_mono_ms();
	if (rc == -EINVAL)	/* CS_ERR_MESSAGE_ERROR: a stale ring id */
		cd_debug("witness: poll with a stale ring id (%s)", why);
	else if (rc < 0)
		cd_warn("witness: votequorum poll failed: %s", cd_cs_strerror(err));
	else
		cd_debug("witness: polled cast=%d ring %" PRIu32 ".%" PRIx64 " (%s)",
			 w->cast, w->ring.nodeid, w->ring.seq, why);
}

static void
set_cast(struct cd_witness *w, bool cast, const char *why)
{
	if (w->cast != cast || !w->decided)
		cd_notice("witness: %s the witness vote for ring %" PRIu32 ".%" PRIx64
			  " (%s) %" PRIu64 " ms after the ring change", cast ? "casting" :
			  "not casting", w->ring.nodeid, w->ring.seq, why,
			  cd_now_mono_ms() - w->ring_ms);
	w->cast = cast;
	w->decided = true;
	if (w->deadline_armed) {
		qb_loop_timer_del(w->d->loop, w->deadline);
		w->deadline_armed = false;
	}
	do_poll(w, why);
}

/*
 * V1 (arbiter.h): the vote rests on evidence that expires; when no newer
 * result renewed it by then, stop casting. This bounds how long a node
 * whose witness I/O hangs keeps the vote, below the CD_ARB_LEASE_MS after
 * which another partition may take the witness over.
 */
static void
expiry_fn(void *data)
{
	struct cd_witness *w = data;

	w->expiry_armed = false;
	if (w->registered && w->cast && cd_now_mono_ms() >= w->valid_ms) {
		cd_warn("witness: the witness vote was not renewed within %d ms", CD_ARB_VALID_MS);
		set_cast(w, false, "witness vote not renewed in time");
	}
}

static void
arm_expiry(struct cd_witness *w, uint64_t valid_ms)
{
	uint64_t now = cd_now_mono_ms();

	w->valid_ms = valid_ms;
	if (w->expiry_armed)
		qb_loop_timer_del(w->d->loop, w->expiry);
	w->expiry_armed = qb_loop_timer_add(w->d->loop, QB_LOOP_HIGH,
					    (valid_ms > now ? valid_ms - now : 0) *
					    QB_TIME_NS_IN_MSEC, w, expiry_fn, &w->expiry) == 0;
}

static void
deadline_fn(void *data)
{
	struct cd_witness *w = data;

	w->deadline_armed = false;
	if (!w->decided) {
		cd_warn("witness: no arbitration result within %u ms of the ring change",
			w->sync_timeout_ms * 3 / 4);
		set_cast(w, false, "arbitration timed out");
	}
}

/* C1 (arbiter.h): the start-up read of the witness copy. */
static void
adopt_copy(struct cd_witness *w, const struct cd_wdisk_output *o)
{
	const struct cd_state *st = cd_replica_state(w->d);
	uint64_t mine = st ? cd_state_generation(st) : 0;
	const char *uuid = st ? cd_state_uuid(st) : "";
	json_object *doc;

	w->copy_checked = true;
	switch (cd_arb_copy(o->copy_json != NULL, o->copy_uuid, o->copy_gen, uuid, mine)) {
	case CD_ARB_COPY_NONE:
		cd_info("witness: no valid state copy on the witness");
		return;
	case CD_ARB_COPY_FOREIGN:
		cd_warn("witness: the copy on the witness belongs to cluster %s, not ours (%s);"
			" ignored", o->copy_uuid, uuid);
		return;
	case CD_ARB_COPY_OLD:
		cd_info("witness: witness copy has generation %" PRIu64 ", ours %" PRIu64,
			o->copy_gen, mine);
		return;
	case CD_ARB_COPY_ADOPT:
		break;
	}
	doc = json_tokener_parse(o->copy_json);
	if (!doc || cd_replica_adopt(w->d, doc, "witness copy") < 0)
		cd_err("witness: cannot adopt the witness copy (generation %" PRIu64 ")",
		       o->copy_gen);
	json_object_put(doc);
}

static void
try_register(struct cd_witness *w)
{
	cs_error_t err;
	int rc;

	if (!w->vq_up || w->registered || !w->enabled || !w->copy_checked)
		return;
	read_timeouts(w);
	err = votequorum_qdevice_register(w->vq, CD_QDEVICE_NAME);
	rc = cd_cs_err(err);
	if (rc < 0 && rc != -EEXIST) {
		cd_warn("witness: cannot register the quorum device: %s", cd_cs_strerror(err));
		return;
	}
	if (rc == -EEXIST)
		cd_warn("witness: votequorum reports a device already registered; polling as %s",
			CD_QDEVICE_NAME);
	w->registered = true;
	cd_notice("witness: registered as votequorum device %s (timeout %u ms, sync %u ms)",
		  CD_QDEVICE_NAME, w->timeout_ms, w->sync_timeout_ms);
	w->decided = false;
	cd_qdevice_push(w, NULL, 0, 0);
}

static void
unregister(struct cd_witness *w)
{
	if (!w->registered)
		return;
	if (w->vq_up) {
		/* best effort: the device goes with our votequorum handle anyway */
		(void)cd_cs_err(votequorum_qdevice_poll(w->vq, CD_QDEVICE_NAME, 0, w->ring));
		(void)cd_cs_err(votequorum_qdevice_unregister(w->vq, CD_QDEVICE_NAME));
	}
	w->registered = false;
	w->cast = false;
	cd_notice("witness: unregistered the quorum device");
}

static int32_t
on_result(int32_t fd, int32_t revents, void *data)
{
	struct cd_witness *w = data;
	struct cd_wdisk_output o;

	if (!cd_wdisk_take(w->wd, &o))
		return 0;

	if (o.copy_done && !w->copy_checked) {
		adopt_copy(w, &o);
		try_register(w);
	}
	cd_wcopy_result(w, &o);
	free(o.copy_json);
	o.copy_json = NULL;
	if (o.v != w->logged_v) {
		if (o.v == CD_ARB_FAILED)
			cd_err("witness: FAILED: %s (node majority still applies)", o.detail);
		else if (w->logged_v == CD_ARB_FAILED)
			cd_notice("witness: reachable again (%s)", o.detail);
		w->logged_v = o.v;
	}
	w->last = o;
	if (!w->registered || !w->have_ring || o.ring_seq != w->ring.seq ||
	    o.ring_node != w->ring.nodeid)
		return 0;
	if (o.v == CD_ARB_PENDING)
		return 0;
	if (o.v == CD_ARB_WIN) {
		if (o.valid_ms <= cd_now_mono_ms())
			return 0;	/* V1: evidence already too old: wait for the next round */
		arm_expiry(w, o.valid_ms);
	}
	if (!w->decided || w->cast != (o.v == CD_ARB_WIN))
		set_cast(w, o.v == CD_ARB_WIN, o.detail);
	cd_wcopy_sync(w);
	return 0;
}

bool
cd_qdevice_vote_backed(struct cd_daemon *d)
{
	struct cd_witness *w = d->witness;
	const struct cd_membership *m = &d->mship;

	return w && w->registered && w->decided && w->cast && w->have_ring &&
	       w->ring.nodeid == m->ring_node && w->ring.seq == m->ring_seq;
}

static bool
guard_quorum(struct cd_daemon *d, bool quorate, bool counted,
	     unsigned int total_votes, unsigned int qdevice_votes,
	     unsigned int quorum)
{
	struct cd_witness *w = d->witness;
	const struct cd_membership *m = &d->mship;
	bool backed, q;

	if (!w || !counted)
		return quorate;
	/* our vote, cast for the ring votequorum is in */
	backed = w->registered && w->decided && w->cast && w->have_ring &&
		 w->ring.nodeid == m->ring_node && w->ring.seq == m->ring_seq;
	if (backed)
		return quorate;
	q = cd_quorum_without_unbacked_vote(quorate, counted, false, total_votes,
					    qdevice_votes, quorum);
	if (q != quorate)
		cd_warn("witness: votequorum counts a witness vote this node is not casting "
			"(ring %" PRIu32 ".%" PRIx64 ", %u of %u votes with it): not quorate; "
			"withdrawing it", m->ring_node, m->ring_seq, total_votes, quorum);
	/* decided for this ring: say it again, so votequorum drops the vote */
	if (w->registered && w->decided)
		do_poll(w, "withdraw a vote counted without us");
	return q;
}

/* The quorum filter hook (hooks.h; rules M1 and V3). */
void
cd_qdevice_quorum_filter(struct cd_daemon *d, struct cd_quorum_info *q, const struct cd_vote_info *v,
	      bool settle)
{
	if (settle)
		q->quorate = guard_quorum(d, q->quorate, v->device_vote_counted, v->total_votes,
					  v->qdevice_votes, v->quorum);
	q->witness_vote = v->device_vote_counted && cd_qdevice_vote_backed(d);
}

/* ---- votequorum callbacks ---- */

static void
vq_nodelist(votequorum_handle_t h, uint64_t ctx, votequorum_ring_id_t ring,
	    uint32_t n, uint32_t ids[])
{
	struct cd_witness *w = NULL;

	votequorum_context_get(h, (void **)&w);
	w->ring = ring;
	w->have_ring = true;
	w->n = 0;
	for (uint32_t i = 0; i < n && w->n < CD_MAX_NODES; i++) {
		if (ids[i] != VOTEQUORUM_QDEVICE_NODEID)
			w->members[w->n++] = ids[i];
	}
	w->ring_ms = cd_now_mono_ms();
	w->decided = false;
	cd_debug("witness: ring %" PRIu32 ".%" PRIx64 " with %zu member(s)", ring.nodeid,
		 ring.seq, w->n);
	if (w->deadline_armed)
		qb_loop_timer_del(w->d->loop, w->deadline);
	w->deadline_armed = false;
	if (w->registered) {
		read_timeouts(w);
		qb_loop_timer_add(w->d->loop, QB_LOOP_HIGH,
				  (uint64_t)w->sync_timeout_ms * 3 / 4 * QB_TIME_NS_IN_MSEC,
				  w, deadline_fn, &w->deadline);
		w->deadline_armed = true;
	}
	cd_qdevice_push(w, NULL, 0, 0);
}

static void
vq_quorum(votequorum_handle_t h, uint64_t ctx, uint32_t quorate, uint32_t n,
	  votequorum_node_t nodes[])
{
}

static void
vq_disconnect(struct cd_witness *w)
{
	if (w->vq_fd >= 0)
		qb_loop_poll_del(w->d->loop, w->vq_fd);
	w->vq_fd = -1;
	if (w->vq)
		votequorum_finalize(w->vq);
	w->vq = 0;
	w->vq_up = false;
	w->registered = false;
	w->have_ring = false;
}

static int32_t
vq_dispatch(int32_t fd, int32_t revents, void *data)
{
	struct cd_witness *w = data;
	cs_error_t err = votequorum_dispatch(w->vq, CS_DISPATCH_ALL);
	int rc = cd_cs_err(err);

	if ((rc < 0 && rc != -EAGAIN) ||
	    (revents & (POLLHUP | POLLERR | POLLNVAL))) {
		cd_warn("witness: votequorum connection lost (%s)", cd_cs_strerror(err));
		w->vq_fd = -1;	/* libqb drops the fd when we return -1 */
		vq_disconnect(w);
		return -1;
	}
	return 0;
}

static uint32_t
cmap_u32(cmap_handle_t c, const char *key, uint32_t def)
{
	uint32_t v;

	return cd_cs_err(cmap_get_uint32(c, key, &v)) == 0 ? v : def;
}

/* quorum.device timeouts (they change when corosync.conf is reloaded). */
static void
read_timeouts(struct cd_witness *w)
{
	cmap_handle_t c;

	if (cd_cs_err(cmap_initialize(&c)) < 0)
		return;
	w->timeout_ms = cmap_u32(c, "quorum.device.timeout",
				 VOTEQUORUM_QDEVICE_DEFAULT_TIMEOUT);
	w->sync_timeout_ms = cmap_u32(c, "quorum.device.sync_timeout",
				      VOTEQUORUM_QDEVICE_DEFAULT_SYNC_TIMEOUT);
	cmap_finalize(c);
}

static void
w_connect(struct cd_witness *w)
{
	votequorum_callbacks_t cbs = {
		.votequorum_quorum_notify_fn = vq_quorum,
		.votequorum_nodelist_notify_fn = vq_nodelist,
	};

	if (w->vq_up || w->stopping)
		return;
	read_timeouts(w);
	if (cd_cs_err(votequorum_initialize(&w->vq, &cbs)) < 0) {
		w->vq = 0;
		return;
	}
	votequorum_context_set(w->vq, w);
	votequorum_fd_get(w->vq, &w->vq_fd);
	if (cd_cs_err(votequorum_trackstart(w->vq, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES)) < 0 ||
	    qb_loop_poll_add(w->d->loop, QB_LOOP_HIGH, w->vq_fd, POLLIN | POLLPRI, w,
			     vq_dispatch) != 0) {
		vq_disconnect(w);
		return;
	}
	w->vq_up = true;
	cd_info("witness: votequorum connected (device timeout %u ms, sync_timeout %u ms)",
		w->timeout_ms, w->sync_timeout_ms);
	try_register(w);
}

/* ---- configuration: config.quorum of the replicated state ---- */

size_t
cd_qdevice_configured_nodes(const struct cd_state *st)
{
	json_object *nodes = st ? cd_sp_get(st, CD_SP_NODES) : NULL;

	if (nodes && json_object_is_type(nodes, json_type_object))
		return (size_t)json_object_object_length(nodes);
	return 0;
}


static void
read_config(struct cd_witness *w)
{
	const struct cd_state *st = cd_replica_state(w->d);
	json_object *m = st ? cd_sp_get(st, CD_SP_QUORUM_MODE) : NULL;
	json_object *u = st ? cd_sp_get(st, CD_SP_QUORUM_WITNESS) : NULL;
	const char *mode = m ? json_object_get_string(m) : "auto";
	const char *url = u ? json_object_get_string(u) : "";
	bool en = cd_witness_wanted(mode, url, cd_qdevice_configured_nodes(st));

	if (en == w->enabled && !strcmp(mode, w->mode) && !strcmp(url, w->url))
		return;
	cd_notice("witness: quorum mode %s, witness %s: %s", mode, url[0] ? url : "none",
		  en ? "disk witness in use" : "node majority only");
	snprintf(w->mode, sizeof(w->mode), "%s", mode);
	snprintf(w->url, sizeof(w->url), "%s", url);
	w->enabled = en;
	if (!en)
		unregister(w);
	cd_qdevice_push(w, NULL, 0, 0);
	try_register(w);
}

/*
 * votequorum sends no quorum callback when only the vote counts change (the
 * device starts or stops casting, expected votes grow with the device): keep
 * the numbers shown by status current. The quorate flag is not touched.
 */
static void
refresh_votes(struct cd_witness *w)
{
	struct cd_membership *m = &w->d->mship;
	struct votequorum_info info;
	struct cd_quorum_info q;

	if (!w->vq_up || !m->connected || m->quorum_stale ||
	    cd_cs_err(votequorum_getinfo(w->vq, 0, &info)) < 0)
		return;
	q = m->quorum;
	q.node_votes = info.node_votes;
	q.expected_votes = info.node_expected_votes;
	q.total_votes = info.total_votes;
	q.quorum = info.quorum;
	q.witness_vote = (info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE) &&
			 cd_qdevice_vote_backed(w->d);
	if (cd_membership_set_quorum(m, &q) > 0)
		cd_hooks_membership_changed(w->d, "votes");
}

static void
tick_fn(void *data)
{
	struct cd_witness *w = data;
	uint64_t now = cd_now_mono_ms();

	read_config(w);
	refresh_votes(w);
	if (w->in.local != w->d->mship.local_id)	/* corosync connected after our start */
		cd_qdevice_push(w, NULL, 0, 0);
	if (!w->vq_up)
		w_connect(w);
	if (w->registered && w->decided && now - w->last_poll_ms >= w->timeout_ms / 3)
		do_poll(w, "periodic");
	/* The holder (a registrant: it may write) keeps the state copy current. */
	cd_wcopy_sync(w);
	qb_loop_timer_add(w->d->loop, QB_LOOP_LOW, (uint64_t)Q_TICK_MS * QB_TIME_NS_IN_MSEC,
			  w, tick_fn, &w->tick);
}

int
cd_quorum_start(struct cd_daemon *d)
{
	struct cd_witness *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->d = d;
	w->vq_fd = -1;
	w->timeout_ms = VOTEQUORUM_QDEVICE_DEFAULT_TIMEOUT;
	w->sync_timeout_ms = VOTEQUORUM_QDEVICE_DEFAULT_SYNC_TIMEOUT;
	w->wd = cd_wdisk_start();
	if (!w->wd) {
		int rc = -errno;

		free(w);
		return rc;
	}
	qb_loop_poll_add(d->loop, QB_LOOP_HIGH, cd_wdisk_fd(w->wd), POLLIN, w, on_result);
	d->witness = w;
	tick_fn(w);
	return 0;
}

void
cd_quorum_stop(struct cd_daemon *d)
{
	struct cd_witness *w = d->witness;

	if (!w)
		return;
	w->stopping = true;
	unregister(w);
	vq_disconnect(w);
	qb_loop_timer_del(d->loop, w->tick);
	if (w->deadline_armed)
		qb_loop_timer_del(d->loop, w->deadline);
	if (w->expiry_armed)
		qb_loop_timer_del(d->loop, w->expiry);
	qb_loop_poll_del(d->loop, cd_wdisk_fd(w->wd));
	cd_wdisk_stop(w->wd);
	cd_wcopy_free(w);
	free(w->last.copy_json);
	free(w);
	d->witness = NULL;
}
