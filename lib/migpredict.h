/*
 * migpredict.h - what a live migration will take, predicted before it
 * starts (issue 20 item 5). Pure code: the vm agent feeds it the VM's RAM,
 * the guest's dirty rate (QEMU's calc-dirty-rate, measured for a second
 * just before the move), the link's bandwidth (the migration's cap, else
 * the throughput of the last migration to that node) and the mode the
 * hypervisor plugin will use; the prediction goes into the move's record
 * next to what happened (`clusterctl move` shows both).
 *
 * Model (rules cited in migpredict.c):
 *  P1. Without a bandwidth there is no prediction (-ENODATA): the first
 *      move to a node, with no cap set, predicts nothing.
 *  P2. Node-local disks (shared-nothing) are copied first, at the link's
 *      bandwidth: disk_bytes / link; the guest runs meanwhile.
 *  P3. Paused mode (the guest paused for the transfer, migmode.h): the
 *      memory goes in one pass; downtime = total memory time = ram / link.
 *  P4. Pre-copy: pass 1 sends all RAM; pass k+1 sends what the guest
 *      dirtied during pass k, at most the RAM: x[k+1] = min(ram, dirty x
 *      x[k] / link). The transfer stops when a pass fits the downtime
 *      limit (x[k] / link <= limit; the first pass too, for a small
 *      guest): that pass is the downtime. An idle guest's second pass
 *      carries next to nothing (1 byte here: the last dirty bits and the
 *      device state are not modelled).
 *  P5. A guest that dirties at least as fast as the link, or that still
 *      does not fit after CD_MIGPREDICT_MAX_PASSES passes, does not
 *      converge without help (auto-converge throttling, the stall policy
 *      or post-copy): converges false, total and downtime 0 (unknown).
 *  P6. setup_ms (the target's start, agents, state changes: a constant the
 *      caller knows from the node's earlier moves, or 0) is added to the
 *      total, not to the downtime.
 *  P7. Paused mode under the postcopy policy switches to post-copy at once
 *      (migstall.h S2): the memory still takes ram / link, but the guest
 *      runs on the target from the switch: downtime 0 (the switch-over
 *      itself, tens of ms, is not modelled). A live pre-copy that does not
 *      converge is still P5: when the stall policy switches is not known.
 */
#ifndef CLUSTERD_MIGPREDICT_H
#define CLUSTERD_MIGPREDICT_H

#include <stdbool.h>
#include <stdint.h>

#define CD_MIGPREDICT_MAX_PASSES	30

struct cd_migpredict_in {
	uint64_t ram_bytes;		/* guest RAM */
	uint64_t dirty_bps;		/* bytes/s the guest dirties (0: idle) */
	uint64_t link_bps;		/* bytes/s of the migration link; 0: unknown */
	uint64_t disk_bytes;		/* node-local disks copied first (P2) */
	uint32_t downtime_limit_ms;	/* 0: 300 ms, QEMU's default */
	uint32_t setup_ms;		/* P6 */
	bool paused;			/* P3 */
	bool postcopy;			/* the VM's migration policy is postcopy (P7) */
};

struct cd_migpredict {
	uint64_t total_ms;		/* whole move; 0 when it does not converge */
	uint64_t downtime_ms;		/* the guest's pause; 0 likewise */
	uint32_t passes;		/* memory passes (1 in paused mode) */
	bool converges;			/* P5 */
};

/**
 * Predict a live migration.
 * @return 0 with *out filled, -ENODATA without a bandwidth (P1), -EINVAL
 *         for NULL arguments or no RAM
 */
int cd_migpredict(const struct cd_migpredict_in *in, struct cd_migpredict *out);

#endif
