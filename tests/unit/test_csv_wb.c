/*
 * test_csv_wb.c - the CSV client's write-behind queue (csv/client-wb.c,
 * contract in csv/client-wb.h): overlapping writes of one file go one
 * after the other, others in parallel; the window bounds what is queued;
 * drains wait for what was submitted before them, by file, handle or all;
 * the done callback gets run's result.
 *
 * run stands for the WRITE round trip: it says the request is sent
 * (cl_wb_sent) and waits for the reply; a job whose offset is "held" waits
 * in run until the test lets it go, so a test can keep writes in flight; a
 * "held" job whose offset is also "unsent" waits before it is sent.
 * Things that must not happen are checked with a deadline (WAIT_NO_MS).
 */
#include "client-wb.h"
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define WAIT_MS		5000	/* something must happen within this */
#define WAIT_NO_MS	300	/* something must not happen within this */
#define MAXLOG		256

static pthread_mutex_t t_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t t_cond = PTHREAD_COND_INITIALIZER;
static uint64_t held[MAXLOG];		/* offsets held in run */
static unsigned nheld;
static uint64_t started[MAXLOG], finished[MAXLOG];	/* offsets, in order */
static unsigned nstarted, nfinished;
static int done_rc[MAXLOG];
static uint32_t done_len[MAXLOG];
static int fail_off = -1;		/* run fails the job at this offset */
static uint64_t unsent = UINT64_MAX;	/* this held job waits before cl_wb_sent */

static bool
is_held(uint64_t off)
{
	for (unsigned i = 0; i < nheld; i++) {
		if (held[i] == off)
			return true;
	}
	return false;
}

static void
hold(uint64_t off)
{
	pthread_mutex_lock(&t_lock);
	held[nheld++] = off;
	pthread_mutex_unlock(&t_lock);
}

static void
release(uint64_t off)
{
	pthread_mutex_lock(&t_lock);
	for (unsigned i = 0; i < nheld; i++) {
		if (held[i] == off)
			held[i] = held[--nheld];
	}
	pthread_cond_broadcast(&t_cond);
	pthread_mutex_unlock(&t_lock);
}

static int
run(struct cl_wb_job *j)
{
	bool send_first;

	pthread_mutex_lock(&t_lock);
	started[nstarted++ % MAXLOG] = j->off;
	send_first = j->off != unsent;
	pthread_cond_broadcast(&t_cond);
	pthread_mutex_unlock(&t_lock);
	if (send_first)
		cl_wb_sent(j);
	pthread_mutex_lock(&t_lock);
	while (is_held(j->off))
		pthread_cond_wait(&t_cond, &t_lock);
	pthread_mutex_unlock(&t_lock);
	return (int)j->off == fail_off ? -ENOSPC : (int)j->len;
}

static void
done(struct cl_wb_job *j, int rc)
{
	pthread_mutex_lock(&t_lock);
	done_rc[nfinished % MAXLOG] = rc;
	done_len[nfinished % MAXLOG] = j->len;
	finished[nfinished++ % MAXLOG] = j->off;
	pthread_cond_broadcast(&t_cond);
	pthread_mutex_unlock(&t_lock);
}

static void
reset(void)
{
	cl_wb_drain_all();
	pthread_mutex_lock(&t_lock);
	nheld = nstarted = nfinished = 0;
	fail_off = -1;
	unsent = UINT64_MAX;
	pthread_mutex_unlock(&t_lock);
}

static struct timespec
deadline(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Has the job at off started (within ms)? */
static bool
wait_started(uint64_t off, int ms)
{
	struct timespec ts = deadline(ms);
	bool found = false;

	pthread_mutex_lock(&t_lock);
	for (;;) {
		for (unsigned i = 0; i < nstarted && !found; i++)
			found = started[i] == off;
		if (found || pthread_cond_timedwait(&t_cond, &t_lock, &ts) != 0)
			break;
	}
	pthread_mutex_unlock(&t_lock);
	return found;
}

static char data[4096];

static void
submit(uint64_t ino, uint64_t off, uint32_t len, void *h)
{
	CU_ASSERT_EQUAL(cl_wb_submit(h, ino, "/f", off, data, len), 0);
}

/* A call on a thread of its own, and whether it returned (by a deadline). */
struct bg {
	pthread_t t;
	void (*fn)(struct bg *);
	uint64_t ino, off;
	void *h;
	bool returned;
};

static void *
bg_main(void *arg)
{
	struct bg *b = arg;

	b->fn(b);
	pthread_mutex_lock(&t_lock);
	b->returned = true;
	pthread_cond_broadcast(&t_cond);
	pthread_mutex_unlock(&t_lock);
	return NULL;
}

static void
bg_start(struct bg *b)
{
	b->returned = false;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&b->t, NULL, bg_main, b), 0);
}

