"""Time, logging and waiting for the fault suite (no fixed sleeps to
synchronise: every wait polls a condition with a deadline)."""

import os
import sys
import threading
import time

_out_lock = threading.Lock()


def now_us():
    """CLOCK_REALTIME in microseconds: the clock of the heartbeats and logs."""
    return time.time_ns() // 1000


def mono():
    return time.monotonic()


def stamp(us=None):
    """HH:MM:SS.mmm (local time, as the lab's logs) of a realtime stamp in us."""
    if us is None:
        us = now_us()
    t = time.localtime(us // 1000000)
    return "%s.%03d" % (time.strftime("%H:%M:%S", t), (us // 1000) % 1000)


def log(msg):
    with _out_lock:
        sys.stdout.write("%s %s\n" % (stamp(), msg))
        sys.stdout.flush()


def wait_until(secs, cond, poll=0.1):
    """Call cond() every poll seconds until it returns a true value (which is
    returned) or secs pass (None)."""
    deadline = mono() + secs
    while True:
        v = cond()
        if v:
            return v
        if mono() >= deadline:
            return None
        time.sleep(poll)


def sleep_for(secs, stop_event=None):
    """A hold between faults (part of the schedule, not a synchronisation):
    returns early when stop_event is set."""
    if stop_event is not None:
        return stop_event.wait(secs)
    time.sleep(secs)
    return False


def pctl(values, p):
    """The p-th percentile (nearest rank) of a list of numbers, or None."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def proc_starttime(pid):
    """Field 22 of /proc/PID/stat, or None when PID is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def repo_dir():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
