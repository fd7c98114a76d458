/*
 * qemu-tls.c - qemu plugin: live migration over TLS (issue 16 item 3).
 *
 * On (the default) unless CD_VM_MIGRATION_TLS is false (clusterd sets it
 * from the cluster property migration-tls). The cluster's credentials
 * (clusterctl create, node add, tls rotate) are in CD_QEMU_TLS_DIR:
 * ca-cert.pem (the cluster CA; during a rotation the new and the old one),
 * this node's certificate as server-cert.pem and client-cert.pem, its key
 * as server-key.pem and client-key.pem (root:clusterd-qemu 0640: QEMU
 * reads them as clusterd-qemu, because the objects are added over QMP
 * right before each migration, so a rotation applies to QEMUs that run
 * already). A node's certificate names it: CN and DNS name = node name,
 * O = CD_QEMU_TLS_ORG.
 *
 * Target (migrate_prepare): tls-creds-x509 endpoint=server, verify-peer
 * (the client must present a certificate of the cluster CA), and tls-authz
 * an authz-list that allows only the source node's certificate
 * (OCF_RESKEY_CRM_meta_migrate_source; unknown: any node of the cluster).
 * A stranger that connects to the incoming port first fails its handshake;
 * QEMU's incoming migration then fails and the move rolls back.
 * Source (migrate_to): endpoint=client, tls-hostname = the target node
 * (OCF_RESKEY_CRM_meta_migrate_target, required), so the source sends only
 * to a holder of that node's certificate.
 * Quick migration writes to a file through an fd (no peer to shake hands
 * with): cd_qemu_set_migration_params clears the TLS parameters first.
 */
#include "qemu-ops.h"
#include "qemu-argv.h"
#include "qemu-proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TLS_CREDS_ID	CD_QEMU_TLS_CREDS
#define TLS_AUTHZ_ID	CD_QEMU_TLS_AUTHZ

bool
cd_qemu_tls_enabled(void)
{
	const char *v = getenv(CD_QEMU_TLS_ENV);

	return !(v && (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") ||
		       !strcmp(v, "off")));
}

/* Node names as clusterd knows them ([A-Za-z0-9_.-]): safe in a DN. */
static bool
plain_name(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	}
	return true;
}

static int
creds_present(struct cd_hv_vm *vm, bool server)
{
	static const char *const files[] = { "ca-cert.pem", "server-cert.pem",
					     "server-key.pem", "client-cert.pem",
					     "client-key.pem" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!server && i >= 1 && i <= 2)
			continue;
		if (server && i >= 3)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CD_QEMU_TLS_DIR, files[i]);
		if (access(path, R_OK) < 0)
			return cd_qemu_fail(vm, -ENOENT, "migration over TLS: no %s on %s "
					    "('clusterctl create' and 'node add' install "
					    "it, 'clusterctl tls rotate' renews it; the "
					    "cluster property migration-tls=false turns TLS "
					    "off for a dedicated trusted network)", path,
					    cd_qemu_node_name());
	}
	return 0;
}

/* Said in the plugin's log and in qemu.log, next to QEMU's own refusals
 * ("TLS x509 authz check for ... is denied"). */
static void
note(struct cd_hv_vm *vm, bool server, const char *peer)
{
	char path[4096];
	FILE *f;

	cd_qemu_log(vm, "migration over TLS (%s, %s %s)", server ? "target" : "source",
		    server ? "accepting" : "to", peer && *peer ? peer : "any cluster node");
	if (cd_qemu_path(vm, CD_QEMU_LOG, path, sizeof(path)) || !(f = fopen(path, "ae")))
		return;
	fprintf(f, "clusterd: migration over TLS (%s, %s %s)\n", server ? "target" : "source",
		server ? "accepting" : "to", peer && *peer ? peer : "any cluster node");
	fclose(f);
}

/* An authz-list rule allowing one exact identity. */
static void
allow(json_object *rules, const char *match, const char *format)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "match", json_object_new_string(match));
	json_object_object_add(r, "policy", json_object_new_string("allow"));
	json_object_object_add(r, "format", json_object_new_string(format));
	json_object_array_add(rules, r);
}

