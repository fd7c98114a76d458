/*
 * props.c - the cluster property table and its validation.
 */
#include "props.h"
#include "error.h"
#include "valid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const migration_policies[] = { "precopy", "stall-abort", "postcopy",
						   NULL };

static const struct cd_prop props[] = {
	{ "description", CD_PROP_STRING, 0, 256, "",
	  "free text shown by 'clusterctl config show'", NULL, NULL },
	{ "migration-bandwidth-mbps", CD_PROP_INT, 0, 1000000, "0",
	  "live migration bandwidth cap in MiB/s; 0 = unlimited (dedicated migration network)", NULL, NULL },
	{ "migration-downtime-ms", CD_PROP_DURATION, 1, 60000, "300",
	  "maximum guest pause at the end of a live migration (ms, or with a unit: 1s)", NULL, NULL },
	/* Issue 20 item 4: stall handling and post-copy (lib/migstall.h). */
	{ "migration-policy", CD_PROP_ENUM, 0, 0, "precopy",
	  "what a live migration that does not converge does: precopy (throttle, "
	  "as before), stall-abort (step the downtime up to migration-downtime-max-ms, "
	  "then cancel: the VM stays), postcopy (then switch to post-copy: it always "
	  "completes, but a host or link lost meanwhile loses the VM on both, which is "
	  "cold-booted); a VM definition's migration_policy wins",
	  "CD_VM_MIGRATION_POLICY", migration_policies },
	{ "migration-downtime-max-ms", CD_PROP_DURATION, 1, 60000, "2000",
	  "bound of the downtime limit a stalled live migration steps up to (doubling "
	  "from migration-downtime-ms) before stall-abort or postcopy decides",
	  "CD_VM_MIGRATION_DOWNTIME_MAX_MS", NULL },
	{ "migration-stall-window-ms", CD_PROP_DURATION, 500, 600000, "5000",
	  "a live migration stalls when its remaining data has not shrunk by 10% over "
	  "this long and at least 2 dirty-memory passes", "CD_VM_MIGRATION_STALL_WINDOW_MS",
	  NULL },
	{ "migration-network", CD_PROP_CIDR, 0, 0, "",
	  "IPv4 network (A.B.C.D/N) for live migration traffic; empty = the address "
	  "each node's name resolves to (the cluster network)", NULL, NULL },
	{ "storage-move-bandwidth-mbps", CD_PROP_INT, 0, 1000000, "0",
	  "live storage move: the background copy's cap in MiB/s; 0 = unlimited "
	  "(the guest's own writes are never held back by it)", NULL, NULL },
	{ "recovery-delay-ms", CD_PROP_DURATION, 0, 60000, "100",
	  "after a node is lost and fenced, wait at least this long from the loss before "
	  "starting its roles elsewhere (the lease wait below usually decides)", NULL, NULL },
	{ "restart-grace-ms", CD_PROP_DURATION, 0, 600000, "20000",
	  "a planned stop of clusterd (SIGTERM: restart, upgrade) keeps the local roles "
	  "running this long under the self-fencing lease; a lost node with such a grace "
	  "has its roles started elsewhere only after it", NULL, NULL },
	{ "lease-ms", CD_PROP_DURATION, 300, 60000, "2000",
	  "self-fencing lease: a node whose clusterd has not heard a majority for this "
	  "long has its roles killed by clusterd-guard; a lost node's roles start elsewhere "
	  "lease-ms + 10% + 50 ms after the loss", NULL, NULL },
	/* Issue 16: what a VM definition may reach (agents/vm/vmpolicy.h). */
	{ "vm-storage-roots", CD_PROP_PATHS, 1, 1024,
	  "/clusterstorage:/var/lib/clusterd/images",
	  "directories (absolute, ':'-separated) a VM's disks, kernel, initrd and "
	  "quick-migration state file must lie in (resolved, no symlink or .. out)",
	  "CD_VM_STORAGE_ROOTS", NULL },
	{ "vm-extra-args", CD_PROP_BOOL, 0, 0, "false",
	  "allow VM definitions' extra_args (then only -no-reboot -no-shutdown -rtc "
	  "-uuid -k -overcommit with their values)", "CD_VM_EXTRA_ARGS", NULL },
	{ "migration-tls", CD_PROP_BOOL, 0, 0, "true",
	  "live migration over TLS with the cluster's certificates, the target "
	  "accepting only the source node's; false only on a dedicated trusted "
	  "migration network (clusterctl validate warns)", "CD_VM_MIGRATION_TLS", NULL },
	{ "live-migrations-out", CD_PROP_INT, 1, 64, "2",
	  "live migrations a node sends at once; more wait in priority order "
	  "(lib/drain.h A2)", NULL, NULL },
	{ "live-migrations-in", CD_PROP_INT, 1, 64, "2",
	  "live migrations a node receives at once (a drained node's VMs do not all "
	  "land on one target at once)", NULL, NULL },
	{ "live-migrations-cluster", CD_PROP_INT, 1, 1024, "16",
	  "live migrations running at once in the whole cluster", NULL, NULL },
	{ "quick-migrations-node", CD_PROP_INT, 1, 64, "2",
	  "quick migrations a node takes part in at once (as source or target)", NULL, NULL },
	{ "quick-migrations-cluster", CD_PROP_INT, 1, 1024, "16",
	  "quick migrations running at once in the whole cluster", NULL, NULL },
	{ "drain-on-shutdown", CD_PROP_BOOL, 0, 0, "true",
	  "a clean stop of clusterd (SIGTERM: systemctl stop, host shutdown) first "
	  "drains the node's VM roles, for at most drain-on-shutdown-s; what is left keeps "
	  "running under the restart grace", NULL, NULL },
	{ "drain-on-shutdown-s", CD_PROP_INT, 5, 3600, "120",
	  "how long a clean stop waits for its drain; the unit's TimeoutStopSec (150 s) "
	  "must stay above it", NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL, NULL, NULL }
};

