/*
 * test_csv_reqrec.c - a namespace operation's record (lib/csv-reqrec.c,
 * rules R1-R8 of csv-reqrec.h): tables of cases for the kinds, R4's
 * decisions, the names, R6's pruning and R8's hidden xattr.
 */
#include "csv-proto.h"
#include "csv-reqrec.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *rule;
	unsigned op;
	uint32_t oflags;
	uint64_t id;
	enum csv_rq_kind kind;
} kind_cases[] = {
	{ "R1 create O_EXCL", CSV_OP_CREATE, O_CREAT | O_EXCL | O_WRONLY, 5, CSV_RQ_CREATE },
	{ "R5 create without O_EXCL", CSV_OP_CREATE, O_CREAT | O_WRONLY, 5, CSV_RQ_PLAIN },
	{ "R5 create O_EXCL|O_TRUNC", CSV_OP_CREATE, O_EXCL | O_TRUNC, 5, CSV_RQ_CREATE },
	{ "R1 mkdir", CSV_OP_MKDIR, 0, 1, CSV_RQ_CREATE },
	{ "R1 mknod", CSV_OP_MKNOD, 0, 1, CSV_RQ_CREATE },
	{ "R1 symlink", CSV_OP_SYMLINK, 0, 1, CSV_RQ_CREATE },
	{ "R1 link", CSV_OP_LINK, 0, 1, CSV_RQ_CREATE },
	{ "R2 unlink", CSV_OP_UNLINK, 0, 1, CSV_RQ_REMOVE },
	{ "R2 rmdir", CSV_OP_RMDIR, 0, 1, CSV_RQ_REMOVE },
	{ "R3 rename", CSV_OP_RENAME, 0, 1, CSV_RQ_RENAME },
	{ "R3 rename exchange", CSV_OP_RENAME, 2 /* RENAME_EXCHANGE */, 1, CSV_RQ_RENAME },
	{ "R5 id 0: mkdir", CSV_OP_MKDIR, 0, 0, CSV_RQ_PLAIN },
	{ "R5 id 0: unlink", CSV_OP_UNLINK, 0, 0, CSV_RQ_PLAIN },
	{ "R5 id 0: rename", CSV_OP_RENAME, 0, 0, CSV_RQ_PLAIN },
	{ "R5 open", CSV_OP_OPEN, O_EXCL, 3, CSV_RQ_PLAIN },
	{ "R5 write", CSV_OP_WRITE, 0, 3, CSV_RQ_PLAIN },
	{ "R5 setxattr", CSV_OP_SETXATTR, 0, 3, CSV_RQ_PLAIN },
	{ "R5 getattr", CSV_OP_GETATTR, 0, 3, CSV_RQ_PLAIN },
};

static void
test_kind(void)
{
	for (size_t i = 0; i < sizeof(kind_cases) / sizeof(kind_cases[0]); i++) {
		enum csv_rq_kind k = csv_rq_kind(kind_cases[i].op, kind_cases[i].oflags,
						 kind_cases[i].id);

		if (k != kind_cases[i].kind)
			printf("\n  %s: kind %d\n", kind_cases[i].rule, k);
		CU_ASSERT_EQUAL(k, kind_cases[i].kind);
	}
}

