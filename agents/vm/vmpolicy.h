/*
 * vmpolicy.h - what a VM definition may reach (issue 16): pure checks the
 * vm agent applies before an action that can start a QEMU of the VM.
 *
 * Rules:
 *  V1. Disk, kernel and initrd paths, resolved by the caller (realpath: no
 *      symlink, no ".."), and the directory of the quick-migration state
 *      file lie inside one of the storage roots: the cluster property
 *      vm-storage-roots, absolute paths separated by ':' (default
 *      CD_VMPOLICY_ROOTS_DEFAULT). A path inside a root is the root itself
 *      followed by '/' and more: /clusterstorage2 is not inside
 *      /clusterstorage.
 *  V2. extra_args are refused unless the cluster property vm-extra-args is
 *      true. Then every argument that is an option (starts with '-') must
 *      be one of CD_VMPOLICY_EXTRA_ALLOWED, followed by as many values as it
 *      takes; a value never starts with '-'. Never a monitor, chardev,
 *      netdev, object, QMP or serial port the agent did not build.
 * The agent passes the properties as CD_VM_STORAGE_ROOTS and
 * CD_VM_EXTRA_ARGS in its environment (clusterd sets them for every
 * operation from the cluster properties).
 */
#ifndef CLUSTERD_VMPOLICY_H
#define CLUSTERD_VMPOLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "vmdef.h"

#define CD_VMPOLICY_ROOTS_DEFAULT	"/clusterstorage:/var/lib/clusterd/images"
#define CD_VMPOLICY_ROOTS_ENV		"CD_VM_STORAGE_ROOTS"
#define CD_VMPOLICY_EXTRA_ENV		"CD_VM_EXTRA_ARGS"

/**
 * V1: is path (absolute, resolved) inside one of roots ("/a:/b")?
 * @return 0; -EINVAL if roots has an entry that is not absolute (why says)
 *         or path is in none of them (why says which roots there are)
 */
int cd_vmpolicy_path_check(const char *path, const char *roots, char *why,
			   size_t why_size);

/**
 * V2: may these extra_args be passed to QEMU?
 * @param allowed the property vm-extra-args
 * @return 0, or -EPERM with the reason in why ("extra_args[2]: '-monitor'
 *         is not an option a definition may add (allowed: ...)")
 */
int cd_vmpolicy_extra_check(const struct cd_vmdef *def, bool allowed, char *why,
			    size_t why_size);

/** "true", "1", "yes", "on" (the property's text forms) -> true. */
bool cd_vmpolicy_bool(const char *s);

#endif
