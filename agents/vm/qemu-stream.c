/*
 * qemu-stream.c - streamed restore of a quick migration: the target's QEMU
 * loads the state file while the source is still writing it.
 *
 * Quick migration writes the guest's state to the shared volume and reads
 * it back on the target; done one after the other the guest is paused for
 * the save plus the load. Here the target, prepared before the save starts,
 * gets a pipe as its incoming migration channel, and a small follower
 * process (forked by the agent, a session leader of its own like QEMU)
 * copies the state file into that pipe as it grows, splice()d from the page
 * cache. The load then runs alongside the save, and `restore` only has to
 * wait for the tail of the load and continue the guest.
 *
 * Safety does not change: the streamed QEMU stays paused (the source was
 * stopped when it saved) until `restore`, which clusterd only runs after the
 * source's save completed; and `restore` continues it only if the stream
 * came from the very file the save completed (same inode as the final
 * name), else it loads that file again the old way.
 *
 * The follower:
 *   - waits for PATH.partial to appear (prepare removed any stale one, so
 *     what appears is written by this migration's save); inotify wakes it
 *     for local writers, and a 2 ms poll serves writers on other nodes;
 *   - writes "DEV INO" of the file it opened to run_dir/stream.ino;
 *   - at the end of the data, it is done when PATH names the same inode
 *     (the save renames only after its fsync), and gives up when the file
 *     was unlinked (a failed save);
 *   - exits as soon as QEMU closes the pipe (load done, or QEMU gone), and
 *     after CD_QEMU_STREAM_MAX_MS in any case.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "timeutil.h"

#define STREAM_POLL_MS		1	/* at the end of the data: look again */
#define STREAM_PIPE_SIZE	(1 << 20)
#define STREAM_CHUNK		(1 << 20)

/* Wait for an inotify event, the pipe's reader going away, or ms. */
static int
follower_wait(int ino_fd, int wfd, int ms)
{
	struct pollfd pf[2] = {
		{ .fd = ino_fd, .events = POLLIN },
		{ .fd = wfd, .events = 0 },	/* POLLERR: QEMU closed its end */
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

static long
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
	       ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
}

static void
write_ino(const char *run_dir, const struct stat *sb)
{
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run_dir, CD_QEMU_STREAM_INO);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%ju %ju\n", (uintmax_t)sb->st_dev, (uintmax_t)sb->st_ino);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/*
 * The follower proper: 0 when it is done (QEMU closed the pipe: it loaded
 * the state, or refused it; or the whole completed file is in the pipe), 1
 * when it gave up; *why says which.
 */
static int
follow(const char *path, const char *run_dir, int wfd, uint64_t *sent,
       const char **why)
{
	uint64_t deadline = cd_now_mono_ms() + CD_QEMU_STREAM_MAX_MS;
	char partial[4200], dir[4200];
	struct stat sb, fin;
	int ino_fd, fd, wd;
	ssize_t n;

	snprintf(partial, sizeof(partial), "%s.partial", path);
	snprintf(dir, sizeof(dir), "%s", path);
	*why = "cannot watch the state file's directory";
	ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino_fd < 0)
		return 1;
	wd = inotify_add_watch(ino_fd, dirname(dir), IN_CREATE | IN_MOVED_TO);
	/* 1. the save's file appears (inotify sees local writers only) */
	while ((fd = open(partial, O_RDONLY | O_CLOEXEC)) < 0) {
		*why = errno == ENOENT ? "the save never started" : "cannot open the state file";
		if (errno != ENOENT || cd_now_mono_ms() >= deadline)
			return 1;
		if (follower_wait(ino_fd, wfd, wd >= 0 ? 50 : STREAM_POLL_MS) == -EPIPE) {
			*why = "QEMU went away before the save";
			return 0;
		}
	}
	if (fstat(fd, &sb) < 0)
		return 1;
	write_ino(run_dir, &sb);
	if (wd >= 0)
		inotify_rm_watch(ino_fd, wd);
	fcntl(wfd, F_SETPIPE_SZ, STREAM_PIPE_SIZE);
	/*
	 * 2. copy what there is, look again 1 ms later, until the save is
	 * complete. A tick rather than an inotify event per write: QEMU writes
	 * 32 KiB at a time, and waking for each would take CPU from the writer
	 * and the loader, the two busy processes of the guest's pause.
	 */
	for (;;) {
		n = splice(fd, NULL, wfd, NULL, STREAM_CHUNK, SPLICE_F_MOVE);
		if (n > 0) {
			*sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EPIPE) {	/* loaded (or refused) it */
			*why = "QEMU closed the stream";
			return 0;
		}
		*why = "cannot read the state file";
		if (n < 0 || fstat(fd, &sb) < 0)
			return 1;
		/* the end of the data written so far */
		*why = "the save failed and removed its file";
		if (sb.st_nlink == 0)
			return 1;
		if (stat(path, &fin) == 0 && fin.st_ino == sb.st_ino &&
		    fin.st_dev == sb.st_dev && (uint64_t)fin.st_size == *sent) {
			*why = "the save is complete";	/* renamed after its fsync */
			return 0;
		}
		*why = "timed out";
		if (cd_now_mono_ms() >= deadline)
			return 1;
		if (follower_wait(ino_fd, wfd, STREAM_POLL_MS) == -EPIPE) {
			*why = "QEMU closed the stream";
			return 0;
		}
	}
}

