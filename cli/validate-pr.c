/*
 * validate-pr.c - the SCSI-3 persistent reservation compliance test of
 * `clusterctl validate`, run between two nodes.
 *
 * On each node, one `clusterd-pr --json --script URL` over ssh: one iSCSI
 * session (one I_T nexus) kept for the whole test, fed one command at a time
 * and answering one JSON line each, so the two nodes' commands interleave
 * in the order the test needs. The ssh command is the constant "sh -s"; the
 * first line sent is the exec of clusterd-pr with validated arguments (the
 * URL in canonical form, the initiator built from [a-z0-9.-] only).
 */
#include "validate.h"
#include "ssh.h"
#include "iscsi-url.h"
#include "timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#define STEP_TIMEOUT_MS		15000
#define LOGIN_TIMEOUT_MS	20000
#define LINE_MAX_LEN		4096

struct psess {
	const char *host;
	pid_t pid;
	int in, out;
	char buf[LINE_MAX_LEN];
	size_t len;
};

static int
psess_send(struct psess *s, const char *line)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t w = write(s->in, line + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return 0;
}

/* One line of output within timeout_ms: parsed JSON (new ref) or NULL. */
static json_object *
psess_line(struct psess *s, int timeout_ms)
{
	uint64_t deadline = cd_now_mono_ms() + (uint64_t)timeout_ms;

	for (;;) {
		char *nl = memchr(s->buf, '\n', s->len);
		struct pollfd p = { .fd = s->out, .events = POLLIN };
		uint64_t now;
		ssize_t r;

		if (nl) {
			json_object *o;

			*nl = '\0';
			o = json_tokener_parse(s->buf);
			s->len -= (size_t)(nl + 1 - s->buf);
			memmove(s->buf, nl + 1, s->len);
			if (o)
				return o;
			continue;	/* a login banner or noise: skip */
		}
		if (s->len == sizeof(s->buf) - 1)
			s->len = 0;
		now = cd_now_mono_ms();
		if (now >= deadline || poll(&p, 1, (int)(deadline - now)) <= 0)
			return NULL;
		r = read(s->out, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
		if (r <= 0)
			return NULL;
		s->len += (size_t)r;
	}
}

static int
psess_open(struct psess *s, const char *host, const char *url, const char *tag,
	   json_object **connect)
{
	struct ctl_ssh_argv sa;
	int in[2], out[2];
	char line[1024], initiator[128];
	size_t i;

	memset(s, 0, sizeof(*s));
	s->host = host;
	s->in = s->out = -1;
	*connect = NULL;
	if (ctl_ssh_argv_init(&sa, host) < 0)
		return -EINVAL;
	snprintf(initiator, sizeof(initiator), "iqn.2026-11.org.clusterd:validate:%s-%s", tag, host);
	for (i = 0; initiator[i]; i++)
		if (initiator[i] >= 'A' && initiator[i] <= 'Z')
			initiator[i] = (char)(initiator[i] - 'A' + 'a');
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	s->pid = fork();
	if (s->pid == 0) {
		int dn = open("/dev/null", O_WRONLY);

		dup2(in[0], 0);
		dup2(out[1], 1);
		if (dn >= 0)
			dup2(dn, 2);
		execvp(sa.argv[0], sa.argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->in = in[1];
	s->out = out[0];
	if (s->pid < 0) {
		close(s->in);
		close(s->out);
		return -EAGAIN;
	}
	snprintf(line, sizeof(line), "PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin exec clusterd-pr "
		 "--json --timeout 5000 --initiator %s --script '%s'\n", initiator, url);
	if (psess_send(s, line) < 0)
		return -EPIPE;
	*connect = psess_line(s, LOGIN_TIMEOUT_MS);
	return *connect ? 0 : -ETIMEDOUT;
}

static void
psess_close(struct psess *s)
{
	uint64_t deadline = cd_now_mono_ms() + 5000;
	int status;

	if (s->in >= 0)
		close(s->in);	/* EOF: clusterd-pr logs out and exits */
	if (s->out >= 0)
		close(s->out);
	s->in = s->out = -1;
	if (s->pid <= 0)
		return;
	while (waitpid(s->pid, &status, WNOHANG) == 0) {
		if (cd_now_mono_ms() > deadline) {
			kill(s->pid, SIGKILL);	/* our own ssh child */
			waitpid(s->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	s->pid = 0;
}

static const char *
jget(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

/* One step: node (0 = A, 1 = B) sends cmd; expect "ok" or an error name. */
struct step {
	int node;
	const char *cmd;	/* printf format; %1$s = key A, %2$s = key B, %3$s = key A2 */
	const char *expect;	/* "ok", "conflict", "preempted", "holder=A", "nokeys" ... */
	const char *what;
};

#define KA "0x56414c0000000a01"	/* "VAL": validate's keys, never a cluster's */
#define KB "0x56414c0000000b02"
#define KA2 "0x56414c0000000a03"

static const struct step steps[] = {
	{ 0, "register " KA, "ok", "A registers" },
	{ 1, "register " KB, "ok", "B registers" },
	{ 1, "keys", "keys=2", "both keys are listed (READ KEYS)" },
	{ 0, "reserve " KA " EA", "ok", "A reserves (Exclusive Access)" },
	{ 1, "reservation", "holder=" KA, "B sees A's reservation" },
	{ 1, "write 8", "conflict", "B's write is refused: reservation conflict" },
	{ 0, "write 8", "ok", "A, the holder, writes" },
	{ 1, "preempt " KB " " KA " EA", "ok", "B preempts A (fencing)" },
	{ 0, "write 8", "preempted|conflict", "A's next write fails: reservations preempted" },
	{ 0, "write 8", "conflict", "A's later writes: reservation conflict" },
	{ 1, "reservation", "holder=" KB, "B holds the reservation" },
	{ 1, "write 8", "ok", "B writes" },
	{ 1, "release " KB " EA", "ok", "B releases" },
	{ 1, "reservation", "none", "no reservation after the release" },
	{ 0, "register-ignore " KA2, "ok", "A registers again with REGISTER AND IGNORE EXISTING KEY" },
	{ 1, "keys", "keys=2", "B's and A's new key are listed" },
	{ 1, "clear " KB, "ok", "B clears every registration" },
	{ 0, "tur", "preempted", "A is told: reservations preempted (unit attention after CLEAR)" },
	{ 0, "keys", "keys=0", "no keys left after CLEAR" },
};

/* Does answer o match expect? Writes what happened into got. */
static bool
matches(json_object *o, const char *expect, char *got, size_t len)
{
	bool ok = strcmp(jget(o, "ok"), "true") == 0;
	const char *err = jget(o, "error");

	if (!o) {
		snprintf(got, len, "no answer (timeout or session lost)");
		return false;
	}
	if (!ok) {
		snprintf(got, len, "%s: %s", err, jget(o, "message"));
		return strstr(expect, err) != NULL && strncmp(expect, "ok", 2) != 0 &&
		       strncmp(expect, "keys=", 5) && strncmp(expect, "holder=", 7) &&
		       strcmp(expect, "none");
	}
	if (strncmp(expect, "keys=", 5) == 0) {
		snprintf(got, len, "%s keys: %s", jget(o, "count"), jget(o, "keys"));
		return strcmp(jget(o, "count"), expect + 5) == 0;
	}
	if (strncmp(expect, "holder=", 7) == 0) {
		snprintf(got, len, "holder %s %s", jget(o, "holder"), jget(o, "type"));
		return strcasecmp(jget(o, "holder"), expect + 7) == 0;
	}
	if (strcmp(expect, "none") == 0) {
		snprintf(got, len, "reserved: %s", jget(o, "reserved"));
		return strcmp(jget(o, "reserved"), "false") == 0;
	}
	snprintf(got, len, "ok");
	return strcmp(expect, "ok") == 0;
}

void
v_pr_test(struct v_report *rep, const char *url, const char *a, const char *b)
{
	struct psess s[2];
	struct v_result *r;
	json_object *con[2] = { NULL, NULL }, *caps;
	char line[256], got[512], name[64];
	size_t i, bad = 0;
	int rc0, rc1;

	snprintf(name, sizeof(name), "SCSI-3 persistent reservations");
	r = v_add(rep, "storage", name, V_PASS, "%s: compliant between %s and %s", url, a, b);
	rc0 = psess_open(&s[0], a, url, "a", &con[0]);
	rc1 = psess_open(&s[1], b, url, "b", &con[1]);
	if (rc0 < 0 || rc1 < 0 || strcmp(jget(con[0], "ok"), "true") ||
	    strcmp(jget(con[1], "ok"), "true")) {
		v_worsen(r, V_FAIL);
		snprintf(r->reason, sizeof(r->reason), "%s: cannot open a session from %s",
			 url, rc0 < 0 || strcmp(jget(con[0], "ok"), "true") ? a : b);
		v_detail(r, "%s: %s", a, con[0] ? jget(con[0], "message") : "no answer over ssh");
		v_detail(r, "%s: %s", b, con[1] ? jget(con[1], "message") : "no answer over ssh");
		goto out;
	}
	psess_send(&s[0], "caps\n");
	caps = psess_line(&s[0], STEP_TIMEOUT_MS);
	v_detail(r, "capabilities: types %s, persist through power loss: %s", jget(caps, "types"),
		 jget(caps, "ptpl_capable"));
	json_object_put(caps);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *st = &steps[i];
		json_object *o;
		bool ok;

		snprintf(line, sizeof(line), "%s\n", st->cmd);
		if (psess_send(&s[st->node], line) < 0) {
			o = NULL;
		} else {
			o = psess_line(&s[st->node], STEP_TIMEOUT_MS);
		}
		ok = matches(o, st->expect, got, sizeof(got));
		v_detail(r, "%s %-2s %s: %s%s%s%s", ok ? "ok  " : "FAIL", st->node ? "B" : "A",
			 st->what, got, ok ? "" : " (expected ", ok ? "" : st->expect, ok ? "" : ")");
		if (!ok)
			bad++;
		json_object_put(o);
		if (!o)
			break;	/* a session is gone: the rest would only repeat it */
	}
	if (bad) {
		v_worsen(r, V_FAIL);
		snprintf(r->reason, sizeof(r->reason), "%s: %zu of %zu steps do not behave as "
			 "SPC-3 requires: failover is unsafe on this storage", url, bad,
			 sizeof(steps) / sizeof(steps[0]));
	}
	/* Leave nothing behind whatever happened. */
	psess_send(&s[1], "clear " KB "\n");
	json_object_put(psess_line(&s[1], STEP_TIMEOUT_MS));
out:
	json_object_put(con[0]);
	json_object_put(con[1]);
	psess_close(&s[0]);
	psess_close(&s[1]);
}
