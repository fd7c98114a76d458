/*
 * test_membership.c - unit tests of the membership bookkeeping
 * (lib/membership.c): setters, node states, leader election, JSON.
 */
#include "membership.h"
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static const struct cd_nodelist_entry three_nodes[] = {
	{ 3, "gamma", "10.0.0.3" },
	{ 1, "alpha", "10.0.0.1" },
	{ 2, "beta", "10.0.0.2" },
};

/* A connected, quorate cluster of three configured nodes, all up. */
static void
three_up(struct cd_membership *m)
{
	static const uint32_t all[] = { 1, 2, 3 };
	struct cd_quorum_info q = { .quorate = true, .node_votes = 1,
				    .expected_votes = 3, .total_votes = 3,
				    .quorum = 2 };

	cd_membership_init(m);
	CU_ASSERT_EQUAL_FATAL(cd_membership_set_connected(m, true), 1);
	CU_ASSERT_EQUAL_FATAL(cd_membership_set_nodelist(m, three_nodes, 3), 1);
	CU_ASSERT_EQUAL_FATAL(cd_membership_set_ring(m, 1, 8, all, 3), 1);
	CU_ASSERT_EQUAL_FATAL(cd_membership_set_group(m, all, 3), 1);
	CU_ASSERT_EQUAL_FATAL(cd_membership_set_quorum(m, &q), 1);
	CU_ASSERT_EQUAL_FATAL(cd_membership_quorum_settled(m), 1);
}

static bool
sorted_unique(const struct cd_membership *m)
{
	size_t i;

	for (i = 1; i < m->n_nodes; i++) {
		if (m->nodes[i - 1].id >= m->nodes[i].id)
			return false;
	}
	return true;
}

/* Node id i of the table, or 0 past the end. */
static uint32_t
id_at(const struct cd_membership *m, size_t i)
{
	return i < m->n_nodes ? m->nodes[i].id : 0;
}

/* ---- init and nodelist ---- */

static void
test_init(void)
{
	struct cd_membership m;

	memset(&m, 0xa5, sizeof(m));
	cd_membership_init(&m);
	CU_ASSERT_EQUAL(m.n_nodes, 0);
	CU_ASSERT_FALSE(m.connected);
	CU_ASSERT_EQUAL(m.local_id, 0);
	CU_ASSERT_EQUAL(m.cluster_name[0], '\0');
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	CU_ASSERT_EQUAL(cd_membership_count_up(&m), 0);
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 1));
}

static void
test_nodelist_sorted_and_named(void)
{
	struct cd_membership m;
	const struct cd_node *n;
	size_t i;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, three_nodes, 3), 1);
	CU_ASSERT_EQUAL_FATAL(m.n_nodes, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(m.nodes[i].id, i + 1);
		CU_ASSERT_TRUE(m.nodes[i].configured);
		CU_ASSERT_FALSE(m.nodes[i].ring_member);
		CU_ASSERT_FALSE(m.nodes[i].cpg_member);
		CU_ASSERT_EQUAL(cd_membership_node_state(&m.nodes[i]), CD_NODE_DOWN);
	}
	n = cd_membership_node(&m, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_PTR_EQUAL(n, &m.nodes[1]);
	CU_ASSERT_STRING_EQUAL(n->name, "beta");
	CU_ASSERT_STRING_EQUAL(n->addr, "10.0.0.2");
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 4));
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 0));
}

static void
test_nodelist_change_detection(void)
{
	struct cd_nodelist_entry e[3];
	struct cd_membership m;

	memcpy(e, three_nodes, sizeof(e));
	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 1);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 0);
	/* Same nodes in another order: nothing visible changed. */
	e[0] = three_nodes[1];
	e[1] = three_nodes[2];
	e[2] = three_nodes[0];
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 0);
	e[1].addr = "10.0.0.22";
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 1);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 2)->addr, "10.0.0.22");
	e[1].name = "bravo";
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 1);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 2)->name, "bravo");
	/* Dropping a node that no other view mentions removes it. */
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 2), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 2);
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 3));
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, NULL, 0), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 0);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, NULL, 0), 0);
	/* A name shorter than its "node<ID>" default is stable too. */
	e[0].id = 12345;
	e[0].name = "a";
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 1), 1);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 1), 0);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 12345)->name, "a");
}

static void
test_nodelist_missing_and_long_names(void)
{
	char longname[CD_NODE_NAME_MAX * 2];
	struct cd_nodelist_entry e[3] = {
		{ 7, NULL, NULL },
		{ 8, "", "" },
		{ 9, longname, longname },
	};
	struct cd_membership m;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 3), 1);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 7)->name, "node7");
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 7)->addr, "");
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 8)->name, "node8");
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 8)->addr, "");
	/* Over-long strings are truncated, still terminated. */
	CU_ASSERT_EQUAL(strlen(cd_membership_node(&m, 9)->name), CD_NODE_NAME_MAX - 1);
	CU_ASSERT_EQUAL(strlen(cd_membership_node(&m, 9)->addr), CD_NODE_ADDR_MAX - 1);
	CU_ASSERT_EQUAL(strncmp(cd_membership_node(&m, 9)->name, longname,
				CD_NODE_NAME_MAX - 1), 0);
}

