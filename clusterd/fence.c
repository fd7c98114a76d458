/*
 * fence.c - storage fencing worker (see fence.h).
 */
#include "fence.h"
#include "log.h"
#include "pr.h"
#include "iscsi-url.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FENCE_MAX_LUNS	32
/* Registrations read at once (64 nodes with a disk holder, a fence key and
 * 4 direct-I/O sessions each are 384); a LUN holding more is an error here,
 * never a silent partial fence or a wrong "we were fenced". */
#define FENCE_MAX_KEYS	2048	/* 64 nodes x (16 direct sessions + holder + fence) */

enum job_type { JOB_SET_LUNS, JOB_SET_DATA_LUNS, JOB_REGISTER, JOB_FENCE, JOB_CHECK };

struct job {
	struct job *next;
	enum job_type type;
	uint64_t key;
	uint32_t victim;
	cd_fence_done_fn done;
	void *ctx;
	int err;
	char detail[256];
	size_t n_urls;		/* JOB_SET_LUNS, JOB_SET_DATA_LUNS */
	char (*urls)[256];
};

struct lun {
	char url[256];
	struct cd_pr *pr;
};

struct cd_fence {
	qb_loop_t *loop;
	char initiator[224];
	int timeout_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *queue, *queue_tail;
	bool stop;
	/* LUN list: the worker's alone (changed through JOB_SET_LUNS) */
	size_t n_luns;
	struct lun luns[FENCE_MAX_LUNS];
	size_t n_data;		/* data LUNs, the worker's alone too */
	struct lun data[FENCE_MAX_LUNS];
	size_t n_luns_loop;	/* what the loop last asked for */
	size_t n_data_loop;
	int pipe_rd, pipe_wr;	/* finished jobs, worker -> loop */
};

/* ---- worker side ---- */

static int
ensure_session(struct cd_fence *f, struct lun *l, char *detail, size_t dlen)
{
	int rc = cd_pr_ensure(&l->pr, l->url, f->initiator, f->timeout_ms, detail, dlen);

	return rc < 0 ? rc : 0;
}

static int
do_register(struct cd_fence *f, struct lun *l, uint64_t key, char *detail, size_t dlen)
{
	struct cd_pr_reservation res;
	int rc;

	rc = cd_pr_register_ignore(l->pr, key);
	if (rc == 0)
		rc = cd_pr_read_reservation(l->pr, &res);
	if (rc == 0 && !res.present) {
		rc = cd_pr_reserve(l->pr, key, CD_PR_WERO);
		/* Another node reserved first: fine, WERO covers us too. */
		if (rc == -CD_PR_E_CONFLICT)
			rc = 0;
	}
	if (rc < 0)
		snprintf(detail, dlen, "%s: register: %s", l->url, cd_pr_last_error(l->pr));
	return rc;
}

/*
 * On a data LUN our registration is routinely preempted (by the next
 * holder taking the LUN), and tgt sends RESERVATIONS RELEASED to any
 * nexus: a unit attention there says nothing about this node being
 * fenced. The command was not executed; do it again (up to 3 times).
 */
#define DATA_UA_RETRY(rc, expr)						\
	do {								\
		(rc) = (expr);						\
		for (int t_ = 0; t_ < 3 && cd_pr_is_unit_attention(rc); t_++) \
			(rc) = (expr);					\
	} while (0)

/*
 * The LUN's registered keys into keys[FENCE_MAX_KEYS], their number into
 * *n (at most FENCE_MAX_KEYS). data: a data LUN (unit attentions retried).
 * Returns 0, a PR error, or -E2BIG when more keys are registered than
 * were read (keys[] then holds the first FENCE_MAX_KEYS). detail says why
 * on every error.
 */
static int
read_keys(struct lun *l, bool data, uint64_t *keys, size_t *n, char *detail, size_t dlen)
{
	int rc;

	*n = 0;
	if (data)
		DATA_UA_RETRY(rc, cd_pr_read_keys(l->pr, keys, FENCE_MAX_KEYS, n, NULL));
	else
		rc = cd_pr_read_keys(l->pr, keys, FENCE_MAX_KEYS, n, NULL);
	if (rc < 0) {
		*n = 0;
		snprintf(detail, dlen, "%s: read keys: %s", l->url, cd_pr_last_error(l->pr));
		return rc;
	}
	if (*n > FENCE_MAX_KEYS) {
		snprintf(detail, dlen, "%s: %zu registrations, more than the %d read at once",
			 l->url, *n, FENCE_MAX_KEYS);
		*n = FENCE_MAX_KEYS;
		return -E2BIG;
	}
	return 0;
}

