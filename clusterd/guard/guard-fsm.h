/*
 * guard-fsm.h - clusterd-guard's decisions, as pure code: the lease state
 * machine. No I/O, no clock: every event carries "now" (CLOCK_MONOTONIC,
 * ms) and returns what the caller must do (GUARD_DO_* bits). Table-tested
 * in tests/unit/test_guard_fsm.c.
 *
 * States:
 * - IDLE: no lease was ever given since the guard started and the roles
 *   cgroup was empty at start: nothing to protect, nothing to kill.
 * - ARMED: a lease is held, valid until deadline_ms (inclusive). Entered by
 *   a renewal with deadline >= now, or at start when the roles cgroup
 *   already holds processes (deadline = now + grace: a clusterd that
 *   restarted, or a guard that restarted, gets that long to renew).
 * - LAPSED: now > deadline (clusterd dead, hung, or no longer renewing) or
 *   a renewal whose deadline is already past. Entering it kills every
 *   process of the roles cgroup; while lapsed, processes that appear there
 *   are killed too (nothing may run without a lease once one was given).
 *   Only a renewal with a future deadline leaves it (to ARMED).
 * Connections and disconnections of clients change nothing but the client
 * count: a clusterd that goes away does not disarm the lease, its deadline
 * keeps running.
 * The watchdog is fed in IDLE and ARMED, never in LAPSED; the magic close
 * ('V': disarm the watchdog) is allowed only on a clean shutdown in IDLE.
 */
#ifndef CLUSTERD_GUARD_FSM_H
#define CLUSTERD_GUARD_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum guard_state {
	GUARD_IDLE = 0,
	GUARD_ARMED,
	GUARD_LAPSED,
};

/* Why the lease lapsed (the last time). */
enum guard_why {
	GUARD_WHY_NONE = 0,
	GUARD_WHY_EXPIRED,	/* now passed the renewed deadline */
	GUARD_WHY_GRACE,	/* the start-up grace passed without a renewal */
	GUARD_WHY_STALE,	/* a renewal with a deadline already past */
};

/* What the caller must do after an event (bits). */
#define GUARD_DO_KILL	0x1u	/* kill every process of the roles cgroup now */
#define GUARD_DO_STATUS	0x2u	/* something an observer sees changed: publish */

struct guard_fsm {
	enum guard_state state;
	uint64_t deadline_ms;	/* the lease's end; kept after a lapse; 0: none yet */
	bool by_grace;		/* ARMED by the start-up grace, not by a renewal */
	uint64_t lapsed_ms;	/* when the last lapse was seen; 0: never */
	enum guard_why why;	/* of the last lapse */
	uint64_t lapses;	/* transitions into LAPSED */
	uint64_t renewals;	/* accepted renewals (future deadlines) */
	unsigned int clients;	/* connected clients */
};

/** IDLE, nothing known. */
void guard_fsm_init(struct guard_fsm *f);

/**
 * The guard starts: populated says whether the roles cgroup holds
 * processes now; if so ARMED until now + grace_ms (grace 0: LAPSED at once).
 * @return GUARD_DO_* bits
 */
unsigned int guard_fsm_start(struct guard_fsm *f, uint64_t now, bool populated,
			     uint64_t grace_ms);

/**
 * A renewal: "valid until deadline". deadline >= now: ARMED with exactly
 * that deadline (the latest renewal wins, also when it shortens the
 * lease). deadline < now: a lapse (GUARD_WHY_STALE) from any state.
 */
unsigned int guard_fsm_renew(struct guard_fsm *f, uint64_t now, uint64_t deadline);

/** Time passes: ARMED and now > deadline -> LAPSED (kill). */
unsigned int guard_fsm_tick(struct guard_fsm *f, uint64_t now);

/**
 * The roles cgroup's "populated" changed (or a kill left it populated):
 * in LAPSED, populated asks for a kill; otherwise nothing.
 */
unsigned int guard_fsm_populated(struct guard_fsm *f, uint64_t now, bool populated);

/** A client connected / went away: counted, nothing else changes. */
unsigned int guard_fsm_connect(struct guard_fsm *f);
unsigned int guard_fsm_disconnect(struct guard_fsm *f);

/**
 * Milliseconds until the next tick must run (the first instant the lease
 * is past: deadline + 1), 0 if it is due now, -1 if no deadline is running.
 */
int64_t guard_fsm_timeout(const struct guard_fsm *f, uint64_t now);

/** Keep feeding the watchdog (IDLE and ARMED). */
bool guard_fsm_feed(const struct guard_fsm *f);

/** On a clean shutdown, may the watchdog be disarmed (magic close)? IDLE only. */
bool guard_fsm_may_disarm(const struct guard_fsm *f);

/** "idle", "armed", "lapsed" */
const char *guard_state_name(enum guard_state s);

/** "", "lease expired", "start-up grace expired", "renewal already past" */
const char *guard_why_text(enum guard_why w);

#endif
