/*
 * test_cpgmsg.c - unit tests of the CPG message codec (lib/cpgmsg.c).
 *
 * Raw messages are framed here byte by byte, independently of the codec,
 * in heap buffers of exactly the message size so that ASan sees any read
 * past the end.
 */
#include "cpgmsg.h"
#include "state.h"
#include "error.h"
#include "unit.h"
#include "unit-fuzz.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MALFORMED	(-CD_E_PROTO_MALFORMED)
#define HDR		CD_CPG_HDR_SIZE

static const char change_json[] =
	"{\"req\":7,\"origin\":2,\"ops\":[{\"op\":\"set\",\"path\":"
	"\"config.properties.x\",\"value\":{\"a\":[1,\"b\",null,2.5]}},"
	"{\"op\":\"delete\",\"path\":\"config.properties.y\"}]}";
static const char offer_json[] =
	"{\"generation\":12,\"hash\":\"0123456789abcdef\",\"uuid\":\"u-1\"}";
static const char state_json[] =
	"{\"to_generation\":3,\"state\":{\"format\":1}}";

/* ---- helpers ---- */

static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static void
le16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

/* Frame len payload bytes with the given type (caller frees). */
static unsigned char *
raw_frame(uint16_t type, const void *payload, size_t len, size_t *size)
{
	unsigned char *m = malloc(HDR + len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	le32(m, CD_CPG_MAGIC);
	le16(m + 4, CD_CPG_VERSION);
	le16(m + 6, type);
	le32(m + 8, (uint32_t)len);
	le32(m + 12, 0);
	if (len)
		memcpy(m + HDR, payload, len);
	*size = HDR + len;
	return m;
}

static unsigned char *
raw_msg(uint16_t type, const char *json, size_t *size)
{
	return raw_frame(type, json, strlen(json), size);
}

/* Decode into a struct full of garbage; on failure it must come back empty. */
static int
decode(const void *buf, size_t len)
{
	struct cd_cpg_msg m;
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = cd_cpg_decode(buf, len, &m);
	if (rc < 0) {
		CU_ASSERT_TRUE(cd_unit_all_zero(&m, sizeof(m)));
	} else {
		CU_ASSERT_TRUE(json_object_is_type(m.body, json_type_object));
		cd_cpg_msg_clear(&m);
	}
	return rc;
}

static int
decode_json(uint16_t type, const char *json)
{
	size_t size;
	unsigned char *m = raw_msg(type, json, &size);
	int rc = decode(m, size);

	free(m);
	return rc;
}

/* ---- round trips ---- */

static void
roundtrip(enum cd_cpg_type type, const char *json)
{
	json_object *body = parse(json), *wire;
	struct cd_cpg_msg m;
	unsigned char *buf;
	size_t len = 0;
	char *text;

	buf = cd_cpg_encode(type, body, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	/* The header, read independently of the codec. */
	CU_ASSERT_FATAL(len > HDR);
	CU_ASSERT_EQUAL(memcmp(buf, "CDM1", 4), 0);
	CU_ASSERT_EQUAL(buf[4], 1);
	CU_ASSERT_EQUAL(buf[5], 0);
	CU_ASSERT_EQUAL(buf[6], type);
	CU_ASSERT_EQUAL(buf[7], 0);
	CU_ASSERT_EQUAL(buf[8] | buf[9] << 8 | buf[10] << 16 |
			(uint32_t)buf[11] << 24, len - HDR);
	CU_ASSERT_TRUE(cd_unit_all_zero(buf + 12, 4));
	/* The payload: NUL-free JSON equal to the body. */
	CU_ASSERT_PTR_NULL(memchr(buf + HDR, '\0', len - HDR));
	text = strndup((char *)buf + HDR, len - HDR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	wire = json_tokener_parse(text);
	CU_ASSERT_TRUE(json_object_equal(wire, body));
	json_object_put(wire);
	free(text);

	memset(&m, 0xa5, sizeof(m));
	CU_ASSERT_EQUAL_FATAL(cd_cpg_decode(buf, len, &m), 0);
	CU_ASSERT_EQUAL(m.type, type);
	CU_ASSERT_TRUE(json_object_equal(m.body, body));
	cd_cpg_msg_clear(&m);
	CU_ASSERT_PTR_NULL(m.body);
	CU_ASSERT_EQUAL(m.type, 0);
	cd_cpg_msg_clear(&m);
	/* body is borrowed: ours is the only reference again. */
	CU_ASSERT_EQUAL(json_object_put(body), 1);
	free(buf);
}

static void
test_roundtrip_change(void)
{
	roundtrip(CD_CPG_CHANGE, change_json);
	roundtrip(CD_CPG_CHANGE, "{\"req\":18446744073709551615,\"origin\":4294967295,"
		  "\"ops\":[{\"op\":\"x\",\"path\":\"\"}]}");
}

static void
test_roundtrip_offer(void)
{
	roundtrip(CD_CPG_SYNC_OFFER, offer_json);
	/* A node without a state offers generation 0, hash 0, uuid "". */
	roundtrip(CD_CPG_SYNC_OFFER, "{\"generation\":0,\"hash\":\"0000000000000000\","
		  "\"uuid\":\"\"}");
}

/* A whole state travels and is adopted with the same hash. */
static void
test_roundtrip_state(void)
{
	struct cd_state a = { 0 }, b = { 0 };
	json_object *body, *ops;
	struct cd_cpg_msg m;
	char err[256];
	size_t len;
	void *buf;

	roundtrip(CD_CPG_SYNC_STATE, state_json);

	CU_ASSERT_EQUAL_FATAL(cd_state_init(&a, "prod", "u-1"), 0);
	ops = parse("[{\"op\":\"set\",\"path\":\"config.nodes.n1\",\"value\":"
		    "{\"id\":1,\"addr\":\"10.0.0.1\"}},{\"op\":\"set\",\"path\":"
		    "\"config.resources.web\",\"value\":{\"url\":\"http://x/\",\"w\":0.1}}]");
	CU_ASSERT_EQUAL_FATAL(cd_state_apply(&a, ops, err, sizeof(err)), 0);
	json_object_put(ops);
	body = json_object_new_object();
	json_object_object_add(body, "to_generation", json_object_new_int64(1));
	json_object_object_add(body, "state", json_object_get(a.doc));
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	json_object_put(body);
	CU_ASSERT_EQUAL_FATAL(cd_cpg_decode(buf, len, &m), 0);
	CU_ASSERT_EQUAL_FATAL(cd_state_set_doc(&b, json_object_object_get(m.body, "state"),
					       err, sizeof(err)), 0);
	cd_cpg_msg_clear(&m);
	CU_ASSERT_EQUAL(cd_state_generation(&b), 1);
	CU_ASSERT_EQUAL(cd_state_hash(&b), cd_state_hash(&a));
	CU_ASSERT_TRUE(json_object_equal(a.doc, b.doc));
	free(buf);
	cd_state_clear(&a);
	cd_state_clear(&b);
}

static void
test_type_str(void)
{
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str(CD_CPG_CHANGE), "change");
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str(CD_CPG_SYNC_OFFER), "sync-offer");
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str(CD_CPG_SYNC_STATE), "sync-state");
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str(CD_CPG_EPHEMERAL), "ephemeral");
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str((enum cd_cpg_type)0), "unknown");
	CU_ASSERT_STRING_EQUAL(cd_cpg_type_str((enum cd_cpg_type)99), "unknown");
}

