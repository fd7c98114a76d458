/*
 * cmd-vm.c - clusterctl vm add|list|show|start|stop|remove: virtual
 * machines as roles made of one ocf:clusterd:vm resource (moved by
 * 'clusterctl move', cmd-move.c).
 */
#include "ctl.h"
#include "timeutil.h"
#include "valid.h"
#include "verb.h"
#include "vm-prealloc.h"
#include "vmdef.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_object *
names_array(const char *csv)
{
	json_object *arr = json_object_new_array();
	char *dup = strdup(csv), *save = NULL, *tok;

	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_object_array_add(arr, json_object_new_string(tok));
	free(dup);
	return arr;
}

/*
 * The VM's identity for the cluster: {"name", "disks", "macs"}. clusterd
 * records it with the resource and refuses a second resource (of any role)
 * claiming the same name, disk or MAC (lib/state-rules.h rule 3).
 */
static json_object *
vm_identity(const struct cd_vmdef *def)
{
	json_object *id = json_object_new_object(), *disks = json_object_new_array(),
		    *macs = json_object_new_array();
	size_t i;

	for (i = 0; i < def->n_disks; i++)
		json_object_array_add(disks, json_object_new_string(def->disks[i].path));
	for (i = 0; i < def->n_nics; i++)
		json_object_array_add(macs, json_object_new_string(def->nics[i].mac));
	json_object_object_add(id, "name", json_object_new_string(def->name));
	json_object_object_add(id, "disks", disks);
	json_object_object_add(id, "macs", macs);
	return id;
}

static const char vm_help[] =
"Usage: clusterctl vm add NAME --config FILE [--preferred N1,N2] [--possible N1,N2]\n"
"                          [--drain-fallback none|quick|restart] [--param KEY=VALUE]...\n"
"                          [--preallocate]\n"
"       clusterctl vm move-storage NAME --disk N|all --to PATH_OR_VOLUME [--format F]\n"
"                [--timeout SEC] [--json] | --cancel\n"
"       clusterctl vm list|show NAME|start NAME|stop NAME|remove NAME [--json]\n"
"A VM is a role NAME holding one ocf:clusterd:vm resource NAME whose\n"
"definition (JSON, see agents/vm/README.md) is FILE: an absolute path every\n"
"node can read (shared storage, e.g. /clusterstorage/volume1/NAME.json).\n"
"A VM belongs to one role only: add refuses a definition whose name, a disk\n"
"or a MAC is already used by another VM resource, and names its role.\n"
"Move it with 'clusterctl move NAME NODE [--live|--quick|--restart]', its\n"
"disks with 'clusterctl vm move-storage NAME --disk N|all --to PATH_OR_VOLUME'\n"
"(see 'clusterctl vm move-storage --help').\n"
"--drain-fallback: when a node drain's live migration of it fails, 'none'\n"
"(default) leaves it where it is, reported; 'quick' tries a quick migration;\n"
"'restart' then also a stop and start on the target.\n"
"A VM with a node-local disk (\"shared\": false in its definition) is not\n"
"highly available: its disks live only on the node that runs it, so it moves\n"
"only live (the disks are copied) and, when that node fails, it stays down\n"
"until the node is back; it takes no --drain-fallback but none.\n"
"--preallocate: before the VM is added, write zeros into every hole and\n"
"unwritten extent of its raw disk images (their content is kept; an image a\n"
"QEMU has open is refused), so the guest's writes are overwrites: on a\n"
"cluster shared volume with direct I/O they then go straight to the LUN\n"
"from any node, where a write into a hole goes through the coordinator.\n"
"The image takes its full size on the volume.\n"
"--param: a parameter of the vm agent besides config (agents/vm/README.md,\n"
"e.g. qemu_dirty_tracking_fixed=true, migration_bandwidth=64), passed to it\n"
"as OCF_RESKEY_KEY=VALUE.\n";

/* ---- --preallocate (vm-prealloc.h) ---- */

struct prealloc_view {
	const char *name;
	size_t disk;
	int last_pct;
	bool tty;
};

