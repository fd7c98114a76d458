/*
 * wdisk-worker.c - the witness-LUN worker thread (quorum-int.h): one iSCSI
 * session per node (lib/pr.h), our registration key, the heartbeat block
 * and the state copy (lib/witness-disk.h). Each round reads the keys, the
 * reservation and the heartbeat, asks the arbiter (arbiter.h) and performs
 * the one PR action it names. Rule numbers are arbiter.h's.
 *
 *  - Keys: cd_pr_key(nodeid, inc), inc a random 31-bit start + 1 per new
 *    registration of this process: own scheme, because the witness must
 *    work before the replicated state (runtime.nodes.*.incarnation) exists.
 *  - Session lost: reconnect, register a new key, PREEMPT the old one:
 *    conflict means we were preempted meanwhile (lib/pr.h's rejoin rule).
 *    Target restart (UA 29/xx: every key gone): no reservation, and the
 *    heartbeat is ours: the leader reserves again (A11).
 *  - The holder writes the state copy after state changes; the start-up
 *    read of the copy happens in the first round (rule C1 is the loop's),
 *    and a node that starts to hold the reservation reads it again in
 *    that round, before its first won result reaches the loop (S7 of
 *    lib/sync.h: it claims a half view with a copy as new as the disk's).
 */
#include "quorum-int.h"
#include "log.h"
#include "pr.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define W_PR_TIMEOUT_MS	1000
#define W_MAX_KEYS	64

struct cd_wdisk {
	/* ---- shared with the loop, under lock ---- */
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	uint64_t version;		/* +1 per input pushed */
	struct cd_wdisk_input in;
	struct cd_wdisk_output out;
	bool out_ready;
	int pipe_rd, pipe_wr;
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
	uint64_t written_seq;		/* the input's state_seq last written */
	uint64_t failed_seq;		/* ... that cannot be written (too big) */
	bool was_holding;		/* S7: a new hold reads the copy first */
	uint8_t *iobuf;
};

static uint32_t
key_node(uint64_t key)
{
	uint32_t id = 0;

	return cd_pr_key_decode(key, &id, NULL) ? id : 0;
}

/* A unit attention tells us something about our registration. */
static void
note_ua(struct cd_wdisk *w, int rc)
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
new_key(struct cd_wdisk *w, uint32_t local)
{
	w->inc = (w->inc + 1) & 0x7fffffffu;
	if (w->inc == 0)
		w->inc = 1;
	return cd_pr_key(local, w->inc);
}

static int
ensure_session(struct cd_wdisk *w, const struct cd_wdisk_input *in, char *det, size_t dl)
{
	uint64_t old = w->key;
	int rc;

	if (w->pr && strcmp(w->pr_url, in->url)) {
		cd_pr_close(w->pr);
		w->pr = NULL;
		w->key = 0;
		w->slots_known = false;
	}
	rc = cd_pr_ensure(&w->pr, in->url, in->initiator, W_PR_TIMEOUT_MS, det, dl);
	if (w->pr)
		snprintf(w->pr_url, sizeof(w->pr_url), "%s", in->url);
	if (rc <= 0)
		return rc;
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
read_at(struct cd_wdisk *w, uint64_t off, void *buf, size_t len)
{
	uint32_t bs = cd_pr_block_size(w->pr);
	int rc;

	if (!bs || off % bs || len % bs)
		return -EINVAL;
	PR_DO(w, rc, cd_pr_read_blocks(w->pr, off / bs, buf, len));
	return rc;
}

static int
write_at(struct cd_wdisk *w, uint64_t off, const void *buf, size_t len)
{
	uint32_t bs = cd_pr_block_size(w->pr);
	int rc;

	if (!bs || off % bs || len % bs)
		return -EINVAL;
	PR_DO(w, rc, cd_pr_write_blocks(w->pr, off / bs, buf, len, CD_PR_WRITE_FUA));
	return rc;
}

static size_t
hdr_len(struct cd_wdisk *w)
{
	uint32_t bs = cd_pr_block_size(w->pr);

	return bs > CD_WD_HDR_BYTES ? bs : CD_WD_HDR_BYTES;
}

/* Read one slot; the payload (when valid and wanted) as a malloc'd string. */
static void
read_slot(struct cd_wdisk *w, int i, char **json)
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
read_copy(struct cd_wdisk *w, struct cd_wdisk_output *out)
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
write_copy(struct cd_wdisk *w, const struct cd_wdisk_input *in)
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
		cd_err("witness: cannot encode the state copy (%zu bytes): %s; a half view "
		       "cannot commit until it fits", len, strerror((int)-n));
		w->failed_seq = in->state_seq;	/* do not retry a too big state */
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
	w->written_seq = in->state_seq;
	cd_debug("witness: state generation %" PRIu64 " copied to slot %d (seq %" PRIu64 ")",
		 in->state_gen, slot, h.seq);
}

