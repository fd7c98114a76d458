/*
 * disk.c - the `disk` OCF resource agent: one clustered disk (an iSCSI LUN)
 * that belongs to one role at a time, guarded by a SCSI-3 persistent
 * reservation.
 *
 *   disk ACTION     start, stop, monitor, validate-all, meta-data
 *
 * start spawns the holder daemon (disk-holder.c) and waits until it holds
 * the reservation; monitor reads its status file; stop tells it to release
 * and waits for it to exit. Files under /run/clusterd/disk/NAME:
 * holder.pid, status, holder.log, fuse/lun (the LUN as a file) and device
 * (symlink to /dev/loopN), which the role's other resources use.
 *
 * The key: the `key` parameter, or disk_key_default (disk-key.c): under
 * clusterd cd_pr_key(node id, incarnation) with the node id of this node in
 * /etc/clusterd/clusterd.conf and the holder's start time (seconds, 32 bits)
 * as incarnation, so every holder has its own key and `clusterctl storage
 * list` maps it to the node; without clusterd.conf (Pacemaker) the key
 * fence_scsi uses for this node.
 *
 * Environment: OCF_RESKEY_lun, _type, _key, OCF_RESOURCE_INSTANCE,
 * OCF_RESKEY_CRM_meta_timeout, _CRM_meta_on_node (Pacemaker's node name),
 * OCF_EXIT_REASON_PREFIX (before error lines); CD_DISK_RUN_ROOT and
 * CD_DISK_CONF (tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "detach.h"
#include "disk.h"
#include "timeutil.h"
#include "valid.h"

#define IQN_PREFIX	"iqn.2026-11.org.clusterd:disk:"

static const char meta_data[] =
"<?xml version=\"1.0\"?>\n"
"<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
"<resource-agent name=\"disk\" version=\"" CLUSTERD_VERSION "\">\n"
"  <version>1.0</version>\n"
"  <longdesc lang=\"en\">\n"
"A clustered disk: one iSCSI LUN that belongs to one role at a time, guarded by\n"
"a SCSI-3 persistent reservation. start registers this node's key on a session\n"
"of its own, preempts any other registration (the previous owner, stopped or\n"
"fenced) and reserves; monitor fails once the key or the reservation is gone\n"
"(never registering again by itself); stop releases and unregisters. A holder\n"
"daemon keeps the session and exposes the LUN as /run/clusterd/disk/NAME/device\n"
"(a loop device over the FUSE file /run/clusterd/disk/NAME/fuse/lun).\n"
"  </longdesc>\n"
"  <shortdesc lang=\"en\">Clustered disk (SCSI-3 reservation)</shortdesc>\n"
"  <parameters>\n"
"    <parameter name=\"lun\" unique=\"1\" required=\"1\">\n"
"      <longdesc lang=\"en\">The LUN: iscsi://HOST[:PORT]/TARGET/LUN. It must not be one of the cluster's fencing LUNs (clusterctl storage).</longdesc>\n"
"      <shortdesc lang=\"en\">iSCSI LUN URL</shortdesc>\n"
"      <content type=\"string\"/>\n"
"    </parameter>\n"
"    <parameter name=\"type\">\n"
"      <longdesc lang=\"en\">Reservation type: wero (Write Exclusive - Registrants Only: others may read) or ea (Exclusive Access: only this node reads or writes).</longdesc>\n"
"      <shortdesc lang=\"en\">Reservation type</shortdesc>\n"
"      <content type=\"string\" default=\"wero\"/>\n"
"    </parameter>\n"
"    <parameter name=\"key\">\n"
"      <longdesc lang=\"en\">Reservation key in hex. Default: clusterd's key layout with this node's id (from /etc/clusterd/clusterd.conf) and the holder's start time as incarnation; on a node without clusterd.conf (Pacemaker), the key fence_scsi uses for this node (from corosync's cluster name and nodelist).</longdesc>\n"
"      <shortdesc lang=\"en\">Reservation key</shortdesc>\n"
"      <content type=\"string\"/>\n"
"    </parameter>\n"
"  </parameters>\n"
"  <actions>\n"
"    <action name=\"start\" timeout=\"30s\"/>\n"
"    <action name=\"stop\" timeout=\"30s\"/>\n"
"    <action name=\"monitor\" timeout=\"10s\" interval=\"5s\" depth=\"0\"/>\n"
"    <action name=\"validate-all\" timeout=\"10s\"/>\n"
"    <action name=\"meta-data\" timeout=\"5s\"/>\n"
"  </actions>\n"
"</resource-agent>\n";

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

/* An error line; with Pacemaker's OCF_EXIT_REASON_PREFIX it is the reason
 * crm_mon shows. */
