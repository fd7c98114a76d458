/*
 * test_witness_disk.c - the witness LUN layout (lib/witness-disk.c):
 * checksums, round trips, torn and corrupted copies, slot alternation.
 */
#include "witness-disk.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t buf[64 * 1024];

static long
encode(uint64_t seq, uint64_t gen, const char *payload)
{
	struct cd_wd_header h = { .seq = seq, .generation = gen, .writer = 2,
				  .written_ms = 1234 };

	strcpy(h.uuid, "8c5f00112233445566778899aabbccdd");
	return cd_wd_encode(&h, payload, strlen(payload), 512, buf, sizeof(buf));
}

static void
test_crc32(void)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	CU_ASSERT_EQUAL(cd_wd_crc32("123456789", 9), 0xcbf43926u);
	CU_ASSERT_EQUAL(cd_wd_crc32("", 0), 0u);
}

static void
test_round_trip(void)
{
	const char *doc = "{\"generation\":7}";
	struct cd_wd_header h;
	long n = encode(3, 7, doc);

	CU_ASSERT_EQUAL(n, 1024);
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf, (size_t)n, &h), 0);
	CU_ASSERT_EQUAL(h.seq, 3);
	CU_ASSERT_EQUAL(h.generation, 7);
	CU_ASSERT_EQUAL(h.length, strlen(doc));
	CU_ASSERT_EQUAL(h.writer, 2);
	CU_ASSERT_EQUAL(h.written_ms, 1234);
	CU_ASSERT_STRING_EQUAL(h.uuid, "8c5f00112233445566778899aabbccdd");
	CU_ASSERT_EQUAL(cd_wd_check_payload(&h, buf + CD_WD_HDR_BYTES,
					    (size_t)n - CD_WD_HDR_BYTES), 0);
	CU_ASSERT_EQUAL(memcmp(buf + CD_WD_HDR_BYTES, doc, strlen(doc)), 0);
}

static void
test_rejects(void)
{
	struct cd_wd_header h;
	long n = encode(1, 1, "{}");

	memset(buf + 2048, 0, 512);
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf + 2048, 512, &h), -ENODATA);
	/* corrupted header byte */
	buf[20] ^= 1;
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf, (size_t)n, &h), -EBADMSG);
	buf[20] ^= 1;
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf, (size_t)n, &h), 0);
	/* torn write: new header, old payload */
	buf[CD_WD_HDR_BYTES] = '[';
	CU_ASSERT_EQUAL(cd_wd_check_payload(&h, buf + CD_WD_HDR_BYTES, 512), -EBADMSG);
	/* foreign magic */
	buf[0] = 'X';
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf, (size_t)n, &h), -EPROTO);
	CU_ASSERT_EQUAL(cd_wd_decode_header(buf, 100, &h), -EMSGSIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(cd_wd_strerror(-EBADMSG), "checksum"));
}

static void
test_encode_limits(void)
{
	struct cd_wd_header h = { .seq = 1 };
	static uint8_t big[CD_WD_PAYLOAD_MAX + 1];

	CU_ASSERT_EQUAL(cd_wd_encode(&h, "x", 1, 100, buf, sizeof(buf)), -EINVAL);
	CU_ASSERT_EQUAL(cd_wd_encode(&h, big, sizeof(big), 512, buf, sizeof(buf)), -E2BIG);
	CU_ASSERT_EQUAL(cd_wd_encode(&h, big, 100000, 512, buf, sizeof(buf)), -E2BIG);
	memset(h.uuid, 'a', CD_WD_UUID_MAX);
	CU_ASSERT_EQUAL(cd_wd_encode(&h, "x", 1, 512, buf, sizeof(buf)), -EINVAL);
}

static void
test_slots(void)
{
	struct cd_wd_slot s[2] = { { .rc = -ENODATA }, { .rc = -ENODATA } };

	CU_ASSERT_EQUAL(cd_wd_newest(s), -1);
	CU_ASSERT_EQUAL(cd_wd_next_slot(s), 0);
	CU_ASSERT_EQUAL(cd_wd_next_seq(s), 1);
	s[0].rc = 0; s[0].h.seq = 1;
	CU_ASSERT_EQUAL(cd_wd_newest(s), 0);
	CU_ASSERT_EQUAL(cd_wd_next_slot(s), 1);
	CU_ASSERT_EQUAL(cd_wd_next_seq(s), 2);
	s[1].rc = 0; s[1].h.seq = 2;
	CU_ASSERT_EQUAL(cd_wd_newest(s), 1);
	CU_ASSERT_EQUAL(cd_wd_next_slot(s), 0);
	/* the newer copy is torn: the older one is still valid and used */
	s[1].rc = -EBADMSG;
	CU_ASSERT_EQUAL(cd_wd_newest(s), 0);
	CU_ASSERT_EQUAL(cd_wd_next_slot(s), 1);
	CU_ASSERT_EQUAL(cd_wd_next_seq(s), 2);
}

static void
test_heartbeat(void)
{
	struct cd_wd_heartbeat hb = { .owner = 3, .counter = 99, .ring_seq = 12 }, out;

	CU_ASSERT_EQUAL(cd_wd_hb_encode(&hb, buf, 100), -EINVAL);
	CU_ASSERT_EQUAL(cd_wd_hb_encode(&hb, buf, 512), 0);
	CU_ASSERT_EQUAL(cd_wd_hb_decode(buf, 512, &out), 0);
	CU_ASSERT_EQUAL(out.owner, 3);
	CU_ASSERT_EQUAL(out.counter, 99);
	CU_ASSERT_EQUAL(out.ring_seq, 12);
	buf[17] ^= 0x40;
	CU_ASSERT_EQUAL(cd_wd_hb_decode(buf, 512, &out), -EBADMSG);
	memset(buf, 0, 512);
	CU_ASSERT_EQUAL(cd_wd_hb_decode(buf, 512, &out), -ENODATA);
}

static void
test_witness_wanted(void)
{
	const char *u = "iscsi://10.78.0.254:3260/iqn.2026-11.lab.x:store/1";

	/* auto: the witness votes with an even node count only (WSFC) */
	CU_ASSERT_TRUE(cd_witness_wanted("auto", u, 2));
	CU_ASSERT_TRUE(cd_witness_wanted("auto", u, 4));
	CU_ASSERT_FALSE(cd_witness_wanted("auto", u, 3));
	CU_ASSERT_FALSE(cd_witness_wanted("auto", u, 1));
	/* node and disk majority: always, with a witness */
	CU_ASSERT_TRUE(cd_witness_wanted("node-disk-majority", u, 3));
	CU_ASSERT_TRUE(cd_witness_wanted("node-disk-majority", u, 2));
	/* node majority, or no witness: never */
	CU_ASSERT_FALSE(cd_witness_wanted("node-majority", u, 2));
	CU_ASSERT_FALSE(cd_witness_wanted("auto", "", 2));
	CU_ASSERT_FALSE(cd_witness_wanted("node-disk-majority", NULL, 2));
	CU_ASSERT_FALSE(cd_witness_wanted(NULL, u, 2));
	CU_ASSERT_FALSE(cd_witness_wanted("bogus", u, 2));
}

static CU_TestInfo wd_tests[] = {
	{ "which mode uses the witness", test_witness_wanted },
	{ "crc32 check value", test_crc32 },
	{ "encode/decode round trip", test_round_trip },
	{ "blank, corrupted, torn, foreign", test_rejects },
	{ "encode limits", test_encode_limits },
	{ "slot choice alternates", test_slots },
	{ "heartbeat block", test_heartbeat },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "witness-disk", NULL, NULL, NULL, NULL, wd_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
