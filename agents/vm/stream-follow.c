/*
 * stream-follow.c - copy a file that is still being written into a pipe
 * (see stream-follow.h).
 */
#include "stream-follow.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "timeutil.h"

#define FOLLOW_DIR_POLL_MS	50		/* waiting for the file to appear */
#define FOLLOW_PIPE_SIZE	(1 << 20)
#define FOLLOW_CHUNK		(1 << 20)

/* Wait for an inotify event, the reader closing the pipe (-EPIPE), or ms. */
static int
follow_wait(int ino_fd, int wfd, int ms)
{
	struct pollfd pf[2] = {
		{ .fd = ino_fd, .events = POLLIN },
		{ .fd = wfd, .events = 0 },	/* POLLERR once the reader is gone */
	};
	char buf[4096];

	if (poll(pf, 2, ms) < 0 && errno != EINTR)
		return -errno;
	if (pf[1].revents & (POLLERR | POLLHUP))
		return -EPIPE;
	if (pf[0].revents & POLLIN)
		while (read(ino_fd, buf, sizeof(buf)) > 0)
			;
	return 0;
}

static int
follow(struct cd_follow *f, int ino_fd)
{
	char dir[4096];
	struct stat sb, fin;
	int fd, wd;
	ssize_t n;

	snprintf(dir, sizeof(dir), "%s", f->partial);
	wd = inotify_add_watch(ino_fd, dirname(dir), IN_CREATE | IN_MOVED_TO);
	/* 1. the writer's file appears */
	while ((fd = open(f->partial, O_RDONLY | O_CLOEXEC)) < 0) {
		f->why = errno == ENOENT ? "the save never started" : "cannot open the state file";
		if (errno != ENOENT || cd_now_mono_ms() >= f->deadline_ms)
			return 1;
		if (follow_wait(ino_fd, f->wfd, wd >= 0 ? FOLLOW_DIR_POLL_MS : (int)f->poll_ms) ==
		    -EPIPE) {
			f->why = "the reader went away before the save";
			return 0;
		}
	}
	f->why = "cannot read the state file";
	if (fstat(fd, &sb) < 0)
		goto out;
	if (f->opened)
		f->opened(&sb, f->opaque);
	if (wd >= 0)
		inotify_rm_watch(ino_fd, wd);
	fcntl(f->wfd, F_SETPIPE_SZ, FOLLOW_PIPE_SIZE);
	/* 2. copy what there is, look again, until the writer is done */
	for (;;) {
		n = splice(fd, NULL, f->wfd, NULL, FOLLOW_CHUNK, SPLICE_F_MOVE);
		if (n > 0) {
			f->sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EPIPE) {	/* it read what it needs (or refused it) */
			f->why = "the reader closed the stream";
			close(fd);
			return 0;
		}
		f->why = "cannot read the state file";
		if (n < 0 || fstat(fd, &sb) < 0)
			break;
		/* the end of the data written so far */
		f->why = "the save failed and removed its file";
		if (sb.st_nlink == 0)
			break;
		if (stat(f->final, &fin) == 0 && fin.st_ino == sb.st_ino &&
		    fin.st_dev == sb.st_dev && (uint64_t)fin.st_size == f->sent) {
			f->why = "the save is complete";	/* renamed after its fsync */
			close(fd);
			return 0;
		}
		f->why = "timed out";
		if (cd_now_mono_ms() >= f->deadline_ms)
			break;
		if (follow_wait(ino_fd, f->wfd, (int)f->poll_ms) == -EPIPE) {
			f->why = "the reader closed the stream";
			close(fd);
			return 0;
		}
	}
out:
	close(fd);
	return 1;
}

int
cd_follow_run(struct cd_follow *f)
{
	int ino_fd, rc;

	f->sent = 0;
	f->why = "cannot watch the state file's directory";
	ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino_fd < 0)
		return 1;
	rc = follow(f, ino_fd);
	close(ino_fd);
	return rc;
}