static void
prealloc_progress(void *opaque, uint64_t done, uint64_t size)
{
	struct prealloc_view *v = opaque;
	int pct = size ? (int)(done * 100 / size) : 100;
	char bar[CTL_BAR_WIDTH + 1];

	if (!v->tty || pct == v->last_pct)
		return;
	v->last_pct = pct;
	ctl_progress_bar(bar, pct);
	fprintf(stderr, "\r%s: preallocating disk %zu [%s] %3d%%", v->name, v->disk, bar, pct);
	fflush(stderr);
}

/* Every raw disk of def made written end to end, content kept, before the
 * VM exists (vm-prealloc.h P1-P5); a line per disk, or into out (--json).
 * @return 0, else CTL_EXIT_FAILED with the reason printed */
static int
preallocate(struct ctl_globals *g, const char *name, const struct cd_vmdef *def,
	    json_object *out)
{
	struct prealloc_view v = { .name = name, .last_pct = -1,
				   .tty = !g->json && isatty(STDERR_FILENO) };
	struct cd_prealloc_result res;
	char err[PATH_MAX + 256];
	uint64_t t0;
	int rc;

	for (size_t i = 0; i < def->n_disks; i++) {
		const struct cd_vmdisk *k = &def->disks[i];
		json_object *o;

		if (strcmp(k->format, "raw") != 0) {
			if (!g->json)
				printf("vm %s: disk %zu (%s) is %s: not preallocated (make it with "
				       "'qemu-img create -o preallocation=full')\n", name, i,
				       k->path, k->format);
			continue;
		}
		v.disk = i;
		v.last_pct = -1;
		t0 = cd_now_mono_ms();
		rc = cd_prealloc_file(k->path, prealloc_progress, &v, &res, err, sizeof(err));
		if (v.tty)
			fputc('\n', stderr);
		if (rc) {
			fprintf(stderr, "clusterctl vm add: --preallocate: disk %zu: %s; nothing "
				"was added (the image's content is unchanged)\n", i, err);
			return CTL_EXIT_FAILED;
		}
		o = json_object_new_object();
		json_object_object_add(o, "disk", json_object_new_int64((int64_t)i));
		json_object_object_add(o, "path", json_object_new_string(k->path));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)res.size));
		json_object_object_add(o, "written", json_object_new_int64((int64_t)res.written));
		json_object_object_add(o, "kept", json_object_new_int64((int64_t)res.kept));
		json_object_object_add(o, "ms", json_object_new_int64((int64_t)(cd_now_mono_ms() - t0)));
		json_object_array_add(out, o);
		if (!g->json)
			printf("vm %s: disk %zu preallocated: %.1f MiB of zeros written into its "
			       "holes, %.1f MiB of data kept, %.1f s\n", name, i,
			       (double)res.written / 1048576, (double)res.kept / 1048576,
			       (double)(cd_now_mono_ms() - t0) / 1000);
	}
	return 0;
}

/* The numbers of def's node-local disks, "0,2" (cd_vmdef_local_disks). */
static void
local_disk_list(const struct cd_vmdef *def, char *buf, size_t len, json_object *arr)
{
	size_t i, at = 0;

	buf[0] = '\0';
	for (i = 0; i < def->n_disks && at < len; i++) {
		if (def->disks[i].shared)
			continue;
		at += (size_t)snprintf(buf + at, len - at, "%s%zu", at ? "," : "", i);
		json_object_array_add(arr, json_object_new_int64((int64_t)i));
	}
}

