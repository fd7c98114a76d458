"""What the cluster runs during the faults:

- roles r1..rK, each one ocf:clusterd:hbwriter resource (a real process
  writing a heartbeat every 50 ms to HB_DIR/<resource>.<node>.hb on the
  lab's host directory, outside the cluster);
- a config writer: a stream of changes that accumulate (stopped, empty
  roles cfg<seq> added, and some of them removed again), each recorded with
  its exit status, so every acknowledged one can be looked for at the end;
- a mover: random `clusterctl role move`s;
- a state sampler: every node's persisted state (state.json, read from the
  host) every 0.2 s, to find forked generations.
"""

import hashlib
import json
import os
import random
import threading

from .util import log, now_us, sleep_for


def hb_dir(lab):
    return os.path.join(lab.dir, "shared", "hb")


def role_names(k):
    return ["r%d" % i for i in range(1, k + 1)]


def rsc_of(role):
    return "h" + role[1:]


def ctl_retry(lab, argv, what):
    """A setup command; once more after a failure (a loaded machine)."""
    rc, out, err = lab.ctl("n1", argv)
    if rc != 0:
        log("%s: exit %d: %s; once more" % (what, rc, (err or out).strip()))
        rc, out, err = lab.ctl("n1", argv)
    if rc != 0:
        raise RuntimeError("%s: %s" % (what, (err or out).strip()))


def setup_roles(lab, k, fencing=True, preferred=None):
    """Data LUN registered (fencing on), then K heartbeat roles; preferred
    owners spread over the nodes (or preferred[role] when given)."""
    d = hb_dir(lab)
    os.makedirs(d, exist_ok=True)
    if fencing:
        lun = lab.luns()[1]
        ctl_retry(lab, ["storage", "add", "data", lun], "storage add")
    for i, role in enumerate(role_names(k)):
        pref = (preferred or {}).get(role) or lab.node_names[i % lab.nodes]
        ctl_retry(lab, ["role", "add", role, "--preferred", pref], "role add " + role)
        ctl_retry(lab, ["resource", "add", rsc_of(role), "--agent", "ocf:clusterd:hbwriter",
                        "--role", role, "--param", "dir=" + d, "--monitor-interval", "1s",
                        "--timeout", "start=5s", "--timeout", "stop=5s",
                        "--timeout", "monitor=5s"], "resource add " + rsc_of(role))
    log("roles %s: one hbwriter each, heartbeats in %s" % (" ".join(role_names(k)), d))


def canon_hash(doc):
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()[:16]


class Changes:
    """The record of config changes: (seq, op, key, node, t0, t1, rc, out).
    Acknowledged = exit 0."""

    def __init__(self):
        self.ops = []
        self.lock = threading.Lock()

    def record(self, op, key, node, t0, t1, rc, out, value=None):
        """op "add"/"remove" of a role KEY, or "set" of property KEY to value."""
        with self.lock:
            self.ops.append({"seq": len(self.ops), "op": op, "key": key, "node": node,
                             "value": value, "t0": t0, "t1": t1, "rc": rc,
                             "out": out.strip()[-200:]})

    def expected(self):
        """key -> (present?, the op that decides it): the effect of the last
        acknowledged op on the key, unless an unacknowledged one came after
        it (then either outcome is allowed and the key is left out). For a
        property, "present" means it holds the value of that op."""
        last = {}
        with self.lock:
            for o in self.ops:
                last[o["key"]] = o
            ops = list(self.ops)
        exp = {}
        for key, o in last.items():
            if o["rc"] != 0:
                continue
            exp[key] = (o["op"] in ("add", "set"), o)
        return exp, ops

    def acked(self):
        with self.lock:
            return [o for o in self.ops if o["rc"] == 0]


class Worker(threading.Thread):
    def __init__(self, name, stop):
        super().__init__(name=name, daemon=True)
        self.stop = stop
        self.error = None

    def run(self):
        try:
            self.loop()
        except Exception as e:      # reported by the driver, never silent
            self.error = "%s: %r" % (self.name, e)
            log("worker %s died: %r" % (self.name, e))


class ConfigWriter(Worker):
    """Adds stopped empty roles cfg<seq> on a random node; once more than
    `keep` are present, removes the oldest now and then."""

    def __init__(self, lab, changes, seed, stop, period=(0.3, 1.5), keep=30):
        super().__init__("config-writer", stop)
        self.lab, self.changes, self.period, self.keep = lab, changes, period, keep
        self.rng = random.Random("writer/%s" % seed)
        self.seq = 0
        self.present = []     # keys whose last op was an acknowledged add

    def loop(self):
        while not self.stop.is_set():
            node = self.rng.choice(self.lab.node_names)
            if len(self.present) > self.keep and self.rng.random() < 0.4:
                key = self.present.pop(0)
                op, argv = "remove", ["role", "remove", key]
            else:
                self.seq += 1
                key = "cfg%d" % self.seq
                op, argv = "add", ["role", "add", key, "--stopped"]
            t0 = now_us()
            rc, out, err = self.lab.ctl(node, argv, timeout=30)
            self.changes.record(op, key, node, t0, now_us(), rc, out + err)
            if op == "add" and rc == 0:
                self.present.append(key)
            elif op == "remove" and rc != 0:
                pass    # unknown outcome: the key is left out of the final check
            sleep_for(self.rng.uniform(*self.period), self.stop)


class Mover(Worker):
    """clusterctl role move ROLE NODE (returns at once) every few seconds."""

    def __init__(self, lab, roles, seed, stop, period=(2.0, 6.0)):
        super().__init__("mover", stop)
        self.lab, self.roles, self.period = lab, roles, period
        self.rng = random.Random("mover/%s" % seed)
        self.moves = []

    def loop(self):
        while not sleep_for(self.rng.uniform(*self.period), self.stop):
            role = self.rng.choice(self.roles)
            to = self.rng.choice(self.lab.node_names)
            via = self.rng.choice(self.lab.node_names)
            t0 = now_us()
            rc, out, err = self.lab.ctl(via, ["role", "move", role, to], timeout=30)
            self.moves.append((t0, role, to, via, rc))


class StateSampler(Worker):
    """Every node's state.json every 0.2 s (only re-read when it changed):
    (t, node, generation, hash without the epoch, epoch) of each version seen."""

    def __init__(self, lab, stop, period=0.2):
        super().__init__("state-sampler", stop)
        self.lab, self.period = lab, period
        self.seen = []
        self._sig = {}

    def sample(self):
        for node in self.lab.node_names:
            path = self.lab.state_file(node)
            try:
                st = os.stat(path)
            except OSError:
                continue
            sig = (st.st_ino, st.st_mtime_ns, st.st_size)
            if self._sig.get(node) == sig:
                continue
            try:
                with open(path) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                continue
            self._sig[node] = sig
            # "epoch" (the last majority view that held the state) is
            # re-stamped without a new generation: not part of the history
            hist = {k: v for k, v in doc.items() if k != "epoch"}
            self.seen.append((now_us(), node, doc.get("generation"), canon_hash(hist),
                              doc.get("epoch")))

    def loop(self):
        while True:
            self.sample()
            if sleep_for(self.period, self.stop):
                break
        self.sample()
