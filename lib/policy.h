/*
 * policy.h - the policy engine: placement, recovery, failback. Pure code,
 * run by the leader: a snapshot of nodes and roles in, actions out. The
 * resource manager (clusterd/rm.c) turns actions into replicated state
 * changes and agent operations; this module does no I/O and keeps no state
 * between runs, so the same input gives the same output on every node.
 *
 * Rules, in order:
 *  1. A lost node (DOWN_UNFENCED) is fenced before anything it owned moves:
 *     FENCE for each such node; its roles are left alone this run.
 *  2. A role owned by a fenced node (DOWN_FENCED) has stopped: it is placed
 *     anew (rule 5) without counting as a role failure.
 *  3. Roles in a transition (STARTING, STOPPING) get no action.
 *  4. A role whose target is STOPPED and that runs somewhere: STOP.
 *  5. A role whose target is STARTED and that runs nowhere: START on the
 *     best node: up, not paused, a possible owner, not banned for this role
 *     (failures there reached the threshold), with room for its declared
 *     memory; the first such node in its preferred-owner order, otherwise
 *     the least loaded (declared memory, then role count), then lowest id.
 *     Roles are placed in priority order (higher first), then by name. No
 *     node fits: no action (the role stays stopped; reason recorded).
 *  6. A FAILED role (its monitor or start failed on its owner) whose
 *     failures on that node in the period are below the threshold: RESTART
 *     there; otherwise STOP there (the node is then banned for it and rule 5
 *     places it elsewhere in a later run: failover).
 *  7. A move requested by the administrator (move_to): MOVE owner -> target
 *     if the target is a valid placement (rule 5's conditions), else
 *     REFUSE_MOVE with the reason. cd_policy_move_check gives the same
 *     verdict and reason for one role when the move is requested (clusterd
 *     role-move refuses what rule 7 would), and cd_policy_pick the node a
 *     role would go to if it left its owner (node drain): rule 5's choice
 *     without the owner. Both see the load of the roles as they run now.
 *  8. Failback: a STARTED role on a node that is not its most preferred up
 *     node, with failback IMMEDIATE, or WINDOW and the current hour inside
 *     [window_start, window_end) (wrapping past midnight): MOVE to the most
 *     preferred valid node.
 *  9. A role that is not highly available (not_ha: its disks are local to
 *     the node that runs it) runs only on its home: its owner, or when it
 *     has none its last owner. Rules 2 and 5 start it on its home only, once
 *     that is a valid placement (rule 5's conditions); until then it stays
 *     stopped and waits (cd_policy_waits gives the reason). One with no home
 *     (it never ran) is placed by rule 5. Rule 6 restarts it on its owner
 *     below the threshold; at the threshold it is stopped there and waits
 *     for the ban to end (it never fails over). Rule 7 moves it only while
 *     it runs (the caller moves it live, never quick or by a restart); a
 *     move of it stopped is refused unless to its home. Rule 8 never fails
 *     it back (a failback is a restart elsewhere).
 */
#ifndef CLUSTERD_POLICY_H
#define CLUSTERD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_POLICY_NAME_MAX	64
#define CD_POLICY_MAX_OWNERS	16
#define CD_POLICY_REASON_MAX	128

enum cd_pnode_state {
	CD_PNODE_UP = 0,	/* member of this quorate partition */
	CD_PNODE_DOWN_UNFENCED,	/* lost; may still run its roles: fence first */
	CD_PNODE_DOWN_FENCED,	/* lost and fenced: its roles are stopped */
};

struct cd_pnode {
	char name[CD_POLICY_NAME_MAX];
	uint32_t id;
	enum cd_pnode_state state;
	bool paused;		/* 'clusterctl node pause': no new roles */
	uint64_t memory_mib;	/* capacity for declared role memory; 0 = unlimited */
};

enum cd_role_state {
	CD_ROLE_STOPPED = 0,
	CD_ROLE_STARTING,
	CD_ROLE_STARTED,
	CD_ROLE_STOPPING,
	CD_ROLE_FAILED,		/* failed on owner; still owned until stopped */
};

enum cd_failback {
	CD_FAILBACK_NEVER = 0,
	CD_FAILBACK_IMMEDIATE,
	CD_FAILBACK_WINDOW,
};

