/*
 * qemu.c - the qemu hypervisor plugin (libcd-hv-qemu.so): the ops of
 * hypervisor.h over QMP, live migration and the ops table here, quick
 * migration in qemu-quick.c, QMP helpers in qemu-qmp.c, processes in
 * qemu-proc.c. Facts behind the choices are in
 * notes/qemu-migration/REPORT.md: xbzrle stays off (it corrupted guests),
 * auto-converge is on, the source of a live migration stays in post-migrate
 * until the target runs, and where live pre-copy loses pages (TCG on QEMU
 * < 9.0, migmode.h) the guest is paused for the transfer instead. Stall
 * handling and post-copy (the VM's migration policy) in qemu-postcopy.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypervisor.h"
#include "jsonget.h"
#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "qmp.h"
#include "timeutil.h"

/* ---- status ---- */

static enum cd_hv_state
map_state(const char *s)
{
	if (strcmp(s, "running") == 0)
		return CD_HV_RUNNING;
	if (strcmp(s, "inmigrate") == 0)
		return CD_HV_INCOMING;
	if (strcmp(s, "postmigrate") == 0)
		return CD_HV_MIGRATED;
	return CD_HV_PAUSED;
}

/*
 * A target runs the guest during post-copy before it has all its memory:
 * that copy is still incoming (not a VM that runs here), so a start never
 * takes it for one (a lost source's VM is booted anew, hypervisor.h).
 */
static void
incoming_postcopy(struct cd_hv_vm *vm, struct cd_qmp *q, struct cd_hv_status *st)
{
	char status[32];
	json_object *mig;

	if (cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status)))
		return;
	json_object_put(mig);
	if (strncmp(status, "postcopy-", 9))
		return;
	st->state = CD_HV_INCOMING;
	snprintf(st->detail, sizeof(st->detail), "incoming, %s", status);
}

static int
qemu_status(struct cd_hv_vm *vm, struct cd_hv_status *st, uint32_t timeout_ms)
{
	char role[32], state[64];
	struct cd_qmp *q;
	int rc;

	memset(st, 0, sizeof(*st));
	st->pid = cd_qemu_pid(vm);
	cd_qemu_role_get(vm, role, sizeof(role));
	if (!st->pid) {
		st->state = role[0] ? CD_HV_DEAD : CD_HV_STOPPED;
		snprintf(st->detail, sizeof(st->detail), "%s",
			 role[0] ? "QEMU exited unexpectedly" :
			 cd_qemu_postcopy_marked(vm) ? "stopped (lost in a post-copy)" :
			 "stopped");
		return 0;
	}
	q = cd_qemu_qmp_open(vm, CD_QEMU_MON_SOCK, timeout_ms, &rc);
	if (!q) {
		st->state = CD_HV_DEAD;
		snprintf(st->detail, sizeof(st->detail), "QMP unresponsive");
		return 0;
	}
	rc = cd_qemu_run_state(vm, q, state, sizeof(state), timeout_ms);
	if (rc) {
		cd_qmp_close(q);
		st->state = CD_HV_DEAD;
		snprintf(st->detail, sizeof(st->detail), "QMP unresponsive");
		return 0;
	}
	st->state = map_state(state);
	snprintf(st->detail, sizeof(st->detail), "%s", state);
	if (st->state == CD_HV_RUNNING && !strcmp(role, CD_ROLE_INCOMING))
		incoming_postcopy(vm, q, st);
	cd_qmp_close(q);
	return 0;
}

/* ---- start / stop ---- */

static int
qemu_start(struct cd_hv_vm *vm, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char state[64];
	struct cd_qmp *q;
	int rc;

	if (cd_qemu_pid(vm))
		return cd_qemu_fail(vm, -EEXIST, "a QEMU for %s already runs here",
				    vm->def->name);
	cd_qemu_postcopy_unmark(vm);	/* a new boot here: nothing to protect */
	cd_qemu_snm_keep(vm, NULL);	/* images it boots on are its own, whoever made them */
	if ((rc = cd_qemu_spawn(vm, NULL, cd_qemu_left_ms(deadline))))
		return rc;
	if ((rc = cd_qemu_role_set(vm, CD_ROLE_RUNNING)))
		return rc;
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(cd_qemu_left_ms(deadline), QMP_TIMEOUT_MS), &rc);
	if (!q)
		return rc;
	rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS);
	cd_qmp_close(q);
	if (rc)
		return rc;
	if (strcmp(state, "running") != 0)
		return cd_qemu_fail(vm, -EREMOTEIO, "QEMU started but the guest is %s",
				    state);
	return 0;
}

