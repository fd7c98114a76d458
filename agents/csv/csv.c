/*
 * csv.c - the `csv` OCF resource agent: runs csv-coord, the coordinator of
 * one cluster shared volume, on the device of the volume's disk resource.
 * The contract (actions, files, the format rule) is in csv.h.
 *
 * Environment: OCF_RESOURCE_INSTANCE, OCF_RESKEY_disk, _port, _fs, _format,
 * _addr, _CRM_meta_timeout; CD_CSV_RUN_ROOT, CD_DISK_RUN_ROOT and
 * CD_CSV_CONF (tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>

#include "csv.h"
#include "detach.h"
#include "ocf.h"
#include "fsutil.h"
#include "timeutil.h"
#include "valid.h"

#define CLUSTERD_CONF	"/etc/clusterd/clusterd.conf"
#define NAME_MAX_LEN	63

static const char meta_data[] =
"<?xml version=\"1.0\"?>\n"
"<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
"<resource-agent name=\"csv\" version=\"" CLUSTERD_VERSION "\">\n"
"  <version>1.0</version>\n"
"  <longdesc lang=\"en\">\n"
"The coordinator of a cluster shared volume: csv-coord mounts the device of the\n"
"volume's disk resource (an earlier resource of the same role) in a private\n"
"mount namespace and serves the CSV protocol on this node's cluster address.\n"
"Every node's csv-client (started by clusterd) forwards /clusterstorage/NAME to\n"
"it. With format=true a blank device (first and last MiB zero) gets a\n"
"filesystem first; a device holding anything is never formatted.\n"
"  </longdesc>\n"
"  <shortdesc lang=\"en\">Cluster shared volume coordinator</shortdesc>\n"
"  <parameters>\n"
"    <parameter name=\"disk\">\n"
"      <longdesc lang=\"en\">The disk resource (agent ocf:clusterd:disk) whose device holds the volume. Default: NAME-lun.</longdesc>\n"
"      <shortdesc lang=\"en\">Disk resource</shortdesc>\n"
"      <content type=\"string\"/>\n"
"    </parameter>\n"
"    <parameter name=\"port\">\n"
"      <longdesc lang=\"en\">TCP port of the CSV protocol on the cluster address.</longdesc>\n"
"      <shortdesc lang=\"en\">Port</shortdesc>\n"
"      <content type=\"integer\" default=\"7401\"/>\n"
"    </parameter>\n"
"    <parameter name=\"fs\">\n"
"      <longdesc lang=\"en\">Filesystem: ext4 or xfs.</longdesc>\n"
"      <shortdesc lang=\"en\">Filesystem</shortdesc>\n"
"      <content type=\"string\" default=\"ext4\"/>\n"
"    </parameter>\n"
"    <parameter name=\"format\">\n"
"      <longdesc lang=\"en\">Make the filesystem when the device is blank (first and last MiB zero).</longdesc>\n"
"      <shortdesc lang=\"en\">Format a blank device</shortdesc>\n"
"      <content type=\"boolean\" default=\"false\"/>\n"
"    </parameter>\n"
"    <parameter name=\"direct\">\n"
"      <longdesc lang=\"en\">Direct I/O (clusterctl csv add sets it: true unless --redirected; absent: false, as on volumes added before it was the default): the csv-client clusterd runs on each node reads and overwrites the written blocks of files opened O_DIRECT (QEMU cache=none) straight on this LUN, through its own session registered under its node's key, under extent-map leases from the coordinator; everything else goes through the coordinator. Read by clusterd; the coordinator offers direct I/O whenever its device is the whole LUN.</longdesc>\n"
"      <shortdesc lang=\"en\">Direct I/O from every node</shortdesc>\n"
"      <content type=\"boolean\" default=\"false\"/>\n"
"    </parameter>\n"
"    <parameter name=\"addr\">\n"
"      <longdesc lang=\"en\">Address to listen on. Default: this node's address in /etc/clusterd/clusterd.conf.</longdesc>\n"
"      <shortdesc lang=\"en\">Listen address</shortdesc>\n"
"      <content type=\"string\"/>\n"
"    </parameter>\n"
"  </parameters>\n"
"  <actions>\n"
"    <action name=\"start\" timeout=\"120s\"/>\n"
"    <action name=\"stop\" timeout=\"60s\"/>\n"
"    <action name=\"monitor\" timeout=\"10s\" interval=\"2s\" depth=\"0\"/>\n"
"    <action name=\"validate-all\" timeout=\"10s\"/>\n"
"    <action name=\"meta-data\" timeout=\"5s\"/>\n"
"  </actions>\n"
"</resource-agent>\n";

struct conf {
	char name[NAME_MAX_LEN + 1];
	char disk[NAME_MAX_LEN + 1];
	char fs[8];
	char addr[64];
	int port;
	bool format;
	char dir[PATH_MAX];		/* CSV_RUN_ROOT/NAME */
	char disk_dir[PATH_MAX];	/* CSV_DISK_RUN_ROOT/DISK */
};

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= NAME_MAX_LEN && strspn(s,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* This node's cluster address from clusterd.conf: {"nodes": {HOST: {"addr"}}}. */
static int
local_addr(char *out, size_t len)
{
	char host[256] = "";
	json_object *conf, *nodes, *nd, *a;
	const char *path = env_or("CD_CSV_CONF", CLUSTERD_CONF);
	int rc = -ENOENT;

	gethostname(host, sizeof(host) - 1);
	host[strcspn(host, ".")] = '\0';
	conf = json_object_from_file(path);
	if (!conf)
		return -ENOENT;
	if (json_object_object_get_ex(conf, "nodes", &nodes) &&
	    json_object_object_get_ex(nodes, host, &nd) &&
	    json_object_object_get_ex(nd, "addr", &a) && json_object_get_string_len(a) > 0) {
		snprintf(out, len, "%s", json_object_get_string(a));
		rc = 0;
	}
	json_object_put(conf);
	return rc;
}

static int
conf_load(struct conf *c, bool need_addr)
{
	const char *inst = getenv("OCF_RESOURCE_INSTANCE"), *disk = ocf_param("disk");
	const char *port = ocf_param("port"), *fs = ocf_param("fs"), *fmt = ocf_param("format");
	const char *addr = ocf_param("addr");
	char why[256];
	int64_t v;

	memset(c, 0, sizeof(*c));
	if (!inst && !need_addr)
		inst = "validate";
	if (!inst || !name_ok(inst)) {
		fprintf(stderr, "csv: OCF_RESOURCE_INSTANCE must be 1..63 of [A-Za-z0-9_-]\n");
		return OCF_ERR_CONFIGURED;
	}
	snprintf(c->name, sizeof(c->name), "%s", inst);
	if (disk)
		snprintf(c->disk, sizeof(c->disk), "%s", disk);
	else if (snprintf(c->disk, sizeof(c->disk), "%s-lun", inst) >= (int)sizeof(c->disk))
		c->disk[0] = '\0';
	if (!name_ok(c->disk)) {
		fprintf(stderr, "csv %s: bad disk resource name '%s'\n", c->name, c->disk);
		return OCF_ERR_CONFIGURED;
	}
	c->port = CSV_DEFAULT_PORT;
	if (port && cd_valid_int("port", port, 1, 65535, &v, why, sizeof(why)) < 0) {
		fprintf(stderr, "csv %s: %s\n", c->name, why);
		return OCF_ERR_CONFIGURED;
	}
	if (port)
		c->port = (int)v;
	snprintf(c->fs, sizeof(c->fs), "%s", fs ? fs : "ext4");
	if (strcmp(c->fs, "ext4") && strcmp(c->fs, "xfs")) {
		fprintf(stderr, "csv %s: fs must be ext4 or xfs, not '%s'\n", c->name, fs);
		return OCF_ERR_CONFIGURED;
	}
	c->format = fmt && (!strcmp(fmt, "true") || !strcmp(fmt, "1") || !strcmp(fmt, "yes"));
	if (addr) {
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
	} else if (need_addr && local_addr(c->addr, sizeof(c->addr)) < 0) {
		fprintf(stderr, "csv %s: this node has no address in %s (set addr)\n", c->name,
			env_or("CD_CSV_CONF", CLUSTERD_CONF));
		return OCF_ERR_CONFIGURED;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/%s", env_or("CD_CSV_RUN_ROOT", CSV_RUN_ROOT), c->name);
	snprintf(c->disk_dir, sizeof(c->disk_dir), "%s/%s",
		 env_or("CD_DISK_RUN_ROOT", CSV_DISK_RUN_ROOT), c->disk);
	return OCF_SUCCESS;
}

/* "state=" of the disk holder's status file, or "" when there is none. */
static void
disk_state(const struct conf *c, char *out, size_t len)
{
	char path[PATH_MAX + 16], line[512];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/status", c->disk_dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "state=", 6) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + 6);
		}
	fclose(f);
}

/* csv-coord's pid from coord.pid if that process lives and is csv-coord; else 0. */
static pid_t
coord_pid(const struct conf *c)
{
	char path[PATH_MAX + 16], cmd[256] = "";
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/coord.pid", c->dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 1)
		return 0;
	if (cd_proc_cmdline(pid, cmd, sizeof(cmd), 0) < 0)
		return 0;
	return strstr(cmd, "csv-coord") ? (pid_t)pid : 0;
}

/* The process of a pid file exists no more (false while the file is missing). */
static bool
spawned_and_gone(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	long pid = 0;

	if (!f)
		return false;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 1 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static bool
ready(const struct conf *c)
{
	char path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/ready", c->dir);
	return stat(path, &st) == 0 && st.st_size > 0;
}

static uint64_t
deadline_ms(int dflt_ms)
{
	const char *t = ocf_param("CRM_meta_timeout");
	int64_t ms;

	/* lib/valid.h V3: no trailing garbage, no overflow */
	if (!t || cd_valid_int("CRM_meta_timeout", t, 1, INT32_MAX, &ms, NULL, 0) < 0)
		ms = dflt_ms;
	return cd_now_mono_ms() + (uint64_t)(ms > 2000 ? ms - 1000 : ms);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
do_monitor(const struct conf *c)
{
	char st[32];

	if (!coord_pid(c))
		return OCF_NOT_RUNNING;
	disk_state(c, st, sizeof(st));
	if (strcmp(st, "held") != 0) {
		fprintf(stderr, "csv %s: disk %s is %s\n", c->name, c->disk, st[0] ? st : "gone");
		return OCF_ERR_GENERIC;
	}
	if (!ready(c)) {
		fprintf(stderr, "csv %s: csv-coord runs but does not serve\n", c->name);
		return OCF_ERR_GENERIC;
	}
	return OCF_SUCCESS;
}

/* Read the first and last CSV_BLANK_SPAN bytes (O_DIRECT: not a page cache
 * that another node's coordinator made stale). @return 1 blank, 0 not, -errno */
static int
device_blank(const char *dev)
{
	uint64_t size = 0;
	void *buf = NULL;
	int fd, rc = 1;

	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || size < 2 * CSV_BLANK_SPAN ||
	    posix_memalign(&buf, 4096, CSV_BLANK_SPAN) != 0) {
		rc = size && size < 2 * CSV_BLANK_SPAN ? -ENOSPC : -EIO;
		goto out;
	}
	for (int end = 0; end < 2 && rc == 1; end++) {
		off_t off = end ? (off_t)(size - CSV_BLANK_SPAN) : 0;

		if (pread(fd, buf, CSV_BLANK_SPAN, off) != (ssize_t)CSV_BLANK_SPAN)
			rc = -EIO;
		else if (!csv_all_zero(buf, CSV_BLANK_SPAN))
			rc = 0;
	}
out:
	free(buf);
	close(fd);
	return rc;
}

/* Run a command to its end. @return its exit status, or -errno */
static int
run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int
make_fs(const struct conf *c, const char *dev)
{
	char label[16], *d = strdup(dev);
	char *ext4[] = { "/sbin/mkfs.ext4", "-q", "-F", "-E", "nodiscard", "-L", label, d, NULL };
	char *xfs[] = { "/sbin/mkfs.xfs", "-q", "-f", "-K", "-L", label, d, NULL };
	int rc;

	if (!d)
		return -ENOMEM;
	snprintf(label, sizeof(label), "%.12s", c->name);	/* xfs labels: 12 bytes */
	fprintf(stderr, "csv %s: %s is blank: making %s\n", c->name, dev, c->fs);
	rc = run(strcmp(c->fs, "xfs") ? ext4 : xfs);
	free(d);
	if (rc != 0)
		fprintf(stderr, "csv %s: mkfs.%s %s: exit %d\n", c->name, c->fs, dev, rc);
	return rc == 0 ? 0 : -EIO;
}

/* csv-coord detached from us (detach.h): output in coord.log, its pid in
 * coord.pid before it execs. */
static int
spawn_coord(const struct conf *c, const char *dev)
{
	char bin[PATH_MAX], listen[96], mnt[PATH_MAX + 8], rdy[PATH_MAX + 8];
	char fenced[PATH_MAX + 8];
	int rc;

	cd_sibling_binary("csv-coord", bin, sizeof(bin));
	snprintf(listen, sizeof(listen), "%s:%d", c->addr, c->port);
	snprintf(mnt, sizeof(mnt), "%s/mnt", c->dir);
	snprintf(rdy, sizeof(rdy), "%s/ready", c->dir);
	snprintf(fenced, sizeof(fenced), "%s/fenced", env_or("CD_CSV_RUN_ROOT", CSV_RUN_ROOT));
	mkdir(mnt, 0700);
	rc = cd_agent_detach(c->dir, "coord");
	if (rc == 0) {
		execl(bin, "csv-coord", "--name", c->name, "--device", dev, "--listen", listen,
		      "--fs", c->fs, "--mount", mnt, "--ready", rdy, "--fenced-file", fenced,
		      (char *)NULL);
		fprintf(stderr, "csv %s: exec %s: %s\n", c->name, bin, strerror(errno));
		_exit(127);
	}
	return rc < 0 ? rc : 0;
}

static int
do_start(const struct conf *c)
{
	uint64_t deadline = deadline_ms(120000);
	char st[32], link[PATH_MAX + 16], dev[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n;
	int rc;

	if (do_monitor(c) == OCF_SUCCESS)
		return OCF_SUCCESS;
	if (coord_pid(c)) {
		fprintf(stderr, "csv %s: csv-coord runs but does not serve: stop first\n", c->name);
		return OCF_ERR_GENERIC;
	}
	disk_state(c, st, sizeof(st));
	if (strcmp(st, "held") != 0) {
		fprintf(stderr, "csv %s: disk resource %s is %s here (it must start before us "
			"in the role)\n", c->name, c->disk, st[0] ? st : "not running");
		return OCF_ERR_GENERIC;
	}
	snprintf(link, sizeof(link), "%s/device", c->disk_dir);
	n = readlink(link, dev, sizeof(dev) - 1);
	if (n <= 0) {
		fprintf(stderr, "csv %s: %s: %s\n", c->name, link, strerror(errno));
		return OCF_ERR_GENERIC;
	}
	dev[n] = '\0';
	if (c->format) {
		rc = device_blank(dev);
		if (rc < 0) {
			fprintf(stderr, "csv %s: reading %s: %s\n", c->name, dev, strerror(-rc));
			return OCF_ERR_GENERIC;
		}
		if (rc == 1 && make_fs(c, dev) < 0)
			return OCF_ERR_GENERIC;
	}
	mkdir(env_or("CD_CSV_RUN_ROOT", CSV_RUN_ROOT), 0755);
	if (mkdir(c->dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "csv %s: mkdir %s: %s\n", c->name, c->dir, strerror(errno));
		return OCF_ERR_PERM;
	}
	snprintf(path, sizeof(path), "%s/ready", c->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/coord.pid", c->dir);
	unlink(path);
	rc = spawn_coord(c, dev);
	if (rc < 0) {
		fprintf(stderr, "csv %s: fork: %s\n", c->name, strerror(-rc));
		return OCF_ERR_GENERIC;
	}
	while (cd_now_mono_ms() < deadline) {
		if (ready(c) && coord_pid(c)) {
			printf("device=%s listen=%s:%d\n", dev, c->addr, c->port);
			return OCF_SUCCESS;
		}
		/* coord.pid is written before the exec: that process gone = csv-coord failed */
		if (!ready(c) && spawned_and_gone(path)) {
			fprintf(stderr, "csv %s: csv-coord exited (see %s/coord.log)\n", c->name,
				c->dir);
			return OCF_ERR_GENERIC;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "csv %s: csv-coord did not serve in time\n", c->name);
	return OCF_ERR_GENERIC;
}

static int
do_stop(const struct conf *c)
{
	uint64_t deadline = deadline_ms(60000);
	char path[PATH_MAX + 16];
	pid_t pid = coord_pid(c);

	snprintf(path, sizeof(path), "%s/ready", c->dir);
	if (pid) {
		kill(pid, SIGTERM);
		while (coord_pid(c) == pid && cd_now_mono_ms() < deadline)
			sleep_ms(20);
		if (coord_pid(c) == pid) {
			fprintf(stderr, "csv %s: csv-coord %ld did not exit; killing it\n", c->name,
				(long)pid);
			kill(pid, SIGKILL);
		}
	}
	unlink(path);
	return OCF_SUCCESS;
}

int
main(int argc, char **argv)
{
	const char *action = argc > 1 ? argv[1] : "";
	bool start = strcmp(action, "start") == 0;
	struct conf c;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	if (strcmp(action, "meta-data") == 0) {
		fputs(meta_data, stdout);
		return OCF_SUCCESS;
	}
	if (strcmp(action, "-h") == 0 || strcmp(action, "--help") == 0) {
		printf("Usage: csv start|stop|monitor|validate-all|meta-data\n"
		       "OCF resource agent of a cluster shared volume's coordinator; see meta-data.\n");
		return OCF_SUCCESS;
	}
	if (!start && strcmp(action, "stop") && strcmp(action, "monitor") &&
	    strcmp(action, "validate-all")) {
		fprintf(stderr, "Usage: csv start|stop|monitor|validate-all|meta-data\n");
		return OCF_ERR_UNIMPLEMENTED;
	}
	rc = conf_load(&c, start);
	if (rc != OCF_SUCCESS) {
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
