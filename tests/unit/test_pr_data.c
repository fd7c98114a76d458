/*
 * test_pr_data.c - unit tests of the PR client's pure half (lib/pr-data.c):
 * sense-code mapping, error and type names, and the decoders of what the
 * target sends, fed with tgt's real answers and with broken ones.
 */
#include "pr-data.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_sense_mapping(void)
{
	static const struct {
		uint8_t key, asc, ascq;
		int err;
	} cases[] = {
		{ 0x6, 0x2a, 0x03, -CD_PR_E_PREEMPTED },	/* after PREEMPT or CLEAR */
		{ 0x6, 0x2a, 0x05, -CD_PR_E_PREEMPTED },	/* registrations preempted */
		{ 0x6, 0x2a, 0x04, -CD_PR_E_RELEASED },
		{ 0x6, 0x29, 0x00, -CD_PR_E_RESET },
		{ 0x6, 0x29, 0x07, -CD_PR_E_RESET },		/* I_T nexus loss */
		{ 0x6, 0x2a, 0x01, -CD_PR_E_UNIT_ATTENTION },
		{ 0x6, 0x3f, 0x0e, -CD_PR_E_UNIT_ATTENTION },
		{ 0x5, 0x20, 0x00, -CD_PR_E_NOT_SUPPORTED },
		{ 0x5, 0x24, 0x00, -CD_PR_E_ILLEGAL },	/* tgt: PREEMPT AND ABORT, APTPL */
		{ 0x5, 0x26, 0x04, -CD_PR_E_ILLEGAL },	/* RELEASE with the wrong type */
		{ 0x5, 0x25, 0x00, -CD_PR_E_ILLEGAL },	/* no such LUN */
		{ 0x2, 0x04, 0x01, -CD_PR_E_CHECK },
		{ 0x3, 0x11, 0x00, -CD_PR_E_CHECK },
		{ 0x0, 0x00, 0x00, -CD_PR_E_CHECK },
		{ 0x16, 0x2a, 0x03, -CD_PR_E_PREEMPTED },	/* high bits ignored */
	};
	char buf[160];
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++)
		CU_ASSERT_EQUAL(cd_pr_sense_error(cases[i].key, cases[i].asc, cases[i].ascq),
				cases[i].err);
	cd_pr_sense_text(0x6, 0x2a, 0x03, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "unit attention: reservations preempted (sense 6/2A/03)");
	cd_pr_sense_text(0x5, 0x26, 0x04, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "illegal request: invalid release of persistent "
			       "reservation (sense 5/26/04)");
	cd_pr_sense_text(0x6, 0x77, 0x01, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "unit attention: unknown additional sense code (sense 6/77/01)");
	cd_pr_sense_text(0x6, 0x2a, 0x03, buf, 8);
	CU_ASSERT_EQUAL(strlen(buf), 7);
	CU_ASSERT_PTR_NULL(cd_pr_asc_name(0x77, 0x01));
	CU_ASSERT_STRING_EQUAL(cd_pr_asc_name(0x29, 0x00),
			       "power on, reset, or bus device reset occurred");
	CU_ASSERT_STRING_EQUAL(cd_pr_sense_key_name(0x5), "illegal request");
	CU_ASSERT_STRING_EQUAL(cd_pr_sense_key_name(0xff), "reserved");
}

