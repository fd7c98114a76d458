/*
 * detach.h - how an agent leaves a long-lived process behind (the disk
 * agent's holder, the csv agent's csv-coord): an action is a short-lived
 * process, so what must outlive it is double-forked away from it.
 *
 * Header only, like ocf.h; agents/disk and agents/csv include it.
 */
#ifndef CLUSTERD_AGENTS_DETACH_H
#define CLUSTERD_AGENTS_DETACH_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

/**
 * Fork twice: the grandchild is a session leader that is nobody's child
 * here, with stdout and stderr appended to DIR/NAME.log, stdin from
 * /dev/null, no other fds, and its pid in DIR/NAME.pid. The caller returns
 * only once the intermediate child is reaped.
 * @return 0 in the grandchild (which then execs or runs and _exit()s),
 *         1 in the caller, or -errno when the first fork failed
 */
static inline int
cd_agent_detach(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];
	pid_t pid;
	int status, fd;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return 1;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0)
		dup2(fd, 0);
	closefrom(3);
	snprintf(path, sizeof(path), "%s/%s.pid", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%ld\n", (long)getpid());
		close(fd);
	}
	return 0;
}

#endif
