/*
 * qemu-mirror.c - the qemu plugin's live storage move (hypervisor.h ABI 5:
 * storage_move, storage_undo, storage_finish).
 *
 * The new image is created here (raw: a sparse file; qcow2: qemu-img),
 * opened in QEMU as a node of its own (blockdev-add), and the disk's
 * BlockBackend ("diskN", qemu-argv.c) is mirrored into it with
 * blockdev-mirror sync=full copy-mode=write-blocking: once the copy is in
 * sync a guest write completes only when both images have it, so the mirror
 * converges whatever the guest writes. When the job is ready, job-complete
 * switches the guest to the new image; query-block then must name it.
 *
 * Any failure before the switch cancels the job, removes the node and
 * deletes the new image, which this node created: the guest never left the
 * old one. A marker file run_dir/smove-N (the new image, its node and job,
 * device and inode) says what this node created, so storage_undo after a
 * killed agent deletes only that file, never one that was there before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "hypervisor.h"
#include "jsonget.h"
#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "qmp.h"
#include "timeutil.h"

extern char **environ;

#define SMOVE_MARKER	"smove-%zu"
#define CANCEL_WAIT_MS	30000	/* a cancelled job to conclude */

struct marker {
	char target[PATH_MAX];
	char node[32];		/* the new image's node-name */
	char job[32];		/* the mirror's job id */
	unsigned long long dev, ino;
};

/* ---- marker: what this node created for a move of disk N ---- */

static int
marker_path(const struct cd_hv_vm *vm, size_t disk, char *buf, size_t size)
{
	char name[32];

	snprintf(name, sizeof(name), SMOVE_MARKER, disk);
	return cd_qemu_path(vm, name, buf, size);
}

static int
marker_write(struct cd_hv_vm *vm, size_t disk, const struct marker *m)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;

	if (marker_path(vm, disk, path, sizeof(path)))
		return cd_qemu_fail(vm, -ENAMETOOLONG, "run dir path too long");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return cd_qemu_fail(vm, -errno, "%s: %s", tmp, strerror(errno));
	fprintf(f, "%s\n%s\n%s\n%llu %llu\n", m->target, m->node, m->job, m->dev, m->ino);
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
		int e = -errno;

		unlink(tmp);
		return cd_qemu_fail(vm, e, "%s: %s", path, strerror(-e));
	}
	return 0;
}

/* 0 with *m filled, -ENOENT when there is no (readable) marker. */
static int
marker_read(const struct cd_hv_vm *vm, size_t disk, struct marker *m)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	memset(m, 0, sizeof(*m));
	if (marker_path(vm, disk, path, sizeof(path)) || !(f = fopen(path, "re")))
		return -ENOENT;
	ok = fgets(m->target, sizeof(m->target), f) && fgets(m->node, sizeof(m->node), f) &&
	     fgets(m->job, sizeof(m->job), f) && fscanf(f, "%llu %llu", &m->dev, &m->ino) == 2;
	fclose(f);
	m->target[strcspn(m->target, "\n")] = '\0';
	m->node[strcspn(m->node, "\n")] = '\0';
	m->job[strcspn(m->job, "\n")] = '\0';
	return ok ? 0 : -ENOENT;
}

static void
marker_remove(const struct cd_hv_vm *vm, size_t disk)
{
	char path[PATH_MAX];

	if (!marker_path(vm, disk, path, sizeof(path)))
		unlink(path);
}

/* Delete the image the marker names if it is still the file we created. */
static void
delete_created(struct cd_hv_vm *vm, const struct marker *m)
{
	struct stat st;

	if (!m->target[0] || stat(m->target, &st) < 0)
		return;
	if ((unsigned long long)st.st_dev != m->dev || (unsigned long long)st.st_ino != m->ino) {
		cd_qemu_log(vm, "%s is not the image this move created; kept", m->target);
		return;
	}
	if (unlink(m->target) < 0)
		cd_qemu_log(vm, "cannot delete %s: %s", m->target, strerror(errno));
	else
		cd_qemu_log(vm, "deleted the new image %s", m->target);
}

/* ---- QMP queries ---- */

