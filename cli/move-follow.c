/*
 * move-follow.c - following a role to its goal (move-follow.h).
 */
#include "move-follow.h"
#include "timeutil.h"

#include <string.h>

const char *
mf_phase(json_object *rt)
{
	json_object *mig = NULL;

	if (!rt || !json_object_object_get_ex(rt, "migration", &mig) || !mig)
		return NULL;
	return ctl_jstr(mig, "phase", "?");
}

const struct cd_mig_step *
mf_step(json_object *rt)
{
	json_object *mig = NULL;
	enum cd_mig_phase ph;
	enum cd_mig_type type;

	if (!mf_phase(rt) || !json_object_object_get_ex(rt, "migration", &mig) ||
	    cd_migphase_parse(ctl_jstr(mig, "phase", ""), &ph) ||
	    cd_migtype_parse(ctl_jstr(mig, "type", ""), &type))
		return NULL;
	return cd_migphase_step(type, ph);
}

enum mf_verdict
mf_judge(const struct mf_goal *goal, json_object *rt, uint64_t elapsed_ms,
	 struct mf_seen *seen)
{
	const char *state = ctl_jstr(rt, "state", "?");
	const char *owner = ctl_jstr(rt, "owner", "");
	const char *move_to = ctl_jstr(rt, "move_to", "");
	bool migrating = mf_phase(rt) != NULL;
	bool settled = !strcmp(state, "started") || !strcmp(state, "stopped");

	if (migrating)
		seen->migration = true;
	/* 1 */
	if (!strcmp(state, goal->state) && (!goal->node || !strcmp(owner, goal->node)) &&
	    !migrating)
		return MF_DONE;
	/* 2 */
	if (strcmp(state, "failed"))
		seen->live = true;
	else if (seen->live)
		return MF_FAILED;
	if (!goal->node)
		return MF_PENDING;
	/* 3 */
	if (migrating || !strcmp(move_to, goal->node))
		seen->move = true;
	if (!migrating && !*move_to && settled && *owner &&
	    (seen->move || elapsed_ms >= MF_GRACE_MS))
		return MF_NOT_MOVED;
	return MF_PENDING;
}

int
mf_follow(const struct mf_follow *f, json_object **last, enum mf_verdict *verdict)
{
	json_object *args = json_object_new_object(), *data, *rt;
	struct mf_seen seen = { false, false, false };
	uint64_t elapsed;
	int64_t left;
	int rc;

	json_object_object_add(args, "name", json_object_new_string(f->goal.role));
	*last = NULL;
	for (;;) {
		*verdict = MF_PENDING;
		data = NULL;
		rc = f->conn ? ctl_request_sync(f->conn, "role-show", args, &data) :
			       ctl_call("role-show", args, &data);
		if (rc)
			break;
		rt = NULL;
		json_object_object_get_ex(data, "runtime", &rt);
		json_object_put(*last);
		*last = rt ? json_object_get(rt) : NULL;
		json_object_put(data);
		elapsed = cd_now_mono_ms() - f->t0;
		*verdict = mf_judge(&f->goal, *last, elapsed, &seen);
		if (f->look)
			f->look(f->arg, *last, *verdict, &seen, elapsed);
		if (*verdict != MF_PENDING) {
			rc = *verdict == MF_DONE ? CTL_EXIT_OK : CTL_EXIT_FAILED;
			break;
		}
		left = f->timeout_ms - (int64_t)elapsed;
		if (left <= 0) {
			rc = CTL_EXIT_TIMEOUT;
			break;
		}
		ctl_wait_change(f->subscribed ? f->conn : NULL,
				left < MF_LOOK_MAX_MS ? (int)left : MF_LOOK_MAX_MS);
	}
	json_object_put(args);
	return rc;
}
