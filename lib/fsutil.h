/*
 * fsutil.h - small file-system helpers, header-only so that shared objects
 * (the hypervisor plugins, which do not link the non-PIC lib) can use them.
 */
#ifndef CLUSTERD_FSUTIL_H
#define CLUSTERD_FSUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/**
 * fsync the directory holding path, so that a rename into it is durable.
 * @return 0, or a negative errno
 */
static inline int
cd_fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, rc = 0;

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/**
 * Where program NAME is, seen from the running executable: next to it (the
 * build tree, or an installed sbin); for an OCF agent installed as
 * PREFIX/lib/ocf/resource.d/PROVIDER/AGENT, PREFIX/sbin/NAME (the package's
 * own sbin, also when the package is unpacked under another root); else
 * /usr/sbin/NAME. The first two only when executable there.
 */
static inline void
cd_sibling_binary(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash, *ocf;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/%s", self, name);
			if (access(out, X_OK) == 0)
				return;
		}
		ocf = strstr(self, "/lib/ocf/resource.d/");
		if (ocf) {
			*ocf = '\0';
			snprintf(out, len, "%s/sbin/%s", self, name);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "/usr/sbin/%s", name);
}

/**
 * The command line of process pid into buf (at most len - 1 bytes, NUL-ended):
 * its arguments joined by spaces when spaces is true, else left NUL-separated
 * as the kernel gives them (argv[0] is then buf).
 * @return the number of bytes read (> 0), or a negative errno (-ESRCH when
 *         the process is gone or has no command line: a zombie, a kernel thread)
 */
static inline ssize_t
cd_proc_cmdline(long pid, char *buf, size_t len, int spaces)
{
	char path[64];
	ssize_t n;
	int fd;

	if (len < 2)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n <= 0)
		return n < 0 ? n : -ESRCH;
	buf[n] = '\0';
	for (ssize_t i = 0; spaces && i < n; i++)
		if (!buf[i])
			buf[i] = ' ';
	return n;
}

#endif