static void
reason(const char *fmt, ...)
{
	const char *prefix = getenv("OCF_EXIT_REASON_PREFIX");
	va_list ap;

	fputs(prefix ? prefix : "", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Names that may go into a path and an IQN: [a-z0-9_-], at most 63. */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= DISK_NAME_MAX && strspn(s,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* Parameters into c. @return OCF_SUCCESS or an OCF error, printed */
static int
conf_load(struct disk_conf *c, bool need_key)
{
	const char *lun = ocf_param("lun"), *type = ocf_param("type"), *key = ocf_param("key");
	const char *inst = getenv("OCF_RESOURCE_INSTANCE");
	char err[256], host[64] = "";
	size_t i, o;
	int t;

	memset(c, 0, sizeof(*c));
	c->timeout_ms = CD_PR_DEFAULT_TIMEOUT_MS;
	if (!inst && !need_key)
		inst = "validate";	/* validate-all runs without an instance */
	if (!inst || !name_ok(inst)) {
		reason("disk: OCF_RESOURCE_INSTANCE must be 1..63 of [A-Za-z0-9_-]\n");
		return OCF_ERR_CONFIGURED;
	}
	snprintf(c->name, sizeof(c->name), "%s", inst);
	snprintf(c->dir, sizeof(c->dir), "%s/%s", env_or("CD_DISK_RUN_ROOT", DISK_RUN_ROOT),
		 c->name);
	if (!lun) {
		reason("disk %s: parameter lun (iscsi://HOST/TARGET/LUN) is required\n",
			c->name);
		return OCF_ERR_CONFIGURED;
	}
	snprintf(c->url_text, sizeof(c->url_text), "%s", lun);
	if (cd_iscsi_url_parse(lun, &c->url, err, sizeof(err)) < 0) {
		reason("disk %s: lun '%s': %s\n", c->name, lun, err);
		return OCF_ERR_CONFIGURED;
	}
	t = type ? cd_pr_type_parse(type) : CD_PR_WERO;
	if (t != CD_PR_WERO && t != CD_PR_EA) {
		reason("disk %s: type must be wero or ea, not '%s'\n", c->name, type);
		return OCF_ERR_CONFIGURED;
	}
	c->type = (enum cd_pr_type)t;
	if (key) {
		char *end;

		errno = 0;
		c->key = strtoull(key, &end, 16);
		if (errno || *end || c->key == 0) {
			reason("disk %s: key must be a nonzero hex number\n", c->name);
			return OCF_ERR_CONFIGURED;
		}
	} else if (need_key) {
		c->key = disk_key_default(err, sizeof(err));
		if (!c->key) {
			reason("disk %s: %s\n", c->name, err);
			return OCF_ERR_CONFIGURED;
		}
	}
	gethostname(host, sizeof(host) - 1);
	o = (size_t)snprintf(c->initiator, sizeof(c->initiator), IQN_PREFIX);
	for (i = 0; host[i] && host[i] != '.' && o + 2 < sizeof(c->initiator); i++) {
		char ch = host[i];

		ch = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
		c->initiator[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
				    ch == '-' ? ch : '-';
	}
	snprintf(c->initiator + o, sizeof(c->initiator) - o, ":%s", c->name);
	for (; c->initiator[o]; o++) {
		char ch = c->initiator[o];

		if (ch >= 'A' && ch <= 'Z')
			c->initiator[o] = (char)(ch - 'A' + 'a');
		else if (ch == '_')
			c->initiator[o] = '-';
	}
	if (cd_iscsi_name_check(c->initiator, err, sizeof(err)) < 0) {
		reason("disk %s: initiator name %s: %s\n", c->name, c->initiator, err);
		return OCF_ERR_CONFIGURED;
	}
	return OCF_SUCCESS;
}

/* The holder's pid from holder.pid if that process lives; else 0. */
static pid_t
holder_pid(const struct disk_conf *c)
{
	char path[PATH_MAX + 16];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/holder.pid", c->dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	return (pid_t)pid;
}

static uint64_t
deadline_ms(void)
{
	const char *t = ocf_param("CRM_meta_timeout");
	int64_t ms;

	/* lib/valid.h V3: no trailing garbage, no overflow */
	if (!t || cd_valid_int("CRM_meta_timeout", t, 1, INT32_MAX, &ms, NULL, 0) < 0)
		ms = 30000;
	return cd_now_mono_ms() + (uint64_t)(ms > 2000 ? ms - 1000 : ms);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
do_monitor(const struct disk_conf *c)
{
	struct disk_status st;
	pid_t pid = holder_pid(c);

	if (!pid) {
		if (disk_status_read(c->dir, &st) == 0 && strcmp(st.state, "lost") == 0) {
			reason("disk %s: holder gone after: %s\n", c->name, st.reason);
			return OCF_ERR_GENERIC;
		}
		return OCF_NOT_RUNNING;
	}
	if (disk_status_read(c->dir, &st) < 0) {
		reason("disk %s: holder %ld has no status file\n", c->name, (long)pid);
		return OCF_ERR_GENERIC;
	}
	if (strcmp(st.state, "held") != 0) {
		reason("disk %s: %s: %s\n", c->name, st.state, st.reason);
		return OCF_ERR_GENERIC;
	}
	if ((long long)time(NULL) - st.checked > DISK_STALE_S) {
		reason("disk %s: holder %ld has not checked the reservation for %lld s\n",
			c->name, (long)pid, (long long)time(NULL) - st.checked);
		return OCF_ERR_GENERIC;
	}
	printf("device=%s file=%s\n", st.device, st.file);
	return OCF_SUCCESS;
}

/* The holder detached from us (detach.h): output in holder.log, its pid in
 * holder.pid. */
static int
spawn_holder(const struct disk_conf *c)
{
	int rc = cd_agent_detach(c->dir, "holder");

	if (rc == 0) {
		signal(SIGPIPE, SIG_IGN);	/* libiscsi writes with writev() */
		_exit(disk_holder_main(c));
	}
	return rc < 0 ? rc : 0;
}

/* A holder that died (SIGKILL, node crash) leaves its loop device and a
 * dead FUSE mount behind: detach the loop device if it still points at our
 * file, and lazily unmount, before a new holder mounts there. */
static void
cleanup_stale(const struct disk_conf *c)
{
	struct disk_status st;
	char path[PATH_MAX + 64], back[PATH_MAX] = "";
	FILE *f;

	if (disk_status_read(c->dir, &st) == 0 && strncmp(st.device, "/dev/loop", 9) == 0) {
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", st.device + 5);
		f = fopen(path, "r");
		if (f) {
			if (fgets(back, sizeof(back), f))
				back[strcspn(back, "\n")] = '\0';
			fclose(f);
		}
		if (back[0] && strcmp(back, st.file) == 0) {
			pid_t pid = fork();

			if (pid == 0) {
				execl("/usr/sbin/losetup", "losetup", "-d", st.device, (char *)NULL);
				execl("/sbin/losetup", "losetup", "-d", st.device, (char *)NULL);
				_exit(127);
			}
			if (pid > 0)
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
		}
	}
	snprintf(path, sizeof(path), "%s/fuse", c->dir);
	umount2(path, MNT_DETACH);
}

static int
do_start(struct disk_conf *c)
{
	struct disk_status st;
	uint64_t deadline = deadline_ms();
	char path[PATH_MAX + 16];
	int rc;

	rc = do_monitor(c);
	if (rc == OCF_SUCCESS)
		return OCF_SUCCESS;
	if (holder_pid(c)) {
		reason("disk %s: a holder runs but does not hold the disk: stop first\n",
			c->name);
		return OCF_ERR_GENERIC;
	}
	if (mkdir(env_or("CD_DISK_RUN_ROOT", DISK_RUN_ROOT), 0755) < 0 && errno != EEXIST) {
		snprintf(path, sizeof(path), "%s", env_or("CD_DISK_RUN_ROOT", DISK_RUN_ROOT));
		/* /run/clusterd may be missing too */
		char *slash = strrchr(path, '/');

		if (slash) {
			*slash = '\0';
			mkdir(path, 0755);
		}
		mkdir(env_or("CD_DISK_RUN_ROOT", DISK_RUN_ROOT), 0755);
	}
	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST) {
		reason("disk %s: mkdir %s: %s\n", c->name, c->dir, strerror(errno));
		return OCF_ERR_PERM;
	}
	cleanup_stale(c);
	snprintf(path, sizeof(path), "%s/status", c->dir);
	unlink(path);
	rc = spawn_holder(c);
	if (rc < 0) {
		reason("disk %s: fork: %s\n", c->name, strerror(-rc));
		return OCF_ERR_GENERIC;
	}
	while (cd_now_mono_ms() < deadline) {
		if (disk_status_read(c->dir, &st) == 0) {
			if (strcmp(st.state, "held") == 0) {
				printf("device=%s file=%s key=0x%016" PRIx64 "\n", st.device,
				       st.file, c->key);
				return OCF_SUCCESS;
			}
			if (strcmp(st.state, "failed") == 0) {
				reason("disk %s: %s\n", c->name, st.reason);
				return OCF_ERR_GENERIC;
			}
		}
		sleep_ms(20);
	}
	reason("disk %s: the holder did not take the disk in time\n", c->name);
	return OCF_ERR_GENERIC;
}

static int
do_stop(const struct disk_conf *c)
{
	uint64_t deadline = deadline_ms();
	pid_t pid = holder_pid(c);

	if (!pid)
		return OCF_SUCCESS;
	kill(pid, SIGTERM);
	while (cd_now_mono_ms() < deadline) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return OCF_SUCCESS;
		sleep_ms(20);
	}
	fprintf(stderr, "disk %s: holder %ld did not exit; killing it\n", c->name, (long)pid);
	kill(pid, SIGKILL);
	return OCF_SUCCESS;
}

static void
usage(FILE *f)
{
	fprintf(f, "Usage: disk start|stop|monitor|validate-all|meta-data\n"
		"OCF resource agent of a clustered disk; see meta-data.\n");
}

int
main(int argc, char **argv)
{
	struct disk_conf c;
	const char *action = argc > 1 ? argv[1] : "";
	bool start = strcmp(action, "start") == 0;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (strcmp(action, "meta-data") == 0) {
		fputs(meta_data, stdout);
		return OCF_SUCCESS;
	}
	if (strcmp(action, "-h") == 0 || strcmp(action, "--help") == 0) {
		usage(stdout);
		return OCF_SUCCESS;
	}
	if (!start && strcmp(action, "stop") && strcmp(action, "monitor") &&
	    strcmp(action, "validate-all")) {
		usage(stderr);
		return OCF_ERR_UNIMPLEMENTED;
	}
	rc = conf_load(&c, start);
	if (rc != OCF_SUCCESS) {
		/* Nothing of a disk we cannot even name can be running. */
		if (strcmp(action, "stop") == 0)
			return OCF_SUCCESS;
		if (strcmp(action, "monitor") == 0)
			return OCF_NOT_RUNNING;
		return rc;
	}
	if (start)
		return do_start(&c);
	if (strcmp(action, "stop") == 0)
		return do_stop(&c);
	if (strcmp(action, "monitor") == 0)
		return do_monitor(&c);
	return OCF_SUCCESS;
}
