/*
 * test_iscsi_url.c - unit tests of iSCSI URL and name parsing
 * (lib/iscsi-url.c) and of the reservation key layout (lib/pr.h).
 */
#include "iscsi-url.h"
#include "pr.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *url;
	const char *host;
	int port;
	const char *portal;
	const char *target;
	int lun;
} valid[] = {
	{ "iscsi://10.78.0.254:3260/iqn.2026-11.lab.t1:store/1",
	  "10.78.0.254", 3260, "10.78.0.254:3260", "iqn.2026-11.lab.t1:store", 1 },
	{ "iscsi://10.0.0.10/iqn.2026-01.lab:store/0",
	  "10.0.0.10", 3260, "10.0.0.10:3260", "iqn.2026-01.lab:store", 0 },
	{ "iscsi://storage/iqn.2026-11.lab.t1:store/2",
	  "storage", 3260, "storage:3260", "iqn.2026-11.lab.t1:store", 2 },
	{ "iscsi://san-1.example.com:3261/iqn.2001-04.com.example:disk-1.x/16383",
	  "san-1.example.com", 3261, "san-1.example.com:3261",
	  "iqn.2001-04.com.example:disk-1.x", 16383 },
	{ "ISCSI://host/iqn.2026-11.org.clusterd/7",
	  "host", 3260, "host:3260", "iqn.2026-11.org.clusterd", 7 },
	{ "iscsi://[fd00::1]:3262/iqn.2026-11.lab.t1:store/3",
	  "fd00::1", 3262, "[fd00::1]:3262", "iqn.2026-11.lab.t1:store", 3 },
	{ "iscsi://[::1]/eui.02004567A425678D/1",
	  "::1", 3260, "[::1]:3260", "eui.02004567A425678D", 1 },
	{ "iscsi://1.2.3.4:1/naa.52004567BA64678D/1",
	  "1.2.3.4", 1, "1.2.3.4:1", "naa.52004567BA64678D", 1 },
	{ "iscsi://h:65535/naa.6001405abcdef0123456789abcdef012/1",
	  "h", 65535, "h:65535", "naa.6001405abcdef0123456789abcdef012", 1 },
	{ "iscsi://0.0.0.0/iqn.2026-11.a/01",
	  "0.0.0.0", 3260, "0.0.0.0:3260", "iqn.2026-11.a", 1 },
};