/*
 * The nodelist is replaced as a whole: a name or address that the new
 * list no longer gives must not survive from the old one (a NULL name
 * means "node<ID>", per struct cd_nodelist_entry; a member dropped from
 * the nodelist is "shown by id", per cd_membership_set_nodelist).
 */
static void
test_nodelist_replace_forgets_old_fields(void)
{
	static const struct cd_nodelist_entry named[] = {
		{ 1, "alpha", "10.0.0.1" },
		{ 2, "beta", "10.0.0.2" },
	};
	static const struct cd_nodelist_entry bare[] = {
		{ 1, NULL, NULL },
	};
	static const uint32_t ring[] = { 2 };
	struct cd_membership m;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, named, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 2, 1, ring, 1), 1);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, bare, 1), 1);
	CU_ASSERT_EQUAL_FATAL(m.n_nodes, 2);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 1)->name, "node1");
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 1)->addr, "");
	/* 2 is still a ring member, no longer configured. */
	CU_ASSERT_FALSE(cd_membership_node(&m, 2)->configured);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 2)->name, "node2");
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 2)->addr, "");
	/* Setting the same list again is no change. */
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, bare, 1), 0);
}

static void
test_nodelist_rejects_bad_ids(void)
{
	static const struct cd_nodelist_entry dup[] = {
		{ 1, "a", NULL }, { 2, "b", NULL }, { 1, "c", NULL },
	};
	static const struct cd_nodelist_entry zero[] = {
		{ 1, "a", NULL }, { 0, "z", NULL },
	};
	struct cd_nodelist_entry many[CD_MAX_NODES + 1];
	struct cd_membership m, before;
	size_t i;

	for (i = 0; i < N_ELEMS(many); i++) {
		many[i].id = (uint32_t)(i + 1);
		many[i].name = NULL;
		many[i].addr = NULL;
	}
	three_up(&m);
	before = m;
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, dup, N_ELEMS(dup)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, zero, N_ELEMS(zero)), -EINVAL);
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, many, CD_MAX_NODES + 1), -E2BIG);
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);

	/* Exactly CD_MAX_NODES fit. */
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, many, CD_MAX_NODES), 1);
	CU_ASSERT_EQUAL(m.n_nodes, CD_MAX_NODES);
	CU_ASSERT_TRUE(sorted_unique(&m));
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, CD_MAX_NODES)->name, "node64");
}

/* Configured nodes plus unconfigured members may not exceed the table. */
static void
test_nodelist_full_table(void)
{
	uint32_t ring[CD_MAX_NODES];
	struct cd_nodelist_entry e[2] = { { 1, "a", NULL }, { 1000, "b", NULL } };
	struct cd_membership m, before;
	size_t i;

	for (i = 0; i < CD_MAX_NODES; i++)
		ring[i] = (uint32_t)(i + 1);
	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 1, ring, CD_MAX_NODES), 1);
	before = m;
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 2), -E2BIG);
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);
	/* Configuring a node already known takes no slot. */
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, e, 1), 1);
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 1)->name, "a");
}

/* ---- ring and group views ---- */

static void
test_ring_unknown_members(void)
{
	static const uint32_t ring[] = { 30, 10, 20 };
	struct cd_membership m;
	size_t i;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 10, 0x42, ring, 3), 1);
	CU_ASSERT_EQUAL(m.ring_node, 10);
	CU_ASSERT_EQUAL(m.ring_seq, 0x42);
	CU_ASSERT_EQUAL_FATAL(m.n_nodes, 3);
	for (i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "node%zu", (i + 1) * 10);
		CU_ASSERT_EQUAL(m.nodes[i].id, (i + 1) * 10);
		CU_ASSERT_STRING_EQUAL(m.nodes[i].name, name);
		CU_ASSERT_STRING_EQUAL(m.nodes[i].addr, "");
		CU_ASSERT_FALSE(m.nodes[i].configured);
		CU_ASSERT_TRUE(m.nodes[i].ring_member);
		CU_ASSERT_EQUAL(cd_membership_node_state(&m.nodes[i]), CD_NODE_JOINING);
	}
}

static void
test_ring_change_detection(void)
{
	static const uint32_t a[] = { 1, 2 }, b[] = { 2, 1 }, c[] = { 1 };
	struct cd_membership m;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 4, a, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 4, a, 2), 0);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 4, b, 2), 0);
	/* Same members, new ring id: changed. */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 5, a, 2), 1);
	CU_ASSERT_EQUAL(m.ring_seq, 5);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 2, 5, a, 2), 1);
	CU_ASSERT_EQUAL(m.ring_node, 2);
	/* A member leaves: unknown, so forgotten. */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 2, 5, c, 1), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 1);
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 2));
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 2, 5, NULL, 0), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 0);
}