/* The index of the first of keys[from..n) that belongs to node victim, or n. */
static size_t
next_victim_key(const uint64_t *keys, size_t n, uint32_t victim, size_t from)
{
	for (size_t i = from; i < n; i++) {
		uint32_t node;

		if (cd_pr_key_decode(keys[i], &node, NULL) && node == victim)
			return i;
	}
	return n;
}

static int
do_fence(struct cd_fence *f, struct lun *l, uint64_t key, uint32_t victim,
	 char *detail, size_t dlen)
{
	uint64_t keys[FENCE_MAX_KEYS];
	size_t n, i;
	int rc;

	rc = read_keys(l, false, keys, &n, detail, dlen);
	if (rc < 0)
		return rc;
	for (i = next_victim_key(keys, n, victim, 0); i < n;
	     i = next_victim_key(keys, n, victim, i + 1)) {
		rc = cd_pr_preempt(l->pr, key, keys[i], CD_PR_WERO);
		if (rc < 0) {
			snprintf(detail, dlen, "%s: preempt %016" PRIx64 ": %s", l->url,
				 keys[i], cd_pr_last_error(l->pr));
			return rc;
		}
		cd_notice("fence: preempted key %016" PRIx64 " of node %" PRIu32 " on %s",
			  keys[i], victim, l->url);
	}
	return 0;
}

/* Whether node victim still has a key on data LUN l (true when unknown:
 * *err and detail say why). */
static bool
victim_keys_left(struct lun *l, uint32_t victim, char *detail, size_t dlen, int *err)
{
	uint64_t keys[FENCE_MAX_KEYS];
	size_t n;

	*err = read_keys(l, true, keys, &n, detail, dlen);
	return *err < 0 || next_victim_key(keys, n, victim, 0) < n;
}

/*
 * A data LUN: register our key, preempt the victim's keys (with the
 * reservation's type when the victim holds it, so the LUN stays reserved
 * and only registrants write), keep our key. A preempt that fails because
 * the role's new owner took the LUN meanwhile (it preempted everybody,
 * our key too) is fine when no key of the victim is left.
 */
static int
do_fence_data(struct cd_fence *f, struct lun *l, uint64_t key, uint32_t victim,
	      char *detail, size_t dlen)
{
	uint64_t keys[FENCE_MAX_KEYS];
	struct cd_pr_reservation res;
	enum cd_pr_type type;
	size_t n, i;
	int rc, err;

	(void)f;
	rc = read_keys(l, true, keys, &n, detail, dlen);
	if (rc < 0)
		return rc;
	i = next_victim_key(keys, n, victim, 0);
	if (i == n)
		return 0;	/* nothing of the victim's here */
	DATA_UA_RETRY(rc, cd_pr_register_ignore(l->pr, key));
	if (rc == 0)
		DATA_UA_RETRY(rc, cd_pr_read_reservation(l->pr, &res));
	if (rc < 0) {
		snprintf(detail, dlen, "%s: register: %s", l->url, cd_pr_last_error(l->pr));
		return rc;
	}
	for (; i < n; i = next_victim_key(keys, n, victim, i + 1)) {
		type = res.present && res.key == keys[i] ? res.type : CD_PR_WERO;
		DATA_UA_RETRY(rc, cd_pr_preempt(l->pr, key, keys[i], type));
		if (rc == -CD_PR_E_CONFLICT || rc == -CD_PR_E_PREEMPTED) {
			/* gone already, or our key was preempted by a taker */
			if (!victim_keys_left(l, victim, detail, dlen, &err) && err == 0)
				return 0;
		}
		if (rc < 0) {
			snprintf(detail, dlen, "%s: preempt %016" PRIx64 ": %s", l->url,
				 keys[i], cd_pr_last_error(l->pr));
			return rc;
		}
		cd_notice("fence: preempted key %016" PRIx64 " of node %" PRIu32
			  " on data LUN %s", keys[i], victim, l->url);
	}
	return 0;
}

