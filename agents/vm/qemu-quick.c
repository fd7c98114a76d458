/*
 * qemu-quick.c - quick migration of the qemu plugin: save the paused guest's
 * state to a file (passed to QEMU as an fd, no shell), restore it elsewhere.
 * The bandwidth cap is lifted first: a stopped VM's migration is still
 * throttled (1.1 s instead of 0.2 s for 256 MiB in the spike).
 *
 * After the save the source QEMU stays, paused in "postmigrate" with the
 * role file "migrated" (as after a live migration): quitting it is not on
 * the guest's pause path (~20 ms), the cleanup's stop does it; and a restore
 * that fails on the target is rolled back by resuming that QEMU in place
 * (restore on the source), without reading the state file again.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "timeutil.h"

#define STATE_FD_NAME		"cdstate"

/* ---- quick migration ---- */

/* Wait for an fd: migration (either direction) to end. */
static int
wait_migration(struct cd_hv_vm *vm, struct cd_qmp *q, uint64_t deadline,
	       const char *what)
{
	char status[32], why[256];
	json_object *mig;
	int rc;

	for (;;) {
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			return rc;
		if (strcmp(status, "completed") == 0) {
			json_object_put(mig);
			return 0;
		}
		if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
			cd_qemu_migrate_error(mig, why, sizeof(why));
			json_object_put(mig);
			return cd_qemu_fail(vm, -EREMOTEIO, "%s %s: %s", what, status, why);
		}
		json_object_put(mig);
		if (cd_now_mono_ms() >= deadline)
			return cd_qemu_fail(vm, -ETIMEDOUT, "%s did not finish in time", what);
		cd_qemu_wait_migration_event(q, 20);
	}
}

int
cd_qemu_op_save(struct cd_hv_vm *vm, const char *path, struct cd_hv_result *res,
	  uint32_t timeout_ms)
{
	uint64_t t0 = cd_now_mono_ms(), deadline = t0 + timeout_ms, t_stop, t_saved;
	char state[64], tmp[4200];
	struct cd_qmp *q;
	struct stat sb;
	int fd = -1, rc, was_running;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	pid = cd_qemu_pid(vm);
	if (!pid)
		return cd_qemu_fail(vm, -ENOENT, "%s does not run here", vm->def->name);
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	if (!q)
		return rc;
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	was_running = strcmp(state, "running") == 0;
	if (!was_running && strcmp(state, "paused") != 0) {
		rc = cd_qemu_fail(vm, -EBUSY, "cannot save: the guest is %s", state);
		goto out;
	}
	/* Written under a temporary name: a partial file must never be restored. */
	snprintf(tmp, sizeof(tmp), "%s.partial", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* A stopped VM's migration is still throttled: lift the cap. */
	if ((rc = cd_qemu_set_migration_params(vm, q, false, 0, 0, false)))
		goto out;
	t_stop = cd_now_mono_ms();
	if ((rc = cd_qmp_cmd(q, "stop", NULL, -1, QMP_TIMEOUT_MS, NULL)))
		goto fail_resume;
	if ((rc = cd_qmp_getfd(q, fd, STATE_FD_NAME, QMP_TIMEOUT_MS)))
		goto fail_resume;
	rc = cd_qmp_cmdf(q, "migrate", "{\"uri\":\"fd:" STATE_FD_NAME "\"}",
			 QMP_TIMEOUT_MS, NULL);
	if (rc)
		goto fail_resume;
	if ((rc = wait_migration(vm, q, deadline, "saving the state")))
		goto resume;
	t_saved = cd_now_mono_ms();
	if (fsync(fd) < 0 || fstat(fd, &sb) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", tmp, strerror(errno));
		goto resume;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = cd_qemu_fail(vm, -errno, "rename to %s: %s", path, strerror(errno));
		goto resume;
	}
	cd_fsync_dir_of(path);
	cd_qemu_log(vm, "state saved: %" PRIu64 " ms writing, %" PRIu64 " ms fsync and rename",
		    t_saved - t_stop, cd_now_mono_ms() - t_saved);
	res->transferred = (uint64_t)sb.st_size;
	res->downtime_ms = cd_now_mono_ms() - t_stop;
	res->paused_at_ms = t_stop;
	/* The guest has left this QEMU: a probe or monitor must not count it. */
	if ((rc = cd_qemu_role_set(vm, CD_ROLE_MIGRATED))) {
		cd_qemu_log(vm, "%s: stopping QEMU now", vm->err);
		cd_qmp_cmd(q, "quit", NULL, -1, QMP_TIMEOUT_MS, NULL);
		cd_qmp_close(q);
		q = NULL;
		if (cd_qemu_wait_gone(pid, 5000))
			cd_qemu_kill(vm, pid);
		cd_qemu_clean_run_dir(vm);
	}
	res->total_ms = cd_now_mono_ms() - t0;
	rc = 0;
	goto out;
fail_resume:
	rc = cd_qemu_qmp_fail(vm, q, rc);
resume:
	unlink(tmp);
	if (was_running)
		cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL);
out:
	if (fd >= 0)
		close(fd);
	cd_qmp_close(q);
	return rc;
}

