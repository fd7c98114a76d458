/*
 * rm-model.c - parse the replicated state into the resource manager's model.
 * The state was validated on the way in; here missing or odd values fall
 * back to defaults rather than fail.
 */
#include "rm-model.h"
#include "jsonget.h"
#include "membership.h"
#include "state-schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS	20000
#define DEFAULT_MONITOR_MS	10000
#define DEFAULT_PERIOD_S	21600

static size_t
jnames(json_object *o, const char *key, char out[][CD_POLICY_NAME_MAX], size_t max)
{
	json_object *arr;
	size_t i, n = 0;

	if (!o || !json_object_object_get_ex(o, key, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(arr) && n < max; i++) {
		json_object *v = json_object_array_get_idx(arr, i);

		if (json_object_is_type(v, json_type_string))
			snprintf(out[n++], CD_POLICY_NAME_MAX, "%s", json_object_get_string(v));
	}
	return n;
}

enum cd_role_state
rm_role_state_parse(const char *s)
{
	if (!s)
		return CD_ROLE_STOPPED;
	if (!strcmp(s, "starting"))
		return CD_ROLE_STARTING;
	if (!strcmp(s, "started"))
		return CD_ROLE_STARTED;
	if (!strcmp(s, "stopping"))
		return CD_ROLE_STOPPING;
	if (!strcmp(s, "failed"))
		return CD_ROLE_FAILED;
	/* A migration is a transition for the policy engine. */
	if (!strcmp(s, "migrating"))
		return CD_ROLE_STARTING;
	return CD_ROLE_STOPPED;
}

const char *
rm_role_state_str(enum cd_role_state s)
{
	switch (s) {
	case CD_ROLE_STARTING: return "starting";
	case CD_ROLE_STARTED: return "started";
	case CD_ROLE_STOPPING: return "stopping";
	case CD_ROLE_FAILED: return "failed";
	case CD_ROLE_STOPPED: break;
	}
	return "stopped";
}

static void
load_resource(struct rm_rsc *r, const char *id, json_object *cfg)
{
	json_object *t = NULL;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->agent, sizeof(r->agent), "%s", cd_jstr(cfg, "agent", ""));
	json_object_object_get_ex(cfg, "params", &r->params);
	json_object_object_get_ex(cfg, "timeouts_ms", &t);
	r->monitor_interval_ms = (uint32_t)cd_jint(cfg, "monitor_interval_ms", DEFAULT_MONITOR_MS);
	r->start_timeout_ms = (uint32_t)cd_jint(t, "start", DEFAULT_TIMEOUT_MS);
	r->stop_timeout_ms = (uint32_t)cd_jint(t, "stop", DEFAULT_TIMEOUT_MS);
	r->monitor_timeout_ms = (uint32_t)cd_jint(t, "monitor", DEFAULT_TIMEOUT_MS);
}

