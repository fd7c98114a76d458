/*
 * cpgmsg.h - messages clusterd nodes exchange over their CPG group.
 *
 * Wire format, version 1: a 16-byte header, all fields little-endian,
 *   u32 magic 0x314d4443 ("CDM1"), u16 version, u16 type,
 *   u32 payload length, u32 reserved (0)
 * followed by exactly `length` bytes of strict UTF-8 JSON (one object).
 * Bodies by type:
 *   CHANGE      {"req": u64>0, "origin": u32>0, "ops": [ops as state.h]}
 *   SYNC_OFFER  {"generation": u64, "hash": "16 hex digits", "uuid": str}
 *   SYNC_STATE  {"to_generation": u64, "state": {state document}}
 *   EPHEMERAL   {"ops": [test and set ops as state.h]}: values shown on
 *               top of the state, never applied to it (state-overlay.h)
 * The decoder rejects wrong magic, unknown versions and types, lengths
 * that do not match, oversized messages, invalid JSON and bodies that lack
 * a field or have one of the wrong type. It never crashes on any input.
 */
#ifndef CLUSTERD_CPGMSG_H
#define CLUSTERD_CPGMSG_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CD_CPG_MAGIC		0x314d4443u
#define CD_CPG_VERSION		1
#define CD_CPG_HDR_SIZE		16
#define CD_CPG_MAX_MSG		(1024 * 1024)

enum cd_cpg_type {
	CD_CPG_CHANGE = 1,
	CD_CPG_SYNC_OFFER = 2,
	CD_CPG_SYNC_STATE = 3,
	CD_CPG_ACK = 4,		/* {epoch, generation}: durable here (sync.h S5) */
	CD_CPG_HEARTBEAT = 5,	/* {t0}: sender's monotonic ms (lease.h L1) */
	CD_CPG_VIEW_CLAIM = 6,	/* {epoch, state}: the witness holder claims a half
				 * view: the epoch to promise, the state to go on
				 * from (the round's or the witness copy) (S7) */
	CD_CPG_EPHEMERAL = 7,	/* {ops}: not persisted (state-overlay.h) */
	CD_CPG_WITNESS_ACK = 8,	/* {epoch, generation}: on the witness LUN (S5, S7) */
};

struct cd_cpg_msg {
	enum cd_cpg_type type;
	json_object *body;	/* owned; cd_cpg_msg_clear releases it */
};

/**
 * Encode a message. body is borrowed and must match the type's schema.
 * @return a malloc'd buffer of *len bytes, or NULL with errno (EINVAL for a
 *         body that does not match, EMSGSIZE when too large, ENOMEM)
 */
void *cd_cpg_encode(enum cd_cpg_type type, json_object *body, size_t *len);

/**
 * Decode and validate a message.
 * @return 0 with *msg filled; or -CD_E_PROTO_MALFORMED, -CD_E_PROTO_VERSION,
 *         -CD_E_PROTO_TOO_BIG, -CD_E_UNKNOWN_CMD (unknown type), -ENOMEM;
 *         *msg is empty on failure
 */
int cd_cpg_decode(const void *buf, size_t len, struct cd_cpg_msg *msg);

void cd_cpg_msg_clear(struct cd_cpg_msg *msg);

/** Name of a message type for logs ("change", "sync-offer"...). */
const char *cd_cpg_type_str(enum cd_cpg_type type);

#endif
