/*
 * test_stream_follow.c - the streamed restore's follower (agents/vm/
 * stream-follow.c) against a real writer thread and a real pipe: it must
 * hand the reader exactly the bytes the writer wrote, finish only when the
 * writer renamed the completed file, stop when the reader has had enough,
 * and give up on a failed save (unlinked file) or a save that never starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "stream-follow.h"
#include "timeutil.h"
#include "unit.h"

#define CHUNK		32768		/* as QEMU's migration stream writes */
#define BYTES		(8u << 20)

static char dir[64];
static char partial[128], final[128];

static int follower_opened;	/* the follower's opened() ran (atomic) */

struct writer {
	size_t bytes;
	int fail_after;		/* > 0: unlink the file after this many bytes */
	int rc;
};

struct reader {
	int fd;
	size_t limit;		/* close after this many bytes (0: read to EOF) */
	unsigned char *buf;
	size_t got;
};

struct follower {
	struct cd_follow f;
	int rc;
	ino_t ino;
};

static unsigned char
byte_at(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static void
pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);	/* pacing the writer, not synchronising */
}

/* The save's protocol: create partial, write it, fsync, rename to final
 * (or unlink it, for a failed save). */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned char buf[CHUNK];
	size_t off = 0, i, n;
	int fd;

	fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		w->rc = -errno;
		return NULL;
	}
	while (off < w->bytes) {
		n = w->bytes - off < CHUNK ? w->bytes - off : CHUNK;
		for (i = 0; i < n; i++)
			buf[i] = byte_at(off + i);
		if (write(fd, buf, n) != (ssize_t)n) {
			w->rc = -EIO;
			break;
		}
		off += n;
		if (w->fail_after && off >= (size_t)w->fail_after) {
			/* fail only once the follower has the file open: unlinked
			 * before that, it cannot tell a failed save from one that
			 * has not begun (it waits for its deadline, as it should) */
			uint64_t until = cd_now_mono_ms() + 5000;

			while (!__atomic_load_n(&follower_opened, __ATOMIC_ACQUIRE) &&
			       cd_now_mono_ms() < until)
				pause_ms(1);
			unlink(partial);
			close(fd);
			return NULL;
		}
		if (off % (1u << 20) == 0)
			pause_ms(3);	/* the follower catches up and waits */
	}
	fsync(fd);
	close(fd);
	if (!w->rc && rename(partial, final) < 0)
		w->rc = -errno;
	return NULL;
}

static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	ssize_t n;

	for (;;) {
		size_t want = BYTES + 65536 - r->got;

		if (r->limit && r->limit - r->got < want)
			want = r->limit - r->got;
		if (!want)
			break;
		n = read(r->fd, r->buf + r->got, want);
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	close(r->fd);	/* like QEMU once it has loaded the state */
	return NULL;
}

static void
opened(const struct stat *sb, const void *opaque)
{
	struct follower *fo = (struct follower *)(uintptr_t)opaque;

	fo->ino = sb->st_ino;
	__atomic_store_n(&follower_opened, 1, __ATOMIC_RELEASE);
}

static void *
follower_main(void *arg)
{
	struct follower *fo = arg;

	fo->rc = cd_follow_run(&fo->f);
	close(fo->f.wfd);
	return NULL;
}

/* Run follower, reader and (unless w is NULL) writer; wait for all. */
static void
run(struct follower *fo, struct reader *r, struct writer *w, uint32_t deadline_ms)
{
	pthread_t tf, tr, tw;
	int p[2];

	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	unlink(partial);
	unlink(final);
	memset(&fo->f, 0, sizeof(fo->f));
	fo->f.partial = partial;
	fo->f.final = final;
	fo->f.wfd = p[1];
	fo->f.deadline_ms = cd_now_mono_ms() + deadline_ms;
	fo->f.poll_ms = 1;
	fo->f.opened = opened;
	fo->f.opaque = fo;
	fo->ino = 0;
	__atomic_store_n(&follower_opened, 0, __ATOMIC_RELEASE);
	r->fd = p[0];
	r->got = 0;
	r->buf = malloc(BYTES + 65536);
	CU_ASSERT_FATAL(r->buf != NULL);
	/* the follower first: it must find the file when it appears */
	pthread_create(&tf, NULL, follower_main, fo);
	pthread_create(&tr, NULL, reader_main, r);
	if (w)
		pthread_create(&tw, NULL, writer_main, w);
	if (w)
		pthread_join(tw, NULL);
	pthread_join(tf, NULL);
	pthread_join(tr, NULL);
}

