/*
 * test_proto.c - unit tests of the IPC codec (lib/proto.c).
 *
 * Raw messages are built with libqb's own header structs (8-byte aligned
 * fields), in heap buffers of exactly the message size, so that ASan sees
 * any read past the end.
 */
#include "proto.h"
#include "error.h"
#include "unit.h"
#include "unit-fuzz.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <qb/qbipc_common.h>

#define REQ_HDR		sizeof(struct qb_ipc_request_header)
#define RSP_HDR		sizeof(struct qb_ipc_response_header)

enum kind { K_REQUEST, K_REPLY, K_EVENT, K_COUNT };

static const char *const kind_name[K_COUNT] = { "request", "reply", "event" };

static size_t
hdr_size_of(enum kind k)
{
	return k == K_REQUEST ? REQ_HDR : RSP_HDR;
}

static int32_t
id_of(enum kind k)
{
	static const int32_t ids[K_COUNT] = {
		CD_IPC_MSG_REQUEST, CD_IPC_MSG_REPLY, CD_IPC_MSG_EVENT,
	};
	return ids[k];
}

/* ---- helpers ---- */

/* Frame len bytes of payload behind a libqb header; the caller frees. */
static char *
raw_frame(size_t hdr_size, int32_t id, const void *payload, size_t len,
	  size_t *size)
{
	size_t total = hdr_size + len;
	char *msg = malloc(total ? total : 1);

	if (!msg)
		return NULL;
	if (hdr_size == RSP_HDR) {
		struct qb_ipc_response_header h;

		memset(&h, 0, sizeof(h));
		h.id = id;
		h.size = (int32_t)total;
		memcpy(msg, &h, sizeof(h));
	} else {
		struct qb_ipc_request_header h;

		memset(&h, 0, sizeof(h));
		h.id = id;
		h.size = (int32_t)total;
		memcpy(msg, &h, sizeof(h));
	}
	if (len)
		memcpy(msg + hdr_size, payload, len);
	*size = total;
	return msg;
}

static char *
raw_msg(enum kind k, const char *json, size_t *size)
{
	return raw_frame(hdr_size_of(k), id_of(k), json, strlen(json), size);
}

/* Overwrite the header's size field (same offset in both header types). */
static void
set_hdr_size(char *msg, int32_t value)
{
	memcpy(msg + offsetof(struct qb_ipc_request_header, size), &value,
	       sizeof(value));
}

static void
set_hdr_id(char *msg, int32_t value)
{
	memcpy(msg + offsetof(struct qb_ipc_request_header, id), &value,
	       sizeof(value));
}

/*
 * Decode with the decoder of kind k into a struct pre-filled with garbage;
 * on failure the struct must come back empty, on success it is cleared.
 */
static int
decode(enum kind k, const void *msg, size_t size)
{
	union {
		struct cd_request req;
		struct cd_reply rep;
		struct cd_event ev;
	} u;
	int rc;

	memset(&u, 0xa5, sizeof(u));
	switch (k) {
	case K_REQUEST:
		rc = cd_proto_request_decode(msg, size, &u.req);
		if (rc < 0) {
			CU_ASSERT_TRUE(cd_unit_all_zero(&u.req, sizeof(u.req)));
		} else {
			cd_request_clear(&u.req);
		}
		break;
	case K_REPLY:
		rc = cd_proto_reply_decode(msg, size, &u.rep);
		if (rc < 0) {
			CU_ASSERT_TRUE(cd_unit_all_zero(&u.rep, sizeof(u.rep)));
		} else {
			cd_reply_clear(&u.rep);
		}
		break;
	default:
		rc = cd_proto_event_decode(msg, size, &u.ev);
		if (rc < 0) {
			CU_ASSERT_TRUE(cd_unit_all_zero(&u.ev, sizeof(u.ev)));
		} else {
			cd_event_clear(&u.ev);
		}
		break;
	}
	return rc;
}

static int
decode_json(enum kind k, const char *json)
{
	size_t size;
	char *msg = raw_msg(k, json, &size);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	rc = decode(k, msg, size);
	free(msg);
	return rc;
}

/*
 * Check an encoded message against the wire format independently of our
 * decoder: header id and size, then a NUL-free JSON object with "v":1.
 * Returns that object (caller puts it).
 */
