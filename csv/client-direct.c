/*
 * client-direct.c - the CSV client's direct I/O on the LUN under leases
 * (see client-direct.h; rules C1-C6 of lib/csv-dlease.h).
 */
#include "client-direct.h"
#include "csv-dlease.h"
#include "iscsi-url.h"
#include "pr.h"
#include "timeutil.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

struct cl_dlease {
	pthread_rwlock_t io;	/* shared: direct I/O in flight; exclusive: map changes */
	pthread_mutex_t lock;	/* the fields below */
	uint64_t id;		/* 0: no lease */
	uint64_t epoch;		/* the coordinator that granted it */
	uint64_t sent_ms, dur_ms;
	struct csv_extent *map;
	size_t n;
	bool recalled;		/* C4: no new direct I/O */
	bool mapping;		/* a MAP is on its way */
	bool wrote;		/* direct writes since the last fsync */
	bool fua;		/* O_SYNC/O_DSYNC handle */
	uint64_t remap_ms;	/* C6: no MAP before */
	struct cl_dlease *next;	/* dg.all */
	int refs;		/* under dg.lock: recall threads using it */
	uint64_t rbytes, wbytes;	/* done directly (for the log at close) */
	uint64_t wredir;		/* writes it could not take directly (a hole,
					 * an unwritten extent, no usable lease) */
	bool times;		/* C7: direct writes since the last times update */
	uint64_t times_ms;	/* C7: when the last update was asked for */
};

#define UNKNOWN_RECALLS	16

static struct {
	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t cond;	/* a session was freed */
	bool on;		/* --lun given */
	struct cd_iscsi_url url;
	char initiator[CD_ISCSI_NAME_MAX + 1];
	uint32_t node_id;
	const char *volume, *status_file;
	struct cl_dlease *all;
	struct {
		struct cd_pr *pr;
		uint64_t gen;
		uint64_t key;	/* its registration */
		bool busy;
	} s[CL_DIRECT_SESSIONS];
	uint64_t gen;		/* session generation: a new key each */
	uint64_t key;		/* of gen; 0: not made yet */
	uint32_t last_inc;
	bool failed;		/* C5 */
	char reason[160];
	uint64_t retry_ms;
	char shown[200];	/* the state last written to status_file */
	uint64_t unknown[UNKNOWN_RECALLS];	/* recalls of leases not installed yet */
	unsigned nunknown;
} dg = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void recall_push(const struct csv_msg *m);

/* ---- state ---- */

/* The state's text (dg.lock held). */
static void
state_locked(char *buf, size_t len)
{
	if (!dg.on)
		snprintf(buf, len, "redirected: direct I/O off (no --lun)");
	else if (dg.failed)
		snprintf(buf, len, "redirected: %s", dg.reason);
	else if (cl_epoch() && !(cl_caps() & CSV_CAP_DIRECT))
		snprintf(buf, len, "redirected: the coordinator offers no direct I/O");
	else
		snprintf(buf, len, "direct");
}

void
cl_direct_state(char *buf, size_t len)
{
	pthread_mutex_lock(&dg.lock);
	state_locked(buf, len);
	pthread_mutex_unlock(&dg.lock);
}

/* Rewrite --status-file when the state changed (and log it). */
static void
publish(void)
{
	char now[200], tmp[4096];
	FILE *f;

	pthread_mutex_lock(&dg.lock);
	state_locked(now, sizeof(now));
	if (!strcmp(now, dg.shown)) {
		pthread_mutex_unlock(&dg.lock);
		return;
	}
	snprintf(dg.shown, sizeof(dg.shown), "%s", now);
	pthread_mutex_unlock(&dg.lock);
	fprintf(stderr, "csv-client %s: I/O %s\n", dg.volume, now);
	if (!dg.status_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", dg.status_file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", now) < 0 || fclose(f) != 0 || rename(tmp, dg.status_file) < 0)
		fprintf(stderr, "csv-client %s: %s: %s\n", dg.volume, dg.status_file,
			strerror(errno));
}