static int
vm_add(struct ctl_globals *g, const char *name, const char *config,
       const char *preferred, const char *possible, const char *fallback,
       json_object *params, bool prealloc)
{
	json_object *args, *timeouts, *data = NULL, *local, *pre;
	struct cd_vmdef *vmdef;
	char path[PATH_MAX], err[512], disks[128], note[512];
	bool ha;
	int rc;

	if (cd_valid_name(CD_NAME_VM, name, err, sizeof(err))) {
		fprintf(stderr, "clusterctl vm add: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	if (!config) {
		fprintf(stderr, "clusterctl vm add: --config FILE is required\n");
		return CTL_EXIT_USAGE;
	}
	if (!realpath(config, path)) {
		fprintf(stderr, "clusterctl vm add: %s: %s\n", config, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	/* Bounded, regular files only (cd_vmdef_load): never read /dev/zero. */
	vmdef = cd_vmdef_load(path, err, sizeof(err));
	if (!vmdef) {
		/* Read errors name the file already; parse errors do not. */
		if (strncmp(err, path, strlen(path)) == 0)
			fprintf(stderr, "clusterctl vm add: %s\n", err);
		else
			fprintf(stderr, "clusterctl vm add: %s: %s\n", path, err);
		return CTL_EXIT_FAILED;
	}
	/* policy.h rule 9: node-local disks make it not highly available */
	ha = cd_vmdef_local_disks(vmdef) == 0;
	local = json_object_new_array();
	local_disk_list(vmdef, disks, sizeof(disks), local);
	snprintf(note, sizeof(note), "not highly available: disk(s) %s are local to the node "
		 "that runs it; it moves only live ('clusterctl move %s NODE --live'), and if "
		 "that node fails it stays down until the node is back", disks, name);
	if (!ha && fallback && strcmp(fallback, "none")) {
		fprintf(stderr, "clusterctl vm add: --drain-fallback %s: vm %s's disk(s) %s are "
			"local to its node, so only a live migration can move it\n", fallback,
			name, disks);
		json_object_put(local);
		cd_vmdef_free(vmdef);
		return CTL_EXIT_USAGE;
	}
	pre = json_object_new_array();
	if (prealloc && (rc = preallocate(g, name, vmdef, pre))) {
		json_object_put(pre);
		json_object_put(local);
		cd_vmdef_free(vmdef);
		return rc;
	}
	args = ctl_args_with("name", name);
	if (!ha)
		json_object_object_add(args, "ha", json_object_new_boolean(0));
	if (preferred)
		json_object_object_add(args, "preferred_owners", names_array(preferred));
	if (possible)
		json_object_object_add(args, "possible_owners", names_array(possible));
	json_object_object_add(args, "memory_mib",
			       json_object_new_int64(vmdef->memory_mib));
	json_object_object_add(args, "target", json_object_new_string("stopped"));
	if (fallback)
		json_object_object_add(args, "drain_fallback", json_object_new_string(fallback));
	rc = ctl_call("role-add", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc) {
		json_object_put(pre);
		json_object_put(local);
		cd_vmdef_free(vmdef);
		return rc;
	}

	args = json_object_new_object();
	timeouts = json_object_new_object();
	json_object_object_add(params, "config", json_object_new_string(path));
	json_object_object_add(timeouts, "start", json_object_new_int64(120000));
	json_object_object_add(timeouts, "stop", json_object_new_int64(120000));
	json_object_object_add(timeouts, "monitor", json_object_new_int64(30000));
	json_object_object_add(args, "id", json_object_new_string(name));
	json_object_object_add(args, "agent", json_object_new_string("ocf:clusterd:vm"));
	json_object_object_add(args, "role", json_object_new_string(name));
	json_object_object_add(args, "params", json_object_get(params));
	json_object_object_add(args, "vm", vm_identity(vmdef));
	cd_vmdef_free(vmdef);
	json_object_object_add(args, "monitor_interval_ms", json_object_new_int64(10000));
	json_object_object_add(args, "timeouts_ms", timeouts);
	rc = ctl_call("resource-add", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc) {
		/* Leave nothing half-made behind. */
		ctl_call_put("role-remove", ctl_args_with("name", name), &data);
		json_object_put(data);
		json_object_put(pre);
		json_object_put(local);
		return rc;
	}
	rc = ctl_call_put("role-start", ctl_args_with("name", name), &data);
	if (rc == 0 && g->json) {
		if (!json_object_is_type(data, json_type_object)) {
			json_object_put(data);
			data = json_object_new_object();
		}
		json_object_object_add(data, "ha", json_object_new_boolean(ha));
		json_object_object_add(data, "local_disks", json_object_get(local));
		if (!ha)
			json_object_object_add(data, "ha_note", json_object_new_string(note));
		if (prealloc)
			json_object_object_add(data, "preallocated", json_object_get(pre));
		ctl_print_json(data);
	} else if (rc == 0) {
		printf("vm %s: added (definition %s) and starting\n", name, path);
		if (!ha)
			printf("vm %s: %s\n", name, note);
	}
	json_object_put(pre);
	json_object_put(local);
	json_object_put(data);
	return rc;
}

int
cmd_vm(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "preferred", required_argument, NULL, 'p' },
		{ "possible", required_argument, NULL, 'P' },
		{ "drain-fallback", required_argument, NULL, 'F' },
		{ "param", required_argument, NULL, 'K' },
		{ "preallocate", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub, *config = NULL, *pref = NULL, *poss = NULL, *cmd = NULL, *fb = NULL;
	json_object *data = NULL, *params;
	bool prealloc = false;
	int opt, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(vm_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "move-storage"))
		return cmd_vm_move_storage(g, argc, argv);
	optind = 2;
	params = json_object_new_object();
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'p': pref = optarg; break;
		case 'P': poss = optarg; break;
		case 'F': fb = optarg; break;
		case 'A': prealloc = true; break;
		case 'K':
			if (!strncmp(optarg, "config=", 7)) {
				json_object_put(params);
				return ctl_usage_error("the definition is --config FILE, not --param");
			}
			if ((rc = ctl_parse_param(optarg, params))) {
				json_object_put(params);
				return rc;
			}
			break;
		case 'j': g->json = true; break;
		case 'h': json_object_put(params); fputs(vm_help, stdout); return CTL_EXIT_OK;
		default: json_object_put(params); fputs(vm_help, stderr); return CTL_EXIT_USAGE;
		}
	}
	if (json_object_object_length(params) && strcmp(sub, "add")) {
		json_object_put(params);
		return ctl_usage_error("--param is for 'vm add' only");
	}
	if (prealloc && strcmp(sub, "add")) {
		json_object_put(params);
		return ctl_usage_error("--preallocate is for 'vm add' only");
	}
	if (!strcmp(sub, "list") && optind == argc) {
		json_object_put(params);
		rc = ctl_call("role-list", NULL, &data);
		if (rc == 0) {
			json_object *roles = NULL;
			size_t i;

			json_object_object_get_ex(data, "roles", &roles);
			if (g->json) {
				ctl_print_json(data);
			} else {
				printf("%-16s %-10s %-8s %s\n", "NAME", "STATE", "OWNER", "HA");
				for (i = 0; roles && i < json_object_array_length(roles); i++) {
					json_object *r = json_object_array_get_idx(roles, i), *rs;

					/* VM roles: one resource with the role's name. */
					if (!json_object_object_get_ex(r, "resources", &rs) ||
					    json_object_array_length(rs) != 1 ||
					    strcmp(json_object_get_string(json_object_array_get_idx(rs, 0)),
						   ctl_jstr(r, "name", "")))
						continue;
					bool ha = ctl_jbool(r, "ha") ||
						  !json_object_object_get_ex(r, "ha", NULL);

					printf("%-16s %-10s %-8s %s\n", ctl_jstr(r, "name", "?"),
					       ctl_jstr(r, "state", "?"), ctl_jstr(r, "owner", "-"),
					       ha ? "yes" : "no (not highly available)");
				}
			}
		}
		json_object_put(data);
		return rc;
	}
	if (optind != argc - 1) {
		json_object_put(params);
		fputs(vm_help, stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(sub, "add")) {
		rc = vm_add(g, argv[optind], config, pref, poss, fb, params, prealloc);
		json_object_put(params);
		return rc;
	}
	json_object_put(params);
	if (!strcmp(sub, "show"))
		cmd = "role-show";
	else if (!strcmp(sub, "start"))
		cmd = "role-start";
	else if (!strcmp(sub, "stop"))
		cmd = "role-stop";
	else if (!strcmp(sub, "remove"))
		cmd = "role-remove";
	if (!cmd) {
		fprintf(stderr, "clusterctl vm: unknown subcommand '%s'\n", sub);
		fputs(vm_help, stderr);
		return CTL_EXIT_USAGE;
	}
	rc = ctl_call_put(cmd, ctl_args_with("name", argv[optind]), &data);
	if (rc == 0) {
		if (g->json || !strcmp(sub, "show"))
			ctl_print_json(data);
		else
			printf("vm %s: %s\n", argv[optind], sub);
	}
	json_object_put(data);
	return rc;
}
