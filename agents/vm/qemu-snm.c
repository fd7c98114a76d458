/*
 * qemu-snm.c - the qemu plugin's shared-nothing live migration (issue 17
 * item 2; the sequence is in qemu-ops.h): a VM's node-local disks (shared
 * false in its definition) are copied to the target during a live
 * migration, QEMU's NBD server on the target and blockdev-mirror on the
 * source, as libvirt's --copy-storage-all does.
 *
 * Target: run_dir/snm-created lists the images this node created for the
 * incoming copy ("DEV INO PATH"); a rollback deletes exactly those files
 * (same device and inode), never one that was there before. The export
 * listens on a socket the plugin binds (port 0, the migration address)
 * and hands to QEMU by getfd, so no port is chosen and then raced for.
 * Source: one mirror job "cd-snm-N" per local disk N into the NBD node
 * "cd-snm-nbdN", write-blocking (in sync it stays in sync whatever the
 * guest writes); the jobs are completed at the migration's pre-switchover,
 * when the guest is paused and before the device state leaves, so the
 * target's guest never runs before its disks are complete.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "hypervisor.h"
#include "jsonget.h"
#include "qemu-argv.h"
#include "qemu-ops.h"
#include "qemu-proc.h"
#include "qmp.h"
#include "timeutil.h"

#define SNM_CREATED	"snm-created"
#define SNM_LOG		"snm.log"	/* one line per export */
#define SNM_FD_NAME	"cd-snm-listen"
#define SNM_WAIT_MS	30000	/* a completed or cancelled job to conclude */

/* ---- target: the images this node created ---- */

