/*
 * migpredict.c - the live-migration prediction (rules in migpredict.h).
 */
#include "migpredict.h"

#include <errno.h>
#include <string.h>

/* ms to send bytes at bps, rounded up */
static uint64_t
ms_for(uint64_t bytes, uint64_t bps)
{
	long double ms = (long double)bytes * 1000.0L / (long double)bps;
	uint64_t r = (uint64_t)ms;

	return (long double)r < ms ? r + 1 : r;
}

int
cd_migpredict(const struct cd_migpredict_in *in, struct cd_migpredict *out)
{
	uint32_t limit;
	uint64_t x, sent_ms = 0;

	if (!in || !out || !in->ram_bytes)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!in->link_bps)
		return -ENODATA;				/* P1 */
	limit = in->downtime_limit_ms ? in->downtime_limit_ms : 300;
	if (in->paused) {					/* P3 */
		out->passes = 1;
		out->total_ms = in->setup_ms + ms_for(in->disk_bytes, in->link_bps) +
				ms_for(in->ram_bytes, in->link_bps);	/* P2, P6 */
		out->downtime_ms = in->postcopy ? 0 :			/* P7 */
				   ms_for(in->ram_bytes, in->link_bps);
		out->converges = true;
		return 0;
	}
	if (in->dirty_bps >= in->link_bps)
		return 0;					/* P5 */
	for (x = in->ram_bytes; out->passes < CD_MIGPREDICT_MAX_PASSES;) {	/* P4 */
		uint64_t t = ms_for(x, in->link_bps);
		long double next;

		out->passes++;
		if (t <= limit) {	/* what is left fits the pause (the first pass too) */
			out->downtime_ms = t;
			out->total_ms = in->setup_ms + ms_for(in->disk_bytes, in->link_bps) +
					sent_ms + t;		/* P2, P6 */
			out->converges = true;
			return 0;
		}
		sent_ms += t;
		next = (long double)in->dirty_bps * (long double)x / (long double)in->link_bps;
		x = next >= (long double)in->ram_bytes ? in->ram_bytes : (uint64_t)next;
		if (x == 0)
			x = 1;	/* the last dirty bits and the device state */
	}
	out->passes = 0;					/* P5 */
	return 0;
}
