/*
 * csv-clients.h - clusterd's part of the cluster shared volumes: on every
 * member, one csv-client per volume of the replicated state, mounted at
 * /clusterstorage/NAME and supervised.
 *
 * A volume is a resource of agent ocf:clusterd:csv (agents/csv) in the
 * configuration; its coordinator is the owner of that resource's role.
 *
 * Contract:
 *  - Runs only on the loop thread, as hooks (hooks.h): state_changed
 *    reconciles at once, a 1 s timer does restarts, the client state and
 *    the publishing. Nothing here blocks (no access to a FUSE mount from
 *    the loop: a hung coordinator must not hang clusterd).
 *  - The coordinator: CSV_CLIENTS_RUN/NAME/coordinator holds "ADDR:PORT" of
 *    the role's owner (config.nodes.OWNER.addr, the csv resource's port
 *    parameter or 7401), rewritten atomically whenever the owner changes;
 *    csv-client --coordinator-file re-reads it on every reconnect. Empty
 *    while the role has no owner.
 *  - The client process: spawned detached (double fork, setsid, own
 *    session, output in CSV_CLIENTS_RUN/NAME/client.log, pid and start time
 *    in client.pid), so that it survives clusterd: a clusterd restart must
 *    not break the open files of running VMs (as QEMU survives it). On
 *    start, a client recorded in client.pid that still runs (same start
 *    time, a csv-client) is adopted, not restarted. Exit is watched through
 *    a pidfd (the client is not our child: nothing is reaped here, so the
 *    executor's rule of exec.h holds); without pidfds the timer polls it.
 *  - A client that exits is restarted after a backoff (1 s, doubling to
 *    30 s; back to 1 s after 60 s of running), each time with a log line;
 *    a dead FUSE mount is lazily unmounted first.
 *  - A volume gone from the configuration: its client gets SIGTERM (it
 *    unmounts), the mount point is lazily unmounted once it exited.
 *  - cd_csv_clients_stop() (clusterd stopping) leaves every client running.
 *  - Client state, per volume: "down" (no client process), "connected"
 *    (an established TCP connection from the client to the coordinator's
 *    address), "reconnecting" (running, no such connection: also a client
 *    that has not needed its coordinator yet). Shown in the status section
 *    "csv" and published in runtime.csv.NAME.clients.NODE when it changes.
 *    The coordinator's node also publishes runtime.csv.NAME.open_files (the
 *    files csv-coord holds open beneath its mount: files open on any node)
 *    when that changes, at most every 5 s. The leader deletes
 *    runtime.csv.NAME of a volume no longer configured.
 */
#ifndef CLUSTERD_CSV_CLIENTS_H
#define CLUSTERD_CSV_CLIENTS_H

#include "daemon.h"

#define CSV_CLIENTS_RUN		"/run/clusterd/csv"	/* agents/csv's CSV_RUN_ROOT */
#define CSV_CLIENTS_MOUNT_ROOT	"/clusterstorage"
#define CSV_CLIENTS_AGENT	"ocf:clusterd:csv"
#define CSV_CLIENTS_PORT	7401
#define CSV_CLIENTS_MAX		16

/**
 * Start supervising: adopt running clients, arm the timer. The first
 * reconcile runs on the first state_changed hook.
 * @return 0 or -ENOMEM
 */
int cd_csv_clients_start(struct cd_daemon *d);

/** Stop supervising (clients keep running). Safe without a start. */
void cd_csv_clients_stop(struct cd_daemon *d);

/** Hooks: state_changed, status (section "csv"). */
extern const struct cd_hooks cd_csv_hooks;

#endif
