/*
 * vmdef.h - the VM definition: a JSON document, parsed and validated into a
 * hypervisor-neutral structure (part of the plugin ABI, see hypervisor.h).
 *
 *   {
 *     "name": "web1",                      required, [A-Za-z0-9][A-Za-z0-9_.-]{0,63}
 *     "memory_mib": 256,                   required, 16 .. 1048576
 *     "vcpus": 1,                          1 .. 255 (default 1)
 *     "cpu_model": "qemu64",               default "qemu64"
 *     "machine": "pc",                     default "pc"
 *     "disks": [{"path": "/clusterstorage/volume1/web1.qcow2",
 *                "format": "qcow2",        raw | qcow2 (default raw)
 *                "bus": "virtio",          virtio | scsi | ide (default virtio)
 *                "cache": "none"}],        none | directsync | writethrough | writeback
 *     "nics": [{"bridge": "vmbr0", "mac": "52:54:00:12:34:56",
 *               "model": "virtio"}],       virtio | e1000 | rtl8139 (default virtio)
 *     "kernel": "/abs/vmlinux", "initrd": "/abs/initrd", "cmdline": "...",
 *     "extra_args": ["-no-reboot"],        passed to the hypervisor as they are
 *     "migration_policy": "postcopy"       precopy | stall-abort | postcopy
 *                                          (lib/migstall.h); default: the
 *                                          cluster's property migration-policy
 *   }
 *
 * Unknown keys are rejected (a typo must not be ignored silently). Pure
 * code: no I/O except cd_vmdef_load() reading the file.
 */
#ifndef CLUSTERD_VMDEF_H
#define CLUSTERD_VMDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CD_VMDEF_NAME_MAX	64
#define CD_VMDEF_MEM_MIN	16u
#define CD_VMDEF_MEM_MAX	1048576u	/* 1 TiB */
#define CD_VMDEF_VCPUS_MAX	255u
#define CD_VMDEF_DISKS_MAX	16u
#define CD_VMDEF_NICS_MAX	8u
#define CD_VMDEF_MAX_SIZE	(64 * 1024)	/* bytes of JSON */

struct cd_vmdisk {
	char *path;
	char *format;
	char *bus;
	char *cache;
	/* ABI 7, issue 17: false for a node-local image (key "shared", default
	 * true): only the node that runs the VM has it, a live migration
	 * copies it to the target (shared-nothing), and the VM cannot fail
	 * over (its disk goes down with its node) */
	bool shared;
	uint64_t size;	/* "size" (bytes; K/M/G/T suffixes): the image's virtual
			   size, required when shared is false (the target
			   creates its copy with it), else 0 */
};

struct cd_vmnic {
	char *bridge;
	char mac[18];		/* lower case aa:bb:cc:dd:ee:ff */
	char *model;
};

struct cd_vmdef {
	char *name;
	uint32_t memory_mib;
	uint32_t vcpus;
	char *cpu_model;
	char *machine;
	char *kernel;		/* NULL when booting from disk */
	char *initrd;		/* NULL if none */
	char *cmdline;		/* NULL if none */
	size_t n_disks;
	struct cd_vmdisk *disks;
	size_t n_nics;
	struct cd_vmnic *nics;
	size_t n_extra_args;
	char **extra_args;
	char *migration_policy;	/* NULL: the cluster's (ABI 6) */
};

/**
 * Parse and validate a VM definition.
 * @param json  NUL-terminated JSON text
 * @param err   out: one-line reason on failure ("nics[1].mac: ...")
 * @return a new definition (free with cd_vmdef_free), or NULL with errno
 *         EINVAL (invalid; err says why) or ENOMEM
 */
struct cd_vmdef *cd_vmdef_parse(const char *json, char *err, size_t err_size);

/**
 * Read and parse the file at path: a regular file (not a device, FIFO or
 * socket: /dev/zero would never end) of at most CD_VMDEF_MAX_SIZE bytes.
 * @return as cd_vmdef_parse; errno is the read error if the file cannot be
 *         read, EINVAL if it is not a regular file or too large (err says
 *         so)
 */
struct cd_vmdef *cd_vmdef_load(const char *path, char *err, size_t err_size);

/** Free a definition; NULL is fine. */
void cd_vmdef_free(struct cd_vmdef *def);

/** How many disks of def are node-local (shared false; issue 17): a VM
 *  with any cannot fail over, only move live with its disks. */
size_t cd_vmdef_local_disks(const struct cd_vmdef *def);

/** 0 if name is a valid VM name (it becomes part of paths), else -EINVAL. */
int cd_vmdef_check_name(const char *name);

#endif
