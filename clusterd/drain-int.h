/*
 * drain-int.h - what the drain subsystem's parts share; not for use
 * outside clusterd/drain*.c (drain-sys.h is its interface to main.c).
 *
 *   drain.c      the leader's pass, the drain on a clean stop, the hooks;
 *   drain-ipc.c  node-drain, node-show, node-resume and the status section.
 *
 * Everything runs on the daemon's one qb_loop.
 */
#ifndef CLUSTERD_DRAIN_INT_H
#define CLUSTERD_DRAIN_INT_H

#include <json-c/json.h>

#include "drain-sys.h"
#include "hooks.h"

int cd_drain_ipc_drain(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
		       json_object **out);
int cd_drain_ipc_show(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
		      json_object **out);
int cd_drain_ipc_resume(struct cd_daemon *d, struct cd_ipc_client *client, json_object *args,
			json_object **out);
/** The "drain" section of the status: {NODE: counts} for each drain recorded. */
json_object *cd_drain_status(struct cd_daemon *d);

#endif
