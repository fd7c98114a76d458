/*
 * validate-checks.c - turn the nodes' inventories (validate.sh output) into
 * validate's inventory, network, storage, hypervisor and system results.
 * Pure code over the collected text.
 */
#include "validate.h"
#include "migmode.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#define CLOCK_WARN_S	0.5
#define CLOCK_FAIL_S	2.0
#define LATENCY_WARN_MS	5.0
#define MEM_WARN_KB	(512 * 1024)
#define DISK_WARN_KB	(1024 * 1024)
#define DISK_FAIL_KB	(64 * 1024)

const char *
v_node_get(const struct v_node *nd, const char *key, char *buf, size_t len)
{
	const char *s = nd->out;
	size_t klen = strlen(key);

	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (l > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			l -= klen + 1;
			if (l >= len)
				l = len - 1;
			memcpy(buf, s + klen + 1, l);
			buf[l] = '\0';
			return buf;
		}
		s = e ? e + 1 : NULL;
	}
	return NULL;
}

static const char *
get(const struct v_node *nd, const char *key, char *buf, size_t len)
{
	const char *v = v_node_get(nd, key, buf, len);

	return v ? v : "";
}

/* ---- inventory ---- */

static void
check_same(struct v_report *rep, struct v_node *nodes, size_t n, const char *cat,
	   const char *name, const char *const *keys, const enum v_status *if_differ,
	   size_t nkeys)
{
	struct v_result *r = v_add(rep, cat, name, V_PASS, "the same on every node");
	char a[256], b[256], diff[200] = "";
	size_t i, k;

	for (k = 0; k < nkeys; k++) {
		bool same = true;

		for (i = 0; i < n; i++) {
			if (!nodes[i].reached)
				continue;
			get(&nodes[i], keys[k], b, sizeof(b));
			if (i == 0 || !nodes[0].reached)
				snprintf(a, sizeof(a), "%s", b);
			same = same && strcmp(a, b) == 0;
		}
		for (i = 0; i < n; i++)
			if (nodes[i].reached)
				v_detail(r, "%s %s: %s", nodes[i].host, keys[k] + (strncmp(keys[k], "ver_", 4) ? 0 : 4),
					 get(&nodes[i], keys[k], b, sizeof(b)));
		if (!same) {
			v_worsen(r, if_differ[k]);
			snprintf(diff + strlen(diff), sizeof(diff) - strlen(diff), "%s%s",
				 diff[0] ? ", " : "", keys[k] + (strncmp(keys[k], "ver_", 4) ? 0 : 4));
		}
	}
	if (diff[0])
		snprintf(r->reason, sizeof(r->reason), "differ between nodes: %s", diff);
}

static void
check_inventory(struct v_report *rep, struct v_node *nodes, size_t n)
{
	static const char *const os_keys[] = { "os", "kernel", "arch" };
	static const enum v_status os_st[] = { V_WARN, V_WARN, V_FAIL };
	static const char *const pkg_keys[] = { "ver_corosync", "ver_libqb", "ver_clusterd", "ver_qemu" };
	static const enum v_status pkg_st[] = { V_FAIL, V_FAIL, V_FAIL, V_WARN };
	struct v_result *r;
	size_t i, reached = 0;

	r = v_add(rep, "inventory", "Nodes reachable over ssh", V_PASS, "all %zu nodes answered", n);
	for (i = 0; i < n; i++) {
		if (nodes[i].reached) {
			reached++;
			v_detail(r, "%s: ok", nodes[i].host);
		} else {
			v_detail(r, "%s: %s", nodes[i].host, nodes[i].why);
		}
	}
	if (reached < n) {
		v_worsen(r, V_FAIL);
		snprintf(r->reason, sizeof(r->reason), "%zu of %zu nodes could not be examined",
			 n - reached, n);
	}
	check_same(rep, nodes, n, "inventory", "Operating system", os_keys, os_st, 3);
	check_same(rep, nodes, n, "inventory", "Package versions", pkg_keys, pkg_st, 4);
}

/* ---- network ---- */

struct iface {
	size_t node;
	char name[32], addr[64];
	unsigned prefix, mtu;
	uint32_t net;		/* IPv4 network */
};