static void
test_errors(void)
{
	int code, other;

	/* Every code has its own name and text. */
	for (code = CD_PR_E_BASE + 1; code < CD_PR_E_MAX; code++) {
		CU_ASSERT_STRING_NOT_EQUAL(cd_pr_strerror(-code), "unknown error");
		CU_ASSERT_STRING_NOT_EQUAL(cd_pr_errname(-code), "error");
		for (other = CD_PR_E_BASE + 1; other < code; other++) {
			CU_ASSERT_STRING_NOT_EQUAL(cd_pr_errname(-code), cd_pr_errname(-other));
			CU_ASSERT_STRING_NOT_EQUAL(cd_pr_strerror(-code), cd_pr_strerror(-other));
		}
	}
	/* The words the tools and tests grep for are stable. */
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-CD_PR_E_CONFLICT), "reservation conflict");
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(-CD_PR_E_CONFLICT), "conflict");
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-CD_PR_E_PREEMPTED),
			       "unit attention: reservations preempted");
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(-CD_PR_E_PREEMPTED), "preempted");
	/* errno values fall back to strerror, and have short names. */
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-ETIMEDOUT), strerror(ETIMEDOUT));
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-ECONNRESET), strerror(ECONNRESET));
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(-ETIMEDOUT), "timeout");
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(-ECONNRESET), "connection-lost");
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(-ENOTCONN), "not-connected");
	CU_ASSERT_STRING_EQUAL(cd_pr_errname(0), "ok");
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(0), "success");
	/* Outside every range. */
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-CD_PR_E_MAX), "unknown error");
	CU_ASSERT_STRING_EQUAL(cd_pr_strerror(-CD_PR_E_BASE), "unknown error");
}

static void
test_types(void)
{
	static const struct { const char *text; int type; } ok[] = {
		{ "WE", 1 }, { "EA", 3 }, { "WERO", 5 }, { "EARO", 6 },
		{ "WEAR", 7 }, { "EAAR", 8 }, { "wero", 5 }, { "Ea", 3 },
		{ "1", 1 }, { "5", 5 }, { "8", 8 },
	};
	static const char *const bad[] = { "", "0", "2", "4", "9", "WER", "WERO ",
					   "05", "write-exclusive" };
	size_t i;

	for (i = 0; i < N_ELEMS(ok); i++)
		CU_ASSERT_EQUAL(cd_pr_type_parse(ok[i].text), ok[i].type);
	for (i = 0; i < N_ELEMS(bad); i++)
		CU_ASSERT_EQUAL(cd_pr_type_parse(bad[i]), -EINVAL);
	CU_ASSERT_EQUAL(cd_pr_type_parse(NULL), -EINVAL);
	CU_ASSERT_STRING_EQUAL(cd_pr_type_name(CD_PR_WERO), "WERO");
	CU_ASSERT_STRING_EQUAL(cd_pr_type_name(CD_PR_EAAR), "EAAR");
	CU_ASSERT_PTR_NULL(cd_pr_type_name(0));
	CU_ASSERT_PTR_NULL(cd_pr_type_name(2));
	CU_ASSERT_PTR_NULL(cd_pr_type_name(9));
}

