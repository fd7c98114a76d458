/*
 * vmdef-moves.h - the disk moves clusterd records for a VM (live storage
 * move, issue 17) applied to its definition.
 *
 * A move is switched in the replicated state, atomically, the moment the
 * guest runs on the new image: the VM's identity names the new image and
 * the resource parameter vm_disk_moves (OCF_RESKEY_vm_disk_moves) lists
 * the move, a JSON array of {"from": OLD, "to": NEW, "format": F}. Every
 * action of the agent applies that list to the definition it loads, so
 * the VM never starts from an old image, on any node, even before (or
 * without) the definition file being rewritten. The file is rewritten
 * afterwards (cd_vmdef_rewrite_disk) so that it says the truth too.
 * clusterd builds the list (lib/smove.h cd_smove_moves_add).
 */
#ifndef CLUSTERD_VMDEF_MOVES_H
#define CLUSTERD_VMDEF_MOVES_H

#include <stddef.h>

#include "vmdef.h"

#define CD_VMDEF_MOVES_MAX	64	/* entries kept in vm_disk_moves */

/**
 * Apply moves_json (NULL or "" for none) to def: a disk whose path is a
 * move's "from" gets its "to" and, when given, its "format"; moves chain
 * (A->B, B->C: a disk at A ends at C), at most CD_VMDEF_MOVES_MAX steps.
 * Pure: no file is read.
 * @return the number of disks changed (0..), or -EINVAL (err says why;
 *         def unchanged) or -ENOMEM
 */
int cd_vmdef_apply_moves(struct cd_vmdef *def, const char *moves_json, char *err,
			 size_t err_size);

/**
 * Rewrite the definition file at path so that its disk whose path is from
 * names to (and format, when not NULL): read, change, write a temporary
 * file next to it, fsync, rename over it. The file's other content is kept
 * (re-serialised). @return 1 changed, 0 no disk at from (nothing written),
 * or -errno (err says why)
 */
int cd_vmdef_rewrite_disk(const char *path, const char *from, const char *to,
			  const char *format, char *err, size_t err_size);

#endif
