/*
 * cs.c - clusterd's connections to corosync: cmap (cluster name, the
 * nodelist), votequorum (ring membership and quorum) and cpg (the
 * clusterd process group). Feeds struct cd_membership.
 *
 * Behaviour when corosync goes away: any error or hang-up on one of the
 * three connections closes all of them, marks the membership disconnected
 * (no quorum, no leader) and retries every CD_RECONNECT_MS. When corosync
 * is back, clusterd reconnects and rejoins the group by itself.
 */
#include "daemon.h"
#include "log.h"
#include "cs-error.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <corosync/cmap.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>
#include <qb/qblist.h>
#include <sys/uio.h>

#define CS_SEND_RETRY_MS 5

struct send_item {
	struct qb_list_head list;
	size_t len;
	char data[];
};

struct cd_cs {
	struct cd_daemon *d;
	cmap_handle_t cmap;
	votequorum_handle_t vq;
	cpg_handle_t cpg;
	int cmap_fd, vq_fd, cpg_fd;
	cmap_track_handle_t nodelist_track;
	bool connected;
	bool stopping;
	bool warned_down;	/* log "corosync not running" only once */
	qb_loop_timer_handle retry_timer;
	bool retry_pending;
	struct qb_list_head sendq;	/* messages waiting for flow control */
	qb_loop_timer_handle send_timer;
	bool send_pending;
};

static void cs_disconnect(struct cd_cs *cs, const char *why);
static void schedule_retry(struct cd_cs *cs);

/* ---- cmap: cluster name and nodelist ---- */

static char *
cmap_str(cmap_handle_t h, const char *key)
{
	char *val = NULL;

	if (cmap_get_string(h, key, &val) != CS_OK)
		return NULL;
	return val;	/* malloc'd by libcmap */
}

/*
 * corosync's token timeout and consensus as in force (runtime.config):
 * while a lost node is detected and the ring re-formed, nothing is
 * delivered on any node, so the self-fencing lease must outlast them
 * (heartbeat.c, lease.h L7).
 */
static void
load_totem(struct cd_cs *cs)
{
	uint32_t token = 0, consensus = 0;

	if (cmap_get_uint32(cs->cmap, "runtime.config.totem.token", &token) != CS_OK)
		token = 0;
	if (cmap_get_uint32(cs->cmap, "runtime.config.totem.consensus", &consensus) != CS_OK)
		consensus = 0;
	cs->d->totem_token_ms = token;
	cs->d->totem_consensus_ms = consensus;
	cd_info("corosync: token %" PRIu32 " ms, consensus %" PRIu32 " ms", token, consensus);
}

static int
load_nodelist(struct cd_cs *cs)
{
	struct cd_membership *m = &cs->d->mship;
	struct cd_nodelist_entry entries[CD_MAX_NODES];
	char *names[CD_MAX_NODES] = { 0 }, *addrs[CD_MAX_NODES] = { 0 };
	char key[CMAP_KEYNAME_MAXLEN];
	char *cname;
	size_t n = 0, i;
	int rc, idx;

	cname = cmap_str(cs->cmap, "totem.cluster_name");
	snprintf(m->cluster_name, sizeof(m->cluster_name), "%s",
		 cname ? cname : "");
	free(cname);

	for (idx = 0; n < CD_MAX_NODES; idx++) {
		uint32_t id;

		snprintf(key, sizeof(key), "nodelist.node.%d.nodeid", idx);
		if (cmap_get_uint32(cs->cmap, key, &id) != CS_OK)
			break;
		snprintf(key, sizeof(key), "nodelist.node.%d.name", idx);
		names[n] = cmap_str(cs->cmap, key);
		snprintf(key, sizeof(key), "nodelist.node.%d.ring0_addr", idx);
		addrs[n] = cmap_str(cs->cmap, key);
		entries[n].id = id;
		entries[n].name = names[n];
		entries[n].addr = addrs[n];
		n++;
	}
	rc = cd_membership_set_nodelist(m, entries, n);
	if (rc < 0)
		cd_err("corosync nodelist rejected (%zu nodes): %s", n,
		       strerror(-rc));
	for (i = 0; i < n; i++) {
		free(names[i]);
		free(addrs[i]);
	}
	return rc;
}

