/*
 * test_csv_dlease.c - direct-I/O lease rules of a CSV volume
 * (lib/csv-dlease.c, D1-D8 and C1-C6 of csv-dlease.h): tables of scripted
 * cases for the coordinator's table, tables for the client's rules.
 *
 * A coordinator case starts a table at t=0 with leases of 1000 ms (so D6
 * holds movers until t=1000; cases about other rules run after it) and
 * runs ';'-separated steps, each checked at once:
 *   "T grant C F [R] = ID|busy|noent|full"  client C asks for file F (inode
 *                                           F), renewing lease R; fd = ID
 *   "T return C ID = ok|last|noent"         last: the file's last lease
 *   "T begin F" / "T end F"                 a mover of F
 *   "T check F = run|wait U [IDS]"          U: until; IDS: recalled now,
 *                                           comma-separated
 *   "T expire = N"                          leases ended at T
 *   "leased F = yes|no"
 *   "fill C F"                              grant until the table is full
 */
#include "csv-dlease.h"
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dcase {
	const char *name;
	const char *steps;
};

static const struct dcase cases[] = {
	{ "D1: no grant while a mover waits or runs",
	  "1100 grant 7 1 = 1; 1100 begin 1; 1100 grant 8 1 = busy; 1100 grant 8 2 = 2; "
	  "1100 end 1; 1100 grant 8 1 = 3" },
	{ "D1: two movers of one file: grants wait for both",
	  "1100 begin 1; 1100 begin 1; 1100 end 1; 1100 grant 7 1 = busy; 1100 end 1; "
	  "1100 grant 7 1 = 1" },
	{ "D2: a renewal replaces the lease and extends it",
	  "1100 grant 7 1 = 1; 1900 grant 7 1 1 = 2; leased 1 = yes; 2150 expire = 0; "
	  "2899 expire = 0; 2900 expire = 1; leased 1 = no" },
	{ "D2: only the holder renews, only its own file",
	  "1100 grant 7 1 = 1; 1100 grant 8 1 1 = noent; 1100 grant 7 2 1 = noent; "
	  "1100 grant 7 1 99 = noent" },
	{ "D3: only the holder returns; the last return says so",
	  "1100 grant 7 1 = 1; 1100 grant 8 1 = 2; 1100 return 8 1 = noent; "
	  "1100 return 7 1 = ok; 1100 return 7 1 = noent; 1100 return 8 2 = last; leased 1 = no" },
	{ "D4: a mover recalls each lease once and waits for the returns",
	  "1100 grant 7 1 = 1; 1100 grant 8 1 = 2; 1100 grant 8 2 = 3; 1100 begin 1; "
	  "1200 check 1 = wait 2100 1,2; 1300 check 1 = wait 2100; 1300 return 7 1 = ok; "
	  "1400 check 1 = wait 2100; 1400 return 8 2 = last; 1400 check 1 = run; "
	  "leased 2 = yes" },
	{ "D4: a file without leases moves at once",
	  "1100 grant 7 2 = 1; 1100 begin 1; 1100 check 1 = run" },
	{ "D5: an unanswered recall ends at the expiry",
	  "1100 grant 7 1 = 1; 1200 begin 1; 1200 check 1 = wait 2100 1; 2099 check 1 = wait 2100; "
	  "2100 check 1 = run; 2100 expire = 1; leased 1 = no" },
	{ "D5: recalled leases still count for coherence until they end",
	  "1100 grant 7 1 = 1; 1200 begin 1; 1200 check 1 = wait 2100 1; leased 1 = yes; "
	  "1500 return 7 1 = last; leased 1 = no" },
	{ "D6: a new coordinator's movers wait one lease duration",
	  "0 begin 1; 0 check 1 = wait 1000; 999 check 1 = wait 1000; 1000 check 1 = run" },
	{ "D6: and still recall what was granted meanwhile",
	  "10 grant 7 1 = 1; 20 begin 1; 20 check 1 = wait 1010 1; 1000 check 1 = wait 1010; "
	  "1010 check 1 = run" },
	{ "D7: leased while any lease of the file is there",
	  "1100 grant 7 1 = 1; leased 1 = yes; leased 2 = no; 1100 return 7 1 = last; "
	  "leased 1 = no" },
	{ "table full", "fill 7 3; 1100 grant 8 4 = full; 1100 return 7 1 = ok; "
	  "1100 grant 8 4 = 257" },
};

