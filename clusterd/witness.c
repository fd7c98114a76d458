/*
 * witness.c - node and disk majority: clusterd as votequorum's quorum
 * device, the witness LUN won by SCSI-3 PR (see witness.h).
 *
 * votequorum side (loop thread, our own votequorum handle): register the
 * device "Witness", learn the ring id from the nodelist callback, poll every
 * timeout/3 and at once on every decision. On a new ring we do NOT poll
 * until the arbitration decided (votequorum holds its sync for that poll,
 * so quorum does not blip), at most 3/4 of quorum.device.sync_timeout; then
 * we poll with 0. Every partition but a dead holder's decides in one round
 * of disk reads (a few ms): only a member waiting for its leader waits.
 *
 * Arbitration (worker thread, one iSCSI session per node, lib/pr.h). The
 * result travels through the disk, not through CPG (CPG sends are refused
 * while votequorum holds the sync): every node reads the reservation, the
 * keys and the heartbeat block itself, and decides at once.
 *  - Keys: cd_pr_key(nodeid, inc), inc a random 31-bit start + 1 per new
 *    registration of this process: own scheme, because the witness must work
 *    before the replicated state (runtime.nodes.*.incarnation) exists.
 *  - The partition is the ring membership M; its leader is the lowest id.
 *  - The holder H is the node of the WERO reservation's key. The holder
 *    writes the heartbeat block (owner H, counter + 1) every W_HB_MS and
 *    removes (PREEMPT) the keys of nodes outside M.
 *  - H in M: the partition holds the witness. H casts 1 while its heartbeat
 *    writes succeed; every other member casts 1 while it sees H's heartbeat
 *    change. Other partitions cast 0 at once: a live holder is never
 *    challenged, so two live partitions never race.
 *  - H outside M: cast 0, unless H's heartbeat has not changed for
 *    W_LEASE_MS: then the holder is dead and our leader PREEMPTs its key,
 *    which moves the reservation to us. No reservation (released, or the
 *    target forgot it): our leader RESERVEs, unless the heartbeat is fresh
 *    and written by a node outside M (that partition re-reserves first).
 *    The target serialises contenders: the second gets a conflict.
 *  - Leases: a vote is valid W_VALID_MS after its evidence (the holder: the
 *    issue of its last successful heartbeat write; a member: the issue of
 *    the read before the one that saw the heartbeat change); the loop stops
 *    casting when no newer result renewed it. A challenger waits W_LEASE_MS
 *    (> W_VALID_MS + a re-check) after it last saw a change, so the old
 *    holder's partition has stopped casting before anyone takes over.
 *  - A partition that cannot reach quorum even with the witness vote gives
 *    it up: the holder writes a "released" heartbeat (owner 0) and
 *    unregisters, which releases the reservation.
 *  - Session lost: reconnect, register a new key, PREEMPT the old one:
 *    conflict means we were preempted meanwhile (lib/pr.h's rejoin rule).
 *    Target restart (UA 29/xx: every key gone): no reservation, and the
 *    heartbeat is ours: the leader reserves again. Witness unreachable:
 *    cast 0, status "failed" (the node majority still applies).
 *  - The holder writes the state copy (witness-disk.h) after state changes.
 *  - Start-up: the state copy is read before the device registers, and a
 *    newer copy of our cluster is adopted: no amnesia.
 *
 * clusterd's decisions do not rely on the quorate flag between a ring change
 * and votequorum's quorum callback for the new ring (lib/membership.h,
 * quorum_stale): the loser's flag is stale until its poll.
 */
#include "witness.h"
#include "daemon.h"
#include "log.h"
#include "cs-error.h"
#include "pr.h"
#include "timeutil.h"
#include "witness-disk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <corosync/cmap.h>
#include <corosync/votequorum.h>

#define W_NAME		"Witness"
#define W_HB_MS		150	/* the holder's heartbeat period */
#define W_CHECK_MS	250	/* everyone else's re-check period (> W_HB_MS) */
#define W_VALID_MS	800	/* a vote is valid this long after its evidence */
#define W_LEASE_MS	1500	/* heartbeat unchanged this long: holder dead */
#define W_PENDING_MS	20	/* re-check while waiting for our leader */
#define W_PR_TIMEOUT_MS	1000
#define W_TICK_MS	200
#define W_MAX_KEYS	64

enum verdict { V_NONE, V_PENDING, V_WIN, V_LOSE, V_FAILED };

static const char *
verdict_str(enum verdict v)
{
	static const char *const s[] = { "none", "pending", "won", "lost", "failed" };

	return s[v];
}

/* What the loop asks the worker to evaluate (copied under the lock). */
struct w_input {
	uint64_t version;
	bool enabled;
	char url[512];
	char initiator[256];
	uint32_t local;
	uint32_t ring_node;
	uint64_t ring_seq;
	uint32_t members[CD_MAX_NODES];
	size_t n;
	bool can_win;
	bool want_copy;		/* read the state copy (start-up) */
	char *state_json;	/* owned: a copy to write, or NULL */
	uint64_t state_gen;
	char uuid[CD_WD_UUID_MAX + 1];
};