static int
qmp_or_fail(struct cd_hv_vm *vm, struct cd_qmp *q, const char *cmd, json_object *args)
{
	int rc = cd_qmp_cmd(q, cmd, args, -1, QMP_TIMEOUT_MS, NULL);

	json_object_put(args);
	return rc ? cd_qemu_qmp_fail(vm, q, rc) : 0;
}

int
cd_qemu_tls_setup(struct cd_hv_vm *vm, struct cd_qmp *q, bool server)
{
	const char *peer = getenv(server ? "OCF_RESKEY_CRM_meta_migrate_source" :
				  "OCF_RESKEY_CRM_meta_migrate_target");
	json_object *args, *rules, *az;
	char dn[160];
	int rc;

	if (!cd_qemu_tls_enabled())
		return 0;
	if ((rc = creds_present(vm, server)))
		return rc;
	if (peer && *peer && !plain_name(peer))
		return cd_qemu_fail(vm, -EINVAL, "migration over TLS: '%s' is not a "
				    "node name", peer);
	if (!server && !(peer && *peer))
		return cd_qemu_fail(vm, -EINVAL, "migration over TLS needs the target "
				    "node's name (OCF_RESKEY_CRM_meta_migrate_target)");
	/* Objects of an earlier migration of this QEMU: replaced, so that the
	 * files read are the current ones (cd_qemu_set_migration_params
	 * cleared the parameters that used them). */
	cd_qmp_cmdf(q, "object-del", "{\"id\":\"" TLS_AUTHZ_ID "\"}", QMP_TIMEOUT_MS, NULL);
	cd_qmp_cmdf(q, "object-del", "{\"id\":\"" TLS_CREDS_ID "\"}", QMP_TIMEOUT_MS, NULL);
	args = json_object_new_object();
	json_object_object_add(args, "qom-type", json_object_new_string("tls-creds-x509"));
	json_object_object_add(args, "id", json_object_new_string(TLS_CREDS_ID));
	json_object_object_add(args, "dir", json_object_new_string(CD_QEMU_TLS_DIR));
	json_object_object_add(args, "endpoint", json_object_new_string(server ? "server" :
									"client"));
	json_object_object_add(args, "verify-peer", json_object_new_boolean(1));
	if ((rc = qmp_or_fail(vm, q, "object-add", args)))
		return rc;
	args = json_object_new_object();
	json_object_object_add(args, "tls-creds", json_object_new_string(TLS_CREDS_ID));
	if (server) {
		rules = json_object_new_array();
		if (peer && *peer) {
			/* GnuTLS spells a DN in either order, depending on version. */
			snprintf(dn, sizeof(dn), "O=%s,CN=%s", CD_QEMU_TLS_ORG, peer);
			allow(rules, dn, "exact");
			snprintf(dn, sizeof(dn), "CN=%s,O=%s", peer, CD_QEMU_TLS_ORG);
			allow(rules, dn, "exact");
		} else {
			allow(rules, "O=" CD_QEMU_TLS_ORG ",CN=*", "glob");
			allow(rules, "CN=*,O=" CD_QEMU_TLS_ORG, "glob");
		}
		az = json_object_new_object();
		json_object_object_add(az, "qom-type", json_object_new_string("authz-list"));
		json_object_object_add(az, "id", json_object_new_string(TLS_AUTHZ_ID));
		json_object_object_add(az, "policy", json_object_new_string("deny"));
		json_object_object_add(az, "rules", rules);
		if ((rc = qmp_or_fail(vm, q, "object-add", az))) {
			json_object_put(args);
			return rc;
		}
		json_object_object_add(args, "tls-authz", json_object_new_string(TLS_AUTHZ_ID));
	} else {
		json_object_object_add(args, "tls-hostname", json_object_new_string(peer));
	}
	if ((rc = qmp_or_fail(vm, q, "migrate-set-parameters", args)))
		return rc;
	note(vm, server, peer);
	return 0;
}
