/*
 * props.h - cluster properties: the named settings an administrator sets
 * with `clusterctl config set NAME VALUE` (as `pcs property set`). Each
 * has a type, a range and a default; values are validated here, pure code,
 * by the type's validator of lib/valid.h (clusterctl before it sends,
 * clusterd when it applies: the same answer). Every type has a validator
 * (cd_prop_parse refuses a row whose type has none, and
 * tests/unit/test_valid.c checks every row).
 */
#ifndef CLUSTERD_PROPS_H
#define CLUSTERD_PROPS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

enum cd_prop_type {
	CD_PROP_INT,		/* V3; stored as an integer */
	CD_PROP_BOOL,		/* V8; stored as a boolean */
	CD_PROP_STRING,		/* free text, V9; min..max bytes */
	CD_PROP_PATHS,		/* absolute paths separated by ':' (min/max: length), V9 */
	CD_PROP_DURATION,	/* V4, a bare number in ms; stored as integer ms */
	CD_PROP_CIDR,		/* V6; stored as a string; "" allowed when min is 0 */
	CD_PROP_ENUM,		/* V7 over values; stored as a string */
	CD_PROP_SIZE,		/* V5, a bare number in MiB; stored as integer MiB */
	CD_PROP__TYPES
};

struct cd_prop {
	const char *name;
	enum cd_prop_type type;
	int64_t min, max;	/* INT, DURATION (ms), SIZE (MiB): range;
				 * STRING, PATHS: length; CIDR: min 0 allows "" */
	const char *dflt;	/* default, as text */
	const char *help;
	/* When set, every agent operation clusterd runs gets the property's
	 * value (or default) as this environment variable ("true"/"false" for
	 * booleans): the agents' side of the cluster policy (clusterd/exec.h). */
	const char *agent_env;
	const char *const *values;	/* CD_PROP_ENUM: the words, NULL-ended */
};

/** The table of known properties, terminated by a NULL name. */
const struct cd_prop *cd_props(void);

/** Find a property by name; NULL if unknown. */
const struct cd_prop *cd_prop_find(const char *name);

/**
 * Parse and validate a value given as text.
 * @param out new json object of the property's type (caller puts it)
 * @return 0; -CD_E_BAD_VALUE with a reason in err ("unknown property",
 *         "must be an integer 0..100000", ...)
 */
int cd_prop_parse(const char *name, const char *text, json_object **out,
		  char *err, size_t errlen);

/**
 * The value of a property as the text an agent gets in its environment:
 * @p v (a value cd_prop_parse produced) or, when NULL or of another type,
 * the default. Booleans as "true" / "false".
 * @return buf
 */
const char *cd_prop_env_text(const struct cd_prop *p, json_object *v, char *buf,
			     size_t len);

/** The name of a type ("integer", "duration", ...); "?" when unknown. */
const char *cd_prop_type_name(enum cd_prop_type t);

/** The property table as JSON: [{name, type, default, min, max, values,
 * help, env}] (min and max for the ranged types, values for enumerations). */
json_object *cd_props_to_json(void);

#endif