struct w_output {
	uint32_t ring_node;
	uint64_t ring_seq;
	enum verdict v;
	uint32_t holder;
	size_t n_keys;
	uint64_t key;
	char detail[256];
	bool copy_done;		/* the start-up read finished (copy may be NULL) */
	char *copy_json;	/* owned */
	uint64_t copy_gen;
	char copy_uuid[CD_WD_UUID_MAX + 1];
	uint64_t written_gen;
	uint64_t valid_ms;	/* V_WIN: cast 1 until then (monotonic ms) */
	bool holding;		/* we hold the reservation (heartbeat writer) */
};

struct cd_witness {
	struct cd_daemon *d;
	/* ---- loop side ---- */
	votequorum_handle_t vq;
	int vq_fd;
	bool vq_up, registered, stopping;
	votequorum_ring_id_t ring;
	bool have_ring;
	uint32_t members[CD_MAX_NODES];
	size_t n;
	bool decided, cast;
	uint64_t ring_ms;		/* when the ring arrived */
	uint64_t last_poll_ms;
	uint32_t timeout_ms, sync_timeout_ms;
	bool enabled;
	char mode[32], url[512];
	bool copy_checked;
	uint64_t sent_gen;		/* state generation handed to the worker */
	struct w_output last;		/* latest result (status) */
	enum verdict logged_v;
	qb_loop_timer_handle tick, deadline, expiry;
	bool deadline_armed, expiry_armed;
	uint64_t valid_ms;		/* our vote's evidence expires then */
	int pipe_rd, pipe_wr;
	/* ---- shared ---- */
	pthread_t th;
	bool th_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct w_input in;
	struct w_output out;
	bool out_ready;
	/* ---- worker only ---- */
	struct cd_pr *pr;
	char pr_url[512];
	uint64_t key;			/* our registered key, 0 if none */
	uint32_t inc;
	bool copy_read;
	struct cd_wd_heartbeat hb;
	int hb_rc;
	uint64_t hb_changed_ms, hb_counter;
	uint64_t hb_read_ms;		/* issue time of our last heartbeat read */
	uint64_t hb_evidence_ms;	/* the last change was written after this */
	struct cd_wd_slot slots[2];
	bool slots_known;
	uint64_t written_gen;
	uint8_t *iobuf;
};

/* ====================================================================== */
/* worker side                                                            */
/* ====================================================================== */

static bool
in_members(const struct w_input *in, uint32_t id)
{
	for (size_t i = 0; i < in->n; i++) {
		if (in->members[i] == id)
			return true;
	}
	return false;
}

static uint32_t
key_node(uint64_t key)
{
	uint32_t id = 0;

	return cd_pr_key_decode(key, &id, NULL) ? id : 0;
}

/* A unit attention tells us something about our registration. */
static void
note_ua(struct cd_witness *w, int rc)
{
	if (rc == -CD_PR_E_RESET) {
		cd_warn("witness: target reset or restarted: every registration is gone");
		w->key = 0;
	} else if (rc == -CD_PR_E_PREEMPTED) {
		cd_notice("witness: our key was preempted by another partition");
		w->key = 0;
	}
}

/* Run a PR call; on a unit attention note it and run it once more. */
#define PR_DO(w, rc, call) do {					\
	(rc) = (call);						\
	if (cd_pr_is_unit_attention(rc)) {			\
		note_ua((w), (rc));				\
		(rc) = (call);					\
	}							\
} while (0)

static uint64_t
new_key(struct cd_witness *w, uint32_t local)
{
	w->inc = (w->inc + 1) & 0x7fffffffu;
	if (w->inc == 0)
		w->inc = 1;
	return cd_pr_key(local, w->inc);
}

static int
ensure_session(struct cd_witness *w, const struct w_input *in, char *det, size_t dl)
{
	struct cd_iscsi_url url;
	char err[128];
	uint64_t old = w->key;
	int rc;

	if (w->pr && strcmp(w->pr_url, in->url)) {
		cd_pr_close(w->pr);
		w->pr = NULL;
		w->key = 0;
		w->slots_known = false;
	}
	if (w->pr && cd_pr_connected(w->pr))
		return 0;
	if (!w->pr) {
		if (cd_iscsi_url_parse(in->url, &url, err, sizeof(err)) < 0) {
			snprintf(det, dl, "bad witness URL %s: %s", in->url, err);
			return -EINVAL;
		}
		w->pr = cd_pr_new(&url, in->initiator, W_PR_TIMEOUT_MS);
		if (!w->pr) {
			snprintf(det, dl, "cannot make a session: %s", strerror(errno));
			return -errno;
		}
		snprintf(w->pr_url, sizeof(w->pr_url), "%s", in->url);
	}
	rc = cd_pr_reconnect(w->pr);
	if (rc < 0) {
		snprintf(det, dl, "%s: %s", in->url, cd_pr_last_error(w->pr));
		return rc;
	}
	w->key = 0;
	if (old) {
		/* Rejoin (pr.h): new key, then PREEMPT the orphan of the old session. */
		uint64_t k = new_key(w, in->local);

		PR_DO(w, rc, cd_pr_register(w->pr, k));
		if (rc == 0) {
			PR_DO(w, rc, cd_pr_preempt(w->pr, k, old, CD_PR_WERO));
			if (rc == 0) {
				w->key = k;
				cd_notice("witness: session re-established, key %016" PRIx64
					  " replaces %016" PRIx64, k, old);
			} else {
				cd_notice("witness: session re-established; our old key %016"
					  PRIx64 " is gone (preempted by another partition, or "
					  "the target lost its registrations: %s)", old,
					  cd_pr_last_error(w->pr));
				cd_pr_unregister(w->pr, k);
			}
		}
	}
	return 0;
}

