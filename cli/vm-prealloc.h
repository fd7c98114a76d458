/*
 * vm-prealloc.h - preallocation of a raw VM disk image, content kept
 * (`clusterctl vm add --preallocate`, issue 15 item 4).
 *
 * Why: on a cluster shared volume with direct I/O (csv/README.md) a node
 * writes straight to the LUN only where the file's blocks exist and are
 * written; a write into a hole or into an unwritten (fallocated) extent
 * goes through the coordinator, which allocates it. A raw image made with
 * truncate or `qemu-img create` is all holes, so a guest's first write of
 * every block is redirected. Preallocating turns every hole and
 * unwritten extent into written zeros, so the guest's writes are
 * overwrites and take the direct path from the start.
 *
 * Rules:
 *  P1. Only the holes are written, and with zeros: lseek SEEK_DATA and
 *      SEEK_HOLE find them (ext4, and the CSV client, which asks the
 *      coordinator's ext4, report unwritten extents as holes). Data is
 *      never rewritten, so the image's content is unchanged.
 *  P2. Where the file system cannot tell holes (lseek answers EINVAL),
 *      each chunk is read and written back as zeros only when it reads as
 *      all zeros: the content is still unchanged.
 *  P3. Nobody may write the image meanwhile: an OFD write lock on the
 *      whole file (the CSV makes it cluster-wide) is taken first and held
 *      to the end. QEMU locks its images with OFD locks, so an image a
 *      QEMU has open anywhere is refused ("in use"), and no QEMU can open
 *      it while it is preallocated.
 *  P4. Durable before it returns: fdatasync at the end (and every
 *      CD_PREALLOC_SYNC_EVERY bytes, so the dirty data stays bounded).
 *  P5. Only regular files: a block device or anything else is refused.
 *
 * Blocking; the progress callback runs in the caller's thread after each
 * chunk. Errors: negative errno, the reason in err (the path named).
 */
#ifndef CLUSTERD_CLI_VM_PREALLOC_H
#define CLUSTERD_CLI_VM_PREALLOC_H

#include <stddef.h>
#include <stdint.h>

#define CD_PREALLOC_CHUNK	(1u << 20)	/* bytes per write */
#define CD_PREALLOC_SYNC_EVERY	(256ull << 20)	/* fdatasync after this much */

struct cd_prealloc_result {
	uint64_t size;		/* the file's size */
	uint64_t written;	/* zeros written into holes */
	uint64_t kept;		/* bytes that held data (P1) or non-zero (P2) */
	int scanned;		/* 1: P2's read-and-compare was used */
};

/** done bytes of the file handled so far, of size. */
typedef void (*cd_prealloc_progress_fn)(void *opaque, uint64_t done, uint64_t size);

/**
 * Preallocate path (P1-P5). progress may be NULL.
 * @return 0, or a negative errno with err set
 */
int cd_prealloc_file(const char *path, cd_prealloc_progress_fn progress, void *opaque,
		     struct cd_prealloc_result *res, char *err, size_t err_size);

#endif