static int
write_hb(struct cd_wdisk *w, uint32_t owner, uint64_t ring_seq)
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
read_hb(struct cd_wdisk *w)
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
ensure_key(struct cd_wdisk *w, const struct cd_wdisk_input *in, char *det, size_t dl)
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

/* A1: give the witness up (the holder says "released" first). */
static void
give_up(struct cd_wdisk *w, const struct cd_wdisk_input *in, bool i_hold)
{
	if (!w->key)
		return;
	if (i_hold)
		write_hb(w, 0, in->ring_seq);		/* "released" */
	cd_pr_unregister(w->pr, w->key);		/* releases the reservation */
	cd_notice("witness: giving the witness up: a partition of %zu "
		  "cannot reach quorum even with it", in->n);
	w->key = 0;
}

/*
 * A2: remove the keys of nodes outside the partition (B1: they can no
 * longer write), then renew the heartbeat; B2 decides.
 */
static enum cd_arb_verdict
hold(struct cd_wdisk *w, const struct cd_wdisk_input *in, const struct cd_arb_obs *o,
     const uint64_t *keys, size_t nk, struct cd_wdisk_output *out, char *det, size_t dl)
{
	uint64_t t;
	enum cd_arb_verdict v;
	int rc;

	for (size_t i = 0; i < nk && i < W_MAX_KEYS; i++) {
		uint32_t id = key_node(keys[i]);

		if (!cd_arb_outsider(o, id, keys[i] == w->key))
			continue;
		PR_DO(w, rc, cd_pr_preempt(w->pr, w->key, keys[i], CD_PR_WERO));
		if (!w->key) {
			snprintf(det, dl, "our key was preempted (%s)", cd_pr_last_error(w->pr));
			return CD_ARB_LOSE;
		}
		if (rc == 0 && id != o->local)
			cd_notice("witness: preempted key %016" PRIx64 " of node %" PRIu32
				  " (outside our partition)", keys[i], id);
	}
	t = cd_now_mono_ms();
	rc = write_hb(w, o->local, in->ring_seq);
	v = cd_arb_after_hold(rc == 0, w->key != 0);
	if (v != CD_ARB_WIN) {
		snprintf(det, dl, "cannot renew the heartbeat: %s", cd_pr_last_error(w->pr));
		return v;
	}
	out->valid_ms = t + CD_ARB_VALID_MS;
	out->holding = true;
	snprintf(det, dl, "held by this partition (node %" PRIu32 ")", o->local);
	return CD_ARB_WIN;
}

/*
 * A3, A5, A8 (victim: the reservation's key) and A11 (victim 0: RESERVE).
 * The target serialises two contenders: the second gets a conflict (B3).
 */
static enum cd_arb_verdict
acquire(struct cd_wdisk *w, const struct cd_wdisk_input *in, const struct cd_arb_obs *o,
	uint64_t victim, const uint64_t *keys, size_t nk, struct cd_wdisk_output *out,
	char *det, size_t dl)
{
	int rc = ensure_key(w, in, det, dl);

	if (rc < 0)
		return cd_arb_after_acquire(rc == -CD_PR_E_CONFLICT, true);
	if (victim) {
		PR_DO(w, rc, cd_pr_preempt(w->pr, w->key, victim, CD_PR_WERO));
	} else {
		PR_DO(w, rc, cd_pr_reserve(w->pr, w->key, CD_PR_WERO));
	}
	if (rc < 0 || !w->key) {
		snprintf(det, dl, "lost the race for the witness (%s)", cd_pr_last_error(w->pr));
		return cd_arb_after_acquire(rc == -CD_PR_E_CONFLICT, w->key != 0);
	}
	cd_notice("witness: %s the witness reservation for ring %" PRIu32 ".%" PRIx64
		  " (key %016" PRIx64 ")", victim ? "took over" : "took", in->ring_node,
		  in->ring_seq, w->key);
	return hold(w, in, o, keys, nk, out, det, dl);
}

static void
disable(struct cd_wdisk *w)
{
	if (w->pr) {
		if (w->key && cd_pr_connected(w->pr))
			cd_pr_unregister(w->pr, w->key);
		cd_pr_close(w->pr);
		w->pr = NULL;
	}
	w->key = 0;
}

