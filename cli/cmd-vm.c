/*
 * cmd-vm.c - clusterctl vm add|list|show|start|stop|remove and
 * clusterctl move: virtual machines as roles made of one ocf:clusterd:vm
 * resource, moved live (default), quick, or by restart.
 */
#include "ctl.h"
#include "timeutil.h"
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
"       clusterctl vm list|show NAME|start NAME|stop NAME|remove NAME [--json]\n"
"A VM is a role NAME holding one ocf:clusterd:vm resource NAME whose\n"
"definition (JSON, see agents/vm/README.md) is FILE: an absolute path every\n"
"node can read (shared storage, e.g. /clusterstorage/volume1/NAME.json).\n"
"A VM belongs to one role only: add refuses a definition whose name, a disk\n"
"or a MAC is already used by another VM resource, and names its role.\n"
"Move it with 'clusterctl move NAME NODE [--live|--quick|--restart]'.\n";

static int
vm_add(struct ctl_globals *g, const char *name, const char *config,
       const char *preferred, const char *possible)
{
	json_object *args, *params, *timeouts, *def, *data = NULL;
	struct cd_vmdef *vmdef;
	char path[PATH_MAX], err[512];
	int rc;

	if (!config) {
		fprintf(stderr, "clusterctl vm add: --config FILE is required\n");
		return CTL_EXIT_USAGE;
	}
	if (!realpath(config, path)) {
		fprintf(stderr, "clusterctl vm add: %s: %s\n", config, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	def = json_object_from_file(path);
	if (!def || !json_object_is_type(def, json_type_object)) {
		fprintf(stderr, "clusterctl vm add: %s is not a JSON VM definition\n", path);
		json_object_put(def);
		return CTL_EXIT_FAILED;
	}
	vmdef = cd_vmdef_load(path, err, sizeof(err));
	if (!vmdef) {
		fprintf(stderr, "clusterctl vm add: %s: %s\n", path, err);
		json_object_put(def);
		return CTL_EXIT_FAILED;
	}
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(name));
	if (preferred)
		json_object_object_add(args, "preferred_owners", names_array(preferred));
	if (possible)
		json_object_object_add(args, "possible_owners", names_array(possible));
	if (ctl_jint(def, "memory_mib", 0) > 0)
		json_object_object_add(args, "memory_mib",
				       json_object_new_int64(ctl_jint(def, "memory_mib", 0)));
	json_object_object_add(args, "target", json_object_new_string("stopped"));
	json_object_put(def);
	rc = ctl_call("role-add", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc) {
		cd_vmdef_free(vmdef);
		return rc;
	}

	args = json_object_new_object();
	params = json_object_new_object();
	timeouts = json_object_new_object();
	json_object_object_add(params, "config", json_object_new_string(path));
	json_object_object_add(timeouts, "start", json_object_new_int64(120000));
	json_object_object_add(timeouts, "stop", json_object_new_int64(120000));
	json_object_object_add(timeouts, "monitor", json_object_new_int64(30000));
	json_object_object_add(args, "id", json_object_new_string(name));
	json_object_object_add(args, "agent", json_object_new_string("ocf:clusterd:vm"));
	json_object_object_add(args, "role", json_object_new_string(name));
	json_object_object_add(args, "params", params);
	json_object_object_add(args, "vm", vm_identity(vmdef));
	cd_vmdef_free(vmdef);
	json_object_object_add(args, "monitor_interval_ms", json_object_new_int64(10000));
	json_object_object_add(args, "timeouts_ms", timeouts);
	rc = ctl_call("resource-add", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc) {
		/* Leave nothing half-made behind. */
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(name));
		ctl_call("role-remove", args, &data);
		json_object_put(args);
		json_object_put(data);
		return rc;
	}
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(name));
	rc = ctl_call("role-start", args, &data);
	json_object_put(args);
	if (rc == 0) {
		if (g->json)
			ctl_print_json(data);
		else
			printf("vm %s: added (definition %s) and starting\n", name, path);
	}
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sub, *config = NULL, *pref = NULL, *poss = NULL, *cmd = NULL;
	json_object *args, *data = NULL;
	int opt, rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(vm_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	sub = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'p': pref = optarg; break;
		case 'P': poss = optarg; break;
		case 'j': g->json = true; break;
		case 'h': fputs(vm_help, stdout); return CTL_EXIT_OK;
		default: fputs(vm_help, stderr); return CTL_EXIT_USAGE;
		}
	}
	if (!strcmp(sub, "list") && optind == argc) {
		rc = ctl_call("role-list", NULL, &data);
		if (rc == 0) {
			json_object *roles = NULL;
			size_t i;

			json_object_object_get_ex(data, "roles", &roles);
			if (g->json) {
				ctl_print_json(data);
			} else {
				printf("%-16s %-10s %-8s\n", "NAME", "STATE", "OWNER");
				for (i = 0; roles && i < json_object_array_length(roles); i++) {
					json_object *r = json_object_array_get_idx(roles, i), *rs;

					/* VM roles: one resource with the role's name. */
					if (!json_object_object_get_ex(r, "resources", &rs) ||
					    json_object_array_length(rs) != 1 ||
					    strcmp(json_object_get_string(json_object_array_get_idx(rs, 0)),
						   ctl_jstr(r, "name", "")))
						continue;
					printf("%-16s %-10s %-8s\n", ctl_jstr(r, "name", "?"),
					       ctl_jstr(r, "state", "?"), ctl_jstr(r, "owner", "-"));
				}
			}
		}
		json_object_put(data);
		return rc;
	}
	if (optind != argc - 1) {
		fputs(vm_help, stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(sub, "add"))
		return vm_add(g, argv[optind], config, pref, poss);
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
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(argv[optind]));
	rc = ctl_call(cmd, args, &data);
	json_object_put(args);
	if (rc == 0) {
		if (g->json || !strcmp(sub, "show"))
			ctl_print_json(data);
		else
			printf("vm %s: %s\n", argv[optind], sub);
	}
	json_object_put(data);
	return rc;
}

