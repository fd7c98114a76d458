/*
 * cgroup.h - the few cgroup v2 operations clusterd and clusterd-guard need
 * to contain roles: find the roles root, create cgroups, count and kill
 * what runs in a subtree.
 *
 * Layout: ROOT (--cgroup, default cd_cgroup_default_root()) holds
 * ROOT/roles, and every resource R gets ROOT/roles/R (the executor places
 * each of R's agent operations there before the agent execs, so everything
 * it forks or daemonizes stays inside). clusterd-guard kills ROOT/roles.
 *
 * Every function returns 0 (or a count) or a negative errno; none blocks
 * longer than a file-system call on cgroupfs.
 */
#ifndef CLUSTERD_CGROUP_H
#define CLUSTERD_CGROUP_H

#include <stddef.h>

#define CD_CGROUP_ROLES		"roles"		/* ROOT/roles: every role's processes */

/**
 * The default roles root: /sys/fs/cgroup/clusterd when /sys/fs/cgroup is a
 * cgroup2 mount (unified hierarchy), else MOUNT/clusterd for the first
 * cgroup2 mount in /proc/mounts (hybrid hosts: /sys/fs/cgroup/unified).
 * @return 0; -ENOENT when the host has no cgroup2 mount; -ENAMETOOLONG
 */
int cd_cgroup_default_root(char *buf, size_t len);

/**
 * Whether path, or its nearest existing ancestor, is on cgroup2.
 * @return 0; -ENOTSUP when it is another file system; -errno of statfs
 */
int cd_cgroup_check(const char *path);

/**
 * mkdir -p inside cgroup2 (mode 0755); existing directories are fine.
 * @return 0; -ENOTSUP when path is not on cgroup2; -errno of mkdir
 */
int cd_cgroup_mkdir(const char *path);

/**
 * "populated" of DIR/cgroup.events (the whole subtree).
 * @return 1 populated, 0 empty, or -errno
 */
int cd_cgroup_populated(const char *dir);

/**
 * Processes in DIR and every cgroup below it (cgroup.procs of each).
 * @return the count, or -errno when DIR cannot be read
 */
int cd_cgroup_count(const char *dir);

/**
 * SIGKILL every process of DIR's subtree at once: "1" to DIR/cgroup.kill
 * (Linux 5.14+). Does not wait; see cd_cgroup_populated().
 * @return 0 or -errno (-ENOENT: no cgroup.kill, too old a kernel)
 */
int cd_cgroup_kill(const char *dir);

/**
 * rmdir DIR if it is an empty cgroup (no processes, no children).
 * @return 0, or -errno (-EBUSY while populated)
 */
int cd_cgroup_remove(const char *dir);

#endif
