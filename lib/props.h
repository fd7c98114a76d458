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
};

struct cd_prop {
	const char *name;
	enum cd_prop_type type;
	int64_t min, max;	/* CD_PROP_INT: range; CD_PROP_STRING: length */
	const char *dflt;	/* default, as text */
	const char *help;
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

/** The property table as JSON: [{name, type, default, min, max, help}]. */
json_object *cd_props_to_json(void);

#endif