/* ---- move ---- */

static const char move_help[] =
"Usage: clusterctl move NAME NODE [--live|--quick|--restart] [--timeout DUR] [--json]\n"
"       clusterctl move NAME --cancel\n"
"Move a VM (or any role) to NODE and wait until it runs there.\n"
"  --live     live migration (default for VMs): memory copied while the\n"
"             guest runs, then a pause of milliseconds\n"
"  --quick    quick migration: pause, save RAM and devices to shared storage,\n"
"             restore on NODE\n"
"  --restart  stop here, start there (the only way for other roles)\n"
"Progress goes to stderr; the result (type, total time, downtime, bytes) to\n"
"stdout. A migration that fails leaves the VM running where it was (exit 1\n"
"with the reason). --timeout (seconds, default 300) exits 5. --cancel (from\n"
"any node) rolls a migration that has not switched over yet back: the VM\n"
"stays where it was; the waiting 'move' then exits 1.\n";

static void
phase_line(const char *name, json_object *mig, uint64_t t0)
{
	fprintf(stderr, "%s: %s migration %s -> %s: %s (%.2f s)\n", name,
		ctl_jstr(mig, "type", "?"), ctl_jstr(mig, "from", "?"), ctl_jstr(mig, "to", "?"),
		ctl_jstr(mig, "phase", "?"), (double)(cd_now_mono_ms() - t0) / 1000.0);
}

/* The value of KEY= in a "k=v k=v" line, or "" */
static void
field(const char *line, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);
	const char *p = line;

	out[0] = '\0';
	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(p + k + 1, " "), p + k + 1);
			return;
		}
		p += k;
	}
}

/* "percent=45 mbps=120.3 remaining=80000000 dirty_rate=..." as a bar */
static void
progress_bar(const char *name, const char *prog, bool tty)
{
	char pct[16], mbps[16], rem[32], dirty[32];
	int p, i;
	char bar[31];

	field(prog, "percent", pct, sizeof(pct));
	field(prog, "mbps", mbps, sizeof(mbps));
	field(prog, "remaining", rem, sizeof(rem));
	field(prog, "dirty_rate", dirty, sizeof(dirty));
	p = atoi(pct);
	if (p < 0)
		p = 0;
	if (p > 100)
		p = 100;
	for (i = 0; i < 30; i++)
		bar[i] = i < p * 30 / 100 ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "%s%s: [%s] %3d%%  %s Mbit/s  remaining %.1f MB  dirty %s pages/s%s",
		tty ? "\r" : "", name, bar, p, mbps[0] ? mbps : "?",
		(double)atoll(rem) / 1e6, dirty[0] ? dirty : "?", tty ? "" : "\n");
	fflush(stderr);
}

