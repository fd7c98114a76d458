/*
 * csv-lockset.c - one owner's byte-range locks (rules R1-R3 in
 * csv-lockset.h).
 */
#include "csv-lockset.h"
#include "csv-proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
csv_lockset_set(struct csv_lockset *s, uint64_t off, uint64_t len, uint32_t type)
{
	uint64_t end = len ? off + len : CSV_LKS_EOF;
	struct csv_lkrange *out;
	size_t n = 0, cap;

	if (type > CSV_LK_UN || (len && end <= off))
		return -EINVAL;
	/* at most every old range, one split in two, and the new one */
	cap = s->n + 2;
	out = malloc(cap * sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct csv_lkrange r = s->r[i];

		if (r.end <= off || r.start >= end) {	/* outside: keep */
			out[n++] = r;
			continue;
		}
		if (r.start < off)			/* the part before */
			out[n++] = (struct csv_lkrange){ r.start, off, r.type };
		if (r.end > end)			/* the part after */
			out[n++] = (struct csv_lkrange){ end, r.end, r.type };
	}
	if (type != CSV_LK_UN)
		out[n++] = (struct csv_lkrange){ off, end, type };
	/* sort by start (n is small: insertion sort), then merge neighbours */
	for (size_t i = 1; i < n; i++) {
		struct csv_lkrange t = out[i];
		size_t j = i;

		for (; j > 0 && out[j - 1].start > t.start; j--)
			out[j] = out[j - 1];
		out[j] = t;
	}
	cap = n;
	n = 0;
	for (size_t i = 0; i < cap; i++) {
		if (n && out[n - 1].end == out[i].start && out[n - 1].type == out[i].type)
			out[n - 1].end = out[i].end;
		else
			out[n++] = out[i];
	}
	free(s->r);
	s->r = out;
	s->n = n;
	s->cap = cap;
	return 0;
}

void
csv_lockset_clear(struct csv_lockset *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}
