/*
 * disk-key.c - the disk agent's reservation key when no `key` parameter is
 * given (disk.h, disk_key_default):
 *
 *   1. clusterd's node: cd_pr_key(node id from /etc/clusterd/clusterd.conf,
 *      the holder's start time as incarnation);
 *   2. no clusterd.conf (Pacemaker): the key fence_scsi derives for this
 *      node, from corosync's cmap: the first 4 hex digits of the MD5 of
 *      totem.cluster_name, then the node's position in corosync's nodelist
 *      (nodelist.node.X) as 4 decimal digits, read as one hex number. So
 *      every node has its own key, the same key fence_scsi registers for it
 *      (fencing the node with fence_scsi removes its disks' registrations too).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <corosync/cmap.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>

#include "cs-error.h"
#include "disk.h"

#define CLUSTERD_CONF	"/etc/clusterd/clusterd.conf"
#define NODELIST	"nodelist.node."

uint64_t
disk_key_fence_scsi(const char *cluster_name, unsigned pos)
{
	unsigned char md5[16];
	char text[32];

	if (gnutls_hash_fast(GNUTLS_DIG_MD5, cluster_name, strlen(cluster_name), md5) < 0)
		return 0;
	snprintf(text, sizeof(text), "%02x%02x%04u", md5[0], md5[1], pos);
	return strtoull(text, NULL, 16);
}

/* This node's name: Pacemaker's (OCF_RESKEY_CRM_meta_on_node), else the
 * host name up to its first dot. */
static void
node_name(char *buf, size_t len)
{
	const char *n = ocf_param("CRM_meta_on_node");

	if (n) {
		snprintf(buf, len, "%s", n);
		return;
	}
	buf[0] = '\0';
	gethostname(buf, len - 1);
	buf[len - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
}

/* This node's id in clusterd.conf: {"nodes": {NAME: {"id": N}}}.
 * @return the id, 0 (why set) when not there, -ENOENT without the file */
static int64_t
clusterd_nodeid(char *why, size_t len)
{
	const char *env = getenv("CD_DISK_CONF");
	const char *path = env && *env ? env : CLUSTERD_CONF;
	json_object *conf, *nodes, *nd, *id;
	char host[256];
	int64_t v = 0;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return -ENOENT;
	host[0] = '\0';
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ".")] = '\0';
	conf = json_object_from_file(path);
	if (!conf) {
		snprintf(why, len, "cannot read %s (set the key parameter)", path);
		return 0;
	}
	if (json_object_object_get_ex(conf, "nodes", &nodes) &&
	    json_object_object_get_ex(nodes, host, &nd) &&
	    json_object_object_get_ex(nd, "id", &id))
		v = json_object_get_int64(id);
	json_object_put(conf);
	if (v <= 0 || v > UINT32_MAX) {
		snprintf(why, len, "node %s is not in %s", host, path);
		return 0;
	}
	return v;
}

/* The position X of nodelist.node.X whose name (or ring0_addr) is @p name. */
static int
nodelist_position(cmap_handle_t h, const char *name, unsigned *pos)
{
	cmap_iter_handle_t it;
	char key[CMAP_KEYNAME_MAXLEN + 1];
	size_t vlen;
	cmap_value_types_t type;
	int found = -ENOENT;

	if (cd_cs_err(cmap_iter_init(h, NODELIST, &it)))
		return -EIO;
	while (found && cmap_iter_next(h, it, key, &vlen, &type) == CS_OK) {
		const char *field = strchr(key + strlen(NODELIST), '.');
		char *v = NULL;

		if (!field || (strcmp(field, ".name") && strcmp(field, ".ring0_addr")))
			continue;
		if (cmap_get_string(h, key, &v) == CS_OK && !strcmp(v, name)) {
			*pos = (unsigned)strtoul(key + strlen(NODELIST), NULL, 10);
			found = 0;
		}
		free(v);
	}
	cmap_iter_finalize(h, it);
	return found;
}

static uint64_t
corosync_key(char *why, size_t len)
{
	cmap_handle_t h;
	char name[256], *cluster = NULL;
	unsigned pos = 0;
	uint64_t key = 0;
	int rc;

	rc = cd_cs_err(cmap_initialize(&h));
	if (rc) {
		snprintf(why, len, "no %s and corosync does not answer (%s): set the key "
			 "parameter", CLUSTERD_CONF, strerror(-rc));
		return 0;
	}
	node_name(name, sizeof(name));
	if (cmap_get_string(h, "totem.cluster_name", &cluster) != CS_OK)
		snprintf(why, len, "corosync has no totem.cluster_name: set the key parameter");
	else if (nodelist_position(h, name, &pos))
		snprintf(why, len, "node %s is not in corosync's nodelist: set the key "
			 "parameter", name);
	else if (!(key = disk_key_fence_scsi(cluster, pos)))
		snprintf(why, len, "cannot derive a key for node %s", name);
	free(cluster);
	cmap_finalize(h);
	return key;
}

uint64_t
disk_key_default(char *why, size_t len)
{
	int64_t id = clusterd_nodeid(why, len);

	if (id == -ENOENT)
		return corosync_key(why, len);
	return id > 0 ? cd_pr_key((uint32_t)id, (uint32_t)time(NULL)) : 0;
}
