/*
 * ssh.c - child processes with pipes and deadlines; the ssh command line.
 *
 * Every child runs concurrently (one poll loop over all pipes), so checking
 * or configuring 16 nodes takes as long as the slowest one, not the sum.
 */
#include "ssh.h"
#include "timeutil.h"
#include "valid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_OUT_MAX (8u << 20)
#define PROC_KILL_GRACE_MS 2000
#define PROC_POLL_MS 50
#define SSH_CONNECT_TIMEOUT_S 10

bool
ctl_host_valid(const char *host)
{
	/* lib/valid.h V2: what ssh is given can never read as an option */
	return cd_valid_hostname("host", host, NULL, 0) == 0 &&
	       strlen(host) <= CTL_HOST_MAX;
}

/* Connection sharing: the socket directory and the hosts that used it. */
static char mux_dir[64];
static char **mux_hosts;
static size_t mux_n;

void
ctl_ssh_mux_begin(void)
{
	snprintf(mux_dir, sizeof(mux_dir), "/tmp/clusterctl-ssh.XXXXXX");
	if (!mkdtemp(mux_dir))
		mux_dir[0] = '\0';
}

static void
mux_note(const char *host)
{
	char **nh;

	for (size_t i = 0; i < mux_n; i++) {
		if (strcmp(mux_hosts[i], host) == 0)
			return;
	}
	nh = realloc(mux_hosts, (mux_n + 1) * sizeof(*nh));
	if (!nh)
		return;
	mux_hosts = nh;
	mux_hosts[mux_n] = strdup(host);
	if (mux_hosts[mux_n])
		mux_n++;
}

/* A master removes its socket a moment after "-O exit" answered: wait for
 * that (2 s at most), then remove what is left and the directory. */
static void
mux_rmdir(void)
{
	uint64_t end = cd_now_mono_ms() + 2000;
	struct dirent *e;
	char path[PATH_MAX];
	bool left;
	DIR *d;

	do {
		left = false;
		d = opendir(mux_dir);
		while (d && (e = readdir(d))) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				left = true;
		}
		if (d)
			closedir(d);
		if (left)
			usleep(20000);
	} while (left && cd_now_mono_ms() < end);
	d = left ? opendir(mux_dir) : NULL;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    snprintf(path, sizeof(path), "%s/%s", mux_dir, e->d_name) < (int)sizeof(path))
			unlink(path);	/* its master ends on its own when idle */
	}
	if (d)
		closedir(d);
	rmdir(mux_dir);
	mux_dir[0] = '\0';
}

void
ctl_ssh_mux_end(void)
{
	size_t n = mux_n ? mux_n : 1;
	struct ctl_proc *procs = calloc(n, sizeof(*procs));
	struct ctl_proc **pp = calloc(n, sizeof(*pp));
	char *(*argv)[8] = calloc(n, sizeof(*argv));
	char opt[96];

	if (!mux_dir[0])
		goto out;
	snprintf(opt, sizeof(opt), "ControlPath=%s/%%C", mux_dir);
	for (size_t i = 0; procs && pp && argv && i < mux_n; i++) {
		char *a[8] = { (char *)"ssh", (char *)"-o", opt, (char *)"-O",
			       (char *)"exit", (char *)"--", mux_hosts[i], NULL };

		memcpy(argv[i], a, sizeof(a));
		procs[i].argv = argv[i];
		procs[i].timeout_ms = 5000;
		pp[i] = &procs[i];
	}
	if (procs && pp && argv) {
		ctl_proc_run(pp, mux_n, NULL, NULL);
		for (size_t i = 0; i < mux_n; i++)
			ctl_proc_clear(&procs[i]);
	}
	mux_rmdir();
out:
	for (size_t i = 0; i < mux_n; i++)
		free(mux_hosts[i]);
	free(mux_hosts);
	mux_hosts = NULL;
	mux_n = 0;
	free(procs);
	free(pp);
	free(argv);
}

