/*
 * migmode.h - how a live migration may run on a hypervisor (pure code).
 *
 * QEMU before 9.0 loses guest writes during live pre-copy under TCG: when it
 * clears dirty bits it does not re-arm TCG's write tracking, so a page
 * written through a surviving TLB entry is never re-sent (fixed upstream by
 * commit 03bfc2188f, "physmem: Fix migration dirty bitmap coherency with TCG
 * memory access", in 9.0). Measured on Debian 12's QEMU 7.2: 11 of 52 moves
 * damaged the guest (issue 19). There, the guest is paused for the transfer
 * instead ("paused" mode: stop, migrate over the same channel, cont on the
 * target), which needs no dirty tracking at all. KVM tracks dirty pages in
 * the kernel and is not affected.
 *
 * Used by the qemu plugin (what migrate_send does) and by clusterctl
 * validate (what it warns about), so both say the same.
 */
#ifndef CLUSTERD_MIGMODE_H
#define CLUSTERD_MIGMODE_H

#include <stdbool.h>
#include <stddef.h>

enum cd_migmode {
	CD_MIGMODE_PRECOPY = 0,	/* live pre-copy: the guest runs during the transfer */
	CD_MIGMODE_PAUSED,	/* guest paused for the transfer (stop-copy) */
};

/** The first QEMU version whose TCG dirty tracking is correct. */
#define CD_MIGMODE_FIXED_MAJOR	9
#define CD_MIGMODE_FIXED_MINOR	0

/** What the decision is made from. */
struct cd_migmode_in {
	const char *accel;	/* "kvm", "tcg"; NULL or anything else: treated as tcg */
	int major, minor, micro;	/* QEMU version; major 0 = unknown */
	bool declared_fixed;	/* setting qemu_dirty_tracking_fixed: this build has the fix */
};

/**
 * Decide the live-migration mode.
 * @param why  out: one line for an administrator, e.g. "TCG on QEMU 7.2
 *             loses pages in pre-copy" (paused) or "KVM tracks dirty pages
 *             itself" (pre-copy); may be NULL
 * @return CD_MIGMODE_PRECOPY or CD_MIGMODE_PAUSED
 */
enum cd_migmode cd_migmode_decide(const struct cd_migmode_in *in, char *why,
				  size_t why_size);

/** "precopy" or "paused": the word in agent output and clusterctl --json. */
const char *cd_migmode_name(enum cd_migmode m);

/**
 * Parse the first "MAJOR.MINOR[.MICRO]" in s ("7.2.22", "QEMU emulator
 * version 7.2.22 (Debian 1:7.2+dfsg-7)", "1:7.2+dfsg-7": the epoch is
 * skipped). @return 0, or -EINVAL (all three set to 0)
 */
int cd_migmode_parse_version(const char *s, int *major, int *minor, int *micro);

/**
 * The first line of a guest's serial console text that reports a kernel
 * crash ("BUG: ...", "kernel BUG at ...", "Oops: ...", "Kernel panic - ...",
 * "general protection fault ..."), with any "[   12.345678] " timestamp
 * prefix, "\r" and trailing blanks removed, into line.
 * @return true when there is one
 */
bool cd_migmode_crash_line(const char *text, char *line, size_t size);

#endif
