/*
 * validate-postcopy.c - validate's "Post-copy migration" result (issue 20
 * item 4): a VM whose migration policy is postcopy needs userfaultfd(2) in
 * its target's QEMU, which runs as clusterd-qemu; QEMU 7.2 opens it only
 * with sysctl vm.unprivileged_userfaultfd=1 (agents/vm/README.md), and
 * without it the target's migrate_prepare fails at the move. Pure code over
 * the inventory key uffd ("0", "1", "unknown") that validate.sh writes.
 */
#include "validate.h"

#include <stdio.h>
#include <string.h>

void
v_check_postcopy(struct v_report *rep, struct v_node *nodes, size_t n, const char *users)
{
	char v[32], off[512] = "", unk[512] = "";
	size_t i, asked = 0, noff = 0, nunk = 0;
	struct v_result *r;

	if (!users) {
		v_add(rep, "hypervisor", "Post-copy migration", V_PASS, "no cluster here yet "
		      "(clusterd not running): which VMs use post-copy is not known");
		return;
	}
	r = v_add(rep, "hypervisor", "Post-copy migration", V_PASS, "%s",
		  users[0] ? "userfaultfd open to QEMU on every node" :
		  "no VM uses the migration policy postcopy");
	if (users[0])
		v_detail(r, "post-copy is used by: %s", users);
	for (i = 0; i < n; i++) {
		char *list;
		size_t *cnt;

		if (!nodes[i].reached)
			continue;
		asked++;
		if (!v_node_get(&nodes[i], "uffd", v, sizeof(v)) || (strcmp(v, "0") && strcmp(v, "1")))
			snprintf(v, sizeof(v), "unknown");
		v_detail(r, "%s: vm.unprivileged_userfaultfd=%s", nodes[i].host, v);
		if (!strcmp(v, "1"))
			continue;
		list = !strcmp(v, "0") ? off : unk;
		cnt = !strcmp(v, "0") ? &noff : &nunk;
		if (strlen(list) + strlen(nodes[i].host) + 3 < sizeof(off))
			snprintf(list + strlen(list), sizeof(off) - strlen(list), "%s%s",
				 *cnt ? ", " : "", nodes[i].host);
		(*cnt)++;
	}
	if (!users[0] || !asked)
		return;
	if (noff) {
		v_worsen(r, V_WARN);
		snprintf(r->reason, sizeof(r->reason), "post-copy needs sysctl "
			 "vm.unprivileged_userfaultfd=1 on %s (QEMU runs as clusterd-qemu): "
			 "a move to %s fails in its prepare step", off, noff == 1 ? "it" : "them");
	} else if (nunk) {
		v_worsen(r, V_WARN);
		snprintf(r->reason, sizeof(r->reason), "vm.unprivileged_userfaultfd unknown on "
			 "%s: post-copy moves there may fail", unk);
	}
}
