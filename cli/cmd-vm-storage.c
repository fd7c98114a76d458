/*
 * cmd-vm-storage.c - clusterctl vm move-storage: live storage migration of
 * a running VM's disks (issue 17; clusterd/rm-storage.c, lib/smove.h),
 * followed to its end with a progress bar, one disk after the other.
 */
#include "ctl.h"
#include "timeutil.h"
#include "verb.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define SMOVE_TIMEOUT_S	3600.0	/* --timeout default: a large disk takes time */
#define LOOK_MAX_MS	250

static const char smove_help[] =
"Usage: clusterctl vm move-storage NAME --disk N|all --to PATH_OR_VOLUME\n"
"                [--format raw|qcow2] [--timeout SEC] [--json]\n"
"       clusterctl vm move-storage NAME --cancel\n"
"Move a running VM's disk to another image while the guest runs (live\n"
"storage migration), on the node where it runs: the new image is created,\n"
"the disk mirrored into it (writes go to both once in sync), the guest\n"
"switched over, the switch recorded in the cluster, then the old image\n"
"deleted. --to is a directory or a volume (volumeN: /clusterstorage/volumeN),\n"
"where the image keeps its file name, or the new image's path (one disk\n"
"only). --disk all moves the disks one after the other. --format: the new\n"
"image's (default: the disk's). Progress goes to stderr, the result to\n"
"stdout. Any failure, and --cancel (from any node) before the switch,\n"
"leaves the VM running on its old image and deletes the new one (exit 1\n"
"with the reason); --timeout (default 3600 s) exits 5.\n";

struct smove_opts {
	const char *name, *disk, *to, *format;
	double timeout_s;
};

/* The VM's disks (its identity in the cluster): a new reference, or NULL. */
static json_object *
vm_disks(const char *name, int *rc)
{
	json_object *show = NULL, *rscs, *vm, *disks = NULL;

	*rc = ctl_call_put("role-show", ctl_args_with("name", name), &show);
	if (*rc)
		return NULL;
	if (json_object_object_get_ex(show, "resources", &rscs) &&
	    json_object_array_length(rscs) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(rscs, 0), "vm", &vm) &&
	    json_object_object_get_ex(vm, "disks", &disks))
		json_object_get(disks);
	else {
		fprintf(stderr, "clusterctl vm move-storage: %s is not a VM (added with "
			"'clusterctl vm add')\n", name);
		*rc = CTL_EXIT_FAILED;
	}
	json_object_put(show);
	return disks;
}

/* The new image of a disk at from: in directory dir, or the path itself. */
static void
target_path(const char *to, const char *from, bool as_dir, char *out, size_t len)
{
	const char *base = strrchr(from, '/');

	if (!as_dir)
		snprintf(out, len, "%s", to);
	else
		snprintf(out, len, "%s%s%s", to, to[strlen(to) - 1] == '/' ? "" : "/",
			 base ? base + 1 : from);
}

/* "k=v k=v" field */
static long long
field(const char *line, const char *key)
{
	const char *p = line;
	size_t k = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=')
			return atoll(p + k + 1);
		p += k;
	}
	return -1;
}

static void
bar(const char *name, long disk, const char *prog, bool tty)
{
	long long pct = field(prog, "percent"), done = field(prog, "transferred"),
		  total = field(prog, "total");
	char b[CTL_BAR_WIDTH + 1];

	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	ctl_progress_bar(b, (int)pct);
	fprintf(stderr, "%s%s disk %ld: [%s] %3lld%%  %.1f of %.1f MB%s", tty ? "\r" : "", name,
		disk, b, pct, (double)(done > 0 ? done : 0) / 1e6,
		(double)(total > 0 ? total : 0) / 1e6, tty ? "" : "\n");
	fflush(stderr);
}

/* "moved disk=0 from=.. to=.. type=storage total_ms=.. ..." -> JSON */
static json_object *
result_json(const char *name, const char *line)
{
	json_object *o = json_object_new_object();
	char *dup = strdup(line), *tok, *save = NULL, *eq;

	json_object_object_add(o, "vm", json_object_new_string(name));
	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!(eq = strchr(tok, '=')))
			continue;
		*eq = '\0';
		if (!strcmp(tok, "type") || !strcmp(tok, "agent_ms"))
			continue;
		json_object_object_add(o, tok, strspn(eq + 1, "0123456789") == strlen(eq + 1) &&
				       eq[1] ? json_object_new_int64(atoll(eq + 1)) :
				       json_object_new_string(eq + 1));
	}
	free(dup);
	return o;
}

