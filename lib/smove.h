/*
 * smove.h - the phases of a live storage move (clusterctl vm move-storage,
 * issue 17): which agent action runs in which phase, what follows, when
 * the switch is recorded, and what a cancel, a clusterd restart or a lost
 * node do. Pure code: no I/O, no state. The resource manager
 * (clusterd/rm-storage.c) runs the steps and records every transition in
 * the replicated state (runtime.roles.R.storage); clusterctl's follower
 * reads the same names. The actions are the vm agent's (vm-storage.h).
 *
 *   mirror (move_storage) --ok--> finish (move_storage_finish) --> done
 *      |                  (switch recorded)
 *      +--failed--> undo (move_storage_undo) --switched--> finish
 *                        |  (switch recorded)
 *                        +--not switched--> done (old image in use)
 *
 * Rules:
 *  S1. A move starts (any node, on the administrator's request) only for a
 *      VM role that is started on a node that is up, with no migration and
 *      no other storage move, for a disk the VM has, to an absolute path
 *      that is not the disk's own and not claimed by another VM: phase
 *      mirror, node = the role's owner (where the guest runs).
 *  S2. Every phase but done belongs to the record's node, which runs the
 *      phase's action once; the others wait.
 *  S3. mirror's success is the switch: the guest runs on the new image.
 *      Its report records the switch and the next phase in one change: the
 *      VM's identity names the new image and the resource's vm_disk_moves
 *      lists the move (COMMIT), so every node starts the VM from the new
 *      image from then on. undo that finds the switch done (switched)
 *      records it the same way.
 *  S4. Any failure before the switch (the target full, an I/O error, the
 *      cancel, a timeout, QEMU gone) goes to undo: the guest stays on the
 *      old image, which the state still names; undo deletes the new image
 *      this node created. The failure is the move's error.
 *  S5. The administrator may cancel in mirror only (CANCEL): the node
 *      stops its running step, which fails (S4). Once the switch is
 *      recorded the move can only finish.
 *  S6. A phase's step runs under a claim: the record names the clusterd
 *      instance (node, pid, start time) that runs it (runner), recorded
 *      before the agent starts. The record's node claims an unclaimed
 *      phase, runs the step of a phase it claimed itself, and waits while
 *      its step runs or its report is on its way. A phase mirror claimed
 *      by another instance lost its step (clusterd restarted under it; the
 *      agent may still run): it becomes undo, whose agent waits for the
 *      VM's lock, then looks at what QEMU uses. undo and finish claimed by
 *      another instance are claimed again and re-run (both are idempotent).
 *  S7. The record's node is lost (the leader decides, once it is fenced:
 *      it may still run the guest): the move ends (the record is deleted)
 *      with an error naming the image that may be left on that node's
 *      storage; the role recovers from the image the state names (the old
 *      one unless the switch was recorded). While it is not fenced: wait.
 *  S8. While a move is recorded the role neither migrates nor starts
 *      another move (checked where moves and migrations start).
 *  S9. finish rewrites the definition file (the disk names the new image),
 *      then deletes the old image; its failure leaves only the old image,
 *      referenced by nothing, and is recorded as the role's last error.
 */
#ifndef CLUSTERD_SMOVE_H
#define CLUSTERD_SMOVE_H

#include <stdbool.h>
#include <stddef.h>

enum cd_smove_phase {
	CD_SMOVE_NONE = 0,	/* no move (before S1, after done) */
	CD_SMOVE_MIRROR,
	CD_SMOVE_UNDO,
	CD_SMOVE_FINISH,
	CD_SMOVE_DONE,		/* the move ends: its record is deleted */
};

/* Flags of a phase. */
#define CD_SMOVE_CANCEL		0x01u	/* S5 */
#define CD_SMOVE_PROGRESS	0x02u	/* reports the copy's progress */
#define CD_SMOVE_ERROR_MATTERS	0x04u	/* a failure is recorded as the move's error */

