/*
 * quorum.h - node and disk majority (issue 5) as main.c sees it.
 *
 * clusterd registers as votequorum's quorum device ("Witness") on its own
 * votequorum connection and casts the witness vote partition-wide: every
 * member of the partition that holds the witness LUN casts 1, every other
 * node 0. The LUN is won by SCSI-3 PR (lib/pr.h) on a worker thread by the
 * rules of quorum/arbiter.h; the on-disk layout (heartbeat, state copy) is
 * lib/witness-disk.h (shared with clusterctl). Design and why it is safe:
 * arbiter.h and docs/ARCHITECTURE.md §5. The parts: quorum-int.h.
 */
#ifndef CLUSTERD_QUORUM_H
#define CLUSTERD_QUORUM_H

struct cd_daemon;

/**
 * Start: the worker thread, then the votequorum connection (retried every
 * 200 ms while corosync is away; the device registers once the witness
 * copy was checked, rule C1). Sets d->witness.
 * @return 0, -ENOMEM, or -errno of pthread_create
 */
int cd_quorum_start(struct cd_daemon *d);

/** Unregister the device (its vote goes at once), stop the worker (it
 *  unregisters our key), free. Safe when not started. */
void cd_quorum_stop(struct cd_daemon *d);

/**
 * quorum/'s hooks (hooks.h):
 *  - quorum_filter: q->witness_vote = votequorum counts the device vote and
 *    this node casts it for the current ring (rule M1, membership.h). With
 *    settle (votequorum's quorum callback) it also guards the quorate flag
 *    (rule V3, arbiter.h): votequorum counts the device vote from a
 *    per-node flag that a node's own older nodeinfo message can set again
 *    after this node polled cast_vote=0 for a new ring (seen once in 2|2
 *    splits: a losing 2-node partition quorate for 1.2 s with 2 of 5
 *    votes). Such a vote does not count: the quorate flag is recomputed
 *    without it, and the device polls again at once so votequorum
 *    withdraws it too.
 *  - status: section "witness".
 *  - IPC quorum-show (config.quorum, the effective mode, the witness
 *    status) and quorum-set {"mode", "witness"} (validated, then a state
 *    change).
 */
extern const struct cd_hooks cd_quorum_hooks;

#endif
