"""Fixed regression cases (issue 12), checked by the same checker as the
random runs: tests/faults/run --scenario NAME.

Each scenario is (nodes, roles and their preferred owners, workload, body).
Waits for what today's code does (a role recovered on a survivor) have
deadlines and only note what happened: a fixed cluster may rightly refuse
to act, and the verdict is the checker's (overlap, lost acks, forks...).
"""

import signal

from .driver import harness
from .util import log, now_us, wait_until, sleep_for


def ctl_write(run, node, op, key, value=None):
    """One recorded config change on NODE: a role KEY added (stopped, empty)
    or removed, or property KEY set to value."""
    if op == "set":
        argv = ["config", "set", key, value]
    elif op == "add":
        argv = ["role", "add", key, "--stopped"]
    else:
        argv = ["role", "remove", key]
    t0 = now_us()
    rc, out, err = run.lab.ctl(node, argv, timeout=30)
    run.changes.record(op, key, node, t0, now_us(), rc, out + err, value=value)
    run.note("%s: clusterctl %s -> exit %d %s" % (node, " ".join(argv), rc, (out + err).strip()[-160:]))
    return rc


def role_on(run, via, role, want):
    """Poll VIA's view until ROLE is started on a node of WANT (a list);
    the owner or None after the deadline (noted either way)."""
    def owner():
        r = run.lab.ctl_json(via, ["role", "show", role], timeout=10) or {}
        rt = r.get("runtime") or {}
        if rt.get("state") == "started" and rt.get("owner") in want:
            return rt.get("owner")
        return None
    t0 = now_us()
    o = wait_until(30, owner, poll=0.3)
    run.note("%s sees %s %s (%.1f s)" % (via, role, "started on %s" % o if o else
                                         "not started on any of %s" % ",".join(want),
                                         (now_us() - t0) / 1e6))
    return o


def sigkill(run, node, daemon):
    pid = run.lab.signal_daemon(node, daemon, signal.SIGKILL)
    run.note("SIGKILL %s %s (pid %s)" % (daemon, node, pid))


def step(run, text, fn):
    fn()
    run.note(text)


# --- (1) issue 12 §A: a minority of clusterds commits --------------------------

def scenario_a(run):
    lab = run.lab
    sigkill(run, "n2", "clusterd")                  # its corosync still votes
    step(run, "kill n1", lambda: lab.kill("n1"))
    role_on(run, "n3", "r1", ["n3"])
    ctl_write(run, "n3", "set", "description", "written-on-n3")
    ctl_write(run, "n3", "add", "wn3")              # accumulates: must survive if acked
    sigkill(run, "n3", "clusterd")                  # r1's writer keeps running on n3
    step(run, "start n1", lambda: lab.start("n1"))
    step(run, "start n2", lambda: lab.start("n2"))
    role_on(run, "n1", "r1", ["n1", "n2"])
    ctl_write(run, "n1", "set", "description", "written-on-n1")
    ctl_write(run, "n1", "add", "wn1")
    step(run, "start n3", lambda: lab.start("n3"))


# --- (2) issue 12 §B: a partitioned node whose clusterd is dead or stopped --

def scenario_b(how):
    def body(run):
        lab = run.lab
        if how == "kill":
            sigkill(run, "n3", "clusterd")
        else:
            pid = lab.signal_daemon("n3", "clusterd", signal.SIGSTOP)
            run.note("SIGSTOP clusterd n3 (pid %s)" % pid)
        step(run, "partition n1,n2 | n3", lambda: lab.partition([["n1", "n2"], ["n3"]]))
        role_on(run, "n1", "r1", ["n1", "n2"])
        sleep_for(8)        # hold: the cut-off n3 as it is
        if how == "stop":
            lab.cont_all()
            run.note("SIGCONT clusterd n3")
            sleep_for(4)    # hold: n3's clusterd awake, still cut off
        step(run, "heal", lambda: lab.heal())
    return body


# --- found on the way: a clusterd restarted after its lease lapsed -----------

def scenario_restart(run):
    """clusterd SIGKILLed on r1's owner (its corosync stays up), restarted
    6 s later: r1 never twice, and running once again within the bound
    (the working tree of 79c7cb6 killed the restarted clusterd's probes and
    stops inside the lapsed roles cgroup, and the roles stayed stopped)."""
    lab = run.lab
    sigkill(run, "n2", "clusterd")
    role_on(run, "n1", "r1", ["n1", "n3"])
    sleep_for(10)       # hold: n2's lease surely lapsed (lease 6.6 s with token 1000)
    step(run, "start n2", lambda: lab.start("n2"))


# --- (3) issue 12 §C: an asymmetric 3|2 split on 5 nodes ----------------------

def scenario_c(rounds):
    def body(run):
        lab = run.lab
        for i in range(rounds):
            step(run, "round %d: partition n1,n2,n3 | n4,n5" % (i + 1),
                 lambda: lab.partition([["n1", "n2", "n3"], ["n4", "n5"]]))
            role_on(run, "n1", "r1", ["n1", "n2", "n3"])
            role_on(run, "n1", "r2", ["n1", "n2", "n3"])
            sleep_for(5)    # hold: the minority as it is
            step(run, "round %d: heal" % (i + 1), lambda: lab.heal())
            run.settle(run.args.bound)
            # the roles back on the minority for the next round
            if i + 1 < rounds:
                for role, node in (("r1", "n4"), ("r2", "n5")):
                    lab.ctl("n1", ["role", "move", role, node], timeout=30)
                role_on(run, "n1", "r1", ["n4"])
                role_on(run, "n1", "r2", ["n5"])
    return body


SCENARIOS = {
    # name: (nodes, roles -> preferred owner, random workload?, body, what)
    "issue12-a": (3, {"r1": "n1"}, False, scenario_a,
                  "SIGKILL clusterd n2; kill n1; config set on n3; SIGKILL clusterd n3; "
                  "start n1,n2; config set on n1; start n3"),
    "partition-dead-clusterd": (3, {"r1": "n3"}, True, scenario_b("kill"),
                                "SIGKILL clusterd n3, then partition n1,n2|n3"),
    "partition-stopped-clusterd": (3, {"r1": "n3"}, True, scenario_b("stop"),
                                   "SIGSTOP clusterd n3, then partition n1,n2|n3; SIGCONT after 8 s"),
    "clusterd-restart": (3, {"r1": "n2"}, True, scenario_restart,
                         "SIGKILL clusterd on r1's owner n2, start it again 6 s later"),
    "split-3-2": (5, {"r1": "n4", "r2": "n5", "r3": "n1"}, True, scenario_c(3),
                  "5 nodes, roles on n4 and n5, partition n1,n2,n3|n4,n5 three times"),
}


def run_scenario(args, name):
    nodes, preferred, workload, body, what = SCENARIOS[name]
    args.roles = len(preferred)
    args.no_moves = True
    log("scenario %s: %s" % (name, what))
    rc = harness(args, nodes, "scenario", name, body, preferred=preferred, workload=workload)
    log("scenario %s: %s" % (name, {0: "no violation", 1: "VIOLATIONS"}.get(rc, "exit %d" % rc)))
    return rc
