"""SIMULATION: a fake k3s server node for groundwork's tests (tests/sim/k3s-node). Not k3s.

The programs in bin/ (`k3s`, `systemctl`, `sudo`) are put first on the PATH of a throwaway
OpenSSH server's sessions (tests/e2e/lib.sh start_sshd with `SetEnv PATH=…` and
`SetEnv K3S_SIM_STATE=…`), so that ssh steps meet a k3s server node that checks its flags like the
real one and records every call. State lives in $K3S_SIM_STATE: state.json (k3s running or not,
what etcd holds), calls.jsonl (one JSON line a call: tool, argv, exit), config.yaml (knobs:
`snapshotFile`: a real etcd snapshot the fake `etcd-snapshot save` copies; `nodeName`, default
k3s-1; `dataDir`, default /var/lib/rancher/k3s under $K3S_SIM_STATE/root; `resetDelay`: seconds
`server --cluster-reset` waits before it acts).

Commands and messages as in k3s v1.31 (docs.k3s.io/cli/etcd-snapshot, "Creating Snapshots",
"Restoring a Cluster from a Snapshot"; docs.k3s.io/cli/server, --cluster-reset and
--cluster-reset-restore-path; the "snapshot path does not exist" and "Managed etcd cluster
membership has been reset" messages from k3s-io/k3s pkg/etcd/etcd.go, as quoted in
k3s-io/k3s#8166). The CLI is urfave/cli: an unknown flag is "Incorrect Usage: flag provided but not
defined: -x", exit 1.
"""
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time

VERSION = "v1.31.2+k3s1"


class Exit(Exception):
    def __init__(self, code, msg=""):
        super().__init__(msg)
        self.code, self.msg = code, msg


def state_dir():
    d = os.environ.get("K3S_SIM_STATE")
    if not d:
        raise Exit(2, "SIMULATION: K3S_SIM_STATE is not set (the fake k3s node keeps its state there)")
    os.makedirs(d, exist_ok=True)
    return d


def config():
    p = os.path.join(state_dir(), "config.yaml")
    cfg = {}
    if os.path.exists(p):
        # key: value lines only (no PyYAML needed on the "node")
        for line in open(p):
            if ":" in line and not line.lstrip().startswith("#"):
                k, v = line.split(":", 1)
                cfg[k.strip()] = v.strip().strip('"')
    return cfg


class State:
    """state.json under an flock, read-modify-write."""

    def __enter__(self):
        d = state_dir()
        self.lock = open(os.path.join(d, ".lock"), "a")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.path = os.path.join(d, "state.json")
        self.st = {"running": True, "etcd": "healthy", "restoredFrom": None, "restoredSha256": None}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.st.update(json.load(f))
        return self.st

    def __exit__(self, *exc):
        if exc[0] is None:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.st, f)
            os.replace(tmp, self.path)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()
        return False


def data_dir(cfg):
    return cfg.get("dataDir") or os.path.join(state_dir(), "root/var/lib/rancher/k3s")


def log(level, msg):
    sys.stderr.write('%s[0000] %s\n' % (level, msg))


def parse(argv, flags):
    """urfave/cli flags: --f v, --f=v, -f v; bools without a value. Returns (opts, positional)."""
    opts, pos, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and a != "-":
            name, _, val = a.lstrip("-").partition("=")
            kind = flags.get(name)
            if kind is None:
                raise Exit(1, "Incorrect Usage: flag provided but not defined: -%s" % name)
            key = kind[1]
            if kind[0] == "bool":
                opts[key] = val.lower() not in ("false", "0") if val else True
            else:
                if not val and "=" not in a:
                    i += 1
                    if i >= len(argv):
                        raise Exit(1, "Incorrect Usage: flag needs an argument: -%s" % name)
                    val = argv[i]
                opts[key] = val
        else:
            pos.append(a)
        i += 1
    return opts, pos


def check_hash(path, data):
    """etcd's restore check (etcd v3.5 etcdutl/snapshot/v3_snapshot.go saveDB), which k3s' restore
    runs without SkipHashCheck."""
    if len(data) % 512 != 32:
        raise Exit(1, "FATA[0000] starting kubernetes: preparing server: start managed database: "
                      "snapshot missing hash but --skip-hash-check=false")
    if hashlib.sha256(data[:-32]).digest() != data[-32:]:
        raise Exit(1, "FATA[0000] starting kubernetes: preparing server: start managed database: "
                      "expected sha256 %s, got %s" % (list(data[-32:]), list(hashlib.sha256(data[:-32]).digest())))


