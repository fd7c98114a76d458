"""One run of the fault suite: a lab, the workload, the faults (a random
schedule or a scripted scenario), the final heal and the checks."""

import json
import os
import shutil
import signal
import sys
import threading

from . import check
from .faults import Injector, make_schedule, describe
from .lab import Lab, LabError, all_up, new_lab_name
from .util import log, now_us, stamp, sleep_for, repo_dir
from .workload import (Changes, ConfigWriter, Mover, StateSampler, hb_dir,
                       role_names, setup_roles)

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR, EXIT_SKIP = 0, 1, 2, 77


class Interrupted(Exception):
    pass


def _on_signal(signum, frame):
    raise Interrupted("signal %d" % signum)


class Run:
    """The harness around one lab: up, roles, workers, teardown (always)."""

    def __init__(self, args, nodes, seed, label):
        self.args, self.seed, self.label = args, seed, label
        bindir = args.bindir or os.environ.get("LAB_BINDIR") or \
            os.path.join(repo_dir(), "build", "bin")
        self.lab = Lab(new_lab_name(args.prefix), nodes, os.path.abspath(bindir))
        self.injector = Injector(self.lab)
        self.changes = Changes()
        self.stop = threading.Event()
        self.workers = []
        self.sampler = None
        self.roles = role_names(args.roles or (4 if nodes <= 3 else 5))
        self.violations = []
        self.notes = []          # mid-run observations (not violations)
        self.recoveries = []     # seconds from a heal until every role ran once
        self.t_start = now_us()
        self.out_dir = os.path.join(args.out, "%s-%s-seed%s" % (label, self.lab.name, seed))

    # --- setup ------------------------------------------------------------

    def up(self, witness=False, workload=True, preferred=None):
        self.lab.up(data_luns=1)
        if witness:
            w = self.lab.luns()[0]
            rc, out, err = self.lab.ctl("n1", ["quorum", "set", "--mode", "node-disk-majority",
                                               "--witness", w], timeout=120)
            if rc != 0:
                raise LabError("quorum set --witness: %s" % (err or out))
        setup_roles(self.lab, len(self.roles), preferred=preferred)
        took, view = check.roles_once(self.lab, self.roles, 60)
        if took is None:
            raise LabError("the roles did not all start once: %s" % view)
        log("every role runs once (%.1f s)" % took)
        self.sampler = StateSampler(self.lab, self.stop)
        self.workers = [self.sampler]
        if workload:
            self.workers.append(ConfigWriter(self.lab, self.changes, self.seed, self.stop))
            if not self.args.no_moves:
                self.workers.append(Mover(self.lab, self.roles, self.seed, self.stop))
        for w in self.workers:
            w.start()

    def note(self, text):
        self.notes.append((now_us(), text))
        self.injector.note(text)

    def settle(self, bound, final=False):
        """After a heal: one quorate synced membership, then every role once."""
        t0 = now_us()
        if not all_up(self.lab, 90):
            st = self.status_line()
            if final:
                self.violations.append(check.Violation(
                    "not-converged", "no quorate synced %d-node membership 90 s after the final heal: %s"
                    % (self.lab.nodes, st), t0))
            else:
                self.note("not converged 90 s after a heal: %s" % st)
            return False
        took, view = check.roles_once(self.lab, self.roles, bound)
        if took is None:
            text = "roles not running exactly once %d s after the heal: %s" % (
                bound, ", ".join("%s %s live on %s" % (r, s, ",".join(n) or "none")
                                 for r, (s, n) in sorted(view.items())))
            if final:
                self.violations.append(check.Violation("not-running", text, t0))
            else:
                self.note(text)
            return False
        secs = (now_us() - t0) / 1e6
        self.recoveries.append(secs)
        log("settled: %d members, every role once, %.1f s after the heal" % (self.lab.nodes, secs))
        return True

    def status_line(self):
        parts = []
        for node in self.lab.node_names:
            st = self.lab.ctl_json(node, ["status"], timeout=10)
            if not st:
                parts.append("%s: no answer" % node)
                continue
            parts.append("%s: %s members, quorate %s, gen %s" % (
                node, st.get("members"), (st.get("quorum") or {}).get("quorate"),
                (st.get("state") or {}).get("generation")))
        return "; ".join(parts)

    # --- end --------------------------------------------------------------

    def finish(self):
        """Stop the workload, heal everything, settle, check. The exit code."""
        self.stop.set()
        for w in self.workers:
            if w is not self.sampler:
                w.join(60)
        self.injector.heal_all()
        t_heal = now_us()
        self.settle(self.args.bound, final=True)
        # the sampler runs through the settling, then stops
        self.sampler.sample()
        state_v, res, exp, ops = check.check_state(self.lab, self.changes, self.sampler)
        self.violations += state_v
        runs = check.read_heartbeats(self.lab)
        ov, worst, by_rsc = check.overlaps(runs)
        self.violations += ov
        self.violations += check.check_sanitizers(self.lab)
        for w in self.workers:
            if w.error:
                self.violations.append(check.Violation("harness", w.error))
        self.violations.sort(key=lambda v: v.t_us or 0)
        gaps = check.outages(by_rsc, self.t_start, t_heal)
        acked = self.changes.acked()
        kinds = check.summary(self.violations)
        lines = [
            "%s: seed %s, %d nodes, lab %s, bindir %s" % (self.label, self.seed, self.lab.nodes,
                                                         self.lab.name, self.lab.bindir),
            ("faults: %d (%s)" % (sum(self.injector.counts.values()),
                                  ", ".join("%s %d" % kv for kv in sorted(self.injector.counts.items())))
             if self.label == "random" else
             "scripted steps: %d (history above)" % len(self.injector.history)),
            "config changes: %d sent, %d acknowledged, %d checked at the end" % (
                len(ops), len(acked), len(exp)),
            "heartbeat writers: %d, max overlap %.0f ms" % (len(runs), worst),
            "outages seen by the heartbeats (gaps > 200 ms): %s" % check.percentiles(gaps),
            "settling after heals: %s" % (", ".join("%.1f s" % s for s in self.recoveries) or "none"),
            "final state: %s" % "; ".join("%s gen %s hash %s" % (n, v["generation"], v["hash"])
                                         for n, v in sorted(res.items())),
            "violations: %d (%s)" % (len(self.violations),
                                     ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none"),
        ]
        self.summary_lines = lines
        if self.violations:
            print()
            check.report(self.lab, self.seed, self.violations, self.injector)
        print()
        for line in lines:
            print(line)
        sys.stdout.flush()
        self.save(gaps)
        return EXIT_VIOLATION if self.violations else EXIT_OK

    def save(self, gaps):
        """Keep what explains the run (the lab dir goes with `lab down`)."""
        d = self.out_dir
        try:
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "summary.txt"), "w") as f:
                f.write("\n".join(self.summary_lines) + "\n")
                for v in self.violations:
                    f.write(str(v) + "\n")
            with open(os.path.join(d, "history.txt"), "w") as f:
                for t, x in self.injector.history:
                    f.write("%s %d %s\n" % (stamp(t), t, x))
            with open(os.path.join(d, "changes.json"), "w") as f:
                json.dump(self.changes.ops, f, indent=0)
            with open(os.path.join(d, "states-seen.txt"), "w") as f:
                for t, node, gen, h, epoch in self.sampler.seen:
                    f.write("%s %s gen %s %s epoch %s\n" % (stamp(t), node, gen, h, epoch))
            with open(os.path.join(d, "outages-ms.txt"), "w") as f:
                f.write("\n".join("%.0f" % g for g in gaps) + "\n")
            if self.violations or self.args.keep_logs:
                shutil.copytree(hb_dir(self.lab), os.path.join(d, "hb"), dirs_exist_ok=True)
                for node in self.lab.node_names:
                    for sub in ("log", "lib/clusterd"):
                        src = self.lab.node_path(node, *sub.split("/"))
                        if os.path.isdir(src):
                            shutil.copytree(src, os.path.join(d, node, sub), dirs_exist_ok=True)
            log("run record in %s" % d)
        except OSError as e:
            log("cannot save the run record in %s: %s" % (d, e))

    def teardown(self):
        self.stop.set()
        self.lab.cont_all()
        if self.args.keep_lab:
            log("--keep-lab: lab %s left up (tests/lab/lab down %s --check)" % (self.lab.name, self.lab.name))
            return True
        ok = self.lab.down()
        if not ok:
            log("lab %s: down --check found leftovers" % self.lab.name)
        return ok


