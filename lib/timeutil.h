/*
 * timeutil.h - monotonic time helpers. CLOCK_MONOTONIC is shared by every
 * namespace on a host (there are no time namespaces in use), so stamps from
 * different lab nodes can be compared.
 */
#ifndef CLUSTERD_TIMEUTIL_H
#define CLUSTERD_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
cd_now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
cd_now_mono_ms(void)
{
	return cd_now_mono_ns() / 1000000ull;
}

/*
 * The wait before try n+1 after n failures in a row: min_ms doubled per
 * failure after the first, never above max_ms (n = 0: min_ms).
 */
static inline uint64_t
cd_backoff_ms(uint32_t failures, uint64_t min_ms, uint64_t max_ms)
{
	uint64_t w = min_ms;

	while (failures-- > 1 && w < max_ms)
		w *= 2;
	return w < max_ms ? w : max_ms;
}

#endif
