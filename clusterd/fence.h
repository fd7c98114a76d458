/*
 * fence.h - storage fencing (like fence_scsi) on the cluster's LUNs.
 *
 * Every node holds one iSCSI session per cluster LUN (lib/pr.h) on a worker
 * thread, registers its key there when the cluster state admits it, and
 * keeps a Write Exclusive - Registrants Only reservation on each LUN so that
 * an unregistered (fenced) initiator cannot write. Fencing a node = PREEMPT
 * every key of that node id on every LUN; the victim's next command fails
 * with "reservations preempted", later ones with reservation conflict.
 *
 * Data LUNs (cd_fence_set_data_luns: the LUN of every disk resource, a
 * disk role's or a cluster shared volume's) are held by the disk agent of
 * the node that runs the role, and a shared volume's clients register
 * their own keys there for direct I/O. This node keeps no registration on
 * them and never checks them: fencing a node also registers our key on
 * each data LUN (if it is not), then preempts every key of the victim's
 * node id there, with the reservation's own type when the victim held it
 * (the LUN stays reserved: we hold it until the role's next owner takes
 * it, which preempts our key). So a fenced node writes neither the
 * cluster LUNs nor a disk or volume it held or used directly.
 *
 * All I/O happens on the worker thread; results come back to the qb_loop.
 */
#ifndef CLUSTERD_FENCE_H
#define CLUSTERD_FENCE_H

#include <stddef.h>
#include <stdint.h>
#include <qb/qbloop.h>

struct cd_fence;

/* err 0 on success; detail names the LUN and reason on failure. */
typedef void (*cd_fence_done_fn)(void *ctx, int err, const char *detail);

/**
 * @param initiator this node's initiator IQN
 * @return NULL with errno on failure
 */
struct cd_fence *cd_fence_new(qb_loop_t *loop, const char *initiator,
			      int timeout_ms);

/** Stop the worker (after its current job), close sessions, free. */
void cd_fence_free(struct cd_fence *f);

/** Replace the LUN list (URLs copied); sessions are (re)opened lazily. */
int cd_fence_set_luns(struct cd_fence *f, const char *const *urls, size_t n);

/** Number of LUNs configured. */
size_t cd_fence_n_luns(const struct cd_fence *f);

/** Replace the data LUN list (URLs copied; see above). */
int cd_fence_set_data_luns(struct cd_fence *f, const char *const *urls, size_t n);

/** Number of data LUNs configured. */
size_t cd_fence_n_data_luns(const struct cd_fence *f);

/** Register key on every LUN (and reserve WERO where nobody holds one). */
int cd_fence_register(struct cd_fence *f, uint64_t key, cd_fence_done_fn done,
		      void *ctx);

/**
 * Preempt every key of victim_nodeid on every LUN, then on every data LUN
 * (registering key there first), using our key. err is the first failure;
 * the LUNs after it are not tried (the caller retries the whole job).
 */
int cd_fence_node(struct cd_fence *f, uint64_t key, uint32_t victim_nodeid,
		  cd_fence_done_fn done, void *ctx);

/**
 * Check that our key is still registered on every LUN:
 * -CD_PR_E_PREEMPTED when it is gone somewhere (we were fenced).
 */
int cd_fence_check(struct cd_fence *f, uint64_t key, cd_fence_done_fn done,
		   void *ctx);

#endif