/* "type=live total_ms=12 downtime_ms=3 ..." -> JSON object of its fields */
static json_object *
parse_result(const char *line)
{
	json_object *o = json_object_new_object();
	char *dup = strdup(line ? line : ""), *save = NULL, *tok;

	for (tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '='), *end;
		long long v;

		if (!eq)
			continue;
		*eq = '\0';
		v = strtoll(eq + 1, &end, 10);
		json_object_object_add(o, tok, *end || end == eq + 1 ?
				       json_object_new_string(eq + 1) : json_object_new_int64(v));
	}
	free(dup);
	return o;
}

/*
 * The agent writes the live-migration mode's reason as one token, blanks
 * as '+' ("mode_why=TCG+on+QEMU+7.2+loses+pages+in+pre-copy"): back to text.
 */
static void
mode_reason(json_object *res)
{
	const char *why = ctl_jstr(res, "mode_why", "");
	char buf[160], *c;

	if (!why[0])
		return;
	snprintf(buf, sizeof(buf), "%s", why);
	for (c = buf; *c; c++)
		if (*c == '+')
			*c = ' ';
	json_object_object_add(res, "mode_why", json_object_new_string(buf));
}

/*
 * Follow a requested move to its end: the migration object gone (the
 * source has dropped its copy too) and the role started on NODE.
 */
static int
follow_move(struct ctl_globals *g, const char *name, const char *node, uint64_t t0,
	    uint64_t deadline, double timeout_s, struct ctl_conn *ev)
{
	json_object *args, *data = NULL;
	char last_phase[32] = "", last_progress[256] = "";
	bool seen_migration = false, bar_shown = false;
	bool tty = isatty(STDERR_FILENO);
	int rc;

	for (;;) {
		json_object *rt = NULL, *mig = NULL;
		const char *state, *owner;

		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(name));
		if (ev) {
			data = NULL;
			rc = ctl_request_sync(ev, "role-show", args, &data);
		} else {
			rc = ctl_call("role-show", args, &data);
		}
		json_object_put(args);
		if (rc)
			return rc;
		json_object_object_get_ex(data, "runtime", &rt);
		state = ctl_jstr(rt, "state", "");
		owner = ctl_jstr(rt, "owner", "");
		if (json_object_object_get_ex(rt, "migration", &mig) && mig) {
			/* Until the end: at cleanup the guest runs on NODE already,
			 * and the source still drops its paused copy. */
			const char *prog = ctl_jstr(mig, "progress", "");

			seen_migration = true;
			if (strcmp(last_phase, ctl_jstr(mig, "phase", ""))) {
				if (tty && bar_shown)
					fputc('\n', stderr);
				bar_shown = false;
				snprintf(last_phase, sizeof(last_phase), "%s", ctl_jstr(mig, "phase", ""));
				if (!g->json)
					phase_line(name, mig, t0);
			}
			if (!g->json && prog[0] && strcmp(prog, last_progress)) {
				snprintf(last_progress, sizeof(last_progress), "%s", prog);
				progress_bar(name, prog, tty);
				bar_shown = true;
			}
		} else if (!strcmp(state, "started") && !strcmp(owner, node)) {
			json_object *res = parse_result(seen_migration ?
						       ctl_jstr(rt, "last_migration", "") : "");

			json_object_object_add(res, "role", json_object_new_string(name));
			json_object_object_add(res, "node", json_object_new_string(node));
			json_object_object_add(res, "elapsed_ms",
					       json_object_new_int64((int64_t)(cd_now_mono_ms() - t0)));
			if (!json_object_object_get_ex(res, "type", NULL))
				json_object_object_add(res, "type", json_object_new_string(
					seen_migration ? "live" : "restart"));
			mode_reason(res);
			if (g->json)
				ctl_print_json(res);
			else
				printf("%s: %s move to %s done in %.2f s (downtime %s ms, %s bytes)\n",
				       name, ctl_jstr(res, "type", "?"), node,
				       (double)(cd_now_mono_ms() - t0) / 1000.0,
				       json_object_to_json_string(json_object_object_get(res, "downtime_ms")),
				       json_object_to_json_string(json_object_object_get(res, "transferred")));
			if (!g->json && !strcmp(ctl_jstr(res, "mode", ""), "paused"))
				printf("%s: live migration ran in paused mode: %s\n", name,
				       ctl_jstr(res, "mode_why", "live pre-copy is unsafe on this QEMU"));
			json_object_put(res);
			json_object_put(data);
			return CTL_EXIT_OK;
		} else if ((seen_migration && strcmp(owner, node)) || !strcmp(state, "failed") ||
			   (!seen_migration && cd_now_mono_ms() > t0 + 1000 &&
			    !strcmp(state, "started") && !ctl_jstr(rt, "move_to", "")[0])) {
			fprintf(stderr, "clusterctl move: %s did not move to %s: %s; it is %s on %s\n",
				name, node, ctl_jstr(rt, "last_error", "see 'clusterctl role show'"),
				state, owner[0] ? owner : "no node");
			json_object_put(data);
			return CTL_EXIT_FAILED;
		}
		json_object_put(data);
		if (cd_now_mono_ms() > deadline) {
			fprintf(stderr, "clusterctl move: %s not on %s after %.0f s\n", name, node,
				timeout_s);
			return CTL_EXIT_TIMEOUT;
		}
		{
			uint64_t now = cd_now_mono_ms();

			ctl_wait_change(ev, now + 250 < deadline ? 250 :
					(int)(deadline > now ? deadline - now : 0));
		}
	}
}

