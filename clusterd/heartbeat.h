/*
 * heartbeat.h - clusterd's side of the self-fencing lease (lib/lease.h).
 *
 * - Every lease/8 it multicasts a HEARTBEAT {t0} on the clusterd group
 *   (rule L1), whether or not this node is quorate.
 * - From what CPG delivers (cd_hb_on_heartbeat, cd_hb_delivered, called by
 *   replica.c in delivery order) it renews the lease (L2, L3) and hands each
 *   renewal to the daemon's lease hook (d->on_lease_renewed: the guard
 *   client), never blocking.
 * - It keeps, per peer, when a message of its clusterd was last delivered
 *   here, so the resource manager can treat a peer whose clusterd is hung
 *   or stopped as lost (L4, cd_hb_peer_stale()).
 * - When less than 3/8 of the lease is left (it stopped hearing a
 *   majority) it logs it once and tells the subsystems (the lease_changed
 *   hook, hooks.h; the resource manager self-fences), so that even roles
 *   without processes are stopped before the lease lapses; the guard kills
 *   the roles' processes at the deadline in any case. The same hook runs
 *   when the lease becomes valid and when a peer becomes stale or is heard
 *   again.
 * Times are CLOCK_MONOTONIC milliseconds. The lease length is the cluster
 * property lease-ms (default CD_LEASE_DEFAULT_MS).
 */
#ifndef CLUSTERD_HEARTBEAT_H
#define CLUSTERD_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

struct cd_daemon;

/** Start the heartbeat timer. @return 0 or -ENOMEM */
int cd_hb_start(struct cd_daemon *d);
/** Stop the timer and free. Safe to call twice. */
void cd_hb_stop(struct cd_daemon *d);

/** A HEARTBEAT message was delivered (body checked by cpgmsg.c). */
void cd_hb_on_heartbeat(struct cd_daemon *d, uint32_t nodeid, json_object *body);
/** Any message of nodeid was delivered (after its handler ran). */
void cd_hb_delivered(struct cd_daemon *d, uint32_t nodeid);
/** The group changed: members new to it count as heard now. */
void cd_hb_confchg(struct cd_daemon *d, const uint32_t *members, size_t n);

/** The lease is valid now: local roles may start. */
bool cd_hb_lease_valid(struct cd_daemon *d);
/** At least half of the lease is left: a role may start (lease.h L7). */
bool cd_hb_lease_start_ok(struct cd_daemon *d);
/** The lease was valid in this process and has lapsed since. */
bool cd_hb_lease_lapsed(struct cd_daemon *d);
/**
 * Less than 3/8 of the lease is left: the local roles are stopped now, so
 * that roles the guard cannot kill (an IP address, a file) are stopped
 * before the lease lapses (lease.h L6).
 */
bool cd_hb_lease_failing(struct cd_daemon *d);
/** L4: the peer's clusterd is in the group but silent for over a lease. */
bool cd_hb_peer_stale(struct cd_daemon *d, uint32_t nodeid);
/**
 * L5b: when a message of the peer's clusterd was last delivered here or
 * it last joined the group (monotonic ms; 0: never). Kept after it leaves:
 * a loss counts from no earlier than this.
 */
uint64_t cd_hb_peer_heard_ms(struct cd_daemon *d, uint32_t nodeid);
/** The lease length in force (ms). */
uint32_t cd_hb_lease_ms(struct cd_daemon *d);

/** The lease's part of the status document (hooks.h): section "lease". */
extern const struct cd_hooks cd_hb_hooks;

#endif