/*
 * Follow the move of one disk until its record is gone, then judge its
 * result line (last_storage_move): "moved ..." or "failed ... error=...".
 */
static int
follow(struct ctl_globals *g, struct ctl_conn *c, const char *name, long disk, uint64_t t0,
       double timeout_s)
{
	json_object *args = ctl_args_with("name", name), *data, *rt, *sm;
	char last_phase[16] = "", last_prog[256] = "";
	bool tty = isatty(STDERR_FILENO), shown = false, seen = false;
	const char *res, *phase, *prog;
	int64_t left;
	int rc;

	for (;;) {
		data = NULL;
		if ((rc = c ? ctl_request_sync(c, "role-show", args, &data) :
			      ctl_call("role-show", args, &data)))
			break;
		rt = sm = NULL;
		json_object_object_get_ex(data, "runtime", &rt);
		json_object_object_get_ex(rt, "storage_move", &sm);
		if (sm) {
			seen = true;
			phase = ctl_jstr(sm, "phase", "?");
			if (strcmp(phase, last_phase) && !g->json) {
				if (shown && tty)
					fputc('\n', stderr);
				shown = false;
				fprintf(stderr, "%s: disk %ld %s -> %s on %s: %s (%.2f s)\n", name, disk,
					ctl_jstr(sm, "from", "?"), ctl_jstr(sm, "to", "?"),
					ctl_jstr(sm, "node", "?"), phase,
					(double)(cd_now_mono_ms() - t0) / 1000.0);
				snprintf(last_phase, sizeof(last_phase), "%s", phase);
			}
			prog = ctl_jstr(sm, "progress", "");
			if (!g->json && !strcmp(phase, "mirror") && prog[0] &&
			    strcmp(prog, last_prog)) {
				snprintf(last_prog, sizeof(last_prog), "%s", prog);
				bar(name, disk, prog, tty);
				shown = true;
			}
		} else if (seen || *(res = ctl_jstr(rt, "last_storage_move", ""))) {
			res = ctl_jstr(rt, "last_storage_move", "");
			if (shown && tty)
				fputc('\n', stderr);
			if (!strncmp(res, "moved ", 6)) {
				json_object *o = result_json(name, res + 6);

				if (g->json)
					ctl_print_json(o);
				else
					printf("%s: disk %ld moved to %s in %.1f s (copied %.1f MB, "
					       "switch %lld ms)\n", name, disk, ctl_jstr(o, "to", "?"),
					       (double)(cd_now_mono_ms() - t0) / 1000.0,
					       (double)ctl_jint(o, "transferred", 0) / 1e6,
					       (long long)ctl_jint(o, "downtime_ms", 0));
				json_object_put(o);
				rc = CTL_EXIT_OK;
			} else if (*res) {
				const char *e = strstr(res, "error=");

				fprintf(stderr, "clusterctl vm move-storage: %s disk %ld not moved: %s; "
					"it runs on its old image\n", name, disk, e ? e + 6 : res);
				rc = CTL_EXIT_FAILED;
			} else {
				continue;	/* the record went, its result not yet here */
			}
			json_object_put(data);
			break;
		}
		json_object_put(data);
		left = (int64_t)(timeout_s * 1000) - (int64_t)(cd_now_mono_ms() - t0);
		if (left <= 0) {
			fprintf(stderr, "clusterctl vm move-storage: %s disk %ld still moving after "
				"%.0f s (it goes on; 'clusterctl vm move-storage %s --cancel' stops "
				"it)\n", name, disk, timeout_s, name);
			rc = CTL_EXIT_TIMEOUT;
			break;
		}
		ctl_wait_change(c, left < LOOK_MAX_MS ? (int)left : LOOK_MAX_MS);
	}
	json_object_put(args);
	return rc;
}