static void
test_group_change_detection(void)
{
	static const uint32_t a[] = { 3, 1 }, b[] = { 1, 3 }, c[] = { 1 };
	struct cd_membership m;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, a, 2), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 2);
	CU_ASSERT_TRUE(sorted_unique(&m));
	CU_ASSERT_TRUE(m.nodes[0].cpg_member);
	CU_ASSERT_FALSE(m.nodes[0].ring_member);
	CU_ASSERT_STRING_EQUAL(m.nodes[1].name, "node3");
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, b, 2), 0);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, c, 1), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, c, 1), 0);
}

/* A node stays while any view mentions it, and goes with the last one. */
static void
test_prune_follows_all_views(void)
{
	static const struct cd_nodelist_entry conf[] = { { 1, "alpha", NULL } };
	static const uint32_t ring[] = { 1, 5 }, group[] = { 5, 6 };
	struct cd_membership m;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, conf, 1), 1);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 1, ring, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, group, 2), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 3);
	CU_ASSERT_EQUAL(id_at(&m, 0), 1);
	CU_ASSERT_EQUAL(id_at(&m, 1), 5);
	CU_ASSERT_EQUAL(id_at(&m, 2), 6);

	/* 5 leaves the ring but is still in the group: kept, down. */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 2, ring, 1), 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cd_membership_node(&m, 5));
	CU_ASSERT_EQUAL(cd_membership_node_state(cd_membership_node(&m, 5)),
			CD_NODE_DOWN);
	/* The group empties: 5 and 6 are gone, configured 1 stays. */
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, NULL, 0), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 1);
	CU_ASSERT_EQUAL(id_at(&m, 0), 1);
	/* Unconfigured but still a member: kept until it leaves. */
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, NULL, 0), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 1);
	CU_ASSERT_FALSE(m.nodes[0].configured);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 3, NULL, 0), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 0);
	/* The tail of the table is wiped, not left behind. */
	CU_ASSERT_EQUAL(m.nodes[0].id, 0);
	CU_ASSERT_EQUAL(m.nodes[1].id, 0);
	CU_ASSERT_EQUAL(m.nodes[2].id, 0);
}

/* Whatever the input order, the table stays sorted by id. */
static void
test_sorted_whatever_the_order(void)
{
	static const uint32_t orders[][6] = {
		{ 1, 2, 3, 4, 5, 6 },
		{ 6, 5, 4, 3, 2, 1 },
		{ 4, 1, 6, 2, 5, 3 },
		{ 3, 6, 1, 5, 2, 4 },
		{ 0x80000000u, 7, UINT32_MAX, 1, 0x7fffffffu, 2 },
	};
	size_t o;

	for (o = 0; o < N_ELEMS(orders); o++) {
		struct cd_membership m;

		cd_membership_init(&m);
		/* Feed the ids through different views, one at a time. */
		CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 1, orders[o], 3), 1);
		CU_ASSERT_EQUAL(cd_membership_set_group(&m, orders[o] + 3, 3), 1);
		CU_ASSERT_EQUAL(m.n_nodes, 6);
		CU_ASSERT_TRUE(sorted_unique(&m));
	}
}

static void
test_views_reject_bad_ids(void)
{
	static const uint32_t dup[] = { 1, 2, 1 }, zero[] = { 1, 0 };
	uint32_t many[CD_MAX_NODES + 1];
	struct cd_membership m, before;
	size_t i;

	for (i = 0; i < N_ELEMS(many); i++)
		many[i] = (uint32_t)(100 + i);
	three_up(&m);
	before = m;
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 9, 9, dup, 3), -EINVAL);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 9, 9, zero, 2), -EINVAL);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 9, 9, many, CD_MAX_NODES + 1), -E2BIG);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, dup, 3), -EINVAL);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, zero, 2), -EINVAL);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, many, CD_MAX_NODES + 1), -E2BIG);
	/* Nothing moved, not even the ring id. */
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);

	/* 3 known + 62 new ids overflow the table: rejected as a whole. */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 9, 9, many, CD_MAX_NODES - 2), -E2BIG);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, many, CD_MAX_NODES - 2), -E2BIG);
	CU_ASSERT_EQUAL(memcmp(&m, &before, sizeof(m)), 0);
	/* 3 + 61 fit. */
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, many, CD_MAX_NODES - 3), 1);
	CU_ASSERT_EQUAL(m.n_nodes, CD_MAX_NODES);
	CU_ASSERT_TRUE(sorted_unique(&m));
}

/* ---- quorum and connection ---- */

static void
test_quorum_change_detection(void)
{
	struct cd_quorum_info base = { .quorate = true, .node_votes = 1,
				       .expected_votes = 3, .total_votes = 3,
				       .quorum = 2 };
	struct cd_membership m;
	int field;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &base), 1);
	CU_ASSERT_TRUE(m.quorum.quorate);
	CU_ASSERT_EQUAL(m.quorum.quorum, 2);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &base), 0);
	/* Each field on its own counts as a change. */
	for (field = 0; field < 5; field++) {
		struct cd_quorum_info q = base;

		switch (field) {
		case 0: q.quorate = false; break;
		case 1: q.node_votes = 2; break;
		case 2: q.expected_votes = 5; break;
		case 3: q.total_votes = 2; break;
		default: q.quorum = 3; break;
		}
		CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
		CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 0);
		CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &base), 1);
	}
}

