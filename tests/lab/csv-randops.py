#!/usr/bin/env python3
"""csv-randops.py - random file operations on a cluster shared volume from
two nodes at once, checked against an in-memory model (tests/lab/test-csv).

    csv-randops.py SEED COUNT ROOT_A ROOT_B

ROOT_A and ROOT_B are the same volume as two nodes see it (for instance
/proc/PID/root/MOUNT of each node's csv-client). Every operation runs on a
randomly chosen node: write, read, truncate, fallocate, punch, rename, fsync;
every read, and a full comparison every 25 operations, is checked against
the model. After a rename every node reopens the files (close-to-open). Prints the seed first so a failure can be replayed; exit 1 on the
first difference.
"""
import ctypes
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


def main():
    seed, count, roots = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:5]
    print("csv-randops: seed %d, %d operations" % (seed, count), flush=True)
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
            fds[(r, n)] = os.open(os.path.join(r, n), os.O_RDWR)

    def check(root, name, where):
        fd = fds[(root, name)]
        size = os.fstat(fd).st_size
        data = os.pread(fd, size + 10, 0)
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
        op = rnd.choice(["write", "write", "read", "truncate", "fallocate", "punch",
                         "rename", "fsync"])
        if op == "write":
            off = rnd.randrange(0, 3 << 20)
            data = rnd.randbytes(rnd.choice([1, 512, 4096, 65536, rnd.randrange(1, 300000)]))
            os.pwrite(fd, data, off)
            if len(m) < off:
                m.extend(bytes(off - len(m)))
            m[off:off + len(data)] = data
        elif op == "read":
            off = rnd.randrange(0, max(1, len(m) + 4096))
            n = rnd.randrange(1, 200000)
            got = os.pread(fd, n, off)
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
            os.rename(os.path.join(root, a), os.path.join(root, "tmp"))
            os.rename(os.path.join(root, b), os.path.join(root, a))
            os.rename(os.path.join(root, "tmp"), os.path.join(root, b))
            model[a], model[b] = model[b], model[a]
            for r in roots:
                for n in names:
                    fds[(r, n)] = os.open(os.path.join(r, n), os.O_RDWR)
        elif op == "fsync":
            os.fsync(fd)
        if i % 25 == 24:
            for r in roots:
                for n in names:
                    check(r, n, "op %d (%s)" % (i, op))
    for r in roots:
        for n in names:
            check(r, n, "the end")
    print("csv-randops: %d operations from 2 nodes match the model (seed %d)"
          % (count, seed), flush=True)


if __name__ == "__main__":
    main()
