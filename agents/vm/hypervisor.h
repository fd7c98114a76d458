/*
 * hypervisor.h - the hypervisor plugin ABI of the vm agent (public).
 *
 * A plugin is a shared object libcd-hv-NAME.so in the plugin directory that
 * exports one symbol, `const struct cd_hv_ops cd_hv_plugin`. The agent
 * dlopen()s it by name and refuses it unless abi_version equals
 * CD_HV_ABI_VERSION (any change to a structure in this header, in vmdef.h
 * or to enum cd_migpolicy of migstall.h bumps it). Plugins are stateless between calls: every call gets
 * the VM and its runtime directory, and finds the hypervisor's processes
 * from there, because the agent is a short-lived process per OCF action and
 * the VM must outlive it.
 *
 * Every op returns 0 or a negative errno and, on failure, writes a one-line
 * reason into vm->err. Errors with a meaning of their own:
 *   -ENOENT     no hypervisor process for this VM
 *   -ETIMEDOUT  a deadline passed
 *   -ECANCELED  a migration was cancelled (by request or by a signal)
 *   -EREMOTEIO  the hypervisor refused or failed a request
 *   -EBUSY      the VM is in a state that does not allow the op
 *
 * Live migration, one call per side, in this order (DESIGN.md §7):
 *   target migrate_prepare  start paused, listening; returns the URI
 *   (source migrate_estimate, optional: the mode and the dirty rate for
 *                           the prediction; ABI 7)
 *   source migrate_send     send; returns once the target has everything and
 *                           the source is paused ("post-migrate")
 *   target migrate_finish   confirm the guest runs on the target (continue
 *                           it, when the source paused it for the
 *                           transfer), then watch it for a bounded time: a
 *                           guest that crashes right after the switchover
 *                           fails the migration, and the source resumes
 *   source stop             drop the source copy
 * and on any failure migrate_cancel on the target first (drop the incoming
 * copy), then on the source (cancel the transfer or resume the paused
 * source), so that exactly one copy runs, on the source.
 *
 * Stall handling and post-copy (ABI 6; vm->migration_policy, migstall.h):
 * with policy postcopy the target's migrate_prepare enables post-copy
 * before it listens (it fails, saying why, where the hypervisor cannot
 * take post-copy here), and migrate_send may switch the transfer to
 * post-copy. From that switch on the guest runs on the target while its
 * memory is split between both hosts: the source copy must never run
 * again. A post-copy that does not complete (either side or the link lost)
 * loses the VM on both: migrate_send stops the source's copy and fails
 * with -ENOTRECOVERABLE, migrate_cancel on that source stops what is left
 * and fails with -ENOTRECOVERABLE as well (it never resumes it), and
 * migrate_cancel on the target drops its copy; the VM is then booted
 * anew from its disk (after fencing, when a node was lost). So:
 *   -ENOTRECOVERABLE  post-copy had started and did not complete: the VM
 *                     runs nowhere and must be cold-booted
 *   -EAGAIN           (migrate_send, policy stall-abort) the transfer did
 *                     not converge and was cancelled; the source runs on
 *
 * Quick migration: target restore_prepare (start paused, and where the
 * plugin can, load the state file while the source writes it), source save
 * (pause, write the state file; the paused copy stays, as after
 * migrate_send), then target restore (finish loading the state file,
 * continue), then source stop; restore on the source is the rollback (it
 * resumes the paused copy, or loads the file when that copy is gone).
 *
 * Live storage move (ABI 5; the three ops are optional, all or none), on
 * the node that runs the VM, one disk at a time (DESIGN.md §7, issue 17):
 *   storage_move    create the new image, mirror the disk into it while the
 *                   guest runs (writes reach both images once in sync),
 *                   then switch the guest over to it; returns once the
 *                   hypervisor uses the new image. On failure, timeout or
 *                   cancel it undoes its part itself: the guest stays on the
 *                   old image and the new image it created is deleted.
 *   (the caller records the switch: the VM's definition names the new image)
 *   storage_finish  delete the old image (never one the hypervisor uses)
 * and storage_undo after an interrupted storage_move (its process was
 * killed): finish the switch's bookkeeping if the hypervisor already uses
 * the new image (*switched), else stop the mirror and delete the new image
 * this node created.
 *
 * Shared-nothing live migration (ABI 7): a VM whose definition has
 * node-local disks (shared false, vmdef.h) moves live with them. The
 * target's migrate_prepare creates an empty image of each (never over an
 * existing file; refused, with the numbers, when its file system lacks the
 * space) and offers it to the source (the URI it returns says where);
 * migrate_send copies the disks while the guest runs, then the memory, and
 * completes the copies while the guest is paused at the switchover, so the
 * target's guest starts on complete disks; migrate_cancel on the target
 * deletes the images it created, on the source stops the copies. After
 * migrate_finish the target's images are the VM's; the source's stop with
 * migrated_away deletes its own. Quick migration and post-copy refuse such
 * a VM (its disks cannot follow a state file; post-copy would leave a disk
 * write on the source after the switch).
 *
 * probe_host: what this node can run (accelerator, CPU models), cached for
 * the later calls; clusterd runs it once when it starts, so the first VM on
 * a node does not pay for it.
 */
