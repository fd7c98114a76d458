"""The fault schedule (pure: a seed in, a list of steps out, so a run is
replayed from its seed) and the injector that carries the steps out on a
lab and keeps the history with timestamps.

A step is a dict: op "inject" (a new fault), "recover" (end an active one)
or "heal" (end all of them and let the cluster settle), the fault's kind
and targets, and "hold": seconds to let it act before the next step.

Kinds:
  node-kill        every process of the node (lab kill); ends with lab start
  clusterd-kill    clusterd alone, SIGKILL;                ends with lab start
  corosync-kill    corosync alone, SIGKILL;                ends with lab start
  clusterd-stop    clusterd SIGSTOPped for secs (1-10), then SIGCONT (timer)
  cut              the node's cluster link;                ends with lab heal NODE
  partition        the cluster network split into groups;  ends with lab heal
  storage-cut      the node's storage link;                ends with storage-heal
  tgtd-restart     tgtd SIGKILLed and started again at once
  tgtd-stop        tgtd SIGKILLed;                         ends with storage-start
"""

import random
import signal
import threading

from .util import log, now_us, stamp

PROC_KINDS = ("node-kill", "clusterd-kill", "corosync-kill")
KINDS = PROC_KINDS + ("clusterd-stop", "cut", "partition", "storage-cut",
                      "tgtd-restart", "tgtd-stop")

WEIGHTS = {
    "node-kill": 3, "clusterd-kill": 3, "corosync-kill": 2, "clusterd-stop": 3,
    "cut": 2, "partition": 3, "storage-cut": 1, "tgtd-restart": 1, "tgtd-stop": 0.5,
}

# partition shapes by node count (group sizes; the first group stays on brc)
SHAPES = {
    3: [((2, 1), 3), ((1, 1, 1), 1)],
    4: [((2, 2), 3), ((3, 1), 2), ((2, 1, 1), 1)],
    5: [((3, 2), 3), ((4, 1), 1), ((2, 2, 1), 2)],
}


def make_schedule(seed, count, nodes, hold=(0.5, 4.0), heal_every=(6, 12),
                  kinds=KINDS, max_active=None):
    """count injected faults for a lab of `nodes` nodes, from seed alone."""
    rng = random.Random("faults/%s" % seed)
    names = ["n%d" % k for k in range(1, nodes + 1)]
    if max_active is None:
        max_active = 2 if nodes <= 3 else 3
    weights = {k: w for k, w in WEIGHTS.items() if k in kinds}
    proc = {}           # node -> kind of its process fault
    net = None          # ("cut", node) | ("partition", groups)
    scut = set()
    tgtd_down = False
    steps = []
    injected = 0
    next_heal = rng.randint(*heal_every)

    def active():
        a = [("proc", n) for n in sorted(proc)]
        if net:
            a.append(("net", None))
        a += [("scut", n) for n in sorted(scut)]
        if tgtd_down:
            a.append(("tgtd", None))
        return a

    def add(step):
        step["i"] = len(steps)
        step["hold"] = round(rng.uniform(*hold), 2)
        steps.append(step)

    while injected < count:
        act = active()
        if injected >= next_heal:
            add({"op": "heal"})
            proc.clear(); net = None; scut.clear(); tgtd_down = False
            next_heal = injected + rng.randint(*heal_every)
            continue
        if act and (len(act) >= max_active or rng.random() < 0.4):
            what, node = rng.choice(act)
            if what == "proc":
                add({"op": "recover", "kind": proc.pop(node), "node": node})
            elif what == "net":
                kind, arg = net
                if kind == "cut":
                    add({"op": "recover", "kind": "cut", "node": arg})
                else:
                    add({"op": "recover", "kind": "partition", "groups": arg})
                    scut.clear()        # lab heal heals the storage links too
                net = None
            elif what == "scut":
                scut.discard(node)
                add({"op": "recover", "kind": "storage-cut", "node": node})
            else:
                tgtd_down = False
                add({"op": "recover", "kind": "tgtd-stop"})
            continue
        # a new fault among those that fit the current state
        free = [n for n in names if n not in proc]
        cand = {}
        for k, w in weights.items():
            if k in PROC_KINDS and (len(proc) >= nodes - 1 or not free):
                continue
            if k in ("cut", "partition") and net:
                continue
            if k == "storage-cut" and len(scut) >= nodes - 1:
                continue
            if k in ("tgtd-restart", "tgtd-stop") and tgtd_down:
                continue
            if k == "partition" and nodes not in SHAPES:
                continue
            cand[k] = w
        kind = rng.choices(sorted(cand), [cand[k] for k in sorted(cand)])[0]
        step = {"op": "inject", "kind": kind}
        if kind in PROC_KINDS:
            step["node"] = rng.choice(free)
            proc[step["node"]] = kind
        elif kind == "clusterd-stop":
            step["node"] = rng.choice(names)
            step["secs"] = round(rng.uniform(1, 10), 1)
        elif kind == "cut":
            step["node"] = rng.choice(names)
            net = ("cut", step["node"])
        elif kind == "partition":
            shapes = SHAPES[nodes]
            shape = rng.choices([s for s, _ in shapes], [w for _, w in shapes])[0]
            order = names[:]
            rng.shuffle(order)
            groups, at = [], 0
            for size in shape:
                groups.append(sorted(order[at:at + size]))
                at += size
            step["groups"] = groups
            net = ("partition", groups)
        elif kind == "storage-cut":
            step["node"] = rng.choice([n for n in names if n not in scut])
            scut.add(step["node"])
        elif kind == "tgtd-stop":
            tgtd_down = True
        add(step)
        injected += 1
    add({"op": "heal"})
    return steps