static void
load_role(struct rm_role *role, const char *name, json_object *cfg,
	  json_object *resources, json_object *rt)
{
	json_object *list = NULL, *win = NULL;
	const char *fb;
	size_t i;

	memset(role, 0, sizeof(*role));
	snprintf(role->p.name, sizeof(role->p.name), "%s", name);
	role->p.target_started = strcmp(cd_jstr(cfg, "target", "started"), "stopped") != 0;
	role->p.priority = (int)cd_jint(cfg, "priority", 0);
	role->p.n_preferred = jnames(cfg, "preferred_owners", role->p.preferred,
				     CD_POLICY_MAX_OWNERS);
	role->p.n_possible = jnames(cfg, "possible_owners", role->p.possible,
				    CD_POLICY_MAX_OWNERS);
	role->p.failover_threshold = (unsigned)cd_jint(cfg, "failover_threshold", 0);
	role->failover_period_s = (uint32_t)cd_jint(cfg, "failover_period_s", DEFAULT_PERIOD_S);
	fb = cd_jstr(cfg, "failback", "never");
	role->p.failback = !strcmp(fb, "immediate") ? CD_FAILBACK_IMMEDIATE :
			   !strcmp(fb, "window") ? CD_FAILBACK_WINDOW : CD_FAILBACK_NEVER;
	if (json_object_object_get_ex(cfg, "failback_window", &win) &&
	    json_object_is_type(win, json_type_array) && json_object_array_length(win) == 2) {
		role->p.window_start = (unsigned)json_object_get_int(json_object_array_get_idx(win, 0)) % 24;
		role->p.window_end = (unsigned)json_object_get_int(json_object_array_get_idx(win, 1)) % 24;
	}
	role->p.memory_mib = (uint64_t)cd_jint(cfg, "memory_mib", 0);
	/* policy.h rule 9; roles of states before "ha" existed are HA */
	role->p.not_ha = !cd_jbool(cfg, "ha", true);

	if (json_object_object_get_ex(cfg, "resources", &list) &&
	    json_object_is_type(list, json_type_array)) {
		for (i = 0; i < json_object_array_length(list) && role->n_rsc < RM_MAX_RSC; i++) {
			json_object *idv = json_object_array_get_idx(list, i), *rc;
			const char *id = json_object_get_string(idv);

			if (!json_object_is_type(idv, json_type_string) || !resources ||
			    !json_object_object_get_ex(resources, id, &rc))
				continue;
			load_resource(&role->rsc[role->n_rsc++], id, rc);
		}
	}
	/* Live and quick migration: roles made of one VM. */
	role->migratable = role->n_rsc == 1 && !strcmp(role->rsc[0].agent, "ocf:clusterd:vm");
	if (rt) {
		json_object *mig = NULL;

		role->has_runtime = true;
		snprintf(role->p.owner, sizeof(role->p.owner), "%s", cd_jstr(rt, "owner", ""));
		snprintf(role->p.last_owner, sizeof(role->p.last_owner), "%s",
			 cd_jstr(rt, "last_owner", ""));
		role->p.state = rm_role_state_parse(cd_jstr(rt, "state", "stopped"));
		snprintf(role->p.move_to, sizeof(role->p.move_to), "%s", cd_jstr(rt, "move_to", ""));
		snprintf(role->move_type, sizeof(role->move_type), "%s", cd_jstr(rt, "move_type", ""));
		if (json_object_object_get_ex(rt, "migration", &mig) &&
		    json_object_is_type(mig, json_type_object)) {
			role->mig.active = true;
			snprintf(role->mig.type, sizeof(role->mig.type), "%s", cd_jstr(mig, "type", "live"));
			snprintf(role->mig.from, sizeof(role->mig.from), "%s", cd_jstr(mig, "from", ""));
			snprintf(role->mig.to, sizeof(role->mig.to), "%s", cd_jstr(mig, "to", ""));
			snprintf(role->mig.phase, sizeof(role->mig.phase), "%s", cd_jstr(mig, "phase", ""));
		}
	}
}

void
rm_model_free(struct rm_model *m)
{
	free(m->roles);
	json_object_put(m->doc);
	memset(m, 0, sizeof(*m));
}

static bool
lun_known(const struct rm_lun *l, size_t n, const char *url)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(l[i].url, url))
			return true;
	}
	return false;
}

/* Every disk resource's lun, once, unless it is a cluster LUN. */
static void
load_data_luns(struct rm_model *m, json_object *resources)
{
	json_object_object_foreach(resources, id, cfg) {
		json_object *params = NULL;
		const char *url;

		if (strcmp(cd_jstr(cfg, "agent", ""), RM_DISK_AGENT) ||
		    !json_object_object_get_ex(cfg, "params", &params))
			continue;
		url = cd_jstr(params, "lun", "");
		if (!*url || strlen(url) >= sizeof(m->data_luns[0].url) ||
		    lun_known(m->luns, m->n_luns, url) ||
		    lun_known(m->data_luns, m->n_data_luns, url))
			continue;
		if (m->n_data_luns >= RM_MAX_LUNS)
			break;
		snprintf(m->data_luns[m->n_data_luns].name, RM_NAME_MAX, "%s", id);
		snprintf(m->data_luns[m->n_data_luns].url, sizeof(m->data_luns[0].url), "%s", url);
		m->n_data_luns++;
	}
}

