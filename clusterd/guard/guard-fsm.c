/*
 * guard-fsm.c - the lease state machine of clusterd-guard (pure; see
 * guard-fsm.h for the states and their rules).
 */
#include "guard-fsm.h"

#include <string.h>

void
guard_fsm_init(struct guard_fsm *f)
{
	memset(f, 0, sizeof(*f));
	f->state = GUARD_IDLE;
}

static unsigned int
lapse(struct guard_fsm *f, uint64_t now, enum guard_why why)
{
	if (f->state != GUARD_LAPSED)
		f->lapses++;
	f->state = GUARD_LAPSED;
	f->by_grace = false;
	f->lapsed_ms = now;
	f->why = why;
	return GUARD_DO_KILL | GUARD_DO_STATUS;
}

unsigned int
guard_fsm_start(struct guard_fsm *f, uint64_t now, bool populated,
		uint64_t grace_ms)
{
	guard_fsm_init(f);
	if (!populated)
		return GUARD_DO_STATUS;
	if (grace_ms == 0)
		return lapse(f, now, GUARD_WHY_GRACE);
	f->state = GUARD_ARMED;
	f->deadline_ms = now + grace_ms;
	f->by_grace = true;
	return GUARD_DO_STATUS;
}

unsigned int
guard_fsm_renew(struct guard_fsm *f, uint64_t now, uint64_t deadline)
{
	unsigned int out = 0;

	if (deadline < now) {
		f->deadline_ms = deadline;
		return lapse(f, now, GUARD_WHY_STALE);
	}
	if (f->state != GUARD_ARMED || f->by_grace)
		out |= GUARD_DO_STATUS;
	f->state = GUARD_ARMED;
	f->by_grace = false;
	f->deadline_ms = deadline;
	f->renewals++;
	return out;
}

unsigned int
guard_fsm_tick(struct guard_fsm *f, uint64_t now)
{
	if (f->state != GUARD_ARMED || now <= f->deadline_ms)
		return 0;
	return lapse(f, now, f->by_grace ? GUARD_WHY_GRACE : GUARD_WHY_EXPIRED);
}

unsigned int
guard_fsm_populated(struct guard_fsm *f, uint64_t now, bool populated)
{
	unsigned int out = guard_fsm_tick(f, now);

	if (f->state == GUARD_LAPSED && populated)
		out |= GUARD_DO_KILL;
	return out;
}

unsigned int
guard_fsm_connect(struct guard_fsm *f)
{
	f->clients++;
	return GUARD_DO_STATUS;
}

unsigned int
guard_fsm_disconnect(struct guard_fsm *f)
{
	if (f->clients > 0)
		f->clients--;
	return GUARD_DO_STATUS;
}

int64_t
guard_fsm_timeout(const struct guard_fsm *f, uint64_t now)
{
	if (f->state != GUARD_ARMED)
		return -1;
	if (now > f->deadline_ms)
		return 0;
	return (int64_t)(f->deadline_ms - now) + 1;
}

bool
guard_fsm_feed(const struct guard_fsm *f)
{
	return f->state != GUARD_LAPSED;
}

bool
guard_fsm_may_disarm(const struct guard_fsm *f)
{
	return f->state == GUARD_IDLE;
}

const char *
guard_state_name(enum guard_state s)
{
	switch (s) {
	case GUARD_IDLE: return "idle";
	case GUARD_ARMED: return "armed";
	case GUARD_LAPSED: return "lapsed";
	}
	return "?";
}

const char *
guard_why_text(enum guard_why w)
{
	switch (w) {
	case GUARD_WHY_NONE: return "";
	case GUARD_WHY_EXPIRED: return "lease expired";
	case GUARD_WHY_GRACE: return "start-up grace expired";
	case GUARD_WHY_STALE: return "renewal already past";
	}
	return "?";
}