# ---------------------------------------------------------------------------------------- k3s
SNAP_FLAGS = {"name": ("str", "name"), "dir": ("str", "dir"), "etcd-snapshot-dir": ("str", "dir"),
              "snapshot-compress": ("bool", "compress"), "etcd-snapshot-compress": ("bool", "compress"),
              "data-dir": ("str", "data_dir"), "d": ("str", "data_dir"), "debug": ("bool", "debug"),
              "config": ("str", "config"), "c": ("str", "config"), "node-name": ("str", "node_name"),
              "o": ("str", "output"), "output": ("str", "output")}
SERVER_FLAGS = {"cluster-reset": ("bool", "cluster_reset"), "cluster-reset-restore-path": ("str", "restore_path"),
                "data-dir": ("str", "data_dir"), "d": ("str", "data_dir"), "config": ("str", "config"),
                "c": ("str", "config"), "token": ("str", "token"), "t": ("str", "token"), "debug": ("bool", "debug"),
                "etcd-s3": ("bool", "s3")}


def k3s(argv):
    cfg = config()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("NAME:\n   k3s - Kubernetes, but small and simple (SIMULATION: fake k3s node of groundwork's tests)\n\n"
              "COMMANDS:\n   server, etcd-snapshot, kubectl, --version")
        return 0
    if argv[0] in ("--version", "-v", "version"):
        print("k3s version %s (simulation)\ngo version go1.22.8" % VERSION)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "etcd-snapshot":
        return etcd_snapshot(cfg, rest)
    if cmd == "server":
        return server(cfg, rest)
    if cmd == "kubectl":
        return kubectl(cfg, rest)
    raise Exit(1, "SIMULATION: k3s %s is not simulated (server, etcd-snapshot, kubectl)" % cmd)


def etcd_snapshot(cfg, argv):
    sub = argv[0] if argv and not argv[0].startswith("-") else "save"
    opts, pos = parse(argv[1:] if argv and argv[0] == sub else argv, SNAP_FLAGS)
    ddir = opts.get("data_dir") or data_dir(cfg)
    sdir = opts.get("dir") or os.path.join(ddir, "server/db/snapshots")
    node = cfg.get("nodeName") or "k3s-1"
    with State() as st:
        running, etcd = st["running"], st["etcd"]
    if sub == "save":
        if pos:
            raise Exit(1, "FATA[0000] save does not take positional arguments")
        if not running or etcd != "healthy":
            raise Exit(1, "FATA[0000] etcd database not found in %s/server/db/etcd "
                          "(SIMULATION: the k3s server is not running with a healthy etcd)" % ddir)
        src = cfg.get("snapshotFile")
        if not src or not os.path.exists(src):
            raise Exit(1, "SIMULATION: config.yaml snapshotFile (a real etcd snapshot to hand out) is not set or missing")
        os.makedirs(sdir, exist_ok=True)
        name = "%s-%s-%d" % (opts.get("name") or "on-demand", node, int(time.time()))
        dest = os.path.join(sdir, name)
        shutil.copyfile(src, dest + ".part")
        os.replace(dest + ".part", dest)
        log("INFO", "Snapshot %s saved." % name)
        return 0
    if sub in ("ls", "list", "l"):
        print("%-45s %-70s %-10s %s" % ("Name", "Location", "Size", "Created"))
        if os.path.isdir(sdir):
            for f in sorted(os.listdir(sdir)):
                p = os.path.join(sdir, f)
                print("%-45s %-70s %-10d %s" % (f, "file://" + p, os.path.getsize(p),
                                                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.path.getmtime(p)))))
        return 0
    if sub in ("delete", "prune"):
        return 0
    raise Exit(1, "Incorrect Usage: no such subcommand %s (SIMULATION)" % sub)


