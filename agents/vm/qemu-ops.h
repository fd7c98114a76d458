/*
 * qemu-ops.h - internals shared by the qemu plugin's modules: QMP helpers
 * (qemu-qmp.c) and the ops implemented outside qemu.c. Every helper that can
 * fail sets vm->err and returns a negative errno.
 */
#ifndef CLUSTERD_QEMU_OPS_H
#define CLUSTERD_QEMU_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "hypervisor.h"
#include "qmp.h"

#define QMP_TIMEOUT_MS		5000		/* one QMP command */
#define UNLIMITED_BW		(100ull << 30)	/* "no cap": 100 GiB/s */

/** ms left until deadline (CLOCK_MONOTONIC ms), 0 when past. */
uint32_t cd_qemu_left_ms(uint64_t deadline);
uint32_t cd_qemu_min_ms(uint32_t a, uint32_t b);

/** Connect to one of the VM's QMP sockets (CD_QEMU_QMP_SOCK, _MON_SOCK). */
struct cd_qmp *cd_qemu_qmp_open(struct cd_hv_vm *vm, const char *sock,
				uint32_t timeout_ms, int *rc);
/** vm->err from the client's last error; returns rc. */
int cd_qemu_qmp_fail(struct cd_hv_vm *vm, struct cd_qmp *q, int rc);
/**
 * A source paused after its guest left (postmigrate) continues here: cont,
 * then announce-self so the network learns where the guest is again.
 */
int cd_qemu_resume_source(struct cd_hv_vm *vm, struct cd_qmp *q, const char *what);
/** query-status: "running", "paused", "inmigrate", "postmigrate"... */
int cd_qemu_run_state(struct cd_hv_vm *vm, struct cd_qmp *q, char *buf,
		      size_t size, uint32_t timeout_ms);
/** query-migrate; *mig a new reference; its status ("" when none) in status. */
int cd_qemu_query_migrate(struct cd_hv_vm *vm, struct cd_qmp *q,
			  json_object **mig, char *status, size_t size);
/** The error-desc of a failed migration, or "no reason given". */
void cd_qemu_migrate_error(json_object *mig, char *buf, size_t size);
/** Sleep until a MIGRATION event or ms pass. */
void cd_qemu_wait_migration_event(struct cd_qmp *q, uint32_t ms);
/** Capabilities (events, auto-converge, postcopy-ram as asked; xbzrle
 *  etc. off) and parameters (the bandwidth cap also for post-copy). */
int cd_qemu_set_migration_params(struct cd_hv_vm *vm, struct cd_qmp *q,
				 bool auto_converge, uint64_t bandwidth,
				 uint32_t downtime_ms, bool postcopy);
/** One progress report from a query-migrate answer. */
void cd_qemu_fill_progress(json_object *mig, const char *status, uint64_t elapsed,
			   struct cd_hv_progress *p);

/* Stall handling and post-copy (qemu-postcopy.c; the rules in its head). */
/** Target, before migrate-incoming: postcopy-ram on (and events). Fails
 *  with -EOPNOTSUPP and the reason (userfaultfd) where QEMU cannot. */
int cd_qemu_postcopy_incoming(struct cd_hv_vm *vm, struct cd_qmp *q);
/** Source: a new downtime-limit for the running transfer. */
int cd_qemu_set_downtime(struct cd_hv_vm *vm, struct cd_qmp *q, uint32_t ms);
/**
 * Source: switch the transfer to post-copy. running: the guest still runs
 * here (live pre-copy): it is stopped first, *paused_at_ms set. The run
 * dir's mark CD_QEMU_POSTCOPY is written before the request is sent.
 */
int cd_qemu_postcopy_start(struct cd_hv_vm *vm, struct cd_qmp *q, bool running,
			   uint64_t *paused_at_ms);
/**
 * Source, after cd_qemu_postcopy_start: wait for "completed" (0). Cancel
 * requests are ignored (the guest runs on the target). Anything else
 * (postcopy-paused, failed, QEMU gone, the deadline) is the VM lost:
 * cd_qemu_postcopy_lost. *switched_ms: when "postcopy-active" was seen.
 */
int cd_qemu_postcopy_wait(struct cd_hv_vm *vm, struct cd_qmp *q, uint64_t deadline,
			  volatile const int *cancel, cd_hv_progress_fn progress,
			  void *opaque, uint64_t t0, uint32_t interval,
			  uint64_t *switched_ms);
