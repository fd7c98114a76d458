#!/usr/bin/env python3
"""rawqmp.py - the raw baseline of bench/migration: one live migration driven
directly over QMP, with no agent in between.

  rawqmp.py SRC_SOCK DST_SOCK URI [--bandwidth BYTES_PER_S] [--downtime MS]

Both sockets are QMP unix sockets of already running QEMUs: the source runs
the guest, the destination was started with -incoming defer. Steps: target
migrate-incoming URI; source capabilities (events, auto-converge; xbzrle
off, as the agent), parameters, migrate; poll query-migrate every 20 ms;
then poll the target until it runs; then quit the source. Prints one JSON
object: wall_ms (migrate command to target running), and QEMU's total_ms,
downtime_ms, setup_ms, transferred.
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rwb", buffering=0)
        self.id = 0
        greeting = self._read()
        if "QMP" not in greeting:
            raise RuntimeError("no QMP greeting")
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.f.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.id += 1
        msg = {"execute": name, "id": self.id}
        if args:
            msg["arguments"] = args
        self.f.write((json.dumps(msg) + "\n").encode())
        while True:
            m = self._read()
            if "event" in m or m.get("id") != self.id:
                continue
            if "error" in m:
                raise RuntimeError("%s: %s" % (name, m["error"].get("desc")))
            return m.get("return")

    def close(self):
        self.s.close()


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit(__doc__)
    src_path, dst_path, uri = args[:3]
    opts = dict(zip(args[3::2], args[4::2]))
    bandwidth = int(opts.get("--bandwidth", 100 << 30))
    downtime = int(opts.get("--downtime", 300))

    dst = Qmp(dst_path)
    src = Qmp(src_path)
    caps = [{"capability": c, "state": s} for c, s in
            (("events", True), ("auto-converge", True), ("xbzrle", False))]
    dst.cmd("migrate-set-capabilities", capabilities=caps[:1])
    dst.cmd("migrate-incoming", uri=uri)
    src.cmd("migrate-set-capabilities", capabilities=caps)
    src.cmd("migrate-set-parameters", **{"max-bandwidth": bandwidth,
                                         "downtime-limit": downtime})
    t0 = time.monotonic()
    src.cmd("migrate", uri=uri)
    deadline = t0 + 300
    while True:
        st = src.cmd("query-migrate").get("status")
        if st == "completed":
            break
        if st in ("failed", "cancelled") or time.monotonic() > deadline:
            src.cmd("migrate_cancel")
            sys.exit("raw migration %s" % st)
        time.sleep(0.02)
    while dst.cmd("query-status").get("status") != "running":
        if time.monotonic() > deadline:
            sys.exit("target never ran")
        time.sleep(0.005)
    t1 = time.monotonic()
    # QEMU fills in its statistics shortly after "completed"
    for _ in range(50):
        info = src.cmd("query-migrate")
        if info.get("total-time"):
            break
        time.sleep(0.02)
    src.cmd("quit")
    src.close()
    dst.close()
    print(json.dumps({
        "wall_ms": round((t1 - t0) * 1000, 1),
        "total_ms": info.get("total-time", 0),
        "downtime_ms": info.get("downtime", 0),
        "setup_ms": info.get("setup-time", 0),
        "transferred": info.get("ram", {}).get("transferred", 0),
    }))


if __name__ == "__main__":
    main()