int
cd_qemu_op_stop(struct cd_hv_vm *vm, uint32_t grace_ms, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char state[64] = "", role[32];
	bool moved, have_state;
	struct cd_qmp *q;
	pid_t pid;
	int rc;

	pid = cd_qemu_pid(vm);
	if (!pid) {
		cd_qemu_clean_run_dir(vm);
		return 0;
	}
	cd_qemu_role_get(vm, role, sizeof(role));
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(cd_qemu_left_ms(deadline), QMP_TIMEOUT_MS), &rc);
	have_state = q && !cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS);
	/* the source of a confirmed migration: its local disks went along */
	moved = vm->migrated_away && have_state && !strcmp(role, CD_ROLE_MIGRATED) &&
		!strcmp(state, "postmigrate");
	if (have_state && strcmp(state, "running") == 0 && grace_ms) {
		cd_qemu_log(vm, "guest shutdown requested (%u ms)", grace_ms);
		if (!cd_qmp_cmd(q, "system_powerdown", NULL, -1, QMP_TIMEOUT_MS, NULL) &&
		    !cd_qemu_wait_gone(pid, cd_qemu_min_ms(grace_ms, cd_qemu_left_ms(deadline)))) {
			cd_qmp_close(q);
			cd_qemu_clean_run_dir(vm);
			return 0;
		}
		cd_qemu_log(vm, "guest did not shut down; stopping QEMU");
	}
	if (q) {
		cd_qmp_cmd(q, "quit", NULL, -1, QMP_TIMEOUT_MS, NULL);
		cd_qmp_close(q);
		rc = cd_qemu_wait_gone(pid, cd_qemu_min_ms(5000, cd_qemu_left_ms(deadline)));
	}
	if ((!q || rc) && (rc = cd_qemu_kill(vm, pid)))
		return cd_qemu_fail(vm, rc, "QEMU pid %d survives SIGKILL", (int)pid);
	cd_qemu_clean_run_dir(vm);
	if (moved)
		cd_qemu_snm_delete_source(vm);
	return 0;
}

/* ---- live migration ---- */

/* The target's actual listening URI (port 0 asks QEMU to choose). */
static int
incoming_uri(struct cd_hv_vm *vm, struct cd_qmp *q, const char *addr,
	     uint16_t port, char *uri, size_t size)
{
	json_object *mig, *arr, *sa, *v;
	char status[32];
	int rc;

	if (port) {
		snprintf(uri, size, "tcp:%s:%u", addr, port);
		return 0;
	}
	if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
		return rc;
	rc = cd_qemu_fail(vm, -EREMOTEIO, "QEMU does not report its listening port");
	if (json_object_object_get_ex(mig, "socket-address", &arr) &&
	    json_object_array_length(arr) > 0) {
		sa = json_object_array_get_idx(arr, 0);
		if (json_object_object_get_ex(sa, "port", &v)) {
			snprintf(uri, size, "tcp:%s:%s", addr, json_object_get_string(v));
			rc = 0;
		}
	}
	json_object_put(mig);
	return rc;
}

