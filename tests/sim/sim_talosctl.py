"""SIMULATION: fake talosctl of groundwork's simulated cluster (tests/sim). Not the real talosctl."""
import hashlib
import json
import os
import sys
import time
import zlib

import simlib
from simlib import Exit, FlagSpec, out, err

TOOL = "talosctl"

GLOBAL = FlagSpec("talosconfig:str", "endpoints|e:list", "nodes|n:list", "context:str", "cluster:str", "help|h")

VERBS = {
    "apply-config": FlagSpec("insecure|i", "file|f:str", "mode|m:str", "dry-run", "config-patch|p:list",
                             "cert-fingerprint:list", "timeout:str"),
    "bootstrap": FlagSpec("recover-from:str", "recover-skip-hash-check"),
    "health": FlagSpec("wait-timeout:str", "control-plane-nodes:list", "worker-nodes:list", "init-node:str",
                       "k8s-endpoint:str", "server", "run-e2e"),
    "kubeconfig": FlagSpec("force|f", "merge|m", "force-context-name:str"),
    "etcd": FlagSpec("output|o:str"),
    "service": FlagSpec(),
    "version": FlagSpec("client", "short", "insecure|i"),
    "gen": FlagSpec("output-dir|o:str", "output|O:str", "force", "with-docs", "with-examples", "config-patch:list",
                    "config-patch-control-plane:list", "config-patch-worker:list", "kubernetes-version:str",
                    "talos-version:str", "install-disk:str", "install-image:str", "with-secrets:str",
                    "output-types|t:list", "additional-sans:list", "dns-domain:str", "with-cluster-discovery",
                    "with-kubespan"),
    "reset": FlagSpec("graceful", "reboot", "wait", "insecure", "system-labels-to-wipe:list", "user-disks-to-wipe:list",
                      "timeout:str", "debug"),
    "reboot": FlagSpec("wait", "mode|m:str", "timeout:str", "debug"),
    "shutdown": FlagSpec("wait", "force", "timeout:str", "debug"),
    "get": FlagSpec("output|o:str", "namespace:str", "watch|w", "insecure|i"),
}
ALIASES = {"apply": "apply-config", "kubeconfig": "kubeconfig", "services": "service"}

HELP = """talosctl (SIMULATION) -- fake talosctl of groundwork's simulated cluster (tests/sim).
Talos nodes are imaginary and live in $GROUNDWORK_SIM_STATE; only 127.0.0.0/8 node addresses exist.

Supported: apply-config, bootstrap [--recover-from], health, kubeconfig, etcd status|snapshot|members,
service [ID], version, gen config, reset, reboot, shutdown, get members.
Global flags: --talosconfig --endpoints/-e --nodes/-n --context
"""


unknown = simlib.cobra_unknown("Error: ")

SIM_SNAPSHOT_MAGIC = b"SIMULATION groundwork etcd snapshot v1\n"


def recover_real_snapshot(sim, path, data, skip_hash_check):
    """A real etcd snapshot given to `bootstrap --recover-from`: checked like etcd's restore does
    (etcd v3.5 etcdutl/snapshot/v3_snapshot.go saveDB: a file whose size % 512 == 32 ends with the
    sha256 of the rest; none and no --recover-skip-hash-check: refused), then the simulated cluster
    it stands for (remembered by `etcd snapshot` under its sha256), or the current objects when the
    sim never handed it out (a raw db copy). Errors as talosctl shows the node's answer."""
    if len(data) < 4096:
        raise Exit(1, "error: recover-from %s: snapshot file too small: not an etcd snapshot (SIMULATION)" % path)
    has_hash = len(data) % 512 == 32
    if not skip_hash_check:
        if not has_hash:
            raise Exit(1, "error executing bootstrap: rpc error: code = Unknown desc = failed to recover etcd: "
                          "snapshot missing hash but --skip-hash-check=false")
        if hashlib.sha256(data[:-32]).digest() != data[-32:]:
            raise Exit(1, "error executing bootstrap: rpc error: code = Unknown desc = failed to recover etcd: "
                          "expected sha256 %s, got %s" % (list(data[-32:]), list(hashlib.sha256(data[:-32]).digest())))
    with sim.txn(write=False) as c:
        return ((c.st.get("talos") or {}).get("snapshots") or {}).get(hashlib.sha256(data).hexdigest())


