/*
 * jsonget.h - typed reads of object members, with a default for a member
 * that is absent or of another type. Shared by clusterd and clusterctl.
 */
#ifndef CLUSTERD_JSONGET_H
#define CLUSTERD_JSONGET_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/** o.key as a string (borrowed from o), else dflt; o may be NULL. */
static inline const char *
cd_jstr(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

/** o.key as an integer, else dflt. */
static inline int64_t
cd_jint(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

/** o.key as a boolean, else dflt. */
static inline bool
cd_jbool(json_object *o, const char *key, bool dflt)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return dflt;
}

#endif