/**
 * A post-copy that cannot complete: SIGKILL the source's QEMU (the mark
 * stays), vm->err says the VM must be cold-booted. @return -ENOTRECOVERABLE
 */
int cd_qemu_postcopy_lost(struct cd_hv_vm *vm, const char *why);
/** The source's mark: post-copy began here (survives stops). */
bool cd_qemu_postcopy_marked(const struct cd_hv_vm *vm);
/** A start or a prepare here ends the mark. */
void cd_qemu_postcopy_unmark(const struct cd_hv_vm *vm);
double cd_qemu_jdouble(json_object *o, const char *key);

/* qemu-tls.c: live migration over TLS (the rules are in that file's head). */
#define CD_QEMU_TLS_DIR		"/etc/clusterd/tls"
#define CD_QEMU_TLS_ORG		"clusterd"
#define CD_QEMU_TLS_ENV		"CD_VM_MIGRATION_TLS"
/* the QOM objects cd_qemu_tls_setup adds (the NBD export of qemu-snm.c
 * uses them too) */
#define CD_QEMU_TLS_CREDS	"cd-mig-tls"
#define CD_QEMU_TLS_AUTHZ	"cd-mig-authz"
/** TLS unless CD_QEMU_TLS_ENV says false/0/no/off. */
bool cd_qemu_tls_enabled(void);
/**
 * Before migrate-incoming (server) or migrate (client): the cluster's
 * credentials as a tls-creds-x509 object, the authz-list of the source
 * (server), the migration parameters that use them. Does nothing when TLS
 * is off. @return 0, -ENOENT (credentials missing), -EINVAL (no or a bad
 * peer name), or a QMP error; vm->err says which
 */
int cd_qemu_tls_setup(struct cd_hv_vm *vm, struct cd_qmp *q, bool server);

/* Ops (hypervisor.h) implemented outside qemu.c, and stop, used by them. */
int cd_qemu_op_stop(struct cd_hv_vm *vm, uint32_t grace_ms, uint32_t timeout_ms);
int cd_qemu_op_save(struct cd_hv_vm *vm, const char *path,
		    struct cd_hv_result *res, uint32_t timeout_ms);
int cd_qemu_op_restore(struct cd_hv_vm *vm, const char *path,
		       struct cd_hv_result *res, uint32_t timeout_ms);
/** migrate_prepare of qemu.c, also the first half of restore_prepare. */
int cd_qemu_op_migrate_prepare(struct cd_hv_vm *vm, const char *listen_addr,
			       uint16_t port, char *uri, size_t uri_size,
			       uint32_t timeout_ms);
int cd_qemu_op_restore_prepare(struct cd_hv_vm *vm, const char *path,
			       uint32_t timeout_ms);

/* Live storage move (qemu-mirror.c; hypervisor.h ABI 5). */
int cd_qemu_op_storage_move(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			    cd_hv_progress_fn progress, void *opaque,
			    volatile const int *cancel, struct cd_hv_result *res);
int cd_qemu_op_storage_undo(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			    bool *switched, uint32_t timeout_ms);
int cd_qemu_op_storage_finish(struct cd_hv_vm *vm, const struct cd_hv_storage_move *m,
			      uint32_t timeout_ms);

/*
 * Links (qemu-link.c): the source connects the migration stream and each
 * disk copy's NBD connection itself and hands them to QEMU (getfd), so
 * each has a bound on silence. QEMU 7.2 has none on its own sockets: a
 * migration network that drops packets (no RST) would hold a paused
 * guest, or a write-blocking mirror's guest writes, until TCP gives up
 * (about 15 minutes). Data the target leaves unacknowledged for
 * CD_QEMU_LINK_SILENCE_MS (an idle link is probed as long) breaks the
 * connection; QEMU then fails the migration or the copy and the move
 * rolls back with the guest running here. A target that is slow but
 * alive acknowledges (zero-window probes included) and is not cut.
 */
#define CD_QEMU_LINK_SILENCE_MS	15000
#define CD_QEMU_LINK_MIG_FD	"cd-mig-conn"	/* the migration stream's fd name */
/** "H:P" or "[H6]:P" into host and port. @return 0, -EINVAL (vm->err) */
int cd_qemu_link_endpoint(struct cd_hv_vm *vm, const char *ep, char *host, size_t hsize,
			  char *port, size_t psize);