static uint32_t
ip4(const char *s)
{
	unsigned a, b, c, d;

	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
		return 0;
	return a << 24 | b << 16 | c << 8 | d;
}

static size_t
collect_ifaces(struct v_node *nodes, size_t n, struct iface *ifs, size_t max)
{
	char buf[2048], *save = NULL, *item;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!nodes[i].reached)
			continue;
		get(&nodes[i], "addrs", buf, sizeof(buf));
		for (item = strtok_r(buf, ";", &save); item && k < max;
		     item = strtok_r(NULL, ";", &save)) {
			struct iface *f = &ifs[k];
			char *slash;

			memset(f, 0, sizeof(*f));
			if (sscanf(item, "%31[^,],%63[^,],%u", f->name, f->addr, &f->mtu) != 3)
				continue;
			slash = strchr(f->addr, '/');
			if (!slash)
				continue;
			*slash = '\0';
			f->prefix = (unsigned)atoi(slash + 1);
			f->node = i;
			f->net = f->prefix ? ip4(f->addr) & (0xffffffffu << (32 - f->prefix)) : 0;
			k++;
		}
		save = NULL;
	}
	return k;
}

static void
check_network(struct v_report *rep, struct v_node *nodes, size_t n)
{
	struct iface ifs[256];
	size_t nif = collect_ifaces(nodes, n, ifs, 256), i, j;
	struct v_result *reach, *lat, *mtu, *dup, *port;
	double worst = 0;
	char key[96], buf[64];
	int bad = 0, mtubad = 0, dups = 0, ports = 0;

	reach = v_add(rep, "network", "Reachability on every network", V_PASS,
		      "every node reaches every other on each shared network");
	lat = v_add(rep, "network", "Round-trip latency", V_PASS, "%s", "");
	for (i = 0; i < nif; i++) {
		for (j = 0; j < nif; j++) {
			if (ifs[i].node == ifs[j].node || ifs[i].net != ifs[j].net ||
			    ifs[i].prefix != ifs[j].prefix)
				continue;
			snprintf(key, sizeof(key), "ping_%s", ifs[j].addr);
			get(&nodes[ifs[i].node], key, buf, sizeof(buf));
			if (!buf[0] || strcmp(buf, "unreachable") == 0) {
				bad++;
				v_detail(reach, "%s (%s) -> %s (%s): %s", nodes[ifs[i].node].host,
					 ifs[i].addr, nodes[ifs[j].node].host, ifs[j].addr,
					 buf[0] ? buf : "not tested");
			} else {
				double ms = atof(buf);

				if (ms > worst)
					worst = ms;
				v_detail(lat, "%s -> %s (%s): %.3f ms", nodes[ifs[i].node].host,
					 nodes[ifs[j].node].host, ifs[j].addr, ms);
			}
		}
	}
	if (bad) {
		v_worsen(reach, V_FAIL);
		snprintf(reach->reason, sizeof(reach->reason), "%d paths between nodes do not work", bad);
	}
	snprintf(lat->reason, sizeof(lat->reason), "worst average round trip %.3f ms", worst);
	if (worst > LATENCY_WARN_MS) {
		v_worsen(lat, V_WARN);
		snprintf(lat->reason, sizeof(lat->reason), "worst average round trip %.3f ms "
			 "(over %.0f ms: corosync's token timeout may need raising)", worst,
			 LATENCY_WARN_MS);
	}

	mtu = v_add(rep, "network", "MTU agreement", V_PASS,
		    "interfaces of a network have the same MTU on every node");
	dup = v_add(rep, "network", "Duplicate addresses", V_PASS, "no address is used twice");
	for (i = 0; i < nif; i++) {
		v_detail(mtu, "%s %s %s/%u mtu %u", nodes[ifs[i].node].host, ifs[i].name,
			 ifs[i].addr, ifs[i].prefix, ifs[i].mtu);
		for (j = i + 1; j < nif; j++) {
			if (ifs[i].net == ifs[j].net && ifs[i].node != ifs[j].node &&
			    ifs[i].mtu != ifs[j].mtu)
				mtubad++;
			if (strcmp(ifs[i].addr, ifs[j].addr) == 0) {
				dups++;
				v_detail(dup, "%s is on %s (%s) and %s (%s)", ifs[i].addr,
					 nodes[ifs[i].node].host, ifs[i].name,
					 nodes[ifs[j].node].host, ifs[j].name);
			}
		}
	}
	if (mtubad) {
		v_worsen(mtu, V_FAIL);
		snprintf(mtu->reason, sizeof(mtu->reason), "%d interface pairs of one network "
			 "have different MTUs", mtubad);
	}
	if (dups) {
		v_worsen(dup, V_FAIL);
		snprintf(dup->reason, sizeof(dup->reason), "%d addresses are used twice", dups);
	}
	port = v_add(rep, "network", "Corosync port 5405", V_PASS,
		     "free, or used by corosync itself");
	for (i = 0; i < n; i++) {
		char run[8], p[8];

		if (!nodes[i].reached)
			continue;
		get(&nodes[i], "corosync_running", run, sizeof(run));
		get(&nodes[i], "port5405", p, sizeof(p));
		v_detail(port, "%s: udp/5405 %s%s", nodes[i].host, p,
			 strcmp(run, "yes") == 0 ? " (corosync runs)" : "");
		if (strcmp(p, "busy") == 0 && strcmp(run, "yes") != 0)
			ports++;
	}
	if (ports) {
		v_worsen(port, V_FAIL);
		snprintf(port->reason, sizeof(port->reason), "udp/5405 taken by another program "
			 "on %d nodes", ports);
	}
}