int
cl_direct_init(const struct cl_opts *o)
{
	char err[128];

	dg.volume = o->volume;
	dg.status_file = o->status_file;
	cl_on_push(recall_push);
	if (!o->lun) {
		publish();
		return 0;
	}
	if (cd_iscsi_url_parse(o->lun, &dg.url, err, sizeof(err)) < 0) {
		fprintf(stderr, "csv-client %s: --lun %s: %s\n", o->volume, o->lun, err);
		return -EINVAL;
	}
	if (cd_pr_key(o->node_id, 1) == 0) {
		fprintf(stderr, "csv-client %s: --node-id must be 1..%u with --lun\n", o->volume,
			CD_PR_NODEID_MAX);
		return -EINVAL;
	}
	dg.node_id = o->node_id;
	snprintf(dg.initiator, sizeof(dg.initiator), "iqn.2026-11.org.clusterd:csv:%s:%s",
		 o->node, o->volume);
	for (char *p = dg.initiator; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			   *p == '-' || *p == ':'))
			*p = '-';
	}
	if (cd_iscsi_name_check(dg.initiator, err, sizeof(err)) < 0) {
		fprintf(stderr, "csv-client %s: initiator %s: %s\n", o->volume, dg.initiator, err);
		return -EINVAL;
	}
	dg.on = true;
	dg.gen = 1;
	publish();
	return 0;
}

/* ---- sessions ---- */

/* A session of the current generation for one I/O; -EAGAIN when failed. */
static int
sess_get(int *slot, char *why, size_t wlen)
{
	struct cd_pr *old = NULL, *pr;
	uint64_t gen, key;
	int i, rc;

	pthread_mutex_lock(&dg.lock);
	for (;;) {
		if (dg.failed && cd_now_mono_ms() < dg.retry_ms) {
			pthread_mutex_unlock(&dg.lock);
			return -EAGAIN;
		}
		for (i = 0; i < CL_DIRECT_SESSIONS; i++) {
			if (!dg.s[i].busy && dg.s[i].pr && dg.s[i].gen == dg.gen)
				break;
		}
		if (i == CL_DIRECT_SESSIONS) {
			for (i = 0; i < CL_DIRECT_SESSIONS; i++) {
				if (!dg.s[i].busy)
					break;
			}
		}
		if (i < CL_DIRECT_SESSIONS)
			break;
		pthread_cond_wait(&dg.cond, &dg.lock);
	}
	dg.s[i].busy = true;
	*slot = i;
	if (dg.s[i].pr && dg.s[i].gen == dg.gen) {
		pthread_mutex_unlock(&dg.lock);
		return 0;
	}
	/* a new session: a new key for a new generation (never a preempted one) */
	if (!dg.key) {
		uint32_t inc = (uint32_t)time(NULL);

		if (inc <= dg.last_inc)
			inc = dg.last_inc + 1;
		dg.last_inc = inc;
		dg.key = cd_pr_key(dg.node_id, inc);
	}
	old = dg.s[i].pr;
	dg.s[i].pr = NULL;
	gen = dg.gen;
	key = dg.key;
	pthread_mutex_unlock(&dg.lock);
	cd_pr_close(old);
	pr = cd_pr_open(&dg.url, dg.initiator, CSV_DL_IO_TIMEOUT_MS, &rc);
	if (pr && (rc = cd_pr_register(pr, key)) < 0) {
		snprintf(why, wlen, "register: %s", cd_pr_last_error(pr));
		cd_pr_close(pr);
		pr = NULL;
	} else if (!pr) {
		snprintf(why, wlen, "login: %s", cd_pr_strerror(rc));
	}
	pthread_mutex_lock(&dg.lock);
	dg.s[i].pr = pr;
	dg.s[i].gen = gen;
	dg.s[i].key = key;
	if (!pr) {
		dg.s[i].busy = false;
		pthread_cond_broadcast(&dg.cond);
	}
	pthread_mutex_unlock(&dg.lock);
	if (pr)
		fprintf(stderr, "csv-client %s: direct session %d on %s, key %016" PRIx64 "\n",
			dg.volume, i, dg.url.portal, key);
	return pr ? 0 : rc;
}

static void
sess_put(int slot)
{
	pthread_mutex_lock(&dg.lock);
	dg.s[slot].busy = false;
	pthread_cond_broadcast(&dg.cond);
	pthread_mutex_unlock(&dg.lock);
}

static void *return_all(void *arg);
static void close_sessions(bool all);

/* C5: the direct path failed: redirected, leases back; tried again (a
 * probe) from dg.retry_ms on, and "direct" again once an I/O succeeded. */