/*
 * Only the values count: two structs with the same fields but different
 * padding bytes (as a caller filling a stack struct field by field gets)
 * are the same quorum state.
 */
static void
test_quorum_ignores_padding(void)
{
	struct cd_quorum_info a, b;
	struct cd_membership m;

	memset(&a, 0xaa, sizeof(a));
	memset(&b, 0x55, sizeof(b));
	a.quorate = b.quorate = true;
	a.witness_vote = b.witness_vote = false;
	a.node_votes = b.node_votes = 1;
	a.expected_votes = b.expected_votes = 3;
	a.total_votes = b.total_votes = 3;
	a.quorum = b.quorum = 2;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &a), 1);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &b), 0);
}

static void
test_disconnect_clears_views(void)
{
	static const uint32_t ring[] = { 1, 2, 3, 9 };
	struct cd_membership m;
	size_t i;

	three_up(&m);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 9, ring, 4), 1);
	CU_ASSERT_EQUAL(m.n_nodes, 4);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);	/* new ring: quorum stale */
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_count_up(&m), 3);
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, true), 0);

	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, false), 1);
	CU_ASSERT_FALSE(m.connected);
	CU_ASSERT_EQUAL(m.ring_node, 0);
	CU_ASSERT_EQUAL(m.ring_seq, 0);
	CU_ASSERT_FALSE(m.quorum.quorate);
	CU_ASSERT_EQUAL(m.quorum.node_votes, 0);
	CU_ASSERT_EQUAL(m.quorum.expected_votes, 0);
	CU_ASSERT_EQUAL(m.quorum.total_votes, 0);
	CU_ASSERT_EQUAL(m.quorum.quorum, 0);
	CU_ASSERT_FALSE(m.quorum_stale);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	CU_ASSERT_EQUAL(cd_membership_count_up(&m), 0);
	/* Configured nodes stay (down); the unknown member 9 is gone. */
	CU_ASSERT_EQUAL_FATAL(m.n_nodes, 3);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(m.nodes[i].configured);
		CU_ASSERT_EQUAL(cd_membership_node_state(&m.nodes[i]), CD_NODE_DOWN);
	}
	CU_ASSERT_PTR_NULL(cd_membership_node(&m, 9));
	CU_ASSERT_STRING_EQUAL(cd_membership_node(&m, 1)->name, "alpha");
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, false), 0);

	/* Reconnecting alone brings nobody back up. */
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, true), 1);
	CU_ASSERT_TRUE(m.connected);
	CU_ASSERT_EQUAL(cd_membership_count_up(&m), 0);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
}

/* ---- node state ---- */

static void
test_node_states(void)
{
	static const struct {
		bool ring, cpg;
		enum cd_node_state state;
		const char *str;
	} cases[] = {
		{ false, false, CD_NODE_DOWN, "down" },
		{ true, false, CD_NODE_JOINING, "joining" },
		{ true, true, CD_NODE_UP, "up" },
		{ false, true, CD_NODE_DOWN, "down" },	/* CPG without ring */
	};
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		struct cd_node n;
		int conf;

		for (conf = 0; conf < 2; conf++) {
			memset(&n, 0, sizeof(n));
			n.id = 1;
			n.configured = conf;
			n.ring_member = cases[i].ring;
			n.cpg_member = cases[i].cpg;
			CU_ASSERT_EQUAL(cd_membership_node_state(&n), cases[i].state);
			CU_ASSERT_STRING_EQUAL(cd_node_state_str(cd_membership_node_state(&n)),
					       cases[i].str);
		}
	}
	CU_ASSERT_STRING_EQUAL(cd_node_state_str((enum cd_node_state)42), "unknown");
}

/* ---- leader, table-driven ---- */

#define MAXV	6

struct leader_case {
	const char *name;
	uint32_t conf[MAXV];	/* 0-terminated */
	uint32_t ring[MAXV];
	uint32_t group[MAXV];
	bool connected;
	bool quorate;
	uint32_t leader;
	size_t up;
};