/* ---- hypervisor ---- */

static bool
has_flags(const char *set, const char *const *need)
{
	char word[40];

	for (; *need; need++) {
		const char *p = set;
		size_t l = strlen(*need);
		bool found = false;

		snprintf(word, sizeof(word), "%s", *need);
		while ((p = strstr(p, word)) != NULL) {
			if ((p == set || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0')) {
				found = true;
				break;
			}
			p += l;
		}
		if (!found)
			return false;
	}
	return true;
}

const char *
v_x86_level(const char *const *flag_sets, size_t n)
{
	static const char *const v1[] = { "lm", "cmov", "cx8", "fpu", "fxsr", "mmx",
					  "sse", "sse2", NULL };
	static const char *const v2[] = { "cx16", "lahf_lm", "popcnt", "sse4_1",
					  "sse4_2", "ssse3", NULL };
	static const char *const v3[] = { "avx", "avx2", "bmi1", "bmi2", "f16c", "fma",
					  "abm", "movbe", "xsave", NULL };
	static const char *const v4[] = { "avx512f", "avx512bw", "avx512cd",
					  "avx512dq", "avx512vl", NULL };
	static const char *const *levels[] = { v1, v2, v3, v4 };
	static const char *const names[] = { "x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4" };
	int lvl = -1, l;
	size_t i;

	for (l = 0; l < 4; l++) {
		for (i = 0; i < n; i++)
			if (!has_flags(flag_sets[i], levels[l]))
				break;
		if (i < n)
			break;
		lvl = l;
	}
	return lvl < 0 ? "none (not x86-64)" : names[lvl];
}

/*
 * Live pre-copy is unsafe under TCG on QEMU < 9.0 (agents/vm/migmode.h):
 * the qemu plugin then pauses the guest for the transfer. The accelerator
 * is the plugin's probe verdict when the node has one, else /dev/kvm.
 */
static void
check_migration_mode(struct v_report *rep, struct v_node *nodes, size_t n)
{
	struct v_result *r;
	char a[64], k[16], ver[64], why[128], first[64] = "";
	size_t i, paused = 0, total = 0;

	r = v_add(rep, "hypervisor", "Live migration mode", V_PASS,
		  "live pre-copy on every node");
	for (i = 0; i < n; i++) {
		struct cd_migmode_in in = { 0 };

		if (!nodes[i].reached || strcmp(get(&nodes[i], "qemu", a, sizeof(a)), "yes") != 0)
			continue;
		total++;
		get(&nodes[i], "accel", a, sizeof(a));
		if (strcmp(a, "kvm") != 0 && strcmp(a, "tcg") != 0)
			snprintf(a, sizeof(a), "%s", strcmp(get(&nodes[i], "kvm", k, sizeof(k)),
							    "yes") == 0 ? "kvm" : "tcg");
		in.accel = a;
		cd_migmode_parse_version(get(&nodes[i], "ver_qemu", ver, sizeof(ver)),
					 &in.major, &in.minor, &in.micro);
		if (cd_migmode_decide(&in, why, sizeof(why)) != CD_MIGMODE_PAUSED) {
			v_detail(r, "%s: live pre-copy (%s)", nodes[i].host, why);
			continue;
		}
		if (!paused++)
			snprintf(first, sizeof(first), "%s, QEMU %d.%d",
				 strcmp(a, "kvm") ? "TCG" : "KVM", in.major, in.minor);
		v_detail(r, "%s: live migration runs in paused mode on this node (%s, QEMU %d.%d)",
			 nodes[i].host, strcmp(a, "kvm") ? "TCG" : "KVM", in.major, in.minor);
	}
	if (paused) {
		v_worsen(r, V_WARN);
		snprintf(r->reason, sizeof(r->reason), "live migration runs in paused mode on "
			 "%zu of %zu nodes (%s): TCG on QEMU < 9.0 loses pages in pre-copy, so "
			 "the guest pauses for the whole transfer", paused, total, first);
	}
}

static void
check_hypervisor(struct v_report *rep, struct v_node *nodes, size_t n)
{
	struct v_result *q, *k, *cpu, *br;
	const char *sets[V_MAX_NODES] = { 0 };
	char *flags[V_MAX_NODES] = { 0 };
	char a[4096], b[1024], models[2][256] = { "", "" };
	size_t i, m = 0, noqemu = 0, nokvm = 0;
	bool model_differs = false;

	q = v_add(rep, "hypervisor", "QEMU installed", V_PASS, "qemu-system-x86_64 on every node");
	k = v_add(rep, "hypervisor", "KVM acceleration", V_PASS, "/dev/kvm usable on every node");
	for (i = 0; i < n; i++) {
		if (!nodes[i].reached)
			continue;
		if (strcmp(get(&nodes[i], "qemu", a, sizeof(a)), "yes") != 0) {
			noqemu++;
			v_detail(q, "%s: no qemu-system-x86_64", nodes[i].host);
		} else {
			v_detail(q, "%s: QEMU %s", nodes[i].host, get(&nodes[i], "ver_qemu", b, sizeof(b)));
		}
		if (strcmp(get(&nodes[i], "kvm", a, sizeof(a)), "yes") != 0) {
			nokvm++;
			v_detail(k, "%s: no usable /dev/kvm: VMs run under TCG emulation (slow)",
				 nodes[i].host);
		}
		get(&nodes[i], "cpu_model", models[m ? 1 : 0], sizeof(models[0]));
		if (m && strcmp(models[0], models[1]) != 0)
			model_differs = true;
		flags[m] = strdup(get(&nodes[i], "cpu_flags", a, sizeof(a)));
		sets[m] = flags[m] ? flags[m] : "";
		m++;
	}
	if (noqemu) {
		v_worsen(q, V_FAIL);
		snprintf(q->reason, sizeof(q->reason), "QEMU missing on %zu nodes", noqemu);
	}
	if (nokvm) {
		v_worsen(k, V_WARN);
		snprintf(k->reason, sizeof(k->reason), "no KVM on %zu nodes: TCG fallback", nokvm);
	}
	cpu = v_add(rep, "hypervisor", "CPU compatibility for live migration", V_PASS,
		    "lowest common model: %s", v_x86_level(sets, m));
	for (i = 0; i < n; i++)
		if (nodes[i].reached)
			v_detail(cpu, "%s: %s", nodes[i].host, get(&nodes[i], "cpu_model", b, sizeof(b)));
	if (model_differs) {
		v_worsen(cpu, V_WARN);
		snprintf(cpu->reason, sizeof(cpu->reason), "CPU models differ: give VMs the "
			 "lowest common model %s", v_x86_level(sets, m));
	}
	for (i = 0; i < m; i++)
		free(flags[i]);
	check_migration_mode(rep, nodes, n);

	br = v_add(rep, "hypervisor", "Bridges named the same", V_PASS, "%s", "");
	{
		char all[1024] = "", list[1024], *save = NULL, *w;
		int missing = 0;

		for (i = 0; i < n; i++) {	/* the union of bridge names */
			if (!nodes[i].reached)
				continue;
			get(&nodes[i], "bridges", list, sizeof(list));
			v_detail(br, "%s: %s", nodes[i].host, list[0] ? list : "(no bridges)");
			for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
				char pat[80];

				snprintf(pat, sizeof(pat), ",%s,", w);
				if (!strstr(all, pat) && strlen(all) + strlen(pat) < sizeof(all))
					snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s,",
						 all[0] ? "" : ",", w);
			}
			save = NULL;
		}
		for (w = strtok_r(all, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < n; i++) {
				char pat[80], have[1024];

				if (!nodes[i].reached)
					continue;
				snprintf(have, sizeof(have), ",%s,", get(&nodes[i], "bridges", list, sizeof(list)));
				snprintf(pat, sizeof(pat), ",%s,", w);
				if (!strstr(have, pat)) {
					missing++;
					v_detail(br, "bridge %s is missing on %s", w, nodes[i].host);
					if (missing == 1)
						snprintf(br->reason, sizeof(br->reason),
							 "bridge %s is missing on %s", w, nodes[i].host);
				}
			}
		}
		if (missing)
			v_worsen(br, V_FAIL);
		else
			snprintf(br->reason, sizeof(br->reason), "every node has the same bridges");
	}
}