static int
read_at(struct cd_witness *w, uint64_t off, void *buf, size_t len)
{
	uint32_t bs = cd_pr_block_size(w->pr);
	int rc;

	if (!bs || off % bs || len % bs)
		return -EINVAL;
	PR_DO(w, rc, cd_pr_read_blocks(w->pr, off / bs, buf, len));
	return rc;
}

static int
write_at(struct cd_witness *w, uint64_t off, const void *buf, size_t len)
{
	uint32_t bs = cd_pr_block_size(w->pr);
	int rc;

	if (!bs || off % bs || len % bs)
		return -EINVAL;
	PR_DO(w, rc, cd_pr_write_blocks(w->pr, off / bs, buf, len, CD_PR_WRITE_FUA));
	return rc;
}

static size_t
hdr_len(struct cd_witness *w)
{
	uint32_t bs = cd_pr_block_size(w->pr);

	return bs > CD_WD_HDR_BYTES ? bs : CD_WD_HDR_BYTES;
}

/* Read one slot; the payload (when valid and wanted) as a malloc'd string. */
static void
read_slot(struct cd_witness *w, int i, char **json)
{
	struct cd_wd_slot *s = &w->slots[i];
	size_t hl = hdr_len(w), bs = cd_pr_block_size(w->pr), len;

	s->rc = read_at(w, cd_wd_slot_offset(i), w->iobuf, hl);
	if (s->rc == 0)
		s->rc = cd_wd_decode_header(w->iobuf, hl, &s->h);
	if (s->rc == 0 && json) {
		len = (CD_WD_HDR_BYTES + s->h.length + bs - 1) / bs * bs;
		s->rc = read_at(w, cd_wd_slot_offset(i), w->iobuf, len);
		if (s->rc == 0)
			s->rc = cd_wd_check_payload(&s->h, w->iobuf + CD_WD_HDR_BYTES,
						    len - CD_WD_HDR_BYTES);
		if (s->rc == 0) {
			*json = strndup((char *)w->iobuf + CD_WD_HDR_BYTES, s->h.length);
			if (!*json)
				s->rc = -ENOMEM;
		}
	}
	if (s->rc < 0 && s->rc != -ENODATA)
		cd_err("witness: state copy in slot %d of %s rejected: %s", i, w->pr_url,
		       s->rc < -1000 ? cd_pr_strerror(s->rc) : cd_wd_strerror(s->rc));
}

static void
read_copy(struct cd_witness *w, struct w_output *out)
{
	char *json[2] = { NULL, NULL };
	int n;

	read_slot(w, 0, &json[0]);
	read_slot(w, 1, &json[1]);
	w->slots_known = true;
	n = cd_wd_newest(w->slots);
	if (n >= 0) {
		out->copy_json = json[n];
		json[n] = NULL;
		out->copy_gen = w->slots[n].h.generation;
		snprintf(out->copy_uuid, sizeof(out->copy_uuid), "%s", w->slots[n].h.uuid);
		w->written_gen = out->copy_gen;
	}
	free(json[0]);
	free(json[1]);
	out->copy_done = true;
	w->copy_read = true;
}

static void
write_copy(struct cd_witness *w, const struct w_input *in)
{
	struct cd_wd_header h = { .generation = in->state_gen, .writer = in->local };
	size_t len = strlen(in->state_json);
	long n;
	int slot, rc;

	if (!w->slots_known) {
		read_slot(w, 0, NULL);
		read_slot(w, 1, NULL);
		w->slots_known = true;
	}
	h.seq = cd_wd_next_seq(w->slots);
	h.written_ms = (uint64_t)time(NULL) * 1000;
	snprintf(h.uuid, sizeof(h.uuid), "%s", in->uuid);
	slot = cd_wd_next_slot(w->slots);
	n = cd_wd_encode(&h, in->state_json, len, cd_pr_block_size(w->pr), w->iobuf,
			 CD_WD_SLOT_BYTES);
	if (n < 0) {
		cd_err("witness: cannot encode the state copy (%zu bytes): %s", len,
		       strerror((int)-n));
		w->written_gen = in->state_gen;	/* do not retry a too big state */
		return;
	}
	rc = write_at(w, cd_wd_slot_offset(slot), w->iobuf, (size_t)n);
	if (rc < 0) {
		cd_warn("witness: cannot write the state copy: %s", cd_pr_last_error(w->pr));
		return;
	}
	w->slots[slot].rc = 0;
	w->slots[slot].h = h;
	w->slots[slot].h.length = (uint32_t)len;
	w->written_gen = in->state_gen;
	cd_debug("witness: state generation %" PRIu64 " copied to slot %d (seq %" PRIu64 ")",
		 in->state_gen, slot, h.seq);
}