int
ctl_ssh_argv_init(struct ctl_ssh_argv *a, const char *host)
{
	size_t i = 0;

	if (!ctl_host_valid(host))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	snprintf(a->host, sizeof(a->host), "%s", host);
	snprintf(a->timeout_opt, sizeof(a->timeout_opt), "ConnectTimeout=%d",
		 SSH_CONNECT_TIMEOUT_S);
	a->argv[i++] = (char *)"ssh";
	a->argv[i++] = (char *)"-T";		/* no tty: stdin is the script */
	a->argv[i++] = (char *)"-x";
	a->argv[i++] = (char *)"-a";
	a->argv[i++] = (char *)"-o";
	a->argv[i++] = (char *)"BatchMode=yes";	/* fail instead of prompting */
	a->argv[i++] = (char *)"-o";
	a->argv[i++] = a->timeout_opt;
	a->argv[i++] = (char *)"-o";
	a->argv[i++] = (char *)"ServerAliveInterval=5";
	a->argv[i++] = (char *)"-o";
	a->argv[i++] = (char *)"ServerAliveCountMax=3";
	if (mux_dir[0]) {
		snprintf(a->control_opt, sizeof(a->control_opt), "ControlPath=%s/%%C",
			 mux_dir);
		a->argv[i++] = (char *)"-o";
		a->argv[i++] = (char *)"ControlMaster=auto";
		a->argv[i++] = (char *)"-o";
		a->argv[i++] = a->control_opt;
		a->argv[i++] = (char *)"-o";
		a->argv[i++] = (char *)"ControlPersist=60";
		mux_note(host);
	}
	a->argv[i++] = (char *)"-l";
	a->argv[i++] = (char *)"root";
	a->argv[i++] = (char *)"--";
	a->argv[i++] = a->host;
	/* A constant: the remote login shell never sees anything of ours. */
	a->argv[i++] = (char *)"sh -s";
	a->argv[i] = NULL;
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: stdio from the pipes, nothing else open, default signals. */
static _Noreturn void
child_exec(struct ctl_proc *p, int in, int out, int err)
{
	sigset_t none;
	int devnull;

	if (in < 0) {
		devnull = open("/dev/null", O_RDONLY);
		in = devnull;
	}
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(p->argv[0], p->argv);
	dprintf(2, "cannot run %s: %s\n", p->argv[0], strerror(errno));
	_exit(127);
}

static int
proc_start(struct ctl_proc *p, uint64_t now)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int err;

	p->fd_in = p->fd_out = p->fd_err = -1;
	if ((p->input && pipe2(pin, O_CLOEXEC) < 0) ||
	    pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0)
		goto fail;
	p->pid = fork();
	if (p->pid < 0)
		goto fail;
	if (p->pid == 0)
		child_exec(p, pin[0], pout[1], perr[1]);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	p->fd_in = pin[1];
	p->fd_out = pout[0];
	p->fd_err = perr[0];
	if (p->fd_in >= 0)
		fcntl(p->fd_in, F_SETFL, O_NONBLOCK);
	fcntl(p->fd_out, F_SETFL, O_NONBLOCK);
	fcntl(p->fd_err, F_SETFL, O_NONBLOCK);
	p->deadline_ms = now + (uint64_t)(p->timeout_ms > 0 ? p->timeout_ms : 60000);
	return 0;
fail:
	err = errno;
	for (int i = 0; i < 2; i++) {
		close_fd(&pin[i]);
		close_fd(&pout[i]);
		close_fd(&perr[i]);
	}
	p->status = -1;
	p->spawn_errno = err;
	p->reaped = true;
	return -err;
}

