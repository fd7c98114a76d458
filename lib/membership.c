/*
 * membership.c - membership bookkeeping (see membership.h). Pure code.
 */
#include "membership.h"
#include "sync.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
cd_membership_init(struct cd_membership *m)
{
	memset(m, 0, sizeof(*m));
}

static struct cd_node *
find(struct cd_membership *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].id == id)
			return &m->nodes[i];
	}
	return NULL;
}

const struct cd_node *
cd_membership_node(const struct cd_membership *m, uint32_t id)
{
	return find((struct cd_membership *)(uintptr_t)m, id);
}

/* Find or insert (keeping the array sorted by id). NULL when full. */
static struct cd_node *
get(struct cd_membership *m, uint32_t id)
{
	struct cd_node *n = find(m, id);
	size_t pos;

	if (n)
		return n;
	if (m->n_nodes >= CD_MAX_NODES)
		return NULL;
	for (pos = 0; pos < m->n_nodes && m->nodes[pos].id < id; pos++)
		;
	memmove(&m->nodes[pos + 1], &m->nodes[pos],
		(m->n_nodes - pos) * sizeof(m->nodes[0]));
	m->n_nodes++;
	n = &m->nodes[pos];
	memset(n, 0, sizeof(*n));
	n->id = id;
	snprintf(n->name, sizeof(n->name), "node%" PRIu32, id);
	return n;
}

/* Drop nodes that no view mentions any more. */
static void
prune(struct cd_membership *m)
{
	size_t i = 0;

	while (i < m->n_nodes) {
		struct cd_node *n = &m->nodes[i];

		if (n->configured || n->ring_member || n->cpg_member) {
			i++;
			continue;
		}
		memmove(n, n + 1, (m->n_nodes - i - 1) * sizeof(*n));
		m->n_nodes--;
		memset(&m->nodes[m->n_nodes], 0, sizeof(m->nodes[0]));
	}
}

/* Reject zero and duplicate ids in a list from corosync. */
static int
check_ids(const uint32_t *ids, size_t n)
{
	size_t i, j;

	if (n > CD_MAX_NODES)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		if (ids[i] == 0)
			return -EINVAL;
		for (j = i + 1; j < n; j++) {
			if (ids[i] == ids[j])
				return -EINVAL;
		}
	}
	return 0;
}

static bool
contains(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ids[i] == id)
			return true;
	}
	return false;
}

int
cd_membership_set_nodelist(struct cd_membership *m,
			   const struct cd_nodelist_entry *e, size_t n)
{
	struct cd_membership before = *m;
	uint32_t ids[CD_MAX_NODES];
	size_t i;
	int rc;

	if (n > CD_MAX_NODES)
		return -E2BIG;
	for (i = 0; i < n; i++)
		ids[i] = e[i].id;
	rc = check_ids(ids, n);
	if (rc < 0)
		return rc;

	/* Replaced as a whole: forget what the old list said. */
	for (i = 0; i < m->n_nodes; i++) {
		struct cd_node *node = &m->nodes[i];

		node->configured = false;
		memset(node->name, 0, sizeof(node->name));
		snprintf(node->name, sizeof(node->name), "node%" PRIu32, node->id);
		memset(node->addr, 0, sizeof(node->addr));
	}
	for (i = 0; i < n; i++) {
		struct cd_node *node = get(m, e[i].id);

		if (!node) {
			*m = before;
			return -E2BIG;
		}
		node->configured = true;
		if (e[i].name && *e[i].name)
			snprintf(node->name, sizeof(node->name), "%s", e[i].name);
		if (e[i].addr)
			snprintf(node->addr, sizeof(node->addr), "%s", e[i].addr);
	}
	prune(m);
	return memcmp(&before, m, sizeof(before)) != 0;
}

/* Set one boolean view from an id list. */
static int
set_view(struct cd_membership *m, const uint32_t *ids, size_t n,
	 size_t view_offset)
{
	struct cd_membership before = *m;
	size_t i;
	int rc;

	rc = check_ids(ids, n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (!get(m, ids[i])) {
			*m = before;
			return -E2BIG;
		}
	}
	for (i = 0; i < m->n_nodes; i++) {
		bool *flag = (bool *)((char *)&m->nodes[i] + view_offset);

		*flag = contains(ids, n, m->nodes[i].id);
	}
	prune(m);
	return memcmp(&before, m, sizeof(before)) != 0;
}

