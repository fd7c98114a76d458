#!/usr/bin/env python3
"""csv-lock.py - byte-range locks on a cluster shared volume for the lab
tests (tests/lab/test-csv, test-csv-role), as QEMU takes them: OFD write
locks (F_OFD_SETLK), never waiting.

    csv-lock.py hold FILE START LEN   take the lock, print "locked", hold it
                                      until SIGTERM, then release it
                                      (F_UNLCK), print "released", exit 0
    csv-lock.py try FILE START LEN    exit 0 and print "got" when the lock is
                                      granted (released again at once), exit
                                      1 and print "busy" when another owner
                                      holds it

Any other error: a traceback on stderr and exit status 2.
"""
import fcntl
import os
import signal
import struct
import sys


def flock_struct(ltype, start, length):
    # struct flock on x86_64: short type, short whence, off_t start, off_t
    # len, pid_t pid (0 for OFD locks) + padding
    return struct.pack("hhqqi4x", ltype, os.SEEK_SET, start, length, 0)


def setlk(fd, ltype, start, length):
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock_struct(ltype, start, length))


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("hold", "try"):
        sys.stderr.write(__doc__)
        return 2
    what, path, start, length = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        setlk(fd, fcntl.F_WRLCK, start, length)
    except OSError as e:
        if e.errno in (11, 13):  # EAGAIN, EACCES: held by another owner
            print("busy", flush=True)
            return 1
        raise
    if what == "try":
        setlk(fd, fcntl.F_UNLCK, start, length)
        print("got", flush=True)
        return 0
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    print("locked", flush=True)
    signal.sigwait({signal.SIGTERM})
    setlk(fd, fcntl.F_UNLCK, start, length)
    os.close(fd)
    print("released", flush=True)
    return 0


sys.exit(main())