/* Read what is there; EOF or an error closes the fd. */
static void
drain(int *fd, char **buf, size_t *len)
{
	char chunk[16384];
	ssize_t n;

	while (*fd >= 0) {
		n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		if (*len + (size_t)n > PROC_OUT_MAX)
			continue;	/* keep reading so the child never blocks */
		char *nb = realloc(*buf, *len + (size_t)n + 1);

		if (!nb)
			continue;
		*buf = nb;
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

static void
feed(struct ctl_proc *p)
{
	ssize_t n;

	while (p->fd_in >= 0 && p->in_off < p->input_len) {
		n = write(p->fd_in, p->input + p->in_off, p->input_len - p->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {		/* EPIPE: the child does not read (any more) */
			close_fd(&p->fd_in);
			return;
		}
		p->in_off += (size_t)n;
	}
	close_fd(&p->fd_in);		/* all sent: EOF for the child */
}

static void
try_reap(struct ctl_proc *p)
{
	int st;
	pid_t r;

	if (p->reaped)
		return;
	r = waitpid(p->pid, &st, WNOHANG);
	if (r != p->pid)
		return;
	p->reaped = true;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	/* Whatever it wrote is in the pipes; a grandchild (an ssh
	 * ControlPersist master, say) may hold them open for ever. */
	drain(&p->fd_out, &p->out, &p->out_len);
	drain(&p->fd_err, &p->err, &p->err_len);
	close_fd(&p->fd_in);
	close_fd(&p->fd_out);
	close_fd(&p->fd_err);
}

static void
check_deadline(struct ctl_proc *p, uint64_t now)
{
	if (p->reaped || now < p->deadline_ms)
		return;
	if (!p->timed_out) {
		p->timed_out = true;
		kill(p->pid, SIGTERM);
		p->deadline_ms = now + PROC_KILL_GRACE_MS;
	} else {
		kill(p->pid, SIGKILL);
		p->deadline_ms = now + 3600 * 1000;	/* it dies; reap it */
	}
}

void
ctl_proc_run(struct ctl_proc *const *procs, size_t n,
	     void (*done)(struct ctl_proc *p, void *arg), void *arg)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct pollfd *pfd;
	size_t i, left;
	uint64_t now = cd_now_mono_ms();

	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	for (i = 0; i < n; i++) {
		struct ctl_proc *p = procs[i];

		p->out = calloc(1, 1);
		p->err = calloc(1, 1);
		p->out_len = p->err_len = 0;
		p->status = -1;
		p->timed_out = false;
		p->reaped = false;
		p->in_off = 0;
		p->spawn_errno = 0;
		if (!p->out || !p->err) {
			p->spawn_errno = ENOMEM;
			p->reaped = true;
			if (done)
				done(p, arg);
			continue;
		}
		if (proc_start(p, now) < 0 && done)
			done(p, arg);
	}
	pfd = calloc(3 * n + 1, sizeof(*pfd));
	for (;;) {
		size_t k = 0;
		int wait_ms = PROC_POLL_MS;

		now = cd_now_mono_ms();
		left = 0;
		for (i = 0; i < n; i++) {
			struct ctl_proc *p = procs[i];
			bool was = p->reaped;

			try_reap(p);
			check_deadline(p, now);
			if (p->reaped && !was && done)
				done(p, arg);
			if (p->reaped)
				continue;
			left++;
			if (!pfd)
				continue;
			if (p->fd_in >= 0)
				pfd[k++] = (struct pollfd){ p->fd_in, POLLOUT, 0 };
			if (p->fd_out >= 0)
				pfd[k++] = (struct pollfd){ p->fd_out, POLLIN, 0 };
			if (p->fd_err >= 0)
				pfd[k++] = (struct pollfd){ p->fd_err, POLLIN, 0 };
		}
		if (left == 0)
			break;
		/* Exits are noticed by waitpid at the next round: short polls. */
		if (k)
			poll(pfd, k, wait_ms);
		else
			usleep((useconds_t)wait_ms * 1000);
		for (i = 0; i < n; i++) {
			struct ctl_proc *p = procs[i];

			if (p->reaped)
				continue;
			feed(p);
			drain(&p->fd_out, &p->out, &p->out_len);
			drain(&p->fd_err, &p->err, &p->err_len);
		}
	}
	free(pfd);
	sigaction(SIGPIPE, &old, NULL);
}

void
ctl_proc_clear(struct ctl_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
	p->out_len = p->err_len = 0;
}

const char *
ctl_proc_reason(const struct ctl_proc *p)
{
	static char buf[512];
	const char *s, *e, *best_s = NULL, *best_e = NULL;

	if (p->spawn_errno) {
		snprintf(buf, sizeof(buf), "cannot run %s: %s", p->argv[0],
			 strerror(p->spawn_errno));
		return buf;
	}
	if (p->timed_out) {
		snprintf(buf, sizeof(buf), "no answer within %d s",
			 (p->timeout_ms + 999) / 1000);
		return buf;
	}
	/* The last non-empty line of stderr. */
	for (s = p->err; s && *s; s = e + 1) {
		const char *t;

		e = strchr(s, '\n');
		t = e ? e : s + strlen(s);
		while (t > s && (t[-1] == '\r' || t[-1] == ' '))
			t--;
		if (t > s) {
			best_s = s;
			best_e = t;
		}
		if (!e)
			break;
	}
	if (best_s) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(best_e - best_s), best_s);
		return buf;
	}
	snprintf(buf, sizeof(buf), "exit status %d", p->status);
	return buf;
}

bool
ctl_have_program(const char *prog)
{
	const char *path = getenv("PATH"), *s, *e;
	char file[PATH_MAX];

	if (!path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	for (s = path; *s; s = *e ? e + 1 : e) {
		e = strchr(s, ':');
		if (!e)
			e = s + strlen(s);
		if (e == s)
			continue;
		if (snprintf(file, sizeof(file), "%.*s/%s", (int)(e - s), s, prog) <
		    (int)sizeof(file) && access(file, X_OK) == 0)
			return true;
	}
	return false;
}