static void
nodelist_changed(cmap_handle_t h, cmap_track_handle_t th, int32_t event,
		 const char *key, struct cmap_notify_value new_val,
		 struct cmap_notify_value old_val, void *user_data)
{
	struct cd_cs *cs = user_data;

	cd_debug("cmap: %s changed", key);
	if (load_nodelist(cs) > 0)
		cd_hooks_membership_changed(cs->d, "nodelist");
}

/* ---- votequorum: ring membership and quorum ---- */

static void
refresh_quorum(struct cd_cs *cs, bool quorate, bool settle)
{
	struct votequorum_info info;
	struct cd_quorum_info q = { .quorate = quorate };
	struct cd_vote_info v = { 0 };
	cs_error_t err;

	err = votequorum_getinfo(cs->vq, 0, &info);
	if (err == CS_OK) {
		q.node_votes = info.node_votes;
		q.expected_votes = info.node_expected_votes;
		q.total_votes = info.total_votes;
		q.quorum = info.quorum;
		v.device_vote_counted = info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE;
		v.total_votes = info.total_votes;
		v.qdevice_votes = info.qdevice_votes;
		v.quorum = info.quorum;
		/* The quorum device's owner vouches for the device vote (rule M1,
		 * membership.h) and, for votequorum's own verdict on a ring, does
		 * not let a vote it does not cast make us quorate (hooks.h). */
		cd_hooks_quorum_filter(cs->d, &q, &v, settle);
	} else {
		cd_warn("votequorum: getinfo failed: %s", cd_cs_strerror(err));
	}
	/* | not ||: settle even when the numbers did not change */
	if ((cd_membership_set_quorum(&cs->d->mship, &q) > 0) |
	    (settle && cd_membership_quorum_settled(&cs->d->mship) > 0))
		cd_hooks_membership_changed(cs->d, "quorum");
}

static void
vq_quorum_notify(votequorum_handle_t h, uint64_t context, uint32_t quorate,
		 uint32_t n, votequorum_node_t nodes[])
{
	struct cd_cs *cs = NULL;

	votequorum_context_get(h, (void **)&cs);
	cd_debug("votequorum: quorum callback: quorate=%" PRIu32 " entries=%" PRIu32,
		 quorate, n);
	refresh_quorum(cs, quorate != 0, true);
}

static void
vq_nodelist_notify(votequorum_handle_t h, uint64_t context,
		   votequorum_ring_id_t ring, uint32_t n, uint32_t ids[])
{
	struct cd_cs *cs = NULL;
	int rc;

	votequorum_context_get(h, (void **)&cs);
	cd_debug("votequorum: ring %" PRIu32 ".%" PRIx64 " with %" PRIu32 " members",
		 ring.nodeid, ring.seq, n);
	rc = cd_membership_set_ring(&cs->d->mship, ring.nodeid, ring.seq, ids, n);
	if (rc < 0)
		cd_err("votequorum: ring membership rejected: %s", strerror(-rc));
	else if (rc > 0)
		cd_hooks_membership_changed(cs->d, "ring");
}

static void
vq_expected_notify(votequorum_handle_t h, uint64_t context, uint32_t expected)
{
	struct cd_cs *cs = NULL;

	votequorum_context_get(h, (void **)&cs);
	refresh_quorum(cs, cs->d->mship.quorum.quorate, false);
}

/* ---- cpg: the clusterd process group ---- */

static const char *
cpg_reason_str(uint32_t reason)
{
	switch (reason) {
	case CPG_REASON_JOIN: return "joined";
	case CPG_REASON_LEAVE: return "left";
	case CPG_REASON_NODEDOWN: return "node down";
	case CPG_REASON_NODEUP: return "node up";
	case CPG_REASON_PROCDOWN: return "process down";
	default: return "unknown";
	}
}