static const struct leader_case leader_cases[] = {
	{ "all up", { 1, 2, 3 }, { 1, 2, 3 }, { 1, 2, 3 }, true, true, 1, 3 },
	{ "input order does not matter", { 3, 1, 2 }, { 2, 3, 1 }, { 3, 2, 1 },
	  true, true, 1, 3 },
	{ "leader 1 killed -> 2", { 1, 2, 3 }, { 2, 3 }, { 2, 3 }, true, true, 2, 2 },
	/* M1: votequorum's verdict alone is not enough (issue 12 §A) */
	{ "1 and 2 killed: one clusterd of three -> none", { 1, 2, 3 }, { 3 }, { 3 },
	  true, true, 0, 1 },
	{ "n3 alone, n2's corosync votes -> none", { 1, 2, 3 }, { 2, 3 }, { 3 },
	  true, true, 0, 1 },
	{ "two clusterds of three -> 2", { 1, 2, 3 }, { 1, 2, 3 }, { 2, 3 },
	  true, true, 2, 2 },
	{ "two of four without the witness -> none", { 1, 2, 3, 4 }, { 3, 4 }, { 3, 4 },
	  true, true, 0, 2 },
	{ "three of five -> 3", { 1, 2, 3, 4, 5 }, { 3, 4, 5 }, { 3, 4, 5 },
	  true, true, 3, 3 },
	{ "two of five -> none", { 1, 2, 3, 4, 5 }, { 1, 2 }, { 1, 2 },
	  true, true, 0, 2 },
	{ "not quorate -> none", { 1, 2, 3 }, { 1, 2, 3 }, { 1, 2, 3 },
	  true, false, 0, 3 },
	{ "not connected -> none", { 1, 2, 3 }, { 1, 2, 3 }, { 1, 2, 3 },
	  false, true, 0, 3 },
	{ "clusterd dead on 1 (joining) -> 2", { 1, 2, 3 }, { 1, 2, 3 }, { 2, 3 },
	  true, true, 2, 2 },
	{ "1 in CPG but not in ring -> 2", { 1, 2, 3 }, { 2, 3 }, { 1, 2, 3 },
	  true, true, 2, 2 },
	{ "configured but down 1 -> 2", { 1, 2, 3 }, { 2, 3 }, { 2, 3 },
	  true, true, 2, 2 },
	{ "nobody runs clusterd -> none", { 1, 2, 3 }, { 1, 2, 3 }, { 0 },
	  true, true, 0, 0 },
	{ "unconfigured node up counts", { 5, 6 }, { 3, 5, 6 }, { 6, 3, 5 },
	  true, true, 3, 3 },
	{ "no nodelist at all: no majority -> none", { 0 }, { 4, 2 }, { 2, 4 },
	  true, true, 0, 2 },
	{ "large ids compare unsigned", { 0x80000000u, 0x7fffffffu },
	  { 0x80000000u, 0x7fffffffu }, { 0x80000000u, 0x7fffffffu }, true, true,
	  0x7fffffffu, 2 },
};

static size_t
count_ids(const uint32_t *ids)
{
	size_t n = 0;

	while (n < MAXV && ids[n])
		n++;
	return n;
}

static void
apply_case(struct cd_membership *m, const struct leader_case *c)
{
	struct cd_nodelist_entry conf[MAXV];
	struct cd_quorum_info q;
	size_t i, n = count_ids(c->conf);

	for (i = 0; i < n; i++) {
		conf[i].id = c->conf[i];
		conf[i].name = NULL;
		conf[i].addr = NULL;
	}
	memset(&q, 0, sizeof(q));
	q.quorate = c->quorate;
	cd_membership_init(m);
	CU_ASSERT(cd_membership_set_connected(m, c->connected) >= 0);
	CU_ASSERT(cd_membership_set_nodelist(m, conf, n) >= 0);
	CU_ASSERT(cd_membership_set_ring(m, 1, 1, c->ring, count_ids(c->ring)) >= 0);
	CU_ASSERT(cd_membership_set_group(m, c->group, count_ids(c->group)) >= 0);
	CU_ASSERT(cd_membership_set_quorum(m, &q) >= 0);
	CU_ASSERT(cd_membership_quorum_settled(m) >= 0);
}

static void
test_leader_table(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(leader_cases); i++) {
		const struct leader_case *c = &leader_cases[i];
		struct cd_membership m;
		uint32_t leader;
		size_t up;

		apply_case(&m, c);
		leader = cd_membership_leader(&m);
		up = cd_membership_count_up(&m);
		if (leader != c->leader || up != c->up)
			fprintf(stderr, "\n  case \"%s\": leader %" PRIu32 " up %zu,"
				" want %" PRIu32 " and %zu\n",
				c->name, leader, up, c->leader, c->up);
		CU_ASSERT_EQUAL(leader, c->leader);
		CU_ASSERT_EQUAL(up, c->up);
		CU_ASSERT_TRUE(sorted_unique(&m));
		if (leader) {
			CU_ASSERT_EQUAL(cd_membership_node_state(cd_membership_node(&m, leader)),
					CD_NODE_UP);
		}
	}
}

/* Losing the leader's clusterd or quorum moves or drops leadership. */
static void
test_leader_transitions(void)
{
	static const uint32_t g23[] = { 2, 3 }, r3[] = { 3 };
	struct cd_quorum_info q;
	struct cd_membership m;

	three_up(&m);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, g23, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 2);
	q = m.quorum;
	q.quorate = false;
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 3, 12, r3, 1), 1);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	CU_ASSERT_EQUAL(cd_membership_count_up(&m), 1);
	q.quorate = true;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	/* M1: votequorum quorate (a witness), but one clusterd of three */
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	q.witness_vote = true;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
}

