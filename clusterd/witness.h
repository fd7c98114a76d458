/*
 * witness.h - the disk witness (node and disk majority, issue 5).
 *
 * clusterd registers as votequorum's quorum device ("Witness") on its own
 * votequorum connection and casts the witness vote partition-wide: every
 * member of the partition that holds the witness LUN casts 1, every other
 * node 0. The LUN is won by SCSI-3 PR (lib/pr.h) on a worker thread; the
 * on-disk layout (heartbeat, state copy) is lib/witness-disk.h. How the
 * arbitration works and why it is safe: the comment at the top of witness.c
 * and docs/ARCHITECTURE.md §5.
 */
#ifndef CLUSTERD_WITNESS_H
#define CLUSTERD_WITNESS_H

#include <json-c/json.h>

struct cd_daemon;
struct cd_ipc_client;

/** Start the module (worker thread, votequorum connection with retries).
 *  @return 0 or -ENOMEM / -errno of pthread_create */
int cd_witness_start(struct cd_daemon *d);

/** Stop polling (the device is unregistered: its vote goes at once). */
void cd_witness_stop(struct cd_daemon *d);

/** The "witness" section of the status document (new object or NULL). */
json_object *cd_witness_status(struct cd_daemon *d);

/** IPC quorum-show: config.quorum, the effective mode, the witness status. */
int cd_witness_ipc_show(struct cd_daemon *d, struct cd_ipc_client *client,
			json_object *args, json_object **out);

/** IPC quorum-set {"mode", "witness"}: validated, then a state change. */
int cd_witness_ipc_set(struct cd_daemon *d, struct cd_ipc_client *client,
		       json_object *args, json_object **out);

#endif