int
cd_qemu_stream_spawn(struct cd_hv_vm *vm, const char *path, int *rfd)
{
	char pidfile[4096], logf[4096];
	const char *why = "";
	uint64_t sent = 0, t0;
	int p[2], status, fd;
	pid_t pid;

	*rfd = -1;
	if (cd_qemu_path(vm, CD_QEMU_STREAM_PID, pidfile, sizeof(pidfile)) ||
	    cd_qemu_path(vm, CD_QEMU_LOG, logf, sizeof(logf)))
		return cd_qemu_fail(vm, -ENAMETOOLONG, "run dir path too long");
	if (pipe2(p, O_CLOEXEC) < 0)
		return cd_qemu_fail(vm, -errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return cd_qemu_fail(vm, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		/* Fork twice: a session leader, reparented away from the agent,
		 * holding only the pipe's write end and QEMU's log. */
		setsid();
		if (fork() != 0)
			_exit(0);
		close(p[0]);
		if (dup2(p[1], 3) < 0)
			_exit(1);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
		}
		fd = open(logf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		closefrom(4);
		signal(SIGPIPE, SIG_IGN);
		fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dprintf(fd, "%ld\n", (long)getpid());
			close(fd);
		}
		t0 = cd_now_mono_ms();
		status = follow(path, vm->run_dir, 3, &sent, &why);
		fprintf(stderr, "clusterd: streamed %" PRIu64 " bytes of %s.partial in %"
			PRIu64 " ms (cpu %ld ms): %s%s\n", sent, path,
			cd_now_mono_ms() - t0, cpu_ms(), status ? "gave up: " : "", why);
		unlink(pidfile);
		_exit(status);
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*rfd = p[0];
	return 0;
}

int
cd_qemu_stream_check(struct cd_hv_vm *vm, const char *path)
{
	char file[4096], line[128];
	uintmax_t dev, ino;
	struct stat sb;
	FILE *f;
	int ok;

	if (cd_qemu_path(vm, CD_QEMU_STREAM_INO, file, sizeof(file)))
		return cd_qemu_fail(vm, -ENAMETOOLONG, "run dir path too long");
	f = fopen(file, "re");
	if (!f)
		return cd_qemu_fail(vm, -ENOENT, "the stream follower never opened %s.partial",
				    path);
	ok = fgets(line, sizeof(line), f) && sscanf(line, "%ju %ju", &dev, &ino) == 2;
	fclose(f);
	if (!ok)
		return cd_qemu_fail(vm, -EINVAL, "%s: unreadable", file);
	if (stat(path, &sb) < 0)
		return cd_qemu_fail(vm, -errno, "state file %s: %s", path, strerror(errno));
	if ((uintmax_t)sb.st_dev != dev || (uintmax_t)sb.st_ino != ino)
		return cd_qemu_fail(vm, -ESTALE, "the stream came from another file than "
				    "the completed %s", path);
	return 0;
}

void
cd_qemu_stream_clear(const struct cd_hv_vm *vm)
{
	char file[4096];

	if (!cd_qemu_path(vm, CD_QEMU_STREAM, file, sizeof(file)))
		unlink(file);
	if (!cd_qemu_path(vm, CD_QEMU_STREAM_INO, file, sizeof(file)))
		unlink(file);
}
