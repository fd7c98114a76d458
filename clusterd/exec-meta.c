/*
 * exec-meta.c - OCF agent meta-data: parsing the XML an agent prints for
 * its meta-data action, and checking a resource's parameters against it.
 */
#include "valid.h"
#include "exec.h"
#include "error.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/* Copy, truncating (only defaults and types may be long; names are checked). */
static void
copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Attribute value as a C string ("" when absent); xmlFree's the copy. */
static void
attr(xmlNode *n, const char *name, char *out, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	copy_str(out, len, v ? (const char *)v : "");
	xmlFree(v);
}

static bool
is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static xmlNode *
child(xmlNode *parent, const char *name)
{
	xmlNode *n;

	for (n = parent->children; n; n = n->next) {
		if (is_elem(n, name))
			return n;
	}
	return NULL;
}

static bool
truthy(const char *s)
{
	return strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0 ||
	       strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0 ||
	       strcasecmp(s, "y") == 0;
}

static bool
falsy(const char *s)
{
	return strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0 ||
	       strcasecmp(s, "no") == 0 || strcasecmp(s, "off") == 0 ||
	       strcasecmp(s, "n") == 0;
}

/* "20s", "2m", "500ms", "1h", "20" (seconds) as Pacemaker reads them;
 * 0 when unparsable. */
static uint32_t
parse_timeout_ms(const char *s)
{
	static const struct { const char *unit; uint64_t num, den; } units[] = {
		{ "", 1000, 1 }, { "s", 1000, 1 }, { "sec", 1000, 1 },
		{ "ms", 1, 1 }, { "msec", 1, 1 }, { "us", 1, 1000 },
		{ "usec", 1, 1000 }, { "m", 60000, 1 }, { "min", 60000, 1 },
		{ "h", 3600000, 1 }, { "hr", 3600000, 1 },
	};
	char unit[8];
	uint64_t v = 0, ms;
	size_t i, n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return 0;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return 0;
	}
	while (isspace((unsigned char)*s))
		s++;
	while (*s && !isspace((unsigned char)*s) && n < sizeof(unit) - 1)
		unit[n++] = (char)tolower((unsigned char)*s++);
	unit[n] = '\0';
	while (isspace((unsigned char)*s))
		s++;
	if (*s)
		return 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			ms = v * units[i].num / units[i].den;
			return ms > UINT32_MAX ? 0 : (uint32_t)ms;
		}
	}
	return 0;
}

static int
parse_params(xmlNode *params, struct cd_agent_meta *out)
{
	xmlNode *n, *content;
	struct cd_agent_param *p;
	char buf[256];

	for (n = params ? params->children : NULL; n; n = n->next) {
		if (!is_elem(n, "parameter"))
			continue;
		attr(n, "name", buf, sizeof(buf));
		if (!buf[0] || strlen(buf) >= sizeof(p->name))
			return -CD_E_BAD_ARGS;
		if (out->n_params == sizeof(out->params) / sizeof(out->params[0]))
			return -CD_E_BAD_ARGS;	/* too many to check against */
		p = &out->params[out->n_params++];
		copy_str(p->name, sizeof(p->name), buf);
		attr(n, "required", buf, sizeof(buf));
		p->required = truthy(buf);
		attr(n, "unique", buf, sizeof(buf));
		p->unique = truthy(buf);
		copy_str(p->type, sizeof(p->type), "string");
		content = child(n, "content");
		if (content) {
			attr(content, "type", buf, sizeof(buf));
			if (buf[0])
				copy_str(p->type, sizeof(p->type), buf);
			attr(content, "default", p->dflt, sizeof(p->dflt));
		}
	}
	return 0;
}

static void
parse_actions(xmlNode *actions, struct cd_agent_meta *out)
{
	const size_t max = sizeof(out->actions) / sizeof(out->actions[0]);
	char name[64], timeout[64];
	xmlNode *n;
	size_t i;

	for (n = actions ? actions->children : NULL; n; n = n->next) {
		if (!is_elem(n, "action"))
			continue;
		attr(n, "name", name, sizeof(name));
		if (!name[0] || strlen(name) >= sizeof(out->actions[0]))
			continue;
		/* An action may appear once per role (monitor): keep the first. */
		for (i = 0; i < out->n_actions; i++) {
			if (strcmp(out->actions[i], name) == 0)
				break;
		}
		if (i < out->n_actions || out->n_actions == max)
			continue;
		attr(n, "timeout", timeout, sizeof(timeout));
		copy_str(out->actions[i], sizeof(out->actions[i]), name);
		out->timeouts_ms[i] = parse_timeout_ms(timeout);
		out->n_actions++;
	}
}

