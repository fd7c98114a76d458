/*
 * proto.c - encoder and decoder of the IPC protocol (see proto.h).
 */
#include "proto.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <qb/qbipc_common.h>

_Static_assert(offsetof(struct qb_ipc_request_header, size) ==
	       offsetof(struct qb_ipc_response_header, size),
	       "libqb request and response headers share id/size layout");

/*
 * Frame a JSON object behind a libqb header (request or response; both
 * start with 8-byte aligned id and size fields, so we write them through
 * the request header's layout and the response header's error stays 0).
 */
static void *
frame(int32_t id, size_t hdr_size, json_object *obj, size_t *size)
{
	struct qb_ipc_request_header hdr;
	const char *text;
	size_t len, total;
	char *msg;

	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (!text) {
		errno = ENOMEM;
		return NULL;
	}
	len = strlen(text);
	total = hdr_size + len;
	if (total > CD_IPC_MAX_MSG) {
		errno = EMSGSIZE;
		return NULL;
	}
	msg = calloc(1, total);
	if (!msg)
		return NULL;
	memset(&hdr, 0, sizeof(hdr));
	hdr.id = id;
	hdr.size = (int32_t)total;
	memcpy(msg, &hdr, sizeof(hdr));
	memcpy(msg + hdr_size, text, len);
	*size = total;
	return msg;
}

/*
 * Check the framing and parse the JSON object behind the header.
 * Returns 0 and a new object in *out, or a negative domain error.
 */
static int
unframe(const void *msg, size_t size, int32_t want_id, size_t hdr_size,
	json_object **out)
{
	const char *p = msg;
	struct qb_ipc_request_header hdr;
	struct json_tokener *tok;
	json_object *obj, *v;
	size_t len;

	*out = NULL;
	if (!msg || size < hdr_size)
		return -CD_E_PROTO_MALFORMED;
	if (size > CD_IPC_MAX_MSG)
		return -CD_E_PROTO_TOO_BIG;
	memcpy(&hdr, p, sizeof(hdr));
	if (hdr.id != want_id || hdr.size < 0 || (size_t)hdr.size != size)
		return -CD_E_PROTO_MALFORMED;
	len = size - hdr_size;
	if (len == 0)
		return -CD_E_PROTO_MALFORMED;
	/* A NUL inside the payload would hide bytes from the tokener. */
	if (memchr(p + hdr_size, '\0', len))
		return -CD_E_PROTO_MALFORMED;

	tok = json_tokener_new_ex(32);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, p + hdr_size, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(obj);
		json_tokener_free(tok);
		return -CD_E_PROTO_MALFORMED;
	}
	json_tokener_free(tok);

	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return -CD_E_PROTO_MALFORMED;
	}
	if (!json_object_object_get_ex(obj, "v", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		json_object_put(obj);
		return -CD_E_PROTO_MALFORMED;
	}
	if (json_object_get_int64(v) != CD_PROTO_VERSION) {
		json_object_put(obj);
		return -CD_E_PROTO_VERSION;
	}
	*out = obj;
	return 0;
}

/* Copy a required short string member; rejects empty and over-long values. */
static int
get_name(json_object *obj, const char *key, char *buf, size_t bufsize)
{
	json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -CD_E_PROTO_MALFORMED;
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len >= bufsize || strlen(s) != len)
		return -CD_E_PROTO_MALFORMED;
	memcpy(buf, s, len + 1);
	return 0;
}

static json_object *
new_envelope(void)
{
	json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "v", json_object_new_int(CD_PROTO_VERSION));
	return o;
}

static void *
encode_with(json_object *env, const char *key, json_object *payload,
	    int32_t id, size_t hdr_size, size_t *size)
{
	void *msg;
	int saved;

	if (payload)
		json_object_object_add(env, key, json_object_get(payload));
	msg = frame(id, hdr_size, env, size);
	saved = errno;
	json_object_put(env);
	errno = saved;
	return msg;
}

void *
cd_proto_request_encode(const char *cmd, json_object *args, size_t *size)
{
	json_object *env;

	if (!cmd || !*cmd || strlen(cmd) >= CD_PROTO_CMD_MAX ||
	    (args && !json_object_is_type(args, json_type_object))) {
		errno = EINVAL;
		return NULL;
	}
	env = new_envelope();
	if (!env) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(env, "cmd", json_object_new_string(cmd));
	return encode_with(env, "args", args, CD_IPC_MSG_REQUEST,
			   sizeof(struct qb_ipc_request_header), size);
}