int
cmd_move(struct ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "quick", no_argument, NULL, 'q' },
		{ "restart", no_argument, NULL, 'r' },
		{ "cancel", no_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *type = NULL, *name, *node;
	double timeout_s = 300;
	json_object *args, *data = NULL;
	struct ctl_conn *ev;
	uint64_t t0, deadline;
	bool cancel = false;
	char *end;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': type = "live"; break;
		case 'q': type = "quick"; break;
		case 'r': type = "restart"; break;
		case 'c': cancel = true; break;
		case 't':
			timeout_s = strtod(optarg, &end);
			if (*end || timeout_s <= 0) {
				fprintf(stderr, "clusterctl move: --timeout needs seconds\n");
				return CTL_EXIT_USAGE;
			}
			break;
		case 'j': g->json = true; break;
		case 'h': fputs(move_help, stdout); return CTL_EXIT_OK;
		default: fputs(move_help, stderr); return CTL_EXIT_USAGE;
		}
	}
	if (cancel) {
		if (argc - optind != 1 || type) {
			fputs(move_help, stderr);
			return CTL_EXIT_USAGE;
		}
		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(argv[optind]));
		rc = ctl_call("role-move-cancel", args, &data);
		json_object_put(args);
		json_object_put(data);
		if (rc == 0 && !g->json)
			printf("%s: migration cancelled; it stays where it was\n", argv[optind]);
		return rc;
	}
	if (argc - optind != 2) {
		fputs(move_help, stderr);
		return CTL_EXIT_USAGE;
	}
	name = argv[optind];
	node = argv[optind + 1];
	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(name));
	json_object_object_add(args, "node", json_object_new_string(node));
	if (type)
		json_object_object_add(args, "type", json_object_new_string(type));
	t0 = cd_now_mono_ms();
	deadline = t0 + (uint64_t)(timeout_s * 1000);
	/*
	 * Follow the role by clusterd's events (every applied change is one),
	 * subscribed before the request so none is missed; polling every
	 * 20 ms only if the subscription fails.
	 */
	ev = ctl_connect(&rc);
	if (ev && ctl_subscribe(ev, NULL) != CTL_EXIT_OK) {
		ctl_disconnect(ev);
		ev = NULL;
	}
	/*
	 * A migration that just switched over is still dropping its source
	 * copy for a moment ("being migrated already"): wait that out.
	 */
	for (;;) {
		struct ctl_conn *c = ctl_connect(&rc);

		if (!c) {
			json_object_put(args);
			return rc;
		}
		/* The last try (deadline near) prints the refusal. */
		rc = ctl_request_quiet(c, "role-move", args, &data,
				       cd_now_mono_ms() + 100 < deadline ? "EBUSY" : NULL);
		ctl_disconnect(c);
		json_object_put(data);
		data = NULL;
		if (rc != CTL_EXIT_RETRY)
			break;
		usleep(50 * 1000);
	}
	json_object_put(args);
	if (rc) {
		if (ev)
			ctl_disconnect(ev);
		return rc;
	}
	rc = follow_move(g, name, node, t0, deadline, timeout_s, ev);
	if (ev)
		ctl_disconnect(ev);
	return rc;
}