static void
cpg_confchg(cpg_handle_t h, const struct cpg_name *group,
	    const struct cpg_address *members, size_t n_members,
	    const struct cpg_address *left, size_t n_left,
	    const struct cpg_address *joined, size_t n_joined)
{
	struct cd_cs *cs = NULL;
	uint32_t ids[CD_MAX_NODES];
	size_t i, n = 0;
	int rc;

	cpg_context_get(h, (void **)&cs);
	for (i = 0; i < n_left + n_joined; i++) {
		const struct cpg_address *a = i < n_left ? &left[i] : &joined[i - n_left];
		const struct cd_node *node = cd_membership_node(&cs->d->mship, a->nodeid);
		bool in_ring = node && node->ring_member;

		cd_info("cpg: clusterd on node %" PRIu32 " (pid %" PRIu32 ") %s",
			a->nodeid, a->pid, cpg_reason_str(a->reason));
		/*
		 * CPG delivers a node coming or going before votequorum delivers
		 * the new ring and (after the sync) its quorum: until then the
		 * quorum we know is the old ring's (cd_membership_expect_ring).
		 */
		if ((a->reason == CPG_REASON_NODEDOWN && in_ring) ||
		    (a->reason == CPG_REASON_NODEUP && !in_ring))
			cd_membership_expect_ring(&cs->d->mship);
	}

	/* One clusterd per node (pidfile lock), but be robust to duplicates. */
	for (i = 0; i < n_members && n < CD_MAX_NODES; i++) {
		size_t j;
		bool dup = false;

		for (j = 0; j < n; j++)
			dup = dup || ids[j] == members[i].nodeid;
		if (!dup && members[i].nodeid != 0)
			ids[n++] = members[i].nodeid;
	}
	rc = cd_membership_set_group(&cs->d->mship, ids, n);
	if (rc < 0)
		cd_err("cpg: membership rejected: %s", strerror(-rc));
	else if (rc > 0)
		cd_hooks_membership_changed(cs->d, "cpg");
	/* Every group change starts a state synchronisation round. */
	cd_replica_confchg(cs->d, ids, n);
}

static void
cpg_deliver(cpg_handle_t h, const struct cpg_name *group, uint32_t nodeid,
	    uint32_t pid, void *msg, size_t len)
{
	struct cd_cs *cs = NULL;

	cpg_context_get(h, (void **)&cs);
	cd_replica_deliver(cs->d, nodeid, msg, len);
}

/* ---- sending with flow control ---- */

static void flush_sendq(struct cd_cs *cs);

static void
send_timer_fn(void *data)
{
	struct cd_cs *cs = data;

	cs->send_pending = false;
	flush_sendq(cs);
}

/* Send queued messages in order until corosync pushes back. */
static void
flush_sendq(struct cd_cs *cs)
{
	struct send_item *it;

	while (cs->connected && !qb_list_empty(&cs->sendq)) {
		struct iovec iov;
		cs_error_t err;

		it = qb_list_first_entry(&cs->sendq, struct send_item, list);
		iov.iov_base = it->data;
		iov.iov_len = it->len;
		err = cpg_mcast_joined(cs->cpg, CPG_TYPE_AGREED, &iov, 1);
		if (err == CS_ERR_TRY_AGAIN) {
			if (!cs->send_pending) {
				cs->send_pending = true;
				qb_loop_timer_add(cs->d->loop, QB_LOOP_HIGH,
						  (uint64_t)CS_SEND_RETRY_MS * QB_TIME_NS_IN_MSEC,
						  cs, send_timer_fn, &cs->send_timer);
			}
			return;
		}
		if (err != CS_OK)
			cd_err("cpg: dropping a %zu-byte message: %s", it->len,
			       cd_cs_strerror(err));
		qb_list_del(&it->list);
		free(it);
	}
}

static void
drop_sendq(struct cd_cs *cs)
{
	struct send_item *it, *tmp;

	qb_list_for_each_entry_safe(it, tmp, &cs->sendq, list) {
		qb_list_del(&it->list);
		free(it);
	}
	if (cs->send_pending) {
		qb_loop_timer_del(cs->d->loop, cs->send_timer);
		cs->send_pending = false;
	}
}

int
cd_cs_send(struct cd_daemon *d, const void *buf, size_t len)
{
	struct cd_cs *cs = d->cs;
	struct send_item *it;

	if (!cs || !cs->connected)
		return -ENOTCONN;
	it = malloc(sizeof(*it) + len);
	if (!it)
		return -ENOMEM;
	it->len = len;
	memcpy(it->data, buf, len);
	qb_list_add_tail(&it->list, &cs->sendq);
	flush_sendq(cs);
	return 0;
}

