/*
 * migphase.c - the migration phase table (see migphase.h for the rules).
 */
#include "migphase.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define L CD_MIG_LIVE
#define Q CD_MIG_QUICK
#define KEEP (-1)

static const struct cd_mig_step table[] = {
	/* type phase            side            action             success              failure              run_ok run_fail flags */
	{ L, CD_MIG_NONE,         CD_MIG_LEADER, NULL,              CD_MIG_PREPARE,      CD_MIG_NONE,         KEEP, KEEP, 0 },
	{ L, CD_MIG_PREPARE,      CD_MIG_TARGET, "migrate_prepare", CD_MIG_SEND,         CD_MIG_ABORT,        1, KEEP,
	  CD_MIG_CANCEL | CD_MIG_UNDO | CD_MIG_GIVES_URI },
	{ L, CD_MIG_SEND,         CD_MIG_SOURCE, "migrate_to",      CD_MIG_FINISH,       CD_MIG_ABORT,        KEEP, KEEP,
	  CD_MIG_CANCEL | CD_MIG_UNDO_PAUSED | CD_MIG_PROGRESS },
	{ L, CD_MIG_FINISH,       CD_MIG_TARGET, "migrate_from",    CD_MIG_CLEANUP,      CD_MIG_ABORT,        1, KEEP,
	  CD_MIG_SWITCH },
	{ L, CD_MIG_CLEANUP,      CD_MIG_SOURCE, "stop",            CD_MIG_DONE,         CD_MIG_DONE,         0, 0, 0 },
	{ L, CD_MIG_ABORT,        CD_MIG_TARGET, "migrate_abort",   CD_MIG_ABORT_SOURCE, CD_MIG_ABORT_SOURCE, 0, 0,
	  CD_MIG_ROLLBACK },
	{ L, CD_MIG_ABORT_SOURCE, CD_MIG_SOURCE, "migrate_abort",   CD_MIG_DONE,         CD_MIG_DONE,         1, 0,
	  CD_MIG_ROLLBACK | CD_MIG_FAIL_ROLE },
	{ L, CD_MIG_DONE,         CD_MIG_NOBODY, NULL,              CD_MIG_NONE,         CD_MIG_NONE,         KEEP, KEEP,
	  CD_MIG_TERMINAL },

	{ Q, CD_MIG_NONE,         CD_MIG_LEADER, NULL,              CD_MIG_PREPARE,      CD_MIG_NONE,         KEEP, KEEP, 0 },
	{ Q, CD_MIG_PREPARE,      CD_MIG_TARGET, "migrate_prepare", CD_MIG_SAVE,         CD_MIG_ABORT,        1, KEEP,
	  CD_MIG_CANCEL | CD_MIG_UNDO | CD_MIG_GIVES_URI },
	{ Q, CD_MIG_SAVE,         CD_MIG_SOURCE, "save",            CD_MIG_RESTORE,      CD_MIG_ABORT,        0, KEEP,
	  CD_MIG_CANCEL | CD_MIG_UNDO },
	{ Q, CD_MIG_RESTORE,      CD_MIG_TARGET, "restore",         CD_MIG_CLEANUP,      CD_MIG_ABORT_SOURCE, 1, KEEP,
	  CD_MIG_SWITCH },
	{ Q, CD_MIG_CLEANUP,      CD_MIG_SOURCE, "stop",            CD_MIG_DONE,         CD_MIG_DONE,         0, 0, 0 },
	{ Q, CD_MIG_ABORT,        CD_MIG_TARGET, "migrate_abort",   CD_MIG_ABORT_SOURCE, CD_MIG_ABORT_SOURCE, 0, 0,
	  CD_MIG_ROLLBACK },
	{ Q, CD_MIG_ABORT_SOURCE, CD_MIG_SOURCE, "restore",         CD_MIG_DONE,         CD_MIG_DONE,         1, 0,
	  CD_MIG_ROLLBACK | CD_MIG_FAIL_ROLE },
	{ Q, CD_MIG_DONE,         CD_MIG_NOBODY, NULL,              CD_MIG_NONE,         CD_MIG_NONE,         KEEP, KEEP,
	  CD_MIG_TERMINAL },
};

