/*
 * migstall.c - stall handling of live migration (see migstall.h, S1-S9).
 */
#include "migstall.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const policy_names[] = {
	[CD_MIGPOLICY_PRECOPY] = "precopy",
	[CD_MIGPOLICY_STALL_ABORT] = "stall-abort",
	[CD_MIGPOLICY_POSTCOPY] = "postcopy",
};

const char *
cd_migpolicy_name(enum cd_migpolicy p)
{
	if ((unsigned)p >= sizeof(policy_names) / sizeof(policy_names[0]))
		return "?";
	return policy_names[p];
}

int
cd_migpolicy_parse(const char *s, enum cd_migpolicy *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(s, policy_names[i])) {
			*out = (enum cd_migpolicy)i;
			return 0;
		}
	}
	return -EINVAL;
}

void
cd_migstall_init(struct cd_migstall *s, const struct cd_migstall_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (!s->cfg.downtime_ms)
		s->cfg.downtime_ms = 300;
	if (s->cfg.downtime_max_ms < s->cfg.downtime_ms)
		s->cfg.downtime_max_ms = s->cfg.downtime_ms;
	if (!s->cfg.window_ms)
		s->cfg.window_ms = CD_MIGSTALL_WINDOW_MS;
	if (!s->cfg.min_passes)
		s->cfg.min_passes = CD_MIGSTALL_MIN_PASSES;
	if (!s->cfg.shrink_pct || s->cfg.shrink_pct > 99)
		s->cfg.shrink_pct = CD_MIGSTALL_SHRINK_PCT;
	s->downtime_ms = s->cfg.downtime_ms;
}

static double
mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

/* S8/S9: the final decision of the policy. */
static struct cd_migstall_decision
final(struct cd_migstall *s, const char *what)
{
	struct cd_migstall_decision d = { 0 };
	bool post = s->cfg.policy == CD_MIGPOLICY_POSTCOPY;

	s->done = true;
	d.act = post ? CD_MIGSTALL_POSTCOPY : CD_MIGSTALL_ABORT;
	snprintf(d.why, sizeof(d.why), "pre-copy does not converge (%s); %s", what,
		 post ? "switching to post-copy" : "cancelled, the VM runs on the source");
	return d;
}

/* S4/S5: the pass that just ended (a new sync began at elapsed_ms). */
static void
close_pass(struct cd_migstall *s, const struct cd_migstall_sample *x)
{
	uint64_t limit;

	if (s->pass <= s->first_pass)
		return;		/* the bulk copy: no size */
	limit = s->best / 100 * (100 - s->cfg.shrink_pct);
	if (!s->best || s->pass_size < limit) {
		s->best = s->pass_size;
		s->since_ms = x->elapsed_ms;
		s->since_pass = x->passes;
	}
}

struct cd_migstall_decision
cd_migstall_feed(struct cd_migstall *s, const struct cd_migstall_sample *x)
{
	struct cd_migstall_decision d = { 0 };
	char what[120];

	if (s->done || s->cfg.policy == CD_MIGPOLICY_PRECOPY)		/* S1 */
		return d;
	if (s->cfg.paused) {						/* S2 */
		if (s->cfg.policy != CD_MIGPOLICY_POSTCOPY)
			return d;
		s->done = true;
		d.act = CD_MIGSTALL_POSTCOPY;
		snprintf(d.why, sizeof(d.why), "the guest is paused for the transfer: "
			 "post-copy at once, the pause is the switch-over only");
		return d;
	}
	if (!x->status || strcmp(x->status, "active") ||		/* S3 */
	    (s->started && x->passes < s->pass))
		return d;
	if (!s->started) {
		s->started = true;
		s->first_pass = s->pass = s->since_pass = x->passes;
		s->pass_size = x->remaining;
		s->since_ms = s->start_ms = x->elapsed_ms;
	} else if (x->passes > s->pass) {				/* S4 */
		close_pass(s, x);
		s->pass = x->passes;
		s->pass_size = x->remaining;
	} else if (x->remaining > s->pass_size) {
		s->pass_size = x->remaining;
	}
	if (s->cfg.timeout_ms && x->mbps > 0.0 &&			/* S9 */
	    x->elapsed_ms >= s->start_ms + s->cfg.window_ms) {
		double need = (double)x->remaining * 8.0 / (x->mbps * 1e6) * 1000.0;
		uint64_t left = x->elapsed_ms < s->cfg.timeout_ms ?
				s->cfg.timeout_ms - x->elapsed_ms : 0;
		if ((double)left < need + (double)s->cfg.window_ms) {
			snprintf(what, sizeof(what), "%.1f MiB left need %.1f s at %.0f Mbit/s, "
				 "%.1f s left of the transfer's %.0f s", mib(x->remaining),
				 need / 1000.0, x->mbps, (double)left / 1000.0,
				 (double)s->cfg.timeout_ms / 1000.0);
			return final(s, what);
		}
	}
	if (x->passes < s->since_pass + s->cfg.min_passes ||		/* S6 */
	    x->elapsed_ms < s->since_ms + s->cfg.window_ms)
		return d;
	snprintf(what, sizeof(what), "%" PRIu64 " passes in %.1f s without shrinking "
		 "%ld%% below %.1f MiB, downtime limit %u ms",
		 x->passes - s->since_pass, (double)(x->elapsed_ms - s->since_ms) / 1000.0,
		 (long)s->cfg.shrink_pct, mib(s->best), s->downtime_ms);
	if (s->downtime_ms < s->cfg.downtime_max_ms) {			/* S7 */
		uint64_t next = (uint64_t)s->downtime_ms * 2;

		s->downtime_ms = next < s->cfg.downtime_max_ms ? (uint32_t)next :
				 s->cfg.downtime_max_ms;
		s->steps++;
		s->since_ms = x->elapsed_ms;
		s->since_pass = x->passes;
		d.act = CD_MIGSTALL_STEP;
		d.downtime_ms = s->downtime_ms;
		snprintf(d.why, sizeof(d.why), "pre-copy stalls (%s): downtime limit %u ms "
			 "(bound %u ms)", what, s->downtime_ms, s->cfg.downtime_max_ms);
		return d;
	}
	return final(s, what);						/* S8 */
}
