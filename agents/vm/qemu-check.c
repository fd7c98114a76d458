/*
 * qemu-check.c - qemu plugin: is live pre-copy safe on this QEMU
 * (migmode.h, asked of the running QEMU over QMP), and the check of a
 * migration target after the switchover, before the source is dropped
 * (issue 19: a target guest that crashed must never count as a move).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonget.h"
#include "migmode.h"
#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "timeutil.h"

#define CONSOLE_SCAN_MAX	(256 * 1024)	/* bytes of console.log read */
#define CHECK_DEFAULT_MS	2000

enum cd_migmode
cd_qemu_migmode(struct cd_hv_vm *vm, struct cd_qmp *q, bool declared_fixed,
		char *why, size_t why_size)
{
	struct cd_migmode_in in = { .declared_fixed = declared_fixed };
	json_object *ret = NULL, *qv = NULL;

	/* What the running QEMU says, not the binary on disk: after a package
	 * upgrade the two differ until the VM restarts. */
	if (!cd_qmp_cmd(q, "query-version", NULL, -1, QMP_TIMEOUT_MS, &ret) &&
	    json_object_object_get_ex(ret, "qemu", &qv)) {
		in.major = (int)cd_jint(qv, "major", 0);
		in.minor = (int)cd_jint(qv, "minor", 0);
		in.micro = (int)cd_jint(qv, "micro", 0);
	}
	json_object_put(ret);
	ret = NULL;
	in.accel = "tcg";
	if (!cd_qmp_cmd(q, "query-kvm", NULL, -1, QMP_TIMEOUT_MS, &ret) &&
	    cd_jbool(ret, "enabled", false))
		in.accel = "kvm";
	json_object_put(ret);
	return cd_migmode_decide(&in, why, why_size);
}

uint32_t
cd_qemu_check_ms(void)
{
	const char *env = getenv("CD_QEMU_CHECK_MS");
	char *end;
	long v;

	if (!env || !*env)
		return CHECK_DEFAULT_MS;
	v = strtol(env, &end, 10);
	return *end || v < 0 || v > 60000 ? CHECK_DEFAULT_MS : (uint32_t)v;
}

bool
cd_qemu_console_crash(const struct cd_hv_vm *vm, char *line, size_t size)
{
	char path[4096], *buf;
	off_t end, from;
	ssize_t n;
	bool found = false;
	int fd;

	if (cd_qemu_path(vm, CD_QEMU_CONSOLE, path, sizeof(path)))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	end = lseek(fd, 0, SEEK_END);
	from = end > CONSOLE_SCAN_MAX ? end - CONSOLE_SCAN_MAX : 0;
	buf = malloc(CONSOLE_SCAN_MAX + 1);
	if (buf && (n = pread(fd, buf, CONSOLE_SCAN_MAX, from)) > 0) {
		buf[n] = '\0';
		found = cd_migmode_crash_line(buf, line, size);
	}
	free(buf);
	close(fd);
	return found;
}

int
cd_qemu_target_crashed(struct cd_hv_vm *vm, const char *what)
{
	char line[160];

	if (cd_qemu_console_crash(vm, line, sizeof(line)))
		return cd_qemu_fail(vm, -EREMOTEIO, "the guest crashed on %s after the "
				    "switchover: %s", cd_qemu_node_name(), line);
	return cd_qemu_fail(vm, -EREMOTEIO, "the guest crashed on %s after the "
			    "switchover: %s", cd_qemu_node_name(), what);
}

int
cd_qemu_target_exited(struct cd_hv_vm *vm)
{
	char line[160], tail[200];

	if (cd_qemu_console_crash(vm, line, sizeof(line)))
		return cd_qemu_target_crashed(vm, line);
	cd_qemu_log_tail(vm, 0, tail, sizeof(tail));
	return cd_qemu_fail(vm, -EREMOTEIO, "the QEMU of %s exited on %s after the "
			    "switchover%s%s", vm->def->name, cd_qemu_node_name(),
			    tail[0] ? ": " : "", tail);
}