int
cd_qemu_op_migrate_prepare(struct cd_hv_vm *vm, const char *listen_addr, uint16_t port,
		     char *uri, size_t uri_size, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char role[32], target[160];
	struct cd_qmp *q;
	json_object *args;
	int rc;

	if (cd_qemu_pid(vm)) {
		cd_qemu_role_get(vm, role, sizeof(role));
		if (strcmp(role, CD_ROLE_INCOMING) != 0)
			return cd_qemu_fail(vm, -EBUSY, "%s already runs here (%s)",
					    vm->def->name, role[0] ? role : "unknown role");
		/* a leftover prepared target: start afresh */
		if ((rc = cd_qemu_op_stop(vm, 0, cd_qemu_left_ms(deadline))))
			return rc;
	}
	cd_qemu_postcopy_unmark(vm);	/* the VM comes here anew */
	if (!listen_addr && cd_vmdef_local_disks(vm->def))
		return cd_qemu_fail(vm, -EINVAL, "%s has node-local disks: a quick "
				    "migration cannot take them along (move it live)",
				    vm->def->name);
	if ((rc = cd_qemu_snm_create(vm, deadline)))	/* its local disks' copies */
		return rc;
	if ((rc = cd_qemu_spawn_incoming(vm, cd_qemu_left_ms(deadline)))) {
		cd_qemu_snm_drop(vm);
		return rc;
	}
	if (!listen_addr)
		return 0;
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(cd_qemu_left_ms(deadline), QMP_TIMEOUT_MS), &rc);
	if (!q) {
		cd_qemu_op_stop(vm, 0, QMP_TIMEOUT_MS);
		cd_qemu_snm_drop(vm);
		return rc;
	}
	if (vm->migration_policy == CD_MIGPOLICY_POSTCOPY) {
		/* on both sides before the transfer starts (qemu-postcopy.c) */
		if ((rc = cd_qemu_postcopy_incoming(vm, q)))
			goto out;
	} else if ((rc = cd_qmp_cmdf(q, "migrate-set-capabilities",
				     "{\"capabilities\":[{\"capability\":\"events\","
				     "\"state\":true}]}", QMP_TIMEOUT_MS, NULL))) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	if ((rc = cd_qemu_tls_setup(vm, q, true)))
		goto out;
	snprintf(target, sizeof(target), strchr(listen_addr, ':') ? "tcp:[%s]:%u" :
		 "tcp:%s:%u", listen_addr, port);
	args = json_object_new_object();
	json_object_object_add(args, "uri", json_object_new_string(target));
	rc = cd_qmp_cmd(q, "migrate-incoming", args, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(args);
	if (rc) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	if (!(rc = incoming_uri(vm, q, listen_addr, port, uri, uri_size)))
		rc = cd_qemu_snm_export(vm, q, listen_addr, uri, uri_size);
out:
	cd_qmp_close(q);
	if (rc) {
		cd_qemu_op_stop(vm, 0, QMP_TIMEOUT_MS);
		cd_qemu_snm_drop(vm);
	}
	return rc;
}


void
cd_qemu_fill_progress(json_object *mig, const char *status, uint64_t elapsed,
		      struct cd_hv_progress *p)
{
	json_object *ram = NULL;
	uint64_t page;

	memset(p, 0, sizeof(*p));
	p->status = status;
	p->elapsed_ms = elapsed;
	json_object_object_get_ex(mig, "ram", &ram);
	p->total = (uint64_t)cd_jint(ram, "total", 0);
	p->remaining = (uint64_t)cd_jint(ram, "remaining", 0);
	p->transferred = (uint64_t)cd_jint(ram, "transferred", 0);
	p->mbps = cd_qemu_jdouble(ram, "mbps");
	p->passes = (uint64_t)cd_jint(ram, "dirty-sync-count", 0);
	page = (uint64_t)cd_jint(ram, "page-size", 0);
	p->dirty_rate = (uint64_t)cd_jint(ram, "dirty-pages-rate", 0) * (page ? page : 4096);
	p->throttle_pct = (uint32_t)cd_jint(mig, "cpu-throttle-percentage", 0);
	if (p->total)
		p->percent = 100.0 * (double)(p->total - (p->remaining < p->total ?
					      p->remaining : p->total)) / (double)p->total;
}

/*
 * Cancel an outgoing migration and make sure the source runs again.
 * QEMU restarts the guest itself after a failed or cancelled migration of a
 * running VM; the `cont` is for the case where it had already stopped it.
 */