/* ---- encoder checks ---- */

struct ecase {
	int type;
	const char *json;	/* NULL: no body */
};

static const struct ecase encode_rejects[] = {
	{ CD_CPG_CHANGE, NULL },
	{ 0, offer_json },
	{ 4, offer_json },
	{ -1, offer_json },
	{ CD_CPG_SYNC_STATE, offer_json },	/* wrong schema for the type */
	{ CD_CPG_CHANGE, offer_json },
	{ CD_CPG_SYNC_OFFER, state_json },
	{ CD_CPG_SYNC_OFFER, "[1]" },
	{ CD_CPG_SYNC_OFFER, "\"str\"" },
	{ CD_CPG_CHANGE, "{\"req\":0,\"origin\":1,\"ops\":[{\"op\":\"set\",\"path\":\"p\"}]}" },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[]}" },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789ABCDEF\",\"uuid\":\"u\"}" },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":1,\"state\":[]}" },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":1,\"state\":{\"x\":NaN}}" },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":1,\"state\":{\"x\":[Infinity]}}" },
	/* Bytes the receivers' UTF-8 check would refuse. */
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":1,\"state\":{\"x\":\"\xff\"}}" },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789abcdef\",\"uuid\":\"\xc3\"}" },
};

static void
test_encode_rejects(void)
{
	size_t i, len;

	for (i = 0; i < N_ELEMS(encode_rejects); i++) {
		const struct ecase *c = &encode_rejects[i];
		json_object *body = c->json ? parse(c->json) : NULL;
		void *buf;

		errno = 0;
		buf = cd_cpg_encode((enum cd_cpg_type)c->type, body, &len);
		if (buf || errno != EINVAL)
			fprintf(stderr, "\n  encode case %zu: %p errno %d\n", i, buf, errno);
		CU_ASSERT_PTR_NULL(buf);
		CU_ASSERT_EQUAL(errno, EINVAL);
		free(buf);
		if (body)
			CU_ASSERT_EQUAL(json_object_put(body), 1);
	}
	errno = 0;
	CU_ASSERT_PTR_NULL(cd_cpg_encode(CD_CPG_SYNC_OFFER, NULL, NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

/* The body nesting a SYNC_STATE needs for a deepest valid state, no more. */
static void
test_encode_depth(void)
{
	json_object *body = json_object_new_object();
	size_t len;
	void *buf;

	json_object_object_add(body, "to_generation", json_object_new_int(0));
	json_object_object_add(body, "state", cd_unit_nested(CD_STATE_MAX_DEPTH));
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	CU_ASSERT_PTR_NOT_NULL(buf);
	CU_ASSERT_EQUAL(decode(buf, len), 0);
	free(buf);

	json_object_object_add(body, "state", cd_unit_nested(CD_STATE_MAX_DEPTH + 1));
	errno = 0;
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, &len);
	CU_ASSERT_PTR_NULL(buf);
	CU_ASSERT_EQUAL(errno, EINVAL);
	free(buf);
	json_object_put(body);
}

/* A SYNC_STATE body padded to pad bytes of string. */
static void *
encode_padded(size_t pad, size_t *len)
{
	json_object *body = parse(state_json), *state;
	char *s = malloc(pad + 1);
	void *buf;
	int saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(s, 'x', pad);
	s[pad] = '\0';
	state = json_object_object_get(body, "state");
	json_object_object_add(state, "pad", json_object_new_string(s));
	free(s);
	buf = cd_cpg_encode(CD_CPG_SYNC_STATE, body, len);
	saved = errno;
	json_object_put(body);
	errno = saved;
	return buf;
}

/* Messages of exactly CD_CPG_MAX_MSG bytes pass; one byte more does not. */
static void
test_size_limit(void)
{
	size_t base = 0, len = 0, pad;
	unsigned char *buf;

	buf = encode_padded(0, &base);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	free(buf);
	pad = CD_CPG_MAX_MSG - base;
	buf = encode_padded(pad, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(len, CD_CPG_MAX_MSG);
	CU_ASSERT_EQUAL(decode(buf, len), 0);

	/* The decoder refuses a message one byte longer as too big. */
	{
		unsigned char *big = malloc(len + 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		memcpy(big, buf, len);
		big[len - 1] = ' ';
		big[len] = '}';
		le32(big + 8, (uint32_t)(len + 1 - HDR));
		CU_ASSERT_EQUAL(decode(big, len + 1), -CD_E_PROTO_TOO_BIG);
		free(big);
	}
	free(buf);

	errno = 0;
	buf = encode_padded(pad + 1, &len);
	CU_ASSERT_PTR_NULL(buf);
	CU_ASSERT_EQUAL(errno, EMSGSIZE);
	free(buf);
}

/* ---- framing ---- */

static void
test_framing_short(void)
{
	size_t size, s;
	unsigned char *full = raw_msg(CD_CPG_SYNC_OFFER, offer_json, &size);

	CU_ASSERT_EQUAL(decode(full, size), 0);
	CU_ASSERT_EQUAL(decode(NULL, size), MALFORMED);
	for (s = 0; s <= HDR; s++) {
		unsigned char *part = malloc(s ? s : 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(part);
		memcpy(part, full, s);
		/* A complete header of an empty payload still lacks JSON. */
		if (s == HDR)
			le32(part + 8, 0);
		CU_ASSERT_EQUAL(decode(part, s), MALFORMED);
		free(part);
	}
	free(full);
}

struct hcase {
	size_t at;		/* byte offset in the header */
	unsigned char value;
	int rc;
};

/* One-byte changes of a valid header and what each must give. */
static const struct hcase header_cases[] = {
	{ 0, 0x42, MALFORMED }, { 1, 0x00, MALFORMED }, { 2, 0x4e, MALFORMED },
	{ 3, 0x32, MALFORMED }, { 3, 0xb1, MALFORMED },
	{ 4, 0x00, -CD_E_PROTO_VERSION }, { 4, 0x02, -CD_E_PROTO_VERSION },
	{ 5, 0x01, -CD_E_PROTO_VERSION }, { 4, 0xff, -CD_E_PROTO_VERSION },
	{ 6, 0x00, -CD_E_UNKNOWN_CMD }, { 6, 0x09, -CD_E_UNKNOWN_CMD },
	{ 6, 0xff, -CD_E_UNKNOWN_CMD }, { 7, 0x01, -CD_E_UNKNOWN_CMD },
	{ 6, CD_CPG_CHANGE, MALFORMED },	/* an offer is no change */
	{ 6, CD_CPG_SYNC_STATE, MALFORMED },
	{ 6, CD_CPG_ACK, MALFORMED },		/* no epoch */
	{ 6, CD_CPG_VIEW_CLAIM, MALFORMED },
	{ 6, CD_CPG_EPHEMERAL, MALFORMED },	/* no ops */
	{ 6, CD_CPG_WITNESS_ACK, MALFORMED },	/* no epoch */
	{ 9, 0x01, MALFORMED }, { 10, 0x01, MALFORMED }, { 11, 0x80, MALFORMED },
	{ 12, 0x01, MALFORMED }, { 13, 0x01, MALFORMED }, { 14, 0x01, MALFORMED },
	{ 15, 0x80, MALFORMED },
};

static void
test_framing_header(void)
{
	size_t size, i;
	unsigned char *good = raw_msg(CD_CPG_SYNC_OFFER, offer_json, &size);

	for (i = 0; i < N_ELEMS(header_cases); i++) {
		const struct hcase *c = &header_cases[i];
		unsigned char *m = malloc(size);
		int rc;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		memcpy(m, good, size);
		m[c->at] = c->value;
		rc = decode(m, size);
		if (rc != c->rc)
			fprintf(stderr, "\n  header case %zu: got %d want %d\n", i, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
		free(m);
	}
	free(good);
}

/* The length field must match the buffer exactly. */
static void
test_framing_length(void)
{
	static const int64_t deltas[] = { -1, 1, 16, -16, 0x10000 };
	size_t size, i;
	unsigned char *m = raw_msg(CD_CPG_CHANGE, change_json, &size);

	for (i = 0; i < N_ELEMS(deltas); i++) {
		le32(m + 8, (uint32_t)((int64_t)(size - HDR) + deltas[i]));
		CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	}
	le32(m + 8, 0xffffffffu);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	/* Big-endian length is not ours. */
	m[8] = 0; m[9] = 0; m[10] = (size - HDR) >> 8; m[11] = (size - HDR) & 0xff;
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	le32(m + 8, (uint32_t)(size - HDR));
	CU_ASSERT_EQUAL(decode(m, size), 0);
	/* A buffer shorter than the message it announces. */
	CU_ASSERT_EQUAL(decode(m, size - 1), MALFORMED);
	free(m);
}

static void
test_framing_nul(void)
{
	char payload[sizeof(offer_json) + 1];
	size_t size;
	unsigned char *m;

	memcpy(payload, offer_json, sizeof(offer_json));
	m = raw_frame(CD_CPG_SYNC_OFFER, payload, sizeof(offer_json), &size);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);	/* trailing NUL */
	free(m);
	memcpy(payload, offer_json, sizeof(offer_json) - 1);
	payload[5] = '\0';
	m = raw_frame(CD_CPG_SYNC_OFFER, payload, sizeof(offer_json) - 1, &size);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	free(m);
}

/* ---- bodies ---- */

struct pcase {
	uint16_t type;
	const char *json;
	int rc;
};

#define OPS1	"[{\"op\":\"set\",\"path\":\"config.a\",\"value\":1}]"
#define HASH	"\"0123456789abcdef\""

static const struct pcase payload_cases[] = {
	/* CHANGE */
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":" OPS1 "}", 0 },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":" OPS1 ",\"extra\":[]}", 0 },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[{\"op\":\"?\",\"path\":\"..\"}]}", 0 },
	{ CD_CPG_CHANGE, "{\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":0,\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":-1,\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":\"1\",\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1.0,\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":null,\"origin\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":18446744073709551615,\"origin\":1,\"ops\":" OPS1 "}", 0 },
	{ CD_CPG_CHANGE, "{\"req\":1,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":0,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":-3,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":4294967296,\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":4294967295,\"ops\":" OPS1 "}", 0 },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":\"1\",\"ops\":" OPS1 "}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[]}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":{}}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[1]}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[" "{\"op\":\"set\",\"path\":\"a\"},null]}",
	  MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[{\"op\":\"set\"}]}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[{\"path\":\"a\"}]}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[{\"op\":1,\"path\":\"a\"}]}", MALFORMED },
	{ CD_CPG_CHANGE, "{\"req\":1,\"origin\":1,\"ops\":[{\"op\":\"set\",\"path\":[]}]}",
	  MALFORMED },
	/* EPHEMERAL: the ops' shape only (state-overlay.h judges them) */
	{ CD_CPG_EPHEMERAL, "{\"ops\":" OPS1 "}", 0 },
	{ CD_CPG_EPHEMERAL, "{\"ops\":[]}", MALFORMED },
	{ CD_CPG_EPHEMERAL, "{\"ops\":[{\"op\":\"set\"}]}", MALFORMED },
	{ CD_CPG_EPHEMERAL, "{}", MALFORMED },
	/* SYNC_OFFER */
	{ CD_CPG_SYNC_OFFER, "{\"generation\":0,\"hash\":" HASH ",\"uuid\":\"\"}", 0 },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":18446744073709551615,\"hash\":" HASH
	  ",\"uuid\":\"012345678901234567890123456789012345678\"}", 0 },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":3,\"epoch\":2,\"promised\":5,\"hash\":" HASH
	  ",\"uuid\":\"u\"}", 0 },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":3,\"promised\":-5,\"hash\":" HASH
	  ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":3,\"promised\":\"5\",\"hash\":" HASH
	  ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"hash\":" HASH ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":-1,\"hash\":" HASH ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":\"1\",\"hash\":" HASH ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1.5,\"hash\":" HASH ",\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789ABCDEF\",\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789abcde\",\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789abcdef0\",\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789abcdeg\",\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0x23456789abcdef\",\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":\"0123456789abcd\\u0000f\","
	  "\"uuid\":\"u\"}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":81985529216486895,\"uuid\":\"u\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":" HASH "}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":" HASH ",\"uuid\":5}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":" HASH ",\"uuid\":null}", MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":" HASH ",\"uuid\":\"a\\u0000b\"}",
	  MALFORMED },
	{ CD_CPG_SYNC_OFFER, "{\"generation\":1,\"hash\":" HASH
	  ",\"uuid\":\"0123456789012345678901234567890123456789\"}", MALFORMED },
	/* VIEW_CLAIM: the epoch, and the witness copy when newer (sync.h S7) */
	{ CD_CPG_VIEW_CLAIM, "{\"epoch\":3}", 0 },
	{ CD_CPG_VIEW_CLAIM, "{\"epoch\":3,\"state\":{\"generation\":9}}", 0 },
	{ CD_CPG_VIEW_CLAIM, "{\"epoch\":0}", MALFORMED },
	{ CD_CPG_VIEW_CLAIM, "{\"epoch\":3,\"state\":[]}", MALFORMED },
	{ CD_CPG_VIEW_CLAIM, "{\"epoch\":3,\"state\":null}", MALFORMED },
	{ CD_CPG_VIEW_CLAIM, "{\"state\":{}}", MALFORMED },
	/* WITNESS_ACK */
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":3,\"generation\":9}", 0 },
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":3,\"generation\":0}", 0 },
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":0,\"generation\":9}", MALFORMED },
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":3}", MALFORMED },
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":3,\"generation\":-1}", MALFORMED },
	{ CD_CPG_WITNESS_ACK, "{\"epoch\":\"3\",\"generation\":9}", MALFORMED },
	/* SYNC_STATE: the document itself is for cd_state_set_doc to judge */
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{}}", 0 },
	{ CD_CPG_SYNC_STATE, "{\"state\":{}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":-1,\"state\":{}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":\"3\",\"state\":{}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":3}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":3,\"state\":null}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":3,\"state\":[]}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":3,\"state\":\"{}\"}", MALFORMED },
	/* any type: one strict JSON object, finite numbers */
	{ CD_CPG_SYNC_STATE, "[]", MALFORMED },
	{ CD_CPG_SYNC_STATE, "\"x\"", MALFORMED },
	{ CD_CPG_SYNC_STATE, "7 ", MALFORMED },
	{ CD_CPG_SYNC_STATE, "null", MALFORMED },
	{ CD_CPG_SYNC_STATE, " {\"to_generation\" : 0 ,\n\t\"state\":{ } } ", 0 },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{}} x", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{}}{}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{},}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":'b'}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":[1,]}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":\"\xff\"}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":\"\xe2\x82\"}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":\"\xe2\x82\xac\"}}", 0 },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":NaN}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":[Infinity]}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":-Infinity}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":1e999}}", MALFORMED },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":1e300}}", 0 },
	{ CD_CPG_SYNC_STATE, "{\"to_generation\":0,\"state\":{\"a\":\"\\u0000\"}}", 0 },
};