/* ---- node drain ---- */

/* An up, unpaused node other than avoid, preferring the role's owners order. */
static const char *
drain_target(json_object *nodes, json_object *role_cfg, const char *avoid)
{
	json_object *pref = NULL;
	size_t i, j;

	json_object_object_get_ex(role_cfg, "preferred_owners", &pref);
	for (j = 0; pref && j <= json_object_array_length(pref); j++) {
		const char *want = j < json_object_array_length(pref) ?
				   json_object_get_string(json_object_array_get_idx(pref, j)) : NULL;

		for (i = 0; i < json_object_array_length(nodes); i++) {
			json_object *n = json_object_array_get_idx(nodes, i);
			const char *name = ctl_jstr(n, "name", "");

			if (!strcmp(name, avoid) || strcmp(ctl_jstr(n, "state", ""), "up") ||
			    ctl_jbool(n, "paused") || ctl_jbool(n, "fenced"))
				continue;
			if (!want || !strcmp(name, want))
				return name;
		}
	}
	for (i = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);
		const char *name = ctl_jstr(n, "name", "");

		if (strcmp(name, avoid) && !strcmp(ctl_jstr(n, "state", ""), "up") &&
		    !ctl_jbool(n, "paused") && !ctl_jbool(n, "fenced"))
			return name;
	}
	return NULL;
}

int
ctl_node_drain(struct ctl_globals *g, const char *node)
{
	json_object *args, *data = NULL, *list = NULL, *nodes = NULL, *roles = NULL;
	size_t i, moved = 0, failed = 0;
	int rc;

	args = json_object_new_object();
	json_object_object_add(args, "name", json_object_new_string(node));
	rc = ctl_call("node-pause", args, &data);
	json_object_put(args);
	json_object_put(data);
	if (rc)
		return rc;
	fprintf(stderr, "%s: paused (no new roles); moving its roles away\n", node);
	rc = ctl_call("node-list", NULL, &list);
	if (rc)
		return rc;
	json_object_object_get_ex(list, "nodes", &nodes);
	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (!strcmp(ctl_jstr(n, "name", ""), node))
			json_object_object_get_ex(n, "roles", &roles);
	}
	for (i = 0; roles && i < json_object_array_length(roles); i++) {
		const char *role = json_object_get_string(json_object_array_get_idx(roles, i));
		json_object *show = NULL, *cfg = NULL;
		const char *target;
		char *av[4], rbuf[128], tbuf[128];

		args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(role));
		rc = ctl_call("role-show", args, &show);
		json_object_put(args);
		if (rc) {
			failed++;
			continue;
		}
		json_object_object_get_ex(show, "config", &cfg);
		target = drain_target(nodes, cfg, node);
		if (!target) {
			fprintf(stderr, "%s: no node can take role %s\n", node, role);
			json_object_put(show);
			failed++;
			continue;
		}
		snprintf(rbuf, sizeof(rbuf), "%s", role);
		snprintf(tbuf, sizeof(tbuf), "%s", target);
		av[0] = (char *)(uintptr_t)"move";
		av[1] = rbuf;
		av[2] = tbuf;
		av[3] = NULL;
		rc = cmd_move(g, 3, av);
		json_object_put(show);
		if (rc)
			failed++;
		else
			moved++;
	}
	json_object_put(list);
	if (!g->json)
		printf("%s: drained: %zu role(s) moved, %zu failed; 'clusterctl node resume %s' "
		       "lets roles come back\n", node, moved, failed, node);
	return failed ? CTL_EXIT_FAILED : CTL_EXIT_OK;
}
