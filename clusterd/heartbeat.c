/*
 * heartbeat.c - heartbeats, the self-fencing lease and stale peers (see
 * heartbeat.h; the rules L1..L5 are in lib/lease.h).
 */
#include "daemon.h"
#include "heartbeat.h"
#include "cpgmsg.h"
#include "lease.h"
#include "log.h"
#include "timeutil.h"
#include "state-schema.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct peer_seen {
	uint32_t id;
	uint64_t at_ms;		/* a message of its clusterd was delivered */
	bool stale;		/* as last reported */
};

struct cd_hb {
	struct cd_daemon *d;
	qb_loop_timer_handle timer;
	bool timer_armed;
	struct cd_lease_track track;
	uint64_t until_ms;	/* the lease ends (0: never held) */
	uint64_t renewed_ms;	/* when it was last renewed */
	bool ever_valid;
	bool failing_noted;
	bool lapse_noted;
	uint64_t lapsed_at_ms;
	uint64_t sent;
	uint64_t ticks;
	struct peer_seen peer[CD_MAX_NODES];
	size_t n_peer;
	/* peers that left: when they were last heard (L5b) */
	struct { uint32_t id; uint64_t at_ms; } left[CD_MAX_NODES];
	size_t n_left;
};

uint32_t
cd_hb_lease_ms(struct cd_daemon *d)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *props = st ? cd_sp_get(st, CD_SP_PROPERTIES) : NULL, *v;
	uint32_t ms = CD_LEASE_DEFAULT_MS;

	if (props && json_object_object_get_ex(props, "lease-ms", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 100 &&
	    json_object_get_int64(v) <= 600000)
		ms = (uint32_t)json_object_get_int64(v);
	return cd_lease_effective_ms(ms, d->totem_token_ms, d->totem_consensus_ms);
}

/* L5b: a peer leaves the group; when it was last heard is kept. */
static void
remember_left(struct cd_hb *hb, uint32_t id, uint64_t at_ms)
{
	size_t i;

	for (i = 0; i < hb->n_left && hb->left[i].id != id; i++)
		;
	if (i == hb->n_left) {
		if (hb->n_left >= CD_MAX_NODES)
			return;
		hb->n_left++;
		hb->left[i].id = id;
	}
	hb->left[i].at_ms = at_ms;
}

static struct peer_seen *
peer_get(struct cd_hb *hb, uint32_t id, bool create)
{
	size_t i;

	for (i = 0; i < hb->n_peer; i++) {
		if (hb->peer[i].id == id)
			return &hb->peer[i];
	}
	if (!create || hb->n_peer >= CD_MAX_NODES)
		return NULL;
	hb->peer[hb->n_peer].id = id;
	hb->peer[hb->n_peer].at_ms = cd_now_mono_ms();
	hb->peer[hb->n_peer].stale = false;
	return &hb->peer[hb->n_peer++];
}

/* L2 + L3: extend the lease to t0 + lease. */
static void
renew(struct cd_hb *hb, uint64_t t0)
{
	struct cd_daemon *d = hb->d;
	uint64_t until = t0 + cd_hb_lease_ms(d), now = cd_now_mono_ms();
	bool was_valid = cd_hb_lease_valid(d);
	bool was_start_ok = cd_hb_lease_start_ok(d);

	if (!cd_membership_majority(&d->mship) || !cd_replica_state(d) ||
	    !cd_replica_state(d)->doc)
		return;
	if (until <= hb->until_ms || until <= now)
		return;
	hb->until_ms = until;
	hb->renewed_ms = now;
	if (d->on_lease_renewed)
		d->on_lease_renewed(d, until);
	if (hb->failing_noted && was_valid) {
		cd_notice("lease: renewed again before it lapsed");
		hb->failing_noted = false;
		cd_hooks_lease_changed(d);
	} else if (was_valid && !was_start_ok) {
		cd_hooks_lease_changed(d);	/* L7: starts that waited may go */
	}
	if (!was_valid) {
		if (hb->lapse_noted)
			cd_notice("lease: renewed again (%" PRIu64 " ms after it lapsed)",
				  now - hb->lapsed_at_ms);
		else
			cd_info("lease: held until +%" PRIu64 " ms", until - now);
		hb->ever_valid = true;
		hb->lapse_noted = false;
		cd_hooks_lease_changed(d);
	}
}

