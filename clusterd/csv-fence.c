/*
 * csv-fence.c - the fenced nodes, for the CSV coordinator (contract in
 * csv-fence.h).
 */
#include "csv-fence.h"
#include "daemon.h"
#include "log.h"
#include "state-schema.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char written[4096];	/* the file's content, once written */
static bool have_written;

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
state_changed(struct cd_daemon *d)
{
	const struct cd_state *st = cd_replica_state(d);
	json_object *nodes = cd_sp_get(st, CD_SP_NODES), *f;
	const char *names[256];
	char text[sizeof(written)], path[PATH_MAX], tmp[PATH_MAX + 8], dir[PATH_MAX];
	const char *root = getenv("CD_CSV_RUN_ROOT");
	size_t n = 0, used = 0;
	FILE *fp;

	if (!st || !nodes)
		return;
	json_object_object_foreach(nodes, name, v) {
		(void)v;
		f = cd_sp_get(st, CD_SP_RT_NODE_FENCED, name);
		if (f && json_object_get_boolean(f) && n < 256)
			names[n++] = name;
	}
	qsort(names, n, sizeof(names[0]), cmp);
	text[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s\n", names[i]);
	if (have_written && !strcmp(text, written))
		return;
	snprintf(dir, sizeof(dir), "%s", root && *root ? root : "/run/clusterd/csv");
	snprintf(path, sizeof(path), "%s/fenced", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	mkdir("/run/clusterd", 0755);
	mkdir(dir, 0755);
	fp = fopen(tmp, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0 || rename(tmp, path) < 0) {
		cd_err("csv: cannot write %s: %s", path, strerror(errno));
		return;
	}
	snprintf(written, sizeof(written), "%s", text);
	have_written = true;
	for (size_t i = 0; text[i]; i++)
		if (text[i] == '\n')
			text[i] = i + 1 < used ? ',' : '\0';
	cd_info("csv: fenced nodes for the volume coordinators (%s): %s", path,
		n ? text : "none");
}

const struct cd_hooks cd_csv_fence_hooks = {
	.name = "csv-fence",
	.state_changed = state_changed,
};
