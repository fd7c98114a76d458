/*
 * membership.h - pure bookkeeping of who is in the cluster.
 *
 * Three views feed it, each from its own corosync callback:
 *   - the configured nodelist (cmap): ids, names, addresses;
 *   - the corosync ring membership (votequorum nodelist callback);
 *   - the clusterd process group (CPG confchg): which nodes run clusterd;
 * plus the quorum state (votequorum quorum callback and getinfo).
 * No I/O here: the daemon's glue calls the setters, reads the result, and
 * the unit tests drive the same functions with tables.
 */
#ifndef CLUSTERD_MEMBERSHIP_H
#define CLUSTERD_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define CD_MAX_NODES		64
#define CD_NODE_NAME_MAX	64
#define CD_NODE_ADDR_MAX	64
#define CD_CLUSTER_NAME_MAX	64

enum cd_node_state {
	CD_NODE_DOWN = 0,	/* not in the corosync membership */
	CD_NODE_JOINING,	/* corosync member, clusterd not (yet) in the group */
	CD_NODE_UP,		/* corosync member running clusterd */
};

struct cd_node {
	uint32_t id;
	char name[CD_NODE_NAME_MAX];
	char addr[CD_NODE_ADDR_MAX];
	bool configured;	/* listed in corosync's nodelist */
	bool ring_member;	/* in the current corosync ring */
	bool cpg_member;	/* its clusterd is in our process group */
};

struct cd_quorum_info {
	bool quorate;		/* votequorum's verdict (corosync votes) */
	bool witness_vote;	/* votequorum counts the witness vote we cast */
	uint32_t node_votes;	/* this node's votes */
	uint32_t expected_votes;
	uint32_t total_votes;
	uint32_t quorum;	/* votes needed */
};

struct cd_membership {
	char cluster_name[CD_CLUSTER_NAME_MAX];
	uint32_t local_id;
	bool connected;		/* corosync reachable */
	uint32_t ring_node;	/* ring id: representative node ... */
	uint64_t ring_seq;	/* ... and sequence */
	struct cd_quorum_info quorum;
	/*
	 * The ring changed (or CPG reported a node coming or going, which
	 * announces a ring change) and votequorum's quorum callback for the new
	 * ring has not come yet: quorum.quorate is the old ring's and must not
	 * be acted on (no leader; shown as not quorate). votequorum delivers the
	 * nodelist callback of a ring first and its quorum callback after the
	 * sync (after the quorum device's poll, corosync-lab REPORT §6 q4/q9).
	 */
	bool quorum_stale;
	bool ring_expected;	/* CPG announced a ring change not seen yet */
	size_t n_nodes;
	struct cd_node nodes[CD_MAX_NODES];	/* sorted by id */
};

/** One configured node as read from corosync's nodelist. */
struct cd_nodelist_entry {
	uint32_t id;
	const char *name;	/* may be NULL: "node<ID>" is used */
	const char *addr;	/* may be NULL */
};

void cd_membership_init(struct cd_membership *m);

/**
 * Replace the configured nodelist. Nodes that are members but not
 * configured are kept (shown by id) until they leave.
 * @return 1 if anything visible changed, 0 if not, -EINVAL on duplicate or
 *         zero ids, -E2BIG beyond CD_MAX_NODES
 */
int cd_membership_set_nodelist(struct cd_membership *m,
			       const struct cd_nodelist_entry *e, size_t n);

/** Set the corosync ring and its members. @return 1 changed, 0 not, <0 error */
int cd_membership_set_ring(struct cd_membership *m, uint32_t ring_node,
			   uint64_t ring_seq, const uint32_t *ids, size_t n);

/** Set which nodes run clusterd (the CPG members). @return 1/0/<0 as above */
int cd_membership_set_group(struct cd_membership *m, const uint32_t *ids,
			    size_t n);

/** Set the quorum state. @return 1 changed, 0 not */
int cd_membership_set_quorum(struct cd_membership *m,
			     const struct cd_quorum_info *q);

/**
 * CPG reported a node down that is still in the current ring, or a node up
 * that is not in it yet: a ring change is under way; the quorum is stale
 * until the new ring and then its quorum callback arrive.
 * @return 1 changed, 0 not
 */
int cd_membership_expect_ring(struct cd_membership *m);

/**
 * votequorum's quorum callback arrived: the quorum state is settled for the
 * current ring (unless a ring change announced by CPG is still to come).
 * Call after cd_membership_set_quorum(). @return 1 changed, 0 not
 */
int cd_membership_quorum_settled(struct cd_membership *m);

/**
 * votequorum's quorate flag, without a quorum device vote this node is not
 * casting for the current ring (device_counted: votequorum counts it;
 * backed: we cast it for this ring). votequorum keeps the device vote as a
 * per-node flag that an older nodeinfo message of this node can set again
 * after we polled 0 for a new ring (rule V3 of quorum/arbiter.h). Never
 * makes a node quorate.
 */
bool cd_quorum_without_unbacked_vote(bool quorate, bool device_counted, bool backed,
				     uint32_t total_votes, uint32_t device_votes,
				     uint32_t quorum);

/**
 * Rule M1: votequorum's verdict counts corosync processes, which vote even
 * when their clusterd is dead. A partition is quorate for clusterd only when
 * votequorum says so AND the clusterd processes in the group are a majority
 * of the configured nodes (exactly half with the witness vote: node and
 * disk majority). Not settled: see cd_membership_quorate().
 */
bool cd_membership_majority(const struct cd_membership *m);

/** Number of configured nodes whose clusterd is in the group (and ring). */
size_t cd_membership_count_group(const struct cd_membership *m);

/** Number of configured nodes. */
size_t cd_membership_count_configured(const struct cd_membership *m);

/** cd_membership_majority() and settled: what decisions may rely on. */
bool cd_membership_quorate(const struct cd_membership *m);

/**
 * corosync went away (connected=false): every view is cleared, this node is
 * not quorate and has no leader. @return 1 changed, 0 not
 */
int cd_membership_set_connected(struct cd_membership *m, bool connected);

/** The state of a node, derived from the views. */
enum cd_node_state cd_membership_node_state(const struct cd_node *node);
const char *cd_node_state_str(enum cd_node_state s);

/** Find a node by id; NULL if unknown. */
const struct cd_node *cd_membership_node(const struct cd_membership *m,
					 uint32_t id);

/**
 * The leader: the lowest node id among the nodes that are up (corosync
 * member and clusterd in the group), and only when this partition is
 * quorate and the quorum is settled (not stale after a ring change). All nodes of a partition compute the same leader because CPG
 * delivers the same membership to all of them.
 * @return the leader's id, or 0 when there is none
 */
uint32_t cd_membership_leader(const struct cd_membership *m);

/** Number of nodes in state UP. */
size_t cd_membership_count_up(const struct cd_membership *m);

/**
 * The status document shown by `clusterctl status`.
 * @return a new json object (caller puts it) or NULL on allocation failure
 */
json_object *cd_membership_to_json(const struct cd_membership *m);

#endif
