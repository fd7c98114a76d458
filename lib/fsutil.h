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
 * The program name next to the running executable (the build tree, or the
 * installed sbin) when it is there and executable, else /usr/sbin/name.
 */
static inline void
cd_sibling_binary(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, len, "%s/%s", self, name);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	snprintf(out, len, "/usr/sbin/%s", name);
}

#endif