static const char *const names[] = {
	[CD_MIG_NONE] = "",
	[CD_MIG_PREPARE] = "prepare",
	[CD_MIG_SEND] = "send",
	[CD_MIG_SAVE] = "save",
	[CD_MIG_FINISH] = "finish",
	[CD_MIG_RESTORE] = "restore",
	[CD_MIG_CLEANUP] = "cleanup",
	[CD_MIG_ABORT] = "abort",
	[CD_MIG_ABORT_SOURCE] = "abort-source",
	[CD_MIG_DONE] = "done",
};

const struct cd_mig_step *
cd_migphase_step(enum cd_mig_type type, enum cd_mig_phase phase)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].type == type && table[i].phase == phase)
			return &table[i];
	}
	return NULL;
}

enum cd_mig_phase
cd_migphase_next(enum cd_mig_type type, enum cd_mig_phase phase, bool ok)
{
	const struct cd_mig_step *s = cd_migphase_step(type, phase);

	if (!s)
		return CD_MIG_NONE;
	return ok ? s->on_success : s->on_failure;
}

const char *
cd_migphase_action(enum cd_mig_type type, enum cd_mig_phase phase, bool is_source,
		   bool is_target)
{
	const struct cd_mig_step *s = cd_migphase_step(type, phase);

	if (!s || !s->action)
		return NULL;
	if ((s->side == CD_MIG_SOURCE && is_source) || (s->side == CD_MIG_TARGET && is_target))
		return s->action;
	return NULL;
}

bool
cd_migphase_error_matters(const struct cd_mig_step *s, bool ok)
{
	return !ok && s && s->action && (s->on_failure != s->on_success || (s->flags & CD_MIG_FAIL_ROLE));
}

bool
cd_migphase_cancellable(enum cd_mig_phase phase)
{
	const struct cd_mig_step *l = cd_migphase_step(CD_MIG_LIVE, phase);
	const struct cd_mig_step *q = cd_migphase_step(CD_MIG_QUICK, phase);

	return (l && (l->flags & CD_MIG_CANCEL)) || (q && (q->flags & CD_MIG_CANCEL));
}

bool
cd_migphase_undoable(enum cd_mig_type type, enum cd_mig_phase phase, bool paused)
{
	const struct cd_mig_step *s = cd_migphase_step(type, phase);

	return s && ((s->flags & CD_MIG_UNDO) || (paused && (s->flags & CD_MIG_UNDO_PAUSED)));
}

enum cd_mig_loss
cd_migphase_node_lost(enum cd_mig_phase phase, bool src_up, bool src_fenced, bool dst_up,
		      bool dst_fenced)
{
	if (src_up && dst_up)
		return CD_MIG_LOSS_NONE;			/* a */
	if (!src_up && src_fenced)
		return CD_MIG_LOSS_RECOVER;			/* b */
	if (src_up && dst_fenced)
		return phase == CD_MIG_ABORT_SOURCE ? CD_MIG_LOSS_NONE :
		       CD_MIG_LOSS_TAKE_BACK;			/* c */
	return CD_MIG_LOSS_WAIT;				/* d */
}

const char *
cd_migphase_str(enum cd_mig_phase phase)
{
	if ((unsigned)phase >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[phase];
}

int
cd_migphase_parse(const char *s, enum cd_mig_phase *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum cd_mig_phase)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
cd_migtype_str(enum cd_mig_type type)
{
	return type == CD_MIG_QUICK ? "quick" : "live";
}

int
cd_migtype_parse(const char *s, enum cd_mig_type *out)
{
	if (s && !strcmp(s, "live"))
		*out = CD_MIG_LIVE;
	else if (s && !strcmp(s, "quick"))
		*out = CD_MIG_QUICK;
	else
		return -EINVAL;
	return 0;
}
