/*
 * rm-storage.c - live storage moves (clusterctl vm move-storage, issue 17):
 * the IPC requests that start and cancel one, the steps the VM's node runs,
 * and the leader's part (a lost node). Which action runs in which phase and
 * what follows is lib/smove.h (rules S1-S9); the actions are the vm
 * agent's (agents/vm/vm-storage.h).
 *
 * The record, runtime.roles.R.storage_move, is one object set as a whole:
 *   {"disk": N, "from": OLD, "to": NEW, "format": F (optional),
 *    "node": where the guest runs, "phase": mirror|undo|finish,
 *    "runner": the clusterd instance that claimed the phase ("" none),
 *    "started_at": epoch s, "result": the copy's result line,
 *    "error": why it is being undone}
 * Every report tests that the record is still exactly what the step saw,
 * so a report of an old step or of another move never lands.
 */
#include "rm-int.h"
#include "ephemeral.h"
#include "error.h"
#include "jsonget.h"
#include "log.h"
#include "smove.h"
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIRROR_TIMEOUT_MS	(3600u * 1000)	/* move_storage: the whole copy */
#define STEP_TIMEOUT_MS		120000		/* undo, finish */
#define PROGRESS_EVERY_MS	500
#define RESEND_MS		1000		/* a report not recorded yet */

struct smove_ctx {
	struct cd_rm *rm;
	char role[RM_NAME_MAX];
	json_object *rec;	/* the record as the step saw it (owned) */
	enum cd_smove_phase phase;
	uint64_t last_progress_ms;
};

/* This clusterd instance, for the claim (S6): node, pid, start. */
static void
instance(struct cd_rm *rm, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%ld/%llu", rm_local_name(rm), (long)getpid(),
		 (unsigned long long)rm->started_ms);
}

static json_object *
record(struct cd_rm *rm, const char *role)
{
	json_object *r = cd_sp_get(cd_replica_state(rm->d), CD_SP_SMOVE, role);

	return r && json_object_is_type(r, json_type_object) ? r : NULL;
}

bool
rm_storage_active(struct cd_rm *rm, const char *role)
{
	return record(rm, role) != NULL;
}

static json_object *
copy(json_object *o)
{
	json_object *c = NULL;

	return json_object_deep_copy(o, &c, NULL) == 0 ? c : NULL;
}

/* Re-check (S1) the request against the record's claim to the new image. */
static const char *
claimed_by(struct cd_daemon *d, const char *own, size_t disk, const char *to)
{
	json_object *rscs = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCES), *vm, *disks;
	size_t i;

	if (!rscs)
		return NULL;
	json_object_object_foreach(rscs, id, rsc) {
		if (!json_object_object_get_ex(rsc, "vm", &vm) ||
		    !json_object_object_get_ex(vm, "disks", &disks))
			continue;
		for (i = 0; i < json_object_array_length(disks); i++) {
			if (!strcmp(id, own) && i == disk)
				continue;	/* the disk itself: "at ... already" */
			if (!strcmp(json_object_get_string(json_object_array_get_idx(disks, i)), to))
				return id;
		}
	}
	return NULL;
}

/* ---- IPC ---- */