static void
test_payload_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(payload_cases); i++) {
		const struct pcase *c = &payload_cases[i];
		int rc = decode_json(c->type, c->json);

		if (rc != c->rc)
			fprintf(stderr, "\n  case %zu (%s) %s: got %d, want %d\n", i,
				cd_cpg_type_str(c->type), c->json, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
	}
}

/* 64 operations pass the decoder, 65 do not. */
static void
test_payload_op_count(void)
{
	json_object *body = parse("{\"req\":1,\"origin\":1,\"ops\":[]}");
	json_object *ops = json_object_object_get(body, "ops");
	size_t size;
	unsigned char *m;
	int i;

	for (i = 0; i < CD_STATE_MAX_OPS; i++)
		json_object_array_add(ops, parse("{\"op\":\"delete\",\"path\":\"config.x\"}"));
	m = raw_msg(CD_CPG_CHANGE, json_object_to_json_string(body), &size);
	CU_ASSERT_EQUAL(decode(m, size), 0);
	free(m);
	json_object_array_add(ops, parse("{\"op\":\"delete\",\"path\":\"config.x\"}"));
	m = raw_msg(CD_CPG_CHANGE, json_object_to_json_string(body), &size);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	free(m);
	json_object_put(body);
}

/* A state of the deepest valid kind passes; one level more does not. */
static void
test_payload_depth(void)
{
	json_object *body = parse("{\"to_generation\":0}");
	size_t size;
	unsigned char *m;

	json_object_object_add(body, "state", cd_unit_nested(CD_STATE_MAX_DEPTH));
	m = raw_msg(CD_CPG_SYNC_STATE, json_object_to_json_string(body), &size);
	CU_ASSERT_EQUAL(decode(m, size), 0);
	free(m);
	json_object_object_add(body, "state", cd_unit_nested(CD_STATE_MAX_DEPTH + 1));
	m = raw_msg(CD_CPG_SYNC_STATE, json_object_to_json_string(body), &size);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	free(m);
	json_object_object_add(body, "state", cd_unit_nested(200));
	m = raw_msg(CD_CPG_SYNC_STATE,
		    json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN), &size);
	CU_ASSERT_EQUAL(decode(m, size), MALFORMED);
	free(m);
	json_object_put(body);
}

