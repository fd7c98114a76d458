/*
 * vm-storage.c - the vm agent's live storage move actions (see
 * vm-storage.h; hypervisor.h ABI 5 ops storage_move/undo/finish).
 */
#include "vm-storage.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "ocf.h"
#include "timeutil.h"
#include "vmdef-moves.h"
#include "vmpolicy.h"

static void
print_progress(void *opaque, const struct cd_hv_progress *p)
{
	(void)opaque;
	printf("progress percent=%.1f mbps=%.1f remaining=%" PRIu64 " transferred=%" PRIu64
	       " total=%" PRIu64 " status=%s elapsed_ms=%" PRIu64 "\n", p->percent, p->mbps,
	       p->remaining, p->transferred, p->total, p->status, p->elapsed_ms);
	fflush(stdout);
}

/* The move's parameters: disk number, from, to, format. */
static int
move_params(const struct cd_vmdef *def, struct cd_hv_storage_move *m)
{
	const char *disk = ocf_param("CRM_meta_storage_disk");
	char *end;
	long n;

	memset(m, 0, sizeof(*m));
	if (!disk)
		return vm_fail(OCF_ERR_ARGS, "%s: no disk given (OCF_RESKEY_CRM_meta_storage_disk)",
			    def->name);
	n = strtol(disk, &end, 10);
	if (*end || n < 0 || (size_t)n >= def->n_disks)
		return vm_fail(OCF_ERR_ARGS, "%s: no disk %s (the definition has %zu)", def->name,
			    disk, def->n_disks);
	m->disk = (size_t)n;
	m->source = ocf_param("CRM_meta_storage_from");
	m->target = ocf_param("CRM_meta_storage_to");
	m->format = ocf_param("CRM_meta_storage_format");
	if (!m->source)
		m->source = def->disks[n].path;
	if (!m->target || m->target[0] != '/')
		return vm_fail(OCF_ERR_ARGS, "%s: the new image must be an absolute path "
			    "(OCF_RESKEY_CRM_meta_storage_to)", def->name);
	if (m->format && !*m->format)
		m->format = NULL;
	return OCF_SUCCESS;
}

/*
 * The new image is a disk of the VM: inside the storage roots like every
 * other (vmpolicy.h V1), its directory resolved (no symlink, no "..").
 * *resolved gets DIR/NAME with DIR resolved.
 */
static int
confine_target(const struct cd_vmdef *def, const char *target, char *resolved, size_t size)
{
	const char *roots = getenv(CD_VMPOLICY_ROOTS_ENV), *slash = strrchr(target, '/');
	char dir[PATH_MAX], real[PATH_MAX], why[512];

	if (!roots || !*roots)
		roots = CD_VMPOLICY_ROOTS_DEFAULT;
	snprintf(dir, sizeof(dir), "%.*s", slash == target ? 1 : (int)(slash - target), target);
	if (!slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, ".."))
		return vm_fail(OCF_ERR_ARGS, "%s: the new image %s is not a file name", def->name,
			    target);
	if (!realpath(dir, real))
		return vm_fail(OCF_ERR_ARGS, "%s: the new image's directory %s: %s", def->name, dir,
			    strerror(errno));
	snprintf(resolved, size, "%s/%s", strcmp(real, "/") ? real : "", slash + 1);
	if (cd_vmpolicy_path_check(resolved, roots, why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "%s: the new image: %s", def->name, why);
	return OCF_SUCCESS;
}

