/*
 * stream-follow.h - copy a file that another process is still writing into
 * a pipe, until the writer has completed it: the core of the qemu plugin's
 * streamed restore (qemu-stream.c), kept apart so it can be tested without
 * QEMU.
 *
 * The writer's protocol (the quick-migration save): it creates `partial`,
 * writes it sequentially, fsyncs, and renames it to `final`; a failed save
 * unlinks `partial`. The follower:
 *   - waits for `partial` to appear (inotify on its directory for local
 *     writers, a poll every 50 ms for writers on other nodes);
 *   - splices whatever has been written into the pipe, then looks again
 *     every poll_ms (no inotify event per write: the writer writes 32 KiB
 *     at a time, and waking for each costs CPU the writer and the reader
 *     need);
 *   - is done when `final` names the inode it follows and everything up to
 *     its size is in the pipe, or as soon as the reader closes the pipe;
 *   - gives up when the file was unlinked, on an error, or at the deadline.
 */
#ifndef CLUSTERD_STREAM_FOLLOW_H
#define CLUSTERD_STREAM_FOLLOW_H

#include <stdint.h>
#include <sys/stat.h>

struct cd_follow {
	const char *partial;	/* the file while it is written */
	const char *final;	/* its name once complete */
	int wfd;		/* the pipe's write end (SIGPIPE ignored) */
	uint64_t deadline_ms;	/* CLOCK_MONOTONIC; then give up */
	uint32_t poll_ms;	/* at the end of the data, look again after */
	/* called once the file is open (its dev and inode identify it) */
	void (*opened)(const struct stat *sb, const void *opaque);
	const void *opaque;

	uint64_t sent;		/* out: bytes put into the pipe */
	const char *why;	/* out: how it ended, for the log */
};

/**
 * Follow f->partial into f->wfd (blocking).
 * @return 0 done (the reader closed the pipe, or the whole completed file
 *         is in the pipe), 1 gave up; f->why says which
 */
int cd_follow_run(struct cd_follow *f);

#endif
