/*
 * state.h - the replicated cluster state document (pure code, no I/O
 * except cd_state_load/cd_state_save).
 *
 * The document (json-c), format 1 (every path, with its type and meaning:
 * lib/state-schema.h, which the rest of the code goes through):
 *   {
 *     "format": 1,
 *     "uuid": "8c5f...",            cluster identity, fixed at creation
 *     "generation": 7,              +1 for every applied change
 *     "config": {
 *       "cluster_name": "prod",
 *       "nodes": { "n1": {"id": 1, "addr": "10.0.0.1"}, ... },
 *       "quorum": { "mode": "auto", "witness": null },
 *       "properties": { "migration-bandwidth-mbps": 0, ... },
 *       "roles": {}, "resources": {}, "volumes": {}
 *     },
 *     "runtime": { "resources": {}, "fences": [] }
 *   }
 * Every change is a list of operations applied atomically (all or none):
 *   {"op": "set",    "path": "config.properties.foo", "value": <any JSON>}
 *   {"op": "delete", "path": "config.properties.foo"}
 *   {"op": "test",   "path": "runtime.roles.web.state", "value": "started"}
 * ("test" makes the whole change conditional: it fails unless the member
 * equals value, an absent member counting as null.)
 * Paths are dot-separated object keys under "config" or "runtime"; each key
 * is 1..63 chars of [A-Za-z0-9_-]. "set" creates missing intermediate
 * objects; "delete" of a missing key is an error.
 */
#ifndef CLUSTERD_STATE_H
#define CLUSTERD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CD_STATE_FORMAT		1
#define CD_STATE_MAX_OPS	64
#define CD_STATE_UUID_MAX	40
/*
 * Limits every valid document keeps, so that it always survives being
 * serialised and parsed again (state file, SYNC_STATE message): at most
 * CD_STATE_MAX_DEPTH nested objects/arrays (the document itself counts
 * as 1), only finite numbers, and at most CD_STATE_MAX_SIZE bytes in its
 * plain serialisation (a SYNC_STATE message must be able to carry it).
 */
#define CD_STATE_MAX_DEPTH	20
#define CD_STATE_MAX_SIZE	(1000 * 1024)

struct cd_state {
	json_object *doc;	/* owned; NULL when empty */
};

/**
 * Make a fresh document with generation 0 (an empty node list).
 * s must be empty or hold a state (zero-initialise it first): a previous
 * document is released on success.
 * @param cluster_name 1..63 chars; @param uuid 1..39 chars
 * @return 0, -EINVAL, -ENOMEM
 */
int cd_state_init(struct cd_state *s, const char *cluster_name,
		  const char *uuid);

/** Release the document. Safe on an empty state. */
void cd_state_clear(struct cd_state *s);

/**
 * Validate a document and take it as the state (the state takes its own
 * reference; the caller keeps its own). The old document is released only
 * on success.
 * @return 0, or -CD_E_STATE_INVALID with a reason in err
 */
int cd_state_set_doc(struct cd_state *s, json_object *doc, char *err,
		     size_t errlen);

/**
 * Deep copy of another state (for transactional work). dst must be empty
 * or hold a state (zero-initialise it first); its previous document is
 * released on success. @return 0/-ENOMEM
 */
int cd_state_copy(struct cd_state *dst, const struct cd_state *src);

uint64_t cd_state_generation(const struct cd_state *s);	/* 0 if empty */
/** The epoch of the last majority view that held this state (0: none). */
uint64_t cd_state_epoch(const struct cd_state *s);
/** Stamp the state with a view's epoch (generation unchanged). @return 0, -EINVAL, -ENOMEM */
int cd_state_set_epoch(struct cd_state *s, uint64_t epoch);
const char *cd_state_uuid(const struct cd_state *s);	/* "" if empty */
const char *cd_state_cluster_name(const struct cd_state *s); /* "" if empty */

/**
 * 64-bit FNV-1a hash of the canonical (sorted keys, plain) serialisation;
 * equal documents hash equal on every node. 0 for an empty state.
 */
uint64_t cd_state_hash(const struct cd_state *s);

/**
 * Apply a list of operations atomically and add 1 to the generation.
 * Paths have 2 or more keys and start with "config" or "runtime"; "set"
 * needs "value" (copied), "delete" takes none; other members are refused.
 * The resulting document must pass the same validation as
 * cd_state_set_doc and keep the rules of state-rules.h.
 * @param ops  a JSON array of 1..CD_STATE_MAX_OPS operations (borrowed)
 * @return 0; or -CD_E_BAD_ARGS, -ENOSPC (no room: state-rules.h rules 1-2)
 *         or -EEXIST (a VM claimed twice: rule 3) with a reason in err and
 *         the state unchanged (-ENOMEM likewise)
 */
int cd_state_apply(struct cd_state *s, json_object *ops, char *err,
		   size_t errlen);

/**
 * Build one operation {"op": kind, "path": path, "value": value} for
 * cd_state_apply. value is taken over (NULL is JSON null, as "test" may
 * want); a "delete" gets no value member.
 * @return a new object, or NULL when out of memory
 */
json_object *cd_state_op(const char *kind, const char *path, json_object *value);

/**
 * Look up a dotted path (same key syntax as the operations, but any first
 * key: "generation" works); borrowed result, NULL if absent, if the path
 * is invalid, or if the value is JSON null.
 */
json_object *cd_state_get(const struct cd_state *s, const char *path);

/**
 * Read a state file. @return 0; -ENOENT if there is none; -CD_E_STATE_INVALID
 * (reason in err) if it is unreadable, not JSON, or fails validation; the
 * state is unchanged on failure.
 */
int cd_state_load(struct cd_state *s, const char *path, char *err,
		  size_t errlen);

/**
 * Write the state atomically: PATH.tmp, fsync, rename over PATH, fsync the
 * directory. A crash leaves either the old or the new file, never a torn
 * one. @return 0 or a negative errno.
 */
int cd_state_save(const struct cd_state *s, const char *path);

/* ---- state synchronisation after a membership change ---- */

struct cd_sync_offer {
	uint32_t nodeid;
	uint64_t generation;
	uint64_t hash;
	uint64_t epoch;		/* the view that last applied a change to it */
	uint64_t promised;	/* the highest epoch this node promised (S3) */
};

/**
 * Choose whose state every member adopts (lib/sync.h rule S1): the highest
 * epoch, then the highest generation, then the lowest node id. Only a
 * majority view raises the epoch and applies changes, so the highest
 * (epoch, generation) holds every change a majority acknowledged.
 * @param all_equal out: true when every offer has the same epoch,
 *                  generation and hash, so no transfer is needed
 * @return the winner's node id, 0 if n == 0
 */
uint32_t cd_sync_choose(const struct cd_sync_offer *offers, size_t n,
			bool *all_equal);

#endif
