/*
 * smove.c - the phases of a live storage move (see smove.h, rules S1-S9).
 */
#include "smove.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

static const struct cd_smove_step steps[] = {
	/* phase            action                 ok               switched
	 *                  failed                 commit flags */
	{ CD_SMOVE_MIRROR, "move_storage",        CD_SMOVE_FINISH, CD_SMOVE_FINISH,
			   CD_SMOVE_UNDO,          true,  CD_SMOVE_CANCEL | CD_SMOVE_PROGRESS |
							  CD_SMOVE_ERROR_MATTERS },
	{ CD_SMOVE_UNDO,   "move_storage_undo",   CD_SMOVE_DONE,   CD_SMOVE_FINISH,
			   CD_SMOVE_DONE,          false, CD_SMOVE_ERROR_MATTERS },
	{ CD_SMOVE_FINISH, "move_storage_finish", CD_SMOVE_DONE,   CD_SMOVE_DONE,
			   CD_SMOVE_DONE,          false, CD_SMOVE_ERROR_MATTERS },
};

static const char *const names[] = {
	[CD_SMOVE_NONE] = "",
	[CD_SMOVE_MIRROR] = "mirror",
	[CD_SMOVE_UNDO] = "undo",
	[CD_SMOVE_FINISH] = "finish",
	[CD_SMOVE_DONE] = "done",
};

const struct cd_smove_step *
cd_smove_step(enum cd_smove_phase phase)
{
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].phase == phase)
			return &steps[i];
	return NULL;
}

enum cd_smove_phase
cd_smove_next(enum cd_smove_phase phase, bool ok, bool switched, bool *commit)
{
	const struct cd_smove_step *s = cd_smove_step(phase);

	*commit = false;
	if (!s)
		return CD_SMOVE_NONE;
	if (!ok)
		return s->on_failure;			/* S4 */
	if (phase == CD_SMOVE_UNDO && switched) {
		*commit = true;				/* S3 */
		return s->on_switched;
	}
	*commit = s->commit_on_success;			/* S3 */
	return s->on_success;
}

bool
cd_smove_cancellable(enum cd_smove_phase phase)
{
	const struct cd_smove_step *s = cd_smove_step(phase);

	return s && (s->flags & CD_SMOVE_CANCEL);	/* S5 */
}

enum cd_smove_duty
cd_smove_duty(enum cd_smove_phase phase, bool mine, bool claimed, bool by_me, bool busy,
	      bool reported)
{
	if (!mine || !cd_smove_step(phase))
		return CD_SMOVE_DUTY_NONE;
	if (busy || reported)
		return CD_SMOVE_DUTY_WAIT;
	if (!claimed)
		return CD_SMOVE_DUTY_CLAIM;
	if (by_me)
		return CD_SMOVE_DUTY_RUN;
	return phase == CD_SMOVE_MIRROR ? CD_SMOVE_DUTY_ORPHANED : CD_SMOVE_DUTY_CLAIM;
}

enum cd_smove_loss
cd_smove_node_lost(enum cd_smove_phase phase, bool node_up, bool fenced)
{
	if (node_up || phase == CD_SMOVE_NONE || phase == CD_SMOVE_DONE)
		return CD_SMOVE_LOSS_NONE;
	return fenced ? CD_SMOVE_LOSS_END : CD_SMOVE_LOSS_WAIT;	/* S7 */
}

int
cd_smove_check_start(const struct cd_smove_start *s, char *err, size_t err_size)
{
	if (!s->is_vm) {
		snprintf(err, err_size, "not a VM (a role of one ocf:clusterd:vm resource "
			 "added with 'clusterctl vm add')");
		return -ENOTSUP;
	}
	if (s->moving) {
		snprintf(err, err_size, "a storage move of this VM is under way");
		return -EBUSY;
	}
	if (s->migrating) {
		snprintf(err, err_size, "the VM is migrating; move its storage after that");
		return -EBUSY;
	}
	if (!s->role_started || !s->owner_up) {
		snprintf(err, err_size, "the VM is not running (%s); a stopped VM's image can "
			 "be moved by hand", !s->role_started ? "its role is not started" :
			 "its owner is not up");
		return -EBUSY;
	}
	if (s->disk < 0 || (size_t)s->disk >= s->n_disks) {
		snprintf(err, err_size, "no disk %ld: the VM has %zu disk%s (0..%zu)", s->disk,
			 s->n_disks, s->n_disks == 1 ? "" : "s", s->n_disks ? s->n_disks - 1 : 0);
		return -EINVAL;
	}
	if (!s->to || s->to[0] != '/' || strstr(s->to, "/../") || strstr(s->to, "/./") ||
	    s->to[strlen(s->to) - 1] == '/') {
		snprintf(err, err_size, "the new image must be an absolute file path, not '%s'",
			 s->to ? s->to : "");
		return -EINVAL;
	}
	if (s->format && strcmp(s->format, "raw") && strcmp(s->format, "qcow2")) {
		snprintf(err, err_size, "format %s: a move creates raw or qcow2 images", s->format);
		return -EINVAL;
	}
	if (s->from && !strcmp(s->from, s->to)) {
		snprintf(err, err_size, "disk %ld is at %s already", s->disk, s->to);
		return -EEXIST;
	}
	if (s->claimed_by) {
		snprintf(err, err_size, "%s is a disk of VM resource %s", s->to, s->claimed_by);
		return -EEXIST;
	}
	return 0;
}

const char *
cd_smove_str(enum cd_smove_phase phase)
{
	return (unsigned)phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "";
}

int
cd_smove_parse(const char *s, enum cd_smove_phase *out)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum cd_smove_phase)i;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *
jget(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

char *
cd_smove_moves_add(const char *moves, const char *from, const char *to, const char *format)
{
	json_object *a = json_tokener_parse(moves && *moves ? moves : "[]"), *e, *out;
	size_t i, n;
	char *text;

	if (!a || !json_object_is_type(a, json_type_array)) {
		json_object_put(a);
		errno = EINVAL;
		return NULL;
	}
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_object) || !jget(e, "from") || !jget(e, "to")) {
			json_object_put(a);
			errno = EINVAL;
			return NULL;
		}
		if (!strcmp(jget(e, "to"), from)) {	/* A->from becomes A->to */
			json_object_object_add(e, "to", json_object_new_string(to));
			if (format)
				json_object_object_add(e, "format", json_object_new_string(format));
		}
	}
	e = json_object_new_object();
	json_object_object_add(e, "from", json_object_new_string(from));
	json_object_object_add(e, "to", json_object_new_string(to));
	if (format)
		json_object_object_add(e, "format", json_object_new_string(format));
	json_object_array_add(a, e);
	out = json_object_new_array();
	n = json_object_array_length(a);
	for (i = n > CD_SMOVE_MOVES_MAX ? n - CD_SMOVE_MOVES_MAX : 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (strcmp(jget(e, "from"), jget(e, "to")))	/* moved back: no move */
			json_object_array_add(out, json_object_get(e));
	}
	text = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(out);
	json_object_put(a);
	if (!text)
		errno = ENOMEM;
	return text;
}
