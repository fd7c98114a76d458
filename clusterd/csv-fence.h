/*
 * csv-fence.h - what the cluster shared volumes' coordinator learns from
 * clusterd about fencing (issue 14 item 3: locks of a node that dies are
 * released only after it is fenced; csv/coord.h).
 *
 * Contract:
 *  - On every member, on every state_changed hook (loop thread, never
 *    blocks), CSV_FENCE_FILE (CD_CSV_RUN_ROOT overrides its directory)
 *    holds the names of the nodes whose runtime.nodes.N.fenced is true in
 *    the replicated state, one per line, sorted: fenced since they were
 *    lost, until the leader readmits them. Rewritten atomically (temporary
 *    file + rename) only when the list changes; written once at the first
 *    state_changed even when empty.
 *  - csv-coord (--fenced-file, passed by agents/csv) reads it: a node in
 *    it gets nothing from the volume, and its clients' handles and locks
 *    are released.
 */
#ifndef CLUSTERD_CSV_FENCE_H
#define CLUSTERD_CSV_FENCE_H

#include "hooks.h"

#define CSV_FENCE_FILE	"/run/clusterd/csv/fenced"

/** Hooks: state_changed. */
extern const struct cd_hooks cd_csv_fence_hooks;

#endif