def harness(args, nodes, seed, label, body, witness=False, preferred=None, workload=True):
    """Run body(run) inside a lab; always tear down; the exit code."""
    if os.geteuid() != 0:
        print("the fault suite needs root (the lab): skipped")
        return EXIT_SKIP
    old = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    run = Run(args, nodes, seed, label)
    rc = EXIT_ERROR
    try:
        run.up(witness=witness, workload=workload, preferred=preferred)
        body(run)
        rc = run.finish()
    except Interrupted as e:
        log("interrupted (%s): tearing down" % e)
        rc = 130
    except (LabError, RuntimeError) as e:
        log("harness error: %s" % e)
        rc = EXIT_ERROR
    finally:
        try:
            if not run.teardown() and rc == EXIT_OK:
                rc = EXIT_ERROR
        finally:
            for s, h in old.items():
                signal.signal(s, h)
    return rc


def random_body(schedule, settle_bound):
    def body(run):
        log("schedule: %d steps, %d faults" % (len(schedule),
                                               sum(1 for s in schedule if s["op"] == "inject")))
        for step in schedule[:-1]:      # the last step is the final heal
            if step["op"] == "heal":
                run.injector.heal_all()
                run.settle(settle_bound)
                continue
            run.injector.do(step)
            if sleep_for(step["hold"], None):
                break
    return body


def random_run(args):
    nodes, seed, count = args.nodes, args.seed, args.count
    hold = (0.3, 2.0) if args.short else (0.5, 4.0)
    schedule = make_schedule(seed, count, nodes, hold=hold)
    if args.print_schedule:
        for s in schedule:
            print("%3d %-60s hold %.2f s" % (s["i"], describe(s), s["hold"]))
        return EXIT_OK
    log("fault run: SEED=%s COUNT=%d NODES=%d (replay: tests/faults/run --seed %s --count %d --nodes %d)"
        % (seed, count, nodes, seed, count, nodes))
    rc = harness(args, nodes, seed, "random", random_body(schedule, args.bound),
                 witness=args.witness)
    log("fault run: SEED=%s: %s" % (seed, {0: "no violation", 1: "VIOLATIONS"}.get(rc, "exit %d" % rc)))
    return rc