static void
cancel_outgoing(struct cd_hv_vm *vm, struct cd_qmp *q)
{
	uint64_t deadline = cd_now_mono_ms() + 10000;
	char status[32], state[64];
	json_object *mig;

	cd_qmp_cmd(q, "migrate_cancel", NULL, -1, QMP_TIMEOUT_MS, NULL);
	while (cd_now_mono_ms() < deadline) {
		if (cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status)))
			break;
		json_object_put(mig);
		if (strcmp(status, "cancelling") != 0 && strcmp(status, "active") != 0 &&
		    strcmp(status, "setup") != 0 && strcmp(status, "device") != 0 &&
		    strcmp(status, "pre-switchover") != 0)
			break;
		cd_qemu_nap(20);
	}
	if (!cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS) &&
	    strcmp(state, "running") != 0) {
		cd_qemu_log(vm, "source is %s after the cancel: resuming it", state);
		cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL);
	}
	cd_qemu_snm_abort(vm, q);	/* copies of local disks: stopped */
}

/* Final statistics; QEMU fills them in shortly after "completed". */
static void
final_stats(struct cd_hv_vm *vm, struct cd_qmp *q, struct cd_hv_result *res)
{
	uint64_t deadline = cd_now_mono_ms() + 1000;
	char status[32];
	json_object *mig, *ram;

	do {
		if (cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status)))
			return;
		res->total_ms = (uint64_t)cd_jint(mig, "total-time", 0);
		res->downtime_ms = (uint64_t)cd_jint(mig, "downtime", 0);
		res->setup_ms = (uint64_t)cd_jint(mig, "setup-time", 0);
		ram = NULL;
		json_object_object_get_ex(mig, "ram", &ram);
		res->transferred = (uint64_t)cd_jint(ram, "transferred", 0);
		res->passes = (uint64_t)cd_jint(ram, "dirty-sync-count", 0);
		json_object_put(mig);
		if (res->total_ms)
			return;
		cd_qemu_nap(5);
	} while (cd_now_mono_ms() < deadline);
}

/*
 * Stall handling (lib/migstall.h): feed one sample of the pre-copy to the
 * detector and carry out its decision. @return 0 (go on; *post set when
 * the transfer switched to post-copy), -EAGAIN (stall-abort: cancelled,
 * the source runs), or another error (the transfer cancelled where it
 * could be, or the post-copy switch's error)
 */
static int
stall_step(struct cd_hv_vm *vm, struct cd_qmp *q, struct cd_migstall *ms,
	   json_object *mig, const char *status, uint64_t elapsed, bool paused,
	   struct cd_hv_result *res, bool *post)
{
	struct cd_migstall_sample x = { .elapsed_ms = elapsed, .status = status };
	struct cd_migstall_decision d;
	json_object *ram = NULL;
	int rc;

	json_object_object_get_ex(mig, "ram", &ram);
	x.remaining = (uint64_t)cd_jint(ram, "remaining", 0);
	x.passes = (uint64_t)cd_jint(ram, "dirty-sync-count", 0);
	x.mbps = cd_qemu_jdouble(ram, "mbps");
	d = cd_migstall_feed(ms, &x);
	switch (d.act) {
	case CD_MIGSTALL_NONE:
		return 0;
	case CD_MIGSTALL_STEP:
		cd_qemu_log(vm, "%s", d.why);
		if ((rc = cd_qemu_set_downtime(vm, q, d.downtime_ms))) {
			cancel_outgoing(vm, q);
			return rc;
		}
		res->downtime_limit_ms = d.downtime_ms;
		res->downtime_steps++;
		return 0;
	case CD_MIGSTALL_ABORT:
		cancel_outgoing(vm, q);
		return cd_qemu_fail(vm, -EAGAIN, "migration policy stall-abort: %s", d.why);
	case CD_MIGSTALL_POSTCOPY:
		cd_qemu_log(vm, "%s", d.why);
		if ((rc = cd_qemu_postcopy_start(vm, q, !paused, &res->paused_at_ms))) {
			/* QEMU refused the switch: the transfer is still pre-copy
			 * and the guest never ran on the target */
			char why[256];

			snprintf(why, sizeof(why), "%s", vm->err);
			cancel_outgoing(vm, q);
			cd_qemu_postcopy_unmark(vm);
			return cd_qemu_fail(vm, -EREMOTEIO, "switching to post-copy failed "
					    "(%s); cancelled, %s runs here", why, vm->def->name);
		}
		snprintf(res->mode, sizeof(res->mode), "postcopy");
		snprintf(res->mode_why, sizeof(res->mode_why), "%s", d.why);
		res->postcopy_at_ms = elapsed ? elapsed : 1;
		*post = true;
		return 0;
	}
	return 0;
}

