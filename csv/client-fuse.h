/*
 * client-fuse.h - the CSV client's FUSE session (issue 15): what
 * fuse_main() does (parse, mount, signal handlers, the multi-threaded
 * loop, unmount), plus one change to the replies libfuse 3.14 cannot ask
 * for itself.
 *
 * Parallel direct writes: every file of the mount is opened with
 * FOPEN_DIRECT_IO (no page cache: other nodes write too), and the kernel
 * then serialises a file's writes under its inode lock unless the open
 * reply also carries FOPEN_PARALLEL_DIRECT_WRITES (Linux 6.2; libfuse
 * sets it from fuse_file_info only since 3.15). So QD16 random writes of
 * a VM (QEMU cache=none, fio --direct=1) ran at QD1 speed. The session's
 * device I/O goes through fuse_session_custom_io() (libfuse 3.14): the
 * read hook notes the unique id of each FUSE_OPEN whose flags hold
 * O_DIRECT, the writev hook adds FOPEN_PARALLEL_DIRECT_WRITES to a
 * successful reply to one of them that has FOPEN_DIRECT_IO. The kernel
 * still takes the inode lock exclusively for writes that extend the file
 * (fuse_dio_wr_exclusive_lock), so only overwrites inside the file run
 * side by side, which the client handles per request anyway (a direct
 * write under a lease, or a redirected one; concurrent writes of one
 * range have no order an application may rely on, as on any disk).
 * Buffered handles keep their serialised writes (their write-behind
 * relies on arrival order).
 *
 * Threads: the hooks run on libfuse's worker threads; the table of
 * pending opens is under a mutex. Nothing else here is shared.
 */
#ifndef CLUSTERD_CSV_CLIENT_FUSE_H
#define CLUSTERD_CSV_CLIENT_FUSE_H

#include <stdbool.h>

struct fuse_operations;

/**
 * Mount and serve until unmounted or signalled (SIGINT, SIGTERM, SIGHUP),
 * then unmount.
 * @param argv  fuse_main()'s arguments: argv[0], the mount point, options
 * @return fuse_main()'s exit status: 0, 1 bad options, 3 no FUSE, 4 mount
 *         failed, 6 signal handlers, 7 the loop failed
 */
int cl_fuse_run(int argc, char **argv, const struct fuse_operations *ops);

/** Opens that got FOPEN_PARALLEL_DIRECT_WRITES so far (for the log and tests). */
unsigned long cl_fuse_parallel_opens(void);

#endif