/* Each invalid URL with a word its error message must contain. */
static const struct {
	const char *url;
	const char *why;
} invalid[] = {
	{ "", "empty" },
	{ "http://10.0.0.1/iqn.2026-11.lab:store/1", "iscsi://" },
	{ "iscsi:/10.0.0.1/iqn.2026-11.lab:store/1", "iscsi://" },
	{ "iscsi://", "target" },
	{ "iscsi://10.0.0.1", "target" },
	{ "iscsi://10.0.0.1/", "target" },
	{ "iscsi:///iqn.2026-11.lab:store/1", "host" },
	{ "iscsi://:3260/iqn.2026-11.lab:store/1", "host" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store", "LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/", "LUN" },
	{ "iscsi://10.0.0.1//1", "target" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/1/", "after the LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/1/2", "after the LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/x", "LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/-1", "LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/+1", "LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/16384", "LUN" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/99999999999", "LUN" },
	{ "iscsi://10.0.0.1:/iqn.2026-11.lab:store/1", "empty port" },
	{ "iscsi://10.0.0.1:0/iqn.2026-11.lab:store/1", "port" },
	{ "iscsi://10.0.0.1:65536/iqn.2026-11.lab:store/1", "port" },
	{ "iscsi://10.0.0.1:32a/iqn.2026-11.lab:store/1", "port" },
	{ "iscsi://10.0.0.1:-1/iqn.2026-11.lab:store/1", "port" },
	{ "iscsi://10.0.0.256/iqn.2026-11.lab:store/1", "IPv4" },
	{ "iscsi://10.0.0/iqn.2026-11.lab:store/1", "IPv4" },
	{ "iscsi://10.0.0.1.5/iqn.2026-11.lab:store/1", "IPv4" },
	{ "iscsi://010.0.0.1/iqn.2026-11.lab:store/1", "IPv4" },
	{ "iscsi://10..0.1/iqn.2026-11.lab:store/1", "IPv4" },
	{ "iscsi://-host/iqn.2026-11.lab:store/1", "'-'" },
	{ "iscsi://host-/iqn.2026-11.lab:store/1", "'-'" },
	{ "iscsi://a..b/iqn.2026-11.lab:store/1", "empty label" },
	{ "iscsi://host./iqn.2026-11.lab:store/1", "empty label" },
	{ "iscsi://ho_st/iqn.2026-11.lab:store/1", "character" },
	{ "iscsi://user%pass@10.0.0.1/iqn.2026-11.lab:store/1", "credentials" },
	{ "iscsi://user@10.0.0.1/iqn.2026-11.lab:store/1", "credentials" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab%3astore/1", "percent" },
	{ "iscsi://[fe80::1%eth0]/iqn.2026-11.lab:store/1", "zone" },
	{ "iscsi://[fd00::1/iqn.2026-11.lab:store/1", "']'" },
	{ "iscsi://[]/iqn.2026-11.lab:store/1", "IPv6" },
	{ "iscsi://[fd00::g]/iqn.2026-11.lab:store/1", "IPv6" },
	{ "iscsi://[10.0.0.1]/iqn.2026-11.lab:store/1", "IPv6" },
	{ "iscsi://[fd00::1]x/iqn.2026-11.lab:store/1", "after ']'" },
	{ "iscsi://[fd00::1]:/iqn.2026-11.lab:store/1", "empty port" },
	{ "iscsi://fd00::1/iqn.2026-11.lab:store/1", "brackets" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/1?x=1", "query" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/1#f", "fragment" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:store/1 ", "white space" },
	{ "iscsi://10.0.0.1/store/1", "iqn., eui. or naa." },
	{ "iscsi://10.0.0.1/iqn.26-11.lab:store/1", "YYYY-MM" },
	{ "iscsi://10.0.0.1/iqn.2026-13.lab:store/1", "YYYY-MM" },
	{ "iscsi://10.0.0.1/iqn.2026-1.lab:store/1", "YYYY-MM" },
	{ "iscsi://10.0.0.1/iqn.2026-11:store/1", "YYYY-MM" },
	{ "iscsi://10.0.0.1/iqn.2026-11./1", "naming authority" },
	{ "iscsi://10.0.0.1/iqn.2026-11.:store/1", "naming authority" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:Store/1", "lower case" },
	{ "iscsi://10.0.0.1/IQN.2026-11.lab:store/1", "lower case" },
	{ "iscsi://10.0.0.1/iqn.2026-11.lab:st_ore/1", "character" },
	{ "iscsi://10.0.0.1/eui.0200456/1", "16 hex" },
	{ "iscsi://10.0.0.1/eui.02004567A425678X/1", "hex digits" },
	{ "iscsi://10.0.0.1/naa.5200456/1", "16 or 32" },
};

static void
test_valid(void)
{
	struct cd_iscsi_url u;
	char err[256], buf[600];
	size_t i;

	for (i = 0; i < N_ELEMS(valid); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL_FATAL(cd_iscsi_url_parse(valid[i].url, &u, err, sizeof(err)), 0);
		if (err[0])
			printf("\n  unexpected error for %s: %s", valid[i].url, err);
		CU_ASSERT_STRING_EQUAL(u.host, valid[i].host);
		CU_ASSERT_EQUAL(u.port, valid[i].port);
		CU_ASSERT_STRING_EQUAL(u.portal, valid[i].portal);
		CU_ASSERT_STRING_EQUAL(u.target, valid[i].target);
		CU_ASSERT_EQUAL(u.lun, valid[i].lun);
	}
	/* The canonical form parses back to the same thing. */
	CU_ASSERT_EQUAL(cd_iscsi_url_parse("iscsi://[fd00::1]/iqn.2026-11.a:b/4", &u, NULL, 0), 0);
	CU_ASSERT(cd_iscsi_url_format(&u, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "iscsi://[fd00::1]:3260/iqn.2026-11.a:b/4");
}

static void
test_invalid(void)
{
	struct cd_iscsi_url u;
	char err[256];
	size_t i;

	for (i = 0; i < N_ELEMS(invalid); i++) {
		memset(&u, 0x55, sizeof(u));
		err[0] = '\0';
		CU_ASSERT_EQUAL(cd_iscsi_url_parse(invalid[i].url, &u, err, sizeof(err)), -EINVAL);
		if (!strstr(err, invalid[i].why)) {
			printf("\n  '%s': error '%s' lacks '%s'", invalid[i].url, err, invalid[i].why);
			CU_FAIL("error message");
		}
		/* Nothing half-parsed is left behind. */
		CU_ASSERT_EQUAL(u.host[0], '\0');
		CU_ASSERT_EQUAL(u.target[0], '\0');
		CU_ASSERT_EQUAL(u.port, 0);
	}
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(NULL, &u, err, sizeof(err)), -EINVAL);
	/* No error buffer is fine. */
	CU_ASSERT_EQUAL(cd_iscsi_url_parse("iscsi://x", &u, NULL, 0), -EINVAL);
}

static void
test_lengths(void)
{
	struct cd_iscsi_url u;
	char url[1024], label[70], name[300], err[256];

	/* 63-character labels are fine, 64 are not. */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(url, sizeof(url), "iscsi://%s.b/iqn.2026-11.a:b/1", label);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), 0);
	label[63] = 'a';
	label[64] = '\0';
	snprintf(url, sizeof(url), "iscsi://%s.b/iqn.2026-11.a:b/1", label);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "63"));

	/* A 223-byte name is the longest. */
	memset(name, 'x', sizeof(name));
	memcpy(name, "iqn.2026-11.a:", 14);
	name[CD_ISCSI_NAME_MAX] = '\0';
	snprintf(url, sizeof(url), "iscsi://h/%s/1", name);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strlen(u.target), CD_ISCSI_NAME_MAX);
	name[CD_ISCSI_NAME_MAX] = 'x';
	name[CD_ISCSI_NAME_MAX + 1] = '\0';
	snprintf(url, sizeof(url), "iscsi://h/%s/1", name);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "223"));

	/* Host names up to 253 characters. */
	memset(name, 'a', sizeof(name));
	for (size_t i = 63; i < 254; i += 64)
		name[i] = '.';
	name[254] = '\0';
	snprintf(url, sizeof(url), "iscsi://%s/iqn.2026-11.a/1", name);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "253"));
	name[253] = '\0';
	snprintf(url, sizeof(url), "iscsi://%s/iqn.2026-11.a/1", name);
	CU_ASSERT_EQUAL(cd_iscsi_url_parse(url, &u, err, sizeof(err)), 0);

	/* A tiny error buffer truncates, never overflows. */
	CU_ASSERT_EQUAL(cd_iscsi_url_parse("nope", &u, err, 4), -EINVAL);
	CU_ASSERT_EQUAL(strlen(err), 3);
}

