/*
 * vm.c - the `vm` OCF resource agent: one process per action, table-driven.
 *
 *   vm ACTION        params in OCF_RESKEY_*, exit code per OCF (ocf.h)
 *
 * Results for the caller go to stdout (uri=..., progress ..., result ...);
 * an error is one line on stderr. Detail of what the plugin does is printed
 * on stderr only with CD_VM_DEBUG=1 (or OCF_TRACE_RA=1).
 *
 * Environment besides the OCF parameters (see README.md):
 *   OCF_RESKEY_CRM_meta_timeout       action deadline in ms
 *   OCF_RESKEY_CRM_meta_migrate_uri   migrate_to: the URI migrate_prepare printed
 *   OCF_RESKEY_CRM_meta_migrate_mode  migrate_prepare: "quick" only starts the target
 *   OCF_RESKEY_vm_name                the VM name the cluster claimed for this
 *                                     resource (set by clusterd; see claim_check)
 *   CD_VM_RUN_ROOT                    instead of /run/clusterd
 *   CLUSTERD_HV_DIR                   plugin directory
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "hvload.h"
#include "hypervisor.h"
#include "ocf.h"
#include "timeutil.h"
#include "vm-meta.h"
#include "vm-storage.h"
#include "vmdef.h"
#include "vmpolicy.h"
#include "vmdef-moves.h"

#ifndef CD_HV_BUILD_DIR
#define CD_HV_BUILD_DIR ""
#endif
#ifndef CD_HV_INSTALL_DIR
#define CD_HV_INSTALL_DIR "/usr/lib/clusterd/hv"
#endif
#ifndef CD_BUILD_BINDIR
#define CD_BUILD_BINDIR ""
#endif

struct agent {
	const char *action;
	struct cd_vmdef *def;
	struct cd_hv_plugin plugin;
	struct cd_hv_vm vm;
	char run_dir[PATH_MAX];
	char run_root[1024];
	char err[512];
	uint32_t timeout_ms;
	int lock_fd;
};

static volatile int cancel_requested;
static uint64_t agent_t0;	/* CLOCK_MONOTONIC ms when main() began */

static void
on_signal(int sig)
{
	(void)sig;
	cancel_requested = 1;
}

static long
param_long(const char *name, long dflt)
{
	const char *v = ocf_param(name);
	char *end;
	long n;

	if (!v)
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n < 0 ? -1 : n;
}

static bool
param_bool(const char *name, bool dflt)
{
	const char *v = ocf_param(name);

	if (!v)
		return dflt;
	return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0;
}

/* The one line on stderr; returns the OCF code (vm-storage.h). */
int
vm_fail(int ocf, const char *fmt, ...)
{
	va_list ap;

	fputs("vm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ocf;
}

static void
plugin_log(void *opaque, const char *msg)
{
	struct agent *a = opaque;

	fprintf(stderr, "vm %s: %s\n", a->def ? a->def->name : "?", msg);
}

static bool
debug_on(void)
{
	const char *d = getenv("CD_VM_DEBUG"), *t = getenv("OCF_TRACE_RA");

	return (d && strcmp(d, "1") == 0) || (t && strcmp(t, "1") == 0);
}

/* Where the plugins are: $CLUSTERD_HV_DIR, the build tree when run from it,
 * else the installed directory. */
static const char *
plugin_dir(void)
{
	static char exe[PATH_MAX];
	const char *env = getenv("CLUSTERD_HV_DIR");
	char *slash;

	if (env && *env)
		return env;
	if (CD_BUILD_BINDIR[0] && realpath("/proc/self/exe", exe)) {
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (strcmp(exe, CD_BUILD_BINDIR) == 0)
				return CD_HV_BUILD_DIR;
		}
	}
	return CD_HV_INSTALL_DIR;
}

/* ---- set-up shared by the actions ---- */