/*
 * Remove a restored state file, after the guest runs. unlink() of a large
 * file returns only once its blocks are freed (~130 ms for 110 MB on this
 * lab's ext4 with online discard), which delays the end of the move, not
 * the guest. Unlinking it from a detached child instead took that off the
 * move, but made the pauses of the following quick moves longer here
 * (1 GiB: median 136-147 ms against 79-97 ms, 2 bench runs each way), so
 * it is done in place.
 */
static void
drop_state_file(struct cd_hv_vm *vm, const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		cd_qemu_log(vm, "cannot remove %s: %s", path, strerror(errno));
}

/*
 * A QEMU waiting for incoming state, connected: the target prepared in
 * advance by migrate_prepare in quick mode (saves QEMU's start-up from the
 * guest's pause), else a new one.
 */
static int
incoming_target(struct cd_hv_vm *vm, uint64_t deadline, struct cd_qmp **qp)
{
	char role[32], status[32];
	struct cd_qmp *q = NULL;
	json_object *mig;
	int rc;

	*qp = NULL;
	cd_qemu_role_get(vm, role, sizeof(role));
	if (cd_qemu_pid(vm)) {
		if (strcmp(role, CD_ROLE_INCOMING) != 0)
			return cd_qemu_fail(vm, -EBUSY, "%s already runs here",
					    vm->def->name);
		q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
		if (!q)
			return rc;
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status)))) {
			cd_qmp_close(q);
			return rc;
		}
		json_object_put(mig);
		if (!status[0]) {
			*qp = q;
			return 0;
		}
		/* it listens for a live migration: start afresh */
		cd_qmp_close(q);
		if ((rc = cd_qemu_op_stop(vm, 0, cd_qemu_left_ms(deadline))))
			return rc;
	}
	if ((rc = cd_qemu_spawn_incoming(vm, cd_qemu_left_ms(deadline))))
		return rc;
	*qp = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	return *qp ? 0 : rc;
}

/*
 * Restore on the node that saved (a rollback): its QEMU, paused since the
 * save with the guest's memory intact, continues. Nothing ran elsewhere
 * (the target's copy was dropped first), so memory and disks agree.
 *
 * The save may also have ended half-way: its agent killed (a cancelled
 * move, a timeout) while QEMU still wrote the state, leaving the guest
 * stopped, the role file "running" and the transfer running or done. The
 * transfer is cancelled (or its end awaited) and the guest continues; a
 * guest that already runs (the save failed and resumed it) is left alone.
 */