/* ---- loop glue ---- */

static int32_t
dispatch_fd(int32_t fd, int32_t revents, void *data)
{
	struct cd_cs *cs = data;
	cs_error_t err = CS_OK;
	const char *what = "?";

	if (!cs->connected)
		return 0;
	if (fd == cs->cmap_fd) {
		what = "cmap";
		err = cmap_dispatch(cs->cmap, CS_DISPATCH_ALL);
	} else if (fd == cs->vq_fd) {
		what = "votequorum";
		err = votequorum_dispatch(cs->vq, CS_DISPATCH_ALL);
	} else if (fd == cs->cpg_fd) {
		what = "cpg";
		err = cpg_dispatch(cs->cpg, CS_DISPATCH_ALL);
	}
	/* The dispatch above may have disconnected us already. */
	if (!cs->connected)
		return 0;
	/*
	 * On disconnect, return -1: libqb then drops this fd's entry itself
	 * (deleting our own fd inside its callback and returning 0 would
	 * leave a dead slot behind in the poll array).
	 */
	if (err != CS_OK && err != CS_ERR_TRY_AGAIN) {
		char why[96];

		snprintf(why, sizeof(why), "%s dispatch: %s", what,
			 cd_cs_strerror(err));
		cs_disconnect(cs, why);
		return -1;
	} else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		char why[64];

		snprintf(why, sizeof(why), "%s connection closed", what);
		cs_disconnect(cs, why);
		return -1;
	}
	return 0;
}

static int
add_fd(struct cd_cs *cs, int fd)
{
	int rc = qb_loop_poll_add(cs->d->loop, QB_LOOP_HIGH, fd,
				  POLLIN | POLLPRI, cs, dispatch_fd);

	return rc < 0 ? rc : 0;
}

static void
del_fd(struct cd_cs *cs, int *fd)
{
	if (*fd >= 0)
		qb_loop_poll_del(cs->d->loop, *fd);
	*fd = -1;
}

static int
cs_connect(struct cd_cs *cs)
{
	votequorum_callbacks_t vq_cbs = {
		.votequorum_quorum_notify_fn = vq_quorum_notify,
		.votequorum_expectedvotes_notify_fn = vq_expected_notify,
		.votequorum_nodelist_notify_fn = vq_nodelist_notify,
	};
	cpg_model_v1_data_t cpg_model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = cpg_deliver,
		.cpg_confchg_fn = cpg_confchg,
	};
	struct cpg_name group;
	unsigned int local = 0;
	cs_error_t err;
	const char *step;

	step = "cmap";
	err = cmap_initialize(&cs->cmap);
	if (err != CS_OK)
		goto fail;
	step = "votequorum";
	err = votequorum_initialize(&cs->vq, &vq_cbs);
	if (err != CS_OK)
		goto fail;
	votequorum_context_set(cs->vq, cs);
	step = "cpg";
	err = cpg_model_initialize(&cs->cpg, CPG_MODEL_V1,
				   (cpg_model_data_t *)&cpg_model, cs);
	if (err != CS_OK)
		goto fail;
	step = "cpg local node id";
	err = cpg_local_get(cs->cpg, &local);
	if (err != CS_OK)
		goto fail;

	cmap_fd_get(cs->cmap, &cs->cmap_fd);
	votequorum_fd_get(cs->vq, &cs->vq_fd);
	cpg_fd_get(cs->cpg, &cs->cpg_fd);
	cs->connected = true;
	cs->d->mship.local_id = local;
	cd_membership_set_connected(&cs->d->mship, true);
	load_nodelist(cs);
	load_totem(cs);

	step = "cmap track";
	err = cmap_track_add(cs->cmap, "nodelist.", CMAP_TRACK_ADD |
			     CMAP_TRACK_DELETE | CMAP_TRACK_MODIFY |
			     CMAP_TRACK_PREFIX, nodelist_changed, cs,
			     &cs->nodelist_track);
	if (err != CS_OK)
		goto fail;
	step = "votequorum trackstart";
	err = votequorum_trackstart(cs->vq, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES);
	if (err != CS_OK)
		goto fail;

	snprintf(group.value, sizeof(group.value), "%s", CD_CPG_GROUP);
	group.length = (uint32_t)strlen(group.value);
	step = "cpg join";
	do {
		err = cpg_join(cs->cpg, &group);
	} while (err == CS_ERR_TRY_AGAIN && cpg_dispatch(cs->cpg, CS_DISPATCH_ALL) == CS_OK);
	if (err != CS_OK)
		goto fail;

	step = "poll";
	if (add_fd(cs, cs->cmap_fd) < 0 || add_fd(cs, cs->vq_fd) < 0 ||
	    add_fd(cs, cs->cpg_fd) < 0) {
		err = CS_ERR_NO_RESOURCES;
		goto fail;
	}
	cs->warned_down = false;
	cd_notice("corosync: connected as node %u, joined group %s",
		  local, CD_CPG_GROUP);
	cd_hooks_membership_changed(cs->d, "connect");
	return 0;