static void
fail(const char *why)
{
	pthread_t t;
	bool news;

	pthread_mutex_lock(&dg.lock);
	news = !dg.failed || strcmp(dg.reason, why);
	dg.failed = true;
	snprintf(dg.reason, sizeof(dg.reason), "%s", why);
	dg.retry_ms = cd_now_mono_ms() + CSV_DL_RETRY_MS;
	dg.gen++;
	dg.key = 0;
	pthread_mutex_unlock(&dg.lock);
	if (news)
		publish();
	if (pthread_create(&t, NULL, return_all, NULL) == 0)
		pthread_detach(t);
}

/* May direct I/O be tried now (not failed, or a probe after the wait)? */
static bool
may_try(void)
{
	bool ok;

	pthread_mutex_lock(&dg.lock);
	ok = !dg.failed || cd_now_mono_ms() >= dg.retry_ms;
	pthread_mutex_unlock(&dg.lock);
	return ok;
}

/* A direct I/O succeeded: the path works (again). */
static void
succeeded(void)
{
	bool was;

	pthread_mutex_lock(&dg.lock);
	was = dg.failed;
	dg.failed = false;
	pthread_mutex_unlock(&dg.lock);
	if (was)
		publish();
}

/* ---- leases ---- */

struct cl_dlease *
cl_direct_new(uint32_t flags)
{
	struct cl_dlease *d;
	pthread_rwlockattr_t a;

	if (!dg.on || !(flags & O_DIRECT))
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_rwlockattr_init(&a);
	/* a recall must not wait behind a stream of new I/O */
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->io, &a);
	pthread_rwlockattr_destroy(&a);
	pthread_mutex_init(&d->lock, NULL);
	d->fua = flags & (O_SYNC | O_DSYNC);
	pthread_mutex_lock(&dg.lock);
	d->next = dg.all;
	dg.all = d;
	pthread_mutex_unlock(&dg.lock);
	return d;
}

static void
send_return(uint64_t id)
{
	static __thread struct csv_msg q, r;
	void *frame = NULL;

	memset(&q, 0, sizeof(q));
	q.op = CSV_OP_RETURN;
	q.owner = id;
	(void)cl_call(&q, &r, &frame, NULL);
	free(frame);
}

/*
 * C4: stop d's direct I/O and wait for what is in flight; the lease's id
 * to RETURN (0: none, or one of an earlier coordinator, which needs none).
 */
static uint64_t
drop(struct cl_dlease *d)
{
	uint64_t id;

	pthread_mutex_lock(&d->lock);
	d->recalled = true;
	pthread_mutex_unlock(&d->lock);
	pthread_rwlock_wrlock(&d->io);
	pthread_mutex_lock(&d->lock);
	id = d->epoch == cl_epoch() ? d->id : 0;
	d->id = 0;
	free(d->map);
	d->map = NULL;
	d->n = 0;
	d->remap_ms = cd_now_mono_ms() + CSV_DL_REMAP_MS;	/* C6 */
	pthread_mutex_unlock(&d->lock);
	pthread_rwlock_unlock(&d->io);
	return id;
}