static bool
bg_returned(struct bg *b, int ms)
{
	struct timespec ts = deadline(ms);
	bool r;

	pthread_mutex_lock(&t_lock);
	while (!b->returned && pthread_cond_timedwait(&t_cond, &t_lock, &ts) == 0)
		;
	r = b->returned;
	pthread_mutex_unlock(&t_lock);
	return r;
}

static void
bg_join(struct bg *b)
{
	pthread_join(b->t, NULL);
}

static void
do_submit(struct bg *b)
{
	submit(b->ino, b->off, 10, b->h);
}

static void
do_drain_ino(struct bg *b)
{
	cl_wb_drain_ino(b->ino);
}

static void
do_drain_handle(struct bg *b)
{
	cl_wb_drain_handle(b->h);
}

static void
do_drain_all(struct bg *b)
{
	(void)b;
	cl_wb_drain_all();
}

static void
test_overlap_waits(void)
{
	struct bg b = { .fn = do_submit, .ino = 1, .off = 5 };

	reset();
	hold(0);
	submit(1, 0, 10, NULL);
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	bg_start(&b);
	/* [5,15) overlaps [0,10) in flight: not queued, the submit waits */
	CU_ASSERT_FALSE(bg_returned(&b, WAIT_NO_MS));
	CU_ASSERT_FALSE(wait_started(5, 0));
	release(0);
	CU_ASSERT_TRUE(bg_returned(&b, WAIT_MS));
	bg_join(&b);
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, 2);
	CU_ASSERT_EQUAL(finished[0], 0);
	CU_ASSERT_EQUAL(finished[1], 5);
}

static void
test_disjoint_in_parallel(void)
{
	reset();
	hold(0);
	hold(10);
	submit(1, 0, 10, NULL);
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));	/* running: nothing joins it */
	submit(1, 10, 10, NULL);	/* adjacent, not overlapping */
	submit(2, 0, 10, NULL);		/* same range, other file: in flight too */
	CU_ASSERT_TRUE(wait_started(10, WAIT_MS));
	/* both held writes of file 1 are in flight at once */
	pthread_mutex_lock(&t_lock);
	CU_ASSERT_EQUAL(nfinished, 0);
	pthread_mutex_unlock(&t_lock);
	release(10);
	release(0);
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, 3);
}

static void
test_drain_scopes(void)
{
	int h1, h2;
	struct bg other = { .fn = do_drain_ino, .ino = 2 };
	struct bg same = { .fn = do_drain_ino, .ino = 1 };
	struct bg oh = { .fn = do_drain_handle, .h = &h2 };
	struct bg sh = { .fn = do_drain_handle, .h = &h1 };
	struct bg all = { .fn = do_drain_all };

	reset();
	hold(100);
	submit(1, 100, 10, &h1);
	CU_ASSERT_TRUE(wait_started(100, WAIT_MS));
	bg_start(&other);
	bg_start(&oh);
	bg_start(&same);
	bg_start(&sh);
	bg_start(&all);
	CU_ASSERT_TRUE(bg_returned(&other, WAIT_MS));	/* file 2 has nothing behind */
	CU_ASSERT_TRUE(bg_returned(&oh, WAIT_MS));	/* nor handle 2 */
	CU_ASSERT_FALSE(bg_returned(&same, WAIT_NO_MS));
	CU_ASSERT_FALSE(bg_returned(&sh, 0));
	CU_ASSERT_FALSE(bg_returned(&all, 0));
	release(100);
	CU_ASSERT_TRUE(bg_returned(&same, WAIT_MS));
	CU_ASSERT_TRUE(bg_returned(&sh, WAIT_MS));
	CU_ASSERT_TRUE(bg_returned(&all, WAIT_MS));
	/* a drain returns only after done ran for what it waited for */
	CU_ASSERT_EQUAL(nfinished, 1);
	bg_join(&other);
	bg_join(&oh);
	bg_join(&same);
	bg_join(&sh);
	bg_join(&all);
}

static void
test_drain_ignores_later(void)
{
	struct bg d = { .fn = do_drain_ino, .ino = 1 };

	reset();
	hold(0);
	submit(1, 0, 10, NULL);
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	bg_start(&d);
	CU_ASSERT_FALSE(bg_returned(&d, WAIT_NO_MS));
	/* a write submitted after the drain started is not waited for */
	hold(50);
	submit(1, 50, 10, NULL);
	CU_ASSERT_TRUE(wait_started(50, WAIT_MS));
	release(0);
	CU_ASSERT_TRUE(bg_returned(&d, WAIT_MS));
	bg_join(&d);
	release(50);
	cl_wb_drain_all();
}