static int
qemu_migrate_send(struct cd_hv_vm *vm, const char *uri,
		  const struct cd_hv_migrate_opts *o, cd_hv_progress_fn progress,
		  void *opaque, volatile const int *cancel, struct cd_hv_result *res)
{
	uint64_t t0 = cd_now_mono_ms();
	uint64_t deadline = t0 + (o->timeout_ms ? o->timeout_ms : 600000);
	uint32_t interval = o->progress_interval_ms ? o->progress_interval_ms : 200;
	uint64_t next_report = 0, switched = 0;
	char state[64], status[32], why[256], mig_uri[CD_HV_URI_MAX], nbd[CD_HV_URI_MAX];
	char link_uri[CD_HV_URI_MAX];
	int link_fd = -1;	/* our copy of the migration's connection */
	bool postcopy = vm->migration_policy == CD_MIGPOLICY_POSTCOPY, post = false;
	uint64_t disk_bytes = 0;
	struct cd_migstall_cfg scfg = { 0 };
	struct cd_migstall ms;
	struct cd_hv_progress p;
	enum cd_migmode mode;
	uint64_t done_at;
	struct cd_qmp *q;
	json_object *args, *mig;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!cd_qemu_pid(vm))
		return cd_qemu_fail(vm, -ENOENT, "%s does not run here", vm->def->name);
	if ((rc = cd_qemu_snm_split(vm, uri, mig_uri, sizeof(mig_uri), nbd, sizeof(nbd))))
		return rc;
	if (nbd[0] && postcopy)
		return cd_qemu_fail(vm, -EINVAL, "%s has node-local disks, which post-copy "
				    "cannot move", vm->def->name);
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	if (!q)
		return rc;
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	if (strcmp(state, "running") != 0) {
		rc = cd_qemu_fail(vm, -EBUSY, "cannot migrate: the guest is %s", state);
		goto out;
	}
	mode = cd_qemu_migmode(vm, q, o->dirty_tracking_fixed, res->mode_why,
			       sizeof(res->mode_why));
	snprintf(res->mode, sizeof(res->mode), "%s", cd_migmode_name(mode));
	cd_qemu_log(vm, "live migration mode %s, policy %s: %s", res->mode,
		    cd_migpolicy_name(vm->migration_policy), res->mode_why);
	/* Paused: no dirty tracking is needed, so nothing to converge. A
	 * bandwidth cap the administrator set still holds (it protects the
	 * network), and lengthens the pause. */
	if ((rc = cd_qemu_set_migration_params(vm, q, mode == CD_MIGMODE_PAUSED ? false :
					       o->auto_converge, o->max_bandwidth,
					       o->downtime_limit_ms, postcopy)) ||
	    (rc = cd_qemu_tls_setup(vm, q, false)))
		goto out;
	/* Local disks: the switchover waits for their copies (qemu-snm.c);
	 * cd_qemu_set_migration_params turned it off for every other case. */
	if (nbd[0] && (rc = cd_qmp_cmdf(q, "migrate-set-capabilities",
					"{\"capabilities\":[{\"capability\":"
					"\"pause-before-switchover\",\"state\":true}]}",
					QMP_TIMEOUT_MS, NULL))) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	if (nbd[0] && (rc = cd_qemu_snm_mirror(vm, q, nbd, o->max_bandwidth, deadline, cancel,
					       progress, opaque, interval, t0, &disk_bytes)))
		goto out;
	scfg.policy = vm->migration_policy;
	scfg.paused = mode == CD_MIGMODE_PAUSED;
	scfg.downtime_ms = o->downtime_limit_ms ? o->downtime_limit_ms : 300;
	scfg.downtime_max_ms = o->downtime_max_ms ? o->downtime_max_ms :
			       CD_MIGSTALL_DOWNTIME_MAX_MS;
	scfg.window_ms = o->stall_window_ms;
	scfg.timeout_ms = deadline - t0;
	cd_migstall_init(&ms, &scfg);
	res->downtime_limit_ms = scfg.downtime_ms;
	if (mode == CD_MIGMODE_PAUSED) {
		if ((rc = cd_qmp_cmd(q, "stop", NULL, -1, QMP_TIMEOUT_MS, NULL))) {
			rc = cd_qemu_qmp_fail(vm, q, rc);
			cancel_outgoing(vm, q);
			goto out;
		}
		res->paused_at_ms = cd_now_mono_ms();
	}
	/* our own connection, bounded on silence (qemu-ops.h "Links") */
	if ((rc = cd_qemu_link_uri(vm, q, mig_uri, link_uri, sizeof(link_uri), deadline,
				   postcopy ? &link_fd : NULL))) {
		if (res->paused_at_ms || nbd[0])
			cancel_outgoing(vm, q);	/* resumes the guest we paused */
		goto out;
	}
	args = json_object_new_object();
	json_object_object_add(args, "uri", json_object_new_string(link_uri));
	rc = cd_qmp_cmd(q, "migrate", args, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(args);
	if (rc) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		if (res->paused_at_ms || nbd[0])
			cancel_outgoing(vm, q);	/* resumes the guest we paused */
		goto out;
	}
	for (;;) {
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			break;	/* QEMU gone or hung: nothing to cancel through */
		if (strcmp(status, "completed") == 0) {
			json_object_put(mig);
			break;
		}
		if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
			cd_qemu_migrate_error(mig, why, sizeof(why));
			json_object_put(mig);
			cancel_outgoing(vm, q);
			rc = cd_qemu_fail(vm, -EREMOTEIO, "migration %s: %s", status, why);
			break;
		}
		if (strcmp(status, "pre-switchover") == 0) {
			/* guest paused, device state not sent: the local disks'
			 * copies complete first (pause-before-switchover) */
			json_object_put(mig);
			if (!(rc = cd_qemu_snm_switchover(vm, q, deadline)) &&
			    (rc = cd_qmp_cmdf(q, "migrate-continue",
					      "{\"state\":\"pre-switchover\"}",
					      QMP_TIMEOUT_MS, NULL)))
				rc = cd_qemu_qmp_fail(vm, q, rc);
			if (rc) {
				cancel_outgoing(vm, q);
				break;
			}
			continue;
		}
		if (progress && cd_now_mono_ms() >= next_report) {
			cd_qemu_fill_progress(mig, status, cd_now_mono_ms() - t0, &p);
			progress(opaque, &p);
			next_report = cd_now_mono_ms() + interval;
		}
		rc = stall_step(vm, q, &ms, mig, status, cd_now_mono_ms() - t0,
				mode == CD_MIGMODE_PAUSED, res, &post);
		json_object_put(mig);
		if (rc || post)
			break;
		if (cancel && *cancel) {
			cancel_outgoing(vm, q);
			rc = cd_qemu_fail(vm, -ECANCELED, "migration cancelled; %s runs here",
					  vm->def->name);
			break;
		}
		if (cd_now_mono_ms() >= deadline) {
			cancel_outgoing(vm, q);
			rc = cd_qemu_fail(vm, -ETIMEDOUT, "migration did not finish within "
					  "%u s; cancelled, %s runs here",
					  (unsigned)((deadline - t0) / 1000), vm->def->name);
			break;
		}
		cd_qemu_wait_migration_event(q, 50);
	}
	/* From the switch on: complete, or the VM is lost (never resumed here). */
	if (!rc && post) {
		cd_qemu_link_relax(vm, link_fd);
		rc = cd_qemu_postcopy_wait(vm, q, deadline, cancel, progress, opaque, t0,
					   interval, &switched);
	}
	if (rc)
		goto out;
	done_at = cd_now_mono_ms();
	final_stats(vm, q, res);
	/* QEMU's downtime counts from its own stop; ours began earlier. The
	 * target's continue ends the pause (migrate_finish's resumed_at_ms);
	 * in post-copy the target runs the guest from the switch on. */
	if (post && res->paused_at_ms)
		res->downtime_ms = (switched ? switched : done_at) - res->paused_at_ms;
	else if (res->paused_at_ms)
		res->downtime_ms = done_at - res->paused_at_ms;
	/* After a post-copy the target has it all and runs it: nothing here
	 * may fail the move now; the mark stays (never resumed here). */
	if (post) {
		(void)cd_qemu_role_set(vm, CD_ROLE_MIGRATED);
		rc = 0;
		goto out;
	}
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	if (strcmp(state, "postmigrate") != 0) {
		rc = cd_qemu_fail(vm, -EREMOTEIO, "migration completed but the source "
				  "is %s, not postmigrate", state);
		goto out;
	}
	rc = cd_qemu_role_set(vm, CD_ROLE_MIGRATED);