int
vm_storage_action(const char *action, const struct cd_hv_ops *ops, struct cd_hv_vm *vm,
		  uint32_t budget_ms, volatile const int *cancel)
{
	const struct cd_vmdef *def = vm->def;
	struct cd_hv_storage_move m;
	struct cd_hv_result res;
	bool switched = false;
	const char *bw;
	char *end;
	int rc;

	if (!ops->storage_move)
		return vm_fail(OCF_ERR_UNIMPLEMENTED, "%s: hypervisor %s cannot move storage live",
			    def->name, ops->name);
	if ((rc = move_params(def, &m)))
		return rc;
	m.timeout_ms = budget_ms;
	bw = ocf_param("storage_move_bandwidth");	/* MiB/s, 0 = unlimited */
	if (bw && (strtol(bw, &end, 10) < 0 || *end))
		return vm_fail(OCF_ERR_CONFIGURED, "storage_move_bandwidth: not a number of MiB/s");
	m.max_bandwidth = bw ? (uint64_t)strtol(bw, NULL, 10) << 20 : 0;
	m.progress_interval_ms = 200;
	if (!strcmp(action, "move_storage")) {
		char target[PATH_MAX];

		if ((rc = confine_target(def, m.target, target, sizeof(target))))
			return rc;
		if (strcmp(target, m.target))
			return vm_fail(OCF_ERR_ARGS, "%s: the new image %s is %s once resolved; give "
				    "that path", def->name, m.target, target);
		if (strcmp(def->disks[m.disk].path, m.source))
			return vm_fail(OCF_ERR_GENERIC, "%s: disk %zu is %s, not %s", def->name,
				    m.disk, def->disks[m.disk].path, m.source);
		if ((rc = ops->storage_move(vm, &m, print_progress, NULL, cancel, &res)))
			return vm_fail(rc == -EINVAL ? OCF_ERR_ARGS : OCF_ERR_GENERIC,
				    "%s: storage move failed: %s", def->name, vm->err);
		printf("result type=storage total_ms=%" PRIu64 " downtime_ms=%" PRIu64
		       " transferred=%" PRIu64 " disk=%zu\n", res.total_ms, res.downtime_ms,
		       res.transferred, m.disk);
		return OCF_SUCCESS;
	}
	if (!strcmp(action, "move_storage_undo")) {
		if (ops->storage_undo(vm, &m, &switched, budget_ms))
			return vm_fail(OCF_ERR_GENERIC, "%s: storage move undo failed: %s",
				    def->name, vm->err);
		printf("switched=%d\n", switched);
		return OCF_SUCCESS;
	}
	/* move_storage_finish: the switch is recorded; the old image goes */
	if (ops->storage_finish(vm, &m, budget_ms))
		return vm_fail(OCF_ERR_GENERIC, "%s: storage move finish failed: %s", def->name,
			    vm->err);
	printf("deleted=%s\n", m.source);
	return OCF_SUCCESS;
}

int
vm_storage_definition(const char *config, const struct cd_vmdef *def)
{
	const char *from = ocf_param("CRM_meta_storage_from"),
		   *to = ocf_param("CRM_meta_storage_to"),
		   *format = ocf_param("CRM_meta_storage_format");
	char err[512];
	int rc;

	if (!from || !to)
		return OCF_SUCCESS;
	rc = cd_vmdef_rewrite_disk(config, from, to, format && *format ? format : NULL, err,
				   sizeof(err));
	if (rc < 0) {
		/* the cluster's record (vm_disk_moves) still names the new image */
		fprintf(stderr, "vm: %s: definition not rewritten: %s\n", def->name, err);
		printf("definition=unchanged\n");
	} else {
		printf("definition=%s\n", rc ? "rewritten" : "current");
	}
	return OCF_SUCCESS;
}

#define AGENT_PID "smove-agent.pid"

/* Is pid a vm agent running move_storage (not a reused pid)? */
static bool
is_move_agent(long pid)
{
	char cmd[256];
	ssize_t n = cd_proc_cmdline(pid, cmd, sizeof(cmd), 0);

	if (n <= 0)
		return false;
	/* argv[0] NUL argv[1]: the action */
	return strlen(cmd) + 1 < (size_t)n && !strcmp(cmd + strlen(cmd) + 1, "move_storage");
}

void
vm_storage_mark(const char *run_dir, bool on)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run_dir, AGENT_PID);
	if (!on) {
		unlink(path);
		return;
	}
	if ((f = fopen(path, "we"))) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
}

void
vm_storage_stop_orphan(const char *run_dir)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", run_dir, AGENT_PID);
	if (!(f = fopen(path, "re")))
		return;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid > 1 && pid != (long)getpid() && is_move_agent(pid)) {
		fprintf(stderr, "vm: stopping the move_storage agent %ld left running\n", pid);
		kill((pid_t)pid, SIGTERM);	/* it cancels before the switch */
	}
}
