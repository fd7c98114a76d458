/*
 * csv-dlease.c - direct-I/O lease rules (see csv-dlease.h, D1-D8, C1-C6).
 */
#include "csv-dlease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
csv_dl_init(struct csv_dl_tab *t, uint64_t now, uint64_t dur_ms, uint64_t id_base)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < CSV_DL_MAX; i++)
		t->l[i].fd = -1;
	t->start_ms = now;
	t->dur_ms = dur_ms;
	t->next_id = id_base;
}

static struct csv_dl *
find(struct csv_dl_tab *t, uint64_t id)
{
	for (size_t i = 0; id && i < CSV_DL_MAX; i++) {
		if (t->l[i].id == id)
			return &t->l[i];
	}
	return NULL;
}

static bool
moving(const struct csv_dl_tab *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < CSV_DL_MAX_MOVERS; i++) {
		if (t->movers[i].n && t->movers[i].dev == dev && t->movers[i].ino == ino)
			return true;
	}
	return false;
}

int
csv_dl_grant(struct csv_dl_tab *t, uint64_t client, uint64_t dev, uint64_t ino,
	     uint64_t now, int fd, uint64_t renew, uint64_t *id, int *old_fd)
{
	struct csv_dl *old = NULL, *slot = NULL;

	*old_fd = -1;
	if (moving(t, dev, ino))
		return -EBUSY;				/* D1 */
	if (renew) {
		old = find(t, renew);
		if (!old || old->client != client || old->dev != dev || old->ino != ino)
			return -ENOENT;			/* D2 */
		slot = old;
		*old_fd = old->fd;
	}
	for (size_t i = 0; !slot && i < CSV_DL_MAX; i++) {
		if (!t->l[i].id)
			slot = &t->l[i];
	}
	if (!slot)
		return -ENOSPC;
	if (++t->next_id == 0)
		++t->next_id;
	*slot = (struct csv_dl){ .id = t->next_id, .client = client, .dev = dev, .ino = ino,
				 .expiry_ms = now + t->dur_ms, .fd = fd };
	*id = slot->id;
	return 0;
}

int
csv_dl_return(struct csv_dl_tab *t, uint64_t id, uint64_t client, int *fd, bool *last)
{
	struct csv_dl *l = find(t, id);
	uint64_t dev, ino;

	if (!l || l->client != client)
		return -ENOENT;				/* D3 */
	*fd = l->fd;
	dev = l->dev;
	ino = l->ino;
	*l = (struct csv_dl){ .fd = -1 };
	*last = !csv_dl_leased(t, dev, ino);
	return 0;
}

int
csv_dl_move_begin(struct csv_dl_tab *t, uint64_t dev, uint64_t ino)
{
	size_t i, free_slot = CSV_DL_MAX_MOVERS;

	for (i = 0; i < CSV_DL_MAX_MOVERS; i++) {
		if (t->movers[i].n && t->movers[i].dev == dev && t->movers[i].ino == ino) {
			t->movers[i].n++;
			return 0;
		}
		if (!t->movers[i].n && free_slot == CSV_DL_MAX_MOVERS)
			free_slot = i;
	}
	if (free_slot == CSV_DL_MAX_MOVERS)
		return -ENOSPC;
	t->movers[free_slot].dev = dev;
	t->movers[free_slot].ino = ino;
	t->movers[free_slot].n = 1;
	return 0;
}

void
csv_dl_move_end(struct csv_dl_tab *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < CSV_DL_MAX_MOVERS; i++) {
		if (t->movers[i].n && t->movers[i].dev == dev && t->movers[i].ino == ino) {
			t->movers[i].n--;
			return;
		}
	}
}