int
cd_rm_ipc_vm_move_storage(struct cd_daemon *d, struct cd_ipc_client *client,
			  json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL), *to = cd_jstr(args, "to", NULL),
		   *format = cd_jstr(args, "format", NULL);
	struct cd_smove_start s = { .disk = cd_jint(args, "disk", -1), .to = to,
				    .format = format };
	struct rm_role *r = name ? rm_model_role(&d->rm->model, name) : NULL;
	json_object *rsc = NULL, *vm = NULL, *disks = NULL, *rec, *ops;
	const struct cd_node *mn;
	struct rm_node_rt *owner;
	char err[512];
	int rc;

	if (!r) {
		*out = cd_ipc_message("no VM '%s'", name ? name : "");
		return -ENOENT;
	}
	s.is_vm = r->migratable && (rsc = cd_sp_get(cd_replica_state(d), CD_SP_RESOURCE,
						   r->rsc[0].id)) &&
		  json_object_object_get_ex(rsc, "vm", &vm) &&
		  json_object_object_get_ex(vm, "disks", &disks) &&
		  json_object_is_type(disks, json_type_array);
	s.n_disks = s.is_vm ? json_object_array_length(disks) : 0;
	if (s.disk >= 0 && (size_t)s.disk < s.n_disks)
		s.from = json_object_get_string(json_object_array_get_idx(disks, (size_t)s.disk));
	s.role_started = r->p.state == CD_ROLE_STARTED && r->p.owner[0];
	owner = r->p.owner[0] ? rm_model_node(&d->rm->model, r->p.owner) : NULL;
	mn = owner ? cd_membership_node(&d->mship, owner->id) : NULL;
	s.owner_up = mn && cd_membership_node_state(mn) == CD_NODE_UP;
	s.migrating = r->mig.active || r->p.move_to[0];
	s.moving = record(d->rm, name) != NULL;
	if (s.is_vm && to && s.disk >= 0)
		s.claimed_by = claimed_by(d, r->rsc[0].id, (size_t)s.disk, to);
	if ((rc = cd_smove_check_start(&s, err, sizeof(err)))) {
		*out = cd_ipc_message("vm %s: %s", name, err);
		return rc == -EINVAL ? -CD_E_BAD_ARGS : rc;
	}
	rec = json_object_new_object();
	json_object_object_add(rec, "disk", json_object_new_int64(s.disk));
	json_object_object_add(rec, "from", json_object_new_string(s.from));
	json_object_object_add(rec, "to", json_object_new_string(to));
	if (format)
		json_object_object_add(rec, "format", json_object_new_string(format));
	json_object_object_add(rec, "node", json_object_new_string(r->p.owner));
	json_object_object_add(rec, "phase", json_object_new_string(cd_smove_str(CD_SMOVE_MIRROR)));
	json_object_object_add(rec, "runner", json_object_new_string(""));
	json_object_object_add(rec, "started_at", json_object_new_int64((int64_t)time(NULL)));
	ops = json_object_new_array();
	rm_ops_guard(ops, name, r->p.owner, "started");
	cd_sp_op(ops, "test", NULL, CD_SP_SMOVE, name);			/* S8 */
	cd_sp_op(ops, "test", NULL, CD_SP_MIG, name);
	cd_sp_op(ops, "test", json_object_get(rsc), CD_SP_RESOURCE, r->rsc[0].id);
	cd_sp_op(ops, "set", rec, CD_SP_SMOVE, name);
	cd_sp_op(ops, "set", json_object_new_string(""), CD_SP_RT_ROLE_LAST_STORAGE_MOVE, name);
	cd_info("rm: role %s: storage move of disk %ld from %s to %s on %s requested", name,
		s.disk, s.from, to, r->p.owner);
	return rm_ipc_submit(d, client, ops, out);
}

int
cd_rm_ipc_vm_move_storage_cancel(struct cd_daemon *d, struct cd_ipc_client *client,
				 json_object *args, json_object **out)
{
	const char *name = cd_jstr(args, "name", NULL);
	json_object *rec = name ? record(d->rm, name) : NULL, *next, *ops;
	enum cd_smove_phase ph = CD_SMOVE_NONE;

	if (!rec) {
		*out = cd_ipc_message("VM %s has no storage move under way", name ? name : "");
		return -CD_E_BAD_ARGS;
	}
	if (cd_smove_parse(cd_jstr(rec, "phase", ""), &ph) || !cd_smove_cancellable(ph)) {
		*out = cd_ipc_message("VM %s: the storage move is at '%s': %s", name,
				      cd_jstr(rec, "phase", "?"), ph == CD_SMOVE_FINISH ?
				      "the switch is recorded, too late to cancel" :
				      "it is being undone already");
		return -EBUSY;
	}
	next = copy(rec);
	json_object_object_add(next, "phase", json_object_new_string(cd_smove_str(CD_SMOVE_UNDO)));
	json_object_object_add(next, "runner", json_object_new_string(""));
	json_object_object_add(next, "error", json_object_new_string("cancelled by the "
								      "administrator"));
	ops = json_object_new_array();
	cd_sp_op(ops, "test", json_object_get(rec), CD_SP_SMOVE, name);	/* S5 */
	cd_sp_op(ops, "set", next, CD_SP_SMOVE, name);
	return rm_ipc_submit(d, client, ops, out);
}

/* ---- the steps (S2) ---- */

/* Send the kept report of l (again) and look again in RESEND_MS. */
static void
report_send(struct cd_rm *rm, struct local_role *l)
{
	l->smove_sent_ms = cd_now_mono_ms();
	rm_submit_role_ops(rm, l->name, json_object_get(l->smove_ops), false);
	rm_storage_retry_later(rm, RESEND_MS);
}