/* Our key is gone from the target (preempted, or every key was lost). */
static void
check_key(struct cd_wdisk *w, const uint64_t *keys, size_t nk)
{
	bool mine = false;

	if (!w->key)
		return;
	for (size_t i = 0; i < nk && i < W_MAX_KEYS; i++)
		mine = mine || keys[i] == w->key;
	if (!mine) {
		cd_notice("witness: our key %016" PRIx64 " is gone (preempted)", w->key);
		w->key = 0;
	}
}

/* One round: read, decide (arbiter.h), act. */
static void
evaluate(struct cd_wdisk *w, const struct cd_wdisk_input *in, struct cd_wdisk_output *out)
{
	uint64_t keys[W_MAX_KEYS];
	struct cd_pr_reservation res;
	struct cd_arb_obs o = { .local = in->local, .members = in->members, .n = in->n,
				.can_win = in->can_win };
	struct cd_arb_decision dec;
	char *det = out->detail;
	size_t nk = 0, dl = sizeof(out->detail);
	bool held, was;
	int rc;

	out->ring_node = in->ring_node;
	out->ring_seq = in->ring_seq;
	was = w->was_holding;
	w->was_holding = false;		/* until this round holds it */
	if (!in->enabled) {
		disable(w);
		out->v = CD_ARB_NONE;
		return;
	}
	rc = ensure_session(w, in, det, dl);
	if (rc < 0) {
		out->v = CD_ARB_FAILED;		/* B4 */
		return;
	}
	if (in->want_copy && !w->copy_read)
		read_copy(w, out);
	PR_DO(w, rc, cd_pr_read_keys(w->pr, keys, W_MAX_KEYS, &nk, NULL));
	if (rc == 0)
		PR_DO(w, rc, cd_pr_read_reservation(w->pr, &res));
	if (rc < 0) {
		snprintf(det, dl, "%s: %s", in->url, cd_pr_last_error(w->pr));
		out->v = CD_ARB_FAILED;		/* B4 */
		return;
	}
	read_hb(w);
	out->n_keys = nk;
	check_key(w, keys, nk);

	o.res_present = res.present;
	o.holder = res.present ? key_node(res.key) : 0;
	o.i_hold = res.present && w->key && res.key == w->key;
	o.hb_ok = w->hb_rc == 0;
	o.hb_owner = w->hb.owner;
	o.now_ms = cd_now_mono_ms();
	o.hb_changed_ms = w->hb_changed_ms;
	o.hb_evidence_ms = w->hb_evidence_ms;
	cd_arb_decide(&o, &dec);
	out->holder = o.holder;
	snprintf(det, dl, "%s", dec.detail);
	out->v = dec.v;
	out->valid_ms = dec.valid_ms;
	switch (dec.act) {
	case CD_ARB_GIVE_UP:
		give_up(w, in, o.i_hold);
		break;
	case CD_ARB_HOLD:
		out->v = hold(w, in, &o, keys, nk, out, det, dl);
		break;
	case CD_ARB_PREEMPT:
		if (dec.rule == 8)
			cd_notice("witness: %s", dec.detail);
		out->v = acquire(w, in, &o, res.key, keys, nk, out, det, dl);
		break;
	case CD_ARB_RESERVE:
		out->v = acquire(w, in, &o, 0, keys, nk, out, det, dl);
		break;
	case CD_ARB_NOTHING:
		break;
	}
	out->key = w->key;
	held = out->v == CD_ARB_WIN && out->holding;
	if (held && (!was || dec.act == CD_ARB_PREEMPT || dec.act == CD_ARB_RESERVE)) {
		/* S7 (lib/sync.h): a new holder reads the copy before it casts;
		 * nothing queued before that is written */
		if (!out->copy_done)
			read_copy(w, out);
		out->takeover = true;
	} else if (held && in->state_json && in->state_seq != w->written_seq &&
		   in->state_seq != w->failed_seq) {
		write_copy(w, in);
	}
	w->was_holding = held;
	out->written_gen = w->written_gen;
	out->written_seq = w->written_seq;
}

/*
 * Replace the result the loop has not taken yet (lock held). The start-up
 * read of the state copy happens once: when the loop has not taken it, it
 * rides on with the newer result, or the device would never register; so
 * does a takeover's read.
 */
