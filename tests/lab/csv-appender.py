#!/usr/bin/env python3
"""csv-appender.py - the append + fsync workload of tests/lab/test-csv.

    csv-appender.py FILE STOPFILE

Writes 4 KiB records "seq=%08d ..." at offset seq * 4096 of FILE, fsyncs
after each, and prints "SEQ MONOTONIC_MS" once the fsync returned (the
record is acknowledged), until STOPFILE exists; then prints "done". Any
error ends it with a traceback on stderr and exit status 1.
"""
import os
import sys
import time

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
seq = 0
while not os.path.exists(sys.argv[2]):
    rec = (b"seq=%08d " % seq).ljust(4096, b".")
    os.pwrite(fd, rec, seq * 4096)
    os.fsync(fd)
    print(seq, int(time.monotonic() * 1000), flush=True)
    seq += 1
os.close(fd)
print("done", flush=True)
