/*
 * vm-paths.h - where the vm agent finds things on this node, and what it
 * lets a VM definition point at (vm-paths.c).
 */
#ifndef CLUSTERD_VM_PATHS_H
#define CLUSTERD_VM_PATHS_H

#include <stdbool.h>
#include <stddef.h>

#include "vmdef.h"

/** The VM policy's storage roots: $CD_VM_STORAGE_ROOTS or the default. */
const char *vm_storage_roots(void);

/** The address this node's host name resolves to (IPv4 first, no loopback)
 * into @p buf. @return 0, or -1 when it does not resolve */
int vm_node_address(char *buf, size_t size);

/**
 * The quick migration's state file of @p def into @p buf: parameter
 * state_file, else NAME.vmstate next to the first disk, else in
 * /clusterstorage/volume1; absolute, its directory inside the storage roots.
 * @return 0, or an OCF code with the error line printed (vm_fail)
 */
int vm_state_file(const struct cd_vmdef *def, char *buf, size_t size);

/**
 * Before anything that can start a QEMU of the VM: its files inside the
 * storage roots (vmpolicy.h V1; the paths in @p d are replaced by what was
 * resolved and checked, so QEMU opens exactly that), its extra_args allowed
 * (V2). A node-local disk (shared false) must exist unless @p incoming (a
 * migration target creates it: its directory is checked instead).
 * @return OCF_SUCCESS, or an OCF code with the error line printed
 */
int vm_confine_check(struct cd_vmdef *d, bool incoming);

/** The VM's name as clusterd recorded it (parameter vm_name) when it can
 * name a directory; NULL otherwise (Pacemaker passes none). */
const char *vm_claimed_name(void);

#endif