static int
write_hb(struct cd_witness *w, uint32_t owner, uint64_t ring_seq)
{
	struct cd_wd_heartbeat hb = { .owner = owner, .ring_seq = ring_seq,
				      .counter = ++w->hb_counter };
	size_t hl = hdr_len(w);
	uint64_t t = cd_now_mono_ms();
	int rc;

	memset(w->iobuf, 0, hl);
	cd_wd_hb_encode(&hb, w->iobuf, hl);
	rc = write_at(w, CD_WD_HB_OFFSET, w->iobuf, hl);
	if (rc == 0) {
		w->hb = hb;
		w->hb_rc = 0;
		w->hb_changed_ms = cd_now_mono_ms();
		w->hb_evidence_ms = t;
	}
	return rc;
}

/*
 * Read the heartbeat block. A change seen now was written after our previous
 * read was issued: that issue time is the evidence a member's vote rests on.
 * hb_changed_ms (when we saw the change) starts a challenger's lease clock.
 */
static void
read_hb(struct cd_witness *w)
{
	struct cd_wd_heartbeat hb;
	size_t hl = hdr_len(w);
	uint64_t t = cd_now_mono_ms(), prev = w->hb_read_ms;
	int rc = read_at(w, CD_WD_HB_OFFSET, w->iobuf, hl);

	if (rc == 0)
		rc = cd_wd_hb_decode(w->iobuf, hl, &hb);
	else
		return;
	w->hb_read_ms = t;
	if (rc != w->hb_rc || (rc == 0 && (hb.owner != w->hb.owner ||
					   hb.counter != w->hb.counter))) {
		w->hb_changed_ms = cd_now_mono_ms();
		w->hb_evidence_ms = prev;
		w->hb = hb;
		w->hb_rc = rc;
		if (rc == 0 && hb.counter > w->hb_counter)
			w->hb_counter = hb.counter;
	}
}

/* Register a fresh key if we have none. */
static int
ensure_key(struct cd_witness *w, const struct w_input *in, char *det, size_t dl)
{
	uint64_t k;
	int rc;

	if (w->key)
		return 0;
	k = new_key(w, in->local);
	PR_DO(w, rc, cd_pr_register(w->pr, k));
	if (rc < 0) {
		snprintf(det, dl, "register: %s", cd_pr_last_error(w->pr));
		return rc;
	}
	w->key = k;
	return 0;
}

/*
 * Holder duties: remove the keys of nodes outside the partition (they can
 * no longer write), then renew the heartbeat. The vote is valid for
 * W_VALID_MS from the moment the write was issued.
 */
static enum verdict
hold(struct cd_witness *w, const struct w_input *in, const uint64_t *keys,
     size_t nk, struct w_output *out, char *det, size_t dl)
{
	uint64_t t;
	int rc;

	for (size_t i = 0; i < nk && i < W_MAX_KEYS; i++) {
		uint32_t id = key_node(keys[i]);

		if (keys[i] == w->key || (id && in_members(in, id) && id != in->local))
			continue;
		PR_DO(w, rc, cd_pr_preempt(w->pr, w->key, keys[i], CD_PR_WERO));
		if (!w->key) {
			snprintf(det, dl, "our key was preempted (%s)", cd_pr_last_error(w->pr));
			return V_LOSE;
		}
		if (rc == 0 && id != in->local)
			cd_notice("witness: preempted key %016" PRIx64 " of node %" PRIu32
				  " (outside our partition)", keys[i], id);
	}
	t = cd_now_mono_ms();
	if (write_hb(w, in->local, in->ring_seq) < 0) {
		snprintf(det, dl, "cannot renew the heartbeat: %s", cd_pr_last_error(w->pr));
		return w->key ? V_FAILED : V_LOSE;
	}
	out->valid_ms = t + W_VALID_MS;
	out->holding = true;
	snprintf(det, dl, "held by this partition (node %" PRIu32 ")", in->local);
	return V_WIN;
}

/*
 * Leader: take the reservation. victim != 0: PREEMPT the holder's key (its
 * heartbeat is stale, or it is our own orphan); victim == 0: RESERVE (nobody
 * holds it). The target serialises two contenders: the second one gets a
 * reservation conflict.
 */
static enum verdict
acquire(struct cd_witness *w, const struct w_input *in, uint64_t victim,
	const uint64_t *keys, size_t nk, struct w_output *out, char *det, size_t dl)
{
	int rc = ensure_key(w, in, det, dl);

	if (rc < 0)
		return rc == -CD_PR_E_CONFLICT ? V_LOSE : V_FAILED;
	if (victim) {
		PR_DO(w, rc, cd_pr_preempt(w->pr, w->key, victim, CD_PR_WERO));
	} else {
		PR_DO(w, rc, cd_pr_reserve(w->pr, w->key, CD_PR_WERO));
	}
	if (rc < 0 || !w->key) {
		snprintf(det, dl, "lost the race for the witness (%s)", cd_pr_last_error(w->pr));
		return rc == -CD_PR_E_CONFLICT || !w->key ? V_LOSE : V_FAILED;
	}
	cd_notice("witness: %s the witness reservation for ring %" PRIu32 ".%" PRIx64
		  " (key %016" PRIx64 ")", victim ? "took over" : "took", in->ring_node,
		  in->ring_seq, w->key);
	return hold(w, in, keys, nk, out, det, dl);
}