void
cd_hb_on_heartbeat(struct cd_daemon *d, uint32_t nodeid, json_object *body)
{
	struct cd_hb *hb = d->hb;
	uint32_t conf[CD_MAX_NODES];
	size_t n;
	json_object *v;
	uint64_t t;

	if (!hb || nodeid != d->mship.local_id)
		return;
	json_object_object_get_ex(body, "t0", &v);
	n = cd_replica_configured(d, conf);
	t = cd_lease_own(&hb->track, (uint64_t)json_object_get_int64(v), nodeid, conf, n,
			 d->mship.quorum.witness_vote);
	if (t)
		renew(hb, t);
}

void
cd_hb_delivered(struct cd_daemon *d, uint32_t nodeid)
{
	struct cd_hb *hb = d->hb;
	struct peer_seen *p;
	uint32_t conf[CD_MAX_NODES];
	size_t n;
	uint64_t t;

	if (!hb)
		return;
	p = peer_get(hb, nodeid, true);
	if (p) {
		p->at_ms = cd_now_mono_ms();
		if (p->stale) {
			p->stale = false;
			cd_notice("lease: node %" PRIu32 "'s clusterd is heard again", nodeid);
			cd_hooks_lease_changed(d);
		}
	}
	if (nodeid == d->mship.local_id)
		return;
	n = cd_replica_configured(d, conf);
	t = cd_lease_heard(&hb->track, nodeid, d->mship.local_id, conf, n,
			   d->mship.quorum.witness_vote);
	if (t)
		renew(hb, t);
}

void
cd_hb_confchg(struct cd_daemon *d, const uint32_t *members, size_t n)
{
	struct cd_hb *hb = d->hb;
	size_t i, j;

	if (!hb)
		return;
	/* Forget who left; a member that just joined counts as heard now. */
	for (i = 0; i < hb->n_peer;) {
		bool in = false;

		for (j = 0; j < n; j++)
			in = in || members[j] == hb->peer[i].id;
		if (in) {
			i++;
		} else {
			remember_left(hb, hb->peer[i].id, hb->peer[i].at_ms);
			hb->peer[i] = hb->peer[--hb->n_peer];
		}
	}
	for (j = 0; j < n; j++)
		peer_get(hb, members[j], true);
}

bool
cd_hb_lease_valid(struct cd_daemon *d)
{
	return d->hb && d->hb->until_ms > cd_now_mono_ms();
}

bool
cd_hb_lease_start_ok(struct cd_daemon *d)
{
	return d->hb && d->hb->until_ms >= cd_now_mono_ms() + cd_hb_lease_ms(d) / 2;
}

bool
cd_hb_lease_lapsed(struct cd_daemon *d)
{
	return d->hb && d->hb->ever_valid && !cd_hb_lease_valid(d);
}

bool
cd_hb_lease_failing(struct cd_daemon *d)
{
	struct cd_hb *hb = d->hb;

	return hb && hb->ever_valid &&
	       cd_now_mono_ms() + cd_hb_lease_ms(d) * 3 / 8 >= hb->until_ms;
}

uint64_t
cd_hb_peer_heard_ms(struct cd_daemon *d, uint32_t nodeid)
{
	struct cd_hb *hb = d->hb;
	struct peer_seen *p = hb ? peer_get(hb, nodeid, false) : NULL;
	size_t i;

	if (p)
		return p->at_ms;
	for (i = 0; hb && i < hb->n_left; i++) {
		if (hb->left[i].id == nodeid)
			return hb->left[i].at_ms;
	}
	return 0;
}

bool
cd_hb_peer_stale(struct cd_daemon *d, uint32_t nodeid)
{
	struct peer_seen *p = d->hb ? peer_get(d->hb, nodeid, false) : NULL;

	struct peer_seen *self = d->hb ? peer_get(d->hb, d->mship.local_id, false) : NULL;
	uint64_t now = cd_now_mono_ms();
	uint32_t lease = cd_hb_lease_ms(d);

	if (!p || nodeid == d->mship.local_id)
		return false;
	/* Only while our own heartbeats come back: after a stall of this
	 * loop every peer would look silent until the queue is read. */
	if (!self || now - self->at_ms > lease / 4)
		return false;
	return cd_lease_peer_stale(p->at_ms, now, lease);
}