/** A TCP connection to host:port (connect bounded by the deadline and
 *  10 s) with the silence bound. @return the fd (the caller's), else
 *  negative with vm->err set */
int cd_qemu_link_connect(struct cd_hv_vm *vm, const char *host, const char *port,
			 uint64_t deadline);
/** cd_qemu_link_connect, then the fd into QEMU under fdname (getfd; this
 *  process's copy is closed). @return 0, else negative with vm->err set */
int cd_qemu_link_getfd(struct cd_hv_vm *vm, struct cd_qmp *q, const char *host,
		       const char *port, const char *fdname, uint64_t deadline);
/** The URI to give QEMU's migrate for uri: "tcp:H:P" becomes
 *  "fd:" CD_QEMU_LINK_MIG_FD over a connection made here; keep non-NULL:
 *  this process keeps its fd of it there (the caller closes it; -1 for
 *  another scheme, which is copied). @return 0, else negative with vm->err
 *  set */
int cd_qemu_link_uri(struct cd_hv_vm *vm, struct cd_qmp *q, const char *uri, char *out,
		     size_t out_size, uint64_t deadline, int *keep);
/** Post-copy: lift the silence bound of the migration's connection (fd
 *  from cd_qemu_link_uri; -1: nothing). The guest runs on the target and
 *  a broken link loses it, so a link that comes back before TCP gives up
 *  must be waited for, not cut after 15 s. */
void cd_qemu_link_relax(struct cd_hv_vm *vm, int fd);

/* Helpers of qemu-mirror.c that qemu-snm.c shares. */
/** The block job's status into status ("" when there is no such job), its
 *  error and progress (cur, total may be NULL). @return 0 or QMP's error */
int cd_qemu_job_get(struct cd_hv_vm *vm, struct cd_qmp *q, const char *id, char *status,
		    size_t size, char *err, size_t err_size, uint64_t *cur, uint64_t *total);
/** Run QMP cmd with {key: val} (and force true). @return cd_qmp_cmd's */
int cd_qemu_cmd_id(struct cd_qmp *q, const char *cmd, const char *key, const char *val,
		   bool force);
/** qemu-img create -f qcow2 PATH SIZE ($CD_QEMU_IMG overrides the tool).
 *  @return 0, else negative with vm->err set */
int cd_qemu_qcow2_create(struct cd_hv_vm *vm, const char *path, uint64_t size,
			 uint64_t deadline);
/** Run argv (no shell) until it exits or the deadline passes.
 *  @return 0 when it exited 0, else negative with vm->err set */
int cd_qemu_run_tool(struct cd_hv_vm *vm, char *const argv[], uint64_t deadline);

/*
 * Shared-nothing live migration (qemu-snm.c; hypervisor.h ABI 7): the
 * node-local disks of a VM (shared false) travel with it. The target's
 * migrate_prepare creates empty images and exports them writable over NBD
 * (on the migration address, TLS as the migration), and says where in its
 * URI: "tcp:H:P" CD_QEMU_SNM_TAG "H:P". The source's migrate_send mirrors
 * each local disk into the export (write-blocking, so it converges under
 * any write load) until all are in sync, then migrates the memory with
 * pause-before-switchover; at the switchover (guest paused) the mirrors
 * are completed and their NBD nodes removed, and only then does the target
 * get the device state. So the target's guest starts on complete disks.
 * Each NBD connection is the source's own (cd_qemu_link_getfd): with a
 * write-blocking mirror the guest's own writes wait for the target.
 */
#define CD_QEMU_SNM_TAG		";nbd="

/** Target, before QEMU starts: an empty image per local disk at its path
 *  (never over an existing file; the free space checked, numbers in the
 *  error), owned by the QEMU user, recorded in the run dir. */
int cd_qemu_snm_create(struct cd_hv_vm *vm, uint64_t deadline);
/** Target, QEMU incoming: export the local disks; append the tag and the
 *  NBD endpoint to uri. */
int cd_qemu_snm_export(struct cd_hv_vm *vm, struct cd_qmp *q, const char *addr,
		       char *uri, size_t uri_size);
/** Target, the guest runs here: stop the NBD server (q NULL: none to
 *  stop, e.g. before a cold boot on them), keep the images. */