/*
 * One arbitration round (see the top comment). The partition that holds the
 * reservation wins; another partition may take it only when it is free (no
 * reservation, and the last holder released it, belongs to us, or its
 * heartbeat is stale) or when the holder's heartbeat has not changed for
 * W_LEASE_MS. A vote is valid for W_VALID_MS (< W_LEASE_MS) after the
 * evidence it rests on: our own heartbeat write, or a change of the holder's
 * heartbeat seen after our previous read.
 */
static void
evaluate(struct cd_witness *w, const struct w_input *in, struct w_output *out)
{
	uint64_t keys[W_MAX_KEYS];
	struct cd_pr_reservation res;
	size_t nk = 0, foreign = 0;
	uint32_t holder = 0, leader = UINT32_MAX;
	bool holder_in, i_hold, stale, fresh;
	char *det = out->detail;
	size_t dl = sizeof(out->detail);
	uint64_t now;
	int rc;

	out->ring_node = in->ring_node;
	out->ring_seq = in->ring_seq;
	if (!in->enabled) {
		if (w->pr) {
			if (w->key && cd_pr_connected(w->pr))
				cd_pr_unregister(w->pr, w->key);
			cd_pr_close(w->pr);
			w->pr = NULL;
		}
		w->key = 0;
		out->v = V_NONE;
		return;
	}
	rc = ensure_session(w, in, det, dl);
	if (rc < 0) {
		out->v = V_FAILED;
		return;
	}
	if (in->want_copy && !w->copy_read)
		read_copy(w, out);
	PR_DO(w, rc, cd_pr_read_keys(w->pr, keys, W_MAX_KEYS, &nk, NULL));
	if (rc == 0)
		PR_DO(w, rc, cd_pr_read_reservation(w->pr, &res));
	if (rc < 0) {
		snprintf(det, dl, "%s: %s", in->url, cd_pr_last_error(w->pr));
		out->v = V_FAILED;
		return;
	}
	read_hb(w);
	now = cd_now_mono_ms();
	out->n_keys = nk;
	if (w->key) {
		bool mine = false;

		for (size_t i = 0; i < nk && i < W_MAX_KEYS; i++)
			mine = mine || keys[i] == w->key;
		if (!mine) {
			cd_notice("witness: our key %016" PRIx64 " is gone (preempted)", w->key);
			w->key = 0;
		}
	}
	for (size_t i = 0; i < nk && i < W_MAX_KEYS; i++) {
		uint32_t id = key_node(keys[i]);

		if (!id || !in_members(in, id))
			foreign++;
	}
	for (size_t i = 0; i < in->n; i++)
		leader = in->members[i] < leader ? in->members[i] : leader;
	holder = res.present ? key_node(res.key) : 0;
	out->holder = holder;
	holder_in = holder && in_members(in, holder);
	i_hold = res.present && w->key && res.key == w->key;
	stale = now - w->hb_changed_ms >= W_LEASE_MS;
	fresh = w->hb_rc == 0 && holder && w->hb.owner == holder &&
		now < w->hb_evidence_ms + W_VALID_MS;

	if (!in->can_win) {
		if (w->key) {
			if (i_hold)
				write_hb(w, 0, in->ring_seq);	/* "released" */
			cd_pr_unregister(w->pr, w->key);	/* releases the reservation */
			cd_notice("witness: giving the witness up: a partition of %zu "
				  "cannot reach quorum even with it", in->n);
			w->key = 0;
		}
		snprintf(det, dl, "partition of %zu cannot reach quorum even with the witness",
			 in->n);
		out->v = V_LOSE;
	} else if (i_hold) {
		out->v = hold(w, in, keys, nk, out, det, dl);
	} else if (holder_in && holder == in->local && leader == in->local) {
		/* our node's key from an earlier process: take it over */
		out->v = acquire(w, in, res.key, keys, nk, out, det, dl);
	} else if (holder_in) {
		if (fresh) {
			snprintf(det, dl, "held by this partition (node %" PRIu32 ")", holder);
			out->valid_ms = w->hb_evidence_ms + W_VALID_MS;
			out->v = V_WIN;
		} else if (stale && leader == in->local) {
			out->v = acquire(w, in, res.key, keys, nk, out, det, dl);
		} else {
			snprintf(det, dl, "waiting for the heartbeat of holder %" PRIu32, holder);
			out->v = V_PENDING;
		}
	} else if (res.present) {
		if (!stale) {
			snprintf(det, dl, "held by another partition (node %" PRIu32 ")", holder);
			out->v = V_LOSE;
		} else if (leader == in->local) {
			cd_notice("witness: the heartbeat of holder %" PRIu32 " has not changed "
				  "for %" PRIu64 " ms: taking the witness over", holder,
				  now - w->hb_changed_ms);
			out->v = acquire(w, in, res.key, keys, nk, out, det, dl);
		} else {
			snprintf(det, dl, "holder %" PRIu32 " is dead; waiting for leader %" PRIu32,
				 holder, leader);
			out->v = V_PENDING;
		}
	} else if (!(stale || w->hb_rc != 0 || w->hb.owner == 0 ||
		     in_members(in, w->hb.owner))) {
		snprintf(det, dl, "not reserved; waiting for the partition of node %" PRIu32
			 " (its heartbeat is fresh)", w->hb.owner);
		out->v = V_LOSE;
	} else if (leader == in->local) {
		out->v = acquire(w, in, 0, keys, nk, out, det, dl);
	} else {
		snprintf(det, dl, "not reserved; waiting for leader %" PRIu32, leader);
		out->v = V_PENDING;
	}
	(void)foreign;
	out->key = w->key;
	if (out->v == V_WIN && out->holding && in->state_json &&
	    in->state_gen != w->written_gen)
		write_copy(w, in);
	out->written_gen = w->written_gen;
}

