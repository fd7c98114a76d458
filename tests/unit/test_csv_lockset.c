/*
 * test_csv_lockset.c - one owner's byte-range locks as the CSV client
 * remembers them (lib/csv-lockset.c, rules R1-R3 of csv-lockset.h): each
 * case applies "OFF+LEN:TYPE" steps (TYPE r, w or u; LEN 0: to EOF) to an
 * empty set and compares the result, "START-END:TYPE ..." with END "eof".
 */
#include "csv-lockset.h"
#include "csv-proto.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lcase {
	const char *name;
	const char *steps;
	const char *expect;
};

static const struct lcase cases[] = {
	{ "R2: one lock", "100+1:w", "100-101:w" },
	{ "R1: len 0 is to EOF", "10+0:r", "10-eof:r" },
	{ "R2: unlock of nothing", "0+0:u", "" },
	{ "R2: unlock all", "100+1:w 200+1:r 0+0:u", "" },
	{ "R2: a write lock inside a read lock splits it", "0+100:r 40+10:w",
	  "0-40:r 40-50:w 50-100:r" },
	{ "R2: unlock the middle", "0+100:w 40+10:u", "0-40:w 50-100:w" },
	{ "R2: unlock across two", "0+10:w 20+10:r 5+20:u", "0-5:w 25-30:r" },
	{ "R2: upgrade the whole range", "0+10:r 0+10:w", "0-10:w" },
	{ "R3: adjacent same type merges", "0+10:w 10+10:w", "0-20:w" },
	{ "R3: overlapping same type merges", "0+10:r 5+10:r", "0-15:r" },
	{ "R3: adjacent other type stays apart", "0+10:r 10+10:w", "0-10:r 10-20:w" },
	{ "R3: sorted whatever the order", "300+1:w 100+1:w 200+1:r", "100-101:w 200-201:r 300-301:w" },
	{ "R3: a gap filled merges three", "0+10:w 20+10:w 10+10:w", "0-30:w" },
	{ "QEMU's image locks", "100+1:r 101+1:r 200+1:r 201+1:r 100+1:w 201+1:u",
	  "100-101:w 101-102:r 200-201:r" },
	{ "to-EOF lock then a hole", "0+0:w 100+50:u", "0-100:w 150-eof:w" },
};

static uint32_t
type_of(char c)
{
	return c == 'r' ? CSV_LK_RD : c == 'w' ? CSV_LK_WR : CSV_LK_UN;
}

static void
render(const struct csv_lockset *s, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s->n && used < len; i++) {
		char end[32];

		if (s->r[i].end == CSV_LKS_EOF)
			snprintf(end, sizeof(end), "eof");
		else
			snprintf(end, sizeof(end), "%llu", (unsigned long long)s->r[i].end);
		used += (size_t)snprintf(out + used, len - used, "%s%llu-%s:%c", i ? " " : "",
					 (unsigned long long)s->r[i].start, end,
					 s->r[i].type == CSV_LK_RD ? 'r' : 'w');
	}
}

static void
test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct csv_lockset s = { 0 };
		char steps[256], got[512], *tok, *save = NULL;

		snprintf(steps, sizeof(steps), "%s", cases[i].steps);
		for (tok = strtok_r(steps, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			unsigned long long off, len;
			char t;

			CU_ASSERT_FATAL(sscanf(tok, "%llu+%llu:%c", &off, &len, &t) == 3);
			CU_ASSERT_EQUAL(csv_lockset_set(&s, off, len, type_of(t)), 0);
		}
		render(&s, got, sizeof(got));
		if (strcmp(got, cases[i].expect))
			printf("\n  %s: got '%s', want '%s'\n", cases[i].name, got, cases[i].expect);
		CU_ASSERT_STRING_EQUAL(got, cases[i].expect);
		csv_lockset_clear(&s);
		CU_ASSERT_EQUAL(s.n, 0);
	}
}

static void
test_errors(void)
{
	struct csv_lockset s = { 0 };

	CU_ASSERT_EQUAL(csv_lockset_set(&s, 0, 10, 7), -EINVAL);
	CU_ASSERT_EQUAL(csv_lockset_set(&s, UINT64_MAX - 5, 10, CSV_LK_WR), -EINVAL);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(csv_lockset_set(&s, 5, 10, CSV_LK_WR), 0);
	CU_ASSERT_EQUAL(csv_lockset_set(&s, 0, 10, 9), -EINVAL);
	CU_ASSERT_EQUAL(s.n, 1);	/* unchanged */
	csv_lockset_clear(&s);
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "cases (R1-R3)", test_cases },
		{ "errors", test_errors },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv_lockset", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
