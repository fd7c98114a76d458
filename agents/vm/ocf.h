/*
 * ocf.h - OCF resource agent exit codes and the vm agent's shared pieces.
 */
#ifndef CLUSTERD_OCF_H
#define CLUSTERD_OCF_H

enum ocf_rc {
	OCF_SUCCESS = 0,
	OCF_ERR_GENERIC = 1,
	OCF_ERR_ARGS = 2,
	OCF_ERR_UNIMPLEMENTED = 3,
	OCF_ERR_PERM = 4,
	OCF_ERR_INSTALLED = 5,
	OCF_ERR_CONFIGURED = 6,
	OCF_NOT_RUNNING = 7,
};

/** Print the agent's OCF meta-data XML on stdout. */
void vm_meta_data(void);

#endif
