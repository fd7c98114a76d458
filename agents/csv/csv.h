/*
 * csv.h - the `csv` OCF resource agent: the coordinator of one cluster
 * shared volume (csv/README.md), as the second resource of the volume's
 * role `csv-volumeN` after the `disk` resource `volumeN-lun` that holds the
 * LUN's reservation (agents/disk).
 *
 *   csv ACTION     start, stop, monitor, validate-all, meta-data
 *
 * Contract:
 *  - start: the disk resource's holder must say `held` (it started before
 *    us in the role). When the `format` parameter is true and the device
 *    reads blank (first and last MiB all zero: csv_blank()), the agent makes
 *    the filesystem (mkfs.ext4 -E nodiscard / mkfs.xfs) first; a device that
 *    holds anything is never formatted by the agent, so the parameter can
 *    stay set: `clusterctl csv add --format` wipes a LUN's signatures
 *    itself, before the role exists. Then it spawns csv-coord (double fork,
 *    setsid; inside the role's cgroup, so clusterd-guard kills it with the
 *    role on a lapsed lease) listening on this node's cluster address
 *    (clusterd.conf) at `port`, and waits for its ready file. csv-coord
 *    mounts the device in a private mount namespace (journal replay) and
 *    reads CSV_RUN_ROOT/fenced (clusterd/csv-fence.h) to learn which
 *    nodes are fenced (their locks are released then).
 *  - monitor: OCF_NOT_RUNNING without a live csv-coord (it exits with status
 *    3 when the LUN fails under it: fenced or lost); OCF_ERR_GENERIC when
 *    the disk holder says the reservation is lost; else OCF_SUCCESS.
 *  - stop: SIGTERM to csv-coord (it syncs and unmounts), wait for it to
 *    exit (SIGKILL at the action's deadline). Success when none runs.
 *  - Files under CSV_RUN_ROOT/NAME (CD_CSV_RUN_ROOT overrides the root):
 *    coord.pid, ready (csv-coord's pid once it serves), coord.log, mnt.
 *  - csv-coord is found next to the agent's binary, else in /usr/sbin.
 */
#ifndef CLUSTERD_CSV_AGENT_H
#define CLUSTERD_CSV_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_RUN_ROOT		"/run/clusterd/csv"
#define CSV_DISK_RUN_ROOT	"/run/clusterd/disk"	/* agents/disk's DISK_RUN_ROOT */
#define CSV_DEFAULT_PORT	7401
#define CSV_BLANK_SPAN		(1u << 20)	/* bytes checked at each end */

/**
 * Is a buffer all zero? (The blank test of a LUN's first and last MiB,
 * shared by the agent and clusterctl csv add.)
 */
static inline bool
csv_all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

#endif