/* The file disk N uses now (query-block), and its virtual size. */
static int
disk_file(struct cd_hv_vm *vm, struct cd_qmp *q, size_t disk, char *buf, size_t size,
	  uint64_t *vsize)
{
	json_object *ret, *dev, *ins, *img;
	char want[32];
	size_t i;
	int rc;

	snprintf(want, sizeof(want), "disk%zu", disk);
	if ((rc = cd_qmp_cmd(q, "query-block", NULL, -1, QMP_TIMEOUT_MS, &ret)))
		return cd_qemu_qmp_fail(vm, q, rc);
	rc = cd_qemu_fail(vm, -ENODEV, "QEMU has no disk %s (disk %zu)", want, disk);
	for (i = 0; json_object_is_type(ret, json_type_array) &&
		    i < json_object_array_length(ret); i++) {
		dev = json_object_array_get_idx(ret, i);
		if (strcmp(cd_jstr(dev, "device", ""), want))
			continue;
		if (!json_object_object_get_ex(dev, "inserted", &ins)) {
			rc = cd_qemu_fail(vm, -ENODEV, "disk %zu has no medium", disk);
			break;
		}
		snprintf(buf, size, "%s", cd_jstr(ins, "file", ""));
		if (vsize)
			*vsize = json_object_object_get_ex(ins, "image", &img) ?
				 (uint64_t)cd_jint(img, "virtual-size", 0) : 0;
		rc = 0;
		break;
	}
	json_object_put(ret);
	return rc;
}

/* The job's status ("" when there is no such job), error and progress. */
int
cd_qemu_job_get(struct cd_hv_vm *vm, struct cd_qmp *q, const char *id, char *status, size_t size,
	char *err, size_t err_size, uint64_t *cur, uint64_t *total)
{
	json_object *ret, *j;
	size_t i;
	int rc;

	status[0] = err[0] = '\0';
	if ((rc = cd_qmp_cmd(q, "query-jobs", NULL, -1, QMP_TIMEOUT_MS, &ret)))
		return cd_qemu_qmp_fail(vm, q, rc);
	for (i = 0; json_object_is_type(ret, json_type_array) &&
		    i < json_object_array_length(ret); i++) {
		j = json_object_array_get_idx(ret, i);
		if (strcmp(cd_jstr(j, "id", ""), id))
			continue;
		snprintf(status, size, "%s", cd_jstr(j, "status", "?"));
		snprintf(err, err_size, "%s", cd_jstr(j, "error", ""));
		if (cur)
			*cur = (uint64_t)cd_jint(j, "current-progress", 0);
		if (total)
			*total = (uint64_t)cd_jint(j, "total-progress", 0);
		break;
	}
	json_object_put(ret);
	return 0;
}

