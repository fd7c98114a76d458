/*
 * qemu-proc.c - QEMU processes of the qemu plugin (see qemu-proc.h).
 */
#include "qemu-proc.h"

#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fsutil.h"
#include "qemu-argv.h"
#include "timeutil.h"

#define PROBE_TIMEOUT_MS	3000
#define PROBE_EXIT		33	/* isa-debug-exit: (0x10 << 1) | 1 */
#define QEMU_OVERHEAD_MIB	64u	/* QEMU's own memory next to guest RAM */

int
cd_qemu_fail(struct cd_hv_vm *vm, int rc, const char *fmt, ...)
{
	va_list ap;

	if (vm->err && vm->err_size) {
		va_start(ap, fmt);
		vsnprintf(vm->err, vm->err_size, fmt, ap);
		va_end(ap);
	}
	return rc;
}

void
cd_qemu_log(struct cd_hv_vm *vm, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!vm->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vm->log(vm->log_opaque, buf);
}

void
cd_qemu_nap(uint32_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
cd_qemu_path(const struct cd_hv_vm *vm, const char *file, char *buf,
	     size_t size)
{
	int n = snprintf(buf, size, "%s/%s", vm->run_dir, file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Read a small file into buf (NUL-terminated); bytes read or -errno. */
static ssize_t
read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

static bool
proc_is_ours(const struct cd_hv_vm *vm, pid_t pid)
{
	char path[64], stat[512], sock[4096];
	static char cmd[65536];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, stat, sizeof(stat)) <= 0)
		return false;
	p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return false;
	if (cd_proc_cmdline((long)pid, cmd, sizeof(cmd), 1) < 0)
		return false;
	if (cd_qemu_path(vm, CD_QEMU_QMP_SOCK, sock, sizeof(sock)))
		return false;
	return strstr(cmd, sock) != NULL;
}

pid_t
cd_qemu_pid(const struct cd_hv_vm *vm)
{
	char path[4096], buf[32];
	long pid;

	if (cd_qemu_path(vm, CD_QEMU_PIDFILE, path, sizeof(path)) ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || pid > 1 << 22)
		return 0;
	return proc_is_ours(vm, (pid_t)pid) ? (pid_t)pid : 0;
}

void
cd_qemu_role_get(const struct cd_hv_vm *vm, char *buf, size_t size)
{
	char path[4096];

	buf[0] = '\0';
	if (cd_qemu_path(vm, CD_QEMU_ROLE, path, sizeof(path)) ||
	    read_small(path, buf, size) < 0) {
		buf[0] = '\0';
		return;
	}
	buf[strcspn(buf, "\n")] = '\0';
}

int
cd_qemu_role_set(struct cd_hv_vm *vm, const char *role)
{
	char path[4096], tmp[4200];
	int fd, rc = 0;

	if ((rc = cd_qemu_path(vm, CD_QEMU_ROLE, path, sizeof(path))))
		return cd_qemu_fail(vm, rc, "cannot write the role file: %s", strerror(-rc));
	if (!role) {
		if (unlink(path) < 0 && errno != ENOENT)
			return cd_qemu_fail(vm, -errno, "cannot remove %s: %s", path,
					    strerror(errno));
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = -errno;
	else {
		if (dprintf(fd, "%s\n", role) < 0)
			rc = -EIO;
		if (close(fd) < 0 && !rc)
			rc = -errno;
		if (!rc && rename(tmp, path) < 0)
			rc = -errno;
	}
	if (rc)
		return cd_qemu_fail(vm, rc, "cannot write the role file: %s", strerror(-rc));
	return 0;
}

static int
mkdir_p(const char *dir, mode_t mode)
{
	char buf[4096];
	char *p;

	if (strlen(dir) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int
cd_qemu_make_run_dir(struct cd_hv_vm *vm)
{
	int rc = mkdir_p(vm->run_dir, 0700);

	if (rc)
		return cd_qemu_fail(vm, rc, "cannot create %s: %s", vm->run_dir,
				    strerror(-rc));
	return 0;
}

void
cd_qemu_clean_run_dir(const struct cd_hv_vm *vm)
{
	static const char *const files[] = {
		CD_QEMU_PIDFILE, CD_QEMU_QMP_SOCK, CD_QEMU_MON_SOCK, CD_QEMU_ROLE,
		CD_QEMU_STREAM, CD_QEMU_STREAM_INO,
	};
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!cd_qemu_path(vm, files[i], path, sizeof(path)))
			unlink(path);
}

int
cd_qemu_wait_gone(pid_t pid, uint32_t timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char path[64], stat[512];
	const char *p;

	/* Woken by the exit itself where pidfds exist (Linux 5.3), else polled. */
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (pfd >= 0) {
		struct pollfd pf = { .fd = pfd, .events = POLLIN };
		int n;

		do {
			uint64_t now = cd_now_mono_ms();

			n = poll(&pf, 1, now >= deadline ? 0 : (int)(deadline - now));
		} while (n < 0 && errno == EINTR);
		close(pfd);
		return n > 0 ? 0 : -ETIMEDOUT;
	}
	if (errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		/* a zombie counts as gone: its reaper is not us */
		if (read_small(path, stat, sizeof(stat)) <= 0)
			return 0;
		p = strrchr(stat, ')');
		if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
			return 0;
		if (cd_now_mono_ms() >= deadline)
			return -ETIMEDOUT;
		cd_qemu_nap(10);
	}
}

int
cd_qemu_kill(struct cd_hv_vm *vm, pid_t pid)
{
	if (!proc_is_ours(vm, pid))
		return 0;
	cd_qemu_log(vm, "QEMU pid %d: SIGTERM", (int)pid);
	kill(pid, SIGTERM);
	if (!cd_qemu_wait_gone(pid, 3000))
		return 0;
	if (!proc_is_ours(vm, pid))
		return 0;
	cd_qemu_log(vm, "QEMU pid %d: SIGKILL", (int)pid);
	kill(pid, SIGKILL);
	return cd_qemu_wait_gone(pid, 5000);
}

/* ---- accelerator probe ---- */

/*
 * A 64 KiB BIOS whose reset vector counts ECX down from 200 million and
 * writes 0x10 to the isa-debug-exit port: QEMU exits with status 33. With
 * working hardware virtualisation that takes well under a second; an
 * emulating "KVM" (a PVM host, see the notes) or none at all misses the
 * deadline.
 */
static const unsigned char probe_code[16] = {
	0x66, 0xb9, 0x00, 0xc2, 0xeb, 0x0b,	/* mov ecx, 200000000 */
	0x66, 0x49,				/* dec ecx */
	0x75, 0xfc,				/* jnz dec */
	0xb0, 0x10,				/* mov al, 0x10 */
	0xe6, 0xf4,				/* out 0xf4, al */
	0xf4,					/* hlt */
	0x90,
};

static int
write_probe_bios(const char *path)
{
	static unsigned char img[65536];
	int fd;
	ssize_t n;

	memset(img, 0xf4, sizeof(img));
	memcpy(img + sizeof(img) - 16, probe_code, sizeof(probe_code));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	n = write(fd, img, sizeof(img));
	close(fd);
	return n == (ssize_t)sizeof(img) ? 0 : -EIO;
}

static const char *
qemu_binary(void)
{
	const char *b = getenv("CD_QEMU_BINARY");

	return b && *b ? b : "qemu-system-x86_64";
}

/* Run the probe; true when KVM passed it. */
static bool
kvm_probe(struct cd_hv_vm *vm, char *why, size_t why_size)
{
	char bios[4096];
	uint64_t t0 = cd_now_mono_ms();
	int status = 0, fd;
	pid_t pid, w;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_size, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	snprintf(bios, sizeof(bios), "%s/qemu-kvm-probe.bin", vm->cache_dir);
	if (write_probe_bios(bios)) {
		snprintf(why, why_size, "cannot write %s", bios);
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_size, "fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		execlp(qemu_binary(), qemu_binary(), "-accel", "kvm", "-machine", "pc",
		       "-m", "16", "-nodefaults", "-no-user-config", "-display", "none",
		       "-bios", bios, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		       (char *)NULL);
		_exit(127);
	}
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       cd_now_mono_ms() - t0 < PROBE_TIMEOUT_MS)
		cd_qemu_nap(10);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(why, why_size, "KVM probe guest did not finish within %d ms "
			 "(emulated or broken KVM)", PROBE_TIMEOUT_MS);
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != PROBE_EXIT) {
		snprintf(why, why_size, "KVM probe guest failed (status 0x%x)", status);
		return false;
	}
	snprintf(why, why_size, "KVM probe passed in %llu ms",
		 (unsigned long long)(cd_now_mono_ms() - t0));
	return true;
}

