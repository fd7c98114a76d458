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
 *   OCF_RESKEY_CRM_meta_migrate_uri   migrate_to: the URI migrate_prepare printed;
 *                                     without it (Pacemaker) migrate_to prepares
 *                                     the target itself (vm-remote.h)
 *   OCF_RESKEY_CRM_meta_migrate_source, _target  the migration's two nodes
 *   OCF_EXIT_REASON_PREFIX            put before the error line (Pacemaker)
 *   OCF_RESKEY_CRM_meta_migrate_mode  migrate_prepare: "quick" only starts the target
 *   OCF_RESKEY_vm_name                the VM name the cluster claimed for this
 *                                     resource (set by clusterd; see claim_check)
 *   CD_VM_RUN_ROOT                    instead of /run/clusterd
 *   CLUSTERD_HV_DIR                   plugin directory
 *   CD_VM_MIGRATION_POLICY            precopy | stall-abort | postcopy, when the
 *                                     definition has no migration_policy
 *   CD_VM_MIGRATION_DOWNTIME_MAX_MS, CD_VM_MIGRATION_STALL_WINDOW_MS
 *                                     stall handling (lib/migstall.h); clusterd
 *                                     sets these from the cluster properties
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "hvload.h"
#include "hypervisor.h"
#include "ocf.h"
#include "timeutil.h"
#include "vm-meta.h"
#include "vm-paths.h"
#include "vm-predict.h"
#include "vm-remote.h"
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

/* The one line on stderr; returns the OCF code (vm-storage.h). Pacemaker
 * sets OCF_EXIT_REASON_PREFIX: a line with it is the reason crm_mon shows. */