fail:
	if (!cs->warned_down) {
		cd_warn("corosync: cannot connect (%s: %s); retrying every %d ms",
			step, cd_cs_strerror(err), CD_RECONNECT_MS);
		cs->warned_down = true;
	}
	cs_disconnect(cs, NULL);
	return cd_cs_err(err);
}

static void
retry_timer_fn(void *data)
{
	struct cd_cs *cs = data;

	cs->retry_pending = false;
	if (!cs->stopping && !cs->connected)
		cs_connect(cs);
}

static void
schedule_retry(struct cd_cs *cs)
{
	if (cs->stopping || cs->retry_pending)
		return;
	cs->retry_pending = true;
	qb_loop_timer_add(cs->d->loop, QB_LOOP_LOW,
			  (uint64_t)CD_RECONNECT_MS * QB_TIME_NS_IN_MSEC, cs,
			  retry_timer_fn, &cs->retry_timer);
}

/* Close everything; why == NULL for a failed connect (already logged). */
static void
cs_disconnect(struct cd_cs *cs, const char *why)
{
	bool was = cs->connected;

	if (why)
		cd_err("corosync: lost connection (%s); clusterd is not quorate "
		       "until corosync is back", why);
	del_fd(cs, &cs->cmap_fd);
	del_fd(cs, &cs->vq_fd);
	del_fd(cs, &cs->cpg_fd);
	if (cs->cpg) {
		cpg_finalize(cs->cpg);
		cs->cpg = 0;
	}
	if (cs->vq) {
		votequorum_finalize(cs->vq);
		cs->vq = 0;
	}
	if (cs->cmap) {
		if (cs->nodelist_track)
			cmap_track_delete(cs->cmap, cs->nodelist_track);
		cmap_finalize(cs->cmap);
		cs->cmap = 0;
	}
	cs->nodelist_track = 0;
	cs->connected = false;
	drop_sendq(cs);
	if (was)
		cd_replica_disconnected(cs->d);
	if (cd_membership_set_connected(&cs->d->mship, false) > 0 || was)
		cd_hooks_membership_changed(cs->d, "disconnect");
	schedule_retry(cs);
}

int
cd_cs_start(struct cd_daemon *d)
{
	struct cd_cs *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return -ENOMEM;
	cs->d = d;
	cs->cmap_fd = cs->vq_fd = cs->cpg_fd = -1;
	qb_list_init(&cs->sendq);
	d->cs = cs;
	cs_connect(cs);
	return 0;
}

void
cd_cs_stop(struct cd_daemon *d)
{
	struct cd_cs *cs = d->cs;
	struct cpg_name group;

	if (!cs)
		return;
	cs->stopping = true;
	if (cs->retry_pending)
		qb_loop_timer_del(d->loop, cs->retry_timer);
	if (cs->connected) {
		/* A clean leave lets the peers see us go in ~100 ms, not seconds. */
		snprintf(group.value, sizeof(group.value), "%s", CD_CPG_GROUP);
		group.length = (uint32_t)strlen(group.value);
		cpg_leave(cs->cpg, &group);
	}
	cs_disconnect(cs, NULL);
	free(cs);
	d->cs = NULL;
}