static void
test_read_keys(void)
{
	static const uint8_t two[] = {
		0, 0, 0, 2, 0, 0, 0, 16,
		0x43, 0x44, 0, 1, 0, 0, 0, 1,
		0x43, 0x44, 0, 2, 0, 0, 0, 1,
	};
	/* The target has 3 keys; our allocation length let 2 through. */
	static const uint8_t cut[] = {
		0, 0, 1, 0, 0, 0, 0, 24,
		0, 0, 0, 0, 0, 0, 0, 0xa1,
		0, 0, 0, 0, 0, 0, 0, 0xa2,
		0, 0, 0, 0,	/* half a key */
	};
	static const uint8_t none[] = { 0, 0, 0, 9, 0, 0, 0, 0 };
	/* Claims 2 keys but says nothing of the second. */
	static const uint8_t liar[] = {
		0, 0, 0, 1, 0, 0, 0, 16,
		0, 0, 0, 0, 0, 0, 0, 0xb1,
	};
	uint64_t keys[4] = { 0 };
	uint32_t gen = 0;
	size_t n = 99;

	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(two, sizeof(two), keys, 4, &n, &gen), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(gen, 2);
	CU_ASSERT_EQUAL(keys[0], 0x4344000100000001ull);
	CU_ASSERT_EQUAL(keys[1], 0x4344000200000001ull);

	memset(keys, 0, sizeof(keys));
	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(two, sizeof(two), keys, 1, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(keys[0], 0x4344000100000001ull);
	CU_ASSERT_EQUAL(keys[1], 0);

	memset(keys, 0, sizeof(keys));
	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(cut, sizeof(cut), keys, 4, &n, &gen), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(gen, 256);
	CU_ASSERT_EQUAL(keys[0], 0xa1);
	CU_ASSERT_EQUAL(keys[1], 0xa2);
	CU_ASSERT_EQUAL(keys[2], 0);

	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(none, sizeof(none), NULL, 0, &n, &gen), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(gen, 9);

	memset(keys, 0, sizeof(keys));
	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(liar, sizeof(liar), keys, 4, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(keys[0], 0xb1);
	CU_ASSERT_EQUAL(keys[1], 0);

	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(two, 7, keys, 4, &n, &gen), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(cd_pr_decode_read_keys(two, 0, keys, 4, &n, &gen), -CD_PR_E_PROTO);
}

static void
test_reservation(void)
{
	/* tgt: n1 holds WERO. */
	static const uint8_t held[] = {
		0, 0, 0, 3, 0, 0, 0, 16,
		0x43, 0x44, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 0, 0, 0x05, 0, 0,
	};
	static const uint8_t free_[] = { 0, 0, 0, 6, 0, 0, 0, 0 };
	struct cd_pr_reservation r;

	CU_ASSERT_EQUAL(cd_pr_decode_reservation(held, sizeof(held), &r), 0);
	CU_ASSERT_TRUE(r.present);
	CU_ASSERT_EQUAL(r.key, 0x4344000100000001ull);
	CU_ASSERT_EQUAL(r.type, CD_PR_WERO);
	CU_ASSERT_EQUAL(r.generation, 3);

	CU_ASSERT_EQUAL(cd_pr_decode_reservation(free_, sizeof(free_), &r), 0);
	CU_ASSERT_FALSE(r.present);
	CU_ASSERT_EQUAL(r.generation, 6);

	/* A descriptor announced but cut short, a short length, no header. */
	CU_ASSERT_EQUAL(cd_pr_decode_reservation(held, 20, &r), -CD_PR_E_PROTO);
	CU_ASSERT_FALSE(r.present);
	{
		uint8_t odd[24];

		memcpy(odd, held, sizeof(odd));
		odd[7] = 8;
		CU_ASSERT_EQUAL(cd_pr_decode_reservation(odd, sizeof(odd), &r), -CD_PR_E_PROTO);
	}
	CU_ASSERT_EQUAL(cd_pr_decode_reservation(held, 4, &r), -CD_PR_E_PROTO);
}

static void
test_caps(void)
{
	/* tgt 1.0.85, as seen in notes/iscsi-pr: 00 08 00 80 ea 01 00 00 */
	static const uint8_t tgt[] = { 0x00, 0x08, 0x00, 0x80, 0xea, 0x01, 0x00, 0x00 };
	static const uint8_t ptpl[] = { 0x00, 0x08, 0x1d, 0x81, 0x20, 0x00, 0x00, 0x00 };
	struct cd_pr_caps c;

	CU_ASSERT_EQUAL(cd_pr_decode_caps(tgt, sizeof(tgt), &c), 0);
	CU_ASSERT_EQUAL(c.type_mask, 1u << 1 | 1u << 3 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8);
	CU_ASSERT_TRUE(c.tmv);
	CU_ASSERT_FALSE(c.ptpl_capable);
	CU_ASSERT_FALSE(c.ptpl_active);
	CU_ASSERT_FALSE(c.crh);

	CU_ASSERT_EQUAL(cd_pr_decode_caps(ptpl, sizeof(ptpl), &c), 0);
	CU_ASSERT_EQUAL(c.type_mask, 1u << CD_PR_WERO);
	CU_ASSERT_TRUE(c.ptpl_capable);
	CU_ASSERT_TRUE(c.ptpl_active);
	CU_ASSERT_TRUE(c.crh);
	CU_ASSERT_TRUE(c.sip_capable);
	CU_ASSERT_TRUE(c.atp_capable);

	CU_ASSERT_EQUAL(cd_pr_decode_caps(tgt, 7, &c), -CD_PR_E_PROTO);
	{
		uint8_t shortlen[8];

		memcpy(shortlen, tgt, 8);
		shortlen[1] = 4;
		CU_ASSERT_EQUAL(cd_pr_decode_caps(shortlen, 8, &c), -CD_PR_E_PROTO);
	}
}

static void
test_inquiry(void)
{
	uint8_t std[36];
	struct cd_pr_inquiry inq;

	memset(std, ' ', sizeof(std));
	std[0] = 0x00;
	memcpy(std + 8, "CLUSTERD", 8);
	memcpy(std + 16, "WITNESS", 7);
	memcpy(std + 32, "0001", 4);
	memset(&inq, 0, sizeof(inq));
	CU_ASSERT_EQUAL(cd_pr_decode_inquiry(std, sizeof(std), &inq), 0);
	CU_ASSERT_STRING_EQUAL(inq.vendor, "CLUSTERD");
	CU_ASSERT_STRING_EQUAL(inq.product, "WITNESS");
	CU_ASSERT_STRING_EQUAL(inq.revision, "0001");
	CU_ASSERT_EQUAL(inq.peripheral_type, 0);

	/* Unprintable bytes show as '?', NUL padding is trimmed. */
	memcpy(std + 8, "AB\x01" "C\0\0\0\0", 8);
	std[0] = 0x05;
	CU_ASSERT_EQUAL(cd_pr_decode_inquiry(std, sizeof(std), &inq), 0);
	CU_ASSERT_STRING_EQUAL(inq.vendor, "AB?C");
	CU_ASSERT_EQUAL(inq.peripheral_type, 5);

	CU_ASSERT_EQUAL(cd_pr_decode_inquiry(std, 35, &inq), -CD_PR_E_PROTO);
}

static void
test_serial(void)
{
	static const uint8_t page[] = { 0x00, 0x80, 0x00, 0x0a,
					' ', ' ', 't', 'p', '-', 'W', '1', ' ', ' ', ' ' };
	/* The length claims more than was sent. */
	static const uint8_t longer[] = { 0x00, 0x80, 0x00, 0x40, 'a', 'b', 'c' };
	static const uint8_t wrong[] = { 0x00, 0x83, 0x00, 0x02, 'a', 'b' };
	char buf[64], tiny[4];

	CU_ASSERT_EQUAL(cd_pr_decode_serial(page, sizeof(page), buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "tp-W1");
	CU_ASSERT_EQUAL(cd_pr_decode_serial(longer, sizeof(longer), buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "abc");
	CU_ASSERT_EQUAL(cd_pr_decode_serial(page, sizeof(page), tiny, sizeof(tiny)), 0);
	CU_ASSERT_STRING_EQUAL(tiny, "tp-");
	CU_ASSERT_EQUAL(cd_pr_decode_serial(wrong, sizeof(wrong), buf, sizeof(buf)), -CD_PR_E_PROTO);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(cd_pr_decode_serial(page, 3, buf, sizeof(buf)), -CD_PR_E_PROTO);
}

/* tgt 1.0.85's VPD 0x83 for tid 1, LUN 1: T10 "IET 00010001", NAA 3, NAA 6. */
static const uint8_t tgt_83[] = {
	0x00, 0x83, 0x00, 0x48, 0x02, 0x01, 0x00, 0x24, 0x49, 0x45, 0x54, 0x20,
	0x20, 0x20, 0x20, 0x20, 0x30, 0x30, 0x30, 0x31, 0x30, 0x30, 0x30, 0x31,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x08,
	0x30, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x03, 0x00, 0x10,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x01,
};

static void
test_device_id(void)
{
	/* A port designator (association 1) with a better type is ignored. */
	static const uint8_t port_eui[] = {
		0x00, 0x83, 0x00, 0x18,
		0x01, 0x12, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
		0x02, 0x01, 0x00, 0x08, 'V', 'E', 'N', 'D', ' ', ' ', 'x', ' ',
	};
	/* A designator whose length runs past the page. */
	static const uint8_t overrun[] = {
		0x00, 0x83, 0x00, 0x0c,
		0x02, 0x08, 0x00, 0x04, 'i', 'q', 'n', '.',
		0x01, 0x03, 0x00, 0x40,
	};
	char buf[128], tiny[10];

	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, sizeof(tgt_83), buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "naa.60000000000000000e00000000010001");
	/* Cut after the NAA 3: that one is taken. */
	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, 56, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "naa.3000000100000001");
	/* Only the T10 id. */
	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, 44, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "t10.IET_____00010001");

	CU_ASSERT_EQUAL(cd_pr_decode_device_id(port_eui, sizeof(port_eui), buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "t10.VEND__x");
	CU_ASSERT_EQUAL(cd_pr_decode_device_id(overrun, sizeof(overrun), buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "iqn.");

	/* A small buffer truncates the hex, never overflows. */
	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, sizeof(tgt_83), tiny, sizeof(tiny)), 0);
	CU_ASSERT_STRING_EQUAL(tiny, "naa.6000");

	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, 3, buf, sizeof(buf)), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(cd_pr_decode_device_id(tgt_83, 4, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	{
		uint8_t wrong[sizeof(tgt_83)];

		memcpy(wrong, tgt_83, sizeof(wrong));
		wrong[1] = 0x80;
		CU_ASSERT_EQUAL(cd_pr_decode_device_id(wrong, sizeof(wrong), buf, sizeof(buf)),
				-CD_PR_E_PROTO);
	}
}

static void
test_capacity(void)
{
	/* tgt, 64 MiB witness: last LBA 131071, 512-byte blocks. */
	static const uint8_t rc16[32] = { 0, 0, 0, 0, 0, 0x01, 0xff, 0xff, 0, 0, 0x02, 0x00 };
	static const uint8_t rc10[8] = { 0x00, 0x3f, 0xff, 0xff, 0, 0, 0x10, 0x00 };
	static const uint8_t zero_bs[12] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t huge_bs[12] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x20, 0, 0 };
	uint64_t blocks = 0;
	uint32_t bs = 0;

	CU_ASSERT_EQUAL(cd_pr_decode_capacity(rc16, sizeof(rc16), true, &blocks, &bs), 0);
	CU_ASSERT_EQUAL(blocks, 131072);
	CU_ASSERT_EQUAL(bs, 512);
	CU_ASSERT_EQUAL(cd_pr_decode_capacity(rc10, sizeof(rc10), false, &blocks, &bs), 0);
	CU_ASSERT_EQUAL(blocks, 0x400000);
	CU_ASSERT_EQUAL(bs, 4096);
	blocks = 7;
	CU_ASSERT_EQUAL(cd_pr_decode_capacity(zero_bs, 12, true, &blocks, &bs), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(cd_pr_decode_capacity(huge_bs, 12, true, &blocks, &bs), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(cd_pr_decode_capacity(rc16, 11, true, &blocks, &bs), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(cd_pr_decode_capacity(rc10, 7, false, &blocks, &bs), -CD_PR_E_PROTO);
	CU_ASSERT_EQUAL(blocks, 7);	/* untouched on failure */
}

static CU_TestInfo sense_tests[] = {
	{ "sense codes to errors", test_sense_mapping },
	{ "error names and texts", test_errors },
	{ "reservation types", test_types },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo decode_tests[] = {
	{ "READ KEYS", test_read_keys },
	{ "READ RESERVATION", test_reservation },
	{ "REPORT CAPABILITIES", test_caps },
	{ "standard INQUIRY", test_inquiry },
	{ "VPD 0x80 serial", test_serial },
	{ "VPD 0x83 device id", test_device_id },
	{ "READ CAPACITY", test_capacity },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "pr-sense", NULL, NULL, NULL, NULL, sense_tests },
	{ "pr-decode", NULL, NULL, NULL, NULL, decode_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