def describe(step):
    parts = [step["op"], step.get("kind", "")]
    if "node" in step:
        parts.append(step["node"])
    if "groups" in step:
        parts.append("|".join(",".join(g) for g in step["groups"]))
    if "secs" in step:
        parts.append("%.1fs" % step["secs"])
    return " ".join(p for p in parts if p)


class Injector:
    """Carries steps out on a lab; history: (realtime us, text) of every
    action, including the SIGCONTs of stopped clusterds."""

    def __init__(self, lab):
        self.lab = lab
        self.history = []
        self.counts = {}
        self._timers = []
        self._lock = threading.Lock()
        self.pending_start = set()     # nodes with a process fault not yet ended

    def note(self, text, t=None):
        t = now_us() if t is None else t
        with self._lock:
            self.history.append((t, text))
        log("fault: " + text)

    def do(self, step):
        """Carry one step out (a heal step only un-faults: settling is the
        caller's); returns the text put in the history."""
        op, kind = step["op"], step.get("kind")
        if op == "heal":
            self.heal_all()
            return
        lab, node = self.lab, step.get("node")
        text = "#%d %s" % (step["i"], describe(step))
        t = now_us()
        if op == "inject":
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if kind == "node-kill":
                lab.kill(node)
                self.pending_start.add(node)
            elif kind in ("clusterd-kill", "corosync-kill"):
                role = kind.split("-")[0]
                pid = lab.signal_daemon(node, role, signal.SIGKILL)
                text += " (pid %s)" % pid
                self.pending_start.add(node)
            elif kind == "clusterd-stop":
                pid = lab.signal_daemon(node, "clusterd", signal.SIGSTOP)
                text += " (pid %s)" % pid
                if pid is not None:
                    tm = threading.Timer(step["secs"], self._cont, (pid, node))
                    tm.daemon = True
                    self._timers.append(tm)
                    tm.start()
            elif kind == "cut":
                lab.cut(node)
            elif kind == "partition":
                lab.partition(step["groups"])
            elif kind == "storage-cut":
                lab.storage_cut(node)
            elif kind == "tgtd-restart":
                lab.storage_restart()
            elif kind == "tgtd-stop":
                lab.storage_stop()
        else:
            if kind in PROC_KINDS:
                lab.start(node)
                self.pending_start.discard(node)
            elif kind == "cut":
                lab.heal(node)
            elif kind == "partition":
                lab.heal()
            elif kind == "storage-cut":
                lab.storage_heal(node)
            elif kind == "tgtd-stop":
                if not lab.tgtd_running():
                    lab.storage_start()
        self.note(text, t)

    def _cont(self, pid, node):
        if self.lab.cont(pid):
            self.note("SIGCONT clusterd %s (pid %d)" % (node, pid))

    def heal_all(self):
        """End every fault: SIGCONT, network and storage healed, tgtd and
        every missing daemon started."""
        t = now_us()
        for tm in self._timers:
            tm.cancel()
        self._timers = []
        self.lab.cont_all()
        self.lab.heal()
        if not self.lab.tgtd_running():
            self.lab.storage_start()
        for node in self.lab.node_names:
            self.lab.start(node)
        self.pending_start.clear()
        self.note("heal: SIGCONT all, lab heal, tgtd and every daemon started", t)

    def around(self, t_us, before_s=20, after_s=5):
        """History lines within [t - before, t + after]."""
        lo, hi = t_us - before_s * 1000000, t_us + after_s * 1000000
        with self._lock:
            return ["%s %s" % (stamp(t), x) for t, x in self.history if lo <= t <= hi]
