/*
 * cgroup.c - cgroup v2 helpers for role containment (see cgroup.h).
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_DEPTH_MAX	16	/* our tree is ROOT/roles/R/...: deep enough */

static int
is_cgroup2(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return -errno;
	return sf.f_type == CGROUP2_SUPER_MAGIC ? 0 : -ENOTSUP;
}

int
cd_cgroup_default_root(char *buf, size_t len)
{
	char dev[256], mnt[PATH_MAX], type[64], line[PATH_MAX + 512];
	FILE *f;
	int n;

	if (is_cgroup2("/sys/fs/cgroup") == 0) {
		n = snprintf(buf, len, "/sys/fs/cgroup/clusterd");
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	f = fopen("/proc/mounts", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %4095s %63s", dev, mnt, type) != 3 ||
		    strcmp(type, "cgroup2") != 0)
			continue;
		fclose(f);
		n = snprintf(buf, len, "%s/clusterd", mnt);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	fclose(f);
	return -ENOENT;
}

int
cd_cgroup_check(const char *path)
{
	char p[PATH_MAX];
	char *slash;
	int rc;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	for (;;) {
		rc = is_cgroup2(p);
		if (rc != -ENOENT)
			return rc;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return -ENOENT;
		*slash = '\0';
	}
}

int
cd_cgroup_mkdir(const char *path)
{
	char p[PATH_MAX];
	char *s;
	int rc;

	if (path[0] != '/' || snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return -EINVAL;
	rc = cd_cgroup_check(p);
	if (rc < 0)
		return rc;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (c == '\0')
			break;
		*s = c;
	}
	return is_cgroup2(p);
}

static int
read_small(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int
cd_cgroup_populated(const char *dir)
{
	char buf[256];
	const char *p;
	int rc = read_small(dir, "cgroup.events", buf, sizeof(buf));

	if (rc < 0)
		return rc;
	p = strstr(buf, "populated ");
	if (!p)
		return -EINVAL;
	return p[10] == '1' ? 1 : 0;
}

static int
count_procs(const char *dir, int depth)
{
	char path[PATH_MAX], line[32];
	struct dirent *de;
	FILE *f;
	DIR *d;
	int n = 0, sub;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	if (depth >= CG_DEPTH_MAX)
		return n;
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		sub = count_procs(path, depth + 1);
		if (sub > 0)
			n += sub;
	}
	closedir(d);
	return n;
}

int
cd_cgroup_count(const char *dir)
{
	return count_procs(dir, 0);
}

int
cd_cgroup_kill(const char *dir)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/cgroup.kill", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		rc = -errno;
	close(fd);
	return rc;
}

int
cd_cgroup_remove(const char *dir)
{
	return rmdir(dir) < 0 ? -errno : 0;
}