#ifndef CLUSTERD_HYPERVISOR_H
#define CLUSTERD_HYPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "migstall.h"
#include "vmdef.h"

#define CD_HV_ABI_VERSION	7
#define CD_HV_SYMBOL		"cd_hv_plugin"
#define CD_HV_PREFIX		"libcd-hv-"	/* file name: PREFIX NAME ".so" */
#define CD_HV_URI_MAX		128

/** What the agent tells a plugin about the VM an op is about. */
struct cd_hv_vm {
	const struct cd_vmdef *def;	/* validated definition; borrowed */
	const char *run_dir;	/* runtime dir of this VM: /run/clusterd/vm/NAME */
	const char *cache_dir;	/* host-wide runtime caches: /run/clusterd */
	char *err;		/* out: one-line reason of a failure */
	size_t err_size;
	/* Optional log sink for detail (the agent prints it on stderr). */
	void (*log)(void *opaque, const char *msg);
	void *log_opaque;
	/* ABI 6: the VM's migration policy (definition field, else the
	 * cluster's property), for migrate_prepare, migrate_send and
	 * migrate_cancel alike */
	enum cd_migpolicy migration_policy;
	/* ABI 7: this stop ends a live migration its target confirmed
	 * (clusterd's cleanup step; OCF_RESKEY_CRM_meta_migrate_target set):
	 * a source left "post-migrate" deletes its copies of the VM's
	 * node-local disks once its hypervisor process is gone */
	bool migrated_away;
};

/** Runtime state of a VM as the hypervisor sees it. */
enum cd_hv_state {
	CD_HV_STOPPED = 0,	/* no process, and none expected */
	CD_HV_RUNNING,		/* guest executing */
	CD_HV_PAUSED,		/* stopped by someone, or by an error */
	CD_HV_INCOMING,		/* prepared migration target, waiting for state;
				   also a post-copy target running the guest before
				   it has all its memory (detail "incoming,
				   postcopy-active"): never a VM that runs here */
	CD_HV_MIGRATED,		/* source after a completed outgoing migration */
	CD_HV_DEAD,		/* process gone, or unresponsive, unexpectedly */
};

struct cd_hv_status {
	enum cd_hv_state state;
	int pid;		/* hypervisor process, 0 if none */
	char detail[64];	/* hypervisor's own word for the state */
};

/** Settings of one live migration (cluster settings; 0 = default). */
struct cd_hv_migrate_opts {
	uint64_t max_bandwidth;		/* bytes/s; 0 = unlimited */
	uint32_t downtime_limit_ms;	/* 0 = hypervisor default (300 ms) */
	bool auto_converge;		/* throttle a guest that dirties too fast */
	uint32_t timeout_ms;		/* whole transfer; then cancel */
	uint32_t progress_interval_ms;	/* how often to call progress */
	/* This hypervisor build is known to track dirty pages correctly even
	 * where the plugin would not trust it (QEMU < 9.0 under TCG): use
	 * live pre-copy there too (setting qemu_dirty_tracking_fixed). */
	bool dirty_tracking_fixed;
	/* ABI 6, stall handling (migstall.h; policy in vm->migration_policy):
	 * the bound of the stepped downtime limit and the stall window */
	uint32_t downtime_max_ms;	/* 0: CD_MIGSTALL_DOWNTIME_MAX_MS */
	uint32_t stall_window_ms;	/* 0: CD_MIGSTALL_WINDOW_MS */
};

/** One progress report of a running migration. */
struct cd_hv_progress {
	const char *status;	/* "setup", "active", ... (hypervisor's word) */
	double percent;		/* of RAM sent in the current pass */
	double mbps;		/* throughput, megabits/s */
	uint64_t transferred;	/* bytes so far */
	uint64_t remaining;	/* bytes left in the current pass */
	uint64_t total;		/* guest RAM, bytes */
	uint64_t dirty_rate;	/* bytes/s the guest dirties */
	uint64_t passes;	/* dirty-sync count */
	uint32_t throttle_pct;	/* CPU throttle of auto-converge */
	uint64_t elapsed_ms;
};

/** One live storage move: disk number disk of the definition (its path
 *  there is the image in use, source) to the new image target. */
