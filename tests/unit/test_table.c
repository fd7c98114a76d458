/*
 * test_table.c - clusterctl's table printer and cell formatters
 * (cli/table.c): tables of JSON input with the exact text each must give.
 */
#include "table.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the table ---- */

static void
row3(json_object *item, char cell[][CTL_CELL_MAX])
{
	snprintf(cell[0], CTL_CELL_MAX, "%s", json_object_get_string(json_object_object_get(item, "a")));
	snprintf(cell[1], CTL_CELL_MAX, "%s", json_object_get_string(json_object_object_get(item, "b")));
	snprintf(cell[2], CTL_CELL_MAX, "%s", json_object_get_string(json_object_object_get(item, "c")));
}

struct tcase {
	const char *rows;	/* JSON array of {"a","b","c"}, or NULL */
	size_t ncols;
	const char *want;
};

static const struct tcase tcases[] = {
	/* columns as wide as their widest cell, two blanks apart, last unpadded */
	{ "[{\"a\":\"web\",\"b\":\"started\",\"c\":\"n1\"},"
	  "{\"a\":\"db\",\"b\":\"stopped\",\"c\":\"-\"}]", 3,
	  "NAME  STATE    OWNER\n"
	  "web   started  n1\n"
	  "db    stopped  -\n" },
	/* a cell wider than its header */
	{ "[{\"a\":\"a-very-long-name\",\"b\":\"x\",\"c\":\"last column is not padded\"}]", 3,
	  "NAME              STATE  OWNER\n"
	  "a-very-long-name  x      last column is not padded\n" },
	/* no rows, an empty array, not an array: the header only */
	{ NULL, 3, "NAME  STATE  OWNER\n" },
	{ "[]", 3, "NAME  STATE  OWNER\n" },
	{ "{\"a\":\"x\"}", 3, "NAME  STATE  OWNER\n" },
	/* fewer columns than the row function fills */
	{ "[{\"a\":\"web\",\"b\":\"started\",\"c\":\"n1\"}]", 2,
	  "NAME  STATE\n"
	  "web   started\n" },
	{ "[{\"a\":\"\",\"b\":\"\",\"c\":\"\"}]", 1, "NAME\n\n" },
};

static void
test_table(void)
{
	static const char *const head[] = { "NAME", "STATE", "OWNER" };
	size_t i, len;

	for (i = 0; i < N_ELEMS(tcases); i++) {
		json_object *rows = tcases[i].rows ? json_tokener_parse(tcases[i].rows) : NULL;
		char *text = NULL;
		FILE *f = open_memstream(&text, &len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		ctl_table_print(f, rows, head, tcases[i].ncols, row3);
		fclose(f);
		if (strcmp(text, tcases[i].want))
			printf("\ncase %zu:\n%s---want:\n%s", i, text, tcases[i].want);
		CU_ASSERT_STRING_EQUAL(text, tcases[i].want);
		free(text);
		json_object_put(rows);
	}
}

/* ---- cells ---- */

struct jcase {
	const char *in;		/* JSON, or NULL */
	size_t size;		/* the buffer */
	const char *want;
};

static const struct jcase joins[] = {
	{ "[\"a\",\"b\",\"c\"]", 64, "a,b,c" },
	{ "[\"n1\"]", 64, "n1" },
	{ "[1,\"x\",true]", 64, "1,x,true" },
	{ "[]", 64, "-" },
	{ NULL, 64, "-" },
	{ "{\"a\":1}", 64, "-" },
	{ "[\"abcdef\",\"ghijkl\"]", 10, "abcdef..." },	/* cut: 9 chars */
	{ "[\"abcdefgh\"]", 9, "abcdefgh" },		/* exactly fits */
	{ "[\"abcdefghi\"]", 9, "abcde..." },
};

static void
test_join(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(joins); i++) {
		json_object *a = joins[i].in ? json_tokener_parse(joins[i].in) : NULL;
		char buf[64];
		const char *s = ctl_join(a, ",", buf, joins[i].size);

		if (strcmp(s, joins[i].want))
			printf("\ncase %zu: '%s'", i, s);
		CU_ASSERT_STRING_EQUAL(s, joins[i].want);
		CU_ASSERT(strlen(s) < joins[i].size);
		json_object_put(a);
	}
}