def main(sim, argv):
    parsed = simlib.parse_verb(TOOL, argv, GLOBAL, VERBS, ALIASES, HELP, unknown)
    if parsed is None:
        return 0
    verb, pos, opts = parsed
    t = Talos(sim, opts)
    return getattr(t, "cmd_" + verb.replace("-", "_"))(pos)


def split_list(vals):
    res = []
    for v in vals or []:
        res.extend(x.strip() for x in v.split(",") if x.strip())
    return res


def talos_state(c):
    """The talos section; a fresh non-bareMetal state starts with configured, bootstrapped nodes."""
    ts = c.st.setdefault("talos", {"nodes": {}, "bootstrapped": False})
    if not ts.get("initialized"):
        ts["initialized"] = True
        if not c.cfg.get("bareMetal"):
            for addr in c.cfg.get("talosNodes") or ["127.0.0.11"]:
                ts["nodes"][addr] = {"configured": True, "role": "controlplane", "configHash": "preexisting",
                                     "appliedAt": time.time()}
            ts["bootstrapped"] = True
        ts.setdefault("cluster", "sim")
    return ts


def rpc_unavailable(addr, why):
    return 'rpc error: code = Unavailable desc = connection error: desc = "%s"' % why.replace("ADDR", addr)


def merge_kubeconfig(existing, new, force):
    """Merge like talosctl: same-named entries are replaced with --force, else renamed NAME-1."""
    import copy
    res = copy.deepcopy(existing)
    rename = {}
    for sect in ("clusters", "users", "contexts"):
        items = res.get(sect) or []
        for ent in new.get(sect) or []:
            ent = copy.deepcopy(ent)
            if sect == "contexts":
                ctx = ent.get("context") or {}
                ctx["cluster"] = rename.get(("clusters", ctx.get("cluster")), ctx.get("cluster"))
                ctx["user"] = rename.get(("users", ctx.get("user")), ctx.get("user"))
            same = [i for i, x in enumerate(items) if x.get("name") == ent.get("name")]
            if same and items[same[0]] != ent and not force:
                n = 1
                while any(x.get("name") == "%s-%d" % (ent["name"], n) for x in items):
                    n += 1
                rename[(sect, ent["name"])] = "%s-%d" % (ent["name"], n)
                ent["name"] = rename[(sect, ent["name"])]
                items.append(ent)
            elif same:
                items[same[0]] = ent
            else:
                items.append(ent)
        res[sect] = items
    ctxs = new.get("contexts") or []
    if ctxs:
        res["current-context"] = rename.get(("contexts", ctxs[0]["name"]), ctxs[0]["name"])
    for k in ("apiVersion", "kind"):
        res.setdefault(k, new.get(k))
    return res


