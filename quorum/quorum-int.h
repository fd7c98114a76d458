/*
 * quorum-int.h - what the parts of quorum/ share; not for use outside it.
 *
 *   arbiter.c       the rules (pure; arbiter.h)
 *   wdisk-worker.c  the witness-LUN worker thread: iSCSI session, keys,
 *                   heartbeat, state copy; runs one arbitration round per
 *                   period and hands the result to the loop
 *   qdevice.c       the loop side: clusterd as votequorum's quorum device
 *                   (register, poll, cast), configuration, the state copy
 *                   at start-up, start and stop
 *   wcopy.c         the state copy as the replica a half view commits
 *                   with: pushes, WITNESS_ACK, the claim (lib/sync.h S7)
 *   quorum-ipc.c    the status section, quorum-show/quorum-set, the hooks
 *
 * Threads: everything but wdisk-worker.c's thread runs on the daemon's
 * qb_loop. The worker and the loop share only what cd_wdisk_push() copies
 * in and cd_wdisk_take() copies out, under the worker's lock.
 */
#ifndef CLUSTERD_QUORUM_INT_H
#define CLUSTERD_QUORUM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <qb/qbloop.h>
#include <corosync/votequorum.h>

#include "arbiter.h"
#include "daemon.h"
#include "witness-disk.h"

#define CD_QDEVICE_NAME		"Witness"

/* What the loop asks the worker to evaluate. */
struct cd_wdisk_input {
	bool enabled;
	char url[512];
	char initiator[256];
	uint32_t local;
	uint32_t ring_node;
	uint64_t ring_seq;
	uint32_t members[CD_MAX_NODES];
	size_t n;
	bool can_win;
	bool want_copy;		/* read the state copy (start-up) */
	char *state_json;	/* owned: a copy to write, or NULL */
	uint64_t state_gen;
	uint64_t state_seq;	/* the loop's number of this copy (one per push) */
	char uuid[CD_WD_UUID_MAX + 1];
};

/* The result of one round, for the ring it was evaluated for. */
struct cd_wdisk_output {
	uint32_t ring_node;
	uint64_t ring_seq;
	enum cd_arb_verdict v;
	uint32_t holder;
	size_t n_keys;
	uint64_t key;
	char detail[256];
	bool copy_done;		/* the start-up read finished (copy may be NULL) */
	char *copy_json;	/* owned */
	uint64_t copy_gen;
	char copy_uuid[CD_WD_UUID_MAX + 1];
	uint64_t written_gen;
	uint64_t written_seq;	/* state_seq of the copy last written */
	uint64_t valid_ms;	/* CD_ARB_WIN: cast 1 until then (monotonic ms) */
	bool holding;		/* we hold the reservation (heartbeat writer) */
	bool takeover;		/* the first round that holds it: copy_* read (S7) */
};

struct cd_wdisk;

/**
 * Start the worker thread. Its results are announced on a pipe whose read
 * end is cd_wdisk_fd(). @return the worker, or NULL with errno set
 */
struct cd_wdisk *cd_wdisk_start(void);

/** The read end to poll: readable when a result is ready. */
int cd_wdisk_fd(const struct cd_wdisk *wd);

/**
 * Hand a new input to the worker and wake it. in->state_json is ignored;
 * state_json (owned by the worker from now on) replaces the copy to write
 * when not NULL, together with gen, seq (reported back as written_seq once
 * written) and in->uuid. A copy still queued when the worker starts to hold
 * the reservation is dropped (output takeover): the loop pushes again.
 */
void cd_wdisk_push(struct cd_wdisk *wd, const struct cd_wdisk_input *in,
		   char *state_json, uint64_t gen, uint64_t seq);

/**
 * Take the latest result (drains the pipe). out->copy_json is the caller's.
 * @return false when there is none
 */
bool cd_wdisk_take(struct cd_wdisk *wd, struct cd_wdisk_output *out);

/** Stop and join the thread (it unregisters our key), free everything. */
void cd_wdisk_stop(struct cd_wdisk *wd);

/* The loop side's object (qdevice.c); d->witness. */
struct cd_witness {
	struct cd_daemon *d;
	votequorum_handle_t vq;
	int vq_fd;
	bool vq_up, registered, stopping;
	votequorum_ring_id_t ring;
	bool have_ring;
	uint32_t members[CD_MAX_NODES];
	size_t n;
	bool decided, cast;
	uint64_t ring_ms;		/* when the ring arrived */
	uint64_t last_poll_ms;
	uint32_t timeout_ms, sync_timeout_ms;
	bool enabled;
	char mode[32], url[512];
	bool copy_checked;
	struct cd_wdisk_output last;	/* latest result (status) */
	enum cd_arb_verdict logged_v;
	qb_loop_timer_handle tick, deadline, expiry;
	bool deadline_armed, expiry_armed;
	uint64_t valid_ms;		/* our vote's evidence expires then (V1) */
	struct cd_wdisk *wd;
	struct cd_wdisk_input in;	/* the last input pushed (state_json unused) */
	/* wcopy.c: the state copy as a replica (lib/sync.h S5, S7) */
	json_object *copy_doc;		/* read at a takeover, newer than our state */
	uint64_t copy_doc_epoch, copy_doc_gen;
	uint64_t copy_epoch;		/* the newest epoch known on the LUN */
	uint64_t push_seq, acked_seq;	/* copies pushed / reported written */
	uint64_t pushed_epoch, pushed_gen;
};

/* qdevice.c */

/** This node casts the witness vote for the current ring (registered,
 *  decided and casting for the ring id d->mship is in). */
bool cd_qdevice_vote_backed(struct cd_daemon *d);

/** The quorum_filter hook (hooks.h; rules M1 and V3). */
void cd_qdevice_quorum_filter(struct cd_daemon *d, struct cd_quorum_info *q,
			      const struct cd_vote_info *v, bool settle);

/** The number of configured nodes (config.nodes) of the state st. */
size_t cd_qdevice_configured_nodes(const struct cd_state *st);

/** Hand the current view and, when not NULL, the copy state_json (owned
 *  by the worker from now on; generation gen, number seq) to the worker. */
void cd_qdevice_push(struct cd_witness *w, char *state_json, uint64_t gen, uint64_t seq);

/* wcopy.c */

/** A result of the worker (after the start-up copy was handled): a copy
 *  read at a takeover, a copy written (WITNESS_ACK or the claim). */
void cd_wcopy_result(struct cd_witness *w, const struct cd_wdisk_output *o);

/** Push our state when it is due, claim a half view when it is ours to
 *  claim (the tick, state and membership changes, results). */
void cd_wcopy_sync(struct cd_witness *w);

void cd_wcopy_free(struct cd_witness *w);

#endif