void cd_qemu_snm_keep(struct cd_hv_vm *vm, struct cd_qmp *q);
/** Target, its QEMU gone (rollback): delete the images it created. */
void cd_qemu_snm_drop(struct cd_hv_vm *vm);
/** Source: uri without the NBD part into mig, the NBD endpoint into nbd
 *  ("" when there is none). @return 0, -EINVAL (vm->err) when the VM has
 *  local disks and the target exports none */
int cd_qemu_snm_split(struct cd_hv_vm *vm, const char *uri, char *mig, size_t mig_size,
		      char *nbd, size_t nbd_size);
/** Source: mirror every local disk into the target's export until all are
 *  in sync, the background copy capped at speed bytes/s (0: no cap; the
 *  guest's own writes are never held back); progress reports status
 *  "disk-mirror". On failure the mirrors are undone (cd_qemu_snm_abort)
 *  before it returns. */
int cd_qemu_snm_mirror(struct cd_hv_vm *vm, struct cd_qmp *q, const char *nbd,
		       uint64_t speed, uint64_t deadline, volatile const int *cancel,
		       cd_hv_progress_fn progress, void *opaque, uint32_t interval,
		       uint64_t t0, uint64_t *bytes);
/** Source, the migration in pre-switchover (guest paused): complete the
 *  mirrors in sync and remove their nodes. */
int cd_qemu_snm_switchover(struct cd_hv_vm *vm, struct cd_qmp *q, uint64_t deadline);
/** Source rollback: cancel the mirrors, remove their nodes (best effort;
 *  nothing to do when none runs). */
void cd_qemu_snm_abort(struct cd_hv_vm *vm, struct cd_qmp *q);
/** Source after a completed migration, its QEMU gone: delete its copies of
 *  the local disks (the target runs the VM on its own). */
void cd_qemu_snm_delete_source(struct cd_hv_vm *vm);

/* Live-migration safety (qemu-check.c). */
#include "migmode.h"

/**
 * The live-migration mode for the QEMU behind q (query-version, query-kvm;
 * migmode.h); why gets the reason.
 */
enum cd_migmode cd_qemu_migmode(struct cd_hv_vm *vm, struct cd_qmp *q,
				bool declared_fixed, char *why, size_t why_size);
/** How long a target is checked after the switchover: CD_QEMU_CHECK_MS
 *  (0..60000), else 2000 ms. */
uint32_t cd_qemu_check_ms(void);
/** hypervisor.h migrate_estimate (qemu-check.c). */
int cd_qemu_op_migrate_estimate(struct cd_hv_vm *vm, const struct cd_hv_migrate_opts *o,
				struct cd_hv_estimate *e, uint32_t timeout_ms);

/** The first kernel crash line of the VM's console.log, if any. */
bool cd_qemu_console_crash(const struct cd_hv_vm *vm, char *line, size_t size);
/**
 * vm->err = "the guest crashed on NODE after the switchover: LINE", LINE
 * the console's first crash line, else what; returns -EREMOTEIO.
 */
int cd_qemu_target_crashed(struct cd_hv_vm *vm, const char *what);
/**
 * The target's QEMU is gone after the switchover: the crash message when
 * its console has a crash line, else "the QEMU of VM exited on NODE after
 * the switchover: <qemu.log's last line>". Returns -EREMOTEIO.
 */
int cd_qemu_target_exited(struct cd_hv_vm *vm);
/**
 * Target after the switchover: for ms, the QEMU must live, answer and
 * run the guest, with no GUEST_PANICKED event and no crash line on the
 * console. @return 0, or -EREMOTEIO (cd_qemu_target_crashed's message)
 */
int cd_qemu_check_target(struct cd_hv_vm *vm, struct cd_qmp *q, uint32_t ms);

/* Streamed restore (qemu-stream.c; run-dir files CD_QEMU_STREAM*). */
#define CD_QEMU_STREAM_MAX_MS	(15u * 60 * 1000)	/* the follower's lifetime */

/**
 * Fork the follower of path (it copies path.partial into a pipe as the
 * save writes it); *rfd is the pipe's read end, for QEMU.
 */
int cd_qemu_stream_spawn(struct cd_hv_vm *vm, const char *path, int *rfd);
/** 0 when the stream came from the file now at path (the completed save). */
int cd_qemu_stream_check(struct cd_hv_vm *vm, const char *path);
/** Remove the stream marker files. */
void cd_qemu_stream_clear(const struct cd_hv_vm *vm);

#endif
