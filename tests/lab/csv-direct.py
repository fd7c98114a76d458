#!/usr/bin/env python3
"""csv-direct.py - O_DIRECT workloads of tests/lab/test-csv-direct.

    csv-direct.py fill FILE SIZE BYTE        buffered write of SIZE bytes of
                                             BYTE (a real, written file), fsync
    csv-direct.py write FILE OFF LEN BYTE    O_DIRECT write of LEN bytes of
                                             BYTE at OFF (1 MiB requests), fsync
    csv-direct.py hammer FILE SIZE BYTE STOPFILE [HOLDFILE]
                                             O_DIRECT 64 KiB writes of BYTE at
                                             random offsets below SIZE until
                                             STOPFILE exists; while HOLDFILE
                                             exists it writes none (HOLDFILE.held
                                             says so), after it 64 more and ends;
                                             it creates HOLDFILE itself when it
                                             sees the file shrink;
                                             prints "writes N, M after the file
                                             shrank, K after the hold"
    csv-direct.py records FILE STOPFILE      O_DIRECT 4 KiB records "rec=%08d"
                                             at offset seq * 4096 (a written,
                                             preallocated file), fsync every 8;
                                             prints "SEQ" once a write returned,
                                             "synced SEQ" after each fsync, until
                                             STOPFILE exists; then "done"
    csv-direct.py check-records FILE N       records 0..N-1 are all there
    csv-direct.py pwriters FILE THREADS SECONDS
                                             THREADS threads overwrite random
                                             4 KiB blocks of FILE (O_DIRECT,
                                             one handle each) for SECONDS;
                                             prints the writes done
    csv-direct.py count FILE BYTE            prints how many 4 KiB blocks hold
                                             only BYTE, and how many do not
Any error ends it with a traceback and exit status 1.
"""
import mmap
import os
import random
import sys
import time

MIB = 1 << 20


def aligned(size, byte):
    buf = mmap.mmap(-1, size)
    buf.write(bytes([byte]) * size)
    return buf


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "fill":
        size, byte = int(sys.argv[3]), int(sys.argv[4], 0)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        chunk = bytes([byte]) * MIB
        for off in range(0, size, MIB):
            os.pwrite(fd, chunk[: min(MIB, size - off)], off)
        os.fsync(fd)
        os.close(fd)
    elif cmd == "write":
        off, length, byte = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5], 0)
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        buf = aligned(MIB, byte)
        done = 0
        while done < length:
            n = min(MIB, length - done)
            wrote = os.pwrite(fd, memoryview(buf)[:n], off + done)
            assert wrote == n, "short write %d of %d" % (wrote, n)
            done += n
        os.fsync(fd)
        os.close(fd)
    elif cmd == "pwriters":
        import threading
        nthreads, secs = int(sys.argv[3]), float(sys.argv[4])
        blocks = os.stat(path).st_size // 4096
        done = [0] * nthreads
        end = time.monotonic() + secs

        def writer(k):
            fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
            buf = aligned(4096, 0x30 + k)
            while time.monotonic() < end:
                os.pwrite(fd, buf, random.randrange(blocks) * 4096)
                done[k] += 1
            os.close(fd)
        ts = [threading.Thread(target=writer, args=(k,)) for k in range(nthreads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print(sum(done), flush=True)
    elif cmd == "hammer":
        size, byte, stop = int(sys.argv[3]), int(sys.argv[4], 0), sys.argv[5]
        hold = sys.argv[6] if len(sys.argv) > 6 else None
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        buf = aligned(65536, byte)
        n = after = resumed = 0
        shrank = False
        while not os.path.exists(stop) and resumed <= 64:
            if hold and os.path.exists(hold):
                open(hold + ".held", "w").close()
                while os.path.exists(hold):
                    time.sleep(0.01)
                resumed = 1
            if not shrank and os.fstat(fd).st_size < size:
                shrank = True
                if hold:
                    # its own writes would take the freed blocks back
                    open(hold, "w").close()
                    continue
            off = random.randrange(0, size // 65536) * 65536
            os.pwrite(fd, buf, off)
            n += 1
            after += shrank
            resumed += resumed > 0
        os.close(fd)
        print("writes %d, %d after the file shrank, %d after the hold"
              % (n, after, max(resumed - 1, 0)), flush=True)
    elif cmd == "records":
        stop = sys.argv[3]
        fd = os.open(path, os.O_WRONLY | os.O_DIRECT)
        buf = aligned(4096, ord("."))
        seq = 0
        while not os.path.exists(stop):
            buf.seek(0)
            buf.write(b"rec=%08d " % seq)
            os.pwrite(fd, buf, seq * 4096)
            print(seq, flush=True)
            if seq % 8 == 7:
                os.fsync(fd)
                print("synced", seq, flush=True)
            seq += 1
        os.fsync(fd)
        os.close(fd)
        print("done", flush=True)
    elif cmd == "check-records":
        n = int(sys.argv[3])
        bad = []
        with open(path, "rb") as f:
            for seq in range(n):
                f.seek(seq * 4096)
                rec = f.read(4096)
                if rec != (b"rec=%08d " % seq).ljust(4096, b"."):
                    bad.append(seq)
        if bad:
            print("missing or wrong records: %d, first %s" % (len(bad), bad[:10]))
            sys.exit(1)
        print("all %d records" % n)
    elif cmd == "count":
        byte = int(sys.argv[3], 0)
        good = other = 0
        want = bytes([byte]) * 4096
        with open(path, "rb") as f:
            while True:
                blk = f.read(4096)
                if not blk:
                    break
                if blk == want[: len(blk)]:
                    good += 1
                else:
                    other += 1
        print(good, other)
    else:
        sys.exit("unknown command " + cmd)


main()