/* ---- mutation fuzzing ---- */

#define FUZZ_ROUNDS	2000
#define FUZZ_SLACK	64

struct fuzz_stats {
	unsigned ok[4];
	unsigned rejected;
	unsigned applied, refused;	/* CHANGE ops on a scratch state */
	unsigned adopted;		/* SYNC_STATE documents that validate */
	unsigned bad;			/* contract violations */
};

/* A decoded message re-encodes to the same body. */
static bool
reencodes(const struct cd_cpg_msg *m)
{
	struct cd_cpg_msg again;
	size_t len;
	bool same;
	void *buf = cd_cpg_encode(m->type, m->body, &len);

	if (!buf || cd_cpg_decode(buf, len, &again) < 0) {
		free(buf);
		return false;
	}
	same = again.type == m->type && json_object_equal(again.body, m->body);
	cd_cpg_msg_clear(&again);
	free(buf);
	return same;
}

/* Apply a decoded CHANGE: all or nothing, and +1 generation on success. */
static bool
change_contract(json_object *body, struct fuzz_stats *st)
{
	struct cd_state s = { 0 };
	uint64_t hash;
	char err[256];
	bool good;
	int rc;

	if (cd_state_init(&s, "fuzz", "fuzz-uuid") < 0)
		return false;
	hash = cd_state_hash(&s);
	rc = cd_state_apply(&s, json_object_object_get(body, "ops"), err, sizeof(err));
	if (rc == 0) {
		st->applied++;
		good = cd_state_generation(&s) == 1 && cd_state_hash(&s) != hash;
	} else {
		st->refused++;
		good = rc == -CD_E_BAD_ARGS && err[0] &&
		       cd_state_generation(&s) == 0 && cd_state_hash(&s) == hash;
	}
	cd_state_clear(&s);
	return good;
}

