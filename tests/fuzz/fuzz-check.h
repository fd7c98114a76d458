/*
 * fuzz-check.h - shared pieces of the libFuzzer targets: CHECK() aborts
 * (so libFuzzer records the input) when a decoder breaks its contract, and
 * fuzz_all_zero() tells whether a failed decode left its output zeroed.
 * Header-only; each target is compiled on its own (CMakeLists.txt).
 */
#ifndef CLUSTERD_TEST_FUZZ_CHECK_H
#define CLUSTERD_TEST_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "contract broken: %s (%s:%d)\n",	\
				#cond, __FILE__, __LINE__);		\
			abort();					\
		}							\
	} while (0)

/* True when the n bytes at p are all zero. */
static inline bool
fuzz_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i])
			return false;
	}
	return true;
}

#endif