class Talos:
    def __init__(self, sim, opts):
        self.sim = sim
        self.o = opts

    def nodes(self, required=True):
        nodes = split_list(self.o.get("nodes"))
        if not nodes:
            nodes = self.config_nodes()
        if not nodes and required:
            raise Exit(1, "error: nodes are not set for the command: please use `--nodes` flag or configuration file to set the nodes to run the command against")
        for n in nodes:
            if not n.startswith("127."):
                raise Exit(1, "error: %s: %s\nSIMULATION: only 127.0.0.0/8 nodes exist in the simulated cluster"
                           % (n, rpc_unavailable(n, "transport: Error while dialing: dial tcp ADDR:50000: connect: connection refused")))
        return nodes

    def config_nodes(self):
        p = self.o.get("talosconfig") or os.environ.get("TALOSCONFIG")
        if not p or not os.path.exists(p):
            return []
        try:
            with open(p) as fh:
                tc = simlib.yaml_load(fh.read()) or {}
            ctx = (tc.get("contexts") or {}).get(self.o.get("context") or tc.get("context")) or {}
            return list(ctx.get("nodes") or ctx.get("endpoints") or [])
        except Exception:
            return []

    def secure(self):
        """Secure (non --insecure) calls need the talosconfig when one is named."""
        p = self.o.get("talosconfig")
        if p and not os.path.exists(os.path.expanduser(p)):
            raise Exit(1, "error: open %s: no such file or directory" % p)

    def configured(self, ts, addr, what):
        n = ts["nodes"].get(addr)
        if not n or not n.get("configured"):
            raise Exit(1, "error %s: %s" % (what, rpc_unavailable(addr, "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority (node ADDR is in maintenance mode)")))
        return n

    # ------------------------------------------------------------------ apply-config
    def cmd_apply_config(self, pos):
        f = self.o.get("file")
        if not f:
            raise Exit(1, "error: no filename supplied for configuration")
        if not os.path.exists(f):
            raise Exit(1, 'error: failed to read configuration from "%s": open %s: no such file or directory' % (f, f))
        with open(f) as fh:
            text = fh.read()
        try:
            docs = [d for d in simlib.yaml_load_all(text) if d is not None]
        except Exception as e:
            raise Exit(1, "error: failed to parse config: %s" % e)
        machine = next((d for d in docs if isinstance(d, dict) and "machine" in d), None)
        if machine is None:
            raise Exit(1, "error applying new configuration: rpc error: code = InvalidArgument desc = failed to parse config: "
                          "missing 'machine' section (SIMULATION: a Talos machine config needs version/machine/cluster)")
        role = (machine.get("machine") or {}).get("type", "controlplane")
        if role == "init":
            role = "controlplane"
        cluster = ((machine.get("cluster") or {}).get("clusterName")) or None
        insecure = self.o.get("insecure")
        nodes = self.nodes()
        if not insecure:
            self.secure()
        with self.sim.txn() as c:
            ts = talos_state(c)
            for addr in nodes:
                n = ts["nodes"].get(addr) or {}
                if insecure and n.get("configured"):
                    raise Exit(1, "error applying new configuration: %s" % rpc_unavailable(addr, "transport: authentication handshake failed: remote error: tls: certificate required"))
                if not insecure and not n.get("configured"):
                    raise Exit(1, "error applying new configuration: %s" % rpc_unavailable(addr, "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"))
                if self.o.get("dry_run"):
                    out("Dry run summary:\nApplied configuration without a reboot (skipped in dry-run). (SIMULATION)")
                    continue
                n.update({"configured": True, "role": role, "configHash": "%08x" % zlib.crc32(text.encode()),
                          "appliedAt": time.time(), "mode": self.o.get("mode") or "auto"})
                ts["nodes"][addr] = n
                if cluster:
                    ts["cluster"] = cluster
                if ts.get("bootstrapped"):
                    self.ensure_node(c, addr)
        if not insecure and not self.o.get("dry_run"):
            out("Applied configuration without a reboot")
        return 0

    def ensure_node(self, c, addr):
        name = "talos-" + addr.replace(".", "-")
        if not any(r["name"] == name for r in c.nodes()):
            c.put(simlib.node_object(name, addr, c.cfg))

    # ------------------------------------------------------------------ bootstrap
    def cmd_bootstrap(self, pos):
        nodes = self.nodes()
        if len(nodes) != 1:
            raise Exit(1, "error: bootstrap should be called on exactly one node (got %d)" % len(nodes))
        self.secure()
        addr = nodes[0]
        snap = None
        if self.o.get("recover_from"):
            p = self.o["recover_from"]
            if not os.path.exists(p):
                raise Exit(1, "error: open %s: no such file or directory" % p)
            with open(p, "rb") as fh:
                data = fh.read()
            if data.startswith(SIM_SNAPSHOT_MAGIC):
                try:
                    snap = json.loads(data.decode().split("\n", 1)[1])
                except Exception:
                    raise Exit(1, "error: recover-from %s: not an etcd snapshot of the simulated cluster" % p)
            else:
                snap = recover_real_snapshot(self.sim, p, data, bool(self.o.get("recover_skip_hash_check")))
        with self.sim.txn() as c:
            ts = talos_state(c)
            self.configured(ts, addr, "executing bootstrap")
            if ts["nodes"][addr].get("role") != "controlplane":
                raise Exit(1, "error executing bootstrap: rpc error: code = FailedPrecondition desc = bootstrap is not available on worker nodes")
            if ts.get("bootstrapped"):
                raise Exit(1, "error executing bootstrap: rpc error: code = AlreadyExists desc = etcd data directory is not empty")
            ts["bootstrapped"] = True
            ts["bootstrappedAt"] = time.time()
            ts["etcdWiped"] = []
            if self.o.get("recover_from"):
                ts["recoveredFrom"] = os.path.abspath(self.o["recover_from"])
            c.st["api_up"] = True
            if snap:
                c.st["objects"] = snap.get("objects", {})
                c.st["lb"] = snap.get("lb", {})
                c.st["helm"]["releases"] = snap.get("helmReleases", {})
            for a, n in ts["nodes"].items():
                if n.get("configured"):
                    self.ensure_node(c, a)
        return 0

    # ------------------------------------------------------------------ health
    def cmd_health(self, pos):
        nodes = self.nodes()
        self.secure()
        timeout = simlib.parse_duration(self.o.get("wait_timeout"), 1200.0)
        steps = ["waiting for etcd to be healthy", "waiting for etcd members to be consistent across nodes",
                 "waiting for etcd members to be control plane nodes", "waiting for apid to be ready",
                 "waiting for all nodes memory sizes", "waiting for all nodes disk sizes",
                 "waiting for kubelet to be healthy", "waiting for all nodes to finish boot sequence",
                 "waiting for all k8s nodes to report", "waiting for all control plane static pods to be running",
                 "waiting for all control plane components to be ready", "waiting for all k8s nodes to report ready",
                 "waiting for kube-proxy to report ready", "waiting for coredns to report ready",
                 "waiting for all k8s nodes to report schedulable"]

        def check():
            with self.sim.txn(write=False) as c:
                ts = talos_state(c)
                return ts.get("bootstrapped") and all((ts["nodes"].get(a) or {}).get("configured") for a in nodes)

        err("discovered nodes: %s" % json.dumps(nodes))
        if self.sim.wait_until(check, timeout):
            for s in steps:
                err("%s: OK" % s)
            return 0
        err("%s: ..." % steps[0])
        raise Exit(1, "healthcheck error: rpc error: code = DeadlineExceeded desc = context deadline exceeded")

    # ------------------------------------------------------------------ kubeconfig
    def cmd_kubeconfig(self, pos):
        nodes = self.nodes()
        self.secure()
        with self.sim.txn() as c:
            ts = talos_state(c)
            self.configured(ts, nodes[0], "getting kubeconfig")
            cluster = ts.get("cluster", "sim")
        text = simlib.kubeconfig_text(cluster=cluster, context=self.o.get("force_context_name") or "admin@%s" % cluster,
                                      user="admin@%s" % cluster)
        path = pos[0] if pos else None
        if path == "-":
            sys.stdout.write(text)
            return 0
        if path is None:
            path = self.sim.path("kubeconfig")
            err("SIMULATION: not touching ~/.kube/config; wrote %s instead" % path)
        elif os.path.isdir(path):
            path = os.path.join(path, "kubeconfig")
        d = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(d):
            raise Exit(1, "error: open %s: no such file or directory" % path)
        merge = self.o.get("merge", True)
        if merge and os.path.exists(path):
            with open(path) as fh:
                old = fh.read()
            try:
                existing = simlib.yaml_load(old) or {}
            except Exception:
                existing = None
            if isinstance(existing, dict):
                merged = merge_kubeconfig(existing, simlib.yaml_load(text), self.o.get("force"))
                if merged == existing:
                    return 0  # already up to date: the file is left untouched
                text = simlib.yaml_dump(merged)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        return 0

    # ------------------------------------------------------------------ etcd
    def cmd_etcd(self, pos):
        sub = pos[0] if pos else ""
        nodes = self.nodes()
        self.secure()
        if sub == "snapshot":
            if len(pos) != 2:
                raise Exit(1, 'Error: accepts 1 arg(s), received %d' % (len(pos) - 1))
            path = pos[1]
            with self.sim.txn(write=False) as c:
                ts = talos_state(c)
                self.configured(ts, nodes[0], "reading file")
                if not ts.get("bootstrapped"):
                    raise Exit(1, "error reading file: rpc error: code = Unknown desc = failed to create etcd client: etcd is not running (SIMULATION: not bootstrapped)")
                body = json.dumps({"objects": c.st["objects"], "lb": c.st["lb"], "helmReleases": c.st["helm"]["releases"],
                                   "revision": c.st["rv"], "at": time.time()})
                rev = c.st["rv"]
                keys = len(c.st["objects"])
            data = ("SIMULATION groundwork etcd snapshot v1\n" + body + "\n").encode()
            real = self.sim.config.get("etcdSnapshotFile")
            if real:
                # A real etcd snapshot (made by the test from a real etcd), so that etcdctl can check
                # and restore what this fake hands out; the cluster it stands for is remembered by
                # the file's sha256 for `bootstrap --recover-from`.
                with open(real, "rb") as fh:
                    data = fh.read()
                with self.sim.txn() as c:
                    c.st.setdefault("talos", {}).setdefault("snapshots", {})[hashlib.sha256(data).hexdigest()] = json.loads(body)
            part = path + ".part"
            try:
                with open(part, "wb") as fh:
                    fh.write(data)
                os.replace(part, path)
            except OSError as e:
                raise Exit(1, "error: %s" % e)
            # Output as talosctl v1.9 prints it (cmd/talosctl/cmd/talos/etcd.go, etcdSnapshotCmd).
            out('etcd snapshot saved to "%s" (%d bytes)' % (path, len(data)))
            out("snapshot info: hash %08x, revision %d, total keys %d, total size %d" % (zlib.crc32(data), rev, keys, len(data)))
            return 0
        with self.sim.txn(write=False) as c:
            ts = talos_state(c)
            for a in nodes:
                self.configured(ts, a, "getting status")
            if sub in ("status", "members") and not ts.get("bootstrapped"):
                raise Exit(1, "error getting %s: 1 error occurred:\n\t* %s: rpc error: code = Unknown desc = etcd is not running (SIMULATION: not bootstrapped)" % (sub, nodes[0]))
            cps = sorted(a for a, n in ts["nodes"].items() if n.get("configured") and n.get("role") == "controlplane")
            size = 2 * 1024 * 1024 + 1024 * len(c.st["objects"])
            rv = c.st["rv"]
        mid = lambda a: "%016x" % zlib.crc32(a.encode())  # noqa: E731
        if sub == "status":
            out("NODE          MEMBER             DB SIZE   IN USE            LEADER             RAFT INDEX   RAFT TERM   RAFT APPLIED INDEX   LEARNER   ERRORS")
            for a in nodes:
                out("%-13s %s   %-7s   %-17s %s   %-10d   %-9d   %-18d   false" % (
                    a, mid(a), "%.1f MB" % (size / 1e6), "%.1f MB (90.00%%)" % (size * 0.9 / 1e6), mid(cps[0] if cps else a), rv, 2, rv))
        elif sub == "members":
            out("NODE          ID                 HOSTNAME           PEER URLS                  CLIENT URLS                LEARNER")
            for a in cps:
                out("%-13s %s   %-18s https://%s:2380   https://%s:2379   false" % (nodes[0], mid(a), "talos-" + a.replace(".", "-"), a, a))
        elif sub in ("leave", "forfeit-leadership", "defrag", "alarm"):
            pass
        else:
            raise Exit(1, "Error: SIMULATION: talosctl etcd status|snapshot|members|leave|forfeit-leadership|defrag|alarm")
        return 0

    # ------------------------------------------------------------------ service
    def cmd_service(self, pos):
        nodes = self.nodes()
        self.secure()
        with self.sim.txn(write=False) as c:
            ts = talos_state(c)
            for a in nodes:
                n = ts["nodes"].get(a)
                if not n or not n.get("configured"):
                    raise Exit(1, "error listing services: rpc error: code = Unimplemented desc = API is not implemented in maintenance mode")
            boot = ts.get("bootstrapped")
        svcs = {"apid": True, "containerd": True, "cri": True, "etcd": boot, "kubelet": True, "machined": True,
                "trustd": True, "udevd": True}
        if pos:
            sid = pos[0]
            if sid not in svcs:
                raise Exit(1, 'error getting service: rpc error: code = NotFound desc = service "%s" not found' % sid)
            for a in nodes:
                ok = svcs[sid]
                out("NODE     %s" % a)
                out("ID       %s" % sid)
                out("STATE    %s" % ("Running" if ok else "Preparing"))
                out("HEALTH   %s" % ("OK" if ok else "?"))
                if ok:
                    out("EVENTS   [Running]: Health check successful (SIMULATION)")
                    out("         [Running]: Started task %s" % sid)
                    out("         [Preparing]: Running pre tasks")
                else:
                    out("EVENTS   [Preparing]: Running pre tasks (waiting for bootstrap; SIMULATION)")
            return 0
        out("NODE          SERVICE      STATE       HEALTH   LAST CHANGE   LAST EVENT")
        for a in nodes:
            for s, ok in svcs.items():
                out("%-13s %-12s %-11s %-8s %-13s %s" % (a, s, "Running" if ok else "Preparing", "OK" if ok else "?", "1m0s ago",
                                                          "Health check successful" if ok else "Running pre tasks"))
        return 0

    # ------------------------------------------------------------------ version
    def cmd_version(self, pos):
        v = simlib.VERSIONS["talosctl"]
        if self.o.get("short"):
            out("Client %s (SIMULATION)" % v)
        else:
            out("Client:")
            out("\tTag:         %s (SIMULATION)" % v)
            out("\tSHA:         simulation")
            out("\tBuilt:       ")
            out("\tGo version:  go1.23.4")
            out("\tOS/Arch:     linux/amd64")
        if self.o.get("client"):
            return 0
        nodes = self.nodes()
        if not self.o.get("insecure"):
            self.secure()
        with self.sim.txn(write=False) as c:
            ts = talos_state(c)
            out("Server:")
            for a in nodes:
                n = ts["nodes"].get(a) or {}
                if not n.get("configured") and not self.o.get("insecure"):
                    raise Exit(1, "error getting version: %s" % rpc_unavailable(a, "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority (node ADDR is in maintenance mode)"))
                out("\tNODE:        %s" % a)
                out("\tTag:         %s" % v)
                out("\tSHA:         simulation")
                out("\tEnabled:     RBAC")
        return 0

    # ------------------------------------------------------------------ gen config
    def cmd_gen(self, pos):
        if len(pos) < 1 or pos[0] != "config":
            raise Exit(1, "Error: SIMULATION: only `talosctl gen config CLUSTER ENDPOINT` is implemented")
        if len(pos) != 3:
            raise Exit(1, "Error: accepts 2 arg(s), received %d" % (len(pos) - 1))
        cluster, endpoint = pos[1], pos[2]
        d = self.o.get("output_dir") or self.o.get("output") or "."
        os.makedirs(d, exist_ok=True)
        types = split_list(self.o.get("output_types")) or ["controlplane", "worker", "talosconfig"]
        out("generating PKI and tokens")
        for typ in types:
            fn = os.path.join(d, typ if typ == "talosconfig" else typ + ".yaml")
            if os.path.exists(fn) and not self.o.get("force"):
                raise Exit(1, 'Error: %s already exists, use --force to overwrite' % fn)
            if typ == "talosconfig":
                text = ("# SIMULATION talosconfig (groundwork tests/sim)\ncontext: %s\ncontexts:\n  %s:\n"
                        "    endpoints: []\n    ca: U0lNVUxBVElPTg==\n    crt: U0lNVUxBVElPTg==\n    key: U0lNVUxBVElPTg==\n") % (cluster, cluster)
            else:
                text = ("# SIMULATION Talos machine config (groundwork tests/sim)\nversion: v1alpha1\nmachine:\n"
                        "  type: %s\n  token: simulation\ncluster:\n  clusterName: %s\n  controlPlane:\n"
                        "    endpoint: %s\n") % (typ, cluster, endpoint)
            fd = os.open(fn, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            out("Created %s" % fn)
        return 0

    # ------------------------------------------------------------------ reset / reboot / shutdown / get
    def cmd_reset(self, pos):
        nodes = self.nodes()
        wipe = split_list(self.o.get("system_labels_to_wipe"))
        with self.sim.txn() as c:
            ts = talos_state(c)
            if wipe and "STATE" not in wipe:
                # Only EPHEMERAL (/var, etcd's data) wiped: the machine config (STATE) stays, the
                # node comes back configured and its etcd waits for a bootstrap ("Preparing") once no
                # control plane holds etcd data any more: the Talos disaster-recovery procedure
                # (talos.dev/v1.9/advanced/disaster-recovery, "Recovery", reset --system-labels-to-wipe=EPHEMERAL).
                for a in nodes:
                    self.configured(ts, a, "executing reset")
                    if a not in ts.setdefault("etcdWiped", []):
                        ts["etcdWiped"].append(a)
                cps = [a for a, n in ts["nodes"].items() if n.get("configured") and n.get("role") == "controlplane"]
                if all(a in ts["etcdWiped"] for a in cps):
                    ts["bootstrapped"] = False
                    c.st["api_up"] = False
                return 0
            for a in nodes:
                if not self.o.get("insecure"):
                    self.configured(ts, a, "executing reset")
                ts["nodes"].pop(a, None)
                name = "talos-" + a.replace(".", "-")
                for r in list(c.nodes()):
                    if r["name"] == name:
                        c.delete(r)
            if not any(n.get("configured") and n.get("role") == "controlplane" for n in ts["nodes"].values()):
                ts["bootstrapped"] = False
                c.st["api_up"] = False
        return 0

    def cmd_reboot(self, pos):
        nodes = self.nodes()
        self.secure()
        with self.sim.txn(write=False) as c:
            ts = talos_state(c)
            for a in nodes:
                self.configured(ts, a, "executing reboot")
        return 0

    cmd_shutdown = cmd_reboot

    def cmd_get(self, pos):
        if not pos or pos[0] not in ("members", "member"):
            raise Exit(1, "Error: SIMULATION: only `talosctl get members` is implemented")
        nodes = self.nodes()
        self.secure()
        with self.sim.txn(write=False) as c:
            ts = talos_state(c)
            members = sorted(a for a, n in ts["nodes"].items() if n.get("configured"))
            roles = {a: ts["nodes"][a].get("role") for a in members}
        if self.o.get("output") == "json":
            for a in members:
                out(json.dumps({"node": nodes[0], "metadata": {"namespace": "cluster", "type": "Members.cluster.talos.dev",
                                                               "id": "talos-" + a.replace(".", "-")},
                                "spec": {"nodeId": a, "addresses": [a], "hostname": "talos-" + a.replace(".", "-"),
                                         "machineType": roles[a], "operatingSystem": "Talos (%s) SIMULATION" % simlib.VERSIONS["talosctl"]}}))
            return 0
        out("NODE          NAMESPACE   TYPE     ID                 VERSION   HOSTNAME           MACHINE TYPE   OS                 ADDRESSES")
        for a in members:
            h = "talos-" + a.replace(".", "-")
            out('%-13s cluster     Member   %-18s 1         %-18s %-14s Talos (SIM)        ["%s"]' % (nodes[0], h, h, roles[a], a))
        return 0
