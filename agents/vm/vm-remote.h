/*
 * vm-remote.h - the vm agent running one of its actions on another node
 * over ssh: how migrate_to prepares its target itself when no prepared URI
 * is given, which is Pacemaker's live migration (a primitive with
 * allow-migrate=true runs migrate_to on the source, then migrate_from on
 * the target, and no prepare step; VirtualDomain leaves the target's side
 * to libvirt, we have no daemon on the target and use ssh instead).
 *
 * The remote command is the same agent binary (this process's own path;
 * the nodes run the same installation) with this process's OCF_*, CD_* and
 * CLUSTERD_* environment, OCF_RESKEY_CRM_meta_timeout set to what is left
 * of our deadline and without OCF_EXIT_REASON_PREFIX (its error becomes
 * part of ours). Its stderr is merged into its stdout on the remote side:
 * result lines are returned, the others copied to our stderr.
 *
 * ssh: OCF_RESKEY_migration_ssh (a command line split at blanks; default
 * VM_REMOTE_SSH_DEFAULT) and the node name as the host (Pacemaker's
 * OCF_RESKEY_CRM_meta_migrate_target). Root logs in without a password as
 * between the nodes of a clusterd cluster.
 */
#ifndef CLUSTERD_VM_REMOTE_H
#define CLUSTERD_VM_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#define VM_REMOTE_SSH_DEFAULT	"ssh -o BatchMode=yes -o ConnectTimeout=10"
#define VM_REMOTE_ARGS_MAX	32	/* words of migration_ssh */

/**
 * Run `vm ACTION` on node @p host and wait for it (at most @p timeout_ms;
 * then it is killed). The first line of its output that starts with
 * @p want (e.g. "uri=") is copied without that prefix to @p out.
 * @param cancel  when it becomes nonzero (SIGTERM), the remote run is killed
 * @return its OCF exit code (0 success), or -errno when it could not be run
 *         or ran out of time (-ETIMEDOUT, -ECANCELED); @p err holds a
 *         one-line reason for any result but 0 (the remote's last error
 *         line when it printed one)
 */
int vm_remote_run(const char *host, const char *action, uint32_t timeout_ms,
		  const char *want, char *out, size_t outlen,
		  volatile const int *cancel, char *err, size_t errlen);

/**
 * migrate_prepare on @p host (at most @p timeout_ms): its "uri=" into @p uri.
 * On failure the target is aborted (migrate_abort: an incoming QEMU it may
 * have started is dropped). @return 0 or as vm_remote_run
 */
int vm_remote_prepare(const char *host, uint32_t timeout_ms, char *uri, size_t len,
		      volatile const int *cancel, char *err, size_t errlen);

/** migrate_abort on @p host (30 s at most), after a failed transfer; a
 * failure of its own is printed on stderr. */
void vm_remote_abort(const char *host);

#endif
