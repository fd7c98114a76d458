/*
 * client-wb.c - the CSV client's write-behind (see client-wb.h): a window
 * of queued writes, a pool of threads sending them, drains by file,
 * handle or all.
 */
#include "client-wb.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	struct cl_wb_job *job;
	bool started;
	bool running;		/* in run: its data is being sent */
	bool sent;		/* on the wire: the handle's next write may go */
	uint32_t cap;		/* coalescing: job->data may grow to this */
	struct slot *next;
};

static struct {
	pthread_mutex_t lock;	/* everything below */
	pthread_cond_t work;	/* a job was queued */
	pthread_cond_t done;	/* a job finished or was sent */
	struct slot *jobs, **tail;	/* queued and in flight, by seq */
	unsigned njobs;
	size_t bytes;
	uint64_t next_seq;
	int (*run)(struct cl_wb_job *);
	void (*finish)(struct cl_wb_job *, int);
} g = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.tail = &g.jobs,
};

static bool
overlaps(const struct cl_wb_job *j, uint64_t ino, uint64_t off, uint32_t len)
{
	return j->ino == ino && off < j->off + j->len && j->off < off + len;
}

/* May s be sent now: every earlier job of its handle is on the wire? */
static bool
my_turn(const struct slot *s)
{
	for (const struct slot *o = g.jobs; o != s; o = o->next) {
		if (o->job->h == s->job->h && !o->sent)
			return false;
	}
	return true;
}

void
cl_wb_sent(struct cl_wb_job *j)
{
	struct slot *s;

	pthread_mutex_lock(&g.lock);
	for (s = g.jobs; s && s->job != j; s = s->next)
		;
	if (s && !s->sent) {
		s->sent = true;
		pthread_cond_broadcast(&g.done);
	}
	pthread_mutex_unlock(&g.lock);
}

static void *
sender(void *arg)
{
	struct slot *s, **p;
	int rc;

	(void)arg;
	pthread_mutex_lock(&g.lock);
	for (;;) {
		for (s = g.jobs; s && s->started; s = s->next)
			;
		if (!s) {
			pthread_cond_wait(&g.work, &g.lock);
			continue;
		}
		s->started = true;
		/* jobs start in order, so the earlier ones of this handle run */
		while (!my_turn(s))
			pthread_cond_wait(&g.done, &g.lock);
		s->running = true;	/* no more coalescing into it */
		pthread_mutex_unlock(&g.lock);
		rc = g.run(s->job);
		cl_wb_sent(s->job);	/* run may have failed before sending */
		g.finish(s->job, rc);
		pthread_mutex_lock(&g.lock);
		for (p = &g.jobs; *p != s; p = &(*p)->next)
			;
		*p = s->next;
		if (g.tail == &s->next)
			g.tail = p;
		g.njobs--;
		g.bytes -= s->job->len;
		pthread_cond_broadcast(&g.done);
		free(s->job->path);
		free(s->job);
		free(s);
	}
	return NULL;
}

int
cl_wb_init(int (*run)(struct cl_wb_job *j), void (*done)(struct cl_wb_job *j, int rc))
{
	pthread_t t;
	int rc;

	g.run = run;
	g.finish = done;
	for (int i = 0; i < CL_WB_THREADS; i++) {
		rc = pthread_create(&t, NULL, sender, NULL);
		if (rc != 0)
			return -rc;
		pthread_detach(t);
	}
	return 0;
}

/*
 * The last job of handle h, when it is not running yet and data at off
 * continues it and fits (g.lock held): the write joins it, one request
 * instead of two (QEMU's migration stream writes 32 KiB at a time).
 */
static struct slot *
coalesce_into(void *h, uint64_t ino, uint64_t off, uint32_t len)
{
	struct slot *s, *last = NULL;

	for (s = g.jobs; s; s = s->next) {
		if (s->job->h == h)
			last = s;
	}
	if (last && !last->running && last->job->ino == ino &&
	    last->job->off + last->job->len == off && last->job->len + len <= last->cap)
		return last;
	return NULL;
}

int
cl_wb_submit(void *h, uint64_t ino, const char *path, uint64_t off, const void *data,
	     uint32_t len)
{
	uint32_t cap = len < CL_WB_COALESCE ? CL_WB_COALESCE : len;
	struct cl_wb_job *j = malloc(sizeof(*j) + len), *grown;
	struct slot *s = malloc(sizeof(*s)), *o;
	bool wait;

	if (!j || !s || !(j->path = strdup(path ? path : ""))) {
		free(j);
		free(s);
		return -ENOMEM;
	}
	j->h = h;
	j->ino = ino;
	j->off = off;
	j->len = len;
	j->next = NULL;
	memcpy(j->data, data, len);
	s->job = j;
	s->started = false;
	s->running = false;
	s->sent = false;
	s->cap = cap;
	s->next = NULL;
	pthread_mutex_lock(&g.lock);
	for (;;) {
		for (wait = false, o = g.jobs; o && !wait; o = o->next)
			wait = overlaps(o->job, ino, off, len);
		if (!wait && (o = coalesce_into(h, ino, off, len)) &&
		    g.bytes + len <= CL_WB_BYTES &&
		    (grown = realloc(o->job, sizeof(*j) + o->job->len + len))) {
			/* not running: no one but this list holds the job */
			o->job = grown;
			memcpy(o->job->data + o->job->len, data, len);
			o->job->len += len;
			g.bytes += len;
			pthread_mutex_unlock(&g.lock);
			free(j->path);
			free(j);
			free(s);
			return 0;
		}
		if (!wait)
			wait = g.njobs >= CL_WB_JOBS || (g.njobs && g.bytes + len > CL_WB_BYTES);
		if (!wait)
			break;
		pthread_cond_wait(&g.done, &g.lock);
	}
	j->seq = ++g.next_seq;
	*g.tail = s;
	g.tail = &s->next;
	g.njobs++;
	g.bytes += len;
	pthread_cond_signal(&g.work);
	pthread_mutex_unlock(&g.lock);
	return 0;
}

enum scope { BY_INO, BY_HANDLE, ALL };

static void
drain(enum scope by, uint64_t ino, const void *h)
{
	struct slot *s;
	uint64_t upto;
	bool wait;

	pthread_mutex_lock(&g.lock);
	upto = g.next_seq;
	for (;;) {
		wait = false;
		for (s = g.jobs; s && !wait && s->job->seq <= upto; s = s->next)
			wait = by == ALL || (by == BY_INO && s->job->ino == ino) ||
			       (by == BY_HANDLE && s->job->h == h);
		if (!wait)
			break;
		pthread_cond_wait(&g.done, &g.lock);
	}
	pthread_mutex_unlock(&g.lock);
}

void
cl_wb_drain_ino(uint64_t ino)
{
	drain(BY_INO, ino, NULL);
}

void
cl_wb_drain_handle(const void *h)
{
	drain(BY_HANDLE, 0, h);
}

void
cl_wb_drain_all(void)
{
	drain(ALL, 0, NULL);
}
