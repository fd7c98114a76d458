/*
 * lease.h - when a node may renew its self-fencing lease, and when the
 * rest of the cluster may take its roles: pure code, no I/O.
 *
 * The lease is what the supervisor (clusterd-guard) holds: while it runs,
 * the node's roles may run; when it lapses, the guard kills them. clusterd
 * renews it from what CPG delivers, never from its own idea of the quorum,
 * so a clusterd that is hung, stopped or cut off before its corosync notices
 * stops renewing by itself. The rules, cited as L1..L7 in
 * clusterd/heartbeat.c and clusterd/rm-leader.c:
 *
 * L1  Every clusterd multicasts a HEARTBEAT every lease/8, stamped with its
 *     own CLOCK_MONOTONIC send time t0 (ms).
 * L2  When a node has delivered its own heartbeat t0 and then messages of
 *     other nodes such that it and they are a majority of the configured
 *     nodes (cd_majority(), with the witness vote it casts), it may renew
 *     the lease until t0 + lease. Totem orders a message when its sender
 *     holds the token, so messages ordered after t0 were sent after t0 by
 *     nodes that were in one ring with this node then.
 * L3  A node also renews only while its partition is quorate for clusterd
 *     (membership.h M1). (Not only in a stamped view: renewals go on
 *     through the sync round that follows every membership change.)
 * L4  A peer whose clusterd is in the group but whose heartbeat has not
 *     been delivered for longer than the lease is stale: lost, like a node
 *     that left (its lease cannot have been renewed since its last
 *     delivered heartbeat; see L2). Judged only while this node's own
 *     heartbeats are delivered (within lease/4): after a stall of its own
 *     loop every peer would look silent.
 * L5  Let T be the moment a node learns that a peer is lost (it left the
 *     ring or the group, or went stale), on its own clock. Every heartbeat
 *     of the peer that its last renewal counted from was sent at t0 <= T:
 *     for a ring change, later messages of the majority are not delivered
 *     to the peer; for staleness, its last heartbeat was delivered here
 *     before T. So the peer's lease has ended by T + lease, on clocks that
 *     run at the same rate. The cluster starts the peer's roles at
 *     cd_lease_recovery_at(): T + lease + lease/10 (clock rate, generous)
 *     + CD_LEASE_KILL_MARGIN_MS (the guard's kill).
 * L5a The argument of L5 holds only for a loss learnt inside a majority:
 *     while this node is outside one (a minority, not quorate, freshly
 *     started), the peer it sees lost may be renewing its lease in a
 *     majority this node is not part of. So T is the later of the moment
 *     the loss was learnt and the moment this node last entered a
 *     majority view (cd_lease_lost_since()): from then on no majority
 *     without this node exists, and the peer is in none.
 * L5b T is also no earlier than the last moment this node heard the peer's
 *     clusterd or saw it join the group, whenever the loss was first seen:
 *     a peer that came back (its clusterd restarted, renewed its lease) and
 *     was lost again counts from the second loss, also when this node
 *     learnt the return and the new loss in one go (a stall of this node
 *     queued both) and never saw the peer as up in between.
 * L6  A node with less than 3/8 of its lease left stops its roles itself
 *     (clusterd), so that what the guard cannot kill (an IP address, a
 *     file, a mount) is stopped by the agents' stop actions before the
 *     lease lapses. (A renewal comes every lease/8 or so and counts from a
 *     heartbeat sent one delivery earlier: 3/8 leaves room for jitter.)
 * L7  A node starts a role only while at least half of its lease is left:
 *     a start begun just above L6's mark would be abandoned at once (and
 *     whatever it began killed), so it waits for the next renewal, which
 *     a node that hears a majority gets within lease/8 or so.
 */
#ifndef CLUSTERD_LEASE_H
#define CLUSTERD_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "membership.h"

#define CD_LEASE_DEFAULT_MS	2000
#define CD_LEASE_KILL_MARGIN_MS	50
#define CD_LEASE_TOTEM_FACTOR	3

/* L2 bookkeeping: the last two own heartbeats and who was heard after each. */
struct cd_lease_track {
	struct {
		bool open;
		uint64_t t0;
		size_t n_heard;
		uint32_t heard[CD_MAX_NODES];
	} slot[2];		/* [0] the newest own heartbeat */
};

void cd_lease_track_reset(struct cd_lease_track *t);

/**
 * L2: this node's own heartbeat t0 was delivered.
 * @param self this node's id; configured the state's node ids
 * @return t0 when that alone renews (a one-node cluster), else 0
 */
uint64_t cd_lease_own(struct cd_lease_track *t, uint64_t t0, uint32_t self,
		      const uint32_t *configured, size_t n_configured, bool witness);

/**
 * L2: a message of another node was delivered.
 * @return the t0 to renew from (lease until t0 + lease), or 0 for none yet
 */
uint64_t cd_lease_heard(struct cd_lease_track *t, uint32_t from, uint32_t self,
			const uint32_t *configured, size_t n_configured, bool witness);

/**
 * L7: the lease in force: the configured one, but at least
 * CD_LEASE_TOTEM_FACTOR x (token + consensus). While corosync detects a
 * lost node and forms a new ring (token + consensus and a little more)
 * nothing is delivered on any node, so no node renews; a shorter lease
 * lapsed on every node, the majority included, at every node loss. With
 * L6 stopping roles at 3/8 of the lease left and renewals every lease/8,
 * the lease must be over twice that blackout; 3x keeps a margin.
 * (token + consensus 0: unknown, the configured lease.)
 */
uint32_t cd_lease_effective_ms(uint32_t configured_ms, uint32_t token_ms,
			       uint32_t consensus_ms);

/** L4: a peer last delivered at last_ms is stale at now_ms. */
bool cd_lease_peer_stale(uint64_t last_ms, uint64_t now_ms, uint32_t lease_ms);

/**
 * L5a, L5b: the T of L5 for a peer first seen lost at seen_lost_ms and
 * last heard (or seen joining) at last_heard_ms (0: never) by a node that
 * entered its current majority view at majority_since_ms: the latest of
 * the three.
 */
uint64_t cd_lease_lost_since(uint64_t seen_lost_ms, uint64_t majority_since_ms,
			     uint64_t last_heard_ms);

/** L5: when the roles of a node lost at lost_ms may start elsewhere. */
uint64_t cd_lease_recovery_at(uint64_t lost_ms, uint32_t lease_ms);

#endif
