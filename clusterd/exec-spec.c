/*
 * exec-spec.c - an executor request as the agent will see it: the agent's
 * path under OCF_ROOT, checked at once, and an environment built only from
 * the request (never from the daemon's own environment).
 */
#include "exec-int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct envb {
	char **v;
	size_t n, cap;
	int err;
};

/* Set KEY=VALUE, replacing an earlier KEY (the caller's extras win). */
static void
env_put(struct envb *b, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1, i;
	char *dup;

	if (b->err)
		return;
	dup = strdup(kv);
	if (!dup) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < b->n; i++) {
		if (strncmp(b->v[i], kv, klen) == 0) {
			free(b->v[i]);
			b->v[i] = dup;
			return;
		}
	}
	if (b->n + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char **v = realloc(b->v, cap * sizeof(*v));

		if (!v) {
			free(dup);
			b->err = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = dup;
	b->v[b->n] = NULL;
}

static void __attribute__((format(printf, 2, 3)))
env_printf(struct envb *b, const char *fmt, ...)
{
	va_list ap;
	char *kv;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&kv, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -ENOMEM;
		return;
	}
	env_put(b, kv);
	free(kv);
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int
env_add_params(struct envb *b, json_object *params)
{
	if (!params)
		return 0;
	if (!json_object_is_type(params, json_type_object))
		return -EINVAL;
	json_object_object_foreach(params, name, val) {
		if (name[0] == '\0' || strchr(name, '=') || strlen(name) > 200)
			return -EINVAL;
		switch (json_object_get_type(val)) {
		case json_type_null:
			continue;
		case json_type_string:
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			break;
		default:
			return -EINVAL;
		}
		env_printf(b, OCF_RESKEY_PREFIX "%s=%s", name, json_object_get_string(val));
	}
	return 0;
}

/* "ocf:PROVIDER:TYPE" -> provider and type, each a plain file name. */
static int
parse_agent(const char *agent, char *prov, size_t plen, char *type, size_t tlen)
{
	const char *p, *t;
	size_t n;

	if (strncmp(agent, "ocf:", 4) != 0)
		return -EINVAL;
	p = agent + 4;
	t = strchr(p, ':');
	if (!t)
		return -EINVAL;
	n = (size_t)(t - p);
	t++;
	if (n == 0 || n >= plen || *t == '\0' || strlen(t) >= tlen ||
	    strchr(t, ':') || strchr(t, '/') || memchr(p, '/', n))
		return -EINVAL;
	memcpy(prov, p, n);
	prov[n] = '\0';
	strcpy(type, t);
	if (strcmp(prov, ".") == 0 || strcmp(prov, "..") == 0 ||
	    strcmp(type, ".") == 0 || strcmp(type, "..") == 0)
		return -EINVAL;
	return 0;
}

void
exec_spec_clear(struct op_spec *s)
{
	free(s->rsc_id);
	free(s->agent);
	free(s->action);
	free(s->path);
	strv_free(s->envp);
	memset(s, 0, sizeof(*s));
}

int
exec_spec_build(struct cd_exec *ex, const struct cd_op_request *req,
	   cd_op_done_fn done, void *ctx, struct op_spec *s)
{
	char prov[128], type[128];
	struct envb b = { 0 };
	struct stat st;
	size_t i;
	int rc;

	memset(s, 0, sizeof(*s));
	if (req)
		s->on_line = req->on_line;
	if (!req || !req->agent || !req->action || !req->action[0] ||
	    strchr(req->action, '/') || (req->rsc_id && !req->rsc_id[0]))
		return -EINVAL;
	rc = parse_agent(req->agent, prov, sizeof(prov), type, sizeof(type));
	if (rc < 0)
		return rc;
	if (asprintf(&s->path, "%s/resource.d/%s/%s", ex->ocf_root, prov, type) < 0) {
		s->path = NULL;
		return -ENOMEM;
	}
	if (stat(s->path, &st) < 0) {
		rc = (errno == ENOENT || errno == ENOTDIR) ? -ENOENT : -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto fail;
	}
	if (access(s->path, X_OK) < 0) {
		rc = -EACCES;
		goto fail;
	}

	env_put(&b, EXEC_BASE_PATH);
	env_put(&b, "LANG=C");
	env_printf(&b, "OCF_ROOT=%s", ex->ocf_root);
	env_printf(&b, "OCF_FUNCTIONS_DIR=%s/lib/heartbeat", ex->ocf_root);
	env_put(&b, "OCF_RA_VERSION_MAJOR=1");
	env_put(&b, "OCF_RA_VERSION_MINOR=1");
	env_printf(&b, "OCF_RESOURCE_PROVIDER=%s", prov);
	env_printf(&b, "OCF_RESOURCE_TYPE=%s", type);
	if (req->rsc_id)
		env_printf(&b, "OCF_RESOURCE_INSTANCE=%s", req->rsc_id);
	s->timeout_ms = req->timeout_ms ? req->timeout_ms : EXEC_DEFAULT_TIMEOUT_MS;
	s->interval_ms = req->interval_ms;
	env_printf(&b, "OCF_RESKEY_CRM_meta_timeout=%" PRIu32, s->timeout_ms);
	env_printf(&b, "OCF_RESKEY_CRM_meta_interval=%" PRIu32, s->interval_ms);
	rc = env_add_params(&b, req->params);
	if (rc < 0)
		goto fail;
	if (ex->env_fn) {
		const char *const *cl = ex->env_fn(ex->env_ctx);

		for (i = 0; cl && cl[i]; i++) {
			if (strchr(cl[i], '=') && cl[i][0] != '=')
				env_put(&b, cl[i]);
		}
	}
	for (i = 0; req->extra_env && req->extra_env[i]; i++) {
		const char *kv = req->extra_env[i];

		if (kv[0] == '=' || !strchr(kv, '=')) {
			rc = -EINVAL;
			goto fail;
		}
		env_put(&b, kv);
	}
	if (b.err) {
		rc = b.err;
		goto fail;
	}
	s->envp = b.v;
	s->rsc_id = req->rsc_id ? strdup(req->rsc_id) : NULL;
	s->agent = strdup(req->agent);
	s->action = strdup(req->action);
	s->done = done;
	s->ctx = ctx;
	if ((req->rsc_id && !s->rsc_id) || !s->agent || !s->action) {
		exec_spec_clear(s);
		return -ENOMEM;
	}
	return 0;

fail:
	strv_free(b.v);
	free(s->path);
	s->path = NULL;
	return rc;
}

int
exec_spec_copy(const struct op_spec *src, struct op_spec *dst)
{
	size_t n = 0, i;

	memset(dst, 0, sizeof(*dst));
	*dst = *src;
	dst->rsc_id = dst->agent = dst->action = dst->path = NULL;
	dst->envp = NULL;
	while (src->envp[n])
		n++;
	dst->envp = calloc(n + 1, sizeof(char *));
	if (!dst->envp)
		goto fail;
	for (i = 0; i < n; i++) {
		dst->envp[i] = strdup(src->envp[i]);
		if (!dst->envp[i])
			goto fail;
	}
	dst->rsc_id = src->rsc_id ? strdup(src->rsc_id) : NULL;
	dst->agent = strdup(src->agent);
	dst->action = strdup(src->action);
	dst->path = strdup(src->path);
	if ((src->rsc_id && !dst->rsc_id) || !dst->agent || !dst->action || !dst->path)
		goto fail;
	return 0;
fail:
	exec_spec_clear(dst);
	return -ENOMEM;
}
