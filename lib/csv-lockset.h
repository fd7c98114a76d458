/*
 * csv-lockset.h - the byte-range locks one lock owner holds on one file,
 * as the CSV client remembers them to reclaim them on a new coordinator
 * (lib/csv-grace.h). Pure code.
 *
 * Rules (POSIX fcntl locks of one owner, which OFD locks share):
 *  R1. A range is [start, end) with end CSV_LKS_EOF for "to the end of
 *      the file and beyond" (l_len 0); len 0 in csv_lockset_set means that.
 *  R2. Setting a range to RD or WR replaces whatever the owner held inside
 *      it; setting it to UN removes it. Parts outside the range stay, split
 *      where needed.
 *  R3. The set is kept sorted, disjoint, and adjacent ranges of the same
 *      type are merged, so it is the smallest list of locks that restores
 *      the owner's state when taken in any order on a new coordinator.
 */
#ifndef CLUSTERD_CSV_LOCKSET_H
#define CLUSTERD_CSV_LOCKSET_H

#include <stddef.h>
#include <stdint.h>

#define CSV_LKS_EOF	UINT64_MAX

struct csv_lkrange {
	uint64_t start, end;	/* [start, end) */
	uint32_t type;		/* CSV_LK_RD or CSV_LK_WR */
};

struct csv_lockset {
	struct csv_lkrange *r;	/* owned */
	size_t n, cap;
};

/**
 * Set [off, off + len) (len 0: to CSV_LKS_EOF) to type (R2, R3).
 * @return 0; -EINVAL (type not RD/WR/UN, or off + len overflows);
 *         -ENOMEM (the set is unchanged)
 */
int csv_lockset_set(struct csv_lockset *s, uint64_t off, uint64_t len, uint32_t type);

/** Free the ranges; the set is empty and usable again. */
void csv_lockset_clear(struct csv_lockset *s);

#endif