static int
move_one(struct ctl_globals *g, const struct smove_opts *o, long disk, const char *to)
{
	json_object *args = ctl_args_with("name", o->name), *data = NULL;
	uint64_t t0 = cd_now_mono_ms();
	struct ctl_conn *c;
	int rc;

	json_object_object_add(args, "disk", json_object_new_int64(disk));
	json_object_object_add(args, "to", json_object_new_string(to));
	if (o->format)
		json_object_object_add(args, "format", json_object_new_string(o->format));
	/* subscribed before the request, so no change is missed */
	c = ctl_connect(&rc);
	if (c && ctl_subscribe(c, NULL) != CTL_EXIT_OK) {
		ctl_disconnect(c);
		c = NULL;
	}
	rc = ctl_call("vm-move-storage", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc == 0)
		rc = follow(g, c, o->name, disk, t0, o->timeout_s);
	if (c)
		ctl_disconnect(c);
	return rc;
}

static int
move_storage(struct ctl_globals *g, const struct smove_opts *o)
{
	char to[PATH_MAX], path[PATH_MAX], *end;
	json_object *disks;
	struct stat st;
	bool all = !strcmp(o->disk, "all"), as_dir;
	long disk = 0, n, last;
	int rc;

	if (!all) {
		disk = strtol(o->disk, &end, 10);
		if (*end || disk < 0 || !*o->disk) {
			fprintf(stderr, "clusterctl vm move-storage: --disk takes a disk number "
				"or 'all', not '%s'\n", o->disk);
			return CTL_EXIT_USAGE;
		}
	}
	if (!strncmp(o->to, "volume", 6) && !strchr(o->to, '/'))
		snprintf(to, sizeof(to), "/clusterstorage/%s", o->to);
	else
		snprintf(to, sizeof(to), "%s", o->to);
	if (to[0] != '/') {
		fprintf(stderr, "clusterctl vm move-storage: --to needs an absolute path or a "
			"volume name, not '%s'\n", o->to);
		return CTL_EXIT_USAGE;
	}
	as_dir = to[strlen(to) - 1] == '/' || (stat(to, &st) == 0 && S_ISDIR(st.st_mode));
	if (all && !as_dir) {
		fprintf(stderr, "clusterctl vm move-storage: --disk all needs --to to be a "
			"directory or a volume\n");
		return CTL_EXIT_USAGE;
	}
	if (!(disks = vm_disks(o->name, &rc)))
		return rc;
	n = (long)json_object_array_length(disks);
	if (!all && disk >= n) {
		fprintf(stderr, "clusterctl vm move-storage: %s has no disk %ld (it has %ld)\n",
			o->name, disk, n);
		json_object_put(disks);
		return CTL_EXIT_FAILED;
	}
	last = all ? n - 1 : disk;
	for (rc = 0, disk = all ? 0 : disk; rc == 0 && disk <= last; disk++) {
		const char *from = json_object_get_string(json_object_array_get_idx(disks, (size_t)disk));

		target_path(to, from, as_dir, path, sizeof(path));
		if (all && !strcmp(path, from))
			continue;	/* there already */
		rc = move_one(g, o, disk, path);
	}
	json_object_put(disks);
	return rc;
}

int
cmd_vm_move_storage(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "disk", required_argument, NULL, 'd' },
		{ "to", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "cancel", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct smove_opts o = { .timeout_s = SMOVE_TIMEOUT_S };
	json_object *data = NULL;
	bool cancel = false;
	char *end;
	int opt, rc;

	optind = 2;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': o.disk = optarg; break;
		case 't': o.to = optarg; break;
		case 'f': o.format = optarg; break;
		case 'c': cancel = true; break;
		case 'T':
			o.timeout_s = strtod(optarg, &end);
			if (*end || o.timeout_s <= 0) {
				fprintf(stderr, "clusterctl vm move-storage: --timeout needs seconds\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(smove_help, stdout); return CTL_EXIT_OK;
		default: fputs(smove_help, stderr); return CTL_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || (cancel && (o.disk || o.to || o.format)) ||
	    (!cancel && (!o.disk || !o.to))) {
		fputs(smove_help, stderr);
		return CTL_EXIT_USAGE;
	}
	o.name = argv[optind];
	if (!cancel)
		return move_storage(g, &o);
	rc = ctl_call_put("vm-move-storage-cancel", ctl_args_with("name", o.name), &data);
	json_object_put(data);
	if (rc == 0 && !g->json)
		printf("%s: storage move cancelled; it stays on its old image\n", o.name);
	return rc;
}