static void
report_keep(struct cd_rm *rm, struct local_role *l, json_object *seen, json_object *ops)
{
	json_object_put(l->smove_ops);
	json_object_put(l->smove_seen);
	l->smove_ops = ops;
	l->smove_seen = seen;
	report_send(rm, l);
}

static void
report_clear(struct local_role *l)
{
	json_object_put(l->smove_ops);
	json_object_put(l->smove_seen);
	l->smove_ops = l->smove_seen = NULL;
}

/* S3: the change that records the switch: the identity names the new image,
 * vm_disk_moves lists the move. NULL when the resource is not as expected. */
static json_object *
commit_resource(struct cd_rm *rm, const char *rsc_id, json_object *rec)
{
	json_object *rsc = cd_sp_get(cd_replica_state(rm->d), CD_SP_RESOURCE, rsc_id);
	json_object *c = rsc ? copy(rsc) : NULL, *vm, *disks, *params;
	const char *fmt = cd_jstr(rec, "format", NULL);
	size_t disk = (size_t)cd_jint(rec, "disk", 0);
	char *moves;

	if (!c || !json_object_object_get_ex(c, "vm", &vm) ||
	    !json_object_object_get_ex(vm, "disks", &disks) ||
	    !json_object_is_type(disks, json_type_array) ||
	    disk >= json_object_array_length(disks) ||
	    !json_object_object_get_ex(c, "params", &params)) {
		json_object_put(c);
		return NULL;
	}
	moves = cd_smove_moves_add(cd_jstr(params, "vm_disk_moves", NULL), cd_jstr(rec, "from", ""),
				   cd_jstr(rec, "to", ""), fmt);
	if (!moves) {
		json_object_put(c);
		return NULL;
	}
	json_object_array_put_idx(disks, disk, json_object_new_string(cd_jstr(rec, "to", "")));
	json_object_object_add(params, "vm_disk_moves", json_object_new_string(moves));
	free(moves);
	return c;
}

/* The value of "key" in agent output, to the end of its line ("" if none). */
static void
out_value(const char *out, const char *key, char *buf, size_t len)
{
	const char *p = out;
	size_t k = strlen(key);

	buf[0] = '\0';
	for (p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, k)) {
			snprintf(buf, len, "%.*s", (int)strcspn(p + k, "\n"), p + k);
			return;
		}
	}
}

/*
 * Report the end of the step of phase (ok or not; switched: undo found the
 * guest on the new image): the next phase in the record, the switch (S3),
 * or the end of the move with its result (done).
 */
static void
report(struct cd_rm *rm, struct local_role *l, struct rm_role *r, struct smove_ctx *sc,
       bool ok, bool switched, const char *error, const char *result)
{
	json_object *ops = json_object_new_array(), *next, *rsc;
	enum cd_smove_phase np;
	const char *name = r->p.name;
	char line[1024];
	bool commit;

	np = cd_smove_next(sc->phase, ok, switched, &commit);
	cd_sp_op(ops, "test", json_object_get(sc->rec), CD_SP_SMOVE, name);
	if (commit && (rsc = commit_resource(rm, r->rsc[0].id, sc->rec))) {
		cd_sp_op(ops, "set", rsc, CD_SP_RESOURCE, r->rsc[0].id);
	} else if (commit) {
		/* cannot record it: the guest is on the new image, the state
		 * names the old; undo's re-run tells again (S6) */
		cd_err("rm: role %s: storage move: cannot build the switch's record", name);
		json_object_put(ops);
		return;
	}
	if (np == CD_SMOVE_DONE) {
		const char *err = error ? error : cd_jstr(sc->rec, "error", NULL);

		if (sc->phase == CD_SMOVE_FINISH)
			snprintf(line, sizeof(line), "moved disk=%lld from=%s to=%s %s%s%s",
				 (long long)cd_jint(sc->rec, "disk", 0), cd_jstr(sc->rec, "from", ""),
				 cd_jstr(sc->rec, "to", ""), cd_jstr(sc->rec, "result", ""),
				 error ? " warning=" : "", error ? error : "");
		else
			snprintf(line, sizeof(line), "failed disk=%lld to=%s error=%s",
				 (long long)cd_jint(sc->rec, "disk", 0), cd_jstr(sc->rec, "to", ""),
				 err ? err : "undone");
		cd_sp_op(ops, "delete", NULL, CD_SP_SMOVE, name);
		cd_sp_op(ops, "set", json_object_new_string(line), CD_SP_RT_ROLE_LAST_STORAGE_MOVE,
			 name);
		if (err)
			cd_sp_op(ops, "set", json_object_new_string(err), CD_SP_RT_ROLE_LAST_ERROR, name);
	} else {
		next = copy(sc->rec);
		json_object_object_add(next, "phase", json_object_new_string(cd_smove_str(np)));
		json_object_object_add(next, "runner", json_object_new_string(""));
		if (error && !json_object_object_get_ex(next, "error", NULL))
			json_object_object_add(next, "error", json_object_new_string(error));
		if (result && *result)
			json_object_object_add(next, "result", json_object_new_string(result));
		cd_sp_op(ops, "set", next, CD_SP_SMOVE, name);
	}
	cd_info("rm: role %s: storage move %s -> %s%s%s%s", name, cd_smove_str(sc->phase),
		cd_smove_str(np), commit ? " (switch recorded)" : "", error ? ": " : "",
		error ? error : "");
	report_keep(rm, l, json_object_get(sc->rec), ops);
}