static void *
worker(void *arg)
{
	struct cd_witness *w = arg;
	struct w_input in = { 0 };
	uint64_t seen = 0;
	int period = W_CHECK_MS;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct w_output out = { 0 };
		struct timespec ts;

		if (w->in.version == seen) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)period * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
			if (w->stop)
				break;
		}
		seen = w->in.version;
		free(in.state_json);
		in = w->in;
		in.state_json = w->in.state_json ? strdup(w->in.state_json) : NULL;
		pthread_mutex_unlock(&w->lock);

		evaluate(w, &in, &out);
		period = out.v == V_PENDING ? W_PENDING_MS :
			 out.holding ? W_HB_MS : W_CHECK_MS;

		pthread_mutex_lock(&w->lock);
		free(w->out.copy_json);
		w->out = out;
		w->out_ready = true;
		if (write(w->pipe_wr, "x", 1) < 0 && errno != EAGAIN)
			cd_err("witness: cannot wake the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	free(in.state_json);
	if (w->pr) {
		if (w->key && cd_pr_connected(w->pr))
			cd_pr_unregister(w->pr, w->key);
		cd_pr_close(w->pr);
		w->pr = NULL;
	}
	return NULL;
}

/* ====================================================================== */
/* loop side                                                              */
/* ====================================================================== */

static void w_connect(struct cd_witness *w);
static void read_timeouts(struct cd_witness *w);