static const struct {
	const char *rule;
	enum csv_rq_kind kind;
	enum csv_rq_rec rec;
	bool tagged;
	enum csv_rq_act act;
} decide_cases[] = {
	{ "R4 creation, no record: execute (EEXIST is real)", CSV_RQ_CREATE, CSV_RQ_ABSENT,
	  false, CSV_RQ_EXEC },
	{ "R4 creation, whiteout: done", CSV_RQ_CREATE, CSV_RQ_WHITEOUT, false, CSV_RQ_DONE },
	{ "R4 creation, node never placed: discard, execute", CSV_RQ_CREATE, CSV_RQ_NODE,
	  false, CSV_RQ_DISCARD_EXEC },
	{ "R4 creation ignores tags", CSV_RQ_CREATE, CSV_RQ_ABSENT, true, CSV_RQ_EXEC },
	{ "R4 removal, no record: execute (ENOENT is real)", CSV_RQ_REMOVE, CSV_RQ_ABSENT,
	  false, CSV_RQ_EXEC },
	{ "R4 removal, whiteout: done", CSV_RQ_REMOVE, CSV_RQ_WHITEOUT, false, CSV_RQ_DONE },
	{ "R4 removal, victim at the record: finish", CSV_RQ_REMOVE, CSV_RQ_NODE, false,
	  CSV_RQ_FINISH },
	{ "R4 rename, destination tagged: done", CSV_RQ_RENAME, CSV_RQ_ABSENT, true,
	  CSV_RQ_DONE },
	{ "R4 rename, not tagged: execute", CSV_RQ_RENAME, CSV_RQ_ABSENT, false, CSV_RQ_EXEC },
	{ "R4 rename ignores records", CSV_RQ_RENAME, CSV_RQ_WHITEOUT, false, CSV_RQ_EXEC },
	{ "R5 plain: execute", CSV_RQ_PLAIN, CSV_RQ_WHITEOUT, true, CSV_RQ_EXEC },
};

static void
test_decide(void)
{
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		enum csv_rq_act a = csv_rq_decide(decide_cases[i].kind, decide_cases[i].rec,
						  decide_cases[i].tagged);

		if (a != decide_cases[i].act)
			printf("\n  %s: act %d\n", decide_cases[i].rule, a);
		CU_ASSERT_EQUAL(a, decide_cases[i].act);
	}
}

