/*
 * vm-predict.c - the live-migration prediction of the vm agent
 * (vm-predict.h).
 */
#include "vm-predict.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Node names as clusterd knows them: safe in a path. */
static bool
plain(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static int
link_path(const struct cd_hv_vm *vm, const char *target, char *buf, size_t size)
{
	int n;

	if (!plain(target) || !vm->cache_dir)
		return -EINVAL;
	n = snprintf(buf, size, "%s/vm-link/%s", vm->cache_dir, target);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static uint64_t
link_known(const struct cd_hv_vm *vm, const char *target)
{
	char path[PATH_MAX];
	unsigned long long v = 0;
	FILE *f;

	if (link_path(vm, target, path, sizeof(path)) || !(f = fopen(path, "re")))
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

void
vm_predict_learn(struct cd_hv_vm *vm, const char *target, const struct cd_hv_result *res)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], dir[PATH_MAX];
	FILE *f;

	if (!res->total_ms || !res->transferred || !strcmp(res->mode, "postcopy") ||
	    link_path(vm, target, path, sizeof(path)))
		return;
	snprintf(dir, sizeof(dir), "%s/vm-link", vm->cache_dir);
	mkdir(dir, 0755);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "we")))
		return;
	fprintf(f, "%" PRIu64 "\n", res->transferred * 1000 / res->total_ms);
	if (fclose(f) == 0)
		rename(tmp, path);
	else
		unlink(tmp);
}

void
vm_predict(const struct cd_hv_ops *ops, struct cd_hv_vm *vm, const struct cd_hv_migrate_opts *o,
	   const char *target, struct vm_prediction *out, uint32_t timeout_ms)
{
	struct cd_migpredict_in in = { 0 };
	struct cd_hv_estimate e = { 0 };
	const char *why = "";

	memset(out, 0, sizeof(*out));
	out->link_from = "";
	e.ram_bytes = (uint64_t)vm->def->memory_mib << 20;
	if (!ops->migrate_estimate)
		why = "no-estimate-op";
	else if (ops->migrate_estimate(vm, o, &e, timeout_ms))
		why = "estimate-failed";
	if (o->max_bandwidth) {
		out->link_bps = o->max_bandwidth;
		out->link_from = "cap";
	} else if ((out->link_bps = link_known(vm, target))) {
		out->link_from = "last move";
	}
	out->dirty_rate = e.dirty_rate;
	out->paused = e.paused;
	in.ram_bytes = e.ram_bytes;
	in.dirty_bps = e.dirty_rate;
	in.link_bps = out->link_bps;
	in.downtime_limit_ms = o->downtime_limit_ms;
	in.paused = e.paused;
	in.postcopy = vm->migration_policy == CD_MIGPOLICY_POSTCOPY;
	if (!*why) {
		int rc = cd_migpredict(&in, &out->p);

		if (rc == -ENODATA)
			why = "no-bandwidth-yet";
		else if (rc)
			why = "no-ram-size";
		else
			out->have = true;
	}
	if (out->have)
		printf("progress percent=0 status=predicted predicted_total_ms=%" PRIu64
		       " predicted_downtime_ms=%" PRIu64 " predicted_converges=%d dirty_rate=%"
		       PRIu64 " link_bps=%" PRIu64 " link_from=%s paused=%d postcopy=%d\n",
		       out->p.total_ms, out->p.downtime_ms, out->p.converges, out->dirty_rate,
		       out->link_bps, strcmp(out->link_from, "cap") ? "last-move" : "cap",
		       out->paused, in.postcopy);
	else
		printf("progress percent=0 status=predicted predicted_total_ms=- why=%s\n",
		       why);	/* one token: no-bandwidth-yet, estimate-failed, ... */
	fflush(stdout);
}

void
vm_predict_fields(const struct vm_prediction *p, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!p->have)
		return;
	if (!p->p.converges)
		snprintf(buf, size, " predicted_converges=0 predicted_dirty_rate=%" PRIu64
			 " predicted_link_bps=%" PRIu64, p->dirty_rate, p->link_bps);
	else
		snprintf(buf, size, " predicted_total_ms=%" PRIu64 " predicted_downtime_ms=%"
			 PRIu64 " predicted_dirty_rate=%" PRIu64 " predicted_link_bps=%" PRIu64,
			 p->p.total_ms, p->p.downtime_ms, p->dirty_rate, p->link_bps);
}
