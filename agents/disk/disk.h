/*
 * disk.h - the disk agent's pieces: taking and checking a LUN's reservation
 * (disk-lun.c), the holder daemon that keeps the session (disk-holder.c),
 * and the agent actions (disk.c).
 *
 * Why a holder: the target ties a registration to the iSCSI session that
 * made it (notes/iscsi-pr/REPORT.md 3.2), and an agent action is a
 * short-lived process. So `start` spawns one daemon per disk that owns the
 * session, the registration, the reservation and the local block device,
 * and reports through a status file; `monitor` reads that file; `stop`
 * tells the daemon to release and exit.
 */
#ifndef CLUSTERD_DISK_H
#define CLUSTERD_DISK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "ocf.h"
#include "pr.h"

#define DISK_RUN_ROOT		"/run/clusterd/disk"
#define DISK_NAME_MAX		63
#define DISK_CHECK_MS		1000	/* holder: reservation check period */
#define DISK_STALE_S		10	/* monitor: status older than this = hung */

/* What the agent knows before it starts a holder. */
struct disk_conf {
	char name[DISK_NAME_MAX + 1];	/* OCF_RESOURCE_INSTANCE */
	char url_text[512];
	struct cd_iscsi_url url;
	enum cd_pr_type type;		/* CD_PR_WERO or CD_PR_EA */
	uint64_t key;			/* our reservation key */
	char initiator[CD_ISCSI_NAME_MAX + 1];
	char dir[PATH_MAX];		/* DISK_RUN_ROOT/NAME */
	int timeout_ms;			/* per iSCSI command */
};

/* ---- disk-lun.c ---- */

/**
 * Take the LUN for this node: register key on this session, preempt every
 * other registration (the previous owner's, live or orphaned: the cluster
 * only starts a disk where its last owner is stopped or fenced), reserve
 * with type, and verify the reservation is ours.
 * @param why  filled with a one-line reason on failure
 * @return 0 or a negative error of pr.h
 */
int disk_lun_take(struct cd_pr *pr, uint64_t key, enum cd_pr_type type,
		  char *why, size_t whylen);

/**
 * Is the LUN still ours: our key registered and the reservation ours with
 * our type? Never re-registers (a lost key means we were fenced).
 * @return 0; -CD_PR_E_PREEMPTED when the key or reservation is gone; or
 *         the error of the read (a preempted unit attention included)
 */
int disk_lun_check(struct cd_pr *pr, uint64_t key, enum cd_pr_type type,
		   char *why, size_t whylen);

/** Release (when held) and unregister, best effort. */
void disk_lun_give(struct cd_pr *pr, uint64_t key, enum cd_pr_type type);

/* ---- disk-key.c ---- */

/**
 * The key when no `key` parameter is given: clusterd's (node id from
 * clusterd.conf, incarnation = now) or, without clusterd.conf, the key
 * fence_scsi derives for this node from corosync (disk-key.c).
 * @return the key, or 0 with a one-line reason in @p why
 */
uint64_t disk_key_default(char *why, size_t len);

/** fence_scsi's key: MD5(cluster_name)'s first 4 hex digits, then pos as
 * 4 decimal digits, read as hex; 0 on error. */
uint64_t disk_key_fence_scsi(const char *cluster_name, unsigned pos);

/* ---- disk-holder.c ---- */

/**
 * Run the holder in this (already daemonized) process: take the LUN,
 * expose it (FUSE file DIR/fuse/lun, loop device DIR/device), write
 * DIR/status, check every DISK_CHECK_MS until SIGTERM, then give it back.
 * @return a process exit code
 */
int disk_holder_main(const struct disk_conf *c);

/* Status file: KEY=VALUE lines, written atomically. */
struct disk_status {
	char state[16];		/* starting, held, lost, failed */
	char reason[256];
	char device[64];	/* /dev/loopN, "" if none */
	char file[PATH_MAX];	/* the FUSE file */
	long long checked;	/* CLOCK_REALTIME s of the last good check */
	long pid;
};

/** Read DIR/status. @return 0 or -errno */
int disk_status_read(const char *dir, struct disk_status *st);

#endif