out:
	if (link_fd >= 0)
		close(link_fd);
	cd_qmp_close(q);
	return rc;
}

/* The target QEMU is gone before its guest ran here, or right after. */
static int
target_gone(struct cd_hv_vm *vm)
{
	char role[32];

	cd_qemu_role_get(vm, role, sizeof(role));
	if (strcmp(role, CD_ROLE_INCOMING) != 0)
		return cd_qemu_fail(vm, -ENOENT, "no incoming QEMU for %s here",
				    vm->def->name);
	return cd_qemu_target_exited(vm);
}

static int
qemu_migrate_finish(struct cd_hv_vm *vm, struct cd_hv_result *res, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char state[64] = "", status[32], why[256];
	json_object *mig;
	struct cd_qmp *q;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!cd_qemu_pid(vm))
		return target_gone(vm);
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms, QMP_TIMEOUT_MS), &rc);
	if (!q)
		return cd_qemu_pid(vm) ? rc : target_gone(vm);
	for (;;) {
		if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
			goto out;
		if (strcmp(state, "running") == 0)
			break;
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			goto out;
		if (strcmp(status, "failed") == 0) {
			cd_qemu_migrate_error(mig, why, sizeof(why));
			json_object_put(mig);
			rc = cd_qemu_fail(vm, -EREMOTEIO, "incoming migration failed: %s", why);
			goto out;
		}
		json_object_put(mig);
		if (strcmp(state, "paused") == 0 && strcmp(status, "completed") == 0) {
			/* The source paused the guest for the transfer (paused
			 * mode; a paused guest cannot be migrated otherwise):
			 * it continues here, and its pause ends now. */
			if ((rc = cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL))) {
				rc = cd_qemu_qmp_fail(vm, q, rc);
				goto out;
			}
			res->resumed_at_ms = cd_now_mono_ms();
			cd_qemu_log(vm, "continued the guest paused for the transfer");
			continue;
		}
		if (strcmp(state, "inmigrate") != 0 && strcmp(state, "paused") != 0 &&
		    strcmp(state, "restore-vm") != 0) {
			snprintf(why, sizeof(why), "the guest is %s", state);
			rc = cd_qemu_target_crashed(vm, why);
			goto out;
		}
		if (cd_now_mono_ms() >= deadline) {
			rc = cd_qemu_fail(vm, -ETIMEDOUT, "the guest is still %s on the "
					  "target after %u ms", state, timeout_ms);
			goto out;
		}
		cd_qemu_wait_migration_event(q, 10);
	}
	/* Before the source is dropped: a guest that crashes right after the
	 * switchover (lost pages) must not count as moved (issue 19). */
	if ((rc = cd_qemu_check_target(vm, q, cd_qemu_min_ms(cd_qemu_check_ms(),
						cd_qemu_left_ms(deadline)))))
		goto out;
	if (!(rc = cd_qemu_role_set(vm, CD_ROLE_RUNNING)))
		cd_qemu_snm_keep(vm, q);	/* the local disks' copies are its own */
