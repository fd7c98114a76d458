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
	  "free text shown by 'clusterctl config show'" },
	{ "migration-bandwidth-mbps", CD_PROP_INT, 0, 1000000, "0",
	  "live migration bandwidth cap in MiB/s; 0 = unlimited (dedicated migration network)" },
	{ "migration-downtime-ms", CD_PROP_INT, 1, 60000, "300",
	  "maximum guest pause at the end of a live migration" },
	{ "migration-network", CD_PROP_STRING, 0, 18, "",
	  "IPv4 network (A.B.C.D/N) for live migration traffic; empty = the address "
	  "each node's name resolves to (the cluster network)" },
	{ "recovery-delay-ms", CD_PROP_INT, 0, 60000, "100",
	  "after a node is lost and fenced, wait at least this long from the loss before "
	  "starting its roles elsewhere (the lease wait below usually decides)" },
	{ "restart-grace-ms", CD_PROP_INT, 0, 600000, "20000",
	  "a planned stop of clusterd (SIGTERM: restart, upgrade) keeps the local roles "
	  "running this long under the self-fencing lease; a lost node with such a grace "
	  "has its roles started elsewhere only after it" },
	{ "lease-ms", CD_PROP_INT, 300, 60000, "2000",
	  "self-fencing lease: a node whose clusterd has not heard a majority for this "
	  "long has its roles killed by clusterd-guard; a lost node's roles start elsewhere "
	  "lease-ms + 10% + 50 ms after the loss" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

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
		len = strlen(text);
		if ((int64_t)len < p->min || (int64_t)len > p->max) {
			snprintf(err, errlen, "%s: must be %" PRId64 "..%" PRId64
				 " characters long", p->name, p->min, p->max);
			return -CD_E_BAD_ARGS;
		}
		*out = json_object_new_string(text);
		break;
	}
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

json_object *
cd_props_to_json(void)
{
	static const char *type_names[] = { "integer", "boolean", "string" };
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
		json_object_array_add(arr, o);
	}
	return arr;
}