static int
do_check(struct cd_fence *f, struct lun *l, uint64_t key, char *detail, size_t dlen)
{
	uint64_t keys[FENCE_MAX_KEYS];
	size_t n, i;
	int rc;

	rc = read_keys(l, false, keys, &n, detail, dlen);
	if (rc < 0 && rc != -E2BIG)
		return rc;
	for (i = 0; i < n; i++) {
		if (keys[i] == key)
			return 0;	/* found among the first ones read: a verdict */
	}
	if (rc == -E2BIG)
		return rc;	/* not among the first ones: no verdict */
	snprintf(detail, dlen, "%s: our key %016" PRIx64 " is gone: this node was fenced",
		 l->url, key);
	return -CD_PR_E_PREEMPTED;
}

static void close_luns(struct cd_fence *f);
static void close_set(struct lun *set);

static void
run_job(struct cd_fence *f, struct job *j)
{
	size_t i;

	j->err = 0;
	if (j->type == JOB_SET_LUNS || j->type == JOB_SET_DATA_LUNS) {
		struct lun *set = j->type == JOB_SET_LUNS ? f->luns : f->data;
		size_t *nset = j->type == JOB_SET_LUNS ? &f->n_luns : &f->n_data;
		bool same = j->n_urls == *nset;

		for (i = 0; same && i < j->n_urls; i++)
			same = strcmp(set[i].url, j->urls[i]) == 0;
		if (!same) {
			close_set(set);
			memset(set, 0, FENCE_MAX_LUNS * sizeof(*set));
			for (i = 0; i < j->n_urls; i++)
				snprintf(set[i].url, sizeof(set[i].url), "%s", j->urls[i]);
			*nset = j->n_urls;
		}
		return;
	}
	for (i = 0; i < f->n_luns && j->err == 0; i++) {
		struct lun *l = &f->luns[i];
		int rc = ensure_session(f, l, j->detail, sizeof(j->detail));

		if (rc == 0) {
			switch (j->type) {
			case JOB_REGISTER:
				rc = do_register(f, l, j->key, j->detail, sizeof(j->detail));
				break;
			case JOB_FENCE:
				rc = do_fence(f, l, j->key, j->victim, j->detail, sizeof(j->detail));
				break;
			case JOB_CHECK:
				rc = do_check(f, l, j->key, j->detail, sizeof(j->detail));
				break;
			case JOB_SET_LUNS:
			case JOB_SET_DATA_LUNS:
				break;
			}
		}
		j->err = rc;
	}
	for (i = 0; j->type == JOB_FENCE && i < f->n_data && j->err == 0; i++) {
		struct lun *l = &f->data[i];
		int rc = ensure_session(f, l, j->detail, sizeof(j->detail));

		if (rc == 0)
			rc = do_fence_data(f, l, j->key, j->victim, j->detail, sizeof(j->detail));
		j->err = rc;
	}
}

static void
close_set(struct lun *set)
{
	for (size_t i = 0; i < FENCE_MAX_LUNS; i++) {
		cd_pr_close(set[i].pr);
		set[i].pr = NULL;
	}
}

static void
close_luns(struct cd_fence *f)
{
	close_set(f->luns);
	close_set(f->data);
}

static void *
worker(void *arg)
{
	struct cd_fence *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct job *j;

		while (!f->stop && !f->queue)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop)
			break;
		j = f->queue;
		f->queue = j->next;
		if (!f->queue)
			f->queue_tail = NULL;
		pthread_mutex_unlock(&f->lock);
		run_job(f, j);
		if (write(f->pipe_wr, &j, sizeof(j)) != sizeof(j))
			cd_err("fence: cannot hand a result back to the loop");
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* ---- loop side ---- */

static int32_t
on_result(int32_t fd, int32_t revents, void *data)
{
	struct job *j;

	while (read(fd, &j, sizeof(j)) == sizeof(j)) {
		if (j->done)
			j->done(j->ctx, j->err, j->err ? j->detail : "");
		free(j->urls);
		free(j);
	}
	return 0;
}

