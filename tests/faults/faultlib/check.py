"""The checks of the fault suite and the report of a violation.

Violations (each with a realtime stamp where one exists):
  overlap        one role's heartbeats on two nodes at once (intervals of
                 one writer process: first to last heartbeat, so a measured
                 overlap is a lower bound of the real one)
  twice-on-node  two writers of one role on one node at once
  lost-ack       an acknowledged change missing (or a removed key present)
                 on a node at the end
  diverged       nodes end with different generation/hash
  fork           one generation seen with two different documents
  not-running    a role not running exactly once within the bound after
                 the final heal
  not-converged  the nodes do not form one quorate, synced membership
  sanitizer      an ASan/UBSan report in a clusterd log
"""

import glob
import json
import os
import re
import time

from .util import now_us, stamp, wait_until, pctl
from .workload import hb_dir, rsc_of, canon_hash

SAN_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")


class Violation:
    def __init__(self, kind, text, t_us=None, role=None):
        self.kind, self.text, self.t_us, self.role = kind, text, t_us, role

    def __str__(self):
        at = (" at %s" % stamp(self.t_us)) if self.t_us else ""
        return "VIOLATION %s%s: %s" % (self.kind, at, self.text)


# --- heartbeats --------------------------------------------------------------

def read_heartbeats(lab):
    """{(resource, node, pid): [first_us, last_us, count]}"""
    runs = {}
    for path in glob.glob(os.path.join(hb_dir(lab), "*.hb")):
        try:
            with open(path) as f:
                lines = f.readlines()
        except OSError:
            continue
        for line in lines:
            p = line.split()
            if len(p) != 4 or not p[0].isdigit():
                continue
            t = int(p[0])
            key = (p[2], p[1], p[3])
            r = runs.get(key)
            if r is None:
                runs[key] = [t, t, 1]
            else:
                r[0] = min(r[0], t)
                r[1] = max(r[1], t)
                r[2] += 1
    return runs


def overlaps(runs):
    """(violations, max overlap in ms, per-resource list of writer intervals)"""
    by_rsc = {}
    for (rsc, node, pid), (a, b, n) in runs.items():
        by_rsc.setdefault(rsc, []).append((a, b, node, pid))
    out, worst = [], 0.0
    for rsc, iv in sorted(by_rsc.items()):
        iv.sort()
        for i in range(len(iv)):
            for j in range(i + 1, len(iv)):
                a1, b1, n1, p1 = iv[i]
                a2, b2, n2, p2 = iv[j]
                if a2 > b1:
                    break
                ov = min(b1, b2) - max(a1, a2)
                if ov <= 0:
                    continue
                ms = ov / 1000.0
                kind = "overlap" if n1 != n2 else "twice-on-node"
                if kind == "overlap":
                    worst = max(worst, ms)
                out.append(Violation(kind, "%s ran on %s (writer %s, %s-%s) and %s (writer %s, %s-%s): "
                                     "%.0f ms together" % (rsc, n1, p1, stamp(a1), stamp(b1),
                                                           n2, p2, stamp(a2), stamp(b2), ms),
                                     max(a1, a2), rsc))
    return out, worst, by_rsc


def outages(by_rsc, t_from, t_to, min_ms=200):
    """Gaps (ms) in which no writer of a resource ran, between t_from and
    t_to: the time each failover or move took, seen by the heartbeats."""
    gaps = []
    for rsc, iv in by_rsc.items():
        iv = sorted((a, b) for a, b, _, _ in iv if b >= t_from and a <= t_to)
        end = None
        for a, b in iv:
            if end is not None and a - end > min_ms * 1000:
                gaps.append((a - end) / 1000.0)
            end = b if end is None else max(end, b)
    return gaps


def live_writers(lab, roles, within_ms=1000):
    """{resource: [nodes with a heartbeat in the last within_ms]}"""
    now = now_us()
    live = {rsc_of(r): [] for r in roles}
    for (rsc, node, pid), (a, b, n) in read_heartbeats(lab).items():
        if rsc in live and now - b <= within_ms * 1000:
            live[rsc].append(node)
    return live


def roles_once(lab, roles, bound_s, stable_s=3.0):
    """Every role started in the state and written by exactly one live writer,
    for stable_s in a row, within bound_s. (seconds it took, or None, last view)"""
    t0 = time.monotonic()
    view = {}
    since = [None]

    def ok():
        live = live_writers(lab, roles)
        rl = lab.ctl_json("n1", ["role", "list"]) or {}
        states = {}
        for r in rl.get("roles", []) if isinstance(rl, dict) else []:
            states[r.get("name")] = (r.get("state"), r.get("owner"))
        view.clear()
        view.update({r: (states.get(r), live[rsc_of(r)]) for r in roles})
        good = all(len(live[rsc_of(r)]) == 1 and (states.get(r) or ("",))[0] == "started"
                   for r in roles)
        if not good:
            since[0] = None
            return False
        if since[0] is None:
            since[0] = time.monotonic()
        return time.monotonic() - since[0] >= stable_s

    if wait_until(bound_s + stable_s, ok, poll=0.3):
        return time.monotonic() - t0 - stable_s, dict(view)
    return None, dict(view)


# --- replicated state ---------------------------------------------------------

def final_states(lab, secs=30):
    """Every node's (generation, hash) from clusterctl status and its
    persisted document; retried until equal or secs pass."""
    res = {}

    def same():
        res.clear()
        for node in lab.node_names:
            st = lab.ctl_json(node, ["status"]) or {}
            s = st.get("state") or {}
            doc = None
            try:
                with open(lab.state_file(node)) as f:
                    doc = json.load(f)
            except (OSError, ValueError):
                pass
            res[node] = {"generation": s.get("generation"), "hash": s.get("hash"),
                         "syncing": s.get("syncing"), "doc": doc,
                         "doc_hash": canon_hash(doc) if doc else None}
        keys = {(v["generation"], v["hash"], v["doc_hash"]) for v in res.values()}
        return len(keys) == 1 and None not in next(iter(keys)) and \
            not any(v["syncing"] for v in res.values())

    ok = wait_until(secs, same, poll=0.5)
    return bool(ok), dict(res)


