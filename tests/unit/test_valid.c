/*
 * test_valid.c - the validation layer (lib/valid.c, rules V1-V9) and the
 * cluster property table that uses it (lib/props.c): a table of good and
 * bad values per type, and every property has a validator.
 */
#include "error.h"
#include "props.h"
#include "valid.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define BAD (-CD_E_BAD_VALUE)

/* Report a failing row by its input, then fail. */
static void
row(bool ok, const char *suite, const char *in, const char *err)
{
	char q[200];

	if (!ok)
		printf("\n  %s: '%s' (%s)", suite, cd_valid_quote(in, q, sizeof(q)), err);
	CU_ASSERT(ok);
}

/* ---- V1 names ---- */

struct ncase {
	enum cd_name_kind kind;
	const char *in;
	int rc;
};

static const struct ncase names[] = {
	{ CD_NAME_ROLE, "web1", 0 }, { CD_NAME_ROLE, "_x", 0 },
	{ CD_NAME_ROLE, "a-b_c", 0 }, { CD_NAME_ROLE, "9lives", 0 },
	{ CD_NAME_ROLE, "123456789012345678901234567890123456789012345678901234567890123", 0 },
	{ CD_NAME_ROLE, "1234567890123456789012345678901234567890123456789012345678901234", BAD },
	{ CD_NAME_ROLE, "", BAD }, { CD_NAME_ROLE, NULL, BAD },
	{ CD_NAME_ROLE, "-rf", BAD }, { CD_NAME_ROLE, "--force", BAD },
	{ CD_NAME_ROLE, "a b", BAD }, { CD_NAME_ROLE, "a\nb", BAD },
	{ CD_NAME_ROLE, "x\x1b[31m", BAD }, { CD_NAME_ROLE, "a/b", BAD },
	{ CD_NAME_ROLE, "a.b", BAD }, { CD_NAME_ROLE, "a;b", BAD },
	{ CD_NAME_ROLE, "$(id)", BAD }, { CD_NAME_ROLE, "caf\xc3\xa9", BAD },
	{ CD_NAME_VM, "vm-1", 0 }, { CD_NAME_VOLUME, "volume1", 0 },
	{ CD_NAME_NODE, "n1.lab", 0 }, { CD_NAME_NODE, ".n1", BAD },
	{ CD_NAME_NODE, "-n1", BAD }, { CD_NAME_NODE, "n1\n10.0.0.9", BAD },
	{ CD_NAME_CLUSTER, "prod", 0 }, { CD_NAME_CLUSTER, "pr.od", 0 }, { CD_NAME_CLUSTER, "-prod", BAD },
	{ CD_NAME_LUN, "lun_2", 0 }, { CD_NAME_RESOURCE, "r1", 0 },
};

static void
test_names(void)
{
	char err[256];

	for (size_t i = 0; i < N_ELEMS(names); i++) {
		err[0] = '\0';
		row(cd_valid_name(names[i].kind, names[i].in, err, sizeof(err)) ==
		    names[i].rc, "name", names[i].in, err);
	}
	/* The reason never echoes a control character. */
	CU_ASSERT(cd_valid_name(CD_NAME_ROLE, "a\x1b[2Jb", err, sizeof(err)) == BAD);
	CU_ASSERT(strchr(err, 0x1b) == NULL);
	CU_ASSERT(strstr(err, "\\x1b[2Jb") != NULL);
}

/* ---- V2 host names ---- */

static const struct { const char *in; int rc; } hosts[] = {
	{ "n1", 0 }, { "node-1.example.org", 0 }, { "a", 0 }, { "1host", 0 },
	{ "", BAD }, { NULL, BAD }, { "-n1", BAD }, { "n1-", BAD },
	{ "n1.", BAD }, { ".n1", BAD }, { "a..b", BAD }, { "a.-b", BAD },
	{ "a-.b", BAD }, { "n1\n10.0.0.66", BAD }, { "n1 n2", BAD },
	{ "n_1", BAD }, { "n1;reboot", BAD }, { "n1}", BAD },
	{ "123456789012345678901234567890123456789012345678901234567890123", 0 },
	{ "1234567890123456789012345678901234567890123456789012345678901234", BAD },
};

