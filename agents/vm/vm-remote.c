/*
 * vm-remote.c - an action of the vm agent on another node, over ssh
 * (vm-remote.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ocf.h"
#include "timeutil.h"
#include "vm-remote.h"

extern char **environ;

#define CMD_MAX		32768

struct buf {
	char *s;
	size_t len, cap;
};

static int
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		return -E2BIG;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* One word for the remote shell: 'text', a ' inside as '\''. */
static int
put_quoted(struct buf *b, const char *s)
{
	int rc = put(b, " '", 2);

	for (; !rc && *s; s++)
		rc = *s == '\'' ? put(b, "'\\''", 4) : put(b, s, 1);
	return rc ? rc : put(b, "'", 1);
}

/* What the remote agent gets of our environment (vm-remote.h). */
static bool
forwarded(const char *kv)
{
	if (!strncmp(kv, "OCF_EXIT_REASON_PREFIX=", 23) ||
	    !strncmp(kv, "OCF_RESKEY_CRM_meta_timeout=", 28))
		return false;
	return !strncmp(kv, "OCF_", 4) || !strncmp(kv, "CD_", 3) ||
	       !strncmp(kv, "CLUSTERD_", 9);
}

/* "exec env K=V... AGENT ACTION 2>&1" for the remote shell. */
static int
remote_command(struct buf *b, const char *action, uint32_t timeout_ms)
{
	char self[PATH_MAX], t[64];
	char **e;
	int rc;

	if (!realpath("/proc/self/exe", self))
		return -errno;
	rc = put(b, "exec env", 8);
	for (e = environ; !rc && *e; e++)
		if (forwarded(*e))
			rc = put_quoted(b, *e);
	snprintf(t, sizeof(t), "OCF_RESKEY_CRM_meta_timeout=%u", timeout_ms);
	if (!rc)
		rc = put_quoted(b, t);
	if (!rc)
		rc = put_quoted(b, self);
	if (!rc)
		rc = put_quoted(b, action);
	return rc ? rc : put(b, " 2>&1", 5);
}

/* argv: the words of migration_ssh, the host, the command. */
static int
ssh_argv(char *words, char *host, char *cmd, char **argv)
{
	size_t n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n + 3 >= VM_REMOTE_ARGS_MAX)
			return -E2BIG;
		argv[n++] = w;
	}
	if (!n || host[0] == '-')
		return -EINVAL;
	argv[n++] = host;
	argv[n++] = cmd;
	argv[n] = NULL;
	return 0;
}

static pid_t
spawn(char **argv, int *out_fd)
{
	int p[2], devnull;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0)
			_exit(127);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	*out_fd = p[0];
	return pid;
}

/* A whole line of the remote output: a result wanted, or a copy on stderr
 * (the last one kept as the reason). */
static void
line(const char *l, const char *host, const char *want, char *out, size_t outlen,
     bool *found, char *last, size_t lastlen)
{
	size_t wl = want ? strlen(want) : 0;

	if (wl && !*found && !strncmp(l, want, wl)) {
		snprintf(out, outlen, "%s", l + wl);
		*found = true;
		return;
	}
	if (!*l)
		return;
	fprintf(stderr, "vm: %s: %s\n", host, l);
	snprintf(last, lastlen, "%s", l);
}

/* Read the remote output until EOF, the deadline or a cancel. */
static int
collect(int fd, uint64_t deadline, volatile const int *cancel, const char *host,
	const char *want, char *out, size_t outlen, bool *found, char *last, size_t lastlen)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = cd_now_mono_ms();
		char *nl;
		int r;

		if (cancel && *cancel)
			return -ECANCELED;
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, deadline - now > 200 ? 200 : (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			line(buf, host, want, out, outlen, found, last, lastlen);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1) {	/* an endless line: take it as one */
			line(buf, host, want, out, outlen, found, last, lastlen);
			len = 0;
		}
	}
	if (len) {
		buf[len] = '\0';
		line(buf, host, want, out, outlen, found, last, lastlen);
	}
	return 0;
}

int
vm_remote_run(const char *host, const char *action, uint32_t timeout_ms,
	      const char *want, char *out, size_t outlen,
	      volatile const int *cancel, char *err, size_t errlen)
{
	const char *ssh = ocf_param("migration_ssh");
	uint64_t deadline = cd_now_mono_ms() + timeout_ms;
	char *argv[VM_REMOTE_ARGS_MAX], words[1024], last[512] = "", node[256];
	struct buf cmd = { .cap = CMD_MAX };
	bool found = false;
	int fd = -1, rc, status = 0;
	pid_t pid;

	snprintf(err, errlen, "%s on %s failed", action, host);
	if (outlen)
		out[0] = '\0';
	snprintf(words, sizeof(words), "%s", ssh ? ssh : VM_REMOTE_SSH_DEFAULT);
	snprintf(node, sizeof(node), "%s", host);
	cmd.s = malloc(cmd.cap);
	if (!cmd.s)
		return -ENOMEM;
	/* the remote agent ends a second before us: its error comes back */
	rc = remote_command(&cmd, action, timeout_ms > 3000 ? timeout_ms - 2000 : timeout_ms);
	if (!rc)
		rc = ssh_argv(words, node, cmd.s, argv);
	if (rc) {
		snprintf(err, errlen, "cannot build the ssh command to %s: %s", host,
			 rc == -EINVAL ? "bad migration_ssh or node name" : strerror(-rc));
		free(cmd.s);
		return rc;
	}
	pid = spawn(argv, &fd);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror((int)-pid));
		free(cmd.s);
		return (int)pid;
	}
	rc = collect(fd, deadline, cancel, host, want, out, outlen, &found, last, sizeof(last));
	close(fd);
	if (rc)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(cmd.s);
	if (rc) {
		snprintf(err, errlen, "%s on %s: %s", action, host,
			 rc == -ETIMEDOUT ? "no answer in time" :
			 rc == -ECANCELED ? "cancelled" : strerror(-rc));
		return rc;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	if (rc == 255 || rc == 127) {	/* ssh's own failure, or no ssh */
		snprintf(err, errlen, "ssh to %s failed%s%s", host, last[0] ? ": " : "", last);
		return -EHOSTUNREACH;
	}
	if (rc == 0 && want && !found) {
		snprintf(err, errlen, "%s on %s printed no %s", action, host, want);
		return -EPROTO;
	}
	if (rc)
		snprintf(err, errlen, "%s on %s failed (rc %d)%s%s", action, host, rc,
			 last[0] ? ": " : "", last);
	return rc;
}

void
vm_remote_abort(const char *host)
{
	char err[512];

	if (vm_remote_run(host, "migrate_abort", 30000, NULL, NULL, 0, NULL, err, sizeof(err)))
		fprintf(stderr, "vm: rollback: %s\n", err);
}

int
vm_remote_prepare(const char *host, uint32_t timeout_ms, char *uri, size_t len,
		  volatile const int *cancel, char *err, size_t errlen)
{
	int rc = vm_remote_run(host, "migrate_prepare", timeout_ms, "uri=", uri, len,
			       cancel, err, errlen);

	if (rc)
		vm_remote_abort(host);
	return rc;
}
