#!/usr/bin/env python3
"""rawqmp.py - QMP helpers of bench/migration (no agent, no clusterd).

  rawqmp.py migrate --argv FILE --run-dir DIR --src-qmp SOCK --uri URI
                    [--bridge BR] [--bandwidth BYTES_PER_S] [--downtime MS]
                    [--deadline S] [--mode precopy|stop-copy]
      The raw baseline: one live migration driven directly over QMP. Run it
      INSIDE the target node (lab exec NAME nK -- python3 rawqmp.py ...):
        1. a tap (cdtap%d, vnet_hdr) is made and added to bridge BR (vmbr0), and
           QEMU is started with FILE's argv (one argument per line: the argv the
           vm agent itself used for an `-incoming defer` QEMU, captured from
           /proc/PID/cmdline; its tap fd= is replaced by ours) - daemonized,
           waited for like the agent does; role file "incoming";
        2. target: QMP greeting, events on, migrate-incoming URI;
        3. source (SOCK, the running guest's QMP socket, reachable by path
           from the target's mount namespace): capabilities as the agent sets
           them (events, auto-converge on; xbzrle, postcopy-ram, compress off),
           max-bandwidth, downtime-limit, migrate;
        4. the source's MIGRATION event "completed" (QMP events, as the
           agent waits; polling query-migrate every 10 ms slowed TCG
           migrations down by taking QEMU's big lock), then the target's
           RESUME event (or query-status "running"); role file "running";
        5. quit the source and wait until its QMP connection closes (QEMU
           exited). Statistics are read before the quit.
      --mode stop-copy (what the vm agent does where live pre-copy loses
      pages, TCG on QEMU < 9.0): auto-converge off, `stop` on the source
      before `migrate`, `cont` on the target once it has loaded everything.
      Prints one JSON object: wall_ms (1-5), spawn_ms (1), migrate_ms
      (migrate command to target running), and QEMU's total_ms, downtime_ms,
      setup_ms, transferred; mode; pause_ms (stop-copy: source stop to
      target cont, the guest's real pause).

  rawqmp.py watch SOCK [--deadline S]
      Polls query-migrate on a QMP socket (the source's qmp-mon.sock) every
      100 ms while a migration runs; prints a JSON summary: final status,
      max cpu-throttle-percentage, max dirty rate (MiB/s), passes. Read-only.
"""
import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCBRADDIF = 0x8913, 0x8914, 0x89A2
IFF_UP = 0x1


class Qmp:
    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.id = 0
        self.events = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError("no QMP greeting")
        self.cmd("qmp_capabilities")

    def _read(self):
        # our own buffer, not a socket file: a read that times out (waiting
        # for an event) must leave the connection usable
        while b"\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise EOFError("QMP connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def _write(self, data):
        self.s.sendall(data)

    def cmd(self, name, **args):
        self.id += 1
        msg = {"execute": name, "id": self.id}
        if args:
            msg["arguments"] = args
        self._write((json.dumps(msg) + "\n").encode())
        while True:
            m = self._read()
            if "event" in m:
                self.events.append(m)
                continue
            if m.get("id") != self.id:
                continue
            if "error" in m:
                raise RuntimeError("%s: %s" % (name, m["error"].get("desc")))
            return m.get("return")

    def wait_event(self, match, deadline):
        """The first event (kept or new) for which match(event) is true."""
        while True:
            for i, e in enumerate(self.events):
                if match(e):
                    del self.events[: i + 1]
                    return e
            self.events.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(min(left, 1.0))
            try:
                m = self._read()
            except socket.timeout:
                continue
            finally:
                self.s.settimeout(10.0)
            if "event" in m:
                self.events.append(m)

    def wait_closed(self, deadline):
        """After quit: read until EOF (the QEMU process is gone)."""
        while time.monotonic() < deadline:
            try:
                self._read()
            except (EOFError, OSError):
                return True
        return False

    def close(self):
        self.s.close()


def connect(path, deadline):
    """QMP of a freshly daemonized QEMU: the socket exists once it runs."""
    while True:
        try:
            return Qmp(path)
        except (FileNotFoundError, ConnectionRefusedError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.002)


