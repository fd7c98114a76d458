/*
 * validate-vmstore.c - validate's "VM storage paths" result (issue 17 item
 * 3): free space on each directory of the cluster property vm-storage-roots,
 * per node, from the inventory key vm_storage_free that validate.sh writes
 * ("ROOT=KB;ROOT=missing;..."). Pure code over the collected text.
 */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT_WARN_KB	(1024LL * 1024)		/* 1 GiB: a VM disk does not fit */
#define MAX_ROOTS	16

/* The KB free of ROOT in the node's vm_storage_free list: >= 0, -1 the
 * directory is missing there, -2 the node did not say (older clusterctl
 * helper, df failed). */
static long long
free_kb(const struct v_node *nd, const char *root)
{
	char list[2048], *save = NULL, *item;
	size_t rl = strlen(root);

	if (!v_node_get(nd, "vm_storage_free", list, sizeof(list)))
		return -2;
	for (item = strtok_r(list, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		if (strncmp(item, root, rl) || item[rl] != '=')
			continue;
		if (strcmp(item + rl + 1, "missing") == 0)
			return -1;
		if (item[rl + 1] < '0' || item[rl + 1] > '9')
			return -2;
		return atoll(item + rl + 1);
	}
	return -2;
}

/* printf at the end of buf; what does not fit is cut */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

void
v_check_vm_storage(struct v_report *rep, struct v_node *nodes, size_t n, const char *roots)
{
	char copy[1024], *save = NULL, *root, line[600];
	struct v_result *r;
	size_t i, low = 0, split = 0, unused = 0, nroots = 0;

	if (!roots || !roots[0]) {
		v_add(rep, "storage", "VM storage paths", V_PASS, "no cluster here yet "
		      "(clusterd not running): the property vm-storage-roots is not known");
		return;
	}
	r = v_add(rep, "storage", "VM storage paths", V_PASS, "every directory of "
		  "vm-storage-roots (%s) on every node, with at least 1 GiB free", roots);
	snprintf(copy, sizeof(copy), "%s", roots);
	for (root = strtok_r(copy, ":", &save); root && nroots < MAX_ROOTS;
	     root = strtok_r(NULL, ":", &save), nroots++) {
		size_t have = 0, asked = 0;

		line[0] = '\0';
		append(line, sizeof(line), "%s:", root);
		for (i = 0; i < n; i++) {
			long long kb;

			if (!nodes[i].reached)
				continue;
			kb = free_kb(&nodes[i], root);
			if (kb != -2)
				asked++;	/* a node that did not say is not "missing" */
			if (kb >= 0) {
				have++;
				if (kb < ROOT_WARN_KB)
					low++;
				append(line, sizeof(line), " %s %lld MiB free", nodes[i].host, kb / 1024);
			} else {
				append(line, sizeof(line), " %s %s", nodes[i].host,
				       kb == -1 ? "missing" : "unknown");
			}
			if (i + 1 < n)
				append(line, sizeof(line), ",");
		}
		if (have && have < asked)
			split++;
		else if (!have)
			unused++;
		v_detail(r, "%s", line);
	}
	v_detail(r, "a move (move-storage, a live move with local disks) is refused before "
		 "it starts when its target has too little space");
	if (split) {
		v_worsen(r, V_WARN);
		snprintf(r->reason, sizeof(r->reason), "%zu director%s of vm-storage-roots "
			 "missing on some nodes: a VM whose files are there cannot run on them",
			 split, split == 1 ? "y" : "ies");
	} else if (low) {
		v_worsen(r, V_WARN);
		snprintf(r->reason, sizeof(r->reason), "less than 1 GiB free in %zu VM storage "
			 "path%s (see the details)", low, low == 1 ? "" : "s");
	} else if (unused) {
		snprintf(r->reason, sizeof(r->reason), "%zu of %zu directories of "
			 "vm-storage-roots on every node with at least 1 GiB free; %zu on "
			 "no node (unused)", nroots - unused, nroots, unused);
	}
}
