/*
 * migstall.h - what a live migration does when the guest dirties memory
 * faster than the link carries it (issue 20 item 4). Pure code: the
 * hypervisor plugin feeds it the transfer's successive samples (QEMU's
 * query-migrate: status, ram.remaining, dirty-sync-count, throughput) and
 * carries out its decisions; no I/O, no clock of its own.
 *
 * A migration policy, per VM (definition field migration_policy) or for
 * the cluster (property migration-policy):
 *   precopy      pre-copy only, as before: auto-converge throttles the
 *                guest, the transfer's timeout cancels it (the default)
 *   stall-abort  pre-copy; when it stalls, step the allowed downtime up to
 *                a bound, then abort: the VM stays on the source, running,
 *                and the move fails with the reason
 *   postcopy     pre-copy; when it stalls, step the downtime up to the
 *                bound, then switch to post-copy: the guest runs on the
 *                target at once and pulls the pages it lacks, so the
 *                migration always completes -- but from that moment the
 *                guest's memory is split between both hosts, and losing
 *                either host or the link between them loses the VM on
 *                both (it is cold-booted from its disk after fencing; it
 *                never runs twice). docs/ARCHITECTURE.md §7 says when not
 *                to enable it.
 *
 * Rules (the plugin calls cd_migstall_feed for every sample, in order):
 *  S1. Policy precopy: never a decision.
 *  S2. Paused mode (the guest does not run on the source during the
 *      transfer, migmode.h: TCG on QEMU < 9.0): nothing can stall. With
 *      postcopy, switch to post-copy at the first sample: the guest's pause
 *      shrinks from the whole transfer to the switch-over, and no page can
 *      be dirtied behind the copy (the guest only runs on the target).
 *      With stall-abort: never a decision.
 *  S3. Only samples of an active pre-copy (status "active") count; a
 *      sample with a lower sync count than the last one is ignored.
 *  S4. A pass is the time between two dirty-bitmap syncs (QEMU's
 *      dirty-sync-count); its size is the largest remaining seen in it, the
 *      dirty set found by the sync that began it. The first pass (the bulk
 *      copy of all RAM) has no size.
 *  S5. Progress: a pass whose size is below (100 - shrink_pct) % of the
 *      smallest size so far; the first sized pass is progress.
 *  S6. Stall: since the last progress (or the last downtime step, S7), at
 *      least min_passes new syncs AND at least window_ms. Remaining data
 *      that stops shrinking, not a fixed timeout.
 *  S7. On a stall, while the downtime limit is below downtime_max_ms: STEP
 *      it to min(2 x limit, downtime_max_ms) (QEMU then finishes once the
 *      remaining data fits in that pause); the stall clock starts again.
 *  S8. On a stall at downtime_max_ms: ABORT (stall-abort) or POSTCOPY
 *      (postcopy), once; no decision after it.
 *  S9. The transfer's deadline comes first: once the time left before
 *      timeout_ms is less than what the remaining data needs at the
 *      measured throughput plus one window, decide as S8 at once
 *      (post-copy still has time to finish; an abort says why instead of a
 *      timeout). Not in the first window of the transfer: QEMU's first
 *      throughput figures are meaningless (1 Mbit/s measured in the lab).
 */
#ifndef CLUSTERD_MIGSTALL_H
#define CLUSTERD_MIGSTALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Part of the hypervisor plugin ABI (agents/vm/hypervisor.h): the values
 * never change meaning. */
enum cd_migpolicy {
	CD_MIGPOLICY_PRECOPY = 0,
	CD_MIGPOLICY_STALL_ABORT = 1,
	CD_MIGPOLICY_POSTCOPY = 2,
};

/** "precopy", "stall-abort", "postcopy". */
const char *cd_migpolicy_name(enum cd_migpolicy p);
/** @return 0, or -EINVAL for any other word (out unchanged) */
int cd_migpolicy_parse(const char *s, enum cd_migpolicy *out);

/* Defaults of the settings (cluster properties migration-downtime-max-ms,
 * migration-stall-window-ms; lib/props.c says the same). */
#define CD_MIGSTALL_DOWNTIME_MAX_MS	2000u
#define CD_MIGSTALL_WINDOW_MS		5000u
#define CD_MIGSTALL_MIN_PASSES		2u
#define CD_MIGSTALL_SHRINK_PCT		10u

struct cd_migstall_cfg {
	enum cd_migpolicy policy;
	bool paused;		/* S2: the guest is paused for the transfer */
	uint32_t downtime_ms;	/* the limit the transfer starts with (> 0) */
	uint32_t downtime_max_ms;	/* S7's bound; below downtime_ms: downtime_ms */
	uint32_t window_ms;	/* S6; 0: CD_MIGSTALL_WINDOW_MS */
	uint32_t min_passes;	/* S6; 0: CD_MIGSTALL_MIN_PASSES */
	uint32_t shrink_pct;	/* S5, 1..99; 0: CD_MIGSTALL_SHRINK_PCT */
	uint64_t timeout_ms;	/* S9: the transfer's whole budget; 0: none */
};

/** One query-migrate sample. */
struct cd_migstall_sample {
	uint64_t elapsed_ms;	/* since the transfer started */
	const char *status;	/* QEMU's word: "setup", "active", ... */
	uint64_t remaining;	/* ram.remaining, bytes */
	uint64_t passes;	/* ram.dirty-sync-count */
	double mbps;		/* ram.mbps, megabits/s */
};

enum cd_migstall_act {
	CD_MIGSTALL_NONE = 0,
	CD_MIGSTALL_STEP,	/* S7: set the downtime limit to downtime_ms */
	CD_MIGSTALL_ABORT,	/* S8/S9, stall-abort: cancel, the source runs on */
	CD_MIGSTALL_POSTCOPY,	/* S2/S8/S9, postcopy: switch to post-copy */
};

struct cd_migstall_decision {
	enum cd_migstall_act act;
	uint32_t downtime_ms;	/* STEP: the new limit */
	char why[160];		/* STEP/ABORT/POSTCOPY: one line for the log and the user */
};

/** The detector's memory between samples; initialise with cd_migstall_init. */
struct cd_migstall {
	struct cd_migstall_cfg cfg;
	uint32_t downtime_ms;	/* the limit in force */
	uint64_t first_pass;	/* S4: sync count of the bulk copy */
	uint64_t pass;		/* sync count of the pass being measured */
	uint64_t pass_size;	/* S4: its largest remaining so far */
	uint64_t best;		/* S5: the smallest pass size so far; 0: none yet */
	uint64_t start_ms;	/* S9: the first counted sample */
	uint64_t since_ms;	/* S6: last progress or step */
	uint64_t since_pass;	/* S6: the sync count then */
	uint32_t steps;		/* S7 steps taken */
	bool started;		/* a counted sample was seen */
	bool done;		/* S2/S8/S9 decided: nothing more */
};

/** Start a detector for one transfer. */
void cd_migstall_init(struct cd_migstall *s, const struct cd_migstall_cfg *cfg);

/**
 * Feed the next sample (S1-S9). Pure.
 * @return the decision (act NONE for most samples); after ABORT or
 *         POSTCOPY every later call returns NONE
 */
struct cd_migstall_decision cd_migstall_feed(struct cd_migstall *s,
					     const struct cd_migstall_sample *x);

#endif