int
cd_proto_request_decode(const void *msg, size_t size, struct cd_request *req)
{
	json_object *root, *args = NULL;
	int rc;

	memset(req, 0, sizeof(*req));
	rc = unframe(msg, size, CD_IPC_MSG_REQUEST,
		     sizeof(struct qb_ipc_request_header), &root);
	if (rc < 0)
		return rc;
	rc = get_name(root, "cmd", req->cmd, sizeof(req->cmd));
	if (rc < 0)
		goto fail;
	if (json_object_object_get_ex(root, "args", &args)) {
		if (!json_object_is_type(args, json_type_object)) {
			rc = -CD_E_PROTO_MALFORMED;
			goto fail;
		}
	} else {
		args = json_object_new_object();
		if (!args) {
			rc = -ENOMEM;
			goto fail;
		}
		json_object_object_add(root, "args", args);
	}
	req->args = args;
	req->root = root;
	return 0;

fail:
	json_object_put(root);
	memset(req, 0, sizeof(*req));
	return rc;
}

void
cd_request_clear(struct cd_request *req)
{
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

void *
cd_proto_reply_encode(json_object *data, int err, const char *message,
		      size_t *size)
{
	json_object *env, *eobj;

	env = new_envelope();
	if (!env) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(env, "ok", json_object_new_boolean(err == 0));
	if (err == 0)
		return encode_with(env, "data", data, CD_IPC_MSG_REPLY,
				   sizeof(struct qb_ipc_response_header), size);

	eobj = json_object_new_object();
	if (!eobj) {
		json_object_put(env);
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(eobj, "code", json_object_new_string(cd_errname(err)));
	json_object_object_add(eobj, "message",
			       json_object_new_string(message ? message : cd_strerror(err)));
	json_object_object_add(env, "error", eobj);
	return encode_with(env, "data", NULL, CD_IPC_MSG_REPLY,
			   sizeof(struct qb_ipc_response_header), size);
}

void *
cd_proto_event_encode(const char *name, json_object *data, size_t *size)
{
	json_object *env;

	if (!name || !*name || strlen(name) >= CD_PROTO_CMD_MAX) {
		errno = EINVAL;
		return NULL;
	}
	env = new_envelope();
	if (!env) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(env, "event", json_object_new_string(name));
	return encode_with(env, "data", data, CD_IPC_MSG_EVENT,
			   sizeof(struct qb_ipc_response_header), size);
}

int
cd_proto_reply_decode(const void *msg, size_t size, struct cd_reply *rep)
{
	json_object *root, *ok, *err, *v;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = unframe(msg, size, CD_IPC_MSG_REPLY,
		     sizeof(struct qb_ipc_response_header), &root);
	if (rc < 0)
		return rc;
	if (!json_object_object_get_ex(root, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		json_object_put(root);
		return -CD_E_PROTO_MALFORMED;
	}
	rep->ok = json_object_get_boolean(ok);
	if (rep->ok) {
		if (json_object_object_get_ex(root, "data", &v) &&
		    json_object_is_type(v, json_type_object))
			rep->data = v;
	} else {
		if (!json_object_object_get_ex(root, "error", &err) ||
		    !json_object_is_type(err, json_type_object) ||
		    get_name(err, "code", rep->code, sizeof(rep->code)) < 0) {
			json_object_put(root);
			memset(rep, 0, sizeof(*rep));
			return -CD_E_PROTO_MALFORMED;
		}
		if (json_object_object_get_ex(err, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(rep->message, sizeof(rep->message), "%s",
				 json_object_get_string(v));
	}
	rep->root = root;
	return 0;
}

void
cd_reply_clear(struct cd_reply *rep)
{
	json_object_put(rep->root);
	memset(rep, 0, sizeof(*rep));
}

int
cd_proto_event_decode(const void *msg, size_t size, struct cd_event *ev)
{
	json_object *root, *v;
	int rc;

	memset(ev, 0, sizeof(*ev));
	rc = unframe(msg, size, CD_IPC_MSG_EVENT,
		     sizeof(struct qb_ipc_response_header), &root);
	if (rc < 0)
		return rc;
	rc = get_name(root, "event", ev->name, sizeof(ev->name));
	if (rc < 0) {
		json_object_put(root);
		memset(ev, 0, sizeof(*ev));
		return rc;
	}
	if (json_object_object_get_ex(root, "data", &v) &&
	    json_object_is_type(v, json_type_object))
		ev->data = v;
	ev->root = root;
	return 0;
}

void
cd_event_clear(struct cd_event *ev)
{
	json_object_put(ev->root);
	memset(ev, 0, sizeof(*ev));
}