bool
csv_dl_move_check(struct csv_dl_tab *t, uint64_t dev, uint64_t ino, uint64_t now,
		  uint64_t *recall, size_t max, size_t *nrecall, uint64_t *until)
{
	bool wait = false;

	*nrecall = 0;
	*until = now;
	if (now < t->start_ms + t->dur_ms) {		/* D6 */
		wait = true;
		*until = t->start_ms + t->dur_ms;
	}
	for (size_t i = 0; i < CSV_DL_MAX; i++) {
		struct csv_dl *l = &t->l[i];

		if (!l->id || l->dev != dev || l->ino != ino || l->expiry_ms <= now)
			continue;			/* D5: expired ones do not count */
		wait = true;				/* D4 */
		if (l->expiry_ms > *until)
			*until = l->expiry_ms;
		if (!l->recalled && *nrecall < max) {
			l->recalled = true;
			recall[(*nrecall)++] = l->id;
		}
	}
	return !wait;
}

uint64_t
csv_dl_holder(const struct csv_dl_tab *t, uint64_t id)
{
	for (size_t i = 0; id && i < CSV_DL_MAX; i++) {
		if (t->l[i].id == id)
			return t->l[i].client;
	}
	return 0;
}

size_t
csv_dl_expire(struct csv_dl_tab *t, uint64_t now, struct csv_dl *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < CSV_DL_MAX && n < max; i++) {
		if (t->l[i].id && t->l[i].expiry_ms <= now) {	/* D5 */
			out[n++] = t->l[i];
			t->l[i] = (struct csv_dl){ .fd = -1 };
		}
	}
	return n;
}

bool
csv_dl_leased(const struct csv_dl_tab *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < CSV_DL_MAX; i++) {
		if (t->l[i].id && t->l[i].dev == dev && t->l[i].ino == ino)
			return true;			/* D7 */
	}
	return false;
}

size_t
csv_dl_count(const struct csv_dl_tab *t)
{
	size_t n = 0;

	for (size_t i = 0; i < CSV_DL_MAX; i++)
		n += t->l[i].id != 0;
	return n;
}

/* ---- client ---- */

bool
csv_dl_usable(uint64_t sent, uint64_t dur_ms, uint64_t now)
{
	return now + CSV_DL_MARGIN_MS < sent + dur_ms;		/* C1 */
}

bool
csv_dl_renew_due(uint64_t sent, uint64_t dur_ms, uint64_t now)
{
	return now >= sent + dur_ms / 2;			/* C2 */
}

bool
csv_dl_times_due(bool wrote, uint64_t last, uint64_t now, bool force)
{
	return wrote && (force || !last || now >= last + CSV_DL_TIMES_MS);	/* C7 */
}

uint64_t
csv_dl_map_run(const struct csv_extent *map, size_t n, uint64_t off, uint64_t *phys)
{
	size_t lo = 0, hi = n;

	/* the last extent starting at or before off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map[mid].logical <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const struct csv_extent *e = &map[lo - 1];

	if (off >= e->logical + e->length)
		return 0;
	*phys = e->physical + (off - e->logical);
	return e->logical + e->length - off;
}

bool
csv_dl_direct_ok(const struct csv_extent *map, size_t n, uint64_t off, uint64_t len)
{
	uint64_t phys, run;

	if (len == 0 || off % CSV_DL_SECTOR || len % CSV_DL_SECTOR)
		return false;					/* C3 */
	while (len) {
		run = csv_dl_map_run(map, n, off, &phys);
		if (run == 0)
			return false;
		if (run >= len)
			return true;
		off += run;
		len -= run;
	}
	return true;
}

static int
by_logical(const void *a, const void *b)
{
	const struct csv_extent *x = a, *y = b;

	return x->logical < y->logical ? -1 : x->logical > y->logical;
}

int
csv_dl_map_check(struct csv_extent *map, size_t n)
{
	if (n > 1)
		qsort(map, n, sizeof(*map), by_logical);
	for (size_t i = 1; i < n; i++) {
		if (map[i - 1].logical + map[i - 1].length > map[i].logical)
			return -EINVAL;
	}
	return 0;
}
