/*
 * csv-grace.c - the lock grace period of a new CSV coordinator (rules
 * G1-G6 in csv-grace.h).
 */
#include "csv-grace.h"

#include <string.h>

/* G5: every expected client is done. */
static bool
all_done(const struct csv_grace *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->c[i].done)
			return false;
	return true;
}

/* End the grace if G5 says so; true when it ended now. */
static bool
settle(struct csv_grace *g, uint64_t now)
{
	if (!g->active)
		return false;
	if (all_done(g) || now >= g->end_ms) {
		g->active = false;
		return true;
	}
	return false;
}

static struct csv_grace_client *
find(struct csv_grace *g, uint64_t client)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->c[i].id == client)
			return &g->c[i];
	return NULL;
}

bool
csv_grace_start(struct csv_grace *g, uint64_t now, uint64_t bound_ms,
		const struct csv_grace_client *expected, size_t n, const char *const *fenced)
{
	memset(g, 0, sizeof(*g));
	g->end_ms = now + bound_ms;
	for (size_t i = 0; i < n && g->n < CSV_GRACE_MAX; i++) {
		if (!expected[i].id || find(g, expected[i].id))
			continue;
		g->c[g->n] = expected[i];
		g->c[g->n].done = false;
		g->n++;
	}
	for (size_t k = 0; fenced && fenced[k]; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->c[i].node, fenced[k]))
				g->c[i].done = true;
	/* G1: in grace only while someone may come back to reclaim */
	g->active = true;
	settle(g, now);
	return g->active;
}

bool
csv_grace_expected(const struct csv_grace *g, uint64_t client)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->c[i].id == client)
			return true;
	return false;
}

enum csv_grace_verdict
csv_grace_admit(struct csv_grace *g, uint64_t now, enum csv_grace_kind kind, uint64_t client)
{
	struct csv_grace_client *c;

	settle(g, now);
	if (kind == CSV_GK_RECLAIM) {
		if (!g->active)
			return CSV_GV_REFUSE;			/* G4 */
		c = find(g, client);
		return c && !c->done ? CSV_GV_GO : CSV_GV_REFUSE;	/* G2 */
	}
	if (g->active && kind == CSV_GK_TAKE)
		return CSV_GV_WAIT;				/* G3 */
	return CSV_GV_GO;
}

bool
csv_grace_done(struct csv_grace *g, uint64_t now, uint64_t client)
{
	struct csv_grace_client *c = find(g, client);

	if (c)
		c->done = true;
	return settle(g, now);
}

bool
csv_grace_hello(struct csv_grace *g, uint64_t now, const char *node, uint64_t client)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->c[i].id != client && !strcmp(g->c[i].node, node))
			g->c[i].done = true;
	return settle(g, now);
}

bool
csv_grace_fenced(struct csv_grace *g, uint64_t now, const char *node)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->c[i].node, node))
			g->c[i].done = true;
	return settle(g, now);
}

bool
csv_grace_tick(struct csv_grace *g, uint64_t now)
{
	return settle(g, now);
}