static void
test_names(void)
{
	char buf[64], p;
	uint64_t c, id;

	CU_ASSERT_EQUAL(csv_rq_name(buf, sizeof(buf), 'r', 0x0123456789abcdefull, 42), 0);
	CU_ASSERT_STRING_EQUAL(buf, "r-0123456789abcdef-000000000000002a");
	CU_ASSERT_EQUAL(strlen(buf), CSV_RQ_NAME_LEN);
	CU_ASSERT_EQUAL(csv_rq_parse(buf, &p, &c, &id), 0);
	CU_ASSERT_EQUAL(p, 'r');
	CU_ASSERT_EQUAL(c, 0x0123456789abcdefull);
	CU_ASSERT_EQUAL(id, 42);
	CU_ASSERT_EQUAL(csv_rq_name(buf, sizeof(buf), 'x', UINT64_MAX, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(csv_rq_parse(buf, &p, &c, &id), 0);
	CU_ASSERT(p == 'x' && c == UINT64_MAX && id == UINT64_MAX);
	CU_ASSERT_EQUAL(csv_rq_name(buf, CSV_RQ_NAME_LEN, 'r', 1, 1), -ENAMETOOLONG);

	static const char *const bad[] = {
		"", "r", "locks", "direct", "q-0123456789abcdef-000000000000002a",
		"r-0123456789ABCDEF-000000000000002a", "r-0123456789abcdef_000000000000002a",
		"r-0123456789abcdef-000000000000002", "r-0123456789abcdef-000000000000002a0",
		"r-0123456789abcdeg-000000000000002a",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = csv_rq_parse(bad[i], &p, &c, &id);

		if (rc != -EINVAL)
			printf("\n  parsed '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -EINVAL);
	}
}

static const struct {
	const char *rule;
	const char *name;
	int64_t age_ms;
	bool prune;
} prune_cases[] = {
	{ "R6 victim: any age", "x-0000000000000001-0000000000000002", 0, true },
	{ "R6 victim: clock behind", "x-0000000000000001-0000000000000002", -5000, true },
	{ "R6 record younger than the bound", "r-0000000000000001-0000000000000002", 1000,
	  false },
	{ "R6 record at the bound", "r-0000000000000001-0000000000000002", 60000, false },
	{ "R6 record past the bound", "r-0000000000000001-0000000000000002", 60001, true },
	{ "R6 record from a clock ahead", "r-0000000000000001-0000000000000002", -999999,
	  false },
	{ "R6 other names left", "probe", 999999999, false },
	{ "R6 other names left", "r-1-2", 999999999, false },
};

static void
test_prune(void)
{
	for (size_t i = 0; i < sizeof(prune_cases) / sizeof(prune_cases[0]); i++) {
		bool p = csv_rq_prune(prune_cases[i].name, prune_cases[i].age_ms, 60000);

		if (p != prune_cases[i].prune)
			printf("\n  %s (%s): %d\n", prune_cases[i].rule, prune_cases[i].name, p);
		CU_ASSERT_EQUAL(p, prune_cases[i].prune);
	}
}

static void
test_tag(void)
{
	unsigned char t[CSV_RQ_TAG_LEN];

	csv_rq_tag(t, 0x1122334455667788ull, 7);
	CU_ASSERT_EQUAL(t[0], 0x88);
	CU_ASSERT_EQUAL(t[7], 0x11);
	CU_ASSERT_EQUAL(t[8], 7);
	CU_ASSERT(csv_rq_tag_is(t, sizeof(t), 0x1122334455667788ull, 7));
	CU_ASSERT(!csv_rq_tag_is(t, sizeof(t), 0x1122334455667788ull, 8));
	CU_ASSERT(!csv_rq_tag_is(t, sizeof(t), 0x1122334455667789ull, 7));
	CU_ASSERT(!csv_rq_tag_is(t, sizeof(t) - 1, 0x1122334455667788ull, 7));
}

static void
test_xattr(void)
{
	static const struct {
		const char *in;
		size_t inlen;
		const char *out;
		size_t outlen;
	} cases[] = {
		{ "", 0, "", 0 },
		{ "user.a\0", 7, "user.a\0", 7 },
		{ "trusted.csv.req\0", 16, "", 0 },
		{ "user.a\0trusted.csv.req\0user.b\0", 30, "user.a\0user.b\0", 14 },
		{ "trusted.csv.req\0trusted.csv.x\0trusted.csvx\0", 43, "trusted.csvx\0", 13 },
		{ "user.a\0trusted.c", 16, "user.a\0trusted.c", 16 },	/* unterminated tail */
		{ "trusted.csv.", 12, "", 0 },
	};
	char buf[128];

	CU_ASSERT(csv_rq_xattr_hidden(CSV_RQ_XATTR));
	CU_ASSERT(csv_rq_xattr_hidden("trusted.csv.other"));
	CU_ASSERT(!csv_rq_xattr_hidden("trusted.csvx"));
	CU_ASSERT(!csv_rq_xattr_hidden("user.csv.req"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;

		memcpy(buf, cases[i].in, cases[i].inlen);
		n = csv_rq_xattr_filter(buf, cases[i].inlen);
		if (n != cases[i].outlen || memcmp(buf, cases[i].out, n) != 0)
			printf("\n  xattr case %zu: %zu bytes\n", i, n);
		CU_ASSERT_EQUAL(n, cases[i].outlen);
		CU_ASSERT(memcmp(buf, cases[i].out, n) == 0);
	}
}

int
main(void)
{
	CU_TestInfo tests[] = {
		{ "R1-R3, R5: the kind of each request", test_kind },
		{ "R4: decisions on a retry", test_decide },
		{ "record names", test_names },
		{ "R6: pruning", test_prune },
		{ "TAG", test_tag },
		{ "R8: the hidden xattr", test_xattr },
		CU_TEST_INFO_NULL,
	};
	CU_SuiteInfo suites[] = {
		{ "csv_reqrec", NULL, NULL, NULL, NULL, tests },
		CU_SUITE_INFO_NULL,
	};

	return cd_unit_run(suites);
}
