/*
 * vm-storage.h - the vm agent's live storage move actions (not OCF; run
 * by clusterd on the node that runs the VM, issue 17):
 *
 *   move_storage         create the new image, mirror, switch the guest to
 *                        it (plugin op storage_move); progress lines, then
 *                        "result type=storage total_ms= downtime_ms=
 *                        transferred= disk=". Exit 0: the guest uses the
 *                        new image. Any failure, timeout or SIGTERM before
 *                        the switch: exit 1, the guest on the old image,
 *                        the new image deleted.
 *   move_storage_undo    after a move_storage that was killed: "switched=1"
 *                        when the guest uses the new image already, else
 *                        the mirror is stopped, the new image this node
 *                        created deleted, "switched=0".
 *   move_storage_finish  after the switch is recorded: rewrite the
 *                        definition file (the disk names the new image),
 *                        then delete the old image; "definition=... deleted=".
 *
 * Parameters: OCF_RESKEY_CRM_meta_storage_disk (N), _storage_from (the old
 * image; default the disk's path), _storage_to (the new image),
 * _storage_format (the new image's format; default the disk's).
 */
#ifndef CLUSTERD_VM_STORAGE_H
#define CLUSTERD_VM_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "hypervisor.h"

/**
 * Run one of the actions above (action is its name).
 * @param cancel set (by SIGTERM/SIGINT) to cancel move_storage before the switch
 * @return an OCF exit code; the error line is on stderr
 */
/* vm.c: "vm: MESSAGE" as the one line on stderr; returns ocf. */
int vm_fail(int ocf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int vm_storage_action(const char *action, const struct cd_hv_ops *ops, struct cd_hv_vm *vm,
		      uint32_t budget_ms, volatile const int *cancel);

/**
 * move_storage_finish's first half: rewrite the definition file config so
 * that the moved disk names the new image. A file that cannot be written
 * is reported on stderr only (the cluster's vm_disk_moves still applies).
 * @return OCF_SUCCESS
 */
int vm_storage_definition(const char *config, const struct cd_vmdef *def);

/**
 * move_storage marks the run dir with its pid while it runs (on) and
 * removes the mark at its end; move_storage_undo first stops such an agent
 * left running by a killed clusterd (SIGTERM: it cancels the copy unless
 * the switch is under way), then waits for the VM's lock as usual, so an
 * orphaned copy never switches the guest after its undo.
 */
void vm_storage_mark(const char *run_dir, bool on);
void vm_storage_stop_orphan(const char *run_dir);

#endif