static uint64_t
num(const char *s)
{
	return strtoull(s, NULL, 10);
}

static void
run_case(const struct dcase *c)
{
	static struct csv_dl_tab t;
	char buf[1024], *step, *save = NULL;

	csv_dl_init(&t, 0, 1000, 0);
	snprintf(buf, sizeof(buf), "%s", c->steps);
	for (step = strtok_r(buf, ";", &save); step; step = strtok_r(NULL, ";", &save)) {
		char w[8][32] = { { 0 } };
		int n = sscanf(step, " %31s %31s %31s %31s %31s %31s %31s %31s", w[0], w[1],
			       w[2], w[3], w[4], w[5], w[6], w[7]);
		char got[128] = "";
		const char *want = "";
		uint64_t now = num(w[0]);

		if (!strcmp(w[0], "leased")) {
			snprintf(got, sizeof(got), "%s",
				 csv_dl_leased(&t, 1, num(w[1])) ? "yes" : "no");
			want = w[3];
		} else if (!strcmp(w[0], "fill")) {
			uint64_t id;
			int old, rc = 0;

			for (int i = 0; rc == 0; i++)
				rc = csv_dl_grant(&t, num(w[1]), 1, num(w[2]), 1100, i, 0, &id, &old);
			snprintf(got, sizeof(got), "%zu", csv_dl_count(&t));
			want = "256";
		} else if (!strcmp(w[1], "grant")) {
			uint64_t id = 0;
			int old, rc;
			bool renew = strcmp(w[4], "=") != 0;

			rc = csv_dl_grant(&t, num(w[2]), 1, num(w[3]), now, 100,
					  renew ? num(w[4]) : 0, &id, &old);
			if (rc == 0)
				snprintf(got, sizeof(got), "%" PRIu64, id);
			else
				snprintf(got, sizeof(got), "%s", rc == -EBUSY ? "busy" :
					 rc == -ENOENT ? "noent" : rc == -ENOSPC ? "full" : "?");
			want = renew ? w[6] : w[5];
			CU_ASSERT(rc != 0 || !renew || old == 100);
		} else if (!strcmp(w[1], "return")) {
			int fd, rc;
			bool last = false;

			rc = csv_dl_return(&t, num(w[3]), num(w[2]), &fd, &last);
			snprintf(got, sizeof(got), "%s", rc ? "noent" : last ? "last" : "ok");
			want = w[5];
		} else if (!strcmp(w[1], "begin")) {
			CU_ASSERT_EQUAL(csv_dl_move_begin(&t, 1, num(w[2])), 0);
			continue;
		} else if (!strcmp(w[1], "end")) {
			csv_dl_move_end(&t, 1, num(w[2]));
			continue;
		} else if (!strcmp(w[1], "check")) {
			uint64_t rec[8], until;
			size_t nr, k;
			bool go = csv_dl_move_check(&t, 1, num(w[2]), now, rec, 8, &nr, &until);
			char ids[64] = "";
			size_t used = 0;

			for (k = 0; k < nr; k++)
				used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%" PRIu64,
							 k ? "," : "", rec[k]);
			if (go)
				snprintf(got, sizeof(got), "run");
			else
				snprintf(got, sizeof(got), "wait %" PRIu64 "%s%s", until,
					 nr ? " " : "", ids);
			static char wantb[128];
			snprintf(wantb, sizeof(wantb), "%s%s%s%s%s", w[4], n > 5 ? " " : "",
				 n > 5 ? w[5] : "", n > 6 ? " " : "", n > 6 ? w[6] : "");
			want = wantb;
		} else if (!strcmp(w[1], "expire")) {
			struct csv_dl out[8];

			snprintf(got, sizeof(got), "%zu", csv_dl_expire(&t, now, out, 8));
			want = w[3];
		} else {
			CU_FAIL("unknown step");
			continue;
		}
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "\n  %s: step \"%s\": got \"%s\", want \"%s\"\n", c->name,
				step, got, want);
			CU_FAIL("step");
		}
	}
}