/* CD_PROP_PATHS: "/a:/b/c", each absolute, no empty, "." or ".." part. */
static int
paths_check(const struct cd_prop *p, const char *text, char *err, size_t errlen)
{
	const char *e = text;

	while (*e) {
		size_t len = strcspn(e, ":");
		const char *c = e;

		if (len == 0 || e[0] != '/') {
			cd_errf(err, errlen, "%s: '%.*s' is not an absolute path "
				 "(absolute paths separated by ':')", p->name,
				 (int)len, e);
			return -CD_E_BAD_VALUE;
		}
		while (c < e + len) {
			size_t part;

			c++;	/* the '/' */
			part = strcspn(c, "/:");
			if ((part == 1 && c[0] == '.') ||
			    (part == 2 && c[0] == '.' && c[1] == '.') ||
			    (part == 0 && c < e + len)) {
				cd_errf(err, errlen, "%s: '%.*s' is not a plain path "
					 "(no '.', '..' or '//')", p->name, (int)len, e);
				return -CD_E_BAD_VALUE;
			}
			c += part;
		}
		e += len;
		if (*e == ':' && !*++e) {
			cd_errf(err, errlen, "%s: ends with ':'", p->name);
			return -CD_E_BAD_VALUE;
		}
	}
	return 0;
}

const struct cd_prop *
cd_props(void)
{
	return props;
}