struct cd_prole {
	char name[CD_POLICY_NAME_MAX];
	/* configuration */
	bool target_started;	/* false: the administrator stopped it */
	int priority;		/* higher is placed first */
	size_t n_preferred;
	char preferred[CD_POLICY_MAX_OWNERS][CD_POLICY_NAME_MAX];
	size_t n_possible;	/* 0: every node is a possible owner */
	char possible[CD_POLICY_MAX_OWNERS][CD_POLICY_NAME_MAX];
	unsigned failover_threshold;	/* failures per node and period */
	enum cd_failback failback;
	unsigned window_start, window_end;	/* hours 0..23, for WINDOW */
	uint64_t memory_mib;	/* declared load; 0 = none */
	bool not_ha;		/* rule 9: not highly available (config "ha" false) */
	/* runtime */
	char owner[CD_POLICY_NAME_MAX];	/* "" when it runs nowhere */
	/* rule 9's home when owner is "": the node it last ran on ("" when it
	   never ran); a name no input node has is no error (it waits) */
	char last_owner[CD_POLICY_NAME_MAX];
	enum cd_role_state state;
	char move_to[CD_POLICY_NAME_MAX];	/* "" unless a move was asked */
	/*
	 * Failures within the period, per node (same order as the input's
	 * nodes array; the caller counts them from the fence/failure records).
	 */
	const unsigned *failures;	/* n_nodes entries, or NULL for none */
};

enum cd_action_type {
	CD_ACT_FENCE = 1,	/* node */
	CD_ACT_START,		/* role on node */
	CD_ACT_STOP,		/* role on its owner */
	CD_ACT_RESTART,		/* role on its owner (local recovery) */
	CD_ACT_MOVE,		/* role from owner to node */
	CD_ACT_REFUSE_MOVE,	/* role: the requested move cannot be done */
};

struct cd_action {
	enum cd_action_type type;
	int role;		/* index into input roles, -1 for FENCE */
	int node;		/* index into input nodes: target (START, MOVE,
				   FENCE) or owner (STOP, RESTART); -1 if none */
	char reason[CD_POLICY_REASON_MAX];
};

struct cd_policy_input {
	const struct cd_pnode *nodes;
	size_t n_nodes;
	const struct cd_prole *roles;
	size_t n_roles;
	unsigned hour;		/* local hour 0..23, for failback windows */
};

/**
 * Decide. Pure and deterministic.
 * @param out  room for max actions; at most one action per role plus one
 *             per node is ever produced, so n_roles + n_nodes is enough
 * @param n    out: number of actions written
 * @return 0; -E2BIG if max was too small (the first max actions are valid);
 *         -EINVAL for an inconsistent input (owner not a known node, ...)
 */
int cd_policy_run(const struct cd_policy_input *in, struct cd_action *out,
		  size_t max, size_t *n);

/**
 * Rule 7 for one role ahead of a run: may it move to node "to" now?
 * @param role index into in->roles
 * @param why  the refusal's reason (rule 7's text), may be NULL
 * @return 0 (valid); -ENOENT (no such node); -EALREADY (started on "to"
 *         already); -EPERM (not a valid placement: down, paused, not a
 *         possible owner, banned, no room); -EINVAL; -ENOMEM
 */
int cd_policy_move_check(const struct cd_policy_input *in, size_t role, const char *to,
			 char *why, size_t len);

/**
 * Where the role would go if it left its owner (rule 5's choice, never the
 * owner): the first valid node in its preferred-owner order, else the least
 * loaded valid node.
 * @return the node's index in in->nodes; -ENOENT (no node fits); -EINVAL;
 *         -ENOMEM
 */
int cd_policy_pick(const struct cd_policy_input *in, size_t role);

/**
 * Rule 9 for one role ahead of a run: does it wait for its home? True for a
 * role not highly available, with target STARTED, that runs nowhere (or on
 * a lost node) and whose home is not a valid placement now.
 * @param role index into in->roles
 * @param why  the reason, "not highly available: waits for NODE (its disks
 *             are local there)" and why NODE does not fit; may be NULL
 * @return 1 (waits); 0 (does not); -EINVAL; -ENOMEM
 */
int cd_policy_waits(const struct cd_policy_input *in, size_t role, char *why, size_t len);

/** Name of an action type for logs and JSON ("fence", "start", ...). */
const char *cd_action_str(enum cd_action_type t);

#endif
