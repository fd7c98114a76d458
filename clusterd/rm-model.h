/*
 * rm-model.h - the resource manager's view of the replicated state:
 * roles, their resources and runtime, nodes' runtime, and the cluster's
 * LUNs, parsed from the state document after every change.
 *
 * The state's layout, path by path, is lib/state-schema.h; this module
 * reads config.roles, config.resources, config.nodes, config.storage.luns,
 * runtime.roles and runtime.nodes through it. (A role's state is
 * "migrating" while a migration runs; the policy sees it as a transition
 * and leaves the role alone.)
 */
#ifndef CLUSTERD_RM_MODEL_H
#define CLUSTERD_RM_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "membership.h"
#include "policy.h"
#include "state.h"

#define RM_MAX_ROLES	4096
#define RM_MAX_RSC	8		/* resources per role */
#define RM_MAX_LUNS	32
#define RM_NAME_MAX	64

struct rm_rsc {
	char id[RM_NAME_MAX];
	char agent[128];		/* ocf:PROVIDER:TYPE */
	json_object *params;		/* in the model's document (doc) */
	uint32_t monitor_interval_ms;	/* 0: no recurring monitor */
	uint32_t start_timeout_ms, stop_timeout_ms, monitor_timeout_ms;
};

/* A live or quick migration in progress (runtime.roles.R.migration). */
struct rm_migration {
	bool active;
	char type[8];			/* "live" or "quick" */
	char from[RM_NAME_MAX], to[RM_NAME_MAX];
	char phase[16];			/* prepare, send, finish, cleanup, abort,
					   abort-source */
};

struct rm_role {
	struct cd_prole p;		/* policy view: config + runtime */
	struct rm_migration mig;
	char move_type[8];		/* how a requested move goes: "", live, quick */
	bool migratable;		/* every resource is a vm agent */
	size_t n_rsc;
	struct rm_rsc rsc[RM_MAX_RSC];
	uint32_t failover_period_s;
	bool has_runtime;
};

struct rm_node_rt {
	char name[RM_NAME_MAX];
	uint32_t id;
	uint32_t incarnation;		/* 0: never admitted */
	bool fenced;
	bool paused;
	bool known;			/* has a runtime entry */
	uint32_t restart_grace_ms;	/* a planned stop's grace (rm-restart.c) */
};

struct rm_lun {
	char name[RM_NAME_MAX];
	char url[256];
};

#define RM_DISK_AGENT	"ocf:clusterd:disk"	/* its param lun: a data LUN */

struct rm_model {
	/* The state document the model was loaded from, referenced: a
	 * change replaces the replica's document (state.c copies it), and
	 * the model's params point into this one until the next load. */
	json_object *doc;
	size_t n_roles, cap_roles;
	struct rm_role *roles;		/* grown as needed; kept between loads */
	size_t n_nodes;
	struct rm_node_rt nodes[CD_MAX_NODES];
	size_t n_luns;			/* the cluster LUNs (config.luns) */
	struct rm_lun luns[RM_MAX_LUNS];
	/* data LUNs: the lun of every disk resource (a disk role's, a
	 * cluster shared volume's) that is not a cluster LUN, each once;
	 * name is the resource's */
	size_t n_data_luns;
	struct rm_lun data_luns[RM_MAX_LUNS];
	char cluster_name[RM_NAME_MAX];
};

/**
 * Parse the state into m; m holds a reference to the state's document
 * until the next load or rm_model_free (an operation that completes
 * between a change and the next load reads params from it, never from
 * freed memory). m must be zeroed before the first load; rm_model_free
 * releases it.
 * @return 0 or -ENOMEM (then m holds the roles that fitted)
 */
int rm_model_load(struct rm_model *m, const struct cd_state *st);
void rm_model_free(struct rm_model *m);

struct rm_role *rm_model_role(struct rm_model *m, const char *name);
struct rm_node_rt *rm_model_node(struct rm_model *m, const char *name);
struct rm_node_rt *rm_model_node_id(struct rm_model *m, uint32_t id);

enum cd_role_state rm_role_state_parse(const char *s);
const char *rm_role_state_str(enum cd_role_state s);

#endif