int
rm_model_load(struct rm_model *m, const struct cd_state *st)
{
	json_object *roles, *resources, *rt_roles, *nodes, *rt_nodes, *luns;
	struct rm_role *keep = m->roles;
	json_object *old_doc = m->doc;	/* dropped once nothing points into it */
	size_t cap = m->cap_roles;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	m->roles = keep;
	m->cap_roles = cap;
	json_object_put(old_doc);
	if (!st || !st->doc)
		return 0;
	m->doc = json_object_get(st->doc);
	snprintf(m->cluster_name, sizeof(m->cluster_name), "%s", cd_state_cluster_name(st));
	roles = cd_sp_get(st, CD_SP_ROLES);
	resources = cd_sp_get(st, CD_SP_RESOURCES);
	rt_roles = cd_sp_get(st, CD_SP_RT_ROLES);
	nodes = cd_sp_get(st, CD_SP_NODES);
	rt_nodes = cd_sp_get(st, CD_SP_RT_NODES);
	luns = cd_sp_get(st, CD_SP_LUNS);

	if (nodes && json_object_is_type(nodes, json_type_object)) {
		json_object_object_foreach(nodes, name, cfg) {
			struct rm_node_rt *n;
			json_object *rt = NULL;

			if (m->n_nodes >= CD_MAX_NODES)
				break;
			n = &m->nodes[m->n_nodes++];
			snprintf(n->name, sizeof(n->name), "%s", name);
			n->id = (uint32_t)cd_jint(cfg, "id", 0);
			if (rt_nodes && json_object_object_get_ex(rt_nodes, name, &rt)) {
				n->known = true;
				n->incarnation = (uint32_t)cd_jint(rt, "incarnation", 0);
				n->fenced = cd_jbool(rt, "fenced", false);
				n->paused = cd_jbool(rt, "paused", false);
				n->restart_grace_ms = (uint32_t)cd_jint(rt, "restart_grace_ms", 0);
			}
		}
	}
	if (roles && json_object_is_type(roles, json_type_object)) {
		json_object_object_foreach(roles, name, cfg) {
			json_object *rt = NULL;

			if (m->n_roles >= m->cap_roles) {
				size_t ncap = m->cap_roles ? m->cap_roles * 2 : 16;
				struct rm_role *nr;

				if (ncap > RM_MAX_ROLES ||
				    !(nr = realloc(m->roles, ncap * sizeof(*nr)))) {
					rc = -ENOMEM;
					break;
				}
				m->roles = nr;
				m->cap_roles = ncap;
			}
			if (rt_roles)
				json_object_object_get_ex(rt_roles, name, &rt);
			load_role(&m->roles[m->n_roles++], name, cfg, resources, rt);
		}
	}
	if (luns && json_object_is_type(luns, json_type_object)) {
		json_object_object_foreach(luns, name, cfg) {
			if (m->n_luns >= RM_MAX_LUNS)
				break;
			snprintf(m->luns[m->n_luns].name, RM_NAME_MAX, "%s", name);
			snprintf(m->luns[m->n_luns].url, sizeof(m->luns[0].url), "%s",
				 cd_jstr(cfg, "url", ""));
			m->n_luns++;
		}
	}
	if (resources && json_object_is_type(resources, json_type_object))
		load_data_luns(m, resources);
	return rc;
}

struct rm_role *
rm_model_role(struct rm_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_roles; i++) {
		if (!strcmp(m->roles[i].p.name, name))
			return &m->roles[i];
	}
	return NULL;
}

struct rm_node_rt *
rm_model_node(struct rm_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_nodes; i++) {
		if (!strcmp(m->nodes[i].name, name))
			return &m->nodes[i];
	}
	return NULL;
}

struct rm_node_rt *
rm_model_node_id(struct rm_model *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].id == id)
			return &m->nodes[i];
	}
	return NULL;
}