static int
resume_saved(struct cd_hv_vm *vm, const char *path, struct cd_hv_result *res,
	     uint64_t deadline)
{
	uint64_t t0 = cd_now_mono_ms();
	char state[64], status[32], partial[4200];
	struct cd_qmp *q;
	json_object *mig;
	int rc;

	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	if (!q)
		return rc;
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	if (strcmp(state, "running") == 0) {
		cd_qemu_log(vm, "%s already runs here: nothing to resume", vm->def->name);
		goto resumed;
	}
	/* a save cut short: stop its transfer first */
	for (;;) {
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			goto out;
		json_object_put(mig);
		if (!status[0] || !strcmp(status, "completed") || !strcmp(status, "failed") ||
		    !strcmp(status, "cancelled"))
			break;
		if (cd_now_mono_ms() >= deadline) {
			rc = cd_qemu_fail(vm, -ETIMEDOUT, "the interrupted save (%s) did not "
					  "end in time", status);
			goto out;
		}
		if (strcmp(status, "cancelling") != 0) {
			cd_qemu_log(vm, "cancelling the interrupted save (%s)", status);
			cd_qmp_cmd(q, "migrate_cancel", NULL, -1, QMP_TIMEOUT_MS, NULL);
		}
		cd_qemu_wait_migration_event(q, 20);
	}
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	if (strcmp(state, "postmigrate") != 0 && strcmp(state, "paused") != 0) {
		rc = cd_qemu_fail(vm, -EBUSY, "%s: the saved QEMU is %s, not paused",
				  vm->def->name, state);
		goto out;
	}
	if ((rc = cd_qemu_resume_source(vm, q, "the saved source in place")))
		goto out;
resumed:
	res->resumed_at_ms = cd_now_mono_ms();
	res->total_ms = res->resumed_at_ms - t0;
	if (cd_qemu_role_set(vm, CD_ROLE_RUNNING))
		cd_qemu_log(vm, "%s", vm->err);
	rc = 0;
	snprintf(partial, sizeof(partial), "%s.partial", path);
	unlink(partial);
	drop_state_file(vm, path);
out:
	cd_qmp_close(q);
	return rc;
}

/*
 * Start the incoming migration of a prepared target from fd (the state
 * file, or the stream's pipe): QMP events on (only to wake our waits
 * sooner), getfd, migrate-incoming fd:. QEMU keeps its own copy of fd.
 */
static int
incoming_from_fd(struct cd_hv_vm *vm, struct cd_qmp *q, int fd)
{
	int rc;

	cd_qmp_cmdf(q, "migrate-set-capabilities",
		    "{\"capabilities\":[{\"capability\":\"events\",\"state\":true}]}",
		    QMP_TIMEOUT_MS, NULL);
	rc = cd_qmp_getfd(q, fd, STATE_FD_NAME, QMP_TIMEOUT_MS);
	if (!rc)
		rc = cd_qmp_cmdf(q, "migrate-incoming", "{\"uri\":\"fd:" STATE_FD_NAME "\"}",
				 QMP_TIMEOUT_MS, NULL);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

/*
 * Quick migration's target, before the save: start QEMU, and stream the
 * state file into it as the source writes it (qemu-stream.c). Only QEMU's
 * start is required: a stream that cannot be set up leaves a plain
 * prepared target, and restore loads the file the classic way.
 */
int
cd_qemu_op_restore_prepare(struct cd_hv_vm *vm, const char *path, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char partial[4200], marker[4096];
	struct cd_qmp *q;
	int rc, rfd = -1;
	FILE *f;

	if ((rc = cd_qemu_op_migrate_prepare(vm, NULL, 0, NULL, 0, timeout_ms)))
		return rc;
	cd_qemu_stream_clear(vm);
	/* Whatever appears under this name from now on is this save's. */
	snprintf(partial, sizeof(partial), "%s.partial", path);
	if (unlink(partial) < 0 && errno != ENOENT) {
		cd_qemu_log(vm, "cannot remove the stale %s (%s): no streamed restore",
			    partial, strerror(errno));
		return 0;
	}
	if (cd_qemu_path(vm, CD_QEMU_STREAM, marker, sizeof(marker)) ||
	    !(f = fopen(marker, "we")))
		return 0;
	fprintf(f, "%s\n", path);
	fclose(f);
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK,
			     cd_qemu_min_ms(cd_qemu_left_ms(deadline), QMP_TIMEOUT_MS), &rc);
	if (!q || (rc = cd_qemu_stream_spawn(vm, path, &rfd)))
		goto plain;
	if ((rc = incoming_from_fd(vm, q, rfd)))
		goto plain;
	/* QEMU holds the read end now; the follower exits when QEMU closes it. */
	close(rfd);
	cd_qmp_close(q);
	return 0;
plain:
	cd_qemu_log(vm, "no streamed restore: %s", vm->err);
	if (rfd >= 0)
		close(rfd);
	cd_qmp_close(q);
	cd_qemu_stream_clear(vm);
	/* a QEMU that took the fd but not migrate-incoming is fine as it is */
	return 0;
}

