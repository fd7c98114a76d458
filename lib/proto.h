/*
 * proto.h - the clusterctl <-> clusterd IPC protocol.
 *
 * Transport: libqb IPC service CD_IPC_SERVICE. Each message is a libqb
 * header (request: id + size; reply/event: id + size + error) followed by
 * a UTF-8 JSON object, not NUL-terminated, of at most CD_IPC_MAX_MSG bytes
 * in all. Every object carries "v": CD_PROTO_VERSION.
 *
 *   request  {"v":1, "cmd":"status", "args":{...}}            id REQUEST
 *   reply    {"v":1, "ok":true, "data":{...}}                  id REPLY
 *            {"v":1, "ok":false, "error":{"code":"...", "message":"..."}}
 *   event    {"v":1, "event":"membership", "data":{...}}       id EVENT
 *
 * Decoders never trust their input: wrong framing, sizes, versions, non-
 * objects and missing fields are rejected with a domain error.
 */
#ifndef CLUSTERD_PROTO_H
#define CLUSTERD_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <json-c/json.h>

#define CD_IPC_SERVICE		"clusterd"
#define CD_PROTO_VERSION	1
#define CD_IPC_MAX_MSG		(256 * 1024)
#define CD_PROTO_CMD_MAX	32
#define CD_PROTO_MSG_MAX	512

enum cd_ipc_msg_id {
	CD_IPC_MSG_REQUEST = 1,
	CD_IPC_MSG_REPLY = 2,
	CD_IPC_MSG_EVENT = 3,
};

struct cd_request {
	char cmd[CD_PROTO_CMD_MAX];
	json_object *args;	/* borrowed from root; an empty object if absent */
	json_object *root;	/* owned; released by cd_request_clear() */
};

struct cd_reply {
	bool ok;
	json_object *data;	/* borrowed from root; NULL on error */
	char code[CD_PROTO_CMD_MAX];		/* error code when !ok */
	char message[CD_PROTO_MSG_MAX];		/* error text when !ok */
	json_object *root;	/* owned; released by cd_reply_clear() */
};

struct cd_event {
	char name[CD_PROTO_CMD_MAX];
	json_object *data;	/* borrowed from root */
	json_object *root;	/* owned; released by cd_event_clear() */
};

/**
 * Encode a request.
 * @param cmd   command name (1..CD_PROTO_CMD_MAX-1 chars)
 * @param args  arguments object or NULL; borrowed (a reference is taken
 *              while encoding and dropped again)
 * @param size  out: size of the returned message
 * @return a malloc'd message the caller frees, or NULL with errno set
 */
void *cd_proto_request_encode(const char *cmd, json_object *args,
			      size_t *size);

/**
 * Decode and validate a request.
 * @return 0 with *req filled (caller calls cd_request_clear), or a negative
 *         error (CD_E_PROTO_*, -ENOMEM); *req is empty on failure
 */
int cd_proto_request_decode(const void *msg, size_t size,
			    struct cd_request *req);
void cd_request_clear(struct cd_request *req);

/**
 * Encode a reply (ok when err == 0) or an event.
 * @param data    payload object or NULL; borrowed
 * @param err     0, or the negative error that failed the request
 * @param message human readable error text when err != 0 (NULL: cd_strerror)
 * @return a malloc'd message the caller frees, or NULL with errno set
 */
void *cd_proto_reply_encode(json_object *data, int err, const char *message,
			    size_t *size);
void *cd_proto_event_encode(const char *name, json_object *data,
			    size_t *size);

/** Decode a reply / an event. Same conventions as the request decoder. */
int cd_proto_reply_decode(const void *msg, size_t size, struct cd_reply *rep);
void cd_reply_clear(struct cd_reply *rep);
int cd_proto_event_decode(const void *msg, size_t size, struct cd_event *ev);
void cd_event_clear(struct cd_event *ev);

#endif
