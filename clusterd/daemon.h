/*
 * daemon.h - clusterd's daemon object and the interfaces between its
 * modules. One qb_loop drives everything; no module blocks it.
 */
#ifndef CLUSTERD_DAEMON_H
#define CLUSTERD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <qb/qbloop.h>
#include <json-c/json.h>

#include "membership.h"

#define CD_RUNTIME_DIR		"/run/clusterd"
#define CD_STATE_DIR		"/var/lib/clusterd"
#define CD_CPG_GROUP		"clusterd"
#define CD_RECONNECT_MS		1000

struct cd_cs;
struct cd_ipc;

struct cd_daemon {
	qb_loop_t *loop;
	const char *runtime_dir;
	const char *state_dir;
	struct cd_membership mship;
	uint64_t mship_changed_ns;	/* when the view last changed */
	uint32_t last_leader;		/* to log leader changes once */
	bool last_quorate;
	struct cd_cs *cs;
	struct cd_ipc *ipc;
};

/* cs.c: the corosync connections (cmap, votequorum, cpg). */

/**
 * Connect to corosync and join the process group. When corosync is not
 * there (now or later) the module retries every CD_RECONNECT_MS and keeps
 * the membership marked disconnected meanwhile; it never fails the daemon.
 * @return 0, or -ENOMEM
 */
int cd_cs_start(struct cd_daemon *d);

/** Leave the group and close the connections. Safe to call twice. */
void cd_cs_stop(struct cd_daemon *d);

/* ipc.c: the libqb IPC server clusterctl talks to. */

/** @return 0, or a negative errno when the server cannot be created */
int cd_ipc_start(struct cd_daemon *d);
void cd_ipc_stop(struct cd_daemon *d);

/**
 * Send an event to every subscribed client. data is borrowed.
 * Clients that cannot take it (full queue) miss it; a warning is logged.
 */
void cd_ipc_broadcast(struct cd_daemon *d, const char *event,
		      json_object *data);

/* main.c */

/**
 * Called by the corosync glue after any membership view changed: logs
 * quorum and leader transitions and tells subscribed clients.
 * @param why short reason for the log ("cpg", "quorum", "ring", ...)
 */
void cd_daemon_membership_changed(struct cd_daemon *d, const char *why);

/** The current status document (new object, caller puts it). */
json_object *cd_daemon_status(struct cd_daemon *d);

#endif