struct cd_hv_storage_move {
	size_t disk;		/* index into vm->def->disks */
	const char *source;	/* the image the VM uses now (absolute) */
	const char *target;	/* the new image (absolute; must not exist) */
	const char *format;	/* the new image's format; NULL: the disk's */
	uint64_t max_bandwidth;	/* bytes/s of the background copy; 0 = unlimited */
	uint32_t timeout_ms;	/* whole move; then it is undone */
	uint32_t progress_interval_ms;
};

typedef void (*cd_hv_progress_fn)(void *opaque, const struct cd_hv_progress *p);

/** ABI 7: what a live migration of the VM would be (migrate_estimate). */
struct cd_hv_estimate {
	bool paused;		/* migrate_send would pause the guest (migmode.h) */
	uint64_t dirty_rate;	/* bytes/s the guest dirties, measured now; 0 when
				   paused (it does not matter then) */
	uint64_t ram_bytes;	/* guest RAM */
};

/** Result of a migration, save or restore. */
struct cd_hv_result {
	uint64_t total_ms;	/* hypervisor's total time (live) or op time */
	uint64_t downtime_ms;	/* hypervisor-reported (live) or measured pause */
	uint64_t setup_ms;
	uint64_t transferred;	/* bytes sent / state file size */
	uint64_t passes;
	/* CLOCK_MONOTONIC ms (one clock for all namespaces of a host), 0 when
	 * not applicable: when save paused the guest, when restore resumed it */
	uint64_t paused_at_ms;
	uint64_t resumed_at_ms;
	bool streamed;		/* restore: loaded while the save wrote the file */
	/* Live migration: how it ran ("precopy": the guest ran during the
	 * transfer; "paused": it was paused for the transfer because live
	 * pre-copy is unsafe here; "postcopy": it switched to post-copy) and
	 * why, one line for an administrator; "" when not applicable. */
	char mode[16];
	char mode_why[96];
	/* ABI 6: the stall handling's steps (migstall.h): the downtime limit
	 * in force at the end, how many times it was stepped up, and when
	 * the transfer switched to post-copy (ms after it began; 0: never) */
	uint32_t downtime_limit_ms;
	uint32_t downtime_steps;
	uint64_t postcopy_at_ms;
};

struct cd_hv_ops {
	uint32_t abi_version;	/* CD_HV_ABI_VERSION */
	const char *name;	/* "qemu" */

	/** Boot the VM; returns once the hypervisor runs it. -EEXIST if it does. */
	int (*start)(struct cd_hv_vm *vm, uint32_t timeout_ms);
	/**
	 * Stop the VM: a graceful guest shutdown for up to grace_ms if the guest
	 * runs, then a hard stop; also removes any incoming or migrated copy.
	 * 0 when nothing is left (also when nothing was there).
	 */
	int (*stop)(struct cd_hv_vm *vm, uint32_t grace_ms, uint32_t timeout_ms);
	/** Fill *st; 0 also when stopped (st->state tells). */
	int (*status)(struct cd_hv_vm *vm, struct cd_hv_status *st,
		      uint32_t timeout_ms);

	/**
	 * Target: start paused, waiting for an incoming migration. With
	 * listen_addr NULL, only start (for restore); otherwise listen on
	 * listen_addr:port (port 0: any free port) and write the URI the source
	 * must send to into uri ("tcp:ADDR:PORT").
	 */
	int (*migrate_prepare)(struct cd_hv_vm *vm, const char *listen_addr,
			       uint16_t port, char *uri, size_t uri_size,
			       uint32_t timeout_ms);
	/**
	 * Source: send the VM to uri. Calls progress every
	 * opts->progress_interval_ms. Returns 0 once the target holds the VM
	 * and the source is paused (CD_HV_MIGRATED). On failure, timeout or a
	 * cancel request (*cancel set, e.g. by a signal handler) the transfer
	 * is cancelled and the source left running. Where the hypervisor's
	 * live transfer is unsafe (QEMU < 9.0 under TCG loses pages) the
	 * plugin pauses the guest for the transfer instead: res->mode and
	 * res->mode_why say which and why, res->paused_at_ms when it paused.
	 */
	int (*migrate_send)(struct cd_hv_vm *vm, const char *uri,
			    const struct cd_hv_migrate_opts *opts,
			    cd_hv_progress_fn progress, void *opaque,
			    volatile const int *cancel, struct cd_hv_result *res);
	/**
	 * Target: wait until the migrated guest runs here (continue it when
	 * the source paused it for the transfer; res->resumed_at_ms says
	 * when), then check it for a bounded time before the source is
	 * dropped: the hypervisor still runs it and it did not crash. A guest
	 * that crashed fails the call with -EREMOTEIO and a reason naming the
	 * crash ("the guest crashed on n2 after the switchover: BUG: ...").
	 */
	int (*migrate_finish)(struct cd_hv_vm *vm, struct cd_hv_result *res,
			      uint32_t timeout_ms);
	/**
	 * Undo this side's part of a migration: a prepared or incoming target is
	 * removed; a source with a transfer in flight cancels it; a migrated
	 * (paused) source resumes and announces itself. 0 if nothing to undo.
	 */
	int (*migrate_cancel)(struct cd_hv_vm *vm, uint32_t timeout_ms);

