/*
 * cddiskw.c - the storage-move test's disk writer and verifier
 * (tests/lab/test-vm-storage). Built static for the lab guest and for the
 * host.
 *
 *   cddiskw write DEV BLOCKS       (in the guest) write blocks 0..BLOCKS-1
 *       of 4 KiB in order, pass after pass, each with O_DIRECT|O_DSYNC, so a
 *       write is on the disk when it returns. Block i of pass p holds
 *       "CDSW", i, p and a fill that depends on both. After every pass it
 *       reads the whole disk back and checks every block holds that pass:
 *       "DISKW verify ok pass P" or "DISKW BAD block I ..." on stdout
 *       (the console); every 256 writes "DISKW at P I" (the front); every
 *       second of writing "DISKW lat N P50 P99 MAX" (the writes of that
 *       second and their latencies in microseconds; bench/storage-move).
 *   cddiskw verify FILE BLOCKS [P I]   (on the host, the image after the
 *       VM stopped) every block well formed; the passes a wave: blocks
 *       0..k-1 of pass P, k..BLOCKS-1 of pass P-1 (a write lost anywhere
 *       breaks it); and the front at least (P, I), the last the guest
 *       reported. Prints "image ok pass=P front=k" or what is wrong; exit
 *       0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BS 4096

static void
fill(unsigned char *b, uint32_t i, uint64_t p)
{
	size_t k;

	memcpy(b, "CDSW", 4);
	memcpy(b + 4, &i, 4);
	memcpy(b + 8, &p, 8);
	for (k = 16; k < BS; k++)
		b[k] = (unsigned char)(i * 31u + p * 7u + k);
}

/* 0 ok (*p its pass), 1 all zero (never written), -1 damaged */
static int
check(const unsigned char *b, uint32_t i, uint64_t *p)
{
	static unsigned char want[BS];
	uint32_t bi;
	size_t k;

	for (k = 0; k < BS && !b[k]; k++)
		;
	if (k == BS)
		return 1;
	memcpy(&bi, b + 4, 4);
	memcpy(p, b + 8, 8);
	if (memcmp(b, "CDSW", 4) || bi != i)
		return -1;
	fill(want, i, *p);
	return memcmp(b, want, BS) ? -1 : 0;
}

#define LAT_MAX 8192	/* writes kept per second */

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One write's latency; once a second the line of the second's writes. */
static void
lat_add(uint32_t us)
{
	static uint32_t lat[LAT_MAX];
	static size_t nl;
	static uint64_t since;
	uint64_t t = now_us();

	if (!since)
		since = t;
	if (nl < LAT_MAX)
		lat[nl++] = us;
	if (t - since < 1000000u)
		return;
	qsort(lat, nl, sizeof(lat[0]), cmp_u32);
	printf("DISKW lat %zu %u %u %u\n", nl, lat[nl / 2], lat[nl * 99 / 100], lat[nl - 1]);
	fflush(stdout);
	nl = 0;
	since = t;
}

static int
do_write(const char *dev, uint32_t n)
{
	unsigned char *b;
	uint64_t p;
	uint32_t i;
	int fd = open(dev, O_RDWR | O_DIRECT | O_DSYNC);

	if (fd < 0 || posix_memalign((void **)&b, BS, BS)) {
		printf("DISKW BAD cannot open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	printf("DISKW start %u blocks\n", n);
	fflush(stdout);
	for (p = 1;; p++) {
		for (i = 0; i < n; i++) {
			uint64_t t0;

			fill(b, i, p);
			t0 = now_us();
			if (pwrite(fd, b, BS, (off_t)i * BS) != BS) {
				printf("DISKW BAD write block %u pass %" PRIu64 ": %s\n", i, p,
				       strerror(errno));
				fflush(stdout);
				return 1;
			}
			lat_add((uint32_t)(now_us() - t0));
			if (i % 256 == 0) {
				printf("DISKW at %" PRIu64 " %u\n", p, i);
				fflush(stdout);
			}
		}
		for (i = 0; i < n; i++) {
			uint64_t got = 0;

			if (pread(fd, b, BS, (off_t)i * BS) != BS || check(b, i, &got) || got != p) {
				printf("DISKW BAD block %u pass %" PRIu64 " want %" PRIu64 "\n", i,
				       got, p);
				fflush(stdout);
				return 1;
			}
		}
		printf("DISKW verify ok pass %" PRIu64 "\n", p);
		fflush(stdout);
	}
}

static int
do_verify(const char *file, uint32_t n, uint64_t min_p, uint32_t min_i)
{
	static unsigned char b[BS];
	uint64_t top = 0, p;
	uint32_t i, front = n;
	int fd = open(file, O_RDONLY), rc;

	if (fd < 0) {
		printf("cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		p = 0;
		if (pread(fd, b, BS, (off_t)i * BS) != BS) {
			printf("block %u: short read\n", i);
			return 1;
		}
		if ((rc = check(b, i, &p)) < 0) {
			printf("block %u: damaged\n", i);
			return 1;
		}
		if (i == 0)
			top = p;
		if (front == n && p == top)
			continue;
		if (p + 1 == top) {
			if (front == n)
				front = i;	/* the first block of the older pass */
			continue;
		}
		printf("block %u: pass %" PRIu64 " in a disk of pass %" PRIu64 " (front %u): a "
		       "write was lost\n", i, p, top, front);
		return 1;
	}
	if (front == n && top > 0) {	/* a whole pass done: the front is at its end */
		top++;
		front = 0;
	}
	if (min_p && (top < min_p || (top == min_p && front <= min_i))) {
		printf("front at pass %" PRIu64 " block %u, the guest wrote up to pass %"
		       PRIu64 " block %u: writes were lost\n", top, front, min_p, min_i);
		return 1;
	}
	printf("image ok pass=%" PRIu64 " front=%u\n", top, front);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
	if (argc >= 4 && !strcmp(argv[1], "verify"))
		return do_verify(argv[2], (uint32_t)strtoul(argv[3], NULL, 10),
				 argc > 5 ? strtoull(argv[4], NULL, 10) : 0,
				 argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 10) : 0);
	fprintf(stderr, "usage: cddiskw write DEV BLOCKS | verify FILE BLOCKS [PASS BLOCK]\n");
	return 2;
}