struct cd_fence *
cd_fence_new(qb_loop_t *loop, const char *initiator, int timeout_ms)
{
	struct cd_fence *f = calloc(1, sizeof(*f));
	int fds[2];

	if (!f)
		return NULL;
	f->loop = loop;
	f->timeout_ms = timeout_ms;
	snprintf(f->initiator, sizeof(f->initiator), "%s", initiator);
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		free(f);
		return NULL;
	}
	f->pipe_rd = fds[0];
	f->pipe_wr = fds[1];
	/* The worker blocks on the write end only if the loop is wedged. */
	fcntl(f->pipe_wr, F_SETFL, 0);
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (qb_loop_poll_add(loop, QB_LOOP_HIGH, f->pipe_rd, POLLIN, f, on_result) < 0 ||
	    pthread_create(&f->thread, NULL, worker, f) != 0) {
		qb_loop_poll_del(loop, f->pipe_rd);
		close(fds[0]);
		close(fds[1]);
		free(f);
		errno = EAGAIN;
		return NULL;
	}
	return f;
}

void
cd_fence_free(struct cd_fence *f)
{
	struct job *j;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	while ((j = f->queue)) {
		f->queue = j->next;
		free(j->urls);
		free(j);
	}
	/* Finished jobs not yet delivered: free without calling back. */
	while (read(f->pipe_rd, &j, sizeof(j)) == sizeof(j)) {
		free(j->urls);
		free(j);
	}
	qb_loop_poll_del(f->loop, f->pipe_rd);
	close(f->pipe_rd);
	close(f->pipe_wr);
	close_luns(f);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}

static int queue_job(struct cd_fence *f, struct job *j);

static int
set_luns(struct cd_fence *f, enum job_type type, const char *const *urls, size_t n)
{
	struct job *j;
	size_t i;

	if (n > FENCE_MAX_LUNS)
		return -E2BIG;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->type = type;
	j->n_urls = n;
	if (n) {
		j->urls = calloc(n, sizeof(*j->urls));
		if (!j->urls) {
			free(j);
			return -ENOMEM;
		}
	}
	for (i = 0; i < n; i++)
		snprintf(j->urls[i], sizeof(j->urls[i]), "%s", urls[i]);
	if (type == JOB_SET_LUNS)
		f->n_luns_loop = n;
	else
		f->n_data_loop = n;
	return queue_job(f, j);
}

int
cd_fence_set_luns(struct cd_fence *f, const char *const *urls, size_t n)
{
	return set_luns(f, JOB_SET_LUNS, urls, n);
}

int
cd_fence_set_data_luns(struct cd_fence *f, const char *const *urls, size_t n)
{
	return set_luns(f, JOB_SET_DATA_LUNS, urls, n);
}

size_t
cd_fence_n_luns(const struct cd_fence *f)
{
	return f->n_luns_loop;
}

size_t
cd_fence_n_data_luns(const struct cd_fence *f)
{
	return f->n_data_loop;
}

static int
queue_job(struct cd_fence *f, struct job *j)
{
	pthread_mutex_lock(&f->lock);
	if (f->queue_tail)
		f->queue_tail->next = j;
	else
		f->queue = j;
	f->queue_tail = j;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int
new_job(struct cd_fence *f, enum job_type type, uint64_t key, uint32_t victim,
	cd_fence_done_fn done, void *ctx)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->type = type;
	j->key = key;
	j->victim = victim;
	j->done = done;
	j->ctx = ctx;
	return queue_job(f, j);
}

int
cd_fence_register(struct cd_fence *f, uint64_t key, cd_fence_done_fn done, void *ctx)
{
	return new_job(f, JOB_REGISTER, key, 0, done, ctx);
}

int
cd_fence_node(struct cd_fence *f, uint64_t key, uint32_t victim,
	      cd_fence_done_fn done, void *ctx)
{
	return new_job(f, JOB_FENCE, key, victim, done, ctx);
}

int
cd_fence_check(struct cd_fence *f, uint64_t key, cd_fence_done_fn done, void *ctx)
{
	return new_job(f, JOB_CHECK, key, 0, done, ctx);
}