int
cd_qemu_cmd_id(struct cd_qmp *q, const char *cmd, const char *key, const char *val, bool force)
{
	json_object *a = json_object_new_object();
	int rc;

	json_object_object_add(a, key, json_object_new_string(val));
	if (force)
		json_object_object_add(a, "force", json_object_new_boolean(1));
	rc = cd_qmp_cmd(q, cmd, a, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(a);
	return rc;
}

/*
 * Stop the mirror (if it runs), drop the new node, delete the new image:
 * the guest stays on its old image. Best effort, every step logged.
 */
static void
undo_mirror(struct cd_hv_vm *vm, struct cd_qmp *q, size_t disk, const struct marker *m)
{
	uint64_t deadline = cd_now_mono_ms() + CANCEL_WAIT_MS;
	char st[32], err[256];

	if (q && m->job[0] && !cd_qemu_job_get(vm, q, m->job, st, sizeof(st), err, sizeof(err),
				       NULL, NULL) && st[0]) {
		if (strcmp(st, "concluded") && strcmp(st, "null")) {
			cd_qemu_log(vm, "cancelling mirror job %s (%s)", m->job, st);
			cd_qemu_cmd_id(q, "job-cancel", "id", m->job, false);
			while (cd_now_mono_ms() < deadline &&
			       !cd_qemu_job_get(vm, q, m->job, st, sizeof(st), err, sizeof(err), NULL,
					NULL) && st[0] && strcmp(st, "concluded"))
				cd_qmp_wait_event(q, "JOB_STATUS_CHANGE", 100, NULL);
		}
		cd_qemu_cmd_id(q, "job-dismiss", "id", m->job, false);
	}
	if (q && m->node[0] && cd_qemu_cmd_id(q, "blockdev-del", "node-name", m->node, false) == 0)
		cd_qemu_log(vm, "removed node %s", m->node);
	delete_created(vm, m);
	marker_remove(vm, disk);
}

/* ---- the new image ---- */

/* qemu-img create -f qcow2 (CD_QEMU_IMG names another qemu-img). */
int
cd_qemu_qcow2_create(struct cd_hv_vm *vm, const char *path, uint64_t size, uint64_t deadline)
{
	const char *tool = getenv("CD_QEMU_IMG");
	char t_tool[PATH_MAX], t_path[PATH_MAX], sz[32], a1[] = "create", a2[] = "-q",
	     a3[] = "-f", a4[] = "qcow2";
	char *argv[] = { t_tool, a1, a2, a3, a4, t_path, sz, NULL };

	snprintf(t_tool, sizeof(t_tool), "%s", tool && *tool ? tool : "qemu-img");
	snprintf(t_path, sizeof(t_path), "%s", path);
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	return cd_qemu_run_tool(vm, argv, deadline);
}

/* Run argv (no shell), wait until it exits or the deadline passes. */
int
cd_qemu_run_tool(struct cd_hv_vm *vm, char *const argv[], uint64_t deadline)
{
	pid_t pid;
	int st, e;

	e = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (e)
		return cd_qemu_fail(vm, -e, "%s: %s", argv[0], strerror(e));
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (cd_now_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return cd_qemu_fail(vm, -ETIMEDOUT, "%s did not finish in time", argv[0]);
		}
		usleep(20000);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return cd_qemu_fail(vm, -EREMOTEIO, "%s failed (status %d)", argv[0], st);
	return 0;
}

/* The target's file system must hold what the source holds (its blocks). */
static int
space_check(struct cd_hv_vm *vm, const char *source, const char *target, size_t disk)
{
	char dir[PATH_MAX];
	struct statvfs vfs;
	struct stat st;
	uint64_t need, avail;

	if (stat(source, &st) < 0)
		return cd_qemu_fail(vm, -errno, "%s: %s", source, strerror(errno));
	snprintf(dir, sizeof(dir), "%s", target);
	if (statvfs(dirname(dir), &vfs) < 0)
		return cd_qemu_fail(vm, -errno, "%s: %s", dir, strerror(errno));
	need = (uint64_t)st.st_blocks * 512;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < need + (1u << 20))
		return cd_qemu_fail(vm, -ENOSPC, "not enough space for disk %zu: %s has %" PRIu64
				    " MiB free, %s holds %" PRIu64 " MiB", disk, dir,
				    avail >> 20, source, (need + (1u << 20) - 1) >> 20);
	return 0;
}

/*
 * Create target (never over an existing file), size bytes, in format fmt,
 * owned by the user QEMU runs as (it opens the image after dropping its
 * privileges, -runas) with the source's mode.
 */
