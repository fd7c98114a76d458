/*
 * replica-int.h - what the replicated state's parts share; not for use
 * outside clusterd/replica*.c (daemon.h has the interface).
 *
 *   replica.c       persistence, changes (submit, apply, answer), CPG
 *                   dispatch, start-up, adopting the witness copy;
 *   replica-view.c  sync rounds, view classification, promises, claims,
 *                   establishment, acknowledgements (lib/sync.h S1-S7);
 *   replica-ipc.c   IPC commands, status, the hooks entry.
 *
 * Everything runs on the daemon's one qb_loop; nothing here is thread-safe.
 */
#ifndef CLUSTERD_REPLICA_INT_H
#define CLUSTERD_REPLICA_INT_H

#include "daemon.h"
#include "fsutil.h"
#include "jsonget.h"
#include "log.h"
#include "error.h"
#include "state.h"
#include "state-rules.h"
#include "sync.h"
#include "cpgmsg.h"
#include "proto.h"
#include "props.h"
#include "timeutil.h"
#include "heartbeat.h"
#include "ephemeral.h"
#include "state-schema.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qb/qblist.h>

struct pending_change {
	struct qb_list_head list;
	uint64_t req;
	struct cd_ipc_deferred *def;	/* an IPC client waits, or ... */
	cd_change_done_fn done;		/* ... an internal caller */
	void *ctx;
	uint64_t deadline_ms;
	bool client;		/* answered on commit (S5), not on apply */
	bool applied;		/* applied here as (epoch, generation) */
	uint64_t epoch;
	uint64_t generation;
};

struct cd_replica {
	struct cd_daemon *d;
	struct cd_state state;
	char path[PATH_MAX];
	bool syncing;		/* a round is in progress: changes refused */
	struct cd_sync_round round;
	uint64_t next_req;
	struct qb_list_head pending;
	qb_loop_timer_handle timer;
	bool timer_armed;
	/* the view (S2, S3) */
	uint32_t view[CD_MAX_NODES];	/* CPG members of the current view */
	size_t n_view;
	enum cd_view_kind view_kind;
	uint64_t next_epoch;	/* what this view stamps, once classified */
	bool classified;	/* its round is complete */
	bool stamped;		/* S3 done: changes apply (S4) */
	bool claim_sent;
	uint64_t view_seq;	/* counts views */
	/* S3, S4: the epoch promised in this view (0: none yet), the highest
	 * ever promised here (saved in promised_path) */
	uint64_t promise_epoch;
	uint64_t promised;
	bool promise_told;	/* half view: all promised, the hook ran (S7) */
	char promised_path[PATH_MAX];
	/* acknowledgements (S5) */
	struct cd_acks acks;
	uint64_t committed;	/* highest generation a majority made durable */
	uint64_t saved_gen;	/* durable here (in the current epoch) */
	uint64_t saved_epoch;
	uint64_t ack_sent_gen;
	bool ack_sent;
	bool ack_armed;
	qb_loop_timer_handle ack_timer;
	/* a state that could not be saved: retried, shown by status */
	char save_error[256];
	uint64_t saves;		/* state saves (each fsyncs file and folder), for status */
	bool save_armed;
	qb_loop_timer_handle save_timer;
};

/* replica.c */
/* Save the state; only what is saved is acknowledged (S5). A failed save
 * is logged once, shown in status and retried. */
void cd_rep_persist(struct cd_replica *r);
/* Persist, run the state_changed hooks, broadcast the "state" event. */
void cd_rep_state_changed(struct cd_replica *r, const char *why);
/* Answer a pending change (its IPC client or internal callback), free it. */
void cd_rep_finish_pending(struct pending_change *p, json_object *data, int err,
			   const char *message);
void cd_rep_fail_all_pending(struct cd_replica *r, int err, const char *message);
/* Multicast one CPG message (errors are logged). */
void cd_rep_send_msg(struct cd_replica *r, enum cd_cpg_type type, json_object *body);
/* The configured node ids, from the state (alike on every member). */
size_t cd_rep_configured_ids(struct cd_replica *r, uint32_t *ids);
/* An administrator's change: answered once committed (S5); always returns
 * CD_IPC_DEFERRED (a refused change is answered at once with the reason). */
int cd_rep_submit(struct cd_replica *r, struct cd_ipc_client *client, json_object *ops,
		  json_object **out);

/* replica-view.c */
/* One cumulative ACK for what a burst of deliveries made durable. */
void cd_rep_schedule_ack(struct cd_replica *r);
/* Read state_dir/promised (S3) at start-up. */
void cd_rep_load_promise(struct cd_replica *r);
/* The CPG messages of rounds and views, dispatched by replica.c. */
void cd_rep_on_offer(struct cd_replica *r, uint32_t nodeid, json_object *body);
void cd_rep_on_state(struct cd_replica *r, uint32_t nodeid, json_object *body);
void cd_rep_on_claim(struct cd_replica *r, uint32_t nodeid, json_object *body);
void cd_rep_on_witness_ack(struct cd_replica *r, json_object *body);
void cd_rep_on_ack(struct cd_replica *r, uint32_t nodeid, json_object *body);

#endif