/*
 * Wait until QEMU has loaded its incoming state: 0 with its run state in
 * state ("paused": the source was stopped when it saved); -EREMOTEIO when
 * the load failed (QEMU exits then; vm->err has its last words),
 * -ETIMEDOUT at the deadline.
 */
static int
wait_loaded(struct cd_hv_vm *vm, struct cd_qmp *q, const char *path, uint64_t deadline,
	    char *state, size_t size)
{
	char status[32], why[300];
	json_object *mig;
	int rc;

	for (;;) {
		if ((rc = cd_qemu_run_state(vm, q, state, size, QMP_TIMEOUT_MS))) {
			if (rc != -ECONNRESET)
				return rc;
			cd_qemu_log_tail(vm, 0, why, sizeof(why));
			return cd_qemu_fail(vm, -EREMOTEIO, "QEMU could not load %s: %s",
					    path, why[0] ? why : "it exited");
		}
		if (strcmp(state, "inmigrate") != 0 && strcmp(state, "restore-vm") != 0)
			return 0;
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			return rc;
		if (strcmp(status, "failed") == 0 || strcmp(status, "cancelled") == 0) {
			cd_qemu_migrate_error(mig, why, sizeof(why));
			json_object_put(mig);
			return cd_qemu_fail(vm, -EREMOTEIO, "loading %s %s: %s (see %s/%s)",
					    path, status, why, vm->run_dir, CD_QEMU_LOG);
		}
		json_object_put(mig);
		if (cd_now_mono_ms() >= deadline)
			return cd_qemu_fail(vm, -ETIMEDOUT, "loading %s did not finish in time",
					    path);
		cd_qemu_wait_migration_event(q, 10);
	}
}

/*
 * restore on a streamed target: wait for the rest of the load, check that
 * it came from the completed state file, continue. -EAGAIN (vm->err says
 * why) when the streamed copy is unusable and the file must be loaded anew;
 * nothing ran then.
 */
static int
finish_streamed(struct cd_hv_vm *vm, const char *path, struct cd_hv_result *res,
		uint64_t deadline)
{
	uint64_t t0 = cd_now_mono_ms();
	char state[64], why[400];
	struct cd_qmp *q;
	struct stat sb;
	int rc;

	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	if (!q)
		return -EAGAIN;
	if ((rc = wait_loaded(vm, q, path, deadline, state, sizeof(state)))) {
		if (rc != -ETIMEDOUT) {		/* not usable: load the file anew */
			snprintf(why, sizeof(why), "%s", vm->err);
			rc = cd_qemu_fail(vm, -EAGAIN, "the streamed load: %s", why);
		}
		goto out;
	}
	if (strcmp(state, "paused") != 0) {
		rc = cd_qemu_fail(vm, -EAGAIN, "the streamed copy is %s, not paused", state);
		goto out;
	}
	/* It loaded a whole stream; run it only if that is the completed save. */
	if (cd_qemu_stream_check(vm, path) || stat(path, &sb) < 0) {
		rc = -EAGAIN;
		goto out;
	}
	if ((rc = cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL))) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	res->resumed_at_ms = cd_now_mono_ms();
	res->downtime_ms = res->resumed_at_ms - t0;	/* rest of the load + cont */
	res->transferred = (uint64_t)sb.st_size;
	res->streamed = true;
	/* The guest runs here now: from this point on, success. */
	if (cd_qemu_role_set(vm, CD_ROLE_RUNNING))
		cd_qemu_log(vm, "%s", vm->err);
	cd_qemu_stream_clear(vm);
	drop_state_file(vm, path);
	res->total_ms = cd_now_mono_ms() - t0;
	rc = 0;
