/*
 * state-overlay.h - values shown on top of the replicated state without
 * being part of it: what changes several times a second (a live
 * migration's progress) travels in CPG messages of its own (cpgmsg.h
 * EPHEMERAL), is kept in memory on each node and is never saved, hashed,
 * synchronised or fsynced. Pure code: no I/O; the daemon (clusterd/
 * ephemeral.c) owns one overlay and feeds it what CPG delivers.
 *
 * An update is a list of operations in state.h's format, "test" and "set"
 * only, e.g.
 *   [{"op": "test", "path": "runtime.roles.web.migration.phase", "value": "send"},
 *    {"op": "set",  "path": "runtime.roles.web.migration.progress", "value": "..."}]
 *
 * Rules:
 *  O1. An update holds at least one "set" and at most CD_STATE_MAX_OPS
 *      operations; anything else (other ops, paths that are not strings or
 *      longer than CD_OVERLAY_PATH_MAX - 1, a set or test without a value)
 *      is -EINVAL and changes nothing.
 *  O2. Its tests guard every value it sets: a value is shown only while
 *      each test of its update holds in the replicated state (the member at
 *      the path equals the value; an absent member equals JSON null), so a
 *      value dies with what it describes (the migration phase moved on, the
 *      migration ended) without anyone deleting it. An update whose tests
 *      fail when it arrives is -ESTALE and is not kept.
 *  O3. A set replaces the value kept for the same path (last delivered
 *      wins: CPG delivers in one total order, so every node keeps the same).
 *  O4. At most CD_OVERLAY_MAX values are kept: a new path when full first
 *      drops values whose tests no longer hold, then the oldest.
 *  O5. Readers see a value at its path only under a member that exists in
 *      the replicated state (the overlay adds leaves, never objects).
 */
#ifndef CLUSTERD_STATE_OVERLAY_H
#define CLUSTERD_STATE_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "state.h"

#define CD_OVERLAY_MAX		64
#define CD_OVERLAY_PATH_MAX	256

struct cd_overlay_entry {
	char path[CD_OVERLAY_PATH_MAX];
	json_object *value;	/* owned */
	json_object *tests;	/* owned: the update's test operations */
	uint64_t seq;		/* arrival order, for O4 */
};

struct cd_overlay {
	struct cd_overlay_entry e[CD_OVERLAY_MAX];
	size_t n;
	uint64_t seq;
};

/** An empty overlay (a zeroed struct is one too). */
void cd_overlay_init(struct cd_overlay *ov);

/** Drop every value. */
void cd_overlay_clear(struct cd_overlay *ov);

/**
 * Apply one update (O1-O4), judged against the replicated state st.
 * ops is borrowed. @return 0, -EINVAL, -ESTALE or -ENOMEM
 */
int cd_overlay_put(struct cd_overlay *ov, const struct cd_state *st, json_object *ops);

/**
 * The value shown at path, or NULL (none, or its tests fail now: it is
 * then dropped). Borrowed: valid until the next call on ov.
 */
json_object *cd_overlay_get(struct cd_overlay *ov, const struct cd_state *st,
			    const char *path);

/**
 * Add the values shown under prefix (a state path such as
 * "runtime.roles.web") to obj, a copy of the member at prefix the caller
 * owns: the value at prefix.a.b goes to obj.a.b if obj.a exists (O5).
 * @return how many values were added
 */
size_t cd_overlay_merge(struct cd_overlay *ov, const struct cd_state *st,
			const char *prefix, json_object *obj);

#endif