static void
test_handle_order(void)
{
	int h1, h2;

	reset();
	unsent = 0;
	hold(0);
	submit(1, 0, 10, &h1);		/* in run, not yet sent */
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	submit(1, 10, 10, &h1);
	submit(1, 20, 10, &h2);
	/* the other handle's write goes; h1's next waits for the first's send */
	CU_ASSERT_TRUE(wait_started(20, WAIT_MS));
	CU_ASSERT_FALSE(wait_started(10, WAIT_NO_MS));
	release(0);			/* sent (by the pool, after run) and done */
	CU_ASSERT_TRUE(wait_started(10, WAIT_MS));
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, 3);
	/* sent, not done, is enough: a held job that was sent lets the next go */
	reset();
	hold(0);
	submit(1, 0, 10, &h1);
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	submit(1, 10, 10, &h1);
	CU_ASSERT_TRUE(wait_started(10, WAIT_MS));
	release(0);
	cl_wb_drain_all();
}

static void
test_coalesce(void)
{
	int h1;

	reset();
	unsent = 0;
	hold(0);
	submit(1, 0, 10, &h1);		/* in run, not sent: the next ones wait */
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	submit(1, 10, 10, &h1);
	submit(1, 20, 10, &h1);		/* continues the waiting one: joins it */
	submit(1, 30, 10, &h1);
	submit(1, 100, 10, &h1);	/* not contiguous: a job of its own */
	release(0);
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, 3);
	for (unsigned i = 0; i < nfinished && i < 3; i++) {
		/* done in any order once sent: 0 (10 bytes), 10 (30), 100 (10) */
		CU_ASSERT(finished[i] == 0 || finished[i] == 10 || finished[i] == 100);
		CU_ASSERT_EQUAL(done_len[i], finished[i] == 10 ? 30 : 10);
		CU_ASSERT_EQUAL(done_rc[i], (int)done_len[i]);
	}
	/* a running job takes no more data */
	reset();
	hold(0);
	submit(1, 0, 10, &h1);		/* sent, in run */
	CU_ASSERT_TRUE(wait_started(0, WAIT_MS));
	submit(1, 10, 10, &h1);
	CU_ASSERT_TRUE(wait_started(10, WAIT_MS));
	release(0);
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, 2);
	CU_ASSERT_EQUAL(done_len[0], 10);
}

static void
test_window(void)
{
	struct bg b = { .fn = do_submit, .ino = 9, .off = 1000000 };
	unsigned i;

	reset();
	for (i = 0; i < CL_WB_JOBS; i++) {
		hold(i * 100);
		submit(3, i * 100, 10, NULL);
	}
	/* the window is full: the next submit waits for a slot */
	bg_start(&b);
	CU_ASSERT_FALSE(bg_returned(&b, WAIT_NO_MS));
	release(0);
	CU_ASSERT_TRUE(bg_returned(&b, WAIT_MS));
	bg_join(&b);
	for (i = 1; i < CL_WB_JOBS; i++)
		release(i * 100);
	cl_wb_drain_all();
	CU_ASSERT_EQUAL(nfinished, CL_WB_JOBS + 1);
}

static void
test_bytes_window(void)
{
	static char big[CL_WB_BYTES / 2];
	struct bg b = { .fn = do_submit, .ino = 4, .off = 2 * sizeof(big) };

	reset();
	hold(0);
	hold(sizeof(big));
	CU_ASSERT_EQUAL(cl_wb_submit(NULL, 4, "/f", 0, big, sizeof(big)), 0);
	CU_ASSERT_EQUAL(cl_wb_submit(NULL, 4, "/f", sizeof(big), big, sizeof(big)), 0);
	/* CL_WB_BYTES queued: even 10 more bytes wait */
	bg_start(&b);
	CU_ASSERT_FALSE(bg_returned(&b, WAIT_NO_MS));
	release(0);
	CU_ASSERT_TRUE(bg_returned(&b, WAIT_MS));
	bg_join(&b);
	release(sizeof(big));
	cl_wb_drain_all();
}

static void
test_result_to_done(void)
{
	reset();
	fail_off = 7;
	submit(5, 0, 7, &fail_off);	/* two handles: they do not join */
	submit(5, 7, 3, &nheld);
	cl_wb_drain_ino(5);
	CU_ASSERT_EQUAL(nfinished, 2);
	for (unsigned i = 0; i < nfinished && i < 2; i++)
		CU_ASSERT_EQUAL(done_rc[i], finished[i] == 7 ? -ENOSPC : 7);
}

static int
suite_init(void)
{
	memset(data, 'x', sizeof(data));
	return cl_wb_init(run, done) == 0 ? 0 : 1;
}

static CU_TestInfo tests[] = {
	{ "an overlapping write waits for the one in flight", test_overlap_waits },
	{ "disjoint writes and other files go in parallel", test_disjoint_in_parallel },
	{ "one handle's writes are sent in order", test_handle_order },
	{ "a write continuing a waiting one joins it", test_coalesce },
	{ "drains by file, handle and all", test_drain_scopes },
	{ "a drain does not wait for later writes", test_drain_ignores_later },
	{ "at most CL_WB_JOBS writes behind", test_window },
	{ "at most CL_WB_BYTES bytes behind", test_bytes_window },
	{ "run's result reaches done", test_result_to_done },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "csv_wb", suite_init, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
