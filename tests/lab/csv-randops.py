#!/usr/bin/env python3
"""csv-randops.py - random file operations on a cluster shared volume from
two nodes at once, checked against an in-memory model (tests/lab/test-csv).

    csv-randops.py [--direct] SEED COUNT ROOT_A ROOT_B

ROOT_A and ROOT_B are the same volume as two nodes see it (for instance
/proc/PID/root/MOUNT of each node's csv-client). Every operation runs on a
randomly chosen node: write, read, truncate, fallocate, punch, rename, fsync;
every read, and a full comparison every 25 operations, is checked against
the model. After a rename every node reopens the files (close-to-open).
Buffered writes go behind (csv/client.h): the writing node sees them at
once, another node once the writer fsynced or closed its file; so before an
operation on a file from one node, the other node's file is fsynced when it
wrote since its last fsync (the writer's own reads, truncates, fallocates
and punches run right after its writes, unsynced). Prints the seed first so
a failure can be replayed; exit 1 on the first difference.
With --direct the files are opened O_DIRECT and reads and writes are
4 KiB-aligned in offset and length (a direct volume's clients read and
overwrite mapped blocks on the LUN themselves, issue 15); truncate,
fallocate and punch stay unaligned, and every 12th operation is one of
them or a rename (each recalls the file's leases; between them the reads
and writes can go direct). After every third of them the files' whole
blocks are written again with what they hold (holes become written blocks;
the model is unchanged), synced, and every handle is opened again: a
handle's map covers the written extents at its grant and is renewed with
its lease (lib/csv-dlease.h), and in files made sparse by truncates and
punches the random reads and writes would otherwise seldom go direct.
"""
import ctypes
import mmap
import os
import random
import sys

FALLOC_FL_KEEP_SIZE = 1
FALLOC_FL_PUNCH_HOLE = 2
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]


def fallocate(fd, mode, off, length):
    if libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


BLOCK = 4096