int
vm_fail(int ocf, const char *fmt, ...)
{
	const char *prefix = getenv("OCF_EXIT_REASON_PREFIX");
	va_list ap;

	fprintf(stderr, "%svm: ", prefix ? prefix : "");
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

/*
 * The VM's migration policy (lib/migstall.h): its definition's
 * migration_policy, else the cluster's property migration-policy (clusterd
 * passes it as CD_VM_MIGRATION_POLICY to every agent action), else precopy.
 */
static enum cd_migpolicy
migration_policy(const struct cd_vmdef *def)
{
	const char *env = getenv("CD_VM_MIGRATION_POLICY");
	enum cd_migpolicy p = CD_MIGPOLICY_PRECOPY;

	if (def && def->migration_policy && !cd_migpolicy_parse(def->migration_policy, &p))
		return p;
	if (env && *env && cd_migpolicy_parse(env, &p))
		fprintf(stderr, "vm: CD_VM_MIGRATION_POLICY '%s' is no policy; using "
			"precopy\n", env);
	return p;
}

/* A duration from the environment (ms), dflt when unset or not a number. */
static uint32_t
env_ms(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return dflt;
	errno = 0;
	n = strtoul(v, &end, 10);
	return errno || *end || n > 3600000ul ? dflt : (uint32_t)n;
}

static void
setup_vm(struct agent *a)
{
	setup_host(a);
	snprintf(a->run_dir, sizeof(a->run_dir), "%s/vm/%s", a->run_root,
		 a->def->name);
	a->vm.def = a->def;
	a->vm.run_dir = a->run_dir;
	a->vm.migration_policy = migration_policy(a->def);
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
	if (st.state == CD_HV_RUNNING) {
		/* it is the VM now, whatever migration it came by (hypervisor.h) */
		if (a->plugin.ops->adopt && a->plugin.ops->adopt(&a->vm, budget(a)))
			fprintf(stderr, "vm: %s: runs here; %s\n", a->def->name, a->err);
		return OCF_SUCCESS;
	}
	/*
	 * The half copy of a post-copy whose migration ended without it (its
	 * source lost and fenced, hypervisor.h): it can never get the rest of
	 * its memory, so it goes and the VM boots anew from its disk. A start
	 * is only asked of a node outside a migration.
	 */
	if (st.state == CD_HV_INCOMING && strstr(st.detail, "postcopy")) {
		fprintf(stderr, "vm: %s: dropping the half copy of an ended post-copy (%s); "
			"booting it anew\n", a->def->name, st.detail);
		if (a->plugin.ops->stop(&a->vm, 0, budget(a)))
			return vm_fail(OCF_ERR_GENERIC, "%s: %s", a->def->name, a->err);
		st.state = CD_HV_STOPPED;
	}
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
	/* the cleanup step of a live migration (clusterd and Pacemaker pass the
	 * peers): a source the target confirmed drops its local disks' copies */
	a->vm.migrated_away = ocf_param("CRM_meta_migrate_target") != NULL;
	if (a->plugin.ops->stop(&a->vm, g, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: stop failed: %s", a->def->name, a->err);
	a->plugin.ops->status(&a->vm, &st, 5000);
	if (st.pid)
		return vm_fail(OCF_ERR_GENERIC, "%s: QEMU pid %d still there", a->def->name,
			     st.pid);
	return OCF_SUCCESS;
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
		if (vm_node_address(host, sizeof(host)))
			return vm_fail(OCF_ERR_CONFIGURED, "no migration_address given and "
				     "this node's host name does not resolve");
		addr = host;
	}
	if (quick && a->plugin.ops->restore_prepare) {
		char path[PATH_MAX];

		if (vm_state_file(a->def, path, sizeof(path)))
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
print_result(const char *type, const struct cd_hv_result *r, const char *extra)
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
	if (r->downtime_steps)	/* stall handling stepped the limit up */
		printf(" downtime_limit_ms=%u downtime_steps=%u", r->downtime_limit_ms,
		       r->downtime_steps);
	if (r->postcopy_at_ms)
		printf(" postcopy_at_ms=%" PRIu64, r->postcopy_at_ms);
	if (r->mode[0]) {	/* one token: the reason's blanks become '+' */
		const char *c;

		printf(" mode=%s mode_why=", r->mode);
		for (c = r->mode_why; *c; c++)
			putchar(*c == ' ' ? '+' : *c);
	}
	printf("%s agent_ms=%" PRIu64 "\n", extra ? extra : "", cd_now_mono_ms() - agent_t0);
	fflush(stdout);
}

/* Pacemaker's live migration has no prepare step: the source prepares
 * the target itself (vm-remote.h); the guest must run here first. */
static int
prepare_target(struct agent *a, const char *target, char *uri, size_t len)
{
	struct cd_hv_status st;

	a->plugin.ops->status(&a->vm, &st, 5000);
	if (st.state != CD_HV_RUNNING)
		return vm_fail(OCF_ERR_GENERIC, "%s: migrate_to: the guest does not run here "
			     "(%s)", a->def->name, st.detail);
	if (vm_remote_prepare(target, budget(a) / 4 > 60000 ? 60000 : budget(a) / 4, uri,
			      len, &cancel_requested, a->err, sizeof(a->err)))
		return vm_fail(OCF_ERR_GENERIC, "%s: preparing the target %s failed: %s",
			     a->def->name, target, a->err);
	return OCF_SUCCESS;
}

static int
act_migrate_to(struct agent *a)
{
	const char *uri = ocf_param("CRM_meta_migrate_uri");
	const char *target = ocf_param("CRM_meta_migrate_target");
	struct cd_hv_migrate_opts o = { 0 };
	struct cd_hv_result res;
	struct sigaction sa = { .sa_handler = on_signal };
	long bw = param_long("migration_bandwidth", 0);
	long dt = param_long("migration_downtime", 300);
	char own_uri[CD_HV_URI_MAX], fields[256];
	struct vm_prediction pred;
	uint64_t t0 = cd_now_mono_ms(), used;
	int rc;

	if (!uri)
		uri = ocf_param("migrate_uri");
	if (bw < 0 || dt < 0)
		return vm_fail(OCF_ERR_CONFIGURED, "migration_bandwidth/migration_downtime: "
			     "not a number");
	/* SIGTERM/SIGINT (clusterctl move --cancel) cancel the transfer. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Not OCF_ERR_ARGS: Pacemaker would ban this node for it. */
	if (!uri && !target)
		return vm_fail(OCF_ERR_GENERIC, "migrate_to needs the target node "
			     "(OCF_RESKEY_CRM_meta_migrate_target) or a prepared URI "
			     "(OCF_RESKEY_CRM_meta_migrate_uri)");
	if (!uri) {
		if ((rc = prepare_target(a, target, own_uri, sizeof(own_uri))))
			return rc;
		uri = own_uri;
	}
	used = cd_now_mono_ms() - t0;
	o.max_bandwidth = (uint64_t)bw << 20;
	o.downtime_limit_ms = (uint32_t)dt;
	o.auto_converge = param_bool("migration_auto_converge", true);
	o.dirty_tracking_fixed = param_bool("qemu_dirty_tracking_fixed", false);
	/* Post-copy replaces throttling: the guest is not slowed down first. */
	if (a->vm.migration_policy == CD_MIGPOLICY_POSTCOPY)
		o.auto_converge = false;
	o.downtime_max_ms = env_ms("CD_VM_MIGRATION_DOWNTIME_MAX_MS", CD_MIGSTALL_DOWNTIME_MAX_MS);
	o.stall_window_ms = env_ms("CD_VM_MIGRATION_STALL_WINDOW_MS", CD_MIGSTALL_WINDOW_MS);
	o.progress_interval_ms = 200;
	/* what it will take, before it starts (about a second where the guest
	 * runs during the transfer: its dirty rate is measured) */
	vm_predict(a->plugin.ops, &a->vm, &o, target, &pred, 5000);
	o.timeout_ms = budget(a);
	if (uri == own_uri) {	/* what the prepare used, and room for a rollback */
		o.timeout_ms = budget(a) > used + 1000 ? budget(a) - (uint32_t)used : 1000;
		if (o.timeout_ms > 70000)
			o.timeout_ms -= 35000;
	}
	if (a->plugin.ops->migrate_send(&a->vm, uri, &o, print_progress, NULL,
					&cancel_requested, &res)) {
		char why[sizeof(a->err)];

		/* one running copy, here, as clusterd's rollback leaves it */
		snprintf(why, sizeof(why), "%s", a->err);
		if (uri == own_uri) {
			vm_remote_abort(target);
			if (a->plugin.ops->migrate_cancel(&a->vm, 30000))
				fprintf(stderr, "vm %s: rollback: %s\n", a->def->name, a->err);
		}
		return vm_fail(OCF_ERR_GENERIC, "%s: live migration failed: %s",
			     a->def->name, why);
	}
	vm_predict_learn(&a->vm, target, &res);
	vm_predict_fields(&pred, fields, sizeof(fields));
	print_result("live", &res, fields);
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

	if (vm_state_file(a->def, path, sizeof(path)))
		return OCF_ERR_CONFIGURED;
	if (a->plugin.ops->save(&a->vm, path, &res, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: save failed: %s", a->def->name, a->err);
	printf("state_file=%s\n", path);
	print_result("save", &res, NULL);
	return OCF_SUCCESS;
}

static int
act_restore(struct agent *a)
{
	struct cd_hv_result res;
	char path[PATH_MAX];

	if (vm_state_file(a->def, path, sizeof(path)))
		return OCF_ERR_CONFIGURED;
	if (a->plugin.ops->restore(&a->vm, path, &res, budget(a)))
		return vm_fail(OCF_ERR_GENERIC, "%s: restore failed: %s", a->def->name,
			     a->err);
	print_result("restore", &res, NULL);
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

/*
 * monitor and stop of a VM with nothing here, decided from this node's run
 * directory alone (the plugin's status needs no more than the VM's name):
 * the definition may sit on a shared volume this node cannot reach right
 * now (a fenced node's volume client is refused until it is readmitted),
 * and a probe must not wait for it. Only with vm_name (clusterd passes the
 * name the resource claimed; Pacemaker does not): 1 when decided, *rc set.
 */
/* Actions that act on this node's QEMU only, which its name finds. */
static bool
by_name(const struct action *act)
{
	return !strcmp(act->name, "monitor") || !strcmp(act->name, "stop") ||
	       !strcmp(act->name, "migrate_abort") || !strcmp(act->name, "migrate_from");
}

static int
nothing_here(struct agent *a, const struct action *act, int *rc)
{
	const char *name = vm_claimed_name();
	bool stop = strcmp(act->name, "stop") == 0;
	struct cd_vmdef def = { 0 };
	struct cd_hv_status st;
	char vm[256];

	if (!name || (!stop && strcmp(act->name, "monitor")))
		return 0;
	if (load_plugin(a))
		return 0;
	snprintf(vm, sizeof(vm), "%s", name);
	def.name = vm;
	a->def = &def;
	setup_vm(a);
	a->plugin.ops->status(&a->vm, &st, budget(a) < 5000 ? budget(a) : 5000);
	a->def = NULL;
	a->vm.def = NULL;
	if (st.state != CD_HV_STOPPED)
		return 0;
	*rc = stop ? OCF_SUCCESS : OCF_NOT_RUNNING;
	return 1;
}

static int
run(struct agent *a, const struct action *act)
{
	int rc;

	a->timeout_ms = action_timeout(act->timeout_ms);
	if (nothing_here(a, act, &rc))
		return rc;
	rc = load_config(a);
	if (rc == OCF_ERR_INSTALLED && (strcmp(act->name, "monitor") == 0 ||
					strcmp(act->name, "stop") == 0))
		/* definition not reachable here (e.g. a probe on a node without
		 * the shared volume): nothing of it can run here either */
		return strcmp(act->name, "stop") == 0 ? OCF_SUCCESS : OCF_NOT_RUNNING;
	if (rc && by_name(act) && vm_claimed_name()) {
		/*
		 * The definition cannot be read now (damaged, removed, its
		 * volume cut off) but a QEMU of this VM runs here
		 * (nothing_here): it must still be watched, stopped, its
		 * migration finished or rolled back, or the cluster could not
		 * take the VM elsewhere safely. Those act on the process by name.
		 */
		cd_vmdef_free(a->def);
		a->def = calloc(1, sizeof(*a->def));
		if (!a->def || !(a->def->name = strdup(vm_claimed_name())))
			return vm_fail(OCF_ERR_GENERIC, "out of memory");
		fprintf(stderr, "vm: %s: acting on its QEMU here by name, without the "
			"definition\n", a->def->name);
		rc = OCF_SUCCESS;
	}
	if (rc)
		return rc;
	if (act->starts && ((rc = claim_check(a)) ||
			    (rc = vm_confine_check(a->def, !strcmp(act->name, "migrate_prepare")))))
		return rc;
	if (!a->plugin.ops && (rc = load_plugin(a)))
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
