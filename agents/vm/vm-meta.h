/*
 * vm-meta.h - the vm agent's OCF meta-data (vm-meta.c).
 */
#ifndef CLUSTERD_VM_META_H
#define CLUSTERD_VM_META_H

/** Print the agent's OCF meta-data XML on stdout. */
void vm_meta_data(void);

#endif