out:
	cd_qmp_close(q);
	if (rc && rc != -EREMOTEIO && !cd_qemu_pid(vm))
		rc = target_gone(vm);
	return rc;
}

static int
qemu_migrate_cancel(struct cd_hv_vm *vm, uint32_t timeout_ms)
{
	char role[32], state[64], status[32];
	json_object *mig;
	struct cd_qmp *q;
	int rc;

	/* A source that switched to post-copy is never resumed (hypervisor.h):
	 * what is left of it goes, and the VM must be booted anew. */
	if (cd_qemu_postcopy_marked(vm))
		return cd_qemu_postcopy_lost(vm, "the migration was rolled back after "
					     "its switch to post-copy");
	cd_qemu_role_get(vm, role, sizeof(role));
	if (!cd_qemu_pid(vm)) {
		if (strcmp(role, CD_ROLE_INCOMING) == 0) {
			cd_qemu_clean_run_dir(vm);
			cd_qemu_snm_drop(vm);
		}
		return 0;
	}
	if (strcmp(role, CD_ROLE_INCOMING) == 0) {
		cd_qemu_log(vm, "dropping the incoming copy");
		if ((rc = cd_qemu_op_stop(vm, 0, timeout_ms)))
			return rc;
		cd_qemu_snm_drop(vm);	/* after QEMU let go of them */
		return 0;
	}
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms, QMP_TIMEOUT_MS), &rc);
	if (!q)
		return rc;
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)) ||
	    (rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
		goto out;
	json_object_put(mig);
	if (strcmp(state, "postmigrate") == 0) {
		/* The target has (had) everything; resume here and tell the
		 * network where the guest is. The caller has removed the target. */
		if ((rc = cd_qemu_resume_source(vm, q, "the migrated source")))
			goto out;
	} else if (strcmp(status, "active") == 0 || strcmp(status, "setup") == 0 ||
		   strcmp(status, "device") == 0 || strcmp(status, "pre-switchover") == 0 ||
		   strcmp(status, "cancelling") == 0 ||
		   (strcmp(state, "running") != 0 && (strcmp(status, "failed") == 0 ||
						      strcmp(status, "cancelled") == 0))) {
		/* a transfer in flight, or one that failed after pausing the
		 * guest; a guest paused for other reasons is left alone */
		cd_qemu_log(vm, "cancelling the outgoing migration (%s, guest %s)",
			    status[0] ? status : "none", state);
		cancel_outgoing(vm, q);
	} else {
		/* a send that ended in its disk copy, before the memory: copies
		 * of local disks that its own rollback did not finish */
		cd_qemu_snm_abort(vm, q);
	}
	rc = cd_qemu_role_set(vm, CD_ROLE_RUNNING);
out:
	cd_qmp_close(q);
	return rc;
}

