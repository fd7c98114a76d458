/*
 * cpgmsg.c - encoder and decoder of clusterd's CPG messages (see cpgmsg.h).
 *
 * The header is written and read byte by byte in little-endian order, so
 * nodes of any endianness and compiler agree on it.
 */
#include "cpgmsg.h"
#include "error.h"
#include "state.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A SYNC_STATE body wraps a document in one more object. */
#define BODY_MAX_DEPTH	(CD_STATE_MAX_DEPTH + 1)
#define BODY_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define HASH_DIGITS	16

_Static_assert(CD_STATE_MAX_SIZE + 4096 <= CD_CPG_MAX_MSG,
	       "every valid state fits in a SYNC_STATE message");
_Static_assert(BODY_MAX_DEPTH + 2 < JSON_TOKENER_DEFAULT_DEPTH,
	       "the tokener accepts every body our own check accepts");

static void
put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)(v >> 24);
}

static uint16_t
get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static bool
type_known(unsigned int type)
{
	return type >= CD_CPG_CHANGE && type <= CD_CPG_WITNESS_ACK;
}

/* Nesting within budget and no NaN/Infinity (json-c parses both). */
static bool
tree_ok(json_object *v, int budget)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
		return isfinite(json_object_get_double(v));
	case json_type_array:
		if (budget <= 0)
			return false;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (!tree_ok(json_object_array_get_idx(v, i), budget - 1))
				return false;
		}
		return true;
	case json_type_object:
		if (budget <= 0)
			return false;
		json_object_object_foreach(v, key, child) {
			(void)key;
			if (!tree_ok(child, budget - 1))
				return false;
		}
		return true;
	default:
		return true;
	}
}

