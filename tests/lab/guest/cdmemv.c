/*
 * cdmemv.c - the lab guest's memory verifier (issue 19). Static, runs in
 * the guest started by /init:
 *
 *   cdmemv MIB [RATE_MIB_S] [STATUS_FILE]
 *
 * It fills MIB MiB with pages that each carry their index and a sequence
 * number and a body derived from both, and keeps rewriting RATE MiB/s of
 * them (each rewrite a new sequence number, remembered in a table of what
 * every page must hold). All the while it verifies every page against that
 * table, a slice every 10 ms, a whole pass about every second, and after
 * each pass prints one line on the console and into STATUS_FILE (served
 * by the guest's HTTP server as /mem):
 *
 *   mem ok PASS pages=N writes=W
 *   mem BAD PASS page P seq S want E word K (B bad pages) ...
 *
 * A write that a migration lost leaves a page with an older sequence
 * number than the table (or a table entry older than its page): either
 * way the page is reported. Bad pages are re-written so that later
 * damage is found too: a damaged pass prints "mem BAD", and later clean
 * passes "mem ok" again, with the count of damaged passes so far
 * (bad_passes=K), so each migration can be judged on its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096u
#define WORDS		(PAGE / 8)
#define MAGIC		0x6364766d656d7631ull	/* "cdvmemv1" */
#define TICK_NS		(10 * 1000 * 1000)
#define PASS_TICKS	100			/* a pass in ~1 s */

static uint64_t
word(uint64_t p, uint64_t seq, uint64_t i)
{
	uint64_t x = (p << 32) ^ (seq * 0x9e3779b97f4a7c15ull) ^ (i * 0xff51afd7ed558ccdull);

	return x ^ (x >> 29);
}

static void
fill(uint64_t *pg, uint64_t p, uint64_t seq)
{
	uint64_t i;

	pg[0] = MAGIC ^ p;
	pg[1] = seq;
	for (i = 2; i < WORDS; i++)
		pg[i] = word(p, seq, i);
}

/* 0 when page p holds seq want; else the first bad word (1: sequence) */
static uint64_t
check(const uint64_t *pg, uint64_t p, uint64_t want)
{
	uint64_t i;

	if (pg[0] != (MAGIC ^ p))
		return WORDS;	/* not this page at all */
	if (pg[1] != want)
		return 1;
	for (i = 2; i < WORDS; i++)
		if (pg[i] != word(p, want, i))
			return i;
	return 0;
}

static void
status(const char *file, const char *line)
{
	char tmp[256];
	FILE *f;

	printf("%s\n", line);
	fflush(stdout);
	if (!file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.new", file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", line);
	if (fclose(f) == 0)
		rename(tmp, file);
}

int
main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 64;
	uint64_t rate = argc > 2 ? strtoull(argv[2], NULL, 10) : 8;
	const char *file = argc > 3 ? argv[3] : NULL;
	uint64_t n = mib * 256, seq = 0, wpos = 0, vpos = 0, writes = 0;
	uint64_t per_tick_w = rate * 256 / 100, per_tick_v, pass = 0, bad_passes = 0;
	uint64_t bad = 0, first_p = 0, first_seq = 0, first_want = 0, first_word = 0;
	struct timespec tick = { 0, TICK_NS };
	uint64_t *mem, *want, p, k;
	char line[256];

	if (!n)
		return 2;
	mem = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_POPULATE, -1, 0);
	want = calloc(n, sizeof(*want));
	if (mem == MAP_FAILED || !want) {
		status(file, "mem BAD cannot allocate");
		return 1;
	}
	for (p = 0; p < n; p++) {
		want[p] = ++seq;
		fill(mem + p * WORDS, p, want[p]);
	}
	per_tick_v = (n + PASS_TICKS - 1) / PASS_TICKS;
	snprintf(line, sizeof(line), "mem start pages=%llu mib=%llu rate=%llu",
		 (unsigned long long)n, (unsigned long long)mib, (unsigned long long)rate);
	status(file, line);
	for (;;) {
		for (k = 0; k < per_tick_w; k++) {	/* the moving part */
			want[wpos] = ++seq;
			fill(mem + wpos * WORDS, wpos, want[wpos]);
			wpos = (wpos + 1) % n;
			writes++;
		}
		for (k = 0; k < per_tick_v && vpos < n; k++, vpos++) {
			uint64_t *pg = mem + vpos * WORDS, w = check(pg, vpos, want[vpos]);

			if (!w)
				continue;
			if (!bad++) {
				first_p = vpos;
				first_seq = pg[1];
				first_want = want[vpos];
				first_word = w;
			}
			want[vpos] = ++seq;	/* repair, to see later damage too */
			fill(pg, vpos, want[vpos]);
		}
		if (vpos == n) {
			pass++;
			if (bad) {
				bad_passes++;
				snprintf(line, sizeof(line), "mem BAD %llu page %llu seq %llu "
					 "want %llu word %llu (%llu bad pages) bad_passes=%llu",
					 (unsigned long long)pass, (unsigned long long)first_p,
					 (unsigned long long)first_seq,
					 (unsigned long long)first_want,
					 (unsigned long long)first_word, (unsigned long long)bad,
					 (unsigned long long)bad_passes);
			} else {
				snprintf(line, sizeof(line), "mem ok %llu pages=%llu writes=%llu "
					 "bad_passes=%llu", (unsigned long long)pass,
					 (unsigned long long)n, (unsigned long long)writes,
					 (unsigned long long)bad_passes);
			}
			status(file, line);
			vpos = 0;
			bad = 0;
		}
		nanosleep(&tick, NULL);
	}
}
