/*
 * props.h - cluster properties: the named settings an administrator sets
 * with `clusterctl config set NAME VALUE` (as `pcs property set`). Each
 * has a type, a range and a default; values are validated here, pure code.
 */
#ifndef CLUSTERD_PROPS_H
#define CLUSTERD_PROPS_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

enum cd_prop_type {
	CD_PROP_INT,
	CD_PROP_BOOL,
	CD_PROP_STRING,
	CD_PROP_PATHS,		/* absolute paths separated by ':' (min/max: length) */
};

struct cd_prop {
	const char *name;
	enum cd_prop_type type;
	int64_t min, max;	/* CD_PROP_INT: range; CD_PROP_STRING: length */
	const char *dflt;	/* default, as text */
	const char *help;
	/* When set, every agent operation clusterd runs gets the property's
	 * value (or default) as this environment variable ("true"/"false" for
	 * booleans): the agents' side of the cluster policy (clusterd/exec.h). */
	const char *agent_env;
};

/** The table of known properties, terminated by a NULL name. */
const struct cd_prop *cd_props(void);

/** Find a property by name; NULL if unknown. */
const struct cd_prop *cd_prop_find(const char *name);

/**
 * Parse and validate a value given as text.
 * @param out new json object of the property's type (caller puts it)
 * @return 0; -CD_E_BAD_ARGS with a reason in err ("unknown property",
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

/** The property table as JSON: [{name, type, default, min, max, help, env}]. */
json_object *cd_props_to_json(void);

#endif