/* The copy's progress, for clusterctl's bar (ephemeral, never applied). */
static void
step_progress(void *ctx, const char *line)
{
	struct smove_ctx *sc = ctx;
	uint64_t now = cd_now_mono_ms();
	json_object *ops;

	if (strncmp(line, "progress ", 9) || now < sc->last_progress_ms + PROGRESS_EVERY_MS)
		return;
	sc->last_progress_ms = now;
	ops = json_object_new_array();
	cd_sp_op(ops, "test", json_object_new_string(cd_smove_str(sc->phase)), CD_SP_SMOVE_PHASE,
		 sc->role);
	cd_sp_op(ops, "set", json_object_new_string(line + 9), CD_SP_SMOVE_PROGRESS, sc->role);
	if (cd_ephemeral_send(sc->rm->d, ops) < 0)
		cd_debug("rm: role %s: storage move progress not sent", sc->role);
	json_object_put(ops);
}

static void
step_done(void *ctx, const struct cd_op_result *res)
{
	struct smove_ctx *sc = ctx;
	struct cd_rm *rm = sc->rm;
	struct local_role *l = rm_local_get(rm, sc->role, false);
	struct rm_role *r = rm_model_role(&rm->model, sc->role);
	json_object *now = record(rm, sc->role);
	const struct cd_smove_step *step = cd_smove_step(sc->phase);
	char err[300], result[512], sw[8];
	bool ok = res->rc == OCF_SUCCESS;

	if (l) {
		l->smove_busy = false;
		l->smove_ctx = NULL;
	}
	if (l && r && now && json_object_equal(now, sc->rec)) {
		rm_op_failure(err, sizeof(err), res);
		out_value(res->output, "result ", result, sizeof(result));
		out_value(res->output, "switched=", sw, sizeof(sw));
		cd_info("rm: role %s: storage move step %s %s", sc->role, cd_smove_str(sc->phase),
			ok ? "done" : "FAILED");
		report(rm, l, r, sc, ok, ok && !strcmp(sw, "1"),
		       !ok && (step->flags & CD_SMOVE_ERROR_MATTERS) ? err : NULL, result);
	}
	json_object_put(sc->rec);
	free(sc);
	rm_schedule_reconcile(rm);
}

static void
step_run(struct cd_rm *rm, struct rm_role *r, struct local_role *l, json_object *rec,
	 enum cd_smove_phase ph)
{
	const struct cd_smove_step *step = cd_smove_step(ph);
	struct cd_op_request req = { 0 };
	char e_disk[64], e_from[4200], e_to[4200], e_fmt[64], e_bw[80];
	const char *env[6];
	struct smove_ctx *sc = calloc(1, sizeof(*sc));
	size_t ne = 0;

