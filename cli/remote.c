/*
 * remote.c - jobs of the helper script (remote.sh, embedded at build time)
 * on cluster nodes over ssh, and the base64 that carries files inside it.
 *
 * A job's stdin is the helper script, then NAME='VALUE' lines, then
 * "main OP </dev/null". Values are restricted to a quote-free charset
 * (base64 for file contents), so the script text is safe by construction.
 */
#include "cluster.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* remote.sh, generated into remote-script.c by cmake/embed.cmake */
extern const unsigned char ctl_remote_sh[];
extern const size_t ctl_remote_sh_len;

static bool
value_ok(const char *v)
{
	for (; *v; v++) {
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || strchr("+/=._,:-", *v)))
			return false;
	}
	return true;
}

static bool
var_name_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++) {
		if (!((*v >= 'A' && *v <= 'Z') || *v == '_' || (*v >= '0' && *v <= '9')))
			return false;
	}
	return true;
}

int
cl_job_init(struct cl_job *j, const char *host, const char *op,
	    const char *const *vars, int timeout_ms)
{
	size_t len = ctl_remote_sh_len + strlen(op) + 64, k;
	char *p;
	int rc;

	memset(j, 0, sizeof(*j));
	rc = ctl_ssh_argv_init(&j->sa, host);
	if (rc < 0)
		return rc;
	snprintf(j->host, sizeof(j->host), "%s", host);
	if (!var_name_ok("OP") || !value_ok(op))
		return -EINVAL;
	for (k = 0; vars && vars[k]; k += 2) {
		if (!vars[k + 1] || !var_name_ok(vars[k]) || !value_ok(vars[k + 1]))
			return -EINVAL;
		len += strlen(vars[k]) + strlen(vars[k + 1]) + 8;
	}
	j->script = malloc(len);
	if (!j->script)
		return -ENOMEM;
	memcpy(j->script, ctl_remote_sh, ctl_remote_sh_len);
	p = j->script + ctl_remote_sh_len;
	*p++ = '\n';
	for (k = 0; vars && vars[k]; k += 2)
		p += sprintf(p, "%s='%s'\n", vars[k], vars[k + 1]);
	/* One line, read whole before it runs: nothing reads the rest of stdin. */
	p += sprintf(p, "main %s </dev/null\nexit $?\n", op);
	j->script_len = (size_t)(p - j->script);
	j->proc.argv = j->sa.argv;
	j->proc.input = j->script;
	j->proc.input_len = j->script_len;
	j->proc.timeout_ms = timeout_ms;
	return 0;
}

void
cl_job_clear(struct cl_job *j)
{
	/* The script may hold the authkey: do not leave it in freed memory. */
	if (j->script)
		memset(j->script, 0, j->script_len);
	free(j->script);
	j->script = NULL;
	if (j->proc.out)
		memset(j->proc.out, 0, j->proc.out_len);
	ctl_proc_clear(&j->proc);
}

struct jobs_cb {
	void (*done)(struct cl_job *j, void *arg);
	void *arg;
};

static void
proc_done(struct ctl_proc *p, void *arg)
{
	struct jobs_cb *cb = arg;
	struct cl_job *j = (struct cl_job *)(void *)((char *)p - offsetof(struct cl_job, proc));

	cb->done(j, cb->arg);
}

void
cl_jobs_run(struct cl_job *const *jobs, size_t n,
	    void (*done)(struct cl_job *j, void *arg), void *arg)
{
	struct ctl_proc **procs = calloc(n ? n : 1, sizeof(*procs));
	struct jobs_cb cb = { done, arg };
	size_t i;

	if (!procs) {
		for (i = 0; i < n; i++) {
			jobs[i]->proc.status = -1;
			jobs[i]->proc.spawn_errno = ENOMEM;
		}
		return;
	}
	for (i = 0; i < n; i++)
		procs[i] = &jobs[i]->proc;
	ctl_proc_run(procs, n, done ? proc_done : NULL, &cb);
	free(procs);
}

/* The helper's first line; a login script of the node may print before it. */
static bool
helper_answered(const struct cl_job *j)
{
	const char *o = j->proc.out;

	return o && (strncmp(o, "helper=1\n", 9) == 0 || strstr(o, "\nhelper=1\n"));
}

int
cl_job_result(const struct cl_job *j, const char **why)
{
	const struct ctl_proc *p = &j->proc;

	/* Not the helper's doing: no ssh, no connection, or no answer. */
	if (p->spawn_errno || p->timed_out || p->status == CTL_SSH_FAILED) {
		*why = ctl_proc_reason(p);
		return CTL_SSH_FAILED;
	}
	if (p->status != 0) {
		*why = ctl_proc_reason(p);
		return p->status;
	}
	if (!helper_answered(j)) {
		*why = "unexpected answer from the node (is 'sh' a POSIX shell there?)";
		return 1;
	}
	*why = "ok";
	return 0;
}

char *
cl_job_value(const struct cl_job *j, const char *key)
{
	const char *s = j->proc.out;
	size_t klen = strlen(key);

	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len > klen && strncmp(s, key, klen) == 0 && s[klen] == '=')
			return strndup(s + klen + 1, len - klen - 1);
		s = e ? e + 1 : NULL;
	}
	return NULL;
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
cl_b64_encode(const void *data, size_t len)
{
	const unsigned char *in = data;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*o++ = b64chars[v >> 18 & 63];
		*o++ = b64chars[v >> 12 & 63];
		*o++ = b64chars[v >> 6 & 63];
		*o++ = b64chars[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		*o++ = b64chars[v >> 18 & 63];
		*o++ = b64chars[v >> 12 & 63];
		*o++ = i + 1 < len ? b64chars[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
b64val(char c)
{
	const char *p = c ? strchr(b64chars, c) : NULL;

	return p ? (int)(p - b64chars) : -1;
}

char *
cl_b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), o = 0;
	char *out;
	uint32_t acc = 0;
	int bits = 0;

	out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '=')
			break;
		v = b64val(s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}