static int
created_path(const struct cd_hv_vm *vm, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", vm->run_dir, SNM_CREATED);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int
created_add(struct cd_hv_vm *vm, const struct stat *st, const char *path)
{
	char rec[PATH_MAX];
	FILE *f;
	int rc = 0;

	if (created_path(vm, rec, sizeof(rec)) || !(f = fopen(rec, "ae")))
		return cd_qemu_fail(vm, -errno, "%s: %s", rec, strerror(errno));
	fprintf(f, "%llu %llu %s\n", (unsigned long long)st->st_dev,
		(unsigned long long)st->st_ino, path);
	if (fflush(f) || fsync(fileno(f)))
		rc = cd_qemu_fail(vm, -errno, "%s: %s", rec, strerror(errno));
	fclose(f);
	return rc;
}

void
cd_qemu_snm_drop(struct cd_hv_vm *vm)
{
	char rec[PATH_MAX], line[PATH_MAX + 64], path[PATH_MAX];
	unsigned long long dev, ino;
	struct stat st;
	FILE *f;

	if (created_path(vm, rec, sizeof(rec)) || !(f = fopen(rec, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llu %llu %4095[^\n]", &dev, &ino, path) != 3)
			continue;
		if (stat(path, &st) < 0 || (unsigned long long)st.st_dev != dev ||
		    (unsigned long long)st.st_ino != ino) {
			cd_qemu_log(vm, "not deleting %s: not the image this node created",
				    path);
			continue;
		}
		if (unlink(path) == 0)
			cd_qemu_log(vm, "deleted the incoming copy %s", path);
		else
			cd_qemu_log(vm, "cannot delete %s: %s", path, strerror(errno));
	}
	fclose(f);
	unlink(rec);
}

/* The free space of path's directory must hold the disk's virtual size. */
static int
space_for(struct cd_hv_vm *vm, size_t i, const struct cd_vmdisk *k)
{
	char dir[PATH_MAX];
	struct statvfs vfs;
	uint64_t avail;

	snprintf(dir, sizeof(dir), "%s", k->path);
	if (statvfs(dirname(dir), &vfs) < 0)
		return cd_qemu_fail(vm, -errno, "disk %zu: %s on %s: %s", i, dir,
				    cd_qemu_node_name(), strerror(errno));
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < k->size + (1u << 20))
		return cd_qemu_fail(vm, -ENOSPC, "not enough space on %s for disk %zu: "
				    "%s has %" PRIu64 " MiB free, the disk is %" PRIu64
				    " MiB", cd_qemu_node_name(), i, dir, avail >> 20,
				    (k->size + (1u << 20) - 1) >> 20);
	return 0;
}

static int
create_one(struct cd_hv_vm *vm, size_t i, const struct cd_vmdisk *k,
	   const struct passwd *pw, uint64_t deadline)
{
	struct stat st;
	int fd, rc;

	if ((rc = space_for(vm, i, k)))
		return rc;
	fd = open(k->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return cd_qemu_fail(vm, -errno, "disk %zu: %s on %s: %s%s", i, k->path,
				    cd_qemu_node_name(), strerror(errno), errno == EEXIST ?
				    " (a migration never overwrites a file: remove a "
				    "stale copy by hand)" : "");
	if (fstat(fd, &st) < 0 || (rc = created_add(vm, &st, k->path))) {
		rc = rc ? rc : cd_qemu_fail(vm, -errno, "%s: %s", k->path, strerror(errno));
		close(fd);
		unlink(k->path);
		return rc;
	}
	if (fchown(fd, pw->pw_uid, pw->pw_gid) < 0 ||
	    (!strcmp(k->format, "raw") && ftruncate(fd, (off_t)k->size) < 0) ||
	    fsync(fd) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", k->path, strerror(errno));
		close(fd);
		return rc;
	}
	close(fd);
	if (!strcmp(k->format, "qcow2") &&
	    (rc = cd_qemu_qcow2_create(vm, k->path, k->size, deadline)))
		return rc;
	cd_qemu_log(vm, "created the incoming copy of disk %zu: %s (%s, %" PRIu64
		    " bytes)", i, k->path, k->format, k->size);
	return 0;
}

int
cd_qemu_snm_create(struct cd_hv_vm *vm, uint64_t deadline)
{
	const struct cd_vmdef *d = vm->def;
	struct passwd *pw;
	int rc;

	if (!cd_vmdef_local_disks(d))
		return 0;
	if (vm->migration_policy == CD_MIGPOLICY_POSTCOPY)
		return cd_qemu_fail(vm, -EINVAL, "%s has node-local disks: its memory and "
				    "disks move together, which post-copy cannot do (set "
				    "its migration_policy to throttle or stall-abort)",
				    d->name);
	pw = getpwnam(CD_QEMU_USER);
	if (!pw)
		return cd_qemu_fail(vm, -ENOENT, "user %s does not exist on %s",
				    CD_QEMU_USER, cd_qemu_node_name());
	if ((rc = cd_qemu_make_run_dir(vm)))	/* snm-created lives there */
		return rc;
	cd_qemu_snm_drop(vm);	/* a record of an earlier attempt */
	for (size_t i = 0; i < d->n_disks; i++) {
		if (d->disks[i].shared)
			continue;
		if ((rc = create_one(vm, i, &d->disks[i], pw, deadline))) {
			cd_qemu_snm_drop(vm);
			return rc;
		}
	}
	return 0;
}

/* ---- target: the export ---- */

/* A listening TCP socket on addr, any port: its fd, the port in *port. */
static int
listen_any(struct cd_hv_vm *vm, const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		len = sizeof(*s6);
	} else {
		return cd_qemu_fail(vm, -EINVAL, "disk copy: '%s' is not an IP address", addr);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cd_qemu_fail(vm, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int rc = cd_qemu_fail(vm, -errno, "disk copy: listen on %s: %s", addr,
				      strerror(errno));

		close(fd);
		return rc;
	}
	*port = ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
	return fd;
}

/* The node name under the BlockBackend diskN (qemu-argv.c). */
static int
disk_node(struct cd_hv_vm *vm, struct cd_qmp *q, size_t i, char *buf, size_t size)
{
	json_object *ret, *dev, *ins;
	char want[32];
	int rc;

	snprintf(want, sizeof(want), "disk%zu", i);
	if ((rc = cd_qmp_cmd(q, "query-block", NULL, -1, QMP_TIMEOUT_MS, &ret)))
		return cd_qemu_qmp_fail(vm, q, rc);
	rc = cd_qemu_fail(vm, -ENODEV, "QEMU has no disk %s", want);
	for (size_t j = 0; json_object_is_type(ret, json_type_array) &&
			   j < json_object_array_length(ret); j++) {
		dev = json_object_array_get_idx(ret, j);
		if (strcmp(cd_jstr(dev, "device", ""), want) ||
		    !json_object_object_get_ex(dev, "inserted", &ins))
			continue;
		snprintf(buf, size, "%s", cd_jstr(ins, "node-name", ""));
		rc = buf[0] ? 0 : cd_qemu_fail(vm, -ENODEV, "disk %zu has no node name", i);
		break;
	}
	json_object_put(ret);
	return rc;
}

static int
qmp_do(struct cd_hv_vm *vm, struct cd_qmp *q, const char *cmd, json_object *args, int fd)
{
	int rc = cd_qmp_cmd(q, cmd, args, fd, QMP_TIMEOUT_MS, NULL);

	json_object_put(args);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

/* Kept in the run dir's snm.log (qemu.log is QEMU's -D file, which QEMU
 * truncates when it opens it): what an administrator asks after a move. */
static void
note(struct cd_hv_vm *vm, const char *addr, uint16_t port)
{
	char path[PATH_MAX];
	FILE *f;

	if (cd_qemu_path(vm, SNM_LOG, path, sizeof(path)) || !(f = fopen(path, "ae")))
		return;
	fprintf(f, "local disks exported over NBD on %s port %u, %s\n", addr, port,
		cd_qemu_tls_enabled() ? "TLS (the migration's credentials and authz)" :
		"no TLS (migration-tls is off)");
	fclose(f);
}

int
cd_qemu_snm_export(struct cd_hv_vm *vm, struct cd_qmp *q, const char *addr, char *uri,
		   size_t uri_size)
{
	const struct cd_vmdef *d = vm->def;
	json_object *a, *sa, *data;
	char node[128], name[32], id[32];
	uint16_t port = 0;
	size_t len;
	int fd, rc;

	if (!cd_vmdef_local_disks(d))
		return 0;
	if ((fd = listen_any(vm, addr, &port)) < 0)
		return fd;
	rc = cd_qmp_getfd(q, fd, SNM_FD_NAME, QMP_TIMEOUT_MS);
	close(fd);	/* QEMU has its own copy */
	if (rc)
		return cd_qemu_qmp_fail(vm, q, rc);
	a = json_object_new_object();
	sa = json_object_new_object();
	data = json_object_new_object();
	json_object_object_add(data, "str", json_object_new_string(SNM_FD_NAME));
	json_object_object_add(sa, "type", json_object_new_string("fd"));
	json_object_object_add(sa, "data", data);
	json_object_object_add(a, "addr", sa);
	if (cd_qemu_tls_enabled()) {	/* cd_qemu_tls_setup made them */
		json_object_object_add(a, "tls-creds", json_object_new_string(CD_QEMU_TLS_CREDS));
		json_object_object_add(a, "tls-authz", json_object_new_string(CD_QEMU_TLS_AUTHZ));
	}
	if ((rc = qmp_do(vm, q, "nbd-server-start", a, -1)))
		return rc;
	for (size_t i = 0; i < d->n_disks; i++) {
		if (d->disks[i].shared)
			continue;
		if ((rc = disk_node(vm, q, i, node, sizeof(node))))
			return rc;
		snprintf(id, sizeof(id), "cd-snm-exp%zu", i);
		snprintf(name, sizeof(name), "cd-snm-disk%zu", i);
		a = json_object_new_object();
		json_object_object_add(a, "type", json_object_new_string("nbd"));
		json_object_object_add(a, "id", json_object_new_string(id));
		json_object_object_add(a, "node-name", json_object_new_string(node));
		json_object_object_add(a, "name", json_object_new_string(name));
		json_object_object_add(a, "writable", json_object_new_boolean(1));
		if ((rc = qmp_do(vm, q, "block-export-add", a, -1)))
			return rc;
	}
	len = strlen(uri);
	if ((size_t)snprintf(uri + len, uri_size - len, strchr(addr, ':') ?
			     CD_QEMU_SNM_TAG "[%s]:%u" : CD_QEMU_SNM_TAG "%s:%u", addr,
			     port) >= uri_size - len)
		return cd_qemu_fail(vm, -ENAMETOOLONG, "the migration URI is too long");
	cd_qemu_log(vm, "local disks exported for the incoming copy on %s port %u%s",
		    addr, port, cd_qemu_tls_enabled() ? " (TLS)" : "");
	note(vm, addr, port);
	return 0;
}

void
cd_qemu_snm_keep(struct cd_hv_vm *vm, struct cd_qmp *q)
{
	char rec[PATH_MAX];

	if (!vm->def || !cd_vmdef_local_disks(vm->def))
		return;
	if (q && cd_qmp_cmd(q, "nbd-server-stop", NULL, -1, QMP_TIMEOUT_MS, NULL))
		cd_qemu_log(vm, "nbd-server-stop: %s", cd_qmp_last_error(q));
	if (!created_path(vm, rec, sizeof(rec)) && unlink(rec) == 0)
		cd_qemu_log(vm, "the local disks' copies are this node's now");
}

/* ---- source ---- */

int
cd_qemu_snm_split(struct cd_hv_vm *vm, const char *uri, char *mig, size_t mig_size,
		  char *nbd, size_t nbd_size)
{
	const char *tag = strstr(uri, CD_QEMU_SNM_TAG);
	size_t n = tag ? (size_t)(tag - uri) : strlen(uri);

	snprintf(mig, mig_size, "%.*s", (int)n, uri);
	snprintf(nbd, nbd_size, "%s", tag ? tag + strlen(CD_QEMU_SNM_TAG) : "");
	if (vm->def && cd_vmdef_local_disks(vm->def) && !nbd[0])
		return cd_qemu_fail(vm, -EINVAL, "%s has node-local disks and the target "
				    "prepared no copies of them (an older plugin there?)",
				    vm->def->name);
	return 0;
}

static int
add_nbd_node(struct cd_hv_vm *vm, struct cd_qmp *q, size_t i, const char *host,
	     const char *port, uint64_t deadline)
{
	const char *peer = getenv("OCF_RESKEY_CRM_meta_migrate_target");
	json_object *a, *srv;
	char node[32], name[32], fdname[32];
	int rc;

	snprintf(node, sizeof(node), "cd-snm-nbd%zu", i);
	snprintf(name, sizeof(name), "cd-snm-disk%zu", i);
	snprintf(fdname, sizeof(fdname), "cd-snm-conn%zu", i);
	if ((rc = cd_qemu_link_getfd(vm, q, host, port, fdname, deadline)))
		return rc;
	a = json_object_new_object();
	srv = json_object_new_object();
	json_object_object_add(srv, "type", json_object_new_string("fd"));
	json_object_object_add(srv, "str", json_object_new_string(fdname));
	json_object_object_add(a, "driver", json_object_new_string("nbd"));
	json_object_object_add(a, "node-name", json_object_new_string(node));
	json_object_object_add(a, "server", srv);
	json_object_object_add(a, "export", json_object_new_string(name));
	if (cd_qemu_tls_enabled()) {	/* the migration's client credentials */
		json_object_object_add(a, "tls-creds", json_object_new_string(CD_QEMU_TLS_CREDS));
		if (peer && *peer)
			json_object_object_add(a, "tls-hostname", json_object_new_string(peer));
	}
	return qmp_do(vm, q, "blockdev-add", a, -1);
}

static int
start_job(struct cd_hv_vm *vm, struct cd_qmp *q, size_t i, uint64_t speed)
{
	json_object *a = json_object_new_object();
	char job[32], dev[32], node[32];

	snprintf(job, sizeof(job), "cd-snm-%zu", i);
	snprintf(dev, sizeof(dev), "disk%zu", i);
	snprintf(node, sizeof(node), "cd-snm-nbd%zu", i);
	json_object_object_add(a, "job-id", json_object_new_string(job));
	json_object_object_add(a, "device", json_object_new_string(dev));
	json_object_object_add(a, "target", json_object_new_string(node));
	json_object_object_add(a, "sync", json_object_new_string("full"));
	json_object_object_add(a, "copy-mode", json_object_new_string("write-blocking"));
	json_object_object_add(a, "auto-dismiss", json_object_new_boolean(0));
	if (speed)	/* the migration's cap (it protects the network) */
		json_object_object_add(a, "speed", json_object_new_int64((int64_t)speed));
	return qmp_do(vm, q, "blockdev-mirror", a, -1);
}

/* Sum of the jobs' progress; *ready how many are in sync; an error ends it. */
static int
poll_jobs(struct cd_hv_vm *vm, struct cd_qmp *q, size_t *ready, uint64_t *cur,
	  uint64_t *total)
{
	char job[32], st[32], err[256];
	uint64_t c, t;
	int rc;

	*ready = 0;
	*cur = *total = 0;
	for (size_t i = 0; i < vm->def->n_disks; i++) {
		if (vm->def->disks[i].shared)
			continue;
		snprintf(job, sizeof(job), "cd-snm-%zu", i);
		c = t = 0;
		if ((rc = cd_qemu_job_get(vm, q, job, st, sizeof(st), err, sizeof(err), &c, &t)))
			return rc;
		if (!st[0] || !strcmp(st, "concluded") || !strcmp(st, "aborting"))
			return cd_qemu_fail(vm, -EREMOTEIO, "copying disk %zu to the target "
					    "failed: %s", i, err[0] ? err : st[0] ? st :
					    "the job vanished");
		*ready += !strcmp(st, "ready");
		*cur += c;
		*total += t;
	}
	return 0;
}

int
cd_qemu_snm_mirror(struct cd_hv_vm *vm, struct cd_qmp *q, const char *nbd,
		   uint64_t speed, uint64_t deadline, volatile const int *cancel,
		   cd_hv_progress_fn progress, void *opaque, uint32_t interval,
		   uint64_t t0, uint64_t *bytes)
{
	size_t n = cd_vmdef_local_disks(vm->def), ready = 0;
	uint64_t cur = 0, total = 0, next = 0, started = cd_now_mono_ms();
	struct cd_hv_progress p = { .status = "disk-mirror" };
	char host[128], port[16];
	int rc;

	*bytes = 0;
	if (!n)
		return 0;
	if ((rc = cd_qemu_link_endpoint(vm, nbd, host, sizeof(host), port, sizeof(port))))
		return rc;
	cd_qemu_snm_abort(vm, q);	/* what an earlier, killed attempt left */
	for (size_t i = 0; i < vm->def->n_disks; i++) {
		if (vm->def->disks[i].shared)
			continue;
		if ((rc = add_nbd_node(vm, q, i, host, port, deadline)) ||
		    (rc = start_job(vm, q, i, speed)))
			goto fail;
	}
	cd_qemu_log(vm, "copying %zu local disk(s) to %s:%s (the copy fails when the "
		    "target is silent for %u s)", n, host, port, CD_QEMU_LINK_SILENCE_MS / 1000);
	for (;;) {
		if ((rc = poll_jobs(vm, q, &ready, &cur, &total)))
			goto fail;
		if (ready == n)
			break;
		if (progress && cd_now_mono_ms() >= next) {
			p.transferred = cur;
			p.total = total;
			p.remaining = total > cur ? total - cur : 0;
			p.percent = total ? 100.0 * (double)cur / (double)total : 0;
			p.elapsed_ms = cd_now_mono_ms() - t0;
			p.mbps = cd_now_mono_ms() > started ? (double)cur * 8 / 1e3 /
				 (double)(cd_now_mono_ms() - started) : 0;
			progress(opaque, &p);
			next = cd_now_mono_ms() + interval;
		}
		if (cancel && *cancel) {
			rc = cd_qemu_fail(vm, -ECANCELED, "migration cancelled while copying "
					  "the disks; %s runs here", vm->def->name);
			goto fail;
		}
		if (cd_now_mono_ms() >= deadline) {
			rc = cd_qemu_fail(vm, -ETIMEDOUT, "the disks were not copied in time; "
					  "cancelled, %s runs here", vm->def->name);
			goto fail;
		}
		cd_qmp_wait_event(q, "JOB_STATUS_CHANGE", 100, NULL);
	}
	*bytes = cur;
	cd_qemu_log(vm, "local disks in sync on the target after %" PRIu64 " ms (%" PRIu64
		    " bytes)", cd_now_mono_ms() - started, cur);
	return 0;
fail:
	cd_qemu_snm_abort(vm, q);
	return rc;
}

/* Wait for job to conclude, dismiss it; its error into err. */
static int
conclude(struct cd_hv_vm *vm, struct cd_qmp *q, const char *job, uint64_t deadline,
	 char *err, size_t err_size)
{
	char st[32];
	int rc;

	for (;;) {
		if ((rc = cd_qemu_job_get(vm, q, job, st, sizeof(st), err, err_size, NULL, NULL)))
			return rc;
		if (!st[0])
			return 0;
		if (!strcmp(st, "concluded") || !strcmp(st, "null")) {
			cd_qemu_cmd_id(q, "job-dismiss", "id", job, false);
			return 0;
		}
		if (cd_now_mono_ms() >= deadline)
			return cd_qemu_fail(vm, -ETIMEDOUT, "job %s did not end (%s)", job, st);
		cd_qmp_wait_event(q, "JOB_STATUS_CHANGE", 100, NULL);
	}
}

int
cd_qemu_snm_switchover(struct cd_hv_vm *vm, struct cd_qmp *q, uint64_t deadline)
{
	char job[32], node[32], err[256];
	int rc;

	for (size_t i = 0; vm->def && i < vm->def->n_disks; i++) {
		if (vm->def->disks[i].shared)
			continue;
		snprintf(job, sizeof(job), "cd-snm-%zu", i);
		snprintf(node, sizeof(node), "cd-snm-nbd%zu", i);
		/* A ready mirror cancelled without force finishes its last
		 * writes and leaves the target a consistent copy (QMP
		 * block-job-cancel); the guest is paused, so it is complete. */
		if ((rc = cd_qemu_cmd_id(q, "block-job-cancel", "device", job, false)))
			return cd_qemu_fail(vm, rc, "completing the copy of disk %zu: %s", i,
					    cd_qmp_last_error(q));
		err[0] = '\0';
		if ((rc = conclude(vm, q, job, cd_qemu_min_ms(cd_qemu_left_ms(deadline),
							      SNM_WAIT_MS) + cd_now_mono_ms(),
				   err, sizeof(err))))
			return rc;
		if (err[0])
			return cd_qemu_fail(vm, -EREMOTEIO, "the copy of disk %zu failed at "
					    "the switchover: %s", i, err);
		if ((rc = cd_qemu_cmd_id(q, "blockdev-del", "node-name", node, false)))
			cd_qemu_log(vm, "blockdev-del %s: %s", node, cd_qmp_last_error(q));
	}
	cd_qemu_log(vm, "local disks complete on the target");
	return 0;
}

void
cd_qemu_snm_abort(struct cd_hv_vm *vm, struct cd_qmp *q)
{
	uint64_t deadline = cd_now_mono_ms() + SNM_WAIT_MS;
	char job[32], node[32], st[32], err[256];

	for (size_t i = 0; q && vm->def && i < vm->def->n_disks; i++) {
		if (vm->def->disks[i].shared)
			continue;
		snprintf(job, sizeof(job), "cd-snm-%zu", i);
		snprintf(node, sizeof(node), "cd-snm-nbd%zu", i);
		if (!cd_qemu_job_get(vm, q, job, st, sizeof(st), err, sizeof(err), NULL, NULL) &&
		    st[0]) {
			if (strcmp(st, "concluded") && strcmp(st, "null")) {
				cd_qemu_log(vm, "cancelling the copy of disk %zu (%s)", i, st);
				cd_qemu_cmd_id(q, "block-job-cancel", "device", job, true);
			}
			conclude(vm, q, job, deadline, err, sizeof(err));
		}
		if (cd_qemu_cmd_id(q, "blockdev-del", "node-name", node, false) == 0)
			cd_qemu_log(vm, "removed %s", node);
	}
}

void
cd_qemu_snm_delete_source(struct cd_hv_vm *vm)
{
	for (size_t i = 0; vm->def && i < vm->def->n_disks; i++) {
		const struct cd_vmdisk *k = &vm->def->disks[i];

		if (k->shared || !k->path)
			continue;
		if (unlink(k->path) == 0)
			cd_qemu_log(vm, "deleted this node's copy of disk %zu, %s (the VM "
				    "runs on the target with its own)", i, k->path);
		else if (errno != ENOENT)
			cd_qemu_log(vm, "cannot delete %s: %s", k->path, strerror(errno));
	}
}