static void
test_coordinator_rules(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_client_lease(void)
{
	static const struct {
		uint64_t sent, dur, now;
		bool usable, renew;
	} t[] = {
		{ 1000, 10000, 1000, true, false },
		{ 1000, 10000, 5999, true, false },
		{ 1000, 10000, 6000, true, true },	/* C2: half the duration */
		{ 1000, 10000, 7999, true, true },
		{ 1000, 10000, 8000, false, true },	/* C1: the margin */
		{ 1000, 10000, 20000, false, true },
		{ 1000, 2000, 1000, false, false },	/* shorter than the margin */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CU_ASSERT_EQUAL(csv_dl_usable(t[i].sent, t[i].dur, t[i].now), t[i].usable);
		CU_ASSERT_EQUAL(csv_dl_renew_due(t[i].sent, t[i].dur, t[i].now), t[i].renew);
	}
}

static void
test_client_times(void)
{
	static const struct {
		bool wrote;
		uint64_t last, now;
		bool force, due;
	} t[] = {
		{ false, 0, 1000, false, false },	/* nothing written directly */
		{ false, 0, 1000, true, false },	/* an fsync without direct writes */
		{ true, 0, 1000, false, true },		/* the first direct write */
		{ true, 1000, 1001, false, false },
		{ true, 1000, 5999, false, false },
		{ true, 1000, 6000, false, true },	/* CSV_DL_TIMES_MS later */
		{ true, 1000, 1001, true, true },	/* fsync or close */
		{ false, 1000, 90000, false, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CU_ASSERT_EQUAL(csv_dl_times_due(t[i].wrote, t[i].last, t[i].now, t[i].force),
				t[i].due);
}

static void
test_client_map(void)
{
	/* file [0,8K) at 1M, [8K,12K) at 64K, hole [12K,16K), [16K,20K) at 2M */
	struct csv_extent map[] = {
		{ 16384, 2 << 20, 4096 }, { 0, 1 << 20, 8192 }, { 8192, 65536, 4096 },
	};
	static const struct {
		uint64_t off, len;
		uint64_t run, phys;	/* csv_dl_map_run at off */
		bool direct;
	} t[] = {
		{ 0, 4096, 8192, 1 << 20, true },
		{ 512, 512, 7680, (1 << 20) + 512, true },
		{ 4096, 8192, 4096, (1 << 20) + 4096, true },	/* across two extents */
		{ 8192, 8192, 4096, 65536, false },		/* into the hole */
		{ 12288, 512, 0, 0, false },			/* the hole */
		{ 16384, 4096, 4096, 2 << 20, true },
		{ 16384, 8192, 4096, 2 << 20, false },		/* past the map's end */
		{ 100, 512, 8092, (1 << 20) + 100, false },	/* C3: not on a sector */
		{ 0, 1000, 8192, 1 << 20, false },
		{ 0, 0, 8192, 1 << 20, false },
		{ 1 << 30, 512, 0, 0, false },
	};
	struct csv_extent bad[] = { { 0, 0, 8192 }, { 4096, 65536, 4096 } };
	uint64_t phys;

	CU_ASSERT_EQUAL_FATAL(csv_dl_map_check(map, 3), 0);
	CU_ASSERT_EQUAL(map[0].logical, 0);
	CU_ASSERT_EQUAL(map[2].logical, 16384);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		phys = 0;
		CU_ASSERT_EQUAL(csv_dl_map_run(map, 3, t[i].off, &phys), t[i].run);
		if (t[i].run)
			CU_ASSERT_EQUAL(phys, t[i].phys);
		CU_ASSERT_EQUAL(csv_dl_direct_ok(map, 3, t[i].off, t[i].len), t[i].direct);
	}
	CU_ASSERT_EQUAL(csv_dl_map_run(map, 0, 0, &phys), 0);
	CU_ASSERT_EQUAL(csv_dl_map_check(bad, 2), -EINVAL);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "coordinator rules D1-D7 (scripted)", test_coordinator_rules },
		{ "client lease C1, C2", test_client_lease },
		{ "client times C7", test_client_times },
		{ "client map C3", test_client_map },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv-dlease", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
