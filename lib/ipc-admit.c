/*
 * ipc-admit.c - admission rules of clusterd's IPC server (ipc-admit.h).
 */
#include "ipc-admit.h"

enum cd_ipc_verdict
cd_ipc_admit(const struct cd_ipc_peer *p, const struct cd_ipc_counts *n)
{
	if (p->uid == 0)					/* A1 */
		return n->root < CD_IPC_ROOT_MAX ? CD_IPC_ADMIT : CD_IPC_CLOSE_BUSY;
	if (p->admin)						/* A2 */
		return n->uid < CD_IPC_UID_MAX && n->admin < CD_IPC_ADMIN_MAX ?
		       CD_IPC_ADMIT : CD_IPC_CLOSE_BUSY;
	if (n->deny_pending < CD_IPC_DENY_PENDING_MAX &&	/* A3 */
	    n->deny_window < CD_IPC_DENY_WINDOW_MAX)
		return CD_IPC_LET_REFUSE;
	return CD_IPC_CLOSE_DENIED;
}

const char *
cd_ipc_verdict_str(enum cd_ipc_verdict v)
{
	switch (v) {
	case CD_IPC_ADMIT:
		return "admitted";
	case CD_IPC_LET_REFUSE:
		return "let through to be refused";
	case CD_IPC_CLOSE_DENIED:
		return "closed: neither root nor in haclient";
	case CD_IPC_CLOSE_BUSY:
		return "closed: over its connection budget";
	}
	return "?";
}

bool
cd_ipc_gid_in(gid_t gid, const gid_t *gids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (gids[i] == gid)
			return true;
	}
	return false;
}