const char *
cd_qemu_accel(struct cd_hv_vm *vm)
{
	const char *env = getenv("CD_QEMU_ACCEL");
	char path[4096], buf[256], why[200];
	bool kvm;
	int fd;

	if (env && (strcmp(env, "tcg") == 0 || strcmp(env, "kvm") == 0))
		return strcmp(env, "kvm") == 0 ? "kvm" : "tcg";
	snprintf(path, sizeof(path), "%s/qemu-accel", vm->cache_dir);
	if (read_small(path, buf, sizeof(buf)) > 0)
		return strncmp(buf, "kvm", 3) == 0 ? "kvm" : "tcg";
	mkdir_p(vm->cache_dir, 0755);
	kvm = kvm_probe(vm, why, sizeof(why));
	cd_qemu_log(vm, "accelerator: %s (%s)", kvm ? "kvm" : "tcg", why);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s %s\n", kvm ? "kvm" : "tcg", why);
		close(fd);
	}
	return kvm ? "kvm" : "tcg";
}

/* This node's name for messages an administrator reads elsewhere. */
const char *
cd_qemu_node_name(void)
{
	static char host[65];

	if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "this node");
	return host;
}

/* ---- CPU models ---- */

#define CPU_HELP_MAX	(64 * 1024)

/* "size mtime" of the QEMU binary found in PATH, or "" */
static void
binary_key(char *key, size_t size)
{
	const char *bin = qemu_binary(), *path = getenv("PATH");
	char full[4096];
	struct stat sb;

	key[0] = '\0';
	if (strchr(bin, '/')) {
		if (stat(bin, &sb) == 0)
			snprintf(key, size, "%lld %lld", (long long)sb.st_size,
				 (long long)sb.st_mtime);
		return;
	}
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(full, sizeof(full), "%.*s/%s", (int)n, path, bin);
		if (stat(full, &sb) == 0) {
			snprintf(key, size, "%lld %lld", (long long)sb.st_size,
				 (long long)sb.st_mtime);
			return;
		}
		path += n + (path[n] == ':');
	}
}