	if (!sc)
		return;
	sc->rm = rm;
	sc->phase = ph;
	sc->rec = copy(rec);
	snprintf(sc->role, sizeof(sc->role), "%s", r->p.name);
	snprintf(e_disk, sizeof(e_disk), "OCF_RESKEY_CRM_meta_storage_disk=%lld",
		 (long long)cd_jint(rec, "disk", -1));
	snprintf(e_from, sizeof(e_from), "OCF_RESKEY_CRM_meta_storage_from=%s",
		 cd_jstr(rec, "from", ""));
	snprintf(e_to, sizeof(e_to), "OCF_RESKEY_CRM_meta_storage_to=%s", cd_jstr(rec, "to", ""));
	env[ne++] = e_disk;
	env[ne++] = e_from;
	env[ne++] = e_to;
	if (cd_jstr(rec, "format", NULL)) {
		snprintf(e_fmt, sizeof(e_fmt), "OCF_RESKEY_CRM_meta_storage_format=%s",
			 cd_jstr(rec, "format", ""));
		env[ne++] = e_fmt;
	}
	/* the cluster's cap, unless the resource sets its own */
	if (!json_object_object_get_ex(r->rsc[0].params, "storage_move_bandwidth", NULL)) {
		snprintf(e_bw, sizeof(e_bw), "OCF_RESKEY_storage_move_bandwidth=%lld",
			 (long long)rm_prop_int(rm, "storage-move-bandwidth-mbps", 0));
		env[ne++] = e_bw;
	}
	env[ne] = NULL;
	req.rsc_id = r->rsc[0].id;
	req.agent = r->rsc[0].agent;
	req.action = step->action;
	req.params = r->rsc[0].params;
	req.extra_env = env;
	req.timeout_ms = ph == CD_SMOVE_MIRROR ? MIRROR_TIMEOUT_MS : STEP_TIMEOUT_MS;
	if (step->flags & CD_SMOVE_PROGRESS)
		req.on_line = step_progress;
	rm_monitors_stop(rm, l);
	l->smove_busy = true;
	l->smove_ctx = sc;
	snprintf(l->smove_phase, sizeof(l->smove_phase), "%s", cd_smove_str(ph));
	cd_info("rm: role %s: storage move %s: %s here", r->p.name, cd_smove_str(ph), step->action);
	if (cd_exec_run(rm->exec, &req, step_done, sc) < 0) {
		struct cd_op_result res = { .rsc_id = r->rsc[0].id, .action = step->action,
					    .rc = OCF_ERR_INSTALLED, .output = "",
					    .error_line = "the agent could not be started" };

		step_done(sc, &res);
	}
}

/* Set the record to next (owned), guarded by it being rec still. */
static void
record_update(struct cd_rm *rm, struct local_role *l, json_object *rec, json_object *next,
	      const char *why)
{
	json_object *ops = json_object_new_array();

	cd_sp_op(ops, "test", json_object_get(rec), CD_SP_SMOVE, l->name);
	cd_sp_op(ops, "set", next, CD_SP_SMOVE, l->name);
	cd_info("rm: role %s: storage move: %s", l->name, why);
	report_keep(rm, l, copy(rec), ops);
}

bool
rm_storage_duties(struct cd_rm *rm, struct rm_role *r, struct local_role *l)
{
	json_object *rec = record(rm, r->p.name), *next;
	const char *me = rm_local_name(rm), *runner;
	enum cd_smove_phase ph = CD_SMOVE_NONE;
	bool reported, mine;
	char inst[160];

	if (!rec) {
		report_clear(l);
		return l->smove_busy;
	}
	cd_smove_parse(cd_jstr(rec, "phase", ""), &ph);
	mine = !strcmp(cd_jstr(rec, "node", ""), me);
	if (l->smove_busy) {
		/* the phase moved on without us (a cancel, S5): stop our step */
		if (strcmp(l->smove_phase, cd_jstr(rec, "phase", "")) ||
		    (ph == CD_SMOVE_MIRROR && r->p.state != CD_ROLE_STARTED)) {
			cd_warn("rm: role %s: storage move is %s: stopping our %s step", r->p.name,
				cd_jstr(rec, "phase", ""), l->smove_phase);
			l->smove_phase[0] = '\0';
			cd_exec_cancel(rm->exec, r->rsc[0].id);
		}
		return true;
	}
	/* a report is kept while the record is still what it answered */
	reported = l->smove_seen && json_object_equal(l->smove_seen, rec);
	if (!reported)
		report_clear(l);
	else if (!l->inflight && cd_now_mono_ms() >= l->smove_sent_ms + RESEND_MS)
		report_send(rm, l);
	else
		rm_storage_retry_later(rm, RESEND_MS);
	instance(rm, inst, sizeof(inst));
	runner = cd_jstr(rec, "runner", "");
	switch (cd_smove_duty(ph, mine, runner[0], !strcmp(runner, inst), false, reported)) {
	case CD_SMOVE_DUTY_NONE:
		return false;
	case CD_SMOVE_DUTY_WAIT:
		return true;
	case CD_SMOVE_DUTY_CLAIM:
		next = copy(rec);
		json_object_object_add(next, "runner", json_object_new_string(inst));
		record_update(rm, l, rec, next, "claiming the step");
		return true;
	case CD_SMOVE_DUTY_ORPHANED:
		next = copy(rec);
		json_object_object_add(next, "phase", json_object_new_string(cd_smove_str(CD_SMOVE_UNDO)));
		json_object_object_add(next, "runner", json_object_new_string(inst));
		if (!json_object_object_get_ex(next, "error", NULL))
			json_object_object_add(next, "error", json_object_new_string(
				"clusterd restarted on the VM's node during the copy"));
		record_update(rm, l, rec, next, "the copy's step was lost (S6): undo");
		return true;
	case CD_SMOVE_DUTY_RUN:
		if (ph == CD_SMOVE_MIRROR && r->p.state != CD_ROLE_STARTED) {
			/* the VM is being stopped: no copy; undo removes what is left */
			struct smove_ctx sc = { .rm = rm, .phase = ph, .rec = copy(rec) };

			snprintf(sc.role, sizeof(sc.role), "%s", r->p.name);
			report(rm, l, r, &sc, false, false, "the VM stopped before the copy "
			       "finished", NULL);
			json_object_put(sc.rec);
			return true;
		}
		step_run(rm, r, l, rec, ph);
		return true;
	}
	return false;
}