const struct cd_prop *
cd_prop_find(const char *name)
{
	const struct cd_prop *p;

	if (!name)
		return NULL;
	for (p = props; p->name; p++) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* The value of text by p's validator, as a new json object in *out. */
static int
parse_typed(const struct cd_prop *p, const char *text, json_object **out,
	    char *err, size_t errlen)
{
	int64_t v;
	bool b;
	int rc;

	switch (p->type) {
	case CD_PROP_INT:
		rc = cd_valid_int(p->name, text, p->min, p->max, &v, err, errlen);
		if (rc == 0)
			*out = json_object_new_int64(v);
		return rc;
	case CD_PROP_DURATION:
		rc = cd_valid_duration(p->name, text, 1, p->min, p->max, &v, err, errlen);
		if (rc == 0)
			*out = json_object_new_int64(v);
		return rc;
	case CD_PROP_SIZE:
		rc = cd_valid_size(p->name, text, 1LL << 20, p->min, p->max, &v, err, errlen);
		if (rc == 0)
			*out = json_object_new_int64(v);
		return rc;
	case CD_PROP_BOOL:
		rc = cd_valid_bool(p->name, text, &b, err, errlen);
		if (rc == 0)
			*out = json_object_new_boolean(b);
		return rc;
	case CD_PROP_STRING:
	case CD_PROP_PATHS:
		if ((int64_t)strlen(text) < p->min) {
			cd_errf(err, errlen, "%s must be at least %" PRId64 " bytes long",
				p->name, p->min);
			return -CD_E_BAD_VALUE;
		}
		rc = cd_valid_text(p->name, text, (size_t)p->max, err, errlen);
		if (rc == 0 && p->type == CD_PROP_PATHS)
			rc = paths_check(p, text, err, errlen);
		break;
	case CD_PROP_CIDR:
		rc = p->min == 0 && !*text ? 0 :
		     cd_valid_cidr4(p->name, text, NULL, NULL, err, errlen);
		break;
	case CD_PROP_ENUM:
		rc = p->values ? cd_valid_enum(p->name, text, p->values, NULL, err, errlen) :
		     -EINVAL;
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc == -EINVAL)
		cd_errf(err, errlen, "%s: no validator for its type", p->name);
	else if (rc == 0)
		*out = json_object_new_string(text);
	return rc;
}

int
cd_prop_parse(const char *name, const char *text, json_object **out,
	      char *err, size_t errlen)
{
	const struct cd_prop *p = cd_prop_find(name);
	char q[200];
	int rc;

	*out = NULL;
	if (!p) {
		cd_errf(err, errlen, "unknown property '%s' (see 'clusterctl config properties')",
			cd_valid_quote(name, q, sizeof(q)));
		return -CD_E_BAD_VALUE;
	}
	if (!text) {
		cd_errf(err, errlen, "%s: a value is required", p->name);
		return -CD_E_BAD_VALUE;
	}
	rc = parse_typed(p, text, out, err, errlen);
	if (rc < 0)
		return rc;
	if (!*out) {
		cd_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

const char *
cd_prop_type_name(enum cd_prop_type t)
{
	static const char *const names[] = {
		[CD_PROP_INT] = "integer", [CD_PROP_BOOL] = "boolean",
		[CD_PROP_STRING] = "string", [CD_PROP_PATHS] = "paths",
		[CD_PROP_DURATION] = "duration", [CD_PROP_CIDR] = "cidr",
		[CD_PROP_ENUM] = "enum", [CD_PROP_SIZE] = "size",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) && names[t] ? names[t] : "?";
}

const char *
cd_prop_env_text(const struct cd_prop *p, json_object *v, char *buf, size_t len)
{
	if (p->type == CD_PROP_BOOL && v && json_object_is_type(v, json_type_boolean))
		snprintf(buf, len, "%s", json_object_get_boolean(v) ? "true" : "false");
	else if (p->type == CD_PROP_BOOL)
		snprintf(buf, len, "%s", (!strcmp(p->dflt, "true") || !strcmp(p->dflt, "1") ||
				       !strcmp(p->dflt, "yes") || !strcmp(p->dflt, "on"))
			 ? "true" : "false");
	else if (v && json_object_is_type(v, json_type_int))
		snprintf(buf, len, "%" PRId64, (int64_t)json_object_get_int64(v));
	else if (v && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
	else
		snprintf(buf, len, "%s", p->dflt);
	return buf;
}

json_object *
cd_props_to_json(void)
{
	json_object *arr = json_object_new_array();
	const struct cd_prop *p;

	if (!arr)
		return NULL;
	for (p = props; p->name; p++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "type", json_object_new_string(cd_prop_type_name(p->type)));
		json_object_object_add(o, "default", json_object_new_string(p->dflt));
		if (p->type == CD_PROP_ENUM && p->values) {
			json_object *vs = json_object_new_array();

			for (size_t i = 0; p->values[i]; i++)
				json_object_array_add(vs, json_object_new_string(p->values[i]));
			json_object_object_add(o, "values", vs);
		} else if (p->type != CD_PROP_BOOL && p->type != CD_PROP_CIDR) {
			json_object_object_add(o, "min", json_object_new_int64(p->min));
			json_object_object_add(o, "max", json_object_new_int64(p->max));
		}
		json_object_object_add(o, "help", json_object_new_string(p->help));
		if (p->agent_env)
			json_object_object_add(o, "env", json_object_new_string(p->agent_env));
		json_object_array_add(arr, o);
	}
	return arr;
}