def make_tap(bridge):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH22x", b"cdtap%d", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
    name = fcntl.ioctl(fd, TUNSETIFF, ifr)[:16].rstrip(b"\0")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        idx = socket.if_nametoindex(name.decode())
        fcntl.ioctl(s, SIOCBRADDIF, struct.pack("16si20x", bridge.encode(), idx))
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS,
                                                   struct.pack("16sH22x", name, 0))[:18])[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", name, flags | IFF_UP))
    finally:
        s.close()
    return fd


def set_role(run_dir, role):
    tmp = os.path.join(run_dir, "role.tmp")
    with open(tmp, "w") as f:
        f.write(role + "\n")
    os.rename(tmp, os.path.join(run_dir, "role"))


def opts_of(args, defaults):
    o = dict(defaults)
    it = iter(args)
    for k in it:
        if not k.startswith("--"):
            sys.exit("unexpected argument %s" % k)
        o[k[2:]] = next(it)
    return o


def cmd_migrate(args):
    o = opts_of(args, {"bandwidth": str(100 << 30), "downtime": "300", "deadline": "120",
                       "bridge": "vmbr0", "mode": "precopy"})
    stop_copy = o["mode"] == "stop-copy"
    with open(o["argv"]) as f:
        argv = [line.rstrip("\n") for line in f if line.strip()]
    run_dir = o["run-dir"]
    t0 = time.monotonic()
    deadline = t0 + float(o["deadline"])
    # 1. tap + QEMU -incoming defer, daemonized (as the agent's cd_qemu_spawn)
    tapfd = make_tap(o["bridge"])
    for i, a in enumerate(argv):
        if a.startswith("tap,"):
            argv[i] = ",".join("fd=%d" % tapfd if p.startswith("fd=") else p
                               for p in a.split(","))
    os.makedirs(run_dir, exist_ok=True)
    for leftover in ("qmp.sock", "qmp-mon.sock", "qemu.pid", "role"):
        try:
            os.unlink(os.path.join(run_dir, leftover))
        except FileNotFoundError:
            pass
    with open(os.path.join(run_dir, "qemu.log"), "a") as log:
        rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=log, pass_fds=(tapfd,), timeout=30)
    os.close(tapfd)
    if rc != 0:
        sys.exit("QEMU failed to start (exit %d): see %s/qemu.log" % (rc, run_dir))
    set_role(run_dir, "incoming")
    t_spawned = time.monotonic()
    # 2. target
    dst = connect(os.path.join(run_dir, "qmp.sock"), deadline)
    dst.cmd("migrate-set-capabilities",
            capabilities=[{"capability": "events", "state": True}])
    dst.cmd("migrate-incoming", uri=o["uri"])
    # 3. source
    src = Qmp(o["src-qmp"])
    caps = [{"capability": c, "state": s} for c, s in
            (("events", True), ("auto-converge", not stop_copy), ("xbzrle", False),
             ("postcopy-ram", False), ("compress", False))]
    src.cmd("migrate-set-capabilities", capabilities=caps)
    src.cmd("migrate-set-parameters", **{"max-bandwidth": int(o["bandwidth"]),
                                         "downtime-limit": int(o["downtime"])})
    t_mig = time.monotonic()
    t_stop = None
    if stop_copy:  # the guest paused for the transfer: no dirty tracking needed
        src.cmd("stop")
        t_stop = time.monotonic()
    src.cmd("migrate", uri=o["uri"])
    # 4. until completed (events), then until the target runs
    ev = src.wait_event(lambda e: e.get("event") == "MIGRATION" and
                        e.get("data", {}).get("status") in ("completed", "failed", "cancelled"),
                        deadline)
    st = ev["data"]["status"] if ev else "timed out"
    if st != "completed":
        src.cmd("migrate_cancel")
        sys.exit("raw migration %s" % st)
    if stop_copy:
        # the target ends paused, as its source was: continue it once loaded
        while dst.cmd("query-status").get("status") == "inmigrate":
            if time.monotonic() > deadline:
                sys.exit("target never loaded")
            dst.wait_event(lambda e: e.get("event") == "MIGRATION", min(deadline, time.monotonic() + 0.01))
        dst.cmd("cont")
    if dst.cmd("query-status").get("status") != "running":
        if not dst.wait_event(lambda e: e.get("event") == "RESUME", deadline):
            sys.exit("target never ran")
    t_run = time.monotonic()
    set_role(run_dir, "running")
    info = {}
    for _ in range(100):  # QEMU fills in its statistics shortly after "completed"
        info = src.cmd("query-migrate")
        if info.get("total-time"):
            break
        time.sleep(0.005)
    # 5. drop the source
    src._write(b'{"execute": "quit"}\n')
    src.wait_closed(deadline)
    t_end = time.monotonic()
    src.close()
    dst.close()
    print(json.dumps({
        "wall_ms": round((t_end - t0) * 1000, 1),
        "spawn_ms": round((t_spawned - t0) * 1000, 1),
        "migrate_ms": round((t_run - t_mig) * 1000, 1),
        "quit_ms": round((t_end - t_run) * 1000, 1),
        "total_ms": info.get("total-time", 0),
        "downtime_ms": info.get("downtime", 0),
        "setup_ms": info.get("setup-time", 0),
        "transferred": info.get("ram", {}).get("transferred", 0),
        "mode": o["mode"],
        # stop-copy: the guest's real pause, source stop to target cont
        "pause_ms": round((t_run - t_stop) * 1000, 1) if t_stop else 0,
    }))


def cmd_watch(args):
    if not args:
        sys.exit(__doc__)
    path = args[0]
    o = opts_of(args[1:], {"deadline": "60"})
    deadline = time.monotonic() + float(o["deadline"])
    out = {"status": "none", "max_throttle": 0, "max_dirty_mibs": 0.0, "passes": 0,
           "samples": 0}
    try:
        q = Qmp(path, timeout=2.0)
    except OSError as e:
        out["status"] = "no-qmp: %s" % e
        print(json.dumps(out))
        return
    seen = False
    try:
        while time.monotonic() < deadline:
            m = q.cmd("query-migrate")
            st = m.get("status", "none")
            ram = m.get("ram", {})
            if st in ("setup", "active", "device", "pre-switchover", "cancelling"):
                seen = True
            if seen:
                out["samples"] += 1
                out["status"] = st
                out["max_throttle"] = max(out["max_throttle"],
                                          m.get("cpu-throttle-percentage", 0))
                rate = ram.get("dirty-pages-rate", 0) * ram.get("page-size", 4096)
                out["max_dirty_mibs"] = max(out["max_dirty_mibs"], round(rate / 1048576, 1))
                out["passes"] = max(out["passes"], ram.get("dirty-sync-count", 0))
                if st in ("completed", "failed", "cancelled"):
                    break
            time.sleep(0.1)
    except (EOFError, OSError, RuntimeError):
        if seen and out["status"] not in ("failed", "cancelled"):
            out["status"] = "completed?(source gone)"
    q.close()
    print(json.dumps(out))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "migrate":
        cmd_migrate(sys.argv[2:])
    elif sys.argv[1] == "watch":
        cmd_watch(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