static int
same_bytes(const unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf[i] != byte_at(i))
			return 0;
	return 1;
}

static void
test_complete_save(void)
{
	struct follower fo;
	struct reader r = { .limit = 0 };
	struct writer w = { .bytes = BYTES };
	struct stat sb;

	run(&fo, &r, &w, 10000);
	CU_ASSERT_EQUAL(w.rc, 0);
	CU_ASSERT_EQUAL(fo.rc, 0);
	CU_ASSERT_STRING_EQUAL(fo.f.why, "the save is complete");
	CU_ASSERT_EQUAL(fo.f.sent, BYTES);
	CU_ASSERT_EQUAL(r.got, BYTES);
	CU_ASSERT(same_bytes(r.buf, r.got));
	/* it followed the very file that was completed */
	CU_ASSERT_FATAL(stat(final, &sb) == 0);
	CU_ASSERT_EQUAL(fo.ino, sb.st_ino);
	free(r.buf);
}

static void
test_reader_has_enough(void)
{
	struct follower fo;
	struct reader r = { .limit = 3u << 20 };
	struct writer w = { .bytes = BYTES };

	run(&fo, &r, &w, 10000);
	CU_ASSERT_EQUAL(fo.rc, 0);
	CU_ASSERT_STRING_EQUAL(fo.f.why, "the reader closed the stream");
	CU_ASSERT_EQUAL(r.got, 3u << 20);
	CU_ASSERT(same_bytes(r.buf, r.got));
	CU_ASSERT(fo.f.sent < BYTES);
	free(r.buf);
}

static void
test_failed_save(void)
{
	struct follower fo;
	struct reader r = { .limit = 0 };
	struct writer w = { .bytes = BYTES, .fail_after = 2 << 20 };

	run(&fo, &r, &w, 10000);
	CU_ASSERT_EQUAL(fo.rc, 1);
	CU_ASSERT_STRING_EQUAL(fo.f.why, "the save failed and removed its file");
	/* what the reader got is a prefix of the stream, nothing else */
	CU_ASSERT(r.got <= 2u << 20);
	CU_ASSERT(same_bytes(r.buf, r.got));
	CU_ASSERT(access(final, F_OK) != 0);
	free(r.buf);
}

static void
test_save_never_starts(void)
{
	struct follower fo;
	struct reader r = { .limit = 0 };
	uint64_t t0 = cd_now_mono_ms();

	run(&fo, &r, NULL, 300);
	CU_ASSERT_EQUAL(fo.rc, 1);
	CU_ASSERT_STRING_EQUAL(fo.f.why, "the save never started");
	CU_ASSERT(cd_now_mono_ms() - t0 >= 300);
	CU_ASSERT_EQUAL(r.got, 0);
	free(r.buf);
}

static void
test_reader_gone_before_save(void)
{
	struct follower fo;
	pthread_t tf;
	int p[2];

	/* QEMU gone (the target was dropped) while waiting for the save */
	CU_ASSERT_FATAL(pipe2(p, O_CLOEXEC) == 0);
	unlink(partial);
	memset(&fo.f, 0, sizeof(fo.f));
	fo.f.partial = partial;
	fo.f.final = final;
	fo.f.wfd = p[1];
	fo.f.deadline_ms = cd_now_mono_ms() + 10000;
	fo.f.poll_ms = 1;
	pthread_create(&tf, NULL, follower_main, &fo);
	close(p[0]);
	pthread_join(tf, NULL);
	CU_ASSERT_EQUAL(fo.rc, 0);
	CU_ASSERT_STRING_EQUAL(fo.f.why, "the reader went away before the save");
}

static int
suite_init(void)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/cd-follow.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(final, sizeof(final), "%s/vm.vmstate", dir);
	snprintf(partial, sizeof(partial), "%s.partial", final);
	return 0;
}

static int
suite_clean(void)
{
	unlink(partial);
	unlink(final);
	rmdir(dir);
	return 0;
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "a completed save arrives whole and in order", test_complete_save },
		{ "the reader closing the pipe ends it", test_reader_has_enough },
		{ "a failed save (file unlinked): gives up", test_failed_save },
		{ "a save that never starts: gives up at the deadline", test_save_never_starts },
		{ "the reader gone before the save: ends", test_reader_gone_before_save },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "stream follower", suite_init, suite_clean, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