/* ---- leader (S7) ---- */

void
rm_leader_resolve_storage(struct cd_rm *rm)
{
	const struct cd_membership *m = &rm->d->mship;
	size_t i;

	for (i = 0; i < rm->model.n_roles; i++) {
		struct rm_role *r = &rm->model.roles[i];
		json_object *rec = record(rm, r->p.name), *ops;
		enum cd_smove_phase ph = CD_SMOVE_NONE;
		const struct cd_node *mn;
		struct rm_node_rt *n;
		char err[1024];

		if (!rec || rm_inflight_has(rm, r->p.name))
			continue;
		cd_smove_parse(cd_jstr(rec, "phase", ""), &ph);
		n = rm_model_node(&rm->model, cd_jstr(rec, "node", ""));
		mn = n ? cd_membership_node(m, n->id) : NULL;
		if (cd_smove_node_lost(ph, mn && cd_membership_node_state(mn) == CD_NODE_UP,
				       !n || n->fenced) != CD_SMOVE_LOSS_END)
			continue;
		snprintf(err, sizeof(err), "storage move of disk %lld ended: %s was lost in phase "
			 "%s; %s may be left on its storage, in use by nothing", (long long)
			 cd_jint(rec, "disk", 0), cd_jstr(rec, "node", "?"), cd_smove_str(ph),
			 ph == CD_SMOVE_FINISH ? cd_jstr(rec, "from", "") : cd_jstr(rec, "to", ""));
		ops = json_object_new_array();
		cd_sp_op(ops, "test", json_object_get(rec), CD_SP_SMOVE, r->p.name);
		cd_sp_op(ops, "delete", NULL, CD_SP_SMOVE, r->p.name);
		cd_sp_op(ops, "set", json_object_new_string(err), CD_SP_RT_ROLE_LAST_ERROR, r->p.name);
		snprintf(err, sizeof(err), "failed disk=%lld to=%s error=%s was lost",
			 (long long)cd_jint(rec, "disk", 0), cd_jstr(rec, "to", ""),
			 cd_jstr(rec, "node", "?"));
		cd_sp_op(ops, "set", json_object_new_string(err), CD_SP_RT_ROLE_LAST_STORAGE_MOVE,
			 r->p.name);
		cd_warn("rm: role %s: %s lost during its storage move; ending it", r->p.name,
			cd_jstr(rec, "node", "?"));
		rm_submit_role_ops(rm, r->p.name, ops, true);
	}
}

void
rm_storage_stop(struct cd_rm *rm)
{
	size_t i;

	for (i = 0; i < rm->n_local; i++) {
		struct smove_ctx *sc = rm->local[i].smove_ctx;

		if (sc) {
			json_object_put(sc->rec);
			free(sc);
			rm->local[i].smove_ctx = NULL;
		}
		report_clear(&rm->local[i]);
	}
}

/* ---- resend pacing ---- */

static void
retry_fn(void *data)
{
	struct cd_rm *rm = data;

	rm->smove_retry_armed = false;
	rm_schedule_reconcile(rm);
}

void
rm_storage_retry_later(struct cd_rm *rm, uint32_t ms)
{
	if (rm->smove_retry_armed)
		return;
	if (qb_loop_timer_add(rm->d->loop, QB_LOOP_LOW, (uint64_t)ms * QB_TIME_NS_IN_MSEC, rm,
			      retry_fn, &rm->smove_retry_timer) == 0)
		rm->smove_retry_armed = true;
}