/* M1 with the witness: exactly half of the nodes needs the vote we cast. */
static void
test_half_with_witness(void)
{
	static const struct cd_nodelist_entry four[] = {
		{ 1, "n1", NULL }, { 2, "n2", NULL }, { 3, "n3", NULL }, { 4, "n4", NULL },
	};
	static const uint32_t half[] = { 3, 4 };
	struct cd_quorum_info q = { .quorate = true, .total_votes = 3, .quorum = 3,
				    .expected_votes = 5 };
	struct cd_membership m;

	cd_membership_init(&m);
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, true), 1);
	CU_ASSERT(cd_membership_set_nodelist(&m, four, 4) > 0);
	CU_ASSERT(cd_membership_set_ring(&m, 3, 9, half, 2) > 0);
	CU_ASSERT(cd_membership_set_group(&m, half, 2) >= 0);
	CU_ASSERT(cd_membership_set_quorum(&m, &q) >= 0);
	CU_ASSERT(cd_membership_quorum_settled(&m) >= 0);
	CU_ASSERT_FALSE(cd_membership_majority(&m));
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	q.witness_vote = true;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_TRUE(cd_membership_majority(&m));
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 3);
	/* one of the two clusterds dies: 1 of 4 even with the witness */
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, half + 1, 1), 1);
	CU_ASSERT_FALSE(cd_membership_majority(&m));
	CU_ASSERT_EQUAL(cd_membership_count_group(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_count_configured(&m), 4);
}

/* ---- JSON ---- */

static json_object *
get(json_object *o, const char *key)
{
	json_object *v = NULL;

	CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(o, key, &v));
	return v;
}

static void
assert_str(json_object *o, const char *key, const char *want)
{
	json_object *v = get(o, key);

	CU_ASSERT_TRUE(json_object_is_type(v, json_type_string));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), want);
}

static void
assert_int(json_object *o, const char *key, int64_t want)
{
	json_object *v = get(o, key);

	CU_ASSERT_TRUE(json_object_is_type(v, json_type_int));
	CU_ASSERT_EQUAL(json_object_get_int64(v), want);
}

static void
assert_bool(json_object *o, const char *key, bool want)
{
	json_object *v = get(o, key);

	CU_ASSERT_TRUE(json_object_is_type(v, json_type_boolean));
	CU_ASSERT_EQUAL(json_object_get_boolean(v), want);
}

static void
assert_keys(json_object *o, const char *const *keys, size_t n)
{
	size_t i;

	CU_ASSERT_TRUE_FATAL(json_object_is_type(o, json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(o), (int)n);
	for (i = 0; i < n; i++)
		CU_ASSERT_TRUE(json_object_object_get_ex(o, keys[i], NULL));
}

static const char *const root_keys[] = {
	"cluster_name", "local_node", "corosync", "ring_id", "leader",
	"members", "quorum", "nodes",
};
static const char *const quorum_keys[] = {
	"quorate", "settled", "node_votes", "expected_votes", "total_votes", "quorum",
	"votequorum_quorate", "clusterd_members", "configured_nodes", "witness_vote",
};
static const char *const node_keys[] = {
	"id", "name", "address", "state", "configured", "local", "leader",
};

static void
test_json_document(void)
{
	static const uint32_t ring[] = { 1, 2, 7 }, group[] = { 2, 1 };
	static const struct {
		uint32_t id;
		const char *name, *addr, *state;
		bool configured, local, leader;
	} want[] = {
		{ 1, "alpha", "10.0.0.1", "up", true, false, true },
		{ 2, "beta", "10.0.0.2", "up", true, true, false },
		{ 3, "gamma", "10.0.0.3", "down", true, false, false },
		{ 7, "node7", "", "joining", false, false, false },
	};
	struct cd_quorum_info q = { .quorate = true, .node_votes = 1,
				    .expected_votes = 3, .total_votes = 2,
				    .quorum = 2 };
	json_object *doc, *v, *nodes;
	struct cd_membership m;
	size_t i;

	cd_membership_init(&m);
	snprintf(m.cluster_name, sizeof(m.cluster_name), "lab");
	m.local_id = 2;
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, true), 1);
	CU_ASSERT_EQUAL(cd_membership_set_nodelist(&m, three_nodes, 3), 1);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 0x1a2b, ring, 3), 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, group, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);

	doc = cd_membership_to_json(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_keys(doc, root_keys, N_ELEMS(root_keys));
	assert_str(doc, "cluster_name", "lab");
	assert_str(doc, "corosync", "connected");
	assert_str(doc, "ring_id", "1.1a2b");
	assert_int(doc, "members", 2);

	v = get(doc, "local_node");
	assert_int(v, "id", 2);
	assert_str(v, "name", "beta");
	v = get(doc, "leader");
	CU_ASSERT_TRUE_FATAL(json_object_is_type(v, json_type_object));
	CU_ASSERT_EQUAL(json_object_object_length(v), 2);
	assert_int(v, "id", 1);
	assert_str(v, "name", "alpha");

	v = get(doc, "quorum");
	assert_keys(v, quorum_keys, N_ELEMS(quorum_keys));
	assert_bool(v, "quorate", true);
	assert_int(v, "node_votes", 1);
	assert_int(v, "expected_votes", 3);
	assert_int(v, "total_votes", 2);
	assert_int(v, "quorum", 2);

	nodes = get(doc, "nodes");
	CU_ASSERT_TRUE_FATAL(json_object_is_type(nodes, json_type_array));
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(nodes), N_ELEMS(want));
	for (i = 0; i < N_ELEMS(want); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		assert_keys(n, node_keys, N_ELEMS(node_keys));
		assert_int(n, "id", want[i].id);
		assert_str(n, "name", want[i].name);
		assert_str(n, "address", want[i].addr);
		assert_str(n, "state", want[i].state);
		assert_bool(n, "configured", want[i].configured);
		assert_bool(n, "local", want[i].local);
		assert_bool(n, "leader", want[i].leader);
	}
	json_object_put(doc);
}