static void
publish(struct cd_wdisk *w, struct cd_wdisk_output *out)
{
	if (w->out_ready && w->out.copy_done && !out->copy_done) {
		out->copy_done = true;
		out->copy_json = w->out.copy_json;
		out->copy_gen = w->out.copy_gen;
		memcpy(out->copy_uuid, w->out.copy_uuid, sizeof(out->copy_uuid));
	} else {
		free(w->out.copy_json);
	}
	/* a takeover's read too (S7): the loop must see it */
	if (w->out_ready && w->out.takeover)
		out->takeover = true;
	w->out = *out;
	w->out_ready = true;
}

static void *
worker(void *arg)
{
	struct cd_wdisk *w = arg;
	struct cd_wdisk_input in = { 0 };
	uint64_t seen = 0;
	int period = CD_ARB_CHECK_MS;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct cd_wdisk_output out = { 0 };
		struct timespec ts;

		if (w->version == seen) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)period * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&w->cond, &w->lock, &ts);
			if (w->stop)
				break;
		}
		seen = w->version;
		free(in.state_json);
		in = w->in;
		in.state_json = w->in.state_json ? strdup(w->in.state_json) : NULL;
		pthread_mutex_unlock(&w->lock);

		evaluate(w, &in, &out);
		period = cd_arb_period(out.v, out.holding);

		pthread_mutex_lock(&w->lock);
		if (out.takeover && w->in.state_json && w->in.state_seq == in.state_seq) {
			/* queued before the loop knew the copy: it pushes again */
			free(w->in.state_json);
			w->in.state_json = NULL;
		}
		publish(w, &out);
		if (write(w->pipe_wr, "x", 1) < 0 && errno != EAGAIN)
			cd_err("witness: cannot wake the loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&w->lock);
	free(in.state_json);
	disable(w);
	return NULL;
}

/* ---- the loop's interface (quorum-int.h) ---- */

struct cd_wdisk *
cd_wdisk_start(void)
{
	struct cd_wdisk *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int p[2], rc;

	if (!w)
		return NULL;
	w->iobuf = malloc(CD_WD_SLOT_BYTES);
	if (!w->iobuf || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(w->iobuf);
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->pipe_rd = p[0];
	w->pipe_wr = p[1];
	w->hb_rc = -ENODATA;
	w->hb_changed_ms = cd_now_mono_ms();
	if (getrandom(&w->inc, sizeof(w->inc), GRND_NONBLOCK) != sizeof(w->inc))
		w->inc = (uint32_t)getpid() << 8;
	w->inc &= 0x3fffffffu;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&w->th, NULL, worker, w);
	if (rc) {
		cd_err("witness: cannot start the worker: %s", strerror(rc));
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		close(p[0]);
		close(p[1]);
		free(w->iobuf);
		free(w);
		errno = rc;
		return NULL;
	}
	return w;
}

int
cd_wdisk_fd(const struct cd_wdisk *w)
{
	return w->pipe_rd;
}

void
cd_wdisk_push(struct cd_wdisk *w, const struct cd_wdisk_input *in, char *state_json,
	      uint64_t gen, uint64_t seq)
{
	char *keep, uuid[sizeof(w->in.uuid)];
	uint64_t keep_gen, keep_seq;

	pthread_mutex_lock(&w->lock);
	/* the copy to write (json, generation, seq, uuid) changes only with a new one */
	keep = w->in.state_json;
	keep_gen = w->in.state_gen;
	keep_seq = w->in.state_seq;
	memcpy(uuid, w->in.uuid, sizeof(uuid));
	w->in = *in;
	w->in.state_json = keep;
	w->in.state_gen = keep_gen;
	w->in.state_seq = keep_seq;
	memcpy(w->in.uuid, uuid, sizeof(uuid));
	if (state_json) {
		free(w->in.state_json);
		w->in.state_json = state_json;
		w->in.state_gen = gen;
		w->in.state_seq = seq;
		snprintf(w->in.uuid, sizeof(w->in.uuid), "%s", in->uuid);
	}
	w->version++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

bool
cd_wdisk_take(struct cd_wdisk *w, struct cd_wdisk_output *out)
{
	char buf[64];
	bool ready;

	while (read(w->pipe_rd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&w->lock);
	ready = w->out_ready;
	if (ready) {
		*out = w->out;
		w->out.copy_json = NULL;
		w->out_ready = false;
	}
	pthread_mutex_unlock(&w->lock);
	return ready;
}

void
cd_wdisk_stop(struct cd_wdisk *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->th, NULL);
	close(w->pipe_rd);
	close(w->pipe_wr);
	free(w->in.state_json);
	free(w->out.copy_json);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->iobuf);
	free(w);
}