static json_object *
wire_json(const char *msg, size_t size, enum kind k)
{
	struct qb_ipc_response_header rh;
	struct qb_ipc_request_header qh;
	size_t hdr = hdr_size_of(k);
	json_object *obj, *v;
	char *text;

	CU_ASSERT_FATAL(size > hdr);
	if (k == K_REQUEST) {
		memcpy(&qh, msg, sizeof(qh));
		CU_ASSERT_EQUAL(qh.id, id_of(k));
		CU_ASSERT_EQUAL(qh.size, (int32_t)size);
	} else {
		memcpy(&rh, msg, sizeof(rh));
		CU_ASSERT_EQUAL(rh.id, id_of(k));
		CU_ASSERT_EQUAL(rh.size, (int32_t)size);
		CU_ASSERT_EQUAL(rh.error, 0);
	}
	CU_ASSERT_PTR_NULL(memchr(msg + hdr, '\0', size - hdr));
	text = strndup(msg + hdr, size - hdr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	obj = json_tokener_parse(text);
	free(text);
	CU_ASSERT_FATAL(json_object_is_type(obj, json_type_object));
	CU_ASSERT_TRUE(json_object_object_get_ex(obj, "v", &v));
	CU_ASSERT_TRUE(json_object_is_type(v, json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int(v), CD_PROTO_VERSION);
	return obj;
}

static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

/* ---- round trips ---- */

static void
test_request_roundtrip_args(void)
{
	json_object *args = parse("{\"name\":\"web1\",\"force\":true,\"n\":3,"
				  "\"nodes\":[1,2],\"x\":{\"y\":null}}");
	json_object *expect = parse("{\"name\":\"web1\",\"force\":true,\"n\":3,"
				    "\"nodes\":[1,2],\"x\":{\"y\":null}}");
	json_object *w, *cmd;
	struct cd_request req;
	size_t size = 0;
	char *msg;

	msg = cd_proto_request_encode("vm-move", args, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	/* args is borrowed: the encoder's reference is gone again. */
	CU_ASSERT_EQUAL(json_object_put(args), 1);

	w = wire_json(msg, size, K_REQUEST);
	CU_ASSERT_TRUE(json_object_object_get_ex(w, "cmd", &cmd));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(cmd), "vm-move");
	json_object_put(w);

	CU_ASSERT_EQUAL(cd_proto_request_decode(msg, size, &req), 0);
	CU_ASSERT_STRING_EQUAL(req.cmd, "vm-move");
	CU_ASSERT_PTR_NOT_NULL(req.root);
	CU_ASSERT_TRUE(json_object_equal(req.args, expect));
	cd_request_clear(&req);
	CU_ASSERT_PTR_NULL(req.root);
	CU_ASSERT_PTR_NULL(req.args);
	CU_ASSERT_EQUAL(req.cmd[0], '\0');
	json_object_put(expect);
	free(msg);
}

static void
test_request_roundtrip_no_args(void)
{
	struct cd_request req;
	json_object *w, *a;
	size_t size = 0;
	char *msg;

	msg = cd_proto_request_encode("status", NULL, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	w = wire_json(msg, size, K_REQUEST);
	CU_ASSERT_FALSE(json_object_object_get_ex(w, "args", &a));
	json_object_put(w);

	CU_ASSERT_EQUAL_FATAL(cd_proto_request_decode(msg, size, &req), 0);
	CU_ASSERT_STRING_EQUAL(req.cmd, "status");
	/* Absent args read as an empty object owned by the root. */
	CU_ASSERT_TRUE(json_object_is_type(req.args, json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(req.args), 0);
	CU_ASSERT_TRUE(json_object_object_get_ex(req.root, "args", &a));
	CU_ASSERT_PTR_EQUAL(a, req.args);
	cd_request_clear(&req);
	free(msg);
}

static void
test_request_cmd_length_limit(void)
{
	char cmd[CD_PROTO_CMD_MAX];
	struct cd_request req;
	size_t size;
	char *msg;

	memset(cmd, 'c', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	msg = cd_proto_request_encode(cmd, NULL, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_request_decode(msg, size, &req), 0);
	CU_ASSERT_STRING_EQUAL(req.cmd, cmd);
	cd_request_clear(&req);
	free(msg);
}

static void
test_reply_roundtrip_ok(void)
{
	json_object *data = parse("{\"nodes\":[{\"id\":1}],\"s\":\"x\"}");
	json_object *expect = parse("{\"nodes\":[{\"id\":1}],\"s\":\"x\"}");
	struct cd_reply rep;
	size_t size = 0;
	char *msg;

	msg = cd_proto_reply_encode(data, 0, NULL, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(json_object_put(data), 1);
	json_object_put(wire_json(msg, size, K_REPLY));

	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_TRUE(rep.ok);
	CU_ASSERT_TRUE(json_object_equal(rep.data, expect));
	CU_ASSERT_EQUAL(rep.code[0], '\0');
	CU_ASSERT_EQUAL(rep.message[0], '\0');
	cd_reply_clear(&rep);
	CU_ASSERT_PTR_NULL(rep.root);
	CU_ASSERT_PTR_NULL(rep.data);
	json_object_put(expect);
	free(msg);
}

static void
test_reply_roundtrip_ok_no_data(void)
{
	struct cd_reply rep;
	size_t size = 0;
	char *msg;

	msg = cd_proto_reply_encode(NULL, 0, "ignored", &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_TRUE(rep.ok);
	CU_ASSERT_PTR_NULL(rep.data);
	CU_ASSERT_PTR_NOT_NULL(rep.root);
	cd_reply_clear(&rep);
	free(msg);
}

static void
test_reply_error_message(void)
{
	json_object *w, *e, *v;
	struct cd_reply rep;
	size_t size = 0;
	char *msg;

	msg = cd_proto_reply_encode(NULL, -CD_E_NOT_QUORATE,
				    "partition has 1 of 3 votes", &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	w = wire_json(msg, size, K_REPLY);
	CU_ASSERT_TRUE(json_object_object_get_ex(w, "ok", &v));
	CU_ASSERT_TRUE(json_object_is_type(v, json_type_boolean));
	CU_ASSERT_FALSE(json_object_get_boolean(v));
	CU_ASSERT_TRUE(json_object_object_get_ex(w, "error", &e));
	CU_ASSERT_FALSE(json_object_object_get_ex(w, "data", &v));
	json_object_put(w);

	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_FALSE(rep.ok);
	CU_ASSERT_PTR_NULL(rep.data);
	CU_ASSERT_STRING_EQUAL(rep.code, "not-quorate");
	CU_ASSERT_STRING_EQUAL(rep.message, "partition has 1 of 3 votes");
	cd_reply_clear(&rep);
	free(msg);
}

/* An error reply drops data even when some is given. */
static void
test_reply_error_drops_data(void)
{
	json_object *data = parse("{\"a\":1}");
	struct cd_reply rep;
	size_t size = 0;
	char *msg;

	msg = cd_proto_reply_encode(data, -EACCES, NULL, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(json_object_put(data), 1);
	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_FALSE(rep.ok);
	CU_ASSERT_PTR_NULL(rep.data);
	CU_ASSERT_STRING_EQUAL(rep.code, "EACCES");
	CU_ASSERT_STRING_EQUAL(rep.message, strerror(EACCES));
	cd_reply_clear(&rep);
	free(msg);
}

/* Every error code survives the trip; a NULL message means cd_strerror. */
static void
test_reply_error_codes(void)
{
	static const int errnos[] = { EACCES, EPERM, ENOENT, EINVAL, ENOMEM,
				      ETIMEDOUT, EAGAIN, EIO };
	int codes[CD_E_MAX - CD_E_BASE - 1 + sizeof(errnos) / sizeof(errnos[0])];
	size_t n = 0, i;

	for (i = CD_E_BASE + 1; i < CD_E_MAX; i++)
		codes[n++] = -(int)i;
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		codes[n++] = -errnos[i];

	for (i = 0; i < n; i++) {
		struct cd_reply rep;
		size_t size = 0;
		char *msg = cd_proto_reply_encode(NULL, codes[i], NULL, &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
		CU_ASSERT_FALSE(rep.ok);
		CU_ASSERT_STRING_EQUAL(rep.code, cd_errname(codes[i]));
		CU_ASSERT_STRING_EQUAL(rep.message, cd_strerror(codes[i]));
		cd_reply_clear(&rep);
		free(msg);
	}
}

/* A long error text is truncated to the message buffer, not overflowed. */
static void
test_reply_error_long_message(void)
{
	char text[CD_PROTO_MSG_MAX * 2];
	struct cd_reply rep;
	size_t size = 0;
	char *msg;

	memset(text, 'm', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	msg = cd_proto_reply_encode(NULL, -EINVAL, text, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_EQUAL(strlen(rep.message), CD_PROTO_MSG_MAX - 1);
	CU_ASSERT_EQUAL(strncmp(rep.message, text, CD_PROTO_MSG_MAX - 1), 0);
	cd_reply_clear(&rep);
	free(msg);
}

static void
test_event_roundtrip(void)
{
	json_object *data = parse("{\"leader\":{\"id\":1,\"name\":\"n1\"}}");
	json_object *expect = parse("{\"leader\":{\"id\":1,\"name\":\"n1\"}}");
	struct cd_event ev;
	json_object *w, *v;
	size_t size = 0;
	char *msg;

	msg = cd_proto_event_encode("membership", data, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(json_object_put(data), 1);
	w = wire_json(msg, size, K_EVENT);
	CU_ASSERT_TRUE(json_object_object_get_ex(w, "event", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "membership");
	json_object_put(w);

	CU_ASSERT_EQUAL_FATAL(cd_proto_event_decode(msg, size, &ev), 0);
	CU_ASSERT_STRING_EQUAL(ev.name, "membership");
	CU_ASSERT_TRUE(json_object_equal(ev.data, expect));
	cd_event_clear(&ev);
	CU_ASSERT_PTR_NULL(ev.root);
	CU_ASSERT_PTR_NULL(ev.data);
	CU_ASSERT_EQUAL(ev.name[0], '\0');
	json_object_put(expect);
	free(msg);
}

static void
test_event_roundtrip_no_data(void)
{
	struct cd_event ev;
	size_t size = 0;
	char *msg;

	msg = cd_proto_event_encode("quorum", NULL, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_event_decode(msg, size, &ev), 0);
	CU_ASSERT_STRING_EQUAL(ev.name, "quorum");
	CU_ASSERT_PTR_NULL(ev.data);
	CU_ASSERT_PTR_NOT_NULL(ev.root);
	cd_event_clear(&ev);
	free(msg);
}

/* ---- encoder argument checks ---- */

static void
expect_einval(void *msg)
{
	CU_ASSERT_PTR_NULL(msg);
	CU_ASSERT_EQUAL(errno, EINVAL);
	free(msg);
}

static void
test_encode_rejects_bad_arguments(void)
{
	char longname[CD_PROTO_CMD_MAX + 2];	/* 33 chars; +1 is 32 */
	json_object *arr = parse("[1,2]");
	json_object *str = json_object_new_string("x");
	json_object *num = json_object_new_int(1);
	size_t size = 0;

	memset(longname, 'x', CD_PROTO_CMD_MAX + 1);
	longname[CD_PROTO_CMD_MAX + 1] = '\0';

	errno = 0;
	expect_einval(cd_proto_request_encode(longname + 1, NULL, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode(longname, NULL, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode("", NULL, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode(NULL, NULL, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode("status", arr, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode("status", str, &size));
	errno = 0;
	expect_einval(cd_proto_request_encode("status", num, &size));

	errno = 0;
	expect_einval(cd_proto_event_encode(longname + 1, NULL, &size));
	errno = 0;
	expect_einval(cd_proto_event_encode("", NULL, &size));
	errno = 0;
	expect_einval(cd_proto_event_encode(NULL, NULL, &size));

	/* Rejected arguments were not taken or released. */
	CU_ASSERT_EQUAL(json_object_put(arr), 1);
	CU_ASSERT_EQUAL(json_object_put(str), 1);
	CU_ASSERT_EQUAL(json_object_put(num), 1);
}

/*
 * Encode a message of kind k carrying {"pad":"xxx..."} with pad bytes of
 * padding; returns the message or NULL with errno.
 */
static char *
encode_padded(enum kind k, size_t pad, size_t *size)
{
	json_object *o = json_object_new_object();
	char *s = malloc(pad + 1);
	char *msg;
	int saved;

	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memset(s, 'x', pad);
	s[pad] = '\0';
	json_object_object_add(o, "pad", json_object_new_string(s));
	free(s);
	if (k == K_REQUEST)
		msg = cd_proto_request_encode("p", o, size);
	else if (k == K_REPLY)
		msg = cd_proto_reply_encode(o, 0, NULL, size);
	else
		msg = cd_proto_event_encode("p", o, size);
	saved = errno;
	json_object_put(o);
	errno = saved;
	return msg;
}

/* Messages of exactly CD_IPC_MAX_MSG bytes pass; one byte more does not. */
static void
test_size_limit_boundary(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		size_t base = 0, size = 0, pad;
		char *msg;

		msg = encode_padded(k, 0, &base);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		free(msg);
		pad = CD_IPC_MAX_MSG - base;

		msg = encode_padded(k, pad, &size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(size, CD_IPC_MAX_MSG);
		CU_ASSERT_EQUAL(decode(k, msg, size), 0);
		free(msg);

		errno = 0;
		msg = encode_padded(k, pad + 1, &size);
		CU_ASSERT_PTR_NULL(msg);
		CU_ASSERT_EQUAL(errno, EMSGSIZE);
		free(msg);
	}
}

/* A well-formed message one byte over the limit is refused as too big. */
static void
test_decode_too_big(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		size_t hdr = hdr_size_of(k), len, size;
		char *payload, *msg;

		/* {"v":1,"cmd":"p","event":"p","ok":true,"pad":"xxx"} */
		static const char head[] =
			"{\"v\":1,\"cmd\":\"p\",\"event\":\"p\",\"ok\":true,\"pad\":\"";
		len = CD_IPC_MAX_MSG - hdr;
		payload = malloc(len + 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(payload);
		memset(payload, 'x', len);
		memcpy(payload, head, strlen(head));
		memcpy(payload + len - 2, "\"}", 2);

		/* Exactly at the limit it decodes... */
		msg = raw_frame(hdr, id_of(k), payload, len, &size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(size, CD_IPC_MAX_MSG);
		CU_ASSERT_EQUAL(decode(k, msg, size), 0);
		free(msg);

		/* ...one byte of whitespace more and it is too big. */
		memcpy(payload + len - 2, "\" }", 3);
		msg = raw_frame(hdr, id_of(k), payload, len + 1, &size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(size, (size_t)CD_IPC_MAX_MSG + 1);
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_TOO_BIG);
		free(msg);
		free(payload);
	}
}

/* ---- framing ---- */

static const char *const valid_json[K_COUNT] = {
	"{\"v\":1,\"cmd\":\"status\",\"args\":{}}",
	"{\"v\":1,\"ok\":true,\"data\":{}}",
	"{\"v\":1,\"event\":\"membership\",\"data\":{}}",
};

static void
test_framing_valid_baseline(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++)
		CU_ASSERT_EQUAL(decode_json(k, valid_json[k]), 0);
}

static void
test_framing_null_and_short(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		size_t hdr = hdr_size_of(k), size, s;
		char *full = raw_msg(k, valid_json[k], &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(full);
		CU_ASSERT_EQUAL(decode(k, NULL, size), -CD_E_PROTO_MALFORMED);
		/* Every size below the header, in a buffer of exactly that size. */
		for (s = 0; s < hdr; s++) {
			char *part = malloc(s ? s : 1);

			CU_ASSERT_PTR_NOT_NULL_FATAL(part);
			memcpy(part, full, s);
			CU_ASSERT_EQUAL(decode(k, part, s), -CD_E_PROTO_MALFORMED);
			free(part);
		}
		free(full);
	}
}

static void
test_framing_empty_payload(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		size_t size;
		char *msg = raw_frame(hdr_size_of(k), id_of(k), NULL, 0, &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(size, hdr_size_of(k));
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		free(msg);
	}
}

static void
test_framing_size_mismatch(void)
{
	int k;

	for (k = 0; k < K_COUNT; k++) {
		const int32_t deltas[] = { -1, 1, 8, -8 };
		size_t size, i;
		char *msg = raw_msg(k, valid_json[k], &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		for (i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
			set_hdr_size(msg, (int32_t)size + deltas[i]);
			CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		}
		set_hdr_size(msg, 0);
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		set_hdr_size(msg, -1);
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		set_hdr_size(msg, INT32_MIN);
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		/* A shorter buffer than the header claims is not read past. */
		set_hdr_size(msg, (int32_t)size);
		CU_ASSERT_EQUAL(decode(k, msg, size - 1), -CD_E_PROTO_MALFORMED);
		CU_ASSERT_EQUAL(decode(k, msg, size), 0);
		free(msg);
	}
}

/* Each decoder takes only its own message id. */
static void
test_framing_wrong_id(void)
{
	json_object *data = parse("{}");
	size_t sizes[K_COUNT];
	char *msgs[K_COUNT];
	int k, d;

	msgs[K_REQUEST] = cd_proto_request_encode("status", NULL, &sizes[K_REQUEST]);
	msgs[K_REPLY] = cd_proto_reply_encode(data, 0, NULL, &sizes[K_REPLY]);
	msgs[K_EVENT] = cd_proto_event_encode("membership", data, &sizes[K_EVENT]);
	json_object_put(data);

	for (k = 0; k < K_COUNT; k++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(msgs[k]);
		for (d = 0; d < K_COUNT; d++) {
			int want = (k == d) ? 0 : -CD_E_PROTO_MALFORMED;

			CU_ASSERT_EQUAL(decode(d, msgs[k], sizes[k]), want);
		}
	}
	/* A reply and an event share the header: only the id tells them apart. */
	for (k = 0; k < K_COUNT; k++) {
		const int32_t bad[] = { 0, 4, -1, INT32_MAX, id_of((k + 1) % K_COUNT) };
		size_t size, i;
		char *msg = raw_msg(k, "{\"v\":1,\"cmd\":\"x\",\"ok\":true,\"event\":\"x\"}",
				    &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(decode(k, msg, size), 0);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			set_hdr_id(msg, bad[i]);
			CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		}
		free(msg);
	}
	for (k = 0; k < K_COUNT; k++)
		free(msgs[k]);
}

static void
test_framing_nul_in_payload(void)
{
	static const struct {
		const char *payload;
		size_t len;
	} cases[] = {
#define NUL_CASE(s)	{ s, sizeof(s) - 1 }
		NUL_CASE("{\"v\":1,\"cmd\":\"st\0atus\"}"),	/* in a string */
		NUL_CASE("{\"v\":1,\0\"cmd\":\"status\"}"),	/* between tokens */
		NUL_CASE("{\"v\":1,\"cmd\":\"status\"}\0"),	/* after the object */
		NUL_CASE("\0{\"v\":1,\"cmd\":\"status\"}"),	/* before it */
		NUL_CASE("\0"),
#undef NUL_CASE
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size;
		char *msg = raw_frame(REQ_HDR, CD_IPC_MSG_REQUEST, cases[i].payload,
				      cases[i].len, &size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(decode(K_REQUEST, msg, size), -CD_E_PROTO_MALFORMED);
		free(msg);
	}
	/* Same for the response header's decoders. */
	for (i = 0; i < 2; i++) {
		enum kind k = i ? K_EVENT : K_REPLY;
		const char *j = valid_json[k];
		size_t len = strlen(j), size;
		char *p = malloc(len + 1);
		char *msg;

		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memcpy(p, j, len);
		p[len] = '\0';
		msg = raw_frame(RSP_HDR, id_of(k), p, len + 1, &size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
		CU_ASSERT_EQUAL(decode(k, msg, size), -CD_E_PROTO_MALFORMED);
		free(msg);
		free(p);
	}
}

/* ---- payload validation, table-driven ---- */

#define MALFORMED	(-CD_E_PROTO_MALFORMED)
#define VERSION		(-CD_E_PROTO_VERSION)

struct payload_case {
	enum kind kind;
	const char *json;
	int rc;
};

static const struct payload_case payload_cases[] = {
	/* not JSON, or not only JSON */
	{ K_REQUEST, "{", MALFORMED },
	{ K_REQUEST, "}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status}", MALFORMED },
	{ K_REQUEST, "{\"v\":1 \"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{v:1,cmd:status}", MALFORMED },
	{ K_REQUEST, "garbage", MALFORMED },
	{ K_REQUEST, " ", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"}x", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"}{}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"}}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"}[1]", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\"} 1", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":true}garbage", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":\"e\"},", MALFORMED },
	/* JSON, but not an object */
	{ K_REQUEST, "[]", MALFORMED },
	{ K_REQUEST, "[{\"v\":1,\"cmd\":\"status\"}]", MALFORMED },
	{ K_REQUEST, "\"status\"", MALFORMED },
	{ K_REQUEST, "1", MALFORMED },
	{ K_REQUEST, "1.5", MALFORMED },
	{ K_REQUEST, "true", MALFORMED },
	{ K_REQUEST, "null", MALFORMED },
	{ K_REPLY, "[]", MALFORMED },
	{ K_REPLY, "\"ok\"", MALFORMED },
	{ K_REPLY, "42", MALFORMED },
	{ K_EVENT, "[\"membership\"]", MALFORMED },
	{ K_EVENT, "\"membership\"", MALFORMED },
	{ K_EVENT, "0", MALFORMED },
	/* too deeply nested for the tokener */
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"s\",\"args\":{\"a\":"
		     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		     "}}", MALFORMED },
	/* "v" */
	{ K_REQUEST, "{}", MALFORMED },
	{ K_REQUEST, "{\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"V\":1,\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":\"1\",\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1.0,\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":true,\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":null,\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":[1],\"cmd\":\"status\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":{},\"cmd\":\"status\"}", MALFORMED },
	{ K_REPLY, "{\"ok\":true}", MALFORMED },
	{ K_REPLY, "{\"v\":\"1\",\"ok\":true}", MALFORMED },
	{ K_EVENT, "{\"event\":\"e\"}", MALFORMED },
	{ K_EVENT, "{\"v\":1.5,\"event\":\"e\"}", MALFORMED },
	/* wrong version */
	{ K_REQUEST, "{\"v\":0,\"cmd\":\"status\"}", VERSION },
	{ K_REQUEST, "{\"v\":2,\"cmd\":\"status\"}", VERSION },
	{ K_REQUEST, "{\"v\":-1,\"cmd\":\"status\"}", VERSION },
	{ K_REQUEST, "{\"v\":4294967297,\"cmd\":\"status\"}", VERSION },
	{ K_REQUEST, "{\"v\":-9223372036854775807,\"cmd\":\"status\"}", VERSION },
	{ K_REQUEST, "{\"v\":2}", VERSION },
	{ K_REPLY, "{\"v\":2,\"ok\":true}", VERSION },
	{ K_EVENT, "{\"v\":2,\"event\":\"e\"}", VERSION },
	/* "cmd" */
	{ K_REQUEST, "{\"v\":1}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"args\":{}}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":5}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":null}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":true}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":[\"status\"]}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":{\"status\":1}}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"st\\u0000atus\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"0123456789abcdef0123456789abcdef\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"0123456789abcdef0123456789abcde\"}", 0 },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"x\"}", 0 },
	{ K_REQUEST, "{\"cmd\":\"status\",\"v\":1}", 0 },
	/* "args" */
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":[]}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":\"a=b\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":1}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":true}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":null}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":{\"a\":[1,{}]}}", 0 },
	/* reply "ok" and "error" */
	{ K_REPLY, "{\"v\":1}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":1}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":\"true\"}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":null}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":\"bad\"}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":[]}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"message\":\"m\"}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"\"}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":7}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"a\\u0000b\"}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":"
		   "{\"code\":\"0123456789abcdef0123456789abcdef\"}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\"}}", 0 },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\",\"message\":5}}", 0 },
	{ K_REPLY, "{\"v\":1,\"ok\":true}", 0 },
	{ K_REPLY, "{\"v\":1,\"ok\":true,\"data\":[1]}", 0 },
	/* event name */
	{ K_EVENT, "{\"v\":1}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"data\":{}}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":\"\"}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":1}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":null}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":[\"e\"]}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":\"0123456789abcdef0123456789abcdef\"}", MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":\"e\"}", 0 },
	{ K_EVENT, "{\"v\":1,\"event\":\"e\",\"data\":\"not an object\"}", 0 },
};

static void
test_payload_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(payload_cases) / sizeof(payload_cases[0]); i++) {
		const struct payload_case *c = &payload_cases[i];
		int rc = decode_json(c->kind, c->json);

		if (rc != c->rc)
			fprintf(stderr, "\n  case %zu (%s) %s: got %d, want %d\n",
				i, kind_name[c->kind], c->json, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
	}
}

/*
 * The payload is "a UTF-8 JSON object" (proto.h): json-c's lenient
 * extensions and invalid UTF-8 are not that, and would be passed on to
 * clients that parse strictly.
 */
static const struct payload_case strict_cases[] = {
	{ K_REQUEST, "{'v':1,'cmd':'status'}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":'status'}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"status\",\"args\":{\"a\":[1,]}}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"\xff\xfe\"}", MALFORMED },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"s\",\"args\":{\"a\":\"\x80\"}}", MALFORMED },
	{ K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\",\"message\":\"\xe2\x82\"}}",
	  MALFORMED },
	{ K_EVENT, "{\"v\":1,\"event\":'e'}", MALFORMED },
	/* ...while standard JSON with whitespace and real UTF-8 is fine. */
	{ K_REQUEST, " { \"v\" : 1 ,\n\t\"cmd\" : \"status\" } ", 0 },
	{ K_REQUEST, "{\"v\":1,\"cmd\":\"s\",\"args\":{\"n\":\"\xc3\xa9\xe2\x82\xac\"}}", 0 },
};

static void
test_strict_json(void)
{
	size_t i;

	for (i = 0; i < sizeof(strict_cases) / sizeof(strict_cases[0]); i++) {
		const struct payload_case *c = &strict_cases[i];
		int rc = decode_json(c->kind, c->json);

		if (rc != c->rc)
			fprintf(stderr, "\n  strict case %zu (%s) %s: got %d, want %d\n",
				i, kind_name[c->kind], c->json, rc, c->rc);
		CU_ASSERT_EQUAL(rc, c->rc);
	}
}

/* Fields of successfully decoded odd-but-valid messages. */
static void
test_decoded_fields(void)
{
	struct cd_reply rep;
	struct cd_event ev;
	size_t size;
	char *msg;

	/* ok reply with non-object data: no data pointer. */
	msg = raw_msg(K_REPLY, "{\"v\":1,\"ok\":true,\"data\":[1]}", &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_TRUE(rep.ok);
	CU_ASSERT_PTR_NULL(rep.data);
	cd_reply_clear(&rep);
	free(msg);

	/* error reply without a message: empty message, code kept. */
	msg = raw_msg(K_REPLY, "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"x\"}}",
		      &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_reply_decode(msg, size, &rep), 0);
	CU_ASSERT_FALSE(rep.ok);
	CU_ASSERT_STRING_EQUAL(rep.code, "x");
	CU_ASSERT_STRING_EQUAL(rep.message, "");
	cd_reply_clear(&rep);
	free(msg);

	/* event with non-object data */
	msg = raw_msg(K_EVENT, "{\"v\":1,\"event\":\"e\",\"data\":3}", &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL_FATAL(cd_proto_event_decode(msg, size, &ev), 0);
	CU_ASSERT_STRING_EQUAL(ev.name, "e");
	CU_ASSERT_PTR_NULL(ev.data);
	cd_event_clear(&ev);
	free(msg);
}

/* ---- mutation fuzzing ---- */

#define FUZZ_ROUNDS	400
#define FUZZ_SLACK	64

struct fuzz_stats {
	unsigned ok[K_COUNT];
	unsigned rejected[K_COUNT];
	unsigned bad;		/* contract violations */
};

static bool
name_ok(const char *s, size_t bufsize)
{
	size_t len = strnlen(s, bufsize);

	return len > 0 && len < bufsize;
}

/* Re-encode what was decoded and check it reads back the same. */
static bool
request_reencodes(const struct cd_request *req)
{
	struct cd_request again;
	size_t size;
	bool same;
	char *msg = cd_proto_request_encode(req->cmd, req->args, &size);

	if (!msg || cd_proto_request_decode(msg, size, &again) < 0) {
		free(msg);
		return false;
	}
	same = strcmp(again.cmd, req->cmd) == 0 &&
	       json_object_equal(again.args, req->args);
	cd_request_clear(&again);
	free(msg);
	return same;
}

static bool
event_reencodes(const struct cd_event *ev)
{
	struct cd_event again;
	size_t size;
	bool same;
	char *msg = cd_proto_event_encode(ev->name, ev->data, &size);

	if (!msg || cd_proto_event_decode(msg, size, &again) < 0) {
		free(msg);
		return false;
	}
	same = strcmp(again.name, ev->name) == 0 &&
	       (ev->data ? json_object_equal(again.data, ev->data) : !again.data);
	cd_event_clear(&again);
	free(msg);
	return same;
}

/* Feed one message to decoder k and check the decoder's contract. */
static void
fuzz_one(enum kind k, const char *msg, size_t size, struct fuzz_stats *st)
{
	union {
		struct cd_request req;
		struct cd_reply rep;
		struct cd_event ev;
	} u;
	bool good = true;
	int rc;

	memset(&u, 0xa5, sizeof(u));
	switch (k) {
	case K_REQUEST:
		rc = cd_proto_request_decode(msg, size, &u.req);
		if (rc == 0) {
			good = name_ok(u.req.cmd, sizeof(u.req.cmd)) && u.req.root &&
			       json_object_is_type(u.req.args, json_type_object) &&
			       request_reencodes(&u.req);
			cd_request_clear(&u.req);
		} else {
			good = cd_unit_all_zero(&u.req, sizeof(u.req));
		}
		break;
	case K_REPLY:
		rc = cd_proto_reply_decode(msg, size, &u.rep);
		if (rc == 0) {
			good = u.rep.root &&
			       (u.rep.ok ? u.rep.code[0] == '\0' :
				name_ok(u.rep.code, sizeof(u.rep.code)) && !u.rep.data) &&
			       (!u.rep.data ||
				json_object_is_type(u.rep.data, json_type_object)) &&
			       strnlen(u.rep.message, sizeof(u.rep.message)) <
			       sizeof(u.rep.message);
			cd_reply_clear(&u.rep);
		} else {
			good = cd_unit_all_zero(&u.rep, sizeof(u.rep));
		}
		break;
	default:
		rc = cd_proto_event_decode(msg, size, &u.ev);
		if (rc == 0) {
			good = name_ok(u.ev.name, sizeof(u.ev.name)) && u.ev.root &&
			       (!u.ev.data ||
				json_object_is_type(u.ev.data, json_type_object)) &&
			       event_reencodes(&u.ev);
			cd_event_clear(&u.ev);
		} else {
			good = cd_unit_all_zero(&u.ev, sizeof(u.ev));
		}
		break;
	}
	if (rc == 0)
		st->ok[k]++;
	else if (rc == -CD_E_PROTO_MALFORMED || rc == -CD_E_PROTO_VERSION ||
		 rc == -CD_E_PROTO_TOO_BIG)
		st->rejected[k]++;
	else
		good = false;
	if (!good) {
		st->bad++;
		fprintf(stderr, "\n  fuzz: %s decoder rc %d broke its contract\n",
			kind_name[k], rc);
	}
}

static void
mutate(char *buf, size_t *len, size_t hdr, size_t cap)
{
	/* eight draws: the seven byte mutations, or retarget (the last) */
	uint32_t m = cd_unit_rnd(8);

	if (m <= CD_MUT_DUPLICATE)
		cd_unit_mutate((unsigned char *)buf, len, hdr, cap, (enum cd_unit_mutation)m,
			       "{}[]\":,\\ 0-1etnuflas\x80\xff");
	else	/* retarget to another decoder */
		set_hdr_id(buf, (int32_t)(1 + cd_unit_rnd(3)));
}

static void
test_fuzz_mutations(void)
{
	json_object *args = parse("{\"name\":\"web1\",\"n\":[1,2.5,true,null],"
				  "\"o\":{\"k\":\"v\"}}");
	struct fuzz_stats st;
	char *seeds[4];
	size_t seed_size[4];
	enum kind seed_kind[4] = { K_REQUEST, K_REPLY, K_REPLY, K_EVENT };
	int s, d;

	memset(&st, 0, sizeof(st));
	cd_unit_seed(0x2545f491u);
	seeds[0] = cd_proto_request_encode("vm-move", args, &seed_size[0]);
	seeds[1] = cd_proto_reply_encode(args, 0, NULL, &seed_size[1]);
	seeds[2] = cd_proto_reply_encode(NULL, -CD_E_NOT_QUORATE, "no quorum",
					 &seed_size[2]);
	seeds[3] = cd_proto_event_encode("membership", args, &seed_size[3]);
	json_object_put(args);

	for (s = 0; s < 4; s++) {
		unsigned round;

		CU_ASSERT_PTR_NOT_NULL_FATAL(seeds[s]);
		for (round = 0; round < FUZZ_ROUNDS; round++) {
			size_t cap = seed_size[s] + FUZZ_SLACK;
			size_t hdr = hdr_size_of(seed_kind[s]);
			size_t len = seed_size[s];
			char *work = malloc(cap);
			char *exact;
			unsigned m, n_mut = 1 + cd_unit_rnd(4);

			CU_ASSERT_PTR_NOT_NULL_FATAL(work);
			memcpy(work, seeds[s], len);
			for (m = 0; m < n_mut; m++)
				mutate(work, &len, hdr, cap);
			/* Mostly keep the framing consistent so the JSON is reached. */
			if (cd_unit_rnd(4) != 0)
				set_hdr_size(work, (int32_t)len);

			/* An exact-size copy lets ASan catch reads past the end. */
			exact = malloc(len ? len : 1);
			CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
			memcpy(exact, work, len);
			for (d = 0; d < K_COUNT; d++)
				fuzz_one(d, exact, len, &st);
			free(exact);
			free(work);
		}
		free(seeds[s]);
	}

	printf("\n    fuzz: request %u ok/%u rejected, reply %u/%u, event %u/%u ",
	       st.ok[K_REQUEST], st.rejected[K_REQUEST], st.ok[K_REPLY],
	       st.rejected[K_REPLY], st.ok[K_EVENT], st.rejected[K_EVENT]);
	CU_ASSERT_EQUAL(st.bad, 0);
	/* The mutations must both get through and be caught, per decoder. */
	for (d = 0; d < K_COUNT; d++) {
		CU_ASSERT(st.ok[d] > 0);
		CU_ASSERT(st.rejected[d] > 0);
	}
}

/* ---- registration ---- */

static CU_TestInfo roundtrip_tests[] = {
	{ "request with args", test_request_roundtrip_args },
	{ "request without args", test_request_roundtrip_no_args },
	{ "request cmd of maximum length", test_request_cmd_length_limit },
	{ "reply ok with data", test_reply_roundtrip_ok },
	{ "reply ok without data", test_reply_roundtrip_ok_no_data },
	{ "reply error carries code and message", test_reply_error_message },
	{ "reply error drops data", test_reply_error_drops_data },
	{ "reply error for every code", test_reply_error_codes },
	{ "reply error long message truncated", test_reply_error_long_message },
	{ "event with data", test_event_roundtrip },
	{ "event without data", test_event_roundtrip_no_data },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo encode_tests[] = {
	{ "bad cmd/name/args give EINVAL", test_encode_rejects_bad_arguments },
	{ "size limit boundary", test_size_limit_boundary },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo framing_tests[] = {
	{ "valid baseline", test_framing_valid_baseline },
	{ "NULL and shorter than header", test_framing_null_and_short },
	{ "empty payload", test_framing_empty_payload },
	{ "header size != buffer size", test_framing_size_mismatch },
	{ "wrong message id", test_framing_wrong_id },
	{ "NUL byte in payload", test_framing_nul_in_payload },
	{ "over CD_IPC_MAX_MSG", test_decode_too_big },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo payload_tests[] = {
	{ "table of payloads", test_payload_table },
	{ "strict JSON and UTF-8 only", test_strict_json },
	{ "fields of odd valid messages", test_decoded_fields },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo fuzz_tests[] = {
	{ "mutated messages", test_fuzz_mutations },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "proto roundtrip", NULL, NULL, NULL, NULL, roundtrip_tests },
	{ "proto encode", NULL, NULL, NULL, NULL, encode_tests },
	{ "proto framing", NULL, NULL, NULL, NULL, framing_tests },
	{ "proto payload", NULL, NULL, NULL, NULL, payload_tests },
	{ "proto fuzz", NULL, NULL, NULL, NULL, fuzz_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