/* An integer member in min..max (json-c clamps larger literals). */
static bool
uint_member(json_object *body, const char *key, uint64_t min, uint64_t max)
{
	json_object *v;
	uint64_t u;

	if (!json_object_object_get_ex(body, key, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	u = json_object_get_uint64(v);
	return u >= min && u <= max;
}

static json_object *
typed_member(json_object *obj, const char *key, json_type t)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* The shape of a body's "ops" (CHANGE, EPHEMERAL). */
static bool
ops_ok(json_object *body)
{
	json_object *ops, *op;
	size_t i, n;

	ops = typed_member(body, "ops", json_type_array);
	n = ops ? json_object_array_length(ops) : 0;
	if (n == 0 || n > CD_STATE_MAX_OPS)
		return false;
	/* Only the shape: cd_state_apply judges the operations themselves. */
	for (i = 0; i < n; i++) {
		op = json_object_array_get_idx(ops, i);
		if (!json_object_is_type(op, json_type_object) ||
		    !typed_member(op, "op", json_type_string) ||
		    !typed_member(op, "path", json_type_string))
			return false;
	}
	return true;
}

static bool
change_ok(json_object *body)
{
	return uint_member(body, "req", 1, UINT64_MAX) &&
	       uint_member(body, "origin", 1, UINT32_MAX) && ops_ok(body);
}

static bool
offer_ok(json_object *body)
{
	json_object *hash, *uuid;
	const char *h;
	size_t i;

	if (!uint_member(body, "generation", 0, UINT64_MAX))
		return false;
	/* epoch: absent from offers of builds before majority views */
	if (json_object_object_get_ex(body, "epoch", NULL) &&
	    !uint_member(body, "epoch", 0, INT64_MAX))
		return false;
	/* promised (sync.h S3): absent from offers of builds before promises */
	if (json_object_object_get_ex(body, "promised", NULL) &&
	    !uint_member(body, "promised", 0, INT64_MAX))
		return false;
	hash = typed_member(body, "hash", json_type_string);
	if (!hash || json_object_get_string_len(hash) != HASH_DIGITS)
		return false;
	h = json_object_get_string(hash);
	for (i = 0; i < HASH_DIGITS; i++) {
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	}
	/* "" is the offer of a node without a state. */
	uuid = typed_member(body, "uuid", json_type_string);
	return uuid && json_object_get_string_len(uuid) < CD_STATE_UUID_MAX &&
	       strlen(json_object_get_string(uuid)) ==
	       (size_t)json_object_get_string_len(uuid);
}

static bool
state_msg_ok(json_object *body)
{
	return uint_member(body, "to_generation", 0, UINT64_MAX) &&
	       typed_member(body, "state", json_type_object);
}

static int
check_body(unsigned int type, json_object *body)
{
	bool ok;

	if (!json_object_is_type(body, json_type_object) ||
	    !tree_ok(body, BODY_MAX_DEPTH))
		return -CD_E_PROTO_MALFORMED;
	switch (type) {
	case CD_CPG_CHANGE: ok = change_ok(body); break;
	case CD_CPG_SYNC_OFFER: ok = offer_ok(body); break;
	case CD_CPG_SYNC_STATE: ok = state_msg_ok(body); break;
	case CD_CPG_ACK:
		ok = uint_member(body, "epoch", 1, INT64_MAX) &&
		     uint_member(body, "generation", 0, INT64_MAX);
		break;
	case CD_CPG_HEARTBEAT: ok = uint_member(body, "t0", 0, INT64_MAX); break;
	case CD_CPG_VIEW_CLAIM:
		ok = uint_member(body, "epoch", 1, INT64_MAX) &&
		     (!json_object_object_get_ex(body, "state", NULL) ||
		      typed_member(body, "state", json_type_object));
		break;
	case CD_CPG_EPHEMERAL: ok = ops_ok(body); break;
	case CD_CPG_WITNESS_ACK:
		ok = uint_member(body, "epoch", 1, INT64_MAX) &&
		     uint_member(body, "generation", 0, INT64_MAX);
		break;
	default: return -CD_E_UNKNOWN_CMD;
	}
	return ok ? 0 : -CD_E_PROTO_MALFORMED;
}

void *
cd_cpg_encode(enum cd_cpg_type type, json_object *body, size_t *len)
{
	struct cd_cpg_msg check;
	unsigned char *buf;
	const char *text;
	size_t tlen;
	int rc;

	if (!len || !type_known(type) || check_body(type, body) < 0) {
		errno = EINVAL;
		return NULL;
	}
	text = json_object_to_json_string_length(body, BODY_FLAGS, &tlen);
	if (!text) {
		errno = ENOMEM;
		return NULL;
	}
	if (tlen > CD_CPG_MAX_MSG - CD_CPG_HDR_SIZE) {
		errno = EMSGSIZE;
		return NULL;
	}
	buf = malloc(CD_CPG_HDR_SIZE + tlen);
	if (!buf)
		return NULL;
	put_le32(buf, CD_CPG_MAGIC);
	put_le16(buf + 4, CD_CPG_VERSION);
	put_le16(buf + 6, (uint16_t)type);
	put_le32(buf + 8, (uint32_t)tlen);
	put_le32(buf + 12, 0);
	memcpy(buf + CD_CPG_HDR_SIZE, text, tlen);

	/*
	 * Never send what the receivers would drop: json-c writes strings
	 * as they are, so bad UTF-8 only shows when the tokener reads it.
	 */
	rc = cd_cpg_decode(buf, CD_CPG_HDR_SIZE + tlen, &check);
	if (rc < 0) {
		free(buf);
		errno = rc == -ENOMEM ? ENOMEM : EINVAL;
		return NULL;
	}
	cd_cpg_msg_clear(&check);
	*len = CD_CPG_HDR_SIZE + tlen;
	return buf;
}

/* Parse exactly len bytes as one strict JSON object. */
static int
parse_body(const char *text, size_t len, json_object **out)
{
	struct json_tokener *tok;
	json_object *obj;

	*out = NULL;
	/* A NUL would hide the bytes after it from the tokener. */
	if (len == 0 || memchr(text, '\0', len))
		return -CD_E_PROTO_MALFORMED;
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(obj);
		json_tokener_free(tok);
		return -CD_E_PROTO_MALFORMED;
	}
	json_tokener_free(tok);
	*out = obj;
	return 0;
}

int
cd_cpg_decode(const void *buf, size_t len, struct cd_cpg_msg *msg)
{
	const unsigned char *p = buf;
	json_object *body;
	unsigned int type;
	int rc;

	memset(msg, 0, sizeof(*msg));
	if (!buf || len < CD_CPG_HDR_SIZE)
		return -CD_E_PROTO_MALFORMED;
	if (len > CD_CPG_MAX_MSG)
		return -CD_E_PROTO_TOO_BIG;
	if (get_le32(p) != CD_CPG_MAGIC)
		return -CD_E_PROTO_MALFORMED;
	if (get_le16(p + 4) != CD_CPG_VERSION)
		return -CD_E_PROTO_VERSION;
	if (get_le32(p + 8) != len - CD_CPG_HDR_SIZE || get_le32(p + 12) != 0)
		return -CD_E_PROTO_MALFORMED;
	type = get_le16(p + 6);
	if (!type_known(type))
		return -CD_E_UNKNOWN_CMD;
	rc = parse_body((const char *)p + CD_CPG_HDR_SIZE, len - CD_CPG_HDR_SIZE,
			&body);
	if (rc < 0)
		return rc;
	rc = check_body(type, body);
	if (rc < 0) {
		json_object_put(body);
		return rc;
	}
	msg->type = (enum cd_cpg_type)type;
	msg->body = body;
	return 0;
}

void
cd_cpg_msg_clear(struct cd_cpg_msg *msg)
{
	if (!msg)
		return;
	json_object_put(msg->body);
	memset(msg, 0, sizeof(*msg));
}

const char *
cd_cpg_type_str(enum cd_cpg_type type)
{
	switch (type) {
	case CD_CPG_CHANGE: return "change";
	case CD_CPG_SYNC_OFFER: return "sync-offer";
	case CD_CPG_SYNC_STATE: return "sync-state";
	case CD_CPG_ACK: return "ack";
	case CD_CPG_HEARTBEAT: return "heartbeat";
	case CD_CPG_VIEW_CLAIM: return "view-claim";
	case CD_CPG_EPHEMERAL: return "ephemeral";
	case CD_CPG_WITNESS_ACK: return "witness-ack";
	}
	return "unknown";
}