static void
send_heartbeat(struct cd_hb *hb)
{
	json_object *body = json_object_new_object();
	size_t len;
	void *buf;

	if (!body)
		return;
	json_object_object_add(body, "t0", json_object_new_int64((int64_t)cd_now_mono_ms()));
	buf = cd_cpg_encode(CD_CPG_HEARTBEAT, body, &len);
	json_object_put(body);
	if (!buf)
		return;
	if (cd_cs_send(hb->d, buf, len) == 0)
		hb->sent++;
	free(buf);
}

static void
check_peers(struct cd_hb *hb)
{
	size_t i;

	for (i = 0; i < hb->n_peer; i++) {
		struct peer_seen *p = &hb->peer[i];
		bool stale = cd_hb_peer_stale(hb->d, p->id);

		if (stale && !p->stale) {
			cd_warn("lease: node %" PRIu32 "'s clusterd is in the group but "
				"silent for %" PRIu64 " ms (hung or stopped): it counts as lost",
				p->id, cd_now_mono_ms() - p->at_ms);
			p->stale = true;
			cd_hooks_lease_changed(hb->d);
		}
	}
}

static void tick(void *data);

static void
arm(struct cd_hb *hb)
{
	/* L1: heartbeats every lease/8; the lease checked twice as often */
	uint32_t every = cd_hb_lease_ms(hb->d) / 16;

	hb->timer_armed = qb_loop_timer_add(hb->d->loop, QB_LOOP_HIGH,
					    (uint64_t)every * QB_TIME_NS_IN_MSEC, hb,
					    tick, &hb->timer) == 0;
	if (!hb->timer_armed)
		cd_err("lease: cannot arm the heartbeat timer");
}

static void
tick(void *data)
{
	struct cd_hb *hb = data;
	uint64_t now = cd_now_mono_ms();

	hb->timer_armed = false;
	if (++hb->ticks % 2 == 0)
		send_heartbeat(hb);
	if (cd_hb_lease_failing(hb->d) && !hb->failing_noted) {
		hb->failing_noted = true;
		cd_err("lease: not renewed for %" PRIu64 " ms (this node has not heard a "
		       "majority of the cluster): stopping the local roles before it "
		       "lapses", now - hb->renewed_ms);
		cd_hooks_lease_changed(hb->d);
	} else if (!cd_hb_lease_failing(hb->d)) {
		hb->failing_noted = false;
	}
	if (hb->ever_valid && !hb->lapse_noted && now >= hb->until_ms) {
		hb->lapse_noted = true;
		hb->lapsed_at_ms = now;
		cd_err("lease: lapsed (last renewed %" PRIu64 " ms ago: this node has not "
		       "heard a majority of the cluster); clusterd-guard kills the local "
		       "roles", now - hb->renewed_ms);
		cd_hooks_lease_changed(hb->d);
	}
	check_peers(hb);
	arm(hb);
}

static json_object *
cd_hb_status(struct cd_daemon *d)
{
	struct cd_hb *hb = d->hb;
	json_object *o = json_object_new_object();
	uint64_t now = cd_now_mono_ms();

	if (!o || !hb)
		return o;
	json_object_object_add(o, "lease_ms", json_object_new_int64(cd_hb_lease_ms(d)));
	json_object_object_add(o, "valid", json_object_new_boolean(cd_hb_lease_valid(d)));
	json_object_object_add(o, "remaining_ms", json_object_new_int64(
		hb->until_ms > now ? (int64_t)(hb->until_ms - now) : 0));
	json_object_object_add(o, "renewed_ms_ago", json_object_new_int64(
		hb->renewed_ms ? (int64_t)(now - hb->renewed_ms) : -1));
	json_object_object_add(o, "lapsed", json_object_new_boolean(cd_hb_lease_lapsed(d)));
	return o;
}

int
cd_hb_start(struct cd_daemon *d)
{
	struct cd_hb *hb = calloc(1, sizeof(*hb));

	if (!hb)
		return -ENOMEM;
	hb->d = d;
	cd_lease_track_reset(&hb->track);
	d->hb = hb;
	arm(hb);
	return 0;
}

void
cd_hb_stop(struct cd_daemon *d)
{
	struct cd_hb *hb = d->hb;

	if (!hb)
		return;
	if (hb->timer_armed)
		qb_loop_timer_del(d->loop, hb->timer);
	free(hb);
	d->hb = NULL;
}

const struct cd_hooks cd_hb_hooks = {
	.name = "lease",
	.status = cd_hb_status,
};