static int
create_image(struct cd_hv_vm *vm, const char *source, const char *target, const char *fmt,
	     uint64_t size, struct marker *m, size_t disk, uint64_t deadline)
{
	struct stat src, st, proc;
	char procdir[32];
	int fd, rc;

	if (stat(source, &src) < 0)
		return cd_qemu_fail(vm, -errno, "%s: %s", source, strerror(errno));
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cd_qemu_fail(vm, -errno, "%s: %s%s", target, strerror(errno),
				    errno == EEXIST ? " (a move never overwrites a file)" : "");
	if (fstat(fd, &st) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", target, strerror(errno));
		close(fd);
		unlink(target);
		return rc;
	}
	m->dev = (unsigned long long)st.st_dev;
	m->ino = (unsigned long long)st.st_ino;
	if ((rc = marker_write(vm, disk, m))) {
		close(fd);
		unlink(target);
		return rc;
	}
	/* the QEMU process's owner: /proc/PID belongs to its effective user */
	snprintf(procdir, sizeof(procdir), "/proc/%ld", (long)cd_qemu_pid(vm));
	if (stat(procdir, &proc) < 0) {
		proc.st_uid = src.st_uid;
		proc.st_gid = src.st_gid;
	}
	if (fchown(fd, proc.st_uid, proc.st_gid) < 0 ||
	    fchmod(fd, (src.st_mode & 07777) | S_IRUSR | S_IWUSR) < 0 ||
	    (!strcmp(fmt, "raw") && ftruncate(fd, (off_t)size) < 0) || fsync(fd) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", target, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	if (!strcmp(fmt, "qcow2") && (rc = cd_qemu_qcow2_create(vm, target, size, deadline)))
		return rc;
	cd_qemu_log(vm, "created %s (%s, %" PRIu64 " bytes)", target, fmt, size);
	return 0;
}

static int
add_node(struct cd_hv_vm *vm, struct cd_qmp *q, const struct cd_vmdisk *k,
	 const struct marker *m, const char *fmt)
{
	bool direct = !strcmp(k->cache, "none") || !strcmp(k->cache, "directsync");
	json_object *a = json_object_new_object(), *file = json_object_new_object(),
		    *cache = json_object_new_object();
	int rc;

	json_object_object_add(file, "driver", json_object_new_string("file"));
	json_object_object_add(file, "filename", json_object_new_string(m->target));
	json_object_object_add(file, "aio", json_object_new_string(direct ? "native" : "threads"));
	json_object_object_add(cache, "direct", json_object_new_boolean(direct));
	json_object_object_add(cache, "no-flush", json_object_new_boolean(0));
	json_object_object_add(a, "driver", json_object_new_string(fmt));
	json_object_object_add(a, "node-name", json_object_new_string(m->node));
	json_object_object_add(a, "cache", cache);
	json_object_object_add(a, "file", file);
	rc = cd_qmp_cmd(q, "blockdev-add", a, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(a);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

static int
start_mirror(struct cd_hv_vm *vm, struct cd_qmp *q, size_t disk, const struct marker *m,
	     uint64_t speed)
{
	json_object *a = json_object_new_object();
	char dev[32];
	int rc;

	snprintf(dev, sizeof(dev), "disk%zu", disk);
	json_object_object_add(a, "job-id", json_object_new_string(m->job));
	json_object_object_add(a, "device", json_object_new_string(dev));
	json_object_object_add(a, "target", json_object_new_string(m->node));
	json_object_object_add(a, "sync", json_object_new_string("full"));
	json_object_object_add(a, "copy-mode", json_object_new_string("write-blocking"));
	json_object_object_add(a, "auto-dismiss", json_object_new_boolean(0));
	if (speed)	/* the background copy's cap; the guest's writes are not held */
		json_object_object_add(a, "speed", json_object_new_int64((int64_t)speed));
	rc = cd_qmp_cmd(q, "blockdev-mirror", a, -1, QMP_TIMEOUT_MS, NULL);
	json_object_put(a);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

/* ---- ops ---- */

static int
check_args(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m)
{
	if (m->disk >= vm->def->n_disks)
		return cd_qemu_fail(vm, -EINVAL, "%s has no disk %zu", vm->def->name, m->disk);
	if (!m->source || !m->target || m->source[0] != '/' || m->target[0] != '/')
		return cd_qemu_fail(vm, -EINVAL, "source and target must be absolute paths");
	if (!strcmp(m->source, m->target))
		return cd_qemu_fail(vm, -EINVAL, "disk %zu is at %s already", m->disk, m->target);
	return 0;
}

/* One progress report of the copy. */
static void
report(cd_hv_progress_fn progress, void *opaque, const char *status, uint64_t cur,
       uint64_t total, uint64_t t0)
{
	struct cd_hv_progress p = { .status = status };

	p.transferred = cur;
	p.total = total;
	p.remaining = total > cur ? total - cur : 0;
	p.percent = total ? 100.0 * (double)cur / (double)total : 0;
	p.elapsed_ms = cd_now_mono_ms() - t0;
	p.mbps = p.elapsed_ms ? (double)cur * 8 / 1e3 / (double)p.elapsed_ms : 0;
	progress(opaque, &p);
}

/* Follow the job to the switch: 0 once the guest uses the new image. */
static int
follow(struct cd_hv_vm *vm, struct cd_qmp *q, const struct cd_hv_storage_move *m,
       const struct marker *mk, cd_hv_progress_fn progress, void *opaque,
       volatile const int *cancel, struct cd_hv_result *res, uint64_t t0, uint64_t deadline)
{
	uint32_t interval = m->progress_interval_ms ? m->progress_interval_ms : 200;
	uint64_t cur = 0, total = 0, next = 0, switch_at = 0;
	char st[32], err[256];
	int rc;

	for (;;) {
		if ((rc = cd_qemu_job_get(vm, q, mk->job, st, sizeof(st), err, sizeof(err), &cur, &total)))
			return rc;
		if (!st[0])
			return cd_qemu_fail(vm, -EREMOTEIO, "mirror job %s vanished", mk->job);
		if (!strcmp(st, "concluded")) {
			res->transferred = cur;
			if (err[0])
				return cd_qemu_fail(vm, -EREMOTEIO, "mirror failed: %s", err);
			if (!switch_at)
				return cd_qemu_fail(vm, -EREMOTEIO, "mirror ended before the switch");
			res->downtime_ms = cd_now_mono_ms() - switch_at;
			return 0;
		}
		if (!switch_at && !strcmp(st, "ready")) {
			/* in sync: switch the guest over */
			if (progress)
				report(progress, opaque, "ready", cur, total, t0);
			switch_at = cd_now_mono_ms();
			if ((rc = cd_qemu_cmd_id(q, "job-complete", "id", mk->job, false)))
				return cd_qemu_qmp_fail(vm, q, rc);
			cd_qemu_log(vm, "mirror of disk %zu ready after %" PRIu64 " ms; switching",
				    m->disk, switch_at - t0);
			deadline = switch_at + CANCEL_WAIT_MS;
		}
		if (progress && !switch_at && cd_now_mono_ms() >= next) {
			report(progress, opaque, st, cur, total, t0);
			next = cd_now_mono_ms() + interval;
		}
		if (!switch_at && cancel && *cancel)
			return cd_qemu_fail(vm, -ECANCELED, "storage move cancelled; %s stays on %s",
					    vm->def->name, m->source);
		if (cd_now_mono_ms() >= deadline)
			return cd_qemu_fail(vm, -ETIMEDOUT, "storage move did not finish within "
					    "%" PRIu64 " s; %s stays on %s",
					    (deadline - t0) / 1000, vm->def->name, m->source);
		cd_qmp_wait_event(q, "JOB_STATUS_CHANGE", cd_qemu_min_ms(interval, 100), NULL);
	}
}

int
cd_qemu_op_storage_move(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
		  cd_hv_progress_fn progress, void *opaque, volatile const int *cancel,
		  struct cd_hv_result *res)
{
	uint64_t t0 = cd_now_mono_ms(), vsize = 0;
	uint64_t deadline = t0 + (m->timeout_ms ? m->timeout_ms : 3600000);
	const struct cd_vmdisk *k;
	struct marker mk = { 0 };
	char state[32], inuse[PATH_MAX], fmt[16];
	struct cd_qmp *q;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = check_args(vm, m)))
		return rc;
	k = &vm->def->disks[m->disk];
	snprintf(fmt, sizeof(fmt), "%s", m->format && *m->format ? m->format : k->format);
	if (strcmp(fmt, "raw") && strcmp(fmt, "qcow2"))
		return cd_qemu_fail(vm, -EINVAL, "format %s: a move creates raw or qcow2 images",
				    fmt);
	if (!cd_qemu_pid(vm))
		return cd_qemu_fail(vm, -ENOENT, "%s does not run here", vm->def->name);
	q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, QMP_TIMEOUT_MS, &rc);
	if (!q)
		return rc;
	if ((rc = cd_qemu_run_state(vm, q, state, sizeof(state), QMP_TIMEOUT_MS)))
		goto out;
	if (strcmp(state, "running") && strcmp(state, "paused")) {
		rc = cd_qemu_fail(vm, -EBUSY, "cannot move storage: the guest is %s", state);
		goto out;
	}
	if ((rc = disk_file(vm, q, m->disk, inuse, sizeof(inuse), &vsize)))
		goto out;
	if (!strcmp(inuse, m->target)) {
		cd_qemu_log(vm, "disk %zu uses %s already", m->disk, m->target);
		goto out;	/* done before: 0 */
	}
	if (strcmp(inuse, m->source)) {
		rc = cd_qemu_fail(vm, -EBUSY, "disk %zu uses %s, not %s", m->disk, inuse,
				  m->source);
		goto out;
	}
	if ((rc = space_check(vm, m->source, m->target, m->disk)))
		goto out;
	snprintf(mk.target, sizeof(mk.target), "%s", m->target);
	snprintf(mk.node, sizeof(mk.node), "cdsm%zu-%" PRIx64, m->disk, t0 & 0xffffffffu);
	snprintf(mk.job, sizeof(mk.job), "cdsmj%zu-%" PRIx64, m->disk, t0 & 0xffffffffu);
	if ((rc = create_image(vm, m->source, m->target, fmt, vsize, &mk, m->disk, deadline)))
		goto fail;
	if ((rc = add_node(vm, q, k, &mk, fmt)) || (rc = start_mirror(vm, q, m->disk, &mk, m->max_bandwidth)) ||
	    (rc = follow(vm, q, m, &mk, progress, opaque, cancel, res, t0, deadline)))
		goto fail;
	cd_qemu_cmd_id(q, "job-dismiss", "id", mk.job, false);
	if ((rc = disk_file(vm, q, m->disk, inuse, sizeof(inuse), NULL)))
		goto out;	/* QEMU gone: undo decides, from query-block or nothing */
	if (strcmp(inuse, m->target)) {
		rc = cd_qemu_fail(vm, -EREMOTEIO, "the mirror completed but disk %zu uses %s",
				  m->disk, inuse);
		goto fail;
	}
	res->total_ms = cd_now_mono_ms() - t0;
	cd_qemu_log(vm, "disk %zu now on %s after %" PRIu64 " ms", m->disk, m->target,
		    res->total_ms);
	goto out;
fail:
	undo_mirror(vm, q, m->disk, &mk);
out:
	cd_qmp_close(q);
	return rc;
}

int
cd_qemu_op_storage_undo(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m, bool *switched,
		  uint32_t timeout_ms)
{
	struct cd_qmp *q = NULL;
	char inuse[PATH_MAX];
	struct marker mk;
	int rc = 0;

	*switched = false;
	if ((rc = check_args(vm, m)))
		return rc;
	if (cd_qemu_pid(vm)) {
		q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms,
					 QMP_TIMEOUT_MS), &rc);
		if (!q)
			return rc;
		if ((rc = disk_file(vm, q, m->disk, inuse, sizeof(inuse), NULL)))
			goto out;
		if (!strcmp(inuse, m->target)) {
			*switched = true;	/* the switch happened: keep everything */
			goto out;
		}
	}
	if (marker_read(vm, m->disk, &mk) == 0 && !strcmp(mk.target, m->target))
		undo_mirror(vm, q, m->disk, &mk);
	else
		cd_qemu_log(vm, "nothing of a move of disk %zu to %s here", m->disk, m->target);
out:
	cd_qmp_close(q);
	return rc;
}

int
cd_qemu_op_storage_finish(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
		    uint32_t timeout_ms)
{
	char inuse[PATH_MAX];
	struct cd_qmp *q;
	int rc;

	if ((rc = check_args(vm, m)))
		return rc;
	if (cd_qemu_pid(vm)) {
		q = cd_qemu_qmp_open(vm, CD_QEMU_QMP_SOCK, cd_qemu_min_ms(timeout_ms,
					 QMP_TIMEOUT_MS), &rc);
		if (!q)
			return rc;
		rc = disk_file(vm, q, m->disk, inuse, sizeof(inuse), NULL);
		cd_qmp_close(q);
		if (rc)
			return rc;
		if (!strcmp(inuse, m->source))
			return cd_qemu_fail(vm, -EBUSY, "disk %zu still uses %s; not deleted",
					    m->disk, m->source);
	}
	if (unlink(m->source) < 0 && errno != ENOENT)
		return cd_qemu_fail(vm, -errno, "cannot delete the old image %s: %s", m->source,
				    strerror(errno));
	marker_remove(vm, m->disk);
	cd_qemu_log(vm, "deleted the old image %s", m->source);
	return 0;
}