out:
	cd_qmp_close(q);
	return rc;
}

static bool
is_streamed(const struct cd_hv_vm *vm)
{
	char marker[4096];

	return !cd_qemu_path(vm, CD_QEMU_STREAM, marker, sizeof(marker)) &&
	       access(marker, F_OK) == 0;
}

int
cd_qemu_op_restore(struct cd_hv_vm *vm, const char *path, struct cd_hv_result *res,
	     uint32_t timeout_ms)
{
	uint64_t t0 = cd_now_mono_ms(), deadline = t0 + timeout_ms, t_load;
	char state[64], role[32];
	struct cd_qmp *q = NULL;
	struct stat sb;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	cd_qemu_role_get(vm, role, sizeof(role));
	/* the node that saved (or began to): a rollback, in place */
	if (cd_qemu_pid(vm) && (strcmp(role, CD_ROLE_MIGRATED) == 0 ||
				strcmp(role, CD_ROLE_RUNNING) == 0))
		return resume_saved(vm, path, res, deadline);
	if (cd_qemu_pid(vm) && strcmp(role, CD_ROLE_INCOMING) == 0 && is_streamed(vm)) {
		rc = finish_streamed(vm, path, res, deadline);
		if (rc != -EAGAIN)
			return rc;
		/* nothing ran: drop that copy, load the file into a new one */
		cd_qemu_log(vm, "%s; loading %s again", vm->err, path);
		if ((rc = cd_qemu_op_stop(vm, 0, cd_qemu_left_ms(deadline))))
			return rc;
		memset(res, 0, sizeof(*res));
	}
	cd_qemu_stream_clear(vm);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = cd_qemu_fail(vm, -errno, "state file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if ((rc = incoming_target(vm, deadline, &q)))
		goto out;
	t_load = cd_now_mono_ms();
	if ((rc = incoming_from_fd(vm, q, fd)))
		goto out;
	if ((rc = wait_loaded(vm, q, path, deadline, state, sizeof(state))))
		goto out;
	if (strcmp(state, "running") != 0 &&
	    (rc = cd_qmp_cmd(q, "cont", NULL, -1, QMP_TIMEOUT_MS, NULL))) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	res->resumed_at_ms = cd_now_mono_ms();
	res->downtime_ms = res->resumed_at_ms - t_load;	/* load + cont */
	res->transferred = (uint64_t)sb.st_size;
	/* The guest runs here now: from this point on, success. */
	if (cd_qemu_role_set(vm, CD_ROLE_RUNNING))
		cd_qemu_log(vm, "%s", vm->err);
	rc = 0;
	close(fd);	/* the last close of an unlinked file frees its blocks */
	fd = -1;
	drop_state_file(vm, path);
	res->total_ms = cd_now_mono_ms() - t0;
out:
	if (fd >= 0)
		close(fd);
	cd_qmp_close(q);
	if (rc && rc != -EBUSY) {
		/* leave nothing half-loaded behind; the state file stays */
		cd_qemu_role_get(vm, role, sizeof(role));
		if (strcmp(role, CD_ROLE_INCOMING) == 0)
			cd_qemu_op_stop(vm, 0, QMP_TIMEOUT_MS);
	}
	return rc;
}