static void
test_names(void)
{
	static const char *const good[] = {
		"iqn.2026-11.org.clusterd:prod:n1",
		"iqn.2026-11.org.clusterd:pr-tool:n1",
		"iqn.1992-01.com.example",
		"eui.0123456789abcdef",
		"naa.0123456789ABCDEF",
	};
	static const char *const bad[] = {
		"", "iqn.", "iqn.2026-11", "iqn.2026-11.", "iqn.2026-00.a",
		"iqn.2026-11.a b", "iqn.2026-11.A", "eui.0123", "naa.xyz",
		"node1", "Iqn.2026-11.a",
	};
	char err[128];
	size_t i;

	for (i = 0; i < N_ELEMS(good); i++)
		CU_ASSERT_EQUAL(cd_iscsi_name_check(good[i], err, sizeof(err)), 0);
	for (i = 0; i < N_ELEMS(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(cd_iscsi_name_check(bad[i], err, sizeof(err)), -EINVAL);
		CU_ASSERT_NOT_EQUAL(err[0], '\0');
	}
	CU_ASSERT_EQUAL(cd_iscsi_name_check(NULL, NULL, 0), -EINVAL);
}

static void
test_keys(void)
{
	static const struct {
		uint32_t node, inc;
		uint64_t key;
	} keys[] = {
		{ 1, 0, 0x4344000100000000ull },
		{ 1, 1, 0x4344000100000001ull },
		{ 2, 7, 0x4344000200000007ull },
		{ 16, 0xdeadbeef, 0x43440010deadbeefull },
		{ 65535, 0xffffffff, 0x4344ffffffffffffull },
	};
	uint32_t node, inc;
	size_t i;

	for (i = 0; i < N_ELEMS(keys); i++) {
		CU_ASSERT_EQUAL(cd_pr_key(keys[i].node, keys[i].inc), keys[i].key);
		node = inc = 12345;
		CU_ASSERT_TRUE(cd_pr_key_decode(keys[i].key, &node, &inc));
		CU_ASSERT_EQUAL(node, keys[i].node);
		CU_ASSERT_EQUAL(inc, keys[i].inc);
	}
	/* The tag is "CD". */
	CU_ASSERT_EQUAL(cd_pr_key(1, 1) >> 48, ('C' << 8 | 'D'));
	/* Node ids outside 1..65535 have no key. */
	CU_ASSERT_EQUAL(cd_pr_key(0, 1), 0);
	CU_ASSERT_EQUAL(cd_pr_key(65536, 1), 0);
	CU_ASSERT_EQUAL(cd_pr_key(UINT32_MAX, 1), 0);
	/* Not ours: another tag, node 0, the empty key. */
	node = inc = 12345;
	CU_ASSERT_FALSE(cd_pr_key_decode(0, &node, &inc));
	CU_ASSERT_FALSE(cd_pr_key_decode(0xaaaaaaaaaaaaaa01ull, &node, &inc));
	CU_ASSERT_FALSE(cd_pr_key_decode(0x4345000100000001ull, &node, &inc));
	CU_ASSERT_FALSE(cd_pr_key_decode(0x4344000000000001ull, &node, &inc));
	CU_ASSERT_EQUAL(node, 12345);
	CU_ASSERT_EQUAL(inc, 12345);
	/* NULL outputs are fine. */
	CU_ASSERT_TRUE(cd_pr_key_decode(0x4344000100000001ull, NULL, NULL));
	/* Incarnations make distinct keys for one node. */
	CU_ASSERT_NOT_EQUAL(cd_pr_key(3, 1), cd_pr_key(3, 2));
	CU_ASSERT_NOT_EQUAL(cd_pr_key(3, 1), cd_pr_key(4, 1));
	/* Unit-attention classification (pure, in the header). */
	CU_ASSERT_TRUE(cd_pr_is_unit_attention(-CD_PR_E_PREEMPTED));
	CU_ASSERT_TRUE(cd_pr_is_unit_attention(-CD_PR_E_RESET));
	CU_ASSERT_FALSE(cd_pr_is_unit_attention(-CD_PR_E_CONFLICT));
	CU_ASSERT_FALSE(cd_pr_is_unit_attention(-ETIMEDOUT));
	CU_ASSERT_FALSE(cd_pr_is_unit_attention(0));
}

static CU_TestInfo url_tests[] = {
	{ "valid URLs", test_valid },
	{ "invalid URLs, with reasons", test_invalid },
	{ "length limits", test_lengths },
	{ "iSCSI names", test_names },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo key_tests[] = {
	{ "key encode and decode", test_keys },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "iscsi-url", NULL, NULL, NULL, NULL, url_tests },
	{ "pr-keys", NULL, NULL, NULL, NULL, key_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
