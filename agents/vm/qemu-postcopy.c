/*
 * qemu-postcopy.c - stall handling and post-copy of the qemu plugin
 * (hypervisor.h ABI 6; the decisions are lib/migstall.h's, S1-S9).
 *
 * Safety, the rules this file keeps (docs/ARCHITECTURE.md §7):
 *  - post-copy only when the VM's policy says so, and with postcopy-ram on
 *    both sides before the transfer starts (the target turns it on in
 *    migrate_prepare; a target whose QEMU cannot, e.g. userfaultfd refused
 *    to an unprivileged QEMU 7.2, fails its prepare with the reason);
 *  - the source's run dir holds the file "postcopy" BEFORE
 *    migrate-start-postcopy is sent, and keeps it through stops until a
 *    start or a prepare here: from then on nothing in this plugin resumes
 *    that copy (migrate_cancel stops it and fails with -ENOTRECOVERABLE),
 *    because the target may have run the guest and written its disk;
 *  - a post-copy that fails (either QEMU gone, the link cut: QEMU 7.2 then
 *    pauses both sides, "postcopy-paused") is not recovered: the source's
 *    QEMU is stopped at once, and the VM must be booted anew from its disk
 *    once the target's copy is gone too (the cluster's abort step drops
 *    it; a lost target node is fenced first).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "timeutil.h"

/* The value of vm.unprivileged_userfaultfd, or -1 when unreadable. */
static int
uffd_sysctl(void)
{
	FILE *f = fopen("/proc/sys/vm/unprivileged_userfaultfd", "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int
cd_qemu_postcopy_incoming(struct cd_hv_vm *vm, struct cd_qmp *q)
{
	int rc, uffd;

	rc = cd_qmp_cmdf(q, "migrate-set-capabilities",
			 "{\"capabilities\":[{\"capability\":\"events\",\"state\":true},"
			 "{\"capability\":\"postcopy-ram\",\"state\":true}]}",
			 QMP_TIMEOUT_MS, NULL);
	if (!rc)
		return 0;
	uffd = uffd_sysctl();
	return cd_qemu_fail(vm, rc == -EREMOTEIO ? -EOPNOTSUPP : rc,
			    "migration policy postcopy: QEMU on %s cannot take post-copy "
			    "(%s)%s", cd_qemu_node_name(), cd_qmp_last_error(q),
			    uffd == 0 ? "; it runs as " CD_QEMU_USER " and userfaultfd is "
			    "refused to unprivileged processes here: set sysctl "
			    "vm.unprivileged_userfaultfd=1 on every node, or use another "
			    "migration policy" : "");
}

int
cd_qemu_set_downtime(struct cd_hv_vm *vm, struct cd_qmp *q, uint32_t ms)
{
	json_object *args = json_object_new_object();
	int rc;

	json_object_object_add(args, "downtime-limit", json_object_new_int64(ms));
	rc = cd_qmp_cmd(q, "migrate-set-parameters", args, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(args);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

bool
cd_qemu_postcopy_marked(const struct cd_hv_vm *vm)
{
	char path[4096];

	return !cd_qemu_path(vm, CD_QEMU_POSTCOPY, path, sizeof(path)) &&
	       access(path, F_OK) == 0;
}

/* The mark, written durably before the switch is asked. */
static int
postcopy_mark(struct cd_hv_vm *vm)
{
	char path[4096];
	int fd, rc;

	if ((rc = cd_qemu_path(vm, CD_QEMU_POSTCOPY, path, sizeof(path))))
		return cd_qemu_fail(vm, rc, "run dir path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cd_qemu_fail(vm, -errno, "cannot write %s: %s", path, strerror(errno));
	rc = dprintf(fd, "switched to post-copy: this copy must never run again\n") < 0 ||
	     fsync(fd) < 0 ? -EIO : 0;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc ? cd_qemu_fail(vm, rc, "cannot write %s", path) : 0;
}

void
cd_qemu_postcopy_unmark(const struct cd_hv_vm *vm)
{
	char path[4096];

	if (!cd_qemu_path(vm, CD_QEMU_POSTCOPY, path, sizeof(path)))
		unlink(path);
}

int
cd_qemu_postcopy_start(struct cd_hv_vm *vm, struct cd_qmp *q, bool running,
		       uint64_t *paused_at_ms)
{
	int rc;

	/*
	 * The guest stops here first (post-copy stops it anyway at the
	 * switch, a few ms later): QEMU then has no running guest to restart
	 * on the source if its switch fails half-way, when the target may
	 * run it already.
	 */
	if (running) {
		if ((rc = cd_qmp_cmd(q, "stop", NULL, -1, QMP_TIMEOUT_MS, NULL)))
			return cd_qemu_qmp_fail(vm, q, rc);
		*paused_at_ms = cd_now_mono_ms();
	}
	/* Then the mark: once QEMU has the request, this copy is no longer
	 * ours to resume, whatever happens to this process. */
	if ((rc = postcopy_mark(vm)))
		return rc;
	rc = cd_qmp_cmd(q, "migrate-start-postcopy", NULL, -1, QMP_TIMEOUT_MS, NULL);
	if (rc)
		return cd_qemu_qmp_fail(vm, q, rc);
	cd_qemu_log(vm, "switched to post-copy");
	return 0;
}

int
cd_qemu_postcopy_lost(struct cd_hv_vm *vm, const char *why)
{
	pid_t pid = cd_qemu_pid(vm);
	char reason[300];

	snprintf(reason, sizeof(reason), "%s", why);
	if (pid) {
		cd_qemu_log(vm, "post-copy failed (%s): stopping the source copy", reason);
		/* no `quit` over QMP: QEMU may be the one that hangs */
		if (cd_qemu_kill(vm, pid))
			return cd_qemu_fail(vm, -ENOTRECOVERABLE, "post-copy failed (%s) and "
					    "QEMU pid %d survives SIGKILL", reason, (int)pid);
	}
	cd_qemu_clean_run_dir(vm);	/* the mark stays (see the head) */
	return cd_qemu_fail(vm, -ENOTRECOVERABLE, "post-copy did not complete (%s): the "
			    "guest's memory was split between both hosts, so neither copy may "
			    "run; %s is stopped on %s and must be cold-booted from its disk",
			    reason, vm->def ? vm->def->name : "the VM", cd_qemu_node_name());
}

/* Statuses of a transfer that is still in its post-copy phase. */
static bool
postcopy_running(const char *status)
{
	return !strcmp(status, "postcopy-active");
}

int
cd_qemu_postcopy_wait(struct cd_hv_vm *vm, struct cd_qmp *q, uint64_t deadline,
		      volatile const int *cancel, cd_hv_progress_fn progress, void *opaque,
		      uint64_t t0, uint32_t interval, uint64_t *switched_ms)
{
	uint64_t next_report = 0;
	bool told = false;
	char status[32], why[256];
	json_object *mig;
	int rc;

	for (;;) {
		if ((rc = cd_qemu_query_migrate(vm, q, &mig, status, sizeof(status))))
			return cd_qemu_postcopy_lost(vm, "the source's QEMU does not answer");
		if (!strcmp(status, "completed")) {
			json_object_put(mig);
			return 0;
		}
		if (postcopy_running(status) && !*switched_ms)
			*switched_ms = cd_now_mono_ms();
		if (!postcopy_running(status) && strcmp(status, "setup") &&
		    strcmp(status, "active") && strcmp(status, "device") &&
		    strcmp(status, "pre-switchover")) {
			/* postcopy-paused (the link or the target gone), failed,
			 * cancelled, or anything else: not recoverable here */
			cd_qemu_migrate_error(mig, why, sizeof(why));
			json_object_put(mig);
			return cd_qemu_postcopy_lost(vm, !strcmp(why, "no reason given") ?
						     "the migration stream broke" : why);
		}
		if (progress && cd_now_mono_ms() >= next_report) {
			struct cd_hv_progress p;

			cd_qemu_fill_progress(mig, status, cd_now_mono_ms() - t0, &p);
			progress(opaque, &p);
			next_report = cd_now_mono_ms() + interval;
		}
		json_object_put(mig);
		if (cancel && *cancel && !told) {
			/* the guest runs on the target already: nothing to cancel */
			cd_qemu_log(vm, "cancel ignored: in post-copy the migration can only "
				    "complete or lose the VM");
			told = true;
		}
		if (cd_now_mono_ms() >= deadline)
			return cd_qemu_postcopy_lost(vm, "post-copy did not finish within the "
						     "transfer's time");
		cd_qemu_wait_migration_event(q, 50);
	}
}