int
cd_qemu_check_target(struct cd_hv_vm *vm, struct cd_qmp *q, uint32_t ms)
{
	uint64_t end = cd_now_mono_ms() + ms;
	char state[64], line[160], tail[200];
	int rc;

	cd_qemu_log(vm, "checking the guest for %u ms after the switchover", ms);
	for (;;) {
		rc = cd_qmp_wait_event(q, "GUEST_PANICKED", cd_qemu_min_ms(100,
				       cd_qemu_left_ms(end)), NULL);
		if (rc == 0) {
			/* A panic in NMI context reaches the console after the
			 * event: give its lines a moment, for the message. */
			uint64_t lines = cd_now_mono_ms() + 1000;

			while (!cd_qemu_console_crash(vm, line, sizeof(line)) &&
			       cd_now_mono_ms() < lines)
				cd_qemu_nap(50);
			return cd_qemu_target_crashed(vm, "the guest reported a panic "
						      "(GUEST_PANICKED)");
		}
		if (rc != -ETIMEDOUT || !cd_qemu_pid(vm))
			return cd_qemu_target_exited(vm);
		if (cd_qemu_console_crash(vm, line, sizeof(line)))
			return cd_qemu_target_crashed(vm, line);
		if (cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)) {
			cd_qemu_log_tail(vm, 0, tail, sizeof(tail));
			return cd_qemu_target_crashed(vm, tail[0] ? tail :
						      "its QEMU stopped answering");
		}
		if (strcmp(state, "running") != 0) {
			snprintf(tail, sizeof(tail), "the guest is %s", state);
			return cd_qemu_target_crashed(vm, tail);
		}
		if (cd_now_mono_ms() >= end)
			return 0;
	}
}

/* ---- the estimate before a live migration (hypervisor.h ABI 7) ---- */

int
cd_qemu_op_migrate_estimate(struct cd_hv_vm *vm, const struct cd_hv_migrate_opts *o,
			    struct cd_hv_estimate *e, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char why[96], status[32];
	json_object *ret;
	struct cd_qmp *q;
	int rc;

	memset(e, 0, sizeof(*e));
	e->ram_bytes = (uint64_t)vm->def->memory_mib << 20;
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms, QMP_TIMEOUT_MS), &rc);
	if (!q)
		return rc;
	e->paused = cd_qemu_migmode(vm, q, o->dirty_tracking_fixed, why, sizeof(why)) ==
		    CD_MIGMODE_PAUSED;
	if (e->paused)
		goto out;	/* nothing runs during the transfer: no rate to know */
	/* page sampling (QEMU's default): hashes sampled pages, no dirty log */
	if ((rc = cd_qmp_cmdf(q, "calc-dirty-rate", "{\"calc-time\":1}", QMP_TIMEOUT_MS, NULL))) {
		rc = cd_qemu_qmp_fail(vm, q, rc);
		goto out;
	}
	for (;;) {
		if ((rc = cd_qmp_cmd(q, "query-dirty-rate", NULL, -1, QMP_TIMEOUT_MS, &ret))) {
			rc = cd_qemu_qmp_fail(vm, q, rc);
			break;
		}
		snprintf(status, sizeof(status), "%s", cd_jstr(ret, "status", ""));
		if (!strcmp(status, "measured"))
			e->dirty_rate = (uint64_t)cd_jint(ret, "dirty-rate", 0) << 20;	/* MiB/s */
		json_object_put(ret);
		if (!strcmp(status, "measured"))
			break;
		if (cd_now_mono_ms() >= deadline) {
			rc = cd_qemu_fail(vm, -ETIMEDOUT, "the dirty rate was not measured "
					  "in time (%s)", status);
			break;
		}
		cd_qemu_nap(100);
	}
out:
	cd_qmp_close(q);
	return rc;
}