	/**
	 * Quick migration, source: pause, write the state to path; the paused
	 * copy stays (CD_HV_MIGRATED) until stop, or restore resumes it.
	 */
	int (*save)(struct cd_hv_vm *vm, const char *path,
		    struct cd_hv_result *res, uint32_t timeout_ms);
	/**
	 * Quick migration, target: load the state from path (into a prepared
	 * target if there is one), continue, delete path on success. On the
	 * node that saved (the rollback): resume the paused copy in place,
	 * cancelling the transfer of a save cut short; 0 if the guest already
	 * runs there.
	 */
	int (*restore)(struct cd_hv_vm *vm, const char *path,
		       struct cd_hv_result *res, uint32_t timeout_ms);
	/**
	 * Quick migration, target, before the source's save starts: start
	 * paused for a restore from path, and may start loading path as the
	 * save writes it (path.partial until the save renames it to path), so
	 * restore only finishes the load. The loaded guest must not run before
	 * restore, and restore must only run it if what was loaded is the
	 * completed file at path. Optional (NULL: the agent calls
	 * migrate_prepare with listen_addr NULL).
	 */
	int (*restore_prepare)(struct cd_hv_vm *vm, const char *path,
			       uint32_t timeout_ms);

	/**
	 * Probe this node (vm->def may be NULL; vm->cache_dir is set) and
	 * write one line about it into out, e.g. "accel=tcg cpu_models=132
	 * detail=...". Results are cached in cache_dir.
	 */
	int (*probe_host)(struct cd_hv_vm *vm, char *out, size_t out_size,
			  uint32_t timeout_ms);

	/*
	 * Live storage move (ABI 5). Optional: NULL (all three) when the
	 * plugin cannot move a running VM's disks.
	 */
	/**
	 * Create m->target (same size; format m->format or the disk's), mirror
	 * the disk into it while the guest runs, switch the guest to it once
	 * in sync. progress: percent and bytes of the copy. Returns 0 once the
	 * hypervisor uses m->target (also when it did already).
	 * -EEXIST: m->target exists (never overwritten); -ENOSPC: the
	 * target's file system lacks the space (vm->err has the numbers);
	 * -ECANCELED, -ETIMEDOUT, -EREMOTEIO: the mirror was stopped, the
	 * guest runs on m->source and the image this call created is gone.
	 * res: total_ms, transferred (bytes copied), downtime_ms (the switch).
	 */
	int (*storage_move)(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			    cd_hv_progress_fn progress, void *opaque,
			    volatile const int *cancel, struct cd_hv_result *res);
	/**
	 * After a storage_move that did not return (killed, host process
	 * restart): *switched = true when the hypervisor uses m->target
	 * already (nothing is deleted); else any mirror of the disk is
	 * stopped and m->target deleted if this node created it for this
	 * move. 0 also when there is nothing to undo.
	 */
	int (*storage_undo)(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			    bool *switched, uint32_t timeout_ms);
	/**
	 * After the switch is recorded: delete m->source. -EBUSY (nothing
	 * deleted) if the hypervisor still uses it.
	 */
	int (*storage_finish)(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			      uint32_t timeout_ms);

	/**
	 * ABI 7, optional: before a live migration (the source, before
	 * migrate_send with the same opts), the mode it would run in and the
	 * guest's dirty rate, measured for about a second where the guest
	 * runs during the transfer (QEMU's calc-dirty-rate), for the
	 * prediction of migpredict.h. A failure means no prediction only.
	 */
	int (*migrate_estimate)(struct cd_hv_vm *vm, const struct cd_hv_migrate_opts *opts,
				struct cd_hv_estimate *e, uint32_t timeout_ms);
	/**
	 * ABI 7, optional: a start found the VM running here, so this copy is
	 * the VM (a start is only asked outside a migration: e.g. a target
	 * whose source was lost after the switchover, which clusterd recovers
	 * there). Whatever migration role the copy still has ends: a later
	 * rollback must never drop it as an incoming copy, nor delete the
	 * node-local images it runs on. 0 also when there is nothing to do.
	 */
	int (*adopt)(struct cd_hv_vm *vm, uint32_t timeout_ms);
};

/** What a plugin exports (the only symbol the agent looks up). */
extern const struct cd_hv_ops cd_hv_plugin;

#endif