int
cd_membership_set_ring(struct cd_membership *m, uint32_t ring_node,
		       uint64_t ring_seq, const uint32_t *ids, size_t n)
{
	uint32_t old_node = m->ring_node;
	uint64_t old_seq = m->ring_seq;
	int rc;

	rc = set_view(m, ids, n, offsetof(struct cd_node, ring_member));
	if (rc < 0)
		return rc;
	m->ring_node = ring_node;
	m->ring_seq = ring_seq;
	if (old_node != ring_node || old_seq != ring_seq) {
		/* the new ring's quorum comes with its quorum callback */
		m->quorum_stale = true;
		m->ring_expected = false;
		return 1;
	}
	return rc;
}

int
cd_membership_expect_ring(struct cd_membership *m)
{
	bool was = m->quorum_stale;

	m->ring_expected = true;
	m->quorum_stale = true;
	return !was;
}

int
cd_membership_quorum_settled(struct cd_membership *m)
{
	bool was = m->quorum_stale;

	if (!m->ring_expected)
		m->quorum_stale = false;
	return was != m->quorum_stale;
}

bool
cd_quorum_without_unbacked_vote(bool quorate, bool device_counted, bool backed,
				uint32_t total_votes, uint32_t device_votes,
				uint32_t quorum)
{
	if (!quorate || !device_counted || backed || !device_votes)
		return quorate;
	return total_votes >= device_votes && total_votes - device_votes >= quorum;
}

size_t
cd_membership_count_group(const struct cd_membership *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].configured &&
		    cd_membership_node_state(&m->nodes[i]) == CD_NODE_UP)
			k++;
	}
	return k;
}

size_t
cd_membership_count_configured(const struct cd_membership *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n_nodes; i++)
		k += m->nodes[i].configured;
	return k;
}

bool
cd_membership_majority(const struct cd_membership *m)
{
	return m->connected && m->quorum.quorate &&
	       cd_majority(cd_membership_count_group(m),
			   cd_membership_count_configured(m), m->quorum.witness_vote);
}

bool
cd_membership_quorate(const struct cd_membership *m)
{
	return cd_membership_majority(m) && !m->quorum_stale;
}

int
cd_membership_set_group(struct cd_membership *m, const uint32_t *ids, size_t n)
{
	return set_view(m, ids, n, offsetof(struct cd_node, cpg_member));
}

int
cd_membership_set_quorum(struct cd_membership *m, const struct cd_quorum_info *q)
{
	bool changed = m->quorum.quorate != q->quorate ||
		       m->quorum.witness_vote != q->witness_vote ||
		       m->quorum.node_votes != q->node_votes ||
		       m->quorum.expected_votes != q->expected_votes ||
		       m->quorum.total_votes != q->total_votes ||
		       m->quorum.quorum != q->quorum;

	m->quorum.quorate = q->quorate;
	m->quorum.witness_vote = q->witness_vote;
	m->quorum.node_votes = q->node_votes;
	m->quorum.expected_votes = q->expected_votes;
	m->quorum.total_votes = q->total_votes;
	m->quorum.quorum = q->quorum;
	return changed;
}

int
cd_membership_set_connected(struct cd_membership *m, bool connected)
{
	struct cd_membership before = *m;
	size_t i;

	m->connected = connected;
	if (!connected) {
		for (i = 0; i < m->n_nodes; i++) {
			m->nodes[i].ring_member = false;
			m->nodes[i].cpg_member = false;
		}
		memset(&m->quorum, 0, sizeof(m->quorum));
		m->quorum_stale = false;
		m->ring_expected = false;
		m->ring_node = 0;
		m->ring_seq = 0;
		prune(m);
	}
	return memcmp(&before, m, sizeof(before)) != 0;
}

enum cd_node_state
cd_membership_node_state(const struct cd_node *node)
{
	if (!node->ring_member)
		return CD_NODE_DOWN;
	return node->cpg_member ? CD_NODE_UP : CD_NODE_JOINING;
}

const char *
cd_node_state_str(enum cd_node_state s)
{
	switch (s) {
	case CD_NODE_UP: return "up";
	case CD_NODE_JOINING: return "joining";
	case CD_NODE_DOWN: return "down";
	}
	return "unknown";
}