/* Hand the current view to the worker (and wake it). */
static void
push_input(struct cd_witness *w, char *state_json, uint64_t gen)
{
	const struct cd_state *st = cd_replica_state(w->d);
	struct votequorum_info info;
	uint32_t quorum = 0, dv = 1;
	char host[128] = "node";

	if (w->vq_up && votequorum_getinfo(w->vq, 0, &info) == CS_OK) {
		quorum = info.quorum;
		dv = info.qdevice_votes ? info.qdevice_votes : 1;
	}
	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '-';
	pthread_mutex_lock(&w->lock);
	w->in.version++;
	w->in.enabled = w->enabled;
	snprintf(w->in.url, sizeof(w->in.url), "%s", w->url);
	snprintf(w->in.initiator, sizeof(w->in.initiator),
		 "iqn.2026-11.org.clusterd:%s.witness", host);
	w->in.local = w->d->mship.local_id;
	w->in.ring_node = w->ring.nodeid;
	w->in.ring_seq = w->ring.seq;
	memcpy(w->in.members, w->members, sizeof(w->members));
	w->in.n = w->n;
	w->in.can_win = quorum == 0 || w->n + dv >= quorum;
	w->in.want_copy = !w->copy_checked;
	if (state_json) {
		free(w->in.state_json);
		w->in.state_json = state_json;
		w->in.state_gen = gen;
		snprintf(w->in.uuid, sizeof(w->in.uuid), "%s", st ? cd_state_uuid(st) : "");
	}
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void
do_poll(struct cd_witness *w, const char *why)
{
	cs_error_t err;

	if (!w->vq_up || !w->registered || !w->have_ring)
		return;
	err = votequorum_qdevice_poll(w->vq, W_NAME, w->cast ? 1 : 0, w->ring);
	w->last_poll_ms = cd_now_mono_ms();
	if (err == CS_ERR_MESSAGE_ERROR)
		cd_debug("witness: poll with a stale ring id (%s)", why);
	else if (err != CS_OK)
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
 * The vote rests on evidence that expires (witness.c top comment): when no
 * newer result renewed it by then, stop casting. This bounds how long a node
 * whose witness I/O hangs keeps the vote, below the W_LEASE_MS after which
 * another partition may take the witness over.
 */
static void
expiry_fn(void *data)
{
	struct cd_witness *w = data;

	w->expiry_armed = false;
	if (w->registered && w->cast && cd_now_mono_ms() >= w->valid_ms) {
		cd_warn("witness: the witness vote was not renewed within %d ms", W_VALID_MS);
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

static void
adopt_copy(struct cd_witness *w, struct w_output *o)
{
	const struct cd_state *st = cd_replica_state(w->d);
	uint64_t mine = st ? cd_state_generation(st) : 0;
	json_object *doc;

	w->copy_checked = true;
	if (!o->copy_json) {
		cd_info("witness: no valid state copy on the witness");
		return;
	}
	if (st && cd_state_uuid(st)[0] && strcmp(cd_state_uuid(st), o->copy_uuid)) {
		cd_warn("witness: the copy on the witness belongs to cluster %s, not ours (%s);"
			" ignored", o->copy_uuid, cd_state_uuid(st));
		return;
	}
	if (o->copy_gen <= mine) {
		cd_info("witness: witness copy has generation %" PRIu64 ", ours %" PRIu64,
			o->copy_gen, mine);
		return;
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

	if (!w->vq_up || w->registered || !w->enabled || !w->copy_checked)
		return;
	read_timeouts(w);
	err = votequorum_qdevice_register(w->vq, W_NAME);
	if (err != CS_OK && err != CS_ERR_EXIST) {
		cd_warn("witness: cannot register the quorum device: %s", cd_cs_strerror(err));
		return;
	}
	if (err == CS_ERR_EXIST)
		cd_warn("witness: votequorum reports a device already registered; polling as %s",
			W_NAME);
	w->registered = true;
	cd_notice("witness: registered as votequorum device %s (timeout %u ms, sync %u ms)",
		  W_NAME, w->timeout_ms, w->sync_timeout_ms);
	w->decided = false;
	push_input(w, NULL, 0);
}

static void
unregister(struct cd_witness *w)
{
	if (!w->registered)
		return;
	if (w->vq_up) {
		votequorum_qdevice_poll(w->vq, W_NAME, 0, w->ring);
		votequorum_qdevice_unregister(w->vq, W_NAME);
	}
	w->registered = false;
	w->cast = false;
	cd_notice("witness: unregistered the quorum device");
}

static int32_t
on_result(int32_t fd, int32_t revents, void *data)
{
	struct cd_witness *w = data;
	struct w_output o;
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	if (!w->out_ready) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	o = w->out;
	w->out.copy_json = NULL;
	w->out_ready = false;
	pthread_mutex_unlock(&w->lock);

	if (o.copy_done && !w->copy_checked) {
		adopt_copy(w, &o);
		try_register(w);
	}
	free(o.copy_json);
	o.copy_json = NULL;
	if (o.v != w->logged_v) {
		if (o.v == V_FAILED)
			cd_err("witness: FAILED: %s (node majority still applies)", o.detail);
		else if (w->logged_v == V_FAILED)
			cd_notice("witness: reachable again (%s)", o.detail);
		w->logged_v = o.v;
	}
	w->last = o;
	if (!w->registered || !w->have_ring || o.ring_seq != w->ring.seq ||
	    o.ring_node != w->ring.nodeid)
		return 0;
	if (o.v == V_PENDING)
		return 0;
	if (o.v == V_WIN) {
		if (o.valid_ms <= cd_now_mono_ms())
			return 0;	/* evidence already too old: wait for the next round */
		arm_expiry(w, o.valid_ms);
	}
	if (!w->decided || w->cast != (o.v == V_WIN))
		set_cast(w, o.v == V_WIN, o.detail);
	return 0;
}

bool
cd_witness_vote_backed(struct cd_daemon *d)
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

/* The quorum filter hook (hooks.h, witness.h). */
static void
quorum_filter(struct cd_daemon *d, struct cd_quorum_info *q, const struct cd_vote_info *v,
	      bool settle)
{
	if (settle)
		q->quorate = guard_quorum(d, q->quorate, v->device_vote_counted, v->total_votes,
					  v->qdevice_votes, v->quorum);
	q->witness_vote = v->device_vote_counted && cd_witness_vote_backed(d);
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
	push_input(w, NULL, 0);
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

	if ((err != CS_OK && err != CS_ERR_TRY_AGAIN) ||
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

	return cmap_get_uint32(c, key, &v) == CS_OK ? v : def;
}

/* quorum.device timeouts (they change when corosync.conf is reloaded). */
static void
read_timeouts(struct cd_witness *w)
{
	cmap_handle_t c;

	if (cmap_initialize(&c) != CS_OK)
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
	if (votequorum_initialize(&w->vq, &cbs) != CS_OK) {
		w->vq = 0;
		return;
	}
	votequorum_context_set(w->vq, w);
	votequorum_fd_get(w->vq, &w->vq_fd);
	if (votequorum_trackstart(w->vq, 0, CS_TRACK_CURRENT | CS_TRACK_CHANGES) != CS_OK ||
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

static size_t
configured_nodes(struct cd_witness *w, const struct cd_state *st)
{
	json_object *nodes = st ? cd_state_get(st, "config.nodes") : NULL;

	if (nodes && json_object_is_type(nodes, json_type_object))
		return (size_t)json_object_object_length(nodes);
	return 0;
}


static void
read_config(struct cd_witness *w)
{
	const struct cd_state *st = cd_replica_state(w->d);
	json_object *m = st ? cd_state_get(st, "config.quorum.mode") : NULL;
	json_object *u = st ? cd_state_get(st, "config.quorum.witness") : NULL;
	const char *mode = m ? json_object_get_string(m) : "auto";
	const char *url = u ? json_object_get_string(u) : "";
	bool en = cd_witness_wanted(mode, url, configured_nodes(w, st));

	if (en == w->enabled && !strcmp(mode, w->mode) && !strcmp(url, w->url))
		return;
	cd_notice("witness: quorum mode %s, witness %s: %s", mode, url[0] ? url : "none",
		  en ? "disk witness in use" : "node majority only");
	snprintf(w->mode, sizeof(w->mode), "%s", mode);
	snprintf(w->url, sizeof(w->url), "%s", url);
	w->enabled = en;
	if (!en)
		unregister(w);
	push_input(w, NULL, 0);
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
	    votequorum_getinfo(w->vq, 0, &info) != CS_OK)
		return;
	q = m->quorum;
	q.node_votes = info.node_votes;
	q.expected_votes = info.node_expected_votes;
	q.total_votes = info.total_votes;
	q.quorum = info.quorum;
	q.witness_vote = (info.flags & VOTEQUORUM_INFO_QDEVICE_CAST_VOTE) &&
			 cd_witness_vote_backed(w->d);
	if (cd_membership_set_quorum(m, &q) > 0)
		cd_hooks_membership_changed(w->d, "votes");
}

static void
tick_fn(void *data)
{
	struct cd_witness *w = data;
	const struct cd_state *st = cd_replica_state(w->d);
	uint64_t now = cd_now_mono_ms();

	read_config(w);
	refresh_votes(w);
	if (w->in.local != w->d->mship.local_id)	/* corosync connected after our start */
		push_input(w, NULL, 0);
	if (!w->vq_up)
		w_connect(w);
	if (w->registered && w->decided && now - w->last_poll_ms >= w->timeout_ms / 3)
		do_poll(w, "periodic");
	/* The holder (a registrant: it may write) keeps the state copy current. */
	if (st && w->enabled && w->last.v == V_WIN && w->last.holding &&
	    cd_state_generation(st) != w->sent_gen &&
	    cd_replica_ready(w->d)) {
		const char *s = json_object_to_json_string_ext(st->doc, JSON_C_TO_STRING_PLAIN);
		char *copy = s ? strdup(s) : NULL;

		if (copy) {
			w->sent_gen = cd_state_generation(st);
			push_input(w, copy, w->sent_gen);
		}
	}
	qb_loop_timer_add(w->d->loop, QB_LOOP_LOW, (uint64_t)W_TICK_MS * QB_TIME_NS_IN_MSEC,
			  w, tick_fn, &w->tick);
}

int
cd_witness_start(struct cd_daemon *d)
{
	struct cd_witness *w = calloc(1, sizeof(*w));
	int p[2], rc;

	if (!w)
		return -ENOMEM;
	w->iobuf = malloc(CD_WD_SLOT_BYTES);
	if (!w->iobuf || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(w->iobuf);
		free(w);
		return -ENOMEM;
	}
	w->d = d;
	w->vq_fd = -1;
	w->pipe_rd = p[0];
	w->pipe_wr = p[1];
	w->timeout_ms = VOTEQUORUM_QDEVICE_DEFAULT_TIMEOUT;
	w->sync_timeout_ms = VOTEQUORUM_QDEVICE_DEFAULT_SYNC_TIMEOUT;
	w->hb_rc = -ENODATA;
	w->hb_changed_ms = cd_now_mono_ms();
	if (getrandom(&w->inc, sizeof(w->inc), GRND_NONBLOCK) != sizeof(w->inc))
		w->inc = (uint32_t)getpid() << 8;
	w->inc &= 0x3fffffffu;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	qb_loop_poll_add(d->loop, QB_LOOP_HIGH, w->pipe_rd, POLLIN, w, on_result);
	rc = pthread_create(&w->th, NULL, worker, w);
	if (rc) {
		cd_err("witness: cannot start the worker: %s", strerror(rc));
		qb_loop_poll_del(d->loop, w->pipe_rd);
		close(p[0]);
		close(p[1]);
		free(w->iobuf);
		free(w);
		return -rc;
	}
	w->th_started = true;
	d->witness = w;
	tick_fn(w);
	return 0;
}

void
cd_witness_stop(struct cd_daemon *d)
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
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->th_started)
		pthread_join(w->th, NULL);
	qb_loop_poll_del(d->loop, w->pipe_rd);
	close(w->pipe_rd);
	close(w->pipe_wr);
	free(w->in.state_json);
	free(w->out.copy_json);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->iobuf);
	free(w);
	d->witness = NULL;
}

/* ---- status and IPC ---- */

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
	else if (w->last.v == V_FAILED)
		health = "failed";
	else if (w->last.v == V_NONE || !w->copy_checked)
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
	json_object_object_add(o, "arbitration", json_object_new_string(verdict_str(w->last.v)));
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
	json_object *q = st ? cd_state_get(st, "config.quorum") : NULL;
	json_object *o = json_object_new_object();
	const struct cd_quorum_info *qi = &d->mship.quorum;
	json_object *v = json_object_new_object();

	json_object_object_add(o, "config", q ? json_object_get(q) : NULL);
	json_object_object_add(o, "nodes", json_object_new_int64(
		(int64_t)(d->witness ? configured_nodes(d->witness, st) : 0)));
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

		if (!st || !cd_state_get(st, "config.quorum.witness"))
			return -EINVAL;
	}
	ops = json_object_new_array();
	json_object_array_add(ops, cd_state_op("set", "config.quorum.mode",
					       json_object_new_string(mode)));
	if (u)
		json_object_array_add(ops, cd_state_op("set", "config.quorum.witness",
						       json_object_get(u)));
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

static const struct cd_ipc_handler witness_ipc[] = {
	{ "quorum-show", ipc_show, 0 },
	{ "quorum-set", ipc_set, 0 },
};

const struct cd_hooks cd_witness_hooks = {
	.name = "witness",
	.quorum_filter = quorum_filter,
	.status = witness_status,
	.ipc = witness_ipc,
	.n_ipc = sizeof(witness_ipc) / sizeof(witness_ipc[0]),
};