/* ---- system ---- */

static void
check_system(struct v_report *rep, struct v_node *nodes, size_t n)
{
	struct v_result *clk, *mem, *dsk;
	double lo = 0, hi = 0, err = 0;
	char b[64];
	size_t i;
	bool first = true;
	int lowmem = 0, lowdisk = 0, nodisk = 0;

	clk = v_add(rep, "system", "Clock skew", V_PASS, "%s", "");
	for (i = 0; i < n; i++) {
		if (!nodes[i].clock_ok)
			continue;
		v_detail(clk, "%s: %+.3f s from this machine (+-%.3f)", nodes[i].host,
			 nodes[i].clock_offset_s, nodes[i].clock_error_s);
		if (first || nodes[i].clock_offset_s < lo)
			lo = nodes[i].clock_offset_s;
		if (first || nodes[i].clock_offset_s > hi)
			hi = nodes[i].clock_offset_s;
		if (nodes[i].clock_error_s > err)
			err = nodes[i].clock_error_s;
		first = false;
	}
	snprintf(clk->reason, sizeof(clk->reason), "largest skew between nodes %.3f s (+-%.3f)",
		 hi - lo, 2 * err);
	if (hi - lo - 2 * err > CLOCK_FAIL_S)
		v_worsen(clk, V_FAIL);
	else if (hi - lo - 2 * err > CLOCK_WARN_S)
		v_worsen(clk, V_WARN);

	mem = v_add(rep, "system", "Memory", V_PASS, "at least 512 MiB available on every node");
	dsk = v_add(rep, "system", "Free disk under /var/lib/clusterd", V_PASS,
		    "at least 1 GiB free on every node");
	for (i = 0; i < n; i++) {
		long long avail, total, free_kb;

		if (!nodes[i].reached)
			continue;
		avail = atoll(get(&nodes[i], "mem_avail_kb", b, sizeof(b)));
		total = atoll(get(&nodes[i], "mem_total_kb", b, sizeof(b)));
		free_kb = atoll(get(&nodes[i], "disk_free_kb", b, sizeof(b)));
		v_detail(mem, "%s: %lld MiB available of %lld MiB", nodes[i].host,
			 avail / 1024, total / 1024);
		v_detail(dsk, "%s: %lld MiB free", nodes[i].host, free_kb / 1024);
		if (avail < MEM_WARN_KB)
			lowmem++;
		if (free_kb < DISK_FAIL_KB)
			nodisk++;
		else if (free_kb < DISK_WARN_KB)
			lowdisk++;
	}
	v_detail(mem, "declared VMs are not counted: each VM's memory must fit on the node "
		 "that takes it over");
	if (lowmem) {
		v_worsen(mem, V_WARN);
		snprintf(mem->reason, sizeof(mem->reason), "less than 512 MiB available on %d nodes",
			 lowmem);
	}
	if (nodisk) {
		v_worsen(dsk, V_FAIL);
		snprintf(dsk->reason, sizeof(dsk->reason), "under 64 MiB free on %d nodes", nodisk);
	} else if (lowdisk) {
		v_worsen(dsk, V_WARN);
		snprintf(dsk->reason, sizeof(dsk->reason), "under 1 GiB free on %d nodes", lowdisk);
	}
}