/*
 * `qemu-system-x86_64 -cpu help` of this node into buf, cached in
 * cache_dir/qemu-cpu-help (first line: the binary's size and mtime, so an
 * upgraded QEMU is asked again). Returns the length, or -1.
 */
static ssize_t
cpu_help(struct cd_hv_vm *vm, char *buf, size_t size)
{
	char path[4096], key[64], *nl;
	uint64_t t0 = cd_now_mono_ms();
	ssize_t n, got = 0;
	int pfd[2], status, fd;
	pid_t pid;

	binary_key(key, sizeof(key));
	snprintf(path, sizeof(path), "%s/qemu-cpu-help", vm->cache_dir);
	n = read_small(path, buf, size);
	if (n > 0 && key[0] && (nl = strchr(buf, '\n')) &&
	    (size_t)(nl - buf) == strlen(key) && !strncmp(buf, key, strlen(key))) {
		memmove(buf, nl + 1, (size_t)n - (size_t)(nl + 1 - buf) + 1);
		return n - (nl + 1 - buf);
	}
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(nul, 2);
		execlp(qemu_binary(), qemu_binary(), "-cpu", "help", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (got < (ssize_t)size - 1 &&
	       (n = read(pfd[0], buf + got, size - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got == 0)
		return -1;
	cd_qemu_log(vm, "read %zd bytes of CPU models from %s -cpu help in %llu ms",
		    got, qemu_binary(), (unsigned long long)(cd_now_mono_ms() - t0));
	mkdir_p(vm->cache_dir, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s\n%s", key, buf);
		close(fd);
	}
	return got;
}

int
cd_qemu_cpu_model_count(struct cd_hv_vm *vm)
{
	char *help = malloc(CPU_HELP_MAX);
	int n = -1;

	if (help && cpu_help(vm, help, CPU_HELP_MAX) >= 0)
		n = cd_qemu_cpu_models(help, NULL, NULL);
	free(help);
	return n;
}

int
cd_qemu_check_cpu(struct cd_hv_vm *vm, const char *accel)
{
	char why[300];
	char *help = malloc(CPU_HELP_MAX);
	int rc;

	if (!help)
		return cd_qemu_fail(vm, -ENOMEM, "out of memory");
	if (cpu_help(vm, help, CPU_HELP_MAX) < 0) {
		/* no list to check against: QEMU itself will say it at start */
		cd_qemu_log(vm, "cannot list QEMU's CPU models; not checked");
		free(help);
		return 0;
	}
	rc = cd_qemu_cpu_model_check(help, vm->def->cpu_model, accel, why, sizeof(why));
	free(help);
	if (rc == -ENOENT || rc == -ENOTSUP)
		return cd_qemu_fail(vm, rc, "%s cannot run on %s: %s", vm->def->name,
				    cd_qemu_node_name(), why);
	return 0;
}

/* ---- taps ---- */

/* A tap device (name chosen by the kernel) added to bridge and up. */
static int
make_tap(struct cd_hv_vm *vm, const char *bridge, int *tap_fd)
{
	struct ifreq ifr;
	int fd, s = -1, rc = 0;
	unsigned int br_index;

	br_index = if_nametoindex(bridge);
	if (!br_index)
		return cd_qemu_fail(vm, -ENODEV, "bridge %s does not exist on %s",
				    bridge, cd_qemu_node_name());
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return cd_qemu_fail(vm, -errno, "/dev/net/tun: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, IFNAMSIZ, "cdtap%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = cd_qemu_fail(vm, -errno, "TUNSETIFF: %s", strerror(errno));
		goto out;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		rc = cd_qemu_fail(vm, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", ifr.ifr_name, strerror(errno));
		goto out;
	}
	{
		struct ifreq br;

		memset(&br, 0, sizeof(br));
		snprintf(br.ifr_name, IFNAMSIZ, "%s", bridge);
		br.ifr_ifindex = ifr.ifr_ifindex;
		if (ioctl(s, SIOCBRADDIF, &br) < 0) {
			rc = cd_qemu_fail(vm, -errno, "cannot add %s to bridge %s: %s",
					  ifr.ifr_name, bridge, strerror(errno));
			goto out;
		}
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", ifr.ifr_name, strerror(errno));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s up: %s", ifr.ifr_name, strerror(errno));
		goto out;
	}
	cd_qemu_log(vm, "tap %s on bridge %s", ifr.ifr_name, bridge);
out:
	if (s >= 0)
		close(s);
	if (rc) {
		close(fd);
		return rc;
	}
	*tap_fd = fd;
	return 0;
}

/* ---- spawn ---- */

/* Last non-empty line of QEMU's log after offset, into buf. */
void
cd_qemu_log_tail(const struct cd_hv_vm *vm, off_t from, char *buf, size_t size)
{
	char path[4096], chunk[2048];
	ssize_t n;
	char *end, *start;
	off_t end_off;
	int fd;

	buf[0] = '\0';
	if (cd_qemu_path(vm, CD_QEMU_LOG, path, sizeof(path)))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	end_off = lseek(fd, 0, SEEK_END);
	if (end_off - from > (off_t)sizeof(chunk) - 1)
		from = end_off - (off_t)sizeof(chunk) + 1;
	n = pread(fd, chunk, sizeof(chunk) - 1, from);
	close(fd);
	if (n <= 0)
		return;
	chunk[n] = '\0';
	end = chunk + n;
	while (end > chunk && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(chunk, '\n');
	start = start ? start + 1 : chunk;
	snprintf(buf, size, "%s", start);
}

static void
child_exec(char **argv, int log_fd, const int *taps, size_t n_taps)
{
	int nul = open("/dev/null", O_RDWR);
	size_t i;

	/* Nothing of the agent's may stay open in the daemon: a caller that
	 * reads our stdout would otherwise wait for QEMU's end. */
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(log_fd, 2);
	for (i = 0; i < n_taps; i++) {
		int fl = fcntl(taps[i], F_GETFD);

		fcntl(taps[i], F_SETFD, fl & ~FD_CLOEXEC);
	}
	for (int fd = 3; fd < 1024; fd++) {
		bool keep = false;

		for (i = 0; i < n_taps; i++)
			keep |= taps[i] == fd;
		if (!keep)
			close(fd);
	}
	execvp(argv[0], argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* MemAvailable of this node in MiB, or -1 if unknown. */
static long
mem_available_mib(void)
{
	char buf[4096];
	const char *p;

	if (read_small("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "MemAvailable:");
	return p ? strtol(p + 13, NULL, 10) / 1024 : -1;
}

int
cd_qemu_spawn_incoming(struct cd_hv_vm *vm, uint32_t timeout_ms)
{
	int rc = cd_qemu_spawn(vm, "defer", timeout_ms);

	return rc ? rc : cd_qemu_role_set(vm, CD_ROLE_INCOMING);
}

int
cd_qemu_spawn(struct cd_hv_vm *vm, const char *incoming, uint32_t timeout_ms)
{
	const struct cd_vmdef *d = vm->def;
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	int taps[CD_VMDEF_NICS_MAX];
	struct cd_qemu_launch l = { 0 };
	char path[4096], msg[512];
	char **argv = NULL;
	size_t n_taps = 0, i;
	int log_fd = -1, status, rc = 0;
	off_t log_start;
	long avail;
	pid_t pid, w;

	/* Refuse rather than let the OOM killer pick a victim: guest RAM plus
	 * QEMU's own overhead must be available. */
	avail = mem_available_mib();
	if (avail >= 0 && (uint64_t)avail < (uint64_t)d->memory_mib + QEMU_OVERHEAD_MIB)
		return cd_qemu_fail(vm, -ENOMEM, "not enough free memory on %s "
				    "for %s: %u MiB + %u MiB overhead needed, %ld MiB "
				    "available", cd_qemu_node_name(), d->name, d->memory_mib,
				    QEMU_OVERHEAD_MIB, avail);
	if ((rc = cd_qemu_make_run_dir(vm)))
		return rc;
	cd_qemu_clean_run_dir(vm);
	l.accel = cd_qemu_accel(vm);
	if ((rc = cd_qemu_check_cpu(vm, l.accel)))
		return rc;
	for (i = 0; i < d->n_nics; i++) {
		if ((rc = make_tap(vm, d->nics[i].bridge, &taps[i])))
			goto out;
		n_taps++;
	}
	/* Never a guest's QEMU as root (issue 16). */
	if (!getpwnam(CD_QEMU_USER)) {
		rc = cd_qemu_fail(vm, -ENOENT, "user %s does not exist on %s: QEMU "
				  "does not run as root (the package and 'make deps' "
				  "create it)", CD_QEMU_USER, cd_qemu_node_name());
		goto out;
	}
	l.binary = qemu_binary();
	l.run_dir = vm->run_dir;
	l.incoming = incoming;
	l.tap_fds = taps;
	l.runas = CD_QEMU_USER;
	l.sandbox = true;
	l.daemonize = true;
	argv = cd_qemu_argv(d, &l);
	if (!argv) {
		rc = cd_qemu_fail(vm, -ENOMEM, "out of memory");
		goto out;
	}
	cd_qemu_path(vm, CD_QEMU_LOG, path, sizeof(path));
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		rc = cd_qemu_fail(vm, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	log_start = lseek(log_fd, 0, SEEK_END);
	cd_qemu_log(vm, "starting QEMU (%s%s%s)", l.accel,
		    incoming ? ", incoming " : "", incoming ? incoming : "");
	pid = fork();
	if (pid < 0) {
		rc = cd_qemu_fail(vm, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_exec(argv, log_fd, taps, n_taps);
	/* With -daemonize the first process exits once the daemon is set up. */
	cd_qemu_wait_gone(pid, timeout_ms);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	       cd_now_mono_ms() < deadline)
		cd_qemu_nap(2);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		rc = cd_qemu_fail(vm, -ETIMEDOUT, "QEMU did not start within %u ms",
				  timeout_ms);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cd_qemu_log_tail(vm, log_start, msg, sizeof(msg));
		rc = cd_qemu_fail(vm, -EREMOTEIO, "QEMU failed to start: %s",
				  msg[0] ? msg : "no message");
		goto out;
	}
	if (!cd_qemu_pid(vm))
		rc = cd_qemu_fail(vm, -ESRCH, "QEMU started but its pidfile names no "
				  "live QEMU");
out:
	for (i = 0; i < n_taps; i++)
		close(taps[i]);	/* QEMU holds its own copies */
	if (log_fd >= 0)
		close(log_fd);
	cd_qemu_argv_free(argv);
	return rc;
}