static bool
state_contract(json_object *body, struct fuzz_stats *st)
{
	struct cd_state s = { 0 };
	char err[256];
	int rc = cd_state_set_doc(&s, json_object_object_get(body, "state"), err,
				  sizeof(err));

	if (rc == 0)
		st->adopted++;
	cd_state_clear(&s);
	return rc == 0 || (rc == -CD_E_STATE_INVALID && err[0]);
}

static void
fuzz_one(const unsigned char *buf, size_t len, struct fuzz_stats *st)
{
	struct cd_cpg_msg m;
	bool good;
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = cd_cpg_decode(buf, len, &m);
	if (rc == 0) {
		st->ok[m.type]++;
		good = json_object_is_type(m.body, json_type_object) && reencodes(&m);
		if (m.type == CD_CPG_CHANGE)
			good = good && change_contract(m.body, st);
		else if (m.type == CD_CPG_SYNC_STATE)
			good = good && state_contract(m.body, st);
		cd_cpg_msg_clear(&m);
	} else {
		st->rejected++;
		good = cd_unit_all_zero(&m, sizeof(m)) &&
		       (rc == MALFORMED || rc == -CD_E_PROTO_VERSION ||
			rc == -CD_E_PROTO_TOO_BIG || rc == -CD_E_UNKNOWN_CMD);
	}
	if (!good) {
		st->bad++;
		fprintf(stderr, "\n  fuzz: rc %d broke the contract\n", rc);
	}
}