static const struct jcase params[] = {
	{ "{\"ip\":\"10.0.0.5\",\"cidr\":24}", 64, "ip=10.0.0.5 cidr=24" },
	{ "{\"k\":\"a=b\"}", 64, "k=a=b" },
	{ "{}", 64, "-" },
	{ NULL, 64, "-" },
	{ "[\"a\"]", 64, "-" },
	{ "{\"config\":\"/clusterstorage/volume1/web.json\"}", 16, "config=/clus..." },
};

static void
test_join_params(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(params); i++) {
		json_object *p = params[i].in ? json_tokener_parse(params[i].in) : NULL;
		char buf[64];
		const char *s = ctl_join_params(p, buf, params[i].size);

		if (strcmp(s, params[i].want))
			printf("\ncase %zu: '%s'", i, s);
		CU_ASSERT_STRING_EQUAL(s, params[i].want);
		json_object_put(p);
	}
}

static void
test_fmt_ms(void)
{
	static const struct { int64_t ms; const char *want; } cases[] = {
		{ -1, "-" }, { 0, "0s" }, { 1, "1ms" }, { 500, "500ms" },
		{ 1000, "1s" }, { 1500, "1500ms" }, { 60000, "1m" }, { 90000, "90s" },
		{ 3600000, "1h" }, { 7200000, "2h" }, { 5400000, "90m" },
		{ 86400000, "24h" }, { 3601000, "3601s" },
	};
	size_t i;
	char buf[32];

	for (i = 0; i < N_ELEMS(cases); i++)
		CU_ASSERT_STRING_EQUAL(ctl_fmt_ms(cases[i].ms, buf, sizeof(buf)),
				       cases[i].want);
}

static void
test_fmt_time(void)
{
	static const struct { const char *in; const char *want; } cases[] = {
		{ "1700000000", "2023-11-14 22:13:20" },	/* seconds */
		{ "1700000000123", "2023-11-14 22:13:20" },	/* milliseconds */
		{ "1000000000", "2001-09-09 01:46:40" },
		{ "999999999", "999999999" },			/* too small */
		{ "100000000000000", "100000000000000" },	/* too large */
		{ "5", "5" },
		{ "\"yesterday\"", "yesterday" },
		{ "1.5", "1.5" },
		{ NULL, "-" },
	};
	size_t i;
	char buf[64];

	setenv("TZ", "UTC", 1);
	tzset();
	for (i = 0; i < N_ELEMS(cases); i++) {
		json_object *v = cases[i].in ? json_tokener_parse(cases[i].in) : NULL;
		const char *s = ctl_fmt_time(v, buf, sizeof(buf));

		if (strcmp(s, cases[i].want))
			printf("\ncase %zu: '%s'", i, s);
		CU_ASSERT_STRING_EQUAL(s, cases[i].want);
		json_object_put(v);
	}
}

static void
test_print_rest(void)
{
	static const char *const shown[] = { "name", "target" };
	static const struct { const char *in; const char *want; } cases[] = {
		{ "{\"name\":\"web\",\"target\":\"started\",\"color\":\"blue\",\"n\":[1,2]}",
		  "color: blue\nn: [1,2]\n" },
		{ "{\"name\":\"web\"}", "" },
		{ "{\"x\":null}", "x: -\n" },
		{ "[1]", "" },
		{ NULL, "" },
	};
	size_t i, len;

	for (i = 0; i < N_ELEMS(cases); i++) {
		json_object *o = cases[i].in ? json_tokener_parse(cases[i].in) : NULL;
		char *text = NULL;
		FILE *f = open_memstream(&text, &len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		ctl_print_rest(f, o, shown, N_ELEMS(shown));
		fclose(f);
		if (strcmp(text, cases[i].want))
			printf("\ncase %zu: '%s'", i, text);
		CU_ASSERT_STRING_EQUAL(text, cases[i].want);
		free(text);
		json_object_put(o);
	}
}

static CU_TestInfo tests[] = {
	{ "tables", test_table },
	{ "joined lists", test_join },
	{ "joined parameters", test_join_params },
	{ "durations", test_fmt_ms },
	{ "time stamps", test_fmt_time },
	{ "the members not shown", test_print_rest },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "table", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
