/*
 * props.c - the cluster property table and its validation.
 */
#include "props.h"
#include "error.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cd_prop props[] = {
	{ "description", CD_PROP_STRING, 0, 256, "",
	  "free text shown by 'clusterctl config show'", NULL },
	{ "migration-bandwidth-mbps", CD_PROP_INT, 0, 1000000, "0",
	  "live migration bandwidth cap in MiB/s; 0 = unlimited (dedicated migration network)", NULL },
	{ "migration-downtime-ms", CD_PROP_INT, 1, 60000, "300",
	  "maximum guest pause at the end of a live migration", NULL },
	{ "migration-network", CD_PROP_STRING, 0, 18, "",
	  "IPv4 network (A.B.C.D/N) for live migration traffic; empty = the address "
	  "each node's name resolves to (the cluster network)", NULL },
	{ "storage-move-bandwidth-mbps", CD_PROP_INT, 0, 1000000, "0",
	  "live storage move: the background copy's cap in MiB/s; 0 = unlimited "
	  "(the guest's own writes are never held back by it)", NULL },
	{ "recovery-delay-ms", CD_PROP_INT, 0, 60000, "100",
	  "after a node is lost and fenced, wait at least this long from the loss before "
	  "starting its roles elsewhere (the lease wait below usually decides)", NULL },
	{ "restart-grace-ms", CD_PROP_INT, 0, 600000, "20000",
	  "a planned stop of clusterd (SIGTERM: restart, upgrade) keeps the local roles "
	  "running this long under the self-fencing lease; a lost node with such a grace "
	  "has its roles started elsewhere only after it", NULL },
	{ "lease-ms", CD_PROP_INT, 300, 60000, "2000",
	  "self-fencing lease: a node whose clusterd has not heard a majority for this "
	  "long has its roles killed by clusterd-guard; a lost node's roles start elsewhere "
	  "lease-ms + 10% + 50 ms after the loss", NULL },
	/* Issue 16: what a VM definition may reach (agents/vm/vmpolicy.h). */
	{ "vm-storage-roots", CD_PROP_PATHS, 1, 1024,
	  "/clusterstorage:/var/lib/clusterd/images",
	  "directories (absolute, ':'-separated) a VM's disks, kernel, initrd and "
	  "quick-migration state file must lie in (resolved, no symlink or .. out)",
	  "CD_VM_STORAGE_ROOTS" },
	{ "vm-extra-args", CD_PROP_BOOL, 0, 0, "false",
	  "allow VM definitions' extra_args (then only -no-reboot -no-shutdown -rtc "
	  "-uuid -k -overcommit with their values)", "CD_VM_EXTRA_ARGS" },
	{ "migration-tls", CD_PROP_BOOL, 0, 0, "true",
	  "live migration over TLS with the cluster's certificates, the target "
	  "accepting only the source node's; false only on a dedicated trusted "
	  "migration network (clusterctl validate warns)", "CD_VM_MIGRATION_TLS" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL }
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
			snprintf(err, errlen, "%s: '%.*s' is not an absolute path "
				 "(absolute paths separated by ':')", p->name,
				 (int)len, e);
			return -CD_E_BAD_ARGS;
		}
		while (c < e + len) {
			size_t part;

			c++;	/* the '/' */
			part = strcspn(c, "/:");
			if ((part == 1 && c[0] == '.') ||
			    (part == 2 && c[0] == '.' && c[1] == '.') ||
			    (part == 0 && c < e + len)) {
				snprintf(err, errlen, "%s: '%.*s' is not a plain path "
					 "(no '.', '..' or '//')", p->name, (int)len, e);
				return -CD_E_BAD_ARGS;
			}
			c += part;
		}
		e += len;
		if (*e == ':' && !*++e) {
			snprintf(err, errlen, "%s: ends with ':'", p->name);
			return -CD_E_BAD_ARGS;
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

int
cd_prop_parse(const char *name, const char *text, json_object **out,
	      char *err, size_t errlen)
{
	const struct cd_prop *p = cd_prop_find(name);
	char *end;
	long long v;
	size_t len;

	*out = NULL;
	if (!p) {
		snprintf(err, errlen, "unknown property '%s' (see 'clusterctl config properties')",
			 name ? name : "");
		return -CD_E_BAD_ARGS;
	}
	if (!text) {
		snprintf(err, errlen, "%s: a value is required", p->name);
		return -CD_E_BAD_ARGS;
	}
	switch (p->type) {
	case CD_PROP_INT:
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno || end == text || *end || v < p->min || v > p->max) {
			snprintf(err, errlen, "%s: must be an integer %" PRId64 "..%" PRId64
				 ", not '%s'", p->name, p->min, p->max, text);
			return -CD_E_BAD_ARGS;
		}
		*out = json_object_new_int64(v);
		break;
	case CD_PROP_BOOL:
		if (!strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "1") ||
		    !strcmp(text, "on")) {
			*out = json_object_new_boolean(1);
		} else if (!strcmp(text, "false") || !strcmp(text, "no") ||
			   !strcmp(text, "0") || !strcmp(text, "off")) {
			*out = json_object_new_boolean(0);
		} else {
			snprintf(err, errlen, "%s: must be true or false, not '%s'",
				 p->name, text);
			return -CD_E_BAD_ARGS;
		}
		break;
	case CD_PROP_STRING:
	case CD_PROP_PATHS:
		len = strlen(text);
		if ((int64_t)len < p->min || (int64_t)len > p->max) {
			snprintf(err, errlen, "%s: must be %" PRId64 "..%" PRId64
				 " characters long", p->name, p->min, p->max);
			return -CD_E_BAD_ARGS;
		}
		for (size_t i = 0; p->type == CD_PROP_PATHS && i < len; i++) {
			if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
				snprintf(err, errlen, "%s: control characters are not "
					 "allowed", p->name);
				return -CD_E_BAD_ARGS;
			}
		}
		if (p->type == CD_PROP_PATHS && paths_check(p, text, err, errlen))
			return -CD_E_BAD_ARGS;
		*out = json_object_new_string(text);
		break;
	}
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
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
	else if (p->type == CD_PROP_INT && v && json_object_is_type(v, json_type_int))
		snprintf(buf, len, "%" PRId64, (int64_t)json_object_get_int64(v));
	else if (p->type != CD_PROP_INT && v && json_object_is_type(v, json_type_string))
		snprintf(buf, len, "%s", json_object_get_string(v));
	else
		snprintf(buf, len, "%s", p->dflt);
	return buf;
}

json_object *
cd_props_to_json(void)
{
	static const char *type_names[] = { "integer", "boolean", "string", "paths" };
	json_object *arr = json_object_new_array();
	const struct cd_prop *p;

	if (!arr)
		return NULL;
	for (p = props; p->name; p++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "type", json_object_new_string(type_names[p->type]));
		json_object_object_add(o, "default", json_object_new_string(p->dflt));
		if (p->type != CD_PROP_BOOL) {
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
