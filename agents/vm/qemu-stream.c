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
 * The follower (stream-follow.c does the copying):
 *   - waits for PATH.partial to appear (prepare removed any stale one, so
 *     what appears is written by this migration's save);
 *   - writes "DEV INO" of the file it opened to run_dir/stream.ino;
 *   - is done when PATH names the same inode with everything in the pipe
 *     (the save renames only after its fsync), or as soon as QEMU closes
 *     the pipe (loaded, or refused); gives up when the file was unlinked
 *     (a failed save), and after CD_QEMU_STREAM_MAX_MS in any case.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "stream-follow.h"
#include "timeutil.h"

#define STREAM_POLL_MS		1	/* at the end of the data: look again */

static long
cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
	       ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
}

static void
write_ino(const struct stat *sb, const void *opaque)
{
	const char *run_dir = opaque;
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

int
cd_qemu_stream_spawn(struct cd_hv_vm *vm, const char *path, int *rfd)
{
	char pidfile[4096], logf[4096], partial[4200];
	struct cd_follow fl = { 0 };
	uint64_t t0;
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
		snprintf(partial, sizeof(partial), "%s.partial", path);
		fl.partial = partial;
		fl.final = path;
		fl.wfd = 3;
		fl.deadline_ms = cd_now_mono_ms() + CD_QEMU_STREAM_MAX_MS;
		fl.poll_ms = STREAM_POLL_MS;
		fl.opened = write_ino;
		fl.opaque = vm->run_dir;
		t0 = cd_now_mono_ms();
		status = cd_follow_run(&fl);
		fprintf(stderr, "clusterd: streamed %" PRIu64 " bytes of %s in %" PRIu64
			" ms (cpu %ld ms): %s%s\n", fl.sent, partial,
			cd_now_mono_ms() - t0, cpu_ms(), status ? "gave up: " : "", fl.why);
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