static int
load_config(struct agent *a)
{
	const char *config = ocf_param("config");

	if (!config)
		return vm_fail(OCF_ERR_CONFIGURED, "parameter 'config' is required");
	a->def = cd_vmdef_load(config, a->err, sizeof(a->err));
	if (!a->def) {
		if (errno == EINVAL)
			return vm_fail(OCF_ERR_CONFIGURED, "%s: %s", config, a->err);
		return vm_fail(OCF_ERR_INSTALLED, "%s", a->err);
	}
	/* disks moved live: the cluster's record names the image in use */
	if (cd_vmdef_apply_moves(a->def, ocf_param("vm_disk_moves"), a->err,
				 sizeof(a->err)) < 0)
		return vm_fail(OCF_ERR_CONFIGURED, "%s", a->err);
	return OCF_SUCCESS;
}

static int
load_plugin(struct agent *a)
{
	const char *hv = ocf_param("hypervisor");
	int rc;

	rc = cd_hv_load(plugin_dir(), hv ? hv : "qemu", &a->plugin, a->err,
			sizeof(a->err));
	if (rc)
		return vm_fail(rc == -EINVAL ? OCF_ERR_CONFIGURED : OCF_ERR_INSTALLED,
			     "%s", a->err);
	return OCF_SUCCESS;
}

/*
 * One VM, one role, cluster-wide. clusterd records the identity of the VM
 * (its definition's name, disks and MACs) with the resource when it is
 * added, and every node refuses a change that would let two resources
 * claim the same VM (lib/state-rules.h rule 3, checked on apply in total
 * order); clusterd passes the recorded name as OCF_RESKEY_vm_name. So an
 * action that can start this VM runs only if the definition still names
 * the VM this resource claimed: no other role can start a second copy,
 * on any node, even if its definition file was changed after it was added.
 * Without vm_name (Pacemaker, or a resource added before claims existed)
 * there is nothing to check against.
 */
static int
claim_check(const struct agent *a)
{
	const char *claimed = ocf_param("vm_name");

	if (!claimed || !strcmp(claimed, a->def->name))
		return OCF_SUCCESS;
	return vm_fail(OCF_ERR_CONFIGURED, "%s: the definition names VM %s, but this "
		     "resource claimed VM %s in the cluster; another role may own %s "
		     "(re-add the VM with 'clusterctl vm add' after fixing the "
		     "definition)", ocf_param("config"), a->def->name, claimed, a->def->name);
}

/* ---- confinement (issue 16; rules in vmpolicy.h) ---- */

static const char *
storage_roots(void)
{
	const char *r = getenv(CD_VMPOLICY_ROOTS_ENV);

	return r && *r ? r : CD_VMPOLICY_ROOTS_DEFAULT;
}