static void
test_hostnames(void)
{
	char err[256], longname[300];

	for (size_t i = 0; i < N_ELEMS(hosts); i++)
		row(cd_valid_hostname("host", hosts[i].in, err, sizeof(err)) == hosts[i].rc,
		    "hostname", hosts[i].in, err);
	/* 4 labels of 63 and dots: 255 characters, over 253 */
	memset(longname, 'a', sizeof(longname));
	for (int i = 63; i < 255; i += 64)
		longname[i] = '.';
	longname[255] = '\0';
	CU_ASSERT(cd_valid_hostname("host", longname, err, sizeof(err)) == BAD);
	longname[253] = '\0';	/* ends in "a" after the third dot: 253 */
	CU_ASSERT(cd_valid_hostname("host", longname, err, sizeof(err)) == 0);
}

/* ---- V3 whole numbers ---- */

struct icase {
	const char *in;
	int64_t min, max;
	int rc;
	int64_t want;
};

static const struct icase ints[] = {
	{ "0", 0, 10, 0, 0 }, { "10", 0, 10, 0, 10 }, { "-5", -10, 10, 0, -5 },
	{ "-1000", -1000, 1000, 0, -1000 }, { "007", 0, 10, 0, 7 },
	{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
	{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
	{ "9223372036854775808", INT64_MIN, INT64_MAX, BAD, 0 },
	{ "-9223372036854775809", INT64_MIN, INT64_MAX, BAD, 0 },
	{ "99999999999999999999999", 0, 10, BAD, 0 },
	{ "11", 0, 10, BAD, 0 }, { "-1", 0, 10, BAD, 0 },
	{ "1001", -1000, 1000, BAD, 0 }, { "", 0, 10, BAD, 0 }, { "-", 0, 10, BAD, 0 },
	{ " 1", 0, 10, BAD, 0 }, { "1 ", 0, 10, BAD, 0 }, { "+1", 0, 10, BAD, 0 },
	{ "1x", 0, 10, BAD, 0 }, { "0x1", 0, 10, BAD, 0 }, { "1e3", 0, 10000, BAD, 0 },
	{ "nan", 0, 10, BAD, 0 }, { "inf", 0, 10, BAD, 0 }, { "1.0", 0, 10, BAD, 0 },
	{ "--1", -10, 10, BAD, 0 },
};

static void
test_ints(void)
{
	char err[256];

	for (size_t i = 0; i < N_ELEMS(ints); i++) {
		int64_t v = 4242;
		int rc = cd_valid_int("n", ints[i].in, ints[i].min, ints[i].max, &v,
				      err, sizeof(err));

		row(rc == ints[i].rc && (rc ? v == 4242 : v == ints[i].want), "int",
		    ints[i].in, err);
	}
}

/* ---- V4 durations ---- */

struct dcase {
	const char *in;
	int64_t unit, min, max;
	int rc;
	int64_t want;
};

#define DMAX 2147483647LL
static const struct dcase durations[] = {
	{ "500ms", 1000, 0, DMAX, 0, 500 }, { "10s", 1000, 0, DMAX, 0, 10000 },
	{ "1.5s", 1000, 0, DMAX, 0, 1500 }, { "2m", 1000, 0, DMAX, 0, 120000 },
	{ "2min", 1000, 0, DMAX, 0, 120000 }, { "1h", 1000, 0, DMAX, 0, 3600000 },
	{ "3", 1000, 0, DMAX, 0, 3000 }, { "3", 1, 0, DMAX, 0, 3 },
	{ "0.0004s", 1000, 0, DMAX, 0, 0 }, { "0.0005s", 1000, 0, DMAX, 0, 1 },
	{ "2s", 1, 300, 60000, 0, 2000 }, { "596h", 1000, 0, DMAX, 0, 2145600000 },
	{ "597h", 1000, 0, DMAX, BAD, 0 }, { "299", 1, 300, 60000, BAD, 0 },
	{ "61s", 1, 300, 60000, BAD, 0 },
	{ "", 1000, 0, DMAX, BAD, 0 }, { NULL, 1000, 0, DMAX, BAD, 0 },
	{ "s", 1000, 0, DMAX, BAD, 0 }, { "1x", 1000, 0, DMAX, BAD, 0 },
	{ "-1s", 1000, 0, DMAX, BAD, 0 }, { "+1s", 1000, 0, DMAX, BAD, 0 },
	{ "1.5.5", 1000, 0, DMAX, BAD, 0 }, { "1 s", 1000, 0, DMAX, BAD, 0 },
	{ "1S", 1000, 0, DMAX, BAD, 0 }, { ".", 1000, 0, DMAX, BAD, 0 },
	{ ".5s", 1000, 0, DMAX, BAD, 0 }, { "1.", 1000, 0, DMAX, BAD, 0 },
	{ "nan", 1000, 0, DMAX, BAD, 0 }, { "inf", 1000, 0, DMAX, BAD, 0 },
	{ "infinity", 1000, 0, DMAX, BAD, 0 }, { "1e9", 1000, 0, DMAX, BAD, 0 },
	{ "0x10", 1000, 0, DMAX, BAD, 0 },
	{ "99999999999999999999999999h", 1000, 0, DMAX, BAD, 0 },
	{ "1.0000000001s", 1000, 0, DMAX, BAD, 0 },
};

static void
test_durations(void)
{
	char err[256];

	for (size_t i = 0; i < N_ELEMS(durations); i++) {
		const struct dcase *c = &durations[i];
		int64_t v = 4242;
		int rc = cd_valid_duration("d", c->in, c->unit, c->min, c->max, &v,
					   err, sizeof(err));

		row(rc == c->rc && (rc ? v == 4242 : v == c->want), "duration", c->in, err);
	}
}

/* ---- V5 sizes ---- */

#define MIB (1LL << 20)
static const struct dcase sizes[] = {
	{ "2048", MIB, 0, 1LL << 24, 0, 2048 }, { "2048M", MIB, 0, 1LL << 24, 0, 2048 },
	{ "2048MiB", MIB, 0, 1LL << 24, 0, 2048 }, { "2G", MIB, 0, 1LL << 24, 0, 2048 },
	{ "2GiB", MIB, 0, 1LL << 24, 0, 2048 }, { "1T", MIB, 0, 1LL << 24, 0, 1048576 },
	{ "1024K", MIB, 0, 1LL << 24, 0, 1 }, { "1048576B", MIB, 0, 1LL << 24, 0, 1 },
	{ "4K", 1, 0, INT64_MAX, 0, 4096 }, { "16T", MIB, 0, 1LL << 24, 0, 1LL << 24 },
	{ "17T", MIB, 0, 1LL << 24, BAD, 0 }, { "1K", MIB, 0, 1LL << 24, BAD, 0 },
	{ "1.5G", MIB, 0, 1LL << 24, BAD, 0 }, { "-1", MIB, 0, 1LL << 24, BAD, 0 },
	{ "", MIB, 0, 1LL << 24, BAD, 0 }, { "G", MIB, 0, 1LL << 24, BAD, 0 },
	{ "2g", MIB, 0, 1LL << 24, BAD, 0 }, { "2 G", MIB, 0, 1LL << 24, BAD, 0 },
	{ "nan", MIB, 0, 1LL << 24, BAD, 0 }, { "inf", MIB, 0, 1LL << 24, BAD, 0 },
	{ "9223372036854775807T", MIB, 0, INT64_MAX, BAD, 0 },
	{ "99999999999999999999", 1, 0, INT64_MAX, BAD, 0 },
};

static void
test_sizes(void)
{
	char err[256];

	for (size_t i = 0; i < N_ELEMS(sizes); i++) {
		const struct dcase *c = &sizes[i];
		int64_t v = 4242;
		int rc = cd_valid_size("s", c->in, c->unit, c->min, c->max, &v,
				       err, sizeof(err));

		row(rc == c->rc && (rc ? v == 4242 : v == c->want), "size", c->in, err);
	}
}

/* ---- V6 networks ---- */

static const struct { const char *in; int rc; uint32_t addr; unsigned prefix; } cidrs[] = {
	{ "10.0.0.0/8", 0, 0x0a000000, 8 }, { "10.78.0.0/24", 0, 0x0a4e0000, 24 },
	{ "192.168.1.7/32", 0, 0xc0a80107, 32 }, { "0.0.0.0/1", 0, 0, 1 },
	{ "255.255.255.255/32", 0, 0xffffffff, 32 },
	{ "banana", BAD, 0, 0 }, { "10.0.0.0/99", BAD, 0, 0 }, { "10.0.0.0/33", BAD, 0, 0 },
	{ "10.0.0.0/0", BAD, 0, 0 }, { "10.0.0.0", BAD, 0, 0 }, { "10.0.0/24", BAD, 0, 0 },
	{ "10.0.0.256/24", BAD, 0, 0 }, { "10.0.0.01/24", BAD, 0, 0 },
	{ "10.0.0.0/024", BAD, 0, 0 }, { "10.0.0.0/24 ", BAD, 0, 0 },
	{ " 10.0.0.0/24", BAD, 0, 0 }, { "10.0.0.0/", BAD, 0, 0 },
	{ "10.0.0.0/-1", BAD, 0, 0 }, { "::1/128", BAD, 0, 0 }, { "", BAD, 0, 0 },
	{ "10.0.0.0/24\n", BAD, 0, 0 }, { "1.2.3.4.5/8", BAD, 0, 0 },
};

static void
test_cidrs(void)
{
	char err[256];

	for (size_t i = 0; i < N_ELEMS(cidrs); i++) {
		uint32_t a = 1;
		unsigned p = 99;
		int rc = cd_valid_cidr4("net", cidrs[i].in, &a, &p, err, sizeof(err));

		row(rc == cidrs[i].rc && (rc || (a == cidrs[i].addr && p == cidrs[i].prefix)),
		    "cidr", cidrs[i].in, err);
	}
}

/* ---- V7, V8 ---- */

static void
test_enum_bool(void)
{
	static const char *const fb[] = { "never", "immediate", "window", NULL };
	static const struct { const char *in; int rc; int idx; } enums[] = {
		{ "never", 0, 0 }, { "window", 0, 2 }, { "Never", BAD, 0 },
		{ "", BAD, 0 }, { NULL, BAD, 0 }, { "never ", BAD, 0 }, { "nev", BAD, 0 },
	};
	static const struct { const char *in; int rc; bool v; } bools[] = {
		{ "true", 0, true }, { "yes", 0, true }, { "on", 0, true }, { "1", 0, true },
		{ "false", 0, false }, { "no", 0, false }, { "off", 0, false },
		{ "0", 0, false }, { "TRUE", BAD, 0 }, { "2", BAD, 0 }, { "", BAD, 0 },
		{ NULL, BAD, 0 }, { "y", BAD, 0 },
	};
	char err[256];

	for (size_t i = 0; i < N_ELEMS(enums); i++) {
		int idx = -1;
		int rc = cd_valid_enum("failback", enums[i].in, fb, &idx, err, sizeof(err));

		row(rc == enums[i].rc && (rc || idx == enums[i].idx), "enum", enums[i].in, err);
	}
	CU_ASSERT(cd_valid_enum("failback", "x", fb, NULL, err, sizeof(err)) == BAD);
	CU_ASSERT_STRING_EQUAL(err, "failback must be never, immediate or window, not 'x'");
	for (size_t i = 0; i < N_ELEMS(bools); i++) {
		bool b = !bools[i].v;
		int rc = cd_valid_bool("flag", bools[i].in, &b, err, sizeof(err));

		row(rc == bools[i].rc && (rc || b == bools[i].v), "bool", bools[i].in, err);
	}
}

/* ---- V9 text ---- */

static void
test_text(void)
{
	static const struct { const char *in; size_t max; int rc; } texts[] = {
		{ "Production cluster, room 2", 256, 0 }, { "", 256, 0 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 256, 0 },
		{ "abc", 3, 0 }, { "abcd", 3, BAD },
		{ "red \x1b[31mred", 256, BAD }, { "a\nb", 256, BAD }, { "a\tb", 256, BAD },
		{ "a\rb", 256, BAD }, { "a\x7f", 256, BAD },
		{ "a\xc2\x9b" "31m", 256, BAD },	/* C1 CSI */
		{ "\xff", 256, BAD }, { "\xc3", 256, BAD }, { "\xc0\xaf", 256, BAD },
		{ "\xed\xa0\x80", 256, BAD }, { "\xf4\x90\x80\x80", 256, BAD },
		{ NULL, 256, BAD },
	};
	char err[256];

	for (size_t i = 0; i < N_ELEMS(texts); i++)
		row(cd_valid_text("description", texts[i].in, texts[i].max, err,
				  sizeof(err)) == texts[i].rc, "text", texts[i].in, err);
}

/* ---- the property table ---- */

/* Every property has a validator: its default passes, and values no type
 * accepts are refused by each, with a reason that names it. */
static void
test_every_property(void)
{
	/* no type takes these; and none but free text the second row */
	static const char *const never[] = {
		"\x1b[2J", "x\n", "\xff", "a\tb",
		"nan", "inf", "-", "1 1", "1e999", "0x10", "+1",
	};
	const struct cd_prop *p;
	json_object *v;
	char err[256];
	int n = 0;

	for (p = cd_props(); p->name; p++, n++) {
		CU_ASSERT(p->type < CD_PROP__TYPES);
		CU_ASSERT(strcmp(cd_prop_type_name(p->type), "?") != 0);
		CU_ASSERT(p->help && *p->help);
		CU_ASSERT(p->type != CD_PROP_ENUM || p->values);
		row(cd_prop_parse(p->name, p->dflt, &v, err, sizeof(err)) == 0,
		    p->name, p->dflt, err);
		json_object_put(v);
		for (size_t i = 0; i < (p->type == CD_PROP_STRING ? 4 : N_ELEMS(never)); i++) {
			int rc = cd_prop_parse(p->name, never[i], &v, err, sizeof(err));

			row(rc == BAD && v == NULL && strstr(err, p->name), p->name, never[i], err);
		}
		CU_ASSERT(cd_prop_parse(p->name, NULL, &v, err, sizeof(err)) == BAD);
	}
	CU_ASSERT(n > 0);
	CU_ASSERT(cd_prop_parse("no-such", "1", &v, err, sizeof(err)) == BAD);
	CU_ASSERT(strstr(err, "unknown property") != NULL);
}

/* The findings of issue 16 and the typed values, property by property. */
static void
test_property_values(void)
{
	static const struct { const char *name, *in; int rc; const char *want; } cases[] = {
		{ "migration-network", "banana", BAD, NULL },
		{ "migration-network", "10.0.0.0/99", BAD, NULL },
		{ "migration-network", "10.78.0.0/24", 0, "10.78.0.0/24" },
		{ "migration-network", "", 0, "" },
		{ "description", "red \x1b[31m", BAD, NULL },
		{ "description", "room 2", 0, "room 2" },
		{ "lease-ms", "2500", 0, "2500" }, { "lease-ms", "2.5s", 0, "2500" },
		{ "lease-ms", "299", BAD, NULL }, { "lease-ms", "1m", 0, "60000" },
		{ "lease-ms", "2m", BAD, NULL },
		{ "migration-downtime-ms", "0", BAD, NULL },
		{ "migration-bandwidth-mbps", "100", 0, "100" },
		{ "migration-bandwidth-mbps", "100M", BAD, NULL },
		{ "migration-bandwidth-mbps", "1000001", BAD, NULL },
	};
	char err[256];

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		json_object *v = NULL;
		int rc = cd_prop_parse(cases[i].name, cases[i].in, &v, err, sizeof(err));

		row(rc == cases[i].rc && (rc || strcmp(json_object_get_string(v),
						       cases[i].want) == 0),
		    cases[i].name, cases[i].in, err);
		json_object_put(v);
	}
}

static void
test_quote(void)
{
	char b[16];

	CU_ASSERT_STRING_EQUAL(cd_valid_quote("ab", b, sizeof(b)), "ab");
	CU_ASSERT_STRING_EQUAL(cd_valid_quote("a\nb", b, sizeof(b)), "a\\x0ab");
	CU_ASSERT_STRING_EQUAL(cd_valid_quote(NULL, b, sizeof(b)), "");
	/* cut to fit, never an incomplete escape */
	CU_ASSERT_STRING_EQUAL(cd_valid_quote("abcdefghijkl\x1b", b, sizeof(b)), "abcdefghijkl");
}

static CU_TestInfo tests[] = {
	{ "V1 names", test_names },
	{ "V2 host names", test_hostnames },
	{ "V3 whole numbers", test_ints },
	{ "V4 durations", test_durations },
	{ "V5 sizes", test_sizes },
	{ "V6 IPv4 networks", test_cidrs },
	{ "V7 enumerations, V8 booleans", test_enum_bool },
	{ "V9 text", test_text },
	{ "every property has a validator", test_every_property },
	{ "property values", test_property_values },
	{ "quoting for messages", test_quote },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "valid", NULL, NULL, NULL, NULL, tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