void
cl_direct_free(struct cl_dlease *d)
{
	struct cl_dlease **p;
	uint64_t id;

	if (!d)
		return;
	pthread_mutex_lock(&dg.lock);
	for (p = &dg.all; *p && *p != d; p = &(*p)->next)
		;
	if (*p)
		*p = d->next;
	while (d->refs)		/* a recall or return_all thread still on it */
		pthread_cond_wait(&dg.cond, &dg.lock);
	pthread_mutex_unlock(&dg.lock);
	id = drop(d);
	if (id)
		send_return(id);
	if (d->rbytes || d->wbytes || d->wredir)
		fprintf(stderr, "csv-client %s: a file closed: %" PRIu64 " bytes read and %" PRIu64
			" bytes written directly on the LUN, %" PRIu64 " bytes written through "
			"the coordinator\n", dg.volume, d->rbytes, d->wbytes, d->wredir);
	pthread_rwlock_destroy(&d->io);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* A recall thread is done with d (taken with d->refs++ under dg.lock). */
static void
unref(struct cl_dlease *d)
{
	pthread_mutex_lock(&dg.lock);
	d->refs--;
	pthread_cond_broadcast(&dg.cond);
	pthread_mutex_unlock(&dg.lock);
}

static void *
recaller(void *arg)
{
	uint64_t id = *(uint64_t *)arg, ret = 0;
	struct cl_dlease *d;

	free(arg);
	pthread_mutex_lock(&dg.lock);
	for (d = dg.all; d; d = d->next) {
		pthread_mutex_lock(&d->lock);
		bool mine = d->id == id;

		pthread_mutex_unlock(&d->lock);
		if (mine)
			break;
	}
	if (!d) {
		/* not installed yet (its MAP reply is on its way): refused then */
		dg.unknown[dg.nunknown++ % UNKNOWN_RECALLS] = id;
		pthread_mutex_unlock(&dg.lock);
		return NULL;
	}
	pthread_mutex_lock(&d->lock);
	d->recalled = true;
	pthread_mutex_unlock(&d->lock);
	d->refs++;		/* cl_direct_free waits for it */
	pthread_mutex_unlock(&dg.lock);
	ret = drop(d);
	unref(d);
	if (ret)
		send_return(ret);
	fprintf(stderr, "csv-client %s: lease %" PRIu64 " recalled and returned\n", dg.volume, id);
	return NULL;
}

/* From the connection's reader: must not block. */
static void
recall_push(const struct csv_msg *m)
{
	uint64_t *arg;
	pthread_t t;

	if (m->op != CSV_OP_RECALL)
		return;
	arg = malloc(sizeof(*arg));
	if (!arg)
		return;		/* the lease then ends at its expiry (D5) */
	*arg = m->owner;
	if (pthread_create(&t, NULL, recaller, arg) == 0)
		pthread_detach(t);
	else
		free(arg);
}

/* C5: every lease back; idle sessions of old generations closed. */
static void *
return_all(void *arg)
{
	struct cl_dlease *d;
	uint64_t id;

	(void)arg;
	for (;;) {
		/* one lease at a time, without dg.lock while waiting for its I/O */
		pthread_mutex_lock(&dg.lock);
		for (d = dg.all; d; d = d->next) {
			pthread_mutex_lock(&d->lock);
			bool live = d->id && !d->recalled;

			if (live)
				d->recalled = true;
			pthread_mutex_unlock(&d->lock);
			if (live)
				break;
		}
		if (!d) {
			pthread_mutex_unlock(&dg.lock);
			break;
		}
		d->refs++;
		pthread_mutex_unlock(&dg.lock);
		id = drop(d);
		unref(d);
		if (id)
			send_return(id);
	}
	close_sessions(false);
	return NULL;
}

/* Unregister (when the session still works) and close idle sessions: of
 * earlier generations, or all. A session that cannot unregister leaves its
 * key behind as an orphan on the target until a disk holder preempts it. */
static void
close_sessions(bool all)
{
	struct cd_pr *pr;
	uint64_t key = 0;

	for (int i = 0; i < CL_DIRECT_SESSIONS; i++) {
		pthread_mutex_lock(&dg.lock);
		pr = NULL;
		if (!dg.s[i].busy && dg.s[i].pr && (all || dg.s[i].gen != dg.gen)) {
			pr = dg.s[i].pr;
			key = dg.s[i].key;
			dg.s[i].pr = NULL;
		}
		pthread_mutex_unlock(&dg.lock);
		if (pr && cd_pr_connected(pr))
			(void)cd_pr_unregister(pr, key);
		cd_pr_close(pr);
	}
}

void
cl_direct_shutdown(void)
{
	if (dg.on)
		close_sessions(true);
}

/*
 * C1, C2, C6: get or renew d's lease when it is due (one MAP at a time per
 * handle; the others go on with the lease they have, or redirected).
 */
static void
refresh(struct cl_dlease *d, const struct cl_direct_ops *ops)
{
	static __thread struct csv_msg q, r;
	struct csv_extent *map = NULL;
	uint64_t now = cd_now_mono_ms(), epoch = cl_epoch(), renew, fh;
	void *frame = NULL;
	size_t n = 0, pos = 0;
	bool valid, unknown = false;
	int rc, err = 0;

	pthread_mutex_lock(&d->lock);
	valid = d->id && d->epoch == epoch && !d->recalled &&
		csv_dl_usable(d->sent_ms, d->dur_ms, now);
	if (d->mapping || now < d->remap_ms || (d->recalled && d->id) ||
	    (valid && !csv_dl_renew_due(d->sent_ms, d->dur_ms, now))) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->mapping = true;
	renew = valid ? d->id : 0;
	pthread_mutex_unlock(&d->lock);
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	q.op = CSV_OP_MAP;

	fh = ops->fh(ops->arg, &err);
	rc = fh ? 0 : (err ? err : -EBADF);
	if (rc == 0) {
		q.fh = fh;
		q.owner = renew;
		rc = cl_call(&q, &r, &frame, NULL);
	}
	if (rc == 0 && (r.len <= CSV_DL_MARGIN_MS || r.datalen % CSV_EXTENT_SIZE))
		rc = -EPROTO;
	if (rc == 0 && r.datalen) {
		map = malloc(r.datalen);
		if (!map)
			rc = -ENOMEM;
		while (rc == 0 && n < r.datalen / CSV_EXTENT_SIZE) {
			int k = csv_extent_next(r.data, r.datalen, &pos, &map[n]);

			if (k == 1)
				n++;
			else
				rc = k < 0 ? k : -EPROTO;	/* 0: fewer than announced */
		}
		if (rc == 0)
			rc = csv_dl_map_check(map, n);
		if (rc < 0)
			rc = -EPROTO;
	}
	if (rc == 0) {
		pthread_mutex_lock(&dg.lock);
		for (unsigned i = 0; i < UNKNOWN_RECALLS; i++)
			unknown |= dg.unknown[i] == r.owner;
		pthread_mutex_unlock(&dg.lock);
	}
	/* install: no direct I/O of d meanwhile */
	pthread_rwlock_wrlock(&d->io);
	pthread_mutex_lock(&d->lock);
	d->mapping = false;
	if (rc == 0 && cl_epoch() == epoch) {
		free(d->map);
		d->map = map;
		map = NULL;
		d->n = n;
		d->id = r.owner;
		d->epoch = epoch;
		d->sent_ms = now;
		d->dur_ms = r.len;
		d->recalled = unknown;
	} else if (rc == -EBUSY && renew) {
		d->recalled = true;	/* a mover waits: its recall of renew comes */
		d->remap_ms = now + CSV_DL_REMAP_MS;
	} else {
		if (rc != -EBUSY && rc != -ENOENT && d->id && d->epoch == epoch)
			renew = d->id;	/* a lease we still hold: give it back */
		else
			renew = 0;
		free(d->map);
		d->map = NULL;
		d->n = 0;
		d->id = 0;
		/* C6; the coordinator refusing direct I/O altogether: longer */
		d->remap_ms = now + (rc == -EOPNOTSUPP || rc == -EPERM || rc == -ENOSYS ?
				     CSV_DL_RETRY_MS : CSV_DL_REMAP_MS);
	}
	pthread_mutex_unlock(&d->lock);
	pthread_rwlock_unlock(&d->io);
	if (rc < 0 && rc != -EBUSY)
		fprintf(stderr, "csv-client %s: no extent map (lease) for direct I/O: %s; "
			"redirected for that file\n", dg.volume, strerror(-rc));
	if (rc == 0 && !renew)
		fprintf(stderr, "csv-client %s: lease %" PRIu64 ": %zu extents mapped for direct "
			"I/O, %" PRIu64 " ms\n", dg.volume, r.owner, n, r.len);
	free(map);
	free(frame);
	if (rc == 0 && unknown) {
		uint64_t id = drop(d);

		if (id)
			send_return(id);
	} else if (rc < 0 && renew) {
		send_return(renew);
	}
}

/* One direct I/O of the mapped range [off, off + len) (d->io held shared). */
static int
lun_io(struct cl_dlease *d, bool write, char *buf, size_t len, uint64_t off)
{
	char why[160];
	uint64_t phys, run;
	uint32_t bs;
	int slot, rc;

	while (len) {
		pthread_mutex_lock(&d->lock);
		run = csv_dl_map_run(d->map, d->n, off, &phys);
		pthread_mutex_unlock(&d->lock);
		if (run == 0)
			return -EAGAIN;
		if (run > len)
			run = len;
		if (run > CD_PR_IO_MAX)
			run = CD_PR_IO_MAX;
		why[0] = '\0';
		rc = sess_get(&slot, why, sizeof(why));
		if (rc == -EAGAIN)
			return rc;
		if (rc < 0) {
			fail(why[0] ? why : cd_pr_strerror(rc));
			return -EAGAIN;
		}
		pthread_mutex_lock(&dg.lock);
		struct cd_pr *pr = dg.s[slot].pr;

		pthread_mutex_unlock(&dg.lock);
		/* C1 again: a login may have taken its deadline */
		pthread_mutex_lock(&d->lock);
		bool usable = !d->recalled && csv_dl_usable(d->sent_ms, d->dur_ms, cd_now_mono_ms());

		pthread_mutex_unlock(&d->lock);
		bs = cd_pr_block_size(pr);
		if (!usable || !bs || phys % bs || run % bs) {
			sess_put(slot);
			return -EAGAIN;		/* C3 on this LUN's blocks */
		}
		rc = write ? cd_pr_write_blocks(pr, phys / bs, buf, run,
						d->fua ? CD_PR_WRITE_FUA : 0) :
			     cd_pr_read_blocks(pr, phys / bs, buf, run);
		if (rc < 0)
			snprintf(why, sizeof(why), "%s", cd_pr_last_error(pr));
		sess_put(slot);
		if (rc < 0) {
			fprintf(stderr, "csv-client %s: direct %s at %" PRIu64 " failed: %s; "
				"redirected\n", dg.volume, write ? "write" : "read", phys, why);
			fail(why);
			return -EAGAIN;
		}
		buf += run;
		off += run;
		len -= run;
	}
	return 0;
}

static int
direct_io(struct cl_dlease *d, const struct cl_direct_ops *ops, char *buf, size_t len,
	  uint64_t off, bool write)
{
	uint64_t now;
	bool ok;
	int rc;

	if (!d || !dg.on)
		return -EAGAIN;
	publish();
	if (!may_try() || !(cl_caps() & CSV_CAP_DIRECT))
		return -EAGAIN;
	refresh(d, ops);
	pthread_rwlock_rdlock(&d->io);
	now = cd_now_mono_ms();
	pthread_mutex_lock(&d->lock);
	ok = d->id && !d->recalled && d->epoch == cl_epoch() &&
	     csv_dl_usable(d->sent_ms, d->dur_ms, now) &&		/* C1 */
	     csv_dl_direct_ok(d->map, d->n, off, len);			/* C3 */
	if (!ok && write)
		d->wredir += len;
	pthread_mutex_unlock(&d->lock);
	rc = ok ? lun_io(d, write, buf, len, off) : -EAGAIN;
	if (rc == 0)
		succeeded();
	if (rc == 0) {
		pthread_mutex_lock(&d->lock);
		d->wrote |= write;
		d->times |= write;
		*(write ? &d->wbytes : &d->rbytes) += len;
		pthread_mutex_unlock(&d->lock);
	}
	pthread_rwlock_unlock(&d->io);
	return rc == 0 ? (int)len : rc;
}

int
cl_direct_read(struct cl_dlease *d, const struct cl_direct_ops *ops, char *buf, size_t len,
	       uint64_t off)
{
	return direct_io(d, ops, buf, len, off, false);
}

int
cl_direct_write(struct cl_dlease *d, const struct cl_direct_ops *ops, const char *buf,
		size_t len, uint64_t off)
{
	/* lun_io only reads through buf for a write */
	return direct_io(d, ops, (char *)(uintptr_t)buf, len, off, true);
}

bool
cl_direct_times_due(struct cl_dlease *d, bool force)
{
	uint64_t now = cd_now_mono_ms();
	bool due;

	if (!d)
		return false;
	pthread_mutex_lock(&d->lock);
	due = csv_dl_times_due(d->times, d->times_ms, now, force);	/* C7 */
	if (due) {
		d->times = false;
		d->times_ms = now;
	}
	pthread_mutex_unlock(&d->lock);
	return due;
}

void
cl_direct_times_failed(struct cl_dlease *d)
{
	pthread_mutex_lock(&d->lock);
	d->times = true;
	pthread_mutex_unlock(&d->lock);
}

int
cl_direct_fsync(struct cl_dlease *d)
{
	char why[160] = "";
	int slot, rc;
	bool wrote;

	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	wrote = d->wrote;
	d->wrote = false;
	pthread_mutex_unlock(&d->lock);
	if (!wrote)
		return 0;
	rc = sess_get(&slot, why, sizeof(why));
	if (rc == 0) {
		pthread_mutex_lock(&dg.lock);
		struct cd_pr *pr = dg.s[slot].pr;

		pthread_mutex_unlock(&dg.lock);
		rc = cd_pr_sync_cache(pr);
		if (rc < 0)
			snprintf(why, sizeof(why), "%s", cd_pr_last_error(pr));
		sess_put(slot);
	}
	if (rc < 0) {
		if (rc != -EAGAIN)
			fail(why[0] ? why : cd_pr_strerror(rc));
		return -EIO;	/* the caller writes the data again through the coordinator */
	}
	return 0;
}