static void
mutate(unsigned char *buf, size_t *len, size_t cap)
{
	/* nine draws: the JSON-ish byte twice as likely; the last retargets */
	static const int pick[] = {
		CD_MUT_FLIP, CD_MUT_RANDOM, CD_MUT_JSONISH, CD_MUT_JSONISH, CD_MUT_TRUNCATE,
		CD_MUT_APPEND, CD_MUT_DELETE, CD_MUT_DUPLICATE, -1,
	};
	int m = pick[cd_unit_rnd(9)];

	if (m >= 0)
		cd_unit_mutate(buf, len, HDR, cap, (enum cd_unit_mutation)m,
			       "{}[]\":,\\ 0-1.etnuflasNI\x80\xff");
	else	/* retarget to another type */
		le16(buf + 6, (uint16_t)(1 + cd_unit_rnd(3)));
}

static void
test_fuzz_mutations(void)
{
	static const char *const seeds_json[] = {
		change_json,
		"{\"req\":3,\"origin\":1,\"ops\":[{\"op\":\"set\",\"path\":"
		"\"config.nodes.n1\",\"value\":{\"id\":1,\"addr\":\"a\"}},"
		"{\"op\":\"set\",\"path\":\"runtime.fences\",\"value\":[1]}]}",
		offer_json,
		"{\"to_generation\":1,\"state\":{\"format\":1,\"uuid\":\"u\","
		"\"generation\":1,\"config\":{\"cluster_name\":\"c\",\"nodes\":"
		"{\"n1\":{\"id\":1,\"addr\":\"a\"}},\"quorum\":{},\"properties\":{},"
		"\"roles\":{},\"resources\":{},\"volumes\":{}},\"runtime\":"
		"{\"resources\":{},\"fences\":[]}}}",
	};
	static const uint16_t seed_type[] = {
		CD_CPG_CHANGE, CD_CPG_CHANGE, CD_CPG_SYNC_OFFER, CD_CPG_SYNC_STATE,
	};
	struct fuzz_stats st;
	size_t s;
	int t;

	memset(&st, 0, sizeof(st));
	cd_unit_seed(0x2545f491u);
	for (s = 0; s < N_ELEMS(seeds_json); s++) {
		size_t seed_len;
		unsigned char *seed = raw_msg(seed_type[s], seeds_json[s], &seed_len);
		unsigned round;

		CU_ASSERT_EQUAL_FATAL(decode(seed, seed_len), 0);
		for (round = 0; round < FUZZ_ROUNDS; round++) {
			size_t cap = seed_len + FUZZ_SLACK, len = seed_len;
			unsigned char *work = malloc(cap), *exact;
			unsigned m, n_mut = 1 + cd_unit_rnd(4);

			CU_ASSERT_PTR_NOT_NULL_FATAL(work);
			memcpy(work, seed, len);
			for (m = 0; m < n_mut; m++)
				mutate(work, &len, cap);
			/* Mostly keep the length right so the JSON is reached. */
			if (cd_unit_rnd(4) != 0)
				le32(work + 8, (uint32_t)(len - HDR));
			exact = malloc(len ? len : 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
			memcpy(exact, work, len);
			fuzz_one(exact, len, &st);
			free(exact);
			free(work);
		}
		free(seed);
	}
	printf("\n    fuzz: change %u, offer %u, state %u decoded, %u rejected; "
	       "changes %u applied/%u refused, %u states adopted ",
	       st.ok[1], st.ok[2], st.ok[3], st.rejected, st.applied, st.refused,
	       st.adopted);
	CU_ASSERT_EQUAL(st.bad, 0);
	for (t = 1; t <= 3; t++)
		CU_ASSERT(st.ok[t] > 0);
	CU_ASSERT(st.rejected > 0);
	CU_ASSERT(st.applied > 0);
	CU_ASSERT(st.refused > 0);
	CU_ASSERT(st.adopted > 0);
}

/* ---- registration ---- */

static CU_TestInfo roundtrip_tests[] = {
	{ "change", test_roundtrip_change },
	{ "sync offer", test_roundtrip_offer },
	{ "sync state carries a whole state", test_roundtrip_state },
	{ "type names", test_type_str },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo encode_tests[] = {
	{ "bodies that do not match give EINVAL", test_encode_rejects },
	{ "nesting limit", test_encode_depth },
	{ "size limit boundary", test_size_limit },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo framing_tests[] = {
	{ "NULL and short buffers", test_framing_short },
	{ "header bytes", test_framing_header },
	{ "length field", test_framing_length },
	{ "NUL in payload", test_framing_nul },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo payload_tests[] = {
	{ "table of bodies", test_payload_table },
	{ "operation count", test_payload_op_count },
	{ "nesting limit", test_payload_depth },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo fuzz_tests[] = {
	{ "mutated messages", test_fuzz_mutations },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "cpgmsg roundtrip", NULL, NULL, NULL, NULL, roundtrip_tests },
	{ "cpgmsg encode", NULL, NULL, NULL, NULL, encode_tests },
	{ "cpgmsg framing", NULL, NULL, NULL, NULL, framing_tests },
	{ "cpgmsg payload", NULL, NULL, NULL, NULL, payload_tests },
	{ "cpgmsg fuzz", NULL, NULL, NULL, NULL, fuzz_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
