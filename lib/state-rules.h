/*
 * state-rules.h - rules every change of the replicated state keeps, beyond
 * the document's schema (state.h). Pure code: cd_state_apply() runs them on
 * the document a change would make, on every node alike, so a change that
 * breaks one is refused everywhere (also one that raced another node's
 * change past that node's own checks).
 *
 * Rules:
 *  1. Room for runtime. The configuration (the "config" member, serialised
 *     plain) has a budget of CD_STATE_CONFIG_MAX bytes, below the whole
 *     document's limit CD_STATE_MAX_SIZE: a change that makes the
 *     configuration larger than it was and leaves it over the budget is
 *     refused (-ENOSPC; the message says what to remove). A change that
 *     does not grow the configuration (runtime records: fencing, owner and
 *     state transitions, migration phases; removals) is held only to the
 *     whole limit, so the runtime always keeps at least
 *     CD_STATE_MAX_SIZE - CD_STATE_CONFIG_MAX bytes.
 *  2. Whole size. No change may make the document larger than
 *     CD_STATE_MAX_SIZE (-ENOSPC).
 *  3. One VM, one resource (so one role). A resource may carry the
 *     identity of the virtual machine it runs:
 *       "vm": {"name": "web1", "disks": ["/abs/path", ...],
 *              "macs": ["52:54:00:12:34:56", ...]}
 *     (name 1..64 characters; at most 16 disks and 8 MACs, MACs compared
 *     without case). No VM name, disk path or MAC may appear in the
 *     identities of two resources (-EEXIST, naming the other resource and
 *     its role); a malformed identity is refused (-CD_E_BAD_ARGS).
 *  4. A new node list (the internal nodes-update of 'clusterctl node
 *     add/remove') is a whole, well-formed list: {NAME: {"id": 1..2^32-1,
 *     "addr": "..."}} with names of [A-Za-z0-9_.-] (1..63), distinct ids,
 *     at most CD_STATE_NODES_MAX nodes and no other members; it keeps
 *     every live member (a corosync member now) under the same name and
 *     id, and drops no node that still owns a role that is not stopped
 *     or is an end of a migration (the policy engine cannot place a role
 *     whose owner is no node; a stopped role's last owner is cleared by
 *     the same change, cd_rule_nodes_update_ops). Refused with -CD_E_BAD_ARGS and the reason; checked by the
 *     IPC handler, which knows who is live.
 */
#ifndef CLUSTERD_STATE_RULES_H
#define CLUSTERD_STATE_RULES_H

#include <stddef.h>
#include <json-c/json.h>

#include "state.h"

/* Rule 1: bytes of the serialised "config" member a change may grow to. */
#define CD_STATE_CONFIG_MAX	(512 * 1024)
#define CD_VM_ID_NAME_MAX	64
#define CD_VM_ID_DISKS_MAX	16
#define CD_VM_ID_MACS_MAX	8

/**
 * Rules 1 and 2 from sizes alone.
 * @param old_config  serialised size of the configuration before the change
 * @param new_config  ... after it
 * @param total       serialised size of the whole document after it
 * @return 0, or -ENOSPC with the reason (and what to do) in err
 */
int cd_rule_size(size_t old_config, size_t new_config, size_t total,
		 char *err, size_t errlen);

/**
 * Rule 3 over a whole "config.resources" object (borrowed; NULL or empty
 * passes). Each resource's role is its "role" member.
 * @return 0, -EEXIST or -CD_E_BAD_ARGS with the reason in err, -ENOMEM
 */
int cd_rule_vm_claims(json_object *resources, char *err, size_t errlen);

/**
 * Rule 3 for one candidate before it is submitted (a clear error for
 * 'clusterctl vm add'): does identity vm (borrowed) clash with a resource
 * in resources other than id?
 * @return 0, -EEXIST or -CD_E_BAD_ARGS with the reason in err
 */
int cd_rule_vm_claim_check(json_object *resources, const char *id,
			   json_object *vm, char *err, size_t errlen);

#define CD_STATE_NODES_MAX	64

/**
 * Rule 4: may the node list become nodes?
 * @param doc   the current document (borrowed)
 * @param nodes the proposed config.nodes (borrowed)
 * @param live  ids of the nodes that are corosync members now
 * @return 0, or -CD_E_BAD_ARGS with the reason in err
 */
int cd_rule_nodes_update(json_object *doc, json_object *nodes, const uint32_t *live,
			 size_t n_live, char *err, size_t errlen);

/**
 * Rule 4's companion: append to ops (a JSON array) what the node list
 * change must also do: a stopped role whose last owner leaves the list
 * forgets it (the policy engine takes every owner for a node).
 * @return 0 or -ENOMEM
 */
int cd_rule_nodes_update_ops(json_object *doc, json_object *nodes, json_object *ops);

/**
 * Every rule on a change: old_doc is the document before ops (a JSON
 * array of operations, as cd_state_apply takes) were applied, new_doc the
 * result (all borrowed). Sizes are measured only when the change touches
 * the configuration, VM identities only when it touches config.resources.
 * @return 0, or -ENOSPC / -EEXIST / -CD_E_BAD_ARGS (reason in err), -ENOMEM
 */
int cd_state_rules_check(json_object *old_doc, json_object *new_doc,
			 json_object *ops, char *err, size_t errlen);

/**
 * Serialised sizes (plain) of a state: the whole document and its
 * "config" member; 0 for an empty state. For status and the rules.
 */
void cd_state_sizes(const struct cd_state *s, size_t *total, size_t *config);

#endif