void
v_check_migration_tls(struct v_report *rep, struct v_node *nodes, size_t n, int tls)
{
	struct v_result *r;
	char v[16];
	size_t missing = 0;

	if (tls == 0) {
		v_add(rep, "hypervisor", "Migration encryption", V_WARN,
		      "cluster property migration-tls is false: live migration "
		      "runs in clear text and any host that reaches a target's "
		      "incoming port can connect to it; keep it only on a dedicated "
		      "trusted migration network");
		return;
	}
	if (tls < 0) {
		v_add(rep, "hypervisor", "Migration encryption", V_PASS,
		      "no cluster here yet (clusterd not running): 'clusterctl "
		      "create' makes the migration TLS credentials");
		return;
	}
	r = v_add(rep, "hypervisor", "Migration encryption", V_PASS,
		  "live migration over TLS, only between cluster nodes");
	for (size_t i = 0; i < n; i++) {
		if (!nodes[i].reached || strcmp(get(&nodes[i], "qemu", v, sizeof(v)), "yes"))
			continue;
		if (strcmp(get(&nodes[i], "tls_creds", v, sizeof(v)), "yes") == 0)
			continue;
		missing++;
		v_detail(r, "%s: no migration TLS credentials in /etc/clusterd/tls "
			 "('clusterctl tls rotate' makes them)", nodes[i].host);
	}
	if (missing) {
		v_worsen(r, V_FAIL);
		snprintf(r->reason, sizeof(r->reason), "%zu node%s without migration TLS "
			 "credentials: live migrations to and from %s fail", missing,
			 missing == 1 ? "" : "s", missing == 1 ? "it" : "them");
	}
}

