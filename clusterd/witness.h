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

#include <stdbool.h>
#include <json-c/json.h>

struct cd_daemon;
struct cd_ipc_client;

/** Start the module (worker thread, votequorum connection with retries).
 *  @return 0 or -ENOMEM / -errno of pthread_create */
int cd_witness_start(struct cd_daemon *d);

/** Stop polling (the device is unregistered: its vote goes at once). */
void cd_witness_stop(struct cd_daemon *d);

/**
 * True when this node casts the witness vote for the current ring (it is
 * registered, decided and casting for this ring id). Used with votequorum's
 * QDEVICE_CAST_VOTE flag for rule M1 (membership.h): a half of the nodes is
 * a majority only with a vote clusterd really casts.
 */
bool cd_witness_vote_backed(struct cd_daemon *d);

/**
 * The witness's hooks (hooks.h):
 *  - quorum_filter: q->witness_vote = votequorum counts the device vote and
 *    cd_witness_vote_backed(). With settle (votequorum's quorum callback)
 *    it also guards the quorate flag: votequorum counts the device vote
 *    from a per-node flag that a node's own older nodeinfo message can set
 *    again after this node polled cast_vote=0 for a new ring (seen once in
 *    2|2 splits: a losing 2-node partition quorate for 1.2 s with 2 of 5
 *    votes). When votequorum counts a witness vote that clusterd is not
 *    casting for the current ring, the vote does not count: the quorate
 *    flag is recomputed without it, and the device polls again at once so
 *    votequorum withdraws it too.
 *  - status: section "witness".
 *  - IPC quorum-show (config.quorum, the effective mode, the witness
 *    status) and quorum-set {"mode", "witness"} (validated, then a state
 *    change).
 */
extern const struct cd_hooks cd_witness_hooks;

#endif
