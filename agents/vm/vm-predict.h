/*
 * vm-predict.h - the vm agent's prediction of a live migration, made on the
 * source by migrate_to before the transfer (issue 20 item 5; the model is
 * lib/migpredict.h).
 *
 * Inputs: the plugin's migrate_estimate (the mode it will use, the guest's
 * dirty rate measured for about a second; the op is optional), the guest's
 * RAM, the link's bandwidth: the migration's cap when one is set, else the
 * throughput of the last live migration from this node to the same target
 * (QEMU's transferred bytes / total time, kept in
 * /run/clusterd/vm-link/TARGET by vm_predict_learn). No cap and no earlier
 * move to that node: no prediction (P1), said in the progress line.
 * The memory is counted whole: QEMU sends an untouched (zero) page as a
 * flag, so a guest with much untouched memory moves faster than predicted.
 */
#ifndef CLUSTERD_VM_PREDICT_H
#define CLUSTERD_VM_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor.h"
#include "migpredict.h"

struct vm_prediction {
	bool have;			/* p is a prediction */
	struct cd_migpredict p;
	uint64_t dirty_rate;		/* bytes/s measured */
	uint64_t link_bps;		/* bytes/s used */
	const char *link_from;		/* "cap", "last move" or "" */
	bool paused;
};

/**
 * Before migrate_send: estimate, pick the bandwidth, predict, and print one
 * progress line with status=predicted (predicted_total_ms=,
 * predicted_downtime_ms=, predicted_converges=, dirty_rate=, link_bps=,
 * link_from=cap|last-move, paused=, postcopy=; "predicted_total_ms=- why=TOKEN" when
 * there is none: no-bandwidth-yet, estimate-failed, no-estimate-op). Never
 * fails the move: at worst there is no prediction.
 */
void vm_predict(const struct cd_hv_ops *ops, struct cd_hv_vm *vm,
		const struct cd_hv_migrate_opts *o, const char *target,
		struct vm_prediction *out, uint32_t timeout_ms);

/** After a completed migrate_send to target: keep the link's throughput. */
void vm_predict_learn(struct cd_hv_vm *vm, const char *target, const struct cd_hv_result *res);

/** The prediction as result-line fields (" predicted_total_ms=N ..."),
 *  "" when there is none. */
void vm_predict_fields(const struct vm_prediction *p, char *buf, size_t size);

#endif