static int
qemu_adopt(struct cd_hv_vm *vm, uint32_t timeout_ms)
{
	char role[32], state[64] = "";
	struct cd_qmp *q;
	int rc;

	cd_qemu_role_get(vm, role, sizeof(role));
	if (strcmp(role, CD_ROLE_INCOMING) || cd_qemu_postcopy_marked(vm))
		return 0;
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms, QMP_TIMEOUT_MS), &rc);
	if (!q)
		return rc;
	/* status said "running" and not a post-copy's half copy (hypervisor.h):
	 * the incoming migration completed and nobody confirmed it */
	if (!(rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)) &&
	    !strcmp(state, "running") && !(rc = cd_qemu_role_set(vm, CD_ROLE_RUNNING))) {
		cd_qemu_log(vm, "the completed incoming copy is the VM now");
		cd_qemu_snm_keep(vm, q);
	}
	cd_qmp_close(q);
	return rc;
}

static int
qemu_probe_host(struct cd_hv_vm *vm, char *out, size_t out_size, uint32_t timeout_ms)
{
	const char *accel = cd_qemu_accel(vm);
	int models = cd_qemu_cpu_model_count(vm);

	(void)timeout_ms;	/* the KVM probe has its own 3 s bound */
	snprintf(out, out_size, "accel=%s cpu_models=%d", accel, models);
	return 0;
}

const struct cd_hv_ops cd_hv_plugin = {
	.abi_version = CD_HV_ABI_VERSION,
	.name = "qemu",
	.start = qemu_start,
	.stop = cd_qemu_op_stop,
	.status = qemu_status,
	.migrate_prepare = cd_qemu_op_migrate_prepare,
	.migrate_send = qemu_migrate_send,
	.migrate_finish = qemu_migrate_finish,
	.migrate_cancel = qemu_migrate_cancel,
	.save = cd_qemu_op_save,
	.restore = cd_qemu_op_restore,
	.restore_prepare = cd_qemu_op_restore_prepare,
	.probe_host = qemu_probe_host,
	.storage_move = cd_qemu_op_storage_move,
	.storage_undo = cd_qemu_op_storage_undo,
	.storage_finish = cd_qemu_op_storage_finish,
	.migrate_estimate = cd_qemu_op_migrate_estimate,
	.adopt = qemu_adopt,
};