uint32_t
cd_membership_leader(const struct cd_membership *m)
{
	size_t i;

	if (!cd_membership_quorate(m))
		return 0;
	/* nodes[] is sorted by id: the first one up is the lowest. */
	for (i = 0; i < m->n_nodes; i++) {
		if (cd_membership_node_state(&m->nodes[i]) == CD_NODE_UP)
			return m->nodes[i].id;
	}
	return 0;
}

size_t
cd_membership_count_up(const struct cd_membership *m)
{
	size_t i, count = 0;

	for (i = 0; i < m->n_nodes; i++) {
		if (cd_membership_node_state(&m->nodes[i]) == CD_NODE_UP)
			count++;
	}
	return count;
}

static json_object *
node_ref(const struct cd_membership *m, uint32_t id)
{
	const struct cd_node *n;
	json_object *o;

	if (id == 0)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	n = cd_membership_node(m, id);
	json_object_object_add(o, "id", json_object_new_int64(id));
	if (n)
		json_object_object_add(o, "name", json_object_new_string(n->name));
	return o;
}

json_object *
cd_membership_to_json(const struct cd_membership *m)
{
	json_object *root, *q, *nodes;
	uint32_t leader = cd_membership_leader(m);
	char ring[48];
	size_t i;

	root = json_object_new_object();
	q = json_object_new_object();
	nodes = json_object_new_array();
	if (!root || !q || !nodes) {
		json_object_put(root);
		json_object_put(q);
		json_object_put(nodes);
		return NULL;
	}
	snprintf(ring, sizeof(ring), "%" PRIu32 ".%" PRIx64, m->ring_node,
		 m->ring_seq);

	json_object_object_add(root, "cluster_name",
			       json_object_new_string(m->cluster_name));
	json_object_object_add(root, "local_node", node_ref(m, m->local_id));
	json_object_object_add(root, "corosync",
			       json_object_new_string(m->connected ?
						      "connected" : "disconnected"));
	json_object_object_add(root, "ring_id", json_object_new_string(ring));
	json_object_object_add(root, "leader", node_ref(m, leader));
	json_object_object_add(root, "members",
			       json_object_new_int64((int64_t)cd_membership_count_up(m)));

	json_object_object_add(q, "quorate", json_object_new_boolean(cd_membership_quorate(m)));
	json_object_object_add(q, "settled", json_object_new_boolean(!m->quorum_stale));
	json_object_object_add(q, "votequorum_quorate", json_object_new_boolean(m->quorum.quorate));
	json_object_object_add(q, "clusterd_members",
			       json_object_new_int64((int64_t)cd_membership_count_group(m)));
	json_object_object_add(q, "configured_nodes",
			       json_object_new_int64((int64_t)cd_membership_count_configured(m)));
	json_object_object_add(q, "witness_vote", json_object_new_boolean(m->quorum.witness_vote));
	json_object_object_add(q, "node_votes", json_object_new_int64(m->quorum.node_votes));
	json_object_object_add(q, "expected_votes",
			       json_object_new_int64(m->quorum.expected_votes));
	json_object_object_add(q, "total_votes", json_object_new_int64(m->quorum.total_votes));
	json_object_object_add(q, "quorum", json_object_new_int64(m->quorum.quorum));
	json_object_object_add(root, "quorum", q);

	for (i = 0; i < m->n_nodes; i++) {
		const struct cd_node *n = &m->nodes[i];
		json_object *o = json_object_new_object();

		if (!o) {
			json_object_put(root);
			json_object_put(nodes);
			return NULL;
		}
		json_object_object_add(o, "id", json_object_new_int64(n->id));
		json_object_object_add(o, "name", json_object_new_string(n->name));
		json_object_object_add(o, "address", json_object_new_string(n->addr));
		json_object_object_add(o, "state", json_object_new_string(
				cd_node_state_str(cd_membership_node_state(n))));
		json_object_object_add(o, "configured", json_object_new_boolean(n->configured));
		json_object_object_add(o, "local", json_object_new_boolean(n->id == m->local_id));
		json_object_object_add(o, "leader", json_object_new_boolean(n->id == leader));
		json_object_array_add(nodes, o);
	}
	json_object_object_add(root, "nodes", nodes);
	return root;
}