def check_state(lab, changes, sampler):
    out = []
    ok, res = final_states(lab)
    if not ok:
        out.append(Violation("diverged", "; ".join(
            "%s gen %s hash %s doc %s%s" % (n, v["generation"], v["hash"], v["doc_hash"],
                                           " syncing" if v["syncing"] else "")
            for n, v in sorted(res.items())), now_us()))
    exp, ops = changes.expected()
    lost = []       # (node, key, present, op); reported once per op with its nodes
    for node, v in sorted(res.items()):
        doc = v["doc"] or {}
        roles = ((doc.get("config") or {}).get("roles") or {})
        props = ((doc.get("config") or {}).get("properties") or {})
        for key, (present, o) in sorted(exp.items(), key=lambda x: x[1][1]["seq"]):
            if o["op"] == "set":
                have = props.get(key) == o["value"]
            else:
                have = key in roles
            if have != present:
                lost.append((node, key, present, o))
    by_op = {}
    for node, key, present, o in lost:
        by_op.setdefault(o["seq"], (o, present, []))[2].append(node)
    for seq, (o, present, nodes) in sorted(by_op.items()):
        what = "%s %s%s" % (o["op"], o["key"], "=" + str(o["value"]) if o["op"] == "set" else "")
        out.append(Violation("lost-ack", "%s acknowledged by %s at %s (%s) is %s on %s" % (
            what, o["node"], stamp(o["t1"]), o["out"],
            "missing" if present else "present again", ",".join(nodes)), o["t1"]))
    out += forks(sampler.seen)
    return out, res, exp, ops


def forks(seen):
    """One generation with two documents (on two nodes or one node over
    time); consecutive forked generations are one fork (one violation)."""
    by_gen = {}
    for t, node, gen, h, _epoch in seen:
        by_gen.setdefault(gen, {}).setdefault(h, []).append((t, node))
    groups = []     # [first gen, last gen, t, description of the first]
    for gen, hs in sorted(by_gen.items(), key=lambda x: x[0] or 0):
        if len(hs) < 2:
            continue
        t = min(min(t for t, _ in v) for v in hs.values())
        if groups and gen == groups[-1][1] + 1:
            groups[-1][1] = gen
            continue
        desc = "; ".join("%s on %s" % (h, ",".join(sorted({n for _, n in v})))
                         for h, v in hs.items())
        groups.append([gen, gen, t, desc])
    return [Violation("fork", "generation%s %s: two or more documents (generation %s: %s)" % (
        "s" if a != b else "", "%s-%s" % (a, b) if a != b else a, a, desc), t)
            for a, b, t, desc in groups]


# --- logs -----------------------------------------------------------------------

def check_sanitizers(lab):
    out = []
    for node in lab.node_names:
        for path in glob.glob(lab.node_path(node, "log", "*", "*.log")):
            try:
                with open(path, errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            m = SAN_RE.search(text)
            if m:
                excerpt = text[max(0, m.start() - 200):m.start() + 1500]
                out.append(Violation("sanitizer", "%s: %s\n%s" % (node, path, excerpt)))
    return out


LOG_TS = re.compile(r"^([A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d\.\d{3})")


def log_lines_around(lab, node, t_us, before_s=8, after_s=4, limit=40, grep=None):
    """clusterd log lines of a node within [t - before, t + after]."""
    year = time.gmtime(t_us // 1000000).tm_year
    lo, hi = t_us - before_s * 1000000, t_us + after_s * 1000000
    hits = []
    for path in lab.clusterd_logs(node):
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = LOG_TS.match(line)
                    if not m:
                        continue
                    try:
                        tm = time.strptime("%d %s" % (year, m.group(1)[:-4]), "%Y %b %d %H:%M:%S")
                    except ValueError:
                        continue
                    us = int(time.mktime(tm)) * 1000000 + int(m.group(1)[-3:]) * 1000
                    if lo <= us <= hi and (grep is None or grep(line)):
                        hits.append(line.rstrip())
        except OSError:
            pass
    if len(hits) > limit:
        hits = hits[:limit // 2] + ["    ... %d lines ..." % (len(hits) - limit)] + hits[-limit // 2:]
    return hits


def interesting(line):
    return (" info: state: applied" not in line and " debug:" not in line
            and "monitor" not in line)


def report(lab, seed, violations, injector, max_lines=40):
    """Print every violation with the fault history around it and each
    node's clusterd log lines around it."""
    shown = 0
    for v in violations:
        print(v)
        if v.t_us is None:
            continue
        shown += 1
        if shown > 6:
            continue        # the first few in full; the rest as one line each
        print("  seed %s; faults around %s:" % (seed, stamp(v.t_us)))
        for line in injector.around(v.t_us):
            print("    " + line)
        for node in lab.node_names:
            lines = log_lines_around(lab, node, v.t_us, limit=max_lines, grep=interesting)
            print("  %s clusterd log around it (%d lines):" % (node, len(lines)))
            for line in lines:
                print("    " + line)


def summary(violations):
    kinds = {}
    for v in violations:
        kinds[v.kind] = kinds.get(v.kind, 0) + 1
    return kinds


def percentiles(values):
    if not values:
        return "none"
    return "n %d, p50 %.0f ms, p99 %.0f ms, max %.0f ms" % (
        len(values), pctl(values, 50), pctl(values, 99), max(values))