def main():
    args = sys.argv[1:]
    direct = args[0] == "--direct"
    if direct:
        args = args[1:]
    seed, count, roots = int(args[0]), int(args[1]), args[2:4]
    flags = os.O_RDWR | (os.O_DIRECT if direct else 0)

    def pwrite(fd, data, off):
        if not direct:
            return os.pwrite(fd, data, off)
        buf = mmap.mmap(-1, len(data))
        buf.write(data)
        return os.pwritev(fd, [buf], off)

    def pread(fd, n, off):
        if not direct:
            return os.pread(fd, n, off)
        buf = mmap.mmap(-1, (n + BLOCK - 1) // BLOCK * BLOCK)
        got = os.preadv(fd, [buf], off)
        return bytes(buf[:min(got, n)])

    print("csv-randops: seed %d, %d operations%s" % (seed, count, ", O_DIRECT" if direct else ""),
          flush=True)
    rnd = random.Random(seed)
    names = ["f0", "f1"]
    model = {n: bytearray() for n in names}
    for n in names:
        with open(os.path.join(roots[0], n), "wb") as f:
            f.flush()
            os.fsync(f.fileno())
    fds = {}
    for r in roots:
        for n in names:
            fds[(r, n)] = os.open(os.path.join(r, n), flags)

    unsynced = set()    # (root, name) written since its last fsync or open

    def others_synced(root, name):
        for r in roots:
            if r != root and (r, name) in unsynced:
                os.fsync(fds[(r, name)])
                unsynced.discard((r, name))

    def check(root, name, where):
        others_synced(root, name)
        fd = fds[(root, name)]
        size = os.fstat(fd).st_size
        data = pread(fd, size + 10, 0)
        if size != len(model[name]) or data != bytes(model[name]):
            first = next((i for i in range(min(len(data), len(model[name])))
                          if data[i] != model[name][i]), min(len(data), len(model[name])))
            print("csv-randops: MISMATCH after %s: %s on %s: size %d model %d, first "
                  "difference at %d (seed %d)" % (where, name, root, size,
                                                 len(model[name]), first, seed))
            sys.exit(1)

    for i in range(count):
        root = rnd.choice(roots)
        name = rnd.choice(names)
        fd = fds[(root, name)]
        m = model[name]
        others_synced(root, name)
        if direct and i % 36 == 0 and i > 0:
            # the files' whole blocks written again with what they hold (the
            # model is unchanged; holes get written blocks) and synced, then
            # new handles: a handle's map covers the written extents at its
            # grant and is renewed only with its lease, so the next run can
            # go direct
            for r in roots:
                for n in names:
                    os.fsync(fds[(r, n)])
            for n in names:
                whole = len(model[n]) // BLOCK * BLOCK
                if whole:
                    pwrite(fds[(roots[0], n)], bytes(model[n][:whole]), 0)
            for k in list(fds):
                os.fsync(fds[k])
                os.close(fds.pop(k))
            unsynced.clear()
            for r in roots:
                for n in names:
                    fds[(r, n)] = os.open(os.path.join(r, n), flags)
        if direct:
            # runs of reads and overwrites between the block movers: a
            # mover recalls the file's leases, and a handle maps the file
            # again only CSV_DL_REMAP_MS (1 s) later, so the runs are what
            # gets direct I/O in between
            op = rnd.choice(["truncate", "fallocate", "punch", "rename"] if i % 12 == 11
                            else ["write", "write", "read", "read", "fsync"])
        else:
            op = rnd.choice(["write", "write", "read", "truncate", "fallocate", "punch",
                             "rename", "fsync"])
        if op == "write":
            off = rnd.randrange(0, 3 << 20)
            data = rnd.randbytes(rnd.choice([1, 512, 4096, 65536, rnd.randrange(1, 300000)]))
            if direct:
                off = off // BLOCK * BLOCK
                data = data + bytes(-len(data) % BLOCK)
            pwrite(fd, data, off)
            unsynced.add((root, name))
            if len(m) < off:
                m.extend(bytes(off - len(m)))
            m[off:off + len(data)] = data
        elif op == "read":
            off = rnd.randrange(0, max(1, len(m) + 4096))
            n = rnd.randrange(1, 200000)
            if direct:
                off, n = off // BLOCK * BLOCK, (n + BLOCK - 1) // BLOCK * BLOCK
            got = pread(fd, n, off)
            if got != bytes(m[off:off + n]):
                print("csv-randops: MISMATCH read %s on %s at %d+%d (op %d, seed %d)"
                      % (name, root, off, n, i, seed))
                sys.exit(1)
        elif op == "truncate":
            size = rnd.randrange(0, 3 << 20)
            os.ftruncate(fd, size)
            if size < len(m):
                del m[size:]
            else:
                m.extend(bytes(size - len(m)))
        elif op == "fallocate":
            off, n = rnd.randrange(0, 3 << 20), rnd.randrange(1, 1 << 20)
            keep = rnd.random() < 0.5
            fallocate(fd, FALLOC_FL_KEEP_SIZE if keep else 0, off, n)
            if not keep and off + n > len(m):
                m.extend(bytes(off + n - len(m)))
        elif op == "punch":
            off, n = rnd.randrange(0, 3 << 20), rnd.randrange(1, 1 << 20)
            fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n)
            end = min(off + n, len(m))
            if off < end:
                m[off:end] = bytes(end - off)
        elif op == "rename":
            # swap the two files' names through a third (from one node);
            # then every node reopens them: close-to-open consistency (an
            # open file renamed elsewhere keeps its old path here, csv/README)
            a, b = names
            for k in list(fds):
                os.close(fds.pop(k))
            unsynced.clear()
            os.rename(os.path.join(root, a), os.path.join(root, "tmp"))
            os.rename(os.path.join(root, b), os.path.join(root, a))
            os.rename(os.path.join(root, "tmp"), os.path.join(root, b))
            model[a], model[b] = model[b], model[a]
            for r in roots:
                for n in names:
                    fds[(r, n)] = os.open(os.path.join(r, n), flags)
        elif op == "fsync":
            os.fsync(fd)
            unsynced.discard((root, name))
        if i % 25 == 24:
            for r in roots:
                for n in names:
                    check(r, n, "op %d (%s)" % (i, op))
    for r in roots:
        for n in names:
            check(r, n, "the end")
    print("csv-randops: %d operations from 2 nodes match the model (seed %d%s)"
          % (count, seed, ", O_DIRECT" if direct else ""), flush=True)


if __name__ == "__main__":
    main()