struct cd_smove_step {
	enum cd_smove_phase phase;
	const char *action;		/* the vm agent's action */
	enum cd_smove_phase on_success;	/* ok (undo: ok and not switched) */
	enum cd_smove_phase on_switched;	/* undo: ok and switched (S3) */
	enum cd_smove_phase on_failure;
	bool commit_on_success;		/* S3: the success records the switch */
	unsigned flags;
};

/** The table's row for phase, or NULL (none, done, out of range). */
const struct cd_smove_step *cd_smove_step(enum cd_smove_phase phase);

/**
 * The phase after a step of phase ended (S3, S4); *commit: the report
 * records the switch (S3). CD_SMOVE_NONE when phase has no step.
 */
enum cd_smove_phase cd_smove_next(enum cd_smove_phase phase, bool ok, bool switched,
				  bool *commit);

/** S5 */
bool cd_smove_cancellable(enum cd_smove_phase phase);

/** S6: what this node does about the recorded phase. */
enum cd_smove_duty {
	CD_SMOVE_DUTY_NONE = 0,	/* not its phase (another node's, or none) */
	CD_SMOVE_DUTY_WAIT,	/* its step runs, or its report is on its way */
	CD_SMOVE_DUTY_CLAIM,	/* record this instance as the phase's runner */
	CD_SMOVE_DUTY_RUN,	/* run the phase's action */
	CD_SMOVE_DUTY_ORPHANED,	/* the phase becomes undo */
};

/**
 * S6. mine: the record names this node; claimed: the phase has a runner;
 * by_me: this clusterd instance; busy: a step runs here; reported: a
 * report of this phase is on its way.
 */
enum cd_smove_duty cd_smove_duty(enum cd_smove_phase phase, bool mine, bool claimed,
				 bool by_me, bool busy, bool reported);

#define CD_SMOVE_MOVES_MAX	64	/* entries kept in a VM's vm_disk_moves */

/**
 * S3: the resource parameter vm_disk_moves (a JSON array of {"from",
 * "to"[, "format"]}; NULL or "" for none) with the move from -> to
 * (format NULL: the disk's) added: a move that ended at from now ends at
 * to, one that ends where it began is dropped, the oldest go past
 * CD_SMOVE_MOVES_MAX. The vm agent applies the list (vmdef-moves.h).
 * @return a malloc'd JSON text (caller frees), or NULL with errno EINVAL
 *         (moves is not such a list) or ENOMEM
 */
char *cd_smove_moves_add(const char *moves, const char *from, const char *to,
			 const char *format);

/** S7's outcomes. */
enum cd_smove_loss {
	CD_SMOVE_LOSS_NONE = 0,	/* the node is up */
	CD_SMOVE_LOSS_WAIT,	/* lost, not fenced yet */
	CD_SMOVE_LOSS_END,	/* lost and fenced: delete the record */
};

enum cd_smove_loss cd_smove_node_lost(enum cd_smove_phase phase, bool node_up, bool fenced);

/** What S1 looks at. */
struct cd_smove_start {
	bool role_started;	/* the role's state is started */
	bool owner_up;		/* its owner is a member */
	bool is_vm;		/* a VM role (one ocf:clusterd:vm resource with an identity) */
	bool migrating;		/* a migration is recorded */
	bool moving;		/* a storage move is recorded (S8) */
	long disk;		/* the disk asked for */
	size_t n_disks;		/* the VM's disks (identity) */
	const char *from;	/* the disk's image now (identity) */
	const char *to;		/* the new image */
	const char *format;	/* NULL, "raw" or "qcow2" */
	const char *claimed_by;	/* another VM resource that claims to, or NULL */
};

/**
 * S1: may the move start? 0, or a negative errno with err saying why:
 * -EINVAL (bad disk, path or format), -EBUSY (migrating, moving, not
 * started, owner not up), -EEXIST (to is the disk's own image or
 * another VM's), -ENOTSUP (not a VM).
 */
int cd_smove_check_start(const struct cd_smove_start *s, char *err, size_t err_size);

/** The phase's name in the state ("mirror", ...; "" for none). */
const char *cd_smove_str(enum cd_smove_phase phase);
/** @return 0, or -EINVAL for a name that is no phase ("" is none) */
int cd_smove_parse(const char *s, enum cd_smove_phase *out);

#endif