static void
test_json_disconnected(void)
{
	json_object *doc, *v;
	struct cd_membership m;
	size_t i;

	three_up(&m);
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, false), 1);
	doc = cd_membership_to_json(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_keys(doc, root_keys, N_ELEMS(root_keys));
	assert_str(doc, "cluster_name", "");
	assert_str(doc, "corosync", "disconnected");
	assert_str(doc, "ring_id", "0.0");
	assert_int(doc, "members", 0);
	/* No leader and no local id: both null, but present. */
	CU_ASSERT_PTR_NULL(get(doc, "leader"));
	CU_ASSERT_PTR_NULL(get(doc, "local_node"));
	assert_bool(get(doc, "quorum"), "quorate", false);
	assert_int(get(doc, "quorum"), "quorum", 0);
	v = get(doc, "nodes");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(v), 3);
	for (i = 0; i < 3; i++) {
		json_object *n = json_object_array_get_idx(v, i);

		assert_str(n, "state", "down");
		assert_bool(n, "leader", false);
		assert_bool(n, "local", false);
	}
	json_object_put(doc);
}

/* Connected and all up, but not quorate: no leader. */
static void
test_json_no_leader_when_not_quorate(void)
{
	struct cd_quorum_info q;
	json_object *doc, *nodes;
	struct cd_membership m;
	size_t i;

	three_up(&m);
	m.local_id = 3;
	q = m.quorum;
	q.quorate = false;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	doc = cd_membership_to_json(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_str(doc, "corosync", "connected");
	CU_ASSERT_PTR_NULL(get(doc, "leader"));
	assert_int(doc, "members", 3);
	assert_str(get(doc, "local_node"), "name", "gamma");
	nodes = get(doc, "nodes");
	for (i = 0; i < 3; i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		assert_str(n, "state", "up");
		assert_bool(n, "leader", false);
		assert_bool(n, "local", i == 2);
	}
	json_object_put(doc);
}

/*
 * The quorum of a new ring is unknown until votequorum's quorum callback
 * for it: the old ring's quorate flag is stale (no leader, shown not
 * quorate). CPG announces a ring change before the ring arrives.
 */
static void
test_quorum_stale_after_ring_change(void)
{
	static const uint32_t r12[] = { 1, 2 }, r2[] = { 2 };
	struct cd_quorum_info q;
	struct cd_membership m;
	json_object *doc;

	three_up(&m);
	CU_ASSERT_TRUE(cd_membership_quorate(&m));
	CU_ASSERT_FALSE(m.quorum_stale);
	/* the same ring again (e.g. CS_TRACK_CURRENT): nothing stale */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 8, (uint32_t[]){ 1, 2, 3 }, 3), 0);
	CU_ASSERT_TRUE(cd_membership_quorate(&m));

	/* CPG: node 3 down (still in the ring): stale at once */
	CU_ASSERT_EQUAL(cd_membership_expect_ring(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_expect_ring(&m), 0);
	CU_ASSERT_TRUE(m.quorum.quorate);		/* the raw flag stays */
	CU_ASSERT_FALSE(cd_membership_quorate(&m));
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	/* a quorum callback before the announced ring does not settle it */
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 0);
	CU_ASSERT_FALSE(cd_membership_quorate(&m));
	/* the ring, then its quorum callback */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 1, 12, r12, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, r12, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);
	doc = cd_membership_to_json(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_bool(get(doc, "quorum"), "quorate", false);
	assert_bool(get(doc, "quorum"), "settled", false);
	json_object_put(doc);
	q = m.quorum;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 0);
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);
	CU_ASSERT_TRUE(cd_membership_quorate(&m));
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 1);

	/* ring first (no CPG announcement), settled by its quorum callback */
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, 2, 16, r2, 1), 1);
	CU_ASSERT_FALSE(cd_membership_quorate(&m));
	q.quorate = false;
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);
	CU_ASSERT_FALSE(cd_membership_quorate(&m));
	CU_ASSERT_EQUAL(cd_membership_leader(&m), 0);

	/* disconnect clears it */
	CU_ASSERT_EQUAL(cd_membership_expect_ring(&m), 1);
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, false), 1);
	CU_ASSERT_FALSE(m.quorum_stale);
	CU_ASSERT_FALSE(m.ring_expected);
}

