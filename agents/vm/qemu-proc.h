/*
 * qemu-proc.h - QEMU processes of the qemu plugin: spawning a daemonized
 * QEMU, finding it again from its pidfile, tap devices, the accelerator
 * probe. Internal to the plugin.
 */
#ifndef CLUSTERD_QEMU_PROC_H
#define CLUSTERD_QEMU_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hypervisor.h"

/* The role file in the run dir says what this node's copy is for; its
 * absence with no process means "stopped cleanly". */
#define CD_QEMU_ROLE		"role"
#define CD_ROLE_RUNNING		"running"
#define CD_ROLE_INCOMING	"incoming"
#define CD_ROLE_MIGRATED	"migrated"
/* A source whose migration was switched to post-copy (qemu-postcopy.c):
 * the file CD_QEMU_POSTCOPY in its run dir says its copy must never run
 * again. Unlike the role file it survives a stop (a self-fencing stop may
 * come before the rollback asks): only a start or a prepare here ends it. */
#define CD_QEMU_POSTCOPY	"postcopy"

/** printf into vm->err; returns rc (a negative errno) for "return fail(...)". */
int cd_qemu_fail(struct cd_hv_vm *vm, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Detail line to vm->log, if any. */
void cd_qemu_log(struct cd_hv_vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** run_dir/file into buf; -ENAMETOOLONG if it does not fit. */
int cd_qemu_path(const struct cd_hv_vm *vm, const char *file, char *buf,
		 size_t size);

/**
 * The live QEMU of this VM: pid from the pidfile, checked to be alive and
 * to be the QEMU of this run dir (its command line names our QMP socket).
 * @return pid > 0, or 0 when there is none
 */
pid_t cd_qemu_pid(const struct cd_hv_vm *vm);

/** Read the role file into buf ("" when absent). */
void cd_qemu_role_get(const struct cd_hv_vm *vm, char *buf, size_t size);
/** Write (role != NULL) or remove (NULL) the role file.
 *  @return 0, or -errno with vm->err set ("cannot write the role file ...") */
int cd_qemu_role_set(struct cd_hv_vm *vm, const char *role);

/** Create the run dir (and its parents), mode 0700. */
int cd_qemu_make_run_dir(struct cd_hv_vm *vm);
/** Remove the pidfile, sockets and role file (logs are kept). */
void cd_qemu_clean_run_dir(const struct cd_hv_vm *vm);

/**
 * "kvm" when a short boot probe proves KVM runs guests at hardware speed,
 * else "tcg". The verdict is cached in cache_dir/qemu-accel. The environment
 * variable CD_QEMU_ACCEL=tcg|kvm overrides it.
 */
const char *cd_qemu_accel(struct cd_hv_vm *vm);

/**
 * Start QEMU daemonized for this VM, optionally as an incoming migration
 * target ("defer"). Creates one tap per NIC and adds it to the NIC's bridge.
 * Returns once the daemon has finished its set-up (QMP socket listening).
 * @return 0, or a negative errno with vm->err set (QEMU's own message when
 *         it refused to start)
 */
/**
 * Refuse, with a clear reason naming this node, a VM whose CPU model this
 * node's QEMU does not know ('host' also needs KVM). The model list is read
 * once per QEMU binary and cached in cache_dir. 0 when runnable or unknown.
 */
int cd_qemu_check_cpu(struct cd_hv_vm *vm, const char *accel);

/** How many CPU models this node's QEMU lists (caches the list), or -1. */
int cd_qemu_cpu_model_count(struct cd_hv_vm *vm);

int cd_qemu_spawn(struct cd_hv_vm *vm, const char *incoming,
		  uint32_t timeout_ms);

/** cd_qemu_spawn() as a migration target (-incoming defer), role "incoming". */
int cd_qemu_spawn_incoming(struct cd_hv_vm *vm, uint32_t timeout_ms);

/**
 * Wait for pid to exit until timeout_ms; pid is not our child (daemonized),
 * so this polls kill(pid, 0) and the /proc entry.
 * @return 0 when gone, -ETIMEDOUT
 */
int cd_qemu_wait_gone(pid_t pid, uint32_t timeout_ms);

/** SIGTERM, then SIGKILL, the QEMU with this pid. @return 0 when gone */
int cd_qemu_kill(struct cd_hv_vm *vm, pid_t pid);

/** The last line of QEMU's log (qemu.log) written after offset from. */
void cd_qemu_log_tail(const struct cd_hv_vm *vm, off_t from, char *buf,
		      size_t size);

/** This node's host name, for messages read on other nodes. */
const char *cd_qemu_node_name(void);

/** Sleep ms milliseconds (polling intervals only). */
void cd_qemu_nap(uint32_t ms);

#endif
