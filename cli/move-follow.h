/*
 * move-follow.h - following one role after a request until it is where it
 * was asked to be: `role start|stop|move --wait`, `move`, and each move of
 * `node drain`. One rule decides for all of them (mf_judge()); each command
 * shows progress and words its result its own way (the look callback, the
 * verdict and the last runtime it gets back).
 *
 * The rule, applied to the role's runtime (role-show's "runtime") at every
 * look, in this order:
 *  1. Done: the state is the goal state, the owner is the goal node when
 *     the goal names one, and no migration is under way (a migration is
 *     over only once the source has dropped its copy as well).
 *  2. Failed: the state is "failed" and this wait saw another state before
 *     (a role failed at the first look is being recovered by the request).
 *  3. Not moved (goals with a node only): no migration under way, no move
 *     pending (move_to empty), the role settled (started or stopped) on a
 *     node without meeting rule 1; and either the move was seen under way
 *     (move_to was the goal node, or a migration ran) or MF_GRACE_MS have
 *     passed since the request (the leader may refuse it before the first
 *     look, clearing move_to).
 *  4. Otherwise pending: look again after the next clusterd event (every 20
 *     ms without a subscription) until the caller's timeout.
 *
 * The migration phases matter here only as "a migration is under way";
 * mf_phase() is the one place that reads them, and mf_step() their row in
 * the migration phase table (lib/migphase.h) for the progress display.
 */
#ifndef CLUSTERCTL_MOVE_FOLLOW_H
#define CLUSTERCTL_MOVE_FOLLOW_H

#include "ctl.h"
#include "migphase.h"

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#define MF_GRACE_MS	1000	/* rule 3: a refusal the wait did not see */
#define MF_LOOK_MAX_MS	250	/* longest wait for an event between looks */

enum mf_verdict {
	MF_PENDING = 0,		/* rule 4 (also: timed out, or a request failed) */
	MF_DONE,		/* rule 1 */
	MF_FAILED,		/* rule 2 */
	MF_NOT_MOVED,		/* rule 3 */
};

/* Where the role should get to. Strings are borrowed. */
struct mf_goal {
	const char *role;
	const char *node;	/* the owner wanted; NULL: any */
	const char *state;	/* "started" or "stopped" */
};

/* What a wait has seen so far (zeroed at its start; mf_judge() updates it). */
struct mf_seen {
	bool live;		/* a state other than "failed" (rule 2) */
	bool move;		/* move_to was the goal node, or a migration (rule 3) */
	bool migration;		/* a migration was under way at some look */
};

/**
 * The rule above: one look at @p rt (the role's runtime, NULL when it has
 * none), @p elapsed_ms after the request. Pure.
 */
enum mf_verdict mf_judge(const struct mf_goal *goal, json_object *rt,
			 uint64_t elapsed_ms, struct mf_seen *seen);

/** The phase of the migration under way in @p rt ("prepare", "send"...,
 * borrowed from rt), or NULL when none is. */
const char *mf_phase(json_object *rt);

/** The migration table's row (lib/migphase.h) of the migration under way
 * in @p rt, or NULL (none, or a type or phase the table does not know). */
const struct cd_mig_step *mf_step(json_object *rt);

/**
 * Called after every look, before the timeout is checked: @p rt is the
 * runtime just read (borrowed, may be NULL), @p v its verdict.
 */
typedef void (*mf_look_fn)(void *arg, json_object *rt, enum mf_verdict v,
			   const struct mf_seen *seen, uint64_t elapsed_ms);

struct mf_follow {
	struct ctl_conn *conn;	/* role-show goes through it; NULL: ctl_call() */
	bool subscribed;	/* conn receives clusterd's events: wake on each */
	struct mf_goal goal;
	uint64_t t0;		/* when the request went out (cd_now_mono_ms()) */
	int64_t timeout_ms;	/* from t0 */
	mf_look_fn look;	/* may be NULL */
	void *arg;
};

/**
 * Look at the role (role-show) until mf_judge() decides or the timeout
 * passes. Prints nothing itself but request errors (as ctl_request does).
 * @param last     out: the last runtime read (new reference, caller puts
 *                 it), NULL if none was
 * @param verdict  out: the last verdict (MF_PENDING on a timeout or error)
 * @return CTL_EXIT_OK (done), CTL_EXIT_FAILED (failed, not moved),
 *         CTL_EXIT_TIMEOUT, or a failed request's exit code
 */
int mf_follow(const struct mf_follow *f, json_object **last,
	      enum mf_verdict *verdict);

#endif
