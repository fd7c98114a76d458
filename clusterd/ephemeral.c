/*
 * ephemeral.c - the daemon's overlay of not-persisted values (see
 * ephemeral.h; the rules are lib/state-overlay.h's).
 */
#include "daemon.h"
#include "ephemeral.h"
#include "cpgmsg.h"
#include "log.h"
#include "state-overlay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct cd_overlay overlay;

int
cd_ephemeral_send(struct cd_daemon *d, json_object *ops)
{
	json_object *body = json_object_new_object();
	size_t len;
	void *buf;
	int rc;

	if (!body)
		return -ENOMEM;
	json_object_object_add(body, "ops", json_object_get(ops));
	buf = cd_cpg_encode(CD_CPG_EPHEMERAL, body, &len);
	rc = buf ? cd_cs_send(d, buf, len) : -errno;
	free(buf);
	json_object_put(body);
	return rc;
}

void
cd_ephemeral_deliver(struct cd_daemon *d, uint32_t nodeid, json_object *body)
{
	json_object *ops = json_object_object_get(body, "ops"), *ev;
	int rc = cd_overlay_put(&overlay, cd_replica_state(d), ops);

	if (rc == -ESTALE)
		return;		/* what it describes has moved on (O2) */
	if (rc < 0) {
		cd_warn("ephemeral: ignoring an update from node %" PRIu32 ": %s", nodeid,
			strerror(-rc));
		return;
	}
	ev = json_object_new_object();
	if (!ev)
		return;
	json_object_object_add(ev, "node", json_object_new_int64(nodeid));
	json_object_object_add(ev, "ops", json_object_get(ops));
	cd_ipc_broadcast(d, "ephemeral", ev);
	json_object_put(ev);
}

json_object *
cd_ephemeral_view(struct cd_daemon *d, const char *prefix, json_object *member)
{
	json_object *copy = NULL;

	if (!member)
		return NULL;
	if (!overlay.n || json_object_deep_copy(member, &copy, NULL) != 0)
		return json_object_get(member);
	if (cd_overlay_merge(&overlay, cd_replica_state(d), prefix, copy) == 0) {
		json_object_put(copy);
		return json_object_get(member);
	}
	return copy;
}

void
cd_ephemeral_clear(void)
{
	cd_overlay_clear(&overlay);
}