/* 32-bit ids and 64-bit ring sequences print without loss. */
static void
test_json_large_ids(void)
{
	static const uint32_t ring[] = { UINT32_MAX, 0x80000001u };
	static const struct cd_nodelist_entry conf[] = {
		{ UINT32_MAX, NULL, NULL }, { 0x80000001u, NULL, NULL },
	};
	struct cd_quorum_info q = { .quorate = true };
	json_object *doc, *nodes;
	struct cd_membership m;

	cd_membership_init(&m);
	m.local_id = UINT32_MAX;
	CU_ASSERT_EQUAL(cd_membership_set_connected(&m, true), 1);
	CU_ASSERT(cd_membership_set_nodelist(&m, conf, 2) > 0);
	CU_ASSERT_EQUAL(cd_membership_set_ring(&m, UINT32_MAX,
					       UINT64_C(0xfedcba9876543210), ring, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_group(&m, ring, 2), 1);
	CU_ASSERT_EQUAL(cd_membership_set_quorum(&m, &q), 1);
	CU_ASSERT_EQUAL(cd_membership_quorum_settled(&m), 1);
	doc = cd_membership_to_json(&m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_str(doc, "ring_id", "4294967295.fedcba9876543210");
	assert_int(get(doc, "leader"), "id", 0x80000001LL);
	assert_str(get(doc, "leader"), "name", "node2147483649");
	assert_int(get(doc, "local_node"), "id", 4294967295LL);
	nodes = get(doc, "nodes");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(nodes), 2);
	assert_int(json_object_array_get_idx(nodes, 0), "id", 0x80000001LL);
	assert_int(json_object_array_get_idx(nodes, 1), "id", 4294967295LL);
	assert_bool(json_object_array_get_idx(nodes, 1), "local", true);
	json_object_put(doc);
}

/* ---- registration ---- */

/* The 2|2 split seen in the lab: 5 expected votes, quorum 3. */
static void
test_unbacked_device_vote(void)
{
	/* losing side: 2 node votes + a device vote we did not cast */
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(true, true, false, 3, 1, 3));
	/* the same vote, cast by us for this ring: quorate */
	CU_ASSERT_TRUE(cd_quorum_without_unbacked_vote(true, true, true, 3, 1, 3));
	/* quorate without the device anyway (3 of 4 nodes + stale vote) */
	CU_ASSERT_TRUE(cd_quorum_without_unbacked_vote(true, true, false, 4, 1, 3));
	/* votequorum does not count a device vote: its verdict stands */
	CU_ASSERT_TRUE(cd_quorum_without_unbacked_vote(true, false, false, 3, 1, 3));
	/* never turns a not-quorate verdict into quorate */
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(false, true, true, 3, 1, 3));
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(false, true, false, 9, 1, 3));
	/* 2 nodes + witness, quorum 2: a lone node with a stale vote */
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(true, true, false, 2, 1, 2));
	/* a device with several votes, and nonsense totals */
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(true, true, false, 4, 2, 3));
	CU_ASSERT_FALSE(cd_quorum_without_unbacked_vote(true, true, false, 1, 2, 1));
	CU_ASSERT_TRUE(cd_quorum_without_unbacked_vote(true, true, false, 3, 0, 3));
}

static CU_TestInfo nodelist_tests[] = {
	{ "init", test_init },
	{ "sorted and named", test_nodelist_sorted_and_named },
	{ "change detection", test_nodelist_change_detection },
	{ "missing and long names", test_nodelist_missing_and_long_names },
	{ "replace forgets old name/address", test_nodelist_replace_forgets_old_fields },
	{ "zero, duplicate and too many ids", test_nodelist_rejects_bad_ids },
	{ "full table", test_nodelist_full_table },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo view_tests[] = {
	{ "ring: unknown members", test_ring_unknown_members },
	{ "ring: change detection", test_ring_change_detection },
	{ "group: change detection", test_group_change_detection },
	{ "prune follows all views", test_prune_follows_all_views },
	{ "sorted whatever the order", test_sorted_whatever_the_order },
	{ "zero, duplicate and too many ids", test_views_reject_bad_ids },
	{ "quorum: change detection", test_quorum_change_detection },
	{ "quorum: padding is not state", test_quorum_ignores_padding },
	{ "disconnect clears views", test_disconnect_clears_views },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo leader_tests[] = {
	{ "node states", test_node_states },
	{ "table of cases", test_leader_table },
	{ "transitions", test_leader_transitions },
	{ "half of the nodes with the witness", test_half_with_witness },
	CU_TEST_INFO_NULL,
};

static CU_TestInfo json_tests[] = {
	{ "full document", test_json_document },
	{ "disconnected", test_json_disconnected },
	{ "not quorate", test_json_no_leader_when_not_quorate },
	{ "large ids", test_json_large_ids },
	{ "quorum stale after a ring change", test_quorum_stale_after_ring_change },
	{ "a device vote we do not cast does not count", test_unbacked_device_vote },
	CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
	{ "membership nodelist", NULL, NULL, NULL, NULL, nodelist_tests },
	{ "membership views", NULL, NULL, NULL, NULL, view_tests },
	{ "membership leader", NULL, NULL, NULL, NULL, leader_tests },
	{ "membership json", NULL, NULL, NULL, NULL, json_tests },
	CU_SUITE_INFO_NULL,
};

int
main(void)
{
	return cd_unit_run(suites);
}