def server(cfg, argv):
    opts, pos = parse(argv, SERVER_FLAGS)
    ddir = opts.get("data_dir") or data_dir(cfg)
    if opts.get("restore_path") and not opts.get("cluster_reset"):
        raise Exit(1, "FATA[0000] Error: invalid flag use; --cluster-reset required with --cluster-reset-restore-path")
    if not opts.get("cluster_reset"):
        raise Exit(1, "SIMULATION: a plain `k3s server` would run in the foreground: start it with `systemctl start k3s`")
    if cfg.get("resetDelay"):  # test knob: a reset that takes a while (to be interrupted)
        time.sleep(float(cfg["resetDelay"]))
    with State() as st:
        if st["running"]:
            raise Exit(1, "FATA[0000] starting kubernetes: preparing server: init cluster datastore and https: "
                          "listen tcp :6443: bind: address already in use (SIMULATION: k3s is running; systemctl stop k3s first)")
        p = opts.get("restore_path")
        if p:
            if not os.path.exists(p):
                raise Exit(1, "FATA[0000] starting kubernetes: preparing server: start managed database: "
                              "etcd: snapshot path does not exist: %s" % p)
            with open(p, "rb") as f:
                data = f.read()
            check_hash(p, data)
            st["restoredFrom"] = os.path.abspath(p)
            st["restoredSha256"] = hashlib.sha256(data).hexdigest()
            log("INFO", "Pre-restore etcd database moved to %s/server/db/etcd-old-%d" % (ddir, int(time.time())))
        st["etcd"] = "reset"
        st["resets"] = st.get("resets", 0) + 1
    log("INFO", "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now. "
                "Backup and delete ${datadir}/server/db on each peer etcd server and rejoin the nodes")
    return 0


def kubectl(cfg, argv):
    with State() as st:
        up = st["running"] and st["etcd"] in ("healthy",)
    if not up:
        raise Exit(1, "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?")
    args = " ".join(argv)
    if args in ("get --raw /healthz/etcd", "get --raw=/healthz/etcd", "get --raw /readyz", "get --raw=/readyz"):
        print("ok")
        return 0
    if argv[:2] == ["get", "nodes"]:
        if "--no-headers" not in argv:
            print("NAME    STATUS   ROLES                       AGE   VERSION")
        print("%s   Ready    control-plane,etcd,master   5m    %s" % (cfg.get("nodeName") or "k3s-1", VERSION))
        return 0
    raise Exit(1, "SIMULATION: k3s kubectl %s is not simulated (get --raw /healthz/etcd, get nodes)" % args)


# ---------------------------------------------------------------------------------- systemctl
def systemctl(argv):
    args = [a for a in argv if not a.startswith("-")]
    if len(args) != 2 or args[1] not in ("k3s", "k3s.service"):
        raise Exit(1, "SIMULATION: systemctl start|stop|restart|is-active|status k3s only")
    verb = args[0]
    with State() as st:
        if verb == "stop":
            st["running"] = False
            return 0
        if verb in ("start", "restart"):
            st["running"] = True
            if st["etcd"] == "reset":  # k3s restarted without --cluster-reset after a reset: serves again
                st["etcd"] = "healthy"
            return 0
        running = st["running"]
    if verb == "is-active":
        print("active" if running else "inactive")
        return 0 if running else 3
    if verb == "status":
        print("● k3s.service - Lightweight Kubernetes\n     Active: %s" %
              ("active (running)" if running else "inactive (dead)"))
        return 0 if running else 3
    raise Exit(1, "Unknown command verb %s." % verb)


def sudo(argv):
    """groundwork's `sudo -S -p '' -- CMD…` (orchestrator/run/remote_runner.cc) or `sudo -n CMD…`:
    the fake node's sessions run as the test's user already; the password line, if any, is read."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--":
            i += 1
            break
        if argv[i] == "-p":
            i += 1
        i += 1
    if not argv[i:]:
        raise Exit(1, "usage: sudo -S -p '' -- command (SIMULATION)")
    os.execvp(argv[i], argv[i:])


def main(tool):
    argv = sys.argv[1:]
    code, msg = 0, ""
    try:
        if tool == "sudo":
            sudo(argv)
        code = {"k3s": k3s, "systemctl": systemctl}[tool](argv)
    except Exit as e:
        code, msg = e.code, e.msg
    if msg:
        sys.stderr.write(msg + "\n")
    try:
        with open(os.path.join(state_dir(), "calls.jsonl"), "a") as f:
            f.write(json.dumps({"tool": tool, "argv": argv, "exit": code, "at": time.time()}) + "\n")
    except Exit:
        pass
    sys.exit(code)
