"""A lab (tests/lab/lab) driven from Python: up, exec, the fault primitives
and a teardown that also runs on failure and Ctrl-C.

Safety: every command goes through tests/lab/lab, which only touches the
lab's own namespaces and processes. The only signals this module sends
itself are SIGSTOP/SIGCONT/SIGKILL to a clusterd or corosync pid that
`lab pid` named, after checking its start time, and SIGKILL to the process
group of a command it started itself when that command overran its
deadline."""

import json
import os
import signal
import subprocess
import threading

from .util import log, mono, proc_starttime, repo_dir


class LabError(Exception):
    pass


class Lab:
    def __init__(self, name, nodes, bindir, root=None, verbose=False):
        self.name = name
        self.nodes = nodes
        self.node_names = ["n%d" % k for k in range(1, nodes + 1)]
        self.bindir = bindir
        self.root = root or os.environ.get("LAB_ROOT", "/var/tmp/clusterd-lab")
        self.dir = os.path.join(self.root, name)
        self.lab = os.path.join(repo_dir(), "tests", "lab", "lab")
        self.env = dict(os.environ, LAB_BINDIR=bindir, LAB_ROOT=self.root)
        self.verbose = verbose
        self.is_up = False
        self._stopped = {}          # pid -> starttime of processes we SIGSTOPped
        self._lock = threading.Lock()

    # --- running commands -------------------------------------------------

    def run(self, args, timeout=120, check=False):
        """Run `lab ARGS...`; (rc, stdout, stderr); rc 124 on timeout."""
        return self._run([self.lab] + list(args), timeout, check)

    def _run(self, argv, timeout, check):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=self.env, text=True,
                             start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
            rc = p.returncode
        except subprocess.TimeoutExpired:
            # our own child's process group (lab exec and what it started)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = p.communicate()
            rc = 124
        if check and rc != 0:
            raise LabError("lab %s: exit %d: %s" % (" ".join(argv[1:3]), rc,
                                                     (err or out).strip()[-2000:]))
        return rc, out, err

    def exec(self, node, argv, timeout=30):
        """Run argv inside a node; (rc, stdout, stderr)."""
        return self.run(["exec", self.name, node, "--"] + list(argv), timeout=timeout)

    def ctl(self, node, argv, timeout=30):
        return self.exec(node, ["clusterctl"] + list(argv), timeout=timeout)

    def ctl_json(self, node, argv, timeout=20):
        rc, out, _ = self.ctl(node, ["--json"] + list(argv), timeout=timeout)
        if rc != 0:
            return None
        try:
            return json.loads(out)
        except ValueError:
            return None

    # --- life cycle -------------------------------------------------------

    def up(self, data_luns=1, token=1000, timeout=600):
        log("lab up %s --nodes %d --data-luns %d (LAB_BINDIR=%s)"
            % (self.name, self.nodes, data_luns, self.bindir))
        self.is_up = True      # a half-built lab is torn down too
        argv = ["up", self.name, "--nodes", str(self.nodes), "--data-luns", str(data_luns),
                "--token", str(token)]
        rc, out, err = self.run(argv, timeout=timeout)
        if rc != 0:
            # a failed up tears itself down; on a loaded machine clusterctl
            # create's 60 s membership wait can pass: one more try
            log("lab up failed (exit %d): %s; once more" % (rc, err.strip()[-300:]))
            rc, out, err = self.run(argv, timeout=timeout)
        if rc != 0:
            raise LabError("lab up failed (exit %d):\n%s%s" % (rc, out[-3000:], err[-3000:]))

    def down(self):
        """Resume what we stopped, then `lab down NAME --check`; True if clean."""
        self.cont_all()
        if not self.is_up:
            return True
        rc, out, err = self.run(["down", self.name, "--check"], timeout=300)
        if rc != 0:
            log("lab down %s --check: exit %d\n%s%s" % (self.name, rc, out[-2000:], err[-2000:]))
            rc, out, err = self.run(["down", self.name, "--check"], timeout=300)
        self.is_up = rc != 0
        return rc == 0

    def luns(self):
        rc, out, _ = self.run(["luns", self.name], check=True)
        return out.split()

    # --- processes --------------------------------------------------------

    def pid(self, node, role):
        rc, out, _ = self.run(["pid", self.name, node, role], timeout=30)
        if rc != 0:
            return None
        try:
            return int(out.strip())
        except ValueError:
            return None

    def signal_daemon(self, node, role, sig):
        """Send sig to NODE's corosync/clusterd (by `lab pid`); the pid or None."""
        pid = self.pid(node, role)
        if pid is None:
            return None
        start = proc_starttime(pid)
        if start is None:
            return None
        if sig == signal.SIGSTOP:
            with self._lock:
                self._stopped[pid] = start
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return None
        return pid

    def cont(self, pid):
        """SIGCONT a pid we stopped, if it is still that process."""
        with self._lock:
            start = self._stopped.pop(pid, None)
        if start is not None and proc_starttime(pid) == start:
            try:
                os.kill(pid, signal.SIGCONT)
                return True
            except ProcessLookupError:
                pass
        return False

    def cont_all(self):
        with self._lock:
            pids = list(self._stopped)
        for pid in pids:
            self.cont(pid)

    # --- fault primitives (each a lab command) -----------------------------

    def kill(self, node):
        return self.run(["kill", self.name, node])[0]

    def start(self, node):
        return self.run(["start", self.name, node], timeout=120)[0]

    def cut(self, node):
        return self.run(["cut", self.name, node])[0]

    def heal(self, node=None):
        return self.run(["heal", self.name] + ([node] if node else []))[0]

    def partition(self, groups):
        return self.run(["partition", self.name] + [",".join(g) for g in groups])[0]

    def storage_cut(self, node):
        return self.run(["storage-cut", self.name, node])[0]

    def storage_heal(self, node):
        return self.run(["storage-heal", self.name, node])[0]

    def storage_stop(self):
        return self.run(["storage-stop", self.name])[0]

    def storage_start(self):
        return self.run(["storage-start", self.name])[0]

    def storage_restart(self):
        return self.run(["storage-restart", self.name])[0]

    def tgtd_running(self):
        return self.pid("storage", "tgtd") is not None

    # --- files seen from the host ----------------------------------------

    def node_path(self, node, *parts):
        return os.path.join(self.dir, "nodes", node, *parts)

    def clusterd_logs(self, node):
        d = self.node_path(node, "log", "clusterd")
        try:
            return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log"))
        except OSError:
            return []

    def state_file(self, node):
        return self.node_path(node, "lib", "clusterd", "state.json")


def new_lab_name(prefix="fz"):
    """A name unique to this run ([a-z][a-z0-9]{0,7}); not from the seed."""
    return "%s%s" % (prefix, os.urandom(3).hex())


def all_up(lab, secs):
    """Every node's clusterd sees all nodes, quorate, synced, within one
    deadline of secs for all of them."""
    deadline = mono() + secs
    for node in lab.node_names:
        left = max(1, int(deadline - mono()))
        rc, _, _ = lab.ctl(node, ["wait", "--members", str(lab.nodes), "--quorate",
                                  "--synced", "--timeout", str(left)], timeout=left + 15)
        if rc != 0:
            return False
    return True
