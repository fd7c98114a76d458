/*
 * unit-fuzz.h - shared pieces of the CUnit suites' deterministic mutation
 * fuzzing (test_cpgmsg, test_proto) and of their nesting tests (also
 * test_state): a xorshift32 generator, byte-level mutations of a framed
 * message (header of hdr bytes, then a JSON payload), deeply nested JSON,
 * and the all-zero check of what a failed decode leaves.
 * Header-only: each test program has its own generator state.
 */
#ifndef CLUSTERD_TEST_UNIT_FUZZ_H
#define CLUSTERD_TEST_UNIT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <json-c/json.h>

static uint32_t cd_unit_rng_state;

/* Seed the generator (never 0: xorshift would stay 0). */
static inline void
cd_unit_seed(uint32_t seed)
{
	cd_unit_rng_state = seed ? seed : 1;
}

/* A pseudo-random number in [0, n). */
static inline uint32_t
cd_unit_rnd(uint32_t n)
{
	uint32_t x = cd_unit_rng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	cd_unit_rng_state = x;
	return x % n;
}

/* True when the n bytes at p are all zero (what a failed decode leaves). */
static inline bool
cd_unit_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i])
			return false;
	}
	return true;
}

enum cd_unit_mutation {
	CD_MUT_FLIP,		/* flip a bit anywhere, the header included */
	CD_MUT_RANDOM,		/* random byte in the payload */
	CD_MUT_JSONISH,		/* a byte of `interesting` in the payload */
	CD_MUT_TRUNCATE,	/* cut the payload short */
	CD_MUT_APPEND,		/* a byte of `interesting` at the end */
	CD_MUT_DELETE,		/* delete a payload byte */
	CD_MUT_DUPLICATE,	/* duplicate a payload byte */
};

/*
 * Apply mutation m to buf (*len bytes used, cap bytes available, the first
 * hdr of them the frame header); `interesting` holds the bytes that JSON
 * parsers care about. Mutations that do not fit leave buf as it is.
 */
static inline void
cd_unit_mutate(unsigned char *buf, size_t *len, size_t hdr, size_t cap,
	       enum cd_unit_mutation m, const char *interesting)
{
	uint32_t ni = (uint32_t)strlen(interesting);
	size_t n = *len, at;

	switch (m) {
	case CD_MUT_FLIP:
		buf[cd_unit_rnd((uint32_t)n)] ^= (unsigned char)(1u << cd_unit_rnd(8));
		break;
	case CD_MUT_RANDOM:
		if (n > hdr)
			buf[hdr + cd_unit_rnd((uint32_t)(n - hdr))] =
				(unsigned char)cd_unit_rnd(256);
		break;
	case CD_MUT_JSONISH:
		if (n > hdr)
			buf[hdr + cd_unit_rnd((uint32_t)(n - hdr))] =
				(unsigned char)interesting[cd_unit_rnd(ni)];
		break;
	case CD_MUT_TRUNCATE:
		*len = hdr + cd_unit_rnd((uint32_t)(n - hdr + 1));
		break;
	case CD_MUT_APPEND:
		if (n < cap)
			buf[(*len)++] = (unsigned char)interesting[cd_unit_rnd(ni)];
		break;
	case CD_MUT_DELETE:
		if (n > hdr) {
			at = hdr + cd_unit_rnd((uint32_t)(n - hdr));
			memmove(buf + at, buf + at + 1, n - at - 1);
			(*len)--;
		}
		break;
	case CD_MUT_DUPLICATE:
		if (n < cap && n > hdr) {
			at = hdr + cd_unit_rnd((uint32_t)(n - hdr));
			memmove(buf + at + 1, buf + at, n - at);
			(*len)++;
		}
		break;
	}
}

/* depth nested objects: {"a":{"a":...{}}} (depth >= 1). */
static inline json_object *
cd_unit_nested(int depth)
{
	json_object *o = json_object_new_object();
	int i;

	for (i = 1; i < depth; i++) {
		json_object *outer = json_object_new_object();

		json_object_object_add(outer, "a", o);
		o = outer;
	}
	return o;
}

#endif