void
v_check_nodes(struct v_report *rep, struct v_node *nodes, size_t n)
{
	check_inventory(rep, nodes, n);
	check_network(rep, nodes, n);
	check_hypervisor(rep, nodes, n);
	check_system(rep, nodes, n);
}

/* ---- storage ---- */

/* The JSON answer of clusterd-pr's command cmd in LUN idx's lines; new ref. */
static json_object *
pr_answer(const struct v_node *nd, int idx, const char *cmd)
{
	char key[32], want[48];
	const char *s = nd->out;
	size_t klen;

	snprintf(key, sizeof(key), "lun%d_pr=", idx);
	snprintf(want, sizeof(want), "\"command\":\"%s\"", cmd);
	klen = strlen(key);
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (l > klen && strncmp(s, key, klen) == 0) {
			char *line = strndup(s + klen, l - klen);
			json_object *o = line && strstr(line, want) ? json_tokener_parse(line) : NULL;

			free(line);
			if (o)
				return o;
		}
		s = e ? e + 1 : NULL;
	}
	return NULL;
}

static const char *
js(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static bool
jok(json_object *o)
{
	json_object *v;

	return o && json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
}

void
v_check_lun(struct v_report *rep, struct v_node *nodes, size_t n, int idx,
	    const char *url, bool *in_use, char *use_why, size_t whylen)
{
	struct v_result *vis, *id, *rw;
	char name[96], ident[512] = "", b[512];
	size_t i, unseen = 0, rwbad = 0, differ = 0, skipped = 0;
	bool have_ident = false;

	*in_use = false;
	use_why[0] = '\0';
	snprintf(name, sizeof(name), "LUN %d visible from every node", idx);
	vis = v_add(rep, "storage", name, V_PASS, "%s", url);
	snprintf(name, sizeof(name), "LUN %d identity", idx);
	id = v_add(rep, "storage", name, V_PASS, "same serial, device id and capacity everywhere");
	snprintf(name, sizeof(name), "LUN %d read/write", idx);
	rw = v_add(rep, "storage", name, V_PASS, "every node reads (and writes when not in use)");
	for (i = 0; i < n; i++) {
		json_object *con, *inq, *keys, *res, *rd;
		char key[32];

		if (!nodes[i].reached)
			continue;
		con = pr_answer(&nodes[i], idx, "connect");
		if (!jok(con)) {
			unseen++;
			snprintf(key, sizeof(key), "lun%d_error", idx);
			v_detail(vis, "%s: cannot log in: %s", nodes[i].host,
				 con ? js(con, "message") : get(&nodes[i], key, b, sizeof(b))[0] ? b :
				 "no answer from clusterd-pr");
			json_object_put(con);
			continue;
		}
		json_object_put(con);
		inq = pr_answer(&nodes[i], idx, "inquiry");
		snprintf(b, sizeof(b), "serial %s, id %s, %s bytes", js(inq, "serial"),
			 js(inq, "device_id"), js(inq, "size_bytes"));
		v_detail(vis, "%s: %s %s", nodes[i].host, js(inq, "vendor"), js(inq, "product"));
		v_detail(id, "%s: %s", nodes[i].host, b);
		if (!have_ident) {
			snprintf(ident, sizeof(ident), "%s", b);
			have_ident = true;
		} else if (strcmp(ident, b) != 0) {
			differ++;
		}
		json_object_put(inq);
		keys = pr_answer(&nodes[i], idx, "keys");
		res = pr_answer(&nodes[i], idx, "reservation");
		if (atoi(js(keys, "count")) > 0 || strcmp(js(res, "reserved"), "true") == 0) {
			*in_use = true;
			snprintf(use_why, whylen, "%s keys registered%s%s", js(keys, "count"),
				 strcmp(js(res, "reserved"), "true") == 0 ? ", reserved by " : "",
				 strcmp(js(res, "reserved"), "true") == 0 ? js(res, "holder") : "");
		}
		json_object_put(keys);
		json_object_put(res);
		rd = pr_answer(&nodes[i], idx, "read");
		snprintf(key, sizeof(key), "lun%d_write", idx);
		get(&nodes[i], key, b, sizeof(b));
		if (!jok(rd)) {
			rwbad++;
			v_detail(rw, "%s: read failed: %s", nodes[i].host, js(rd, "message"));
		} else if (strcmp(b, "skipped") == 0 || !b[0]) {
			skipped++;
			v_detail(rw, "%s: read ok; write not tried (LUN in use)", nodes[i].host);
		} else {
			json_object *w = json_tokener_parse(b);

			if (jok(w)) {
				v_detail(rw, "%s: read ok, write ok", nodes[i].host);
			} else {
				rwbad++;
				v_detail(rw, "%s: read ok, write failed: %s", nodes[i].host,
					 w ? js(w, "message") : b);
			}
			json_object_put(w);
		}
		json_object_put(rd);
	}
	if (unseen) {
		v_worsen(vis, V_FAIL);
		snprintf(vis->reason, sizeof(vis->reason), "%zu nodes cannot reach %s", unseen, url);
	}
	if (differ) {
		v_worsen(id, V_FAIL);
		snprintf(id->reason, sizeof(id->reason), "nodes see different devices at this URL");
	}
	if (rwbad) {
		v_worsen(rw, V_FAIL);
		snprintf(rw->reason, sizeof(rw->reason), "I/O failed from %zu nodes", rwbad);
	} else if (skipped) {
		snprintf(rw->reason, sizeof(rw->reason), "reads work; writes not tried (in use: %s)",
			 use_why);
	}
	if (unseen == n) {
		v_worsen(id, V_FAIL);
		v_worsen(rw, V_FAIL);
		snprintf(id->reason, sizeof(id->reason), "no node reaches the LUN");
		snprintf(rw->reason, sizeof(rw->reason), "no node reaches the LUN");
	}
}
