/*
 * wcopy.c - the state copy on the witness LUN as the replica a half view
 * commits with (lib/sync.h S5, S7; the loop side, quorum-int.h).
 *
 * Node and disk majority: in a view of exactly half of the nodes, the
 * witness LUN is the replica the other half meets. So, on the node that
 * holds the witness reservation:
 *  - every state of a stamped view is pushed to the worker at once (not
 *    on a timer), and when the worker reports it written (written_seq),
 *    WITNESS_ACK (epoch, generation) is multicast: a half view commits
 *    only what the copy holds (S5);
 *  - a node that starts to hold the reservation has the copy read in that
 *    same round (wdisk-worker.c), before its first won result reaches
 *    us; a copy of our cluster newer than our state is kept (copy_doc)
 *    and nothing older than it is ever pushed;
 *  - a half view is claimed by its holder (cd_replica_claim: an epoch
 *    above every epoch known on the LUN, the state to go on from:
 *    copy_doc when newer); once every member promised that epoch we
 *    write the state with it to the LUN, and its WITNESS_ACK establishes
 *    the view (S7).
 * A push that the worker dropped (it started to hold the reservation
 * meanwhile) or that never got written is pushed again by cd_wcopy_sync.
 */
#include "quorum-int.h"
#include "log.h"
#include "sync.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool
holding(const struct cd_witness *w)
{
	return w->enabled && w->last.v == CD_ARB_WIN && w->last.holding;
}

/* Hand doc (epoch, gen) to the worker as the next copy to write. */
static uint64_t
push_doc(struct cd_witness *w, json_object *doc, uint64_t epoch, uint64_t gen)
{
	const char *s = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	char *copy = s ? strdup(s) : NULL;

	if (!copy)
		return 0;
	w->pushed_epoch = epoch;
	w->pushed_gen = gen;
	cd_qdevice_push(w, copy, gen, ++w->push_seq);
	return w->push_seq;
}

/* The copy read at start-up or at a takeover. */
static void
note_read(struct cd_witness *w, const struct cd_wdisk_output *o)
{
	const struct cd_state *st = cd_replica_state(w->d);
	struct cd_state tmp = { 0 };
	json_object *doc;
	char err[200];

	if (!o->copy_json)
		return;
	doc = json_tokener_parse(o->copy_json);
	if (!doc || cd_state_set_doc(&tmp, doc, err, sizeof(err)) < 0) {
		json_object_put(doc);
		return;
	}
	if (st && cd_state_uuid(st)[0] && strcmp(cd_state_uuid(&tmp), cd_state_uuid(st))) {
		cd_state_clear(&tmp);
		json_object_put(doc);
		return;		/* another cluster's (C1 says so at start-up) */
	}
	if (cd_state_epoch(&tmp) > w->copy_epoch)
		w->copy_epoch = cd_state_epoch(&tmp);
	if (o->takeover && st &&
	    cd_sync_newer(cd_state_epoch(&tmp), cd_state_generation(&tmp),
			  cd_state_epoch(st), cd_state_generation(st))) {
		cd_notice("witness: took the reservation over; the copy on it (epoch %" PRIu64
			  " generation %" PRIu64 ") is newer than ours (epoch %" PRIu64
			  " generation %" PRIu64 "): a half view claims with it",
			  cd_state_epoch(&tmp), cd_state_generation(&tmp), cd_state_epoch(st),
			  cd_state_generation(st));
		json_object_put(w->copy_doc);
		w->copy_doc = doc;
		w->copy_doc_epoch = cd_state_epoch(&tmp);
		w->copy_doc_gen = cd_state_generation(&tmp);
		doc = NULL;
	}
	cd_state_clear(&tmp);
	json_object_put(doc);
}

void
cd_wcopy_result(struct cd_witness *w, const struct cd_wdisk_output *o)
{
	if (o->copy_done)
		note_read(w, o);
	if (o->takeover)	/* what we pushed before is dropped or stale */
		w->pushed_epoch = w->pushed_gen = 0;
	if (o->v != CD_ARB_WIN || !o->holding || !o->written_seq ||
	    o->written_seq != w->push_seq || o->written_seq == w->acked_seq)
		return;
	w->acked_seq = o->written_seq;
	if (w->pushed_epoch > w->copy_epoch)
		w->copy_epoch = w->pushed_epoch;
	cd_replica_witness_written(w->d, w->pushed_epoch, w->pushed_gen);
}

void
cd_wcopy_sync(struct cd_witness *w)
{
	const struct cd_state *st = cd_replica_state(w->d);
	struct cd_state tmp = { 0 };
	uint64_t e, g, pe = 0;
	json_object *doc;
	char err[200];

	if (!st || !holding(w))
		return;
	e = cd_state_epoch(st);
	g = cd_state_generation(st);
	/* our state has the copy read at the takeover by now */
	if (w->copy_doc && !cd_sync_newer(w->copy_doc_epoch, w->copy_doc_gen, e, g)) {
		json_object_put(w->copy_doc);
		w->copy_doc = NULL;
	}
	/* S5: an established view's states, never one older than the LUN's */
	if (cd_replica_ready(w->d) && !w->copy_doc && e >= w->copy_epoch &&
	    (e != w->pushed_epoch || g != w->pushed_gen)) {
		push_doc(w, st->doc, e, g);
		return;
	}
	/* S7: a half view whose members all promised: its epoch on the LUN */
	doc = cd_replica_establish_doc(w->d, &pe);
	if (doc && cd_state_set_doc(&tmp, doc, err, sizeof(err)) == 0 &&
	    (pe != w->pushed_epoch || cd_state_generation(&tmp) != w->pushed_gen)) {
		cd_info("witness: half view: writing epoch %" PRIu64 " (generation %" PRIu64
			") to the witness", pe, cd_state_generation(&tmp));
		push_doc(w, doc, pe, cd_state_generation(&tmp));
	}
	cd_state_clear(&tmp);
	json_object_put(doc);
	/* S7: claim a half view */
	if (cd_qdevice_vote_backed(w->d))
		(void)cd_replica_claim(w->d, w->copy_doc, w->copy_epoch);
}

void
cd_wcopy_free(struct cd_witness *w)
{
	json_object_put(w->copy_doc);
	w->copy_doc = NULL;
}