int
cd_agent_meta_parse(const char *xml, size_t len, struct cd_agent_meta *out)
{
	xmlDoc *doc;
	xmlNode *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!xml || len == 0 || len > INT32_MAX)
		return -CD_E_BAD_ARGS;
	/* No network, no DTD loading, no entity expansion: the XML comes
	 * from an arbitrary executable. */
	doc = xmlReadMemory(xml, (int)len, "meta-data.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	if (!doc)
		return -CD_E_BAD_ARGS;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "resource-agent")) {
		rc = -CD_E_BAD_ARGS;
		goto out;
	}
	attr(root, "name", out->name, sizeof(out->name));
	rc = parse_params(child(root, "parameters"), out);
	if (rc < 0)
		goto out;
	parse_actions(child(root, "actions"), out);
out:
	xmlFreeDoc(doc);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static const struct cd_agent_param *
find_param(const struct cd_agent_meta *meta, const char *name)
{
	size_t i;

	for (i = 0; i < meta->n_params; i++) {
		if (strcmp(meta->params[i].name, name) == 0)
			return &meta->params[i];
	}
	return NULL;
}

/* A value's text and whether it suits the declared type. */
static bool
value_ok(const struct cd_agent_param *p, json_object *val)
{
	const char *s = json_object_get_string(val);
	int64_t n;

	if (json_object_is_type(val, json_type_object) ||
	    json_object_is_type(val, json_type_array))
		return false;
	if (strcmp(p->type, "integer") == 0) {
		if (json_object_is_type(val, json_type_int))
			return true;
		/* lib/valid.h V3: digits only, no space, '+' or overflow */
		return cd_valid_int(p->name, s, INT64_MIN, INT64_MAX, &n, NULL, 0) == 0;
	}
	if (strcmp(p->type, "boolean") == 0)
		return json_object_is_type(val, json_type_boolean) ||
		       (s && (truthy(s) || falsy(s)));
	return true;
}

int
cd_agent_meta_check(const struct cd_agent_meta *meta, json_object *params,
		    char *err, size_t errlen)
{
	const struct cd_agent_param *p;
	json_object *val;
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	if (params && !json_object_is_type(params, json_type_object)) {
		snprintf(err, errlen, "parameters must be an object");
		return -CD_E_BAD_ARGS;
	}
	for (i = 0; i < meta->n_params; i++) {
		p = &meta->params[i];
		if (!p->required)
			continue;
		if (!params || !json_object_object_get_ex(params, p->name, &val) ||
		    json_object_is_type(val, json_type_null)) {
			snprintf(err, errlen, "agent %s: missing required parameter '%s'",
				 meta->name, p->name);
			return -CD_E_BAD_ARGS;
		}
		if (json_object_is_type(val, json_type_string) &&
		    json_object_get_string_len(val) == 0) {
			snprintf(err, errlen, "agent %s: required parameter '%s' is empty",
				 meta->name, p->name);
			return -CD_E_BAD_ARGS;
		}
	}
	if (!params)
		return 0;
	json_object_object_foreach(params, name, v) {
		p = find_param(meta, name);
		if (!p) {
			snprintf(err, errlen, "agent %s: unknown parameter '%s'",
				 meta->name, name);
			return -CD_E_BAD_ARGS;
		}
		if (!json_object_is_type(v, json_type_null) && !value_ok(p, v)) {
			snprintf(err, errlen, "agent %s: parameter '%s' must be %s %s, "
				 "not '%s'", meta->name, name,
				 strcmp(p->type, "integer") == 0 ? "an" : "a", p->type,
				 json_object_get_string(v));
			return -CD_E_BAD_ARGS;
		}
	}
	return 0;
}