/* Resolve *path in place (realpath) and check it against the roots (V1). */
static int
confine_path(char **path, const char *what)
{
	char resolved[PATH_MAX], why[512];
	char *dup;

	if (!realpath(*path, resolved)) {
		int e = errno;

		/* Not on this node (a volume not mounted here): others may run it. */
		return vm_fail(e == ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_CONFIGURED,
			     "%s: %s: %s", what, *path, strerror(e));
	}
	if (cd_vmpolicy_path_check(resolved, storage_roots(), why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "%s: %s%s%s", what, why,
			     strcmp(resolved, *path) ? " (given as " : "",
			     strcmp(resolved, *path) ? *path : "");
	dup = strdup(resolved);
	if (!dup)
		return vm_fail(OCF_ERR_GENERIC, "out of memory");
	free(*path);
	*path = dup;	/* QEMU opens what was checked */
	return OCF_SUCCESS;
}

/*
 * Before anything that can start a QEMU of the VM: its files inside the
 * storage roots (V1), its extra_args allowed (V2). A refused definition
 * starts nothing.
 */
static int
confine_check(struct agent *a)
{
	struct cd_vmdef *d = a->def;
	char what[48], why[512];
	int rc;

	if (cd_vmpolicy_extra_check(d, cd_vmpolicy_bool(getenv(CD_VMPOLICY_EXTRA_ENV)),
				    why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "%s: %s", ocf_param("config"), why);
	for (size_t i = 0; i < d->n_disks; i++) {
		snprintf(what, sizeof(what), "disks[%zu].path", i);
		if ((rc = confine_path(&d->disks[i].path, what)))
			return rc;
	}
	if (d->kernel && (rc = confine_path(&d->kernel, "kernel")))
		return rc;
	if (d->initrd && (rc = confine_path(&d->initrd, "initrd")))
		return rc;
	return OCF_SUCCESS;
}

/* What the plugin needs of this host: run root and caches, error buffer, log. */
static void
setup_host(struct agent *a)
{
	const char *root = getenv("CD_VM_RUN_ROOT");

	snprintf(a->run_root, sizeof(a->run_root), "%s", root && *root ? root :
		 "/run/clusterd");
	a->vm.cache_dir = a->run_root;
	a->vm.err = a->err;
	a->vm.err_size = sizeof(a->err);
	if (debug_on()) {
		a->vm.log = plugin_log;
		a->vm.log_opaque = a;
	}
}

static void
setup_vm(struct agent *a)
{
	setup_host(a);
	snprintf(a->run_dir, sizeof(a->run_dir), "%s/vm/%s", a->run_root,
		 a->def->name);
	a->vm.def = a->def;
	a->vm.run_dir = a->run_dir;
}

/* One mutating action per VM at a time (monitor does not take it). */
static int
take_lock(struct agent *a)
{
	uint64_t deadline = cd_now_mono_ms() + a->timeout_ms;
	char path[1200];

	snprintf(path, sizeof(path), "%s/vm", a->run_root);
	mkdir(a->run_root, 0755);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/vm/%s.lock", a->run_root, a->def->name);
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (a->lock_fd < 0)
		return vm_fail(OCF_ERR_PERM, "%s: %s", path, strerror(errno));
	while (flock(a->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return vm_fail(OCF_ERR_GENERIC, "lock %s: %s", path, strerror(errno));
		if (cd_now_mono_ms() >= deadline)
			return vm_fail(OCF_ERR_GENERIC, "%s: another action on this VM is "
				     "still running", a->def->name);
		usleep(50000);
	}
	return OCF_SUCCESS;
}

static uint32_t
action_timeout(uint32_t dflt_ms)
{
	long t = param_long("CRM_meta_timeout", 0);

	return t > 0 ? (uint32_t)t : dflt_ms;
}

/* Leave a little of the caller's deadline for our own exit. */
static uint32_t
budget(const struct agent *a)
{
	return a->timeout_ms > 2000 ? a->timeout_ms - 1000 : a->timeout_ms;
}

/* ---- actions ---- */

static int
act_monitor(struct agent *a)
{
	struct cd_hv_status st;

	a->plugin.ops->status(&a->vm, &st, budget(a) < 5000 ? budget(a) : 5000);
	switch (st.state) {
	case CD_HV_RUNNING:
		return OCF_SUCCESS;
	case CD_HV_STOPPED:
		return OCF_NOT_RUNNING;
	case CD_HV_INCOMING:
	case CD_HV_MIGRATED:
		/* a migration target waiting, or a source whose guest left */
		return OCF_NOT_RUNNING;
	case CD_HV_PAUSED:
		return vm_fail(OCF_ERR_GENERIC, "%s: guest is paused unexpectedly (%s)",
			     a->def->name, st.detail);
	case CD_HV_DEAD:
	default:
		return vm_fail(OCF_ERR_GENERIC, "%s: %s", a->def->name, st.detail);
	}
}

static int
act_status(struct agent *a)
{
	static const char *const names[] = {
		"stopped", "running", "paused", "incoming", "migrated", "dead",
	};
	struct cd_hv_status st;

	a->plugin.ops->status(&a->vm, &st, 5000);
	printf("state=%s pid=%d detail=%s\n", names[st.state], st.pid, st.detail);
	return st.state == CD_HV_RUNNING ? OCF_SUCCESS :
	       st.state == CD_HV_STOPPED ? OCF_NOT_RUNNING : OCF_ERR_GENERIC;
}

static int
act_start(struct agent *a)
{
	struct cd_hv_status st;
	int rc;

	a->plugin.ops->status(&a->vm, &st, 5000);
	if (st.state == CD_HV_RUNNING)
		return OCF_SUCCESS;
	if (st.state != CD_HV_STOPPED && st.state != CD_HV_DEAD)
		return vm_fail(OCF_ERR_GENERIC, "%s: cannot start, a copy is here in "
			     "state %s; stop it first", a->def->name, st.detail);
	if (st.state == CD_HV_DEAD && st.pid &&
	    (rc = a->plugin.ops->stop(&a->vm, 0, budget(a))))
		return vm_fail(OCF_ERR_GENERIC, "%s: %s", a->def->name, a->err);
	rc = a->plugin.ops->start(&a->vm, budget(a));
	if (rc)
		return vm_fail(OCF_ERR_GENERIC, "%s: start failed: %s", a->def->name, a->err);
	return OCF_SUCCESS;
}

static int
act_stop(struct agent *a)
{
	long grace = param_long("shutdown_timeout", 30);
	struct cd_hv_status st;
	uint32_t g;

	if (grace < 0)
		return vm_fail(OCF_ERR_CONFIGURED, "shutdown_timeout: not a number of seconds");
	g = (uint32_t)grace * 1000;
	/* keep room for the hard stop after the grace period */
	if (g + 15000 > budget(a))
		g = budget(a) > 15000 ? budget(a) - 15000 : 0;
	if (a->plugin.ops->stop(&a->vm, g, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: stop failed: %s", a->def->name, a->err);
	a->plugin.ops->status(&a->vm, &st, 5000);
	if (st.pid)
		return vm_fail(OCF_ERR_GENERIC, "%s: QEMU pid %d still there", a->def->name,
			     st.pid);
	return OCF_SUCCESS;
}

/* The address this node's host name resolves to (IPv4 first). */
static int
node_address(char *buf, size_t size)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *r;
	char host[256];
	int found = -1;

	if (gethostname(host, sizeof(host)) < 0 || getaddrinfo(host, NULL, &hints, &res))
		return -1;
	for (int pass = 0; pass < 2 && found; pass++) {
		for (r = res; r; r = r->ai_next) {
			if ((pass == 0) != (r->ai_family == AF_INET))
				continue;
			if (!getnameinfo(r->ai_addr, r->ai_addrlen, buf, (socklen_t)size,
					 NULL, 0, NI_NUMERICHOST) &&
			    strncmp(buf, "127.", 4) != 0 && strcmp(buf, "::1") != 0) {
				found = 0;
				break;
			}
		}
	}
	freeaddrinfo(res);
	return found;
}

/*
 * The quick-migration state file: parameter, or next to the first disk.
 * Refuses (0 when usable) a relative path.
 */
/* V1 for the state file, which may not exist yet: its directory, resolved. */
static int
state_dir_check(const char *file)
{
	char dir[PATH_MAX], resolved[PATH_MAX], probe[PATH_MAX + 3], why[512];
	const char *slash = strrchr(file, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash == file ? 1 : (int)(slash - file), file);
	if (!realpath(dir, resolved))
		return vm_fail(OCF_ERR_INSTALLED, "state_file: %s: %s", dir, strerror(errno));
	if (!strcmp(slash + 1, "..") || !strcmp(slash + 1, ".") || !slash[1])
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: '%s' is not a file name", file);
	/* A file in that directory: the directory may be a root itself. */
	snprintf(probe, sizeof(probe), "%s/x", strcmp(resolved, "/") ? resolved : "");
	if (cd_vmpolicy_path_check(probe, storage_roots(), why, sizeof(why)))
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: the directory of %s is "
			     "outside the storage roots (%s; cluster property "
			     "vm-storage-roots)", file, storage_roots());
	return 0;
}

static int
state_file(const struct agent *a, char *buf, size_t size)
{
	const char *p = ocf_param("state_file");
	const char *disk;
	const char *slash;

	if (p)
		snprintf(buf, size, "%s", p);
	else if (a->def->n_disks) {
		disk = a->def->disks[0].path;
		slash = strrchr(disk, '/');
		snprintf(buf, size, "%.*s/%s.vmstate", (int)(slash - disk), disk,
			 a->def->name);
	} else
		snprintf(buf, size, "/clusterstorage/volume1/%s.vmstate", a->def->name);
	if (buf[0] != '/')
		return vm_fail(OCF_ERR_CONFIGURED, "state_file: '%s' is not absolute", buf);
	return state_dir_check(buf);
}

static int
act_migrate_prepare(struct agent *a)
{
	const char *mode = ocf_param("CRM_meta_migrate_mode");
	const char *addr = ocf_param("migration_address");
	long port = param_long("migration_port", 0);
	char uri[CD_HV_URI_MAX], host[128];
	bool quick = mode && strcmp(mode, "quick") == 0;

	if (port < 0 || port > 65535)
		return vm_fail(OCF_ERR_CONFIGURED, "migration_port: not a port number");
	if (!quick && !addr) {
		if (node_address(host, sizeof(host)))
			return vm_fail(OCF_ERR_CONFIGURED, "no migration_address given and "
				     "this node's host name does not resolve");
		addr = host;
	}
	if (quick && a->plugin.ops->restore_prepare) {
		char path[PATH_MAX];

		if (state_file(a, path, sizeof(path)))
			return OCF_ERR_CONFIGURED;
		if (a->plugin.ops->restore_prepare(&a->vm, path, budget(a)))
			return vm_fail(OCF_ERR_GENERIC, "%s: migrate_prepare failed: %s",
				     a->def->name, a->err);
		printf("state_file=%s\n", path);
		return OCF_SUCCESS;
	}
	if (a->plugin.ops->migrate_prepare(&a->vm, quick ? NULL : addr, (uint16_t)port,
					   uri, sizeof(uri), budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: migrate_prepare failed: %s",
			     a->def->name, a->err);
	if (!quick)
		printf("uri=%s\n", uri);
	return OCF_SUCCESS;
}

static void
print_progress(void *opaque, const struct cd_hv_progress *p)
{
	(void)opaque;
	printf("progress percent=%.1f mbps=%.1f remaining=%" PRIu64
	       " transferred=%" PRIu64 " dirty_rate=%" PRIu64 " pass=%" PRIu64
	       " throttle=%u status=%s elapsed_ms=%" PRIu64 "\n",
	       p->percent, p->mbps, p->remaining, p->transferred, p->dirty_rate,
	       p->passes, p->throttle_pct, p->status, p->elapsed_ms);
	fflush(stdout);
}

static void
print_result(const char *type, const struct cd_hv_result *r)
{
	printf("result type=%s total_ms=%" PRIu64 " downtime_ms=%" PRIu64
	       " setup_ms=%" PRIu64 " transferred=%" PRIu64 " passes=%" PRIu64,
	       type, r->total_ms, r->downtime_ms, r->setup_ms, r->transferred,
	       r->passes);
	if (r->paused_at_ms)
		printf(" paused_at_ms=%" PRIu64, r->paused_at_ms);
	if (r->resumed_at_ms)
		printf(" resumed_at_ms=%" PRIu64, r->resumed_at_ms);
	if (r->streamed)
		printf(" streamed=1");
	if (r->mode[0]) {	/* one token: the reason's blanks become '+' */
		const char *c;

		printf(" mode=%s mode_why=", r->mode);
		for (c = r->mode_why; *c; c++)
			putchar(*c == ' ' ? '+' : *c);
	}
	printf(" agent_ms=%" PRIu64 "\n", cd_now_mono_ms() - agent_t0);
	fflush(stdout);
}

static int
act_migrate_to(struct agent *a)
{
	const char *uri = ocf_param("CRM_meta_migrate_uri");
	struct cd_hv_migrate_opts o = { 0 };
	struct cd_hv_result res;
	struct sigaction sa = { .sa_handler = on_signal };
	long bw = param_long("migration_bandwidth", 0);
	long dt = param_long("migration_downtime", 300);

	if (!uri)
		uri = ocf_param("migrate_uri");
	if (!uri)
		return vm_fail(OCF_ERR_ARGS, "migrate_to needs the target's URI in "
			     "OCF_RESKEY_CRM_meta_migrate_uri (from migrate_prepare)");
	if (bw < 0 || dt < 0)
		return vm_fail(OCF_ERR_CONFIGURED, "migration_bandwidth/migration_downtime: "
			     "not a number");
	o.max_bandwidth = (uint64_t)bw << 20;
	o.downtime_limit_ms = (uint32_t)dt;
	o.auto_converge = param_bool("migration_auto_converge", true);
	o.dirty_tracking_fixed = param_bool("qemu_dirty_tracking_fixed", false);
	o.timeout_ms = budget(a);
	o.progress_interval_ms = 200;
	/* SIGTERM/SIGINT (clusterctl move --cancel) cancel the transfer. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (a->plugin.ops->migrate_send(&a->vm, uri, &o, print_progress, NULL,
					&cancel_requested, &res))
		return vm_fail(OCF_ERR_GENERIC, "%s: live migration failed: %s",
			     a->def->name, a->err);
	print_result("live", &res);
	return OCF_SUCCESS;
}

static int
act_migrate_from(struct agent *a)
{
	struct cd_hv_result res;

	if (a->plugin.ops->migrate_finish(&a->vm, &res, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: migrate_from failed: %s",
			     a->def->name, a->err);
	printf("result type=confirm");
	if (res.resumed_at_ms)	/* the target continued a guest paused for the transfer */
		printf(" resumed_at_ms=%" PRIu64, res.resumed_at_ms);
	printf(" agent_ms=%" PRIu64 "\n", cd_now_mono_ms() - agent_t0);
	return OCF_SUCCESS;
}

static int
act_migrate_abort(struct agent *a)
{
	if (a->plugin.ops->migrate_cancel(&a->vm, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: migrate_abort failed: %s",
			     a->def->name, a->err);
	return OCF_SUCCESS;
}

static int
act_save(struct agent *a)
{
	struct cd_hv_result res;
	char path[PATH_MAX];

	if (state_file(a, path, sizeof(path)))
		return OCF_ERR_CONFIGURED;
	if (a->plugin.ops->save(&a->vm, path, &res, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: save failed: %s", a->def->name, a->err);
	printf("state_file=%s\n", path);
	print_result("save", &res);
	return OCF_SUCCESS;
}

static int
act_restore(struct agent *a)
{
	struct cd_hv_result res;
	char path[PATH_MAX];

	if (state_file(a, path, sizeof(path)))
		return OCF_ERR_CONFIGURED;
	if (a->plugin.ops->restore(&a->vm, path, &res, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: restore failed: %s", a->def->name,
			     a->err);
	print_result("restore", &res);
	return OCF_SUCCESS;
}

/* Live storage move: move_storage, move_storage_undo, move_storage_finish
 * (vm-storage.h). SIGTERM/SIGINT cancel a move before its switch. */
static int
act_storage(struct agent *a)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!strcmp(a->action, "move_storage_finish"))
		vm_storage_definition(ocf_param("config"), a->def);
	if (strcmp(a->action, "move_storage"))
		return vm_storage_action(a->action, a->plugin.ops, &a->vm, budget(a),
					 &cancel_requested);
	vm_storage_mark(a->run_dir, true);
	rc = vm_storage_action(a->action, a->plugin.ops, &a->vm, budget(a), &cancel_requested);
	vm_storage_mark(a->run_dir, false);
	return rc;
}

static int
act_validate(struct agent *a)
{
	(void)a;
	return OCF_SUCCESS;	/* definition and plugin loaded: valid */
}

/* ---- dispatch ---- */

struct action {
	const char *name;
	int (*fn)(struct agent *a);
	uint32_t timeout_ms;	/* default deadline */
	bool lock;		/* serialised with other mutating actions */
	bool starts;		/* may start a QEMU of the VM: claim_check */
};

static const struct action actions[] = {
	{ "start",		act_start,		60000,	true,	true },
	{ "stop",		act_stop,		90000,	true,	false },
	{ "monitor",		act_monitor,		20000,	false,	false },
	{ "status",		act_status,		20000,	false,	false },
	{ "validate-all",	act_validate,		10000,	false,	true },
	{ "migrate_prepare",	act_migrate_prepare,	60000,	true,	true },
	{ "migrate_to",		act_migrate_to,		600000,	true,	false },
	{ "migrate_from",	act_migrate_from,	60000,	true,	false },
	{ "migrate_abort",	act_migrate_abort,	60000,	true,	false },
	{ "save",		act_save,		300000,	true,	false },
	{ "restore",		act_restore,		300000,	true,	true },
	{ "move_storage",	act_storage,		3600000, true,	false },
	{ "move_storage_undo",	act_storage,		120000,	true,	false },
	{ "move_storage_finish", act_storage,		60000,	true,	false },
};

static int
usage(void)
{
	fprintf(stderr, "usage: vm {start|stop|monitor|status|validate-all|meta-data|"
		"migrate_prepare|migrate_to|migrate_from|migrate_abort|save|restore|\n"
		"          probe-host|move_storage|move_storage_undo|move_storage_finish}\n"
		"OCF resource agent; parameters in OCF_RESKEY_* (see `vm meta-data`)\n");
	return OCF_ERR_ARGS;
}

static int
run(struct agent *a, const struct action *act)
{
	int rc;

	a->timeout_ms = action_timeout(act->timeout_ms);
	rc = load_config(a);
	if (rc == OCF_ERR_INSTALLED && (strcmp(act->name, "monitor") == 0 ||
					strcmp(act->name, "stop") == 0))
		/* definition not reachable here (e.g. a probe on a node without
		 * the shared volume): nothing of it can run here either */
		return strcmp(act->name, "stop") == 0 ? OCF_SUCCESS : OCF_NOT_RUNNING;
	if (rc)
		return rc;
	if (act->starts && ((rc = claim_check(a)) || (rc = confine_check(a))))
		return rc;
	if ((rc = load_plugin(a)))
		return rc;
	setup_vm(a);
	if (!strcmp(act->name, "move_storage_undo"))
		vm_storage_stop_orphan(a->run_dir);
	if (act->lock && (rc = take_lock(a)))
		return rc;
	return act->fn(a);
}

/*
 * probe-host (not an OCF action; no VM, no 'config'): what this node can
 * run - the accelerator (KVM only after a boot probe) and QEMU's CPU models -
 * cached under the run root for every later action. clusterd runs it once
 * when it starts, so the first VM on a node does not wait for the probe.
 */
static int
act_probe_host(struct agent *a)
{
	char out[256];
	int rc;

	if ((rc = load_plugin(a)))
		return rc;
	setup_host(a);
	if (a->plugin.ops->probe_host(&a->vm, out, sizeof(out), 30000))
		return vm_fail(OCF_ERR_GENERIC, "probe-host: %s", a->err);
	printf("%s\n", out);
	return OCF_SUCCESS;
}

int
main(int argc, char **argv)
{
	struct agent a = { .lock_fd = -1 };
	size_t i;
	int rc = OCF_ERR_UNIMPLEMENTED;

	agent_t0 = cd_now_mono_ms();
	if (argc != 2)
		return usage();
	a.action = argv[1];
	if (strcmp(a.action, "meta-data") == 0) {
		vm_meta_data();
		return OCF_SUCCESS;
	}
	if (strcmp(a.action, "-h") == 0 || strcmp(a.action, "--help") == 0) {
		usage();
		return OCF_SUCCESS;
	}
	if (strcmp(a.action, "probe-host") == 0) {
		rc = act_probe_host(&a);
		fflush(stdout);
		cd_hv_unload(&a.plugin);
		return rc;
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(actions[i].name, a.action) == 0) {
			rc = run(&a, &actions[i]);
			break;
		}
	}
	if (i == sizeof(actions) / sizeof(actions[0]))
		rc = vm_fail(OCF_ERR_UNIMPLEMENTED, "action '%s' is not implemented", a.action);
	fflush(stdout);
	if (a.lock_fd >= 0)
		close(a.lock_fd);
	cd_hv_unload(&a.plugin);
	cd_vmdef_free(a.def);
	return rc;
}
