"""SIMULATION -- shared code of groundwork's simulated cluster (tests/sim).

The programs in tests/sim/bin (kubectl, helm, talosctl, velero, flux) are FAKES.
They keep the state of an imaginary cluster in the directory named by
$GROUNDWORK_SIM_STATE and never touch a network: only files and loopback.

Layout of the state directory: see tests/sim/README.md.
"""

import contextlib
import copy
import fcntl
import json
import os
import re
import signal
import sys
import time
import zlib

SIM_DIR = os.path.dirname(os.path.abspath(__file__))
CHARTS_DIR = os.path.join(SIM_DIR, "charts")

SIM_NOTE = "SIMULATION: this is groundwork's simulated cluster (tests/sim), not the real tool."

DEFAULT_CONFIG = {
    "readyAfterPolls": 2,        # the Nth poll (get/wait/rollout) of an object sees it ready
    "readyAfterSeconds": None,   # also ready once this many seconds passed since it changed
    "maxWaitSeconds": 2.0,       # cap for waits on a condition that cannot become true
    "pollSleep": 0.02,           # pause between internal polls of wait/rollout/--wait
    "lbPool": "127.0.0.200-127.0.0.250",
    "requireCRDs": False,        # third-party kinds need their CRD applied first
    "requireStorageClass": False,  # PVCs bind only if their (or a default) StorageClass exists
    "nodes": ["sim-cp1"],        # Node objects of a fresh state (when not bareMetal)
    "bareMetal": False,          # fresh state: API down until `talosctl bootstrap`
    "apiDown": False,            # force the Kubernetes API to be unreachable
    "kubernetesVersion": "v1.31.2",
    "talosNodes": ["127.0.0.11"],  # Talos nodes configured+bootstrapped in a fresh state (not bareMetal)
}

VERSIONS = {
    "kubectl": "v1.31.2",
    "kustomize": "v5.4.2",
    "helm": "v3.16.3",
    "talosctl": "v1.9.2",
    "velero": "v1.17.1",
    "flux": "v2.4.0",
}


class Exit(Exception):
    """Stop the program with `code`, printing `msg` on stderr."""

    def __init__(self, code, msg=None):
        super().__init__(msg)
        self.code = code
        self.msg = msg


def out(text="", end="\n"):
    sys.stdout.write(text + end)


def err(text="", end="\n"):
    sys.stderr.write(text + end)


# --------------------------------------------------------------------------- yaml / time helpers

def yaml_mod():
    import yaml  # imported lazily: it costs ~25 ms
    return yaml


def yaml_load_all(text):
    yaml = yaml_mod()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))


def yaml_load(text):
    yaml = yaml_mod()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def yaml_dump(obj):
    yaml = yaml_mod()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(obj, Dumper=dumper, default_flow_style=False, sort_keys=False)


def now_iso(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def parse_iso(s):
    try:
        import calendar
        return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
    except Exception:
        return time.time()


def age(iso):
    d = max(0, int(time.time() - parse_iso(iso)))
    if d < 120:
        return "%ds" % d
    if d < 7200:
        return "%dm" % (d // 60)
    if d < 172800:
        return "%dh" % (d // 3600)
    return "%dd" % (d // 86400)


_DUR = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(s, default=None):
    """Go-style duration ('90s', '5m', '1h30m', '250ms') or plain seconds -> seconds."""
    if s is None or s == "":
        return default
    s = str(s).strip()
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    pos, total = 0, 0.0
    for m in _DUR.finditer(s):
        if m.start() != pos:
            return default
        n = float(m.group(1))
        total += n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m.group(2)]
        pos = m.end()
    if pos != len(s):
        return default
    return total


def deep_merge(a, b):
    """Merge b into a copy of a (helm values semantics: maps merge, the rest is replaced)."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return copy.deepcopy(b)
    r = copy.deepcopy(a)
    for k, v in b.items():
        if k in r and isinstance(r[k], dict) and isinstance(v, dict):
            r[k] = deep_merge(r[k], v)
        else:
            r[k] = copy.deepcopy(v)
    return r


def hash_int(text, bits=128):
    """Deterministic non-cryptographic hash (hashlib costs 12 ms of OpenSSL start-up)."""
    b = text.encode()
    h = 0
    for i in range((bits + 31) // 32):
        h = (h << 32) | zlib.crc32(b, zlib.crc32(str(i).encode()))
    return h


def new_uid(seed=None):
    h = hash_int(seed, 128) if seed is not None else int.from_bytes(os.urandom(16), "big")
    x = "%032x" % h
    return "%s-%s-4%s-a%s-%s" % (x[:8], x[8:12], x[13:16], x[17:20], x[20:32])


def short_hash(text, n=10, alphabet="bcdfghjklmnpqrstvwxz2456789"):
    h = hash_int(text, 128)
    s = ""
    for _ in range(n):
        h, r = divmod(h, len(alphabet))
        s += alphabet[r]
    return s


# --------------------------------------------------------------------------- flag parsing

class FlagSpec:
    """Flags of one command: spec entries are 'long|s:type' with type bool, str, list or opt."""

    def __init__(self, *entries, defaults=None):
        self.by_name = {}
        self.dest = {}
        self.defaults = defaults or {}
        for e in entries:
            names, _, typ = e.partition(":")
            typ = typ or "bool"
            parts = names.split("|")
            dest = parts[0].replace("-", "_")
            for p in parts:
                key = ("--" + p) if len(p) > 1 else ("-" + p)
                self.by_name[key] = (dest, typ)
            self.dest[dest] = typ

    def merged(self, other):
        r = FlagSpec()
        r.by_name = dict(self.by_name)
        r.by_name.update(other.by_name)
        r.dest = dict(self.dest)
        r.dest.update(other.dest)
        r.defaults = dict(self.defaults)
        r.defaults.update(other.defaults)
        return r


def _bool_value(v):
    lv = v.lower()
    if lv in ("true", "1", "t", "yes"):
        return True
    if lv in ("false", "0", "f", "no"):
        return False
    return None


def parse_flags(argv, spec, unknown):
    """Parse argv by spec. Returns (positionals, opts). unknown(flag) builds the Exit to raise."""
    pos, opts = [], {}
    for dest, typ in spec.dest.items():
        if typ == "list":
            opts[dest] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            pos.extend(argv[i + 1:])
            break
        if not a.startswith("-") or a == "-":
            pos.append(a)
            i += 1
            continue
        if a.startswith("--"):
            name, eq, val = a.partition("=")
            has_val = bool(eq)
        else:
            name = a[:2]
            rest = a[2:]
            has_val = bool(rest)
            val = rest[1:] if rest.startswith("=") else rest
        if name not in spec.by_name:
            raise unknown(name)
        dest, typ = spec.by_name[name]
        if typ == "bool":
            if has_val:
                b = _bool_value(val)
                if b is None:
                    raise Exit(1, 'error: invalid argument "%s" for "%s" flag: strconv.ParseBool: parsing "%s": invalid syntax' % (val, name, val))
                opts[dest] = b
            else:
                opts[dest] = True
        elif typ == "opt":
            opts[dest] = val if has_val else spec.defaults.get(dest, "true")
        else:
            if not has_val:
                if i + 1 >= len(argv):
                    raise Exit(1, "error: flag needs an argument: %s" % name)
                i += 1
                val = argv[i]
            if typ == "list":
                opts[dest].append(val)
            else:
                opts[dest] = val
        i += 1
    return pos, opts


def find_verb(argv, spec, count=1):
    """Find the first `count` positionals while skipping flags of spec (global flags).
    Returns (verbs, rest) where rest is argv without those verb tokens."""
    verbs, rest = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            rest.extend(argv[i:])
            break
        if len(verbs) < count and (not a.startswith("-") or a == "-"):
            verbs.append(a)
            i += 1
            continue
        rest.append(a)
        if a.startswith("-") and "=" not in a:
            name = a if a.startswith("--") else a[:2]
            ent = spec.by_name.get(name)
            if ent and ent[1] in ("str", "list") and (a.startswith("--") or len(a) == 2):
                if i + 1 < len(argv):
                    rest.append(argv[i + 1])
                    i += 1
        i += 1
    return verbs, rest


def cobra_unknown(prefix):
    """The unknown-flag error of a cobra CLI (helm, talosctl, velero) whose messages start with
    `prefix` ("Error: ", "An error occurred: ")."""
    def unknown(flag):
        if flag.startswith("--"):
            return Exit(1, "%sunknown flag: %s" % (prefix, flag))
        return Exit(1, "%sunknown shorthand flag: '%s' in %s" % (prefix, flag[1:], flag))
    return unknown


def verb_help(tool, verb):
    out("%s %s (SIMULATION) -- groundwork's simulated cluster; see tests/sim/README.md" % (tool, verb))


def parse_verb(tool, argv, global_spec, verbs, aliases, help_text, unknown):
    """A one-word-verb CLI (helm, talosctl): finds the verb, checks it is implemented and parses its
    flags. Returns (verb, positionals, opts), or None when it printed help instead."""
    found, rest = find_verb(argv, global_spec)
    if not found:
        parse_flags(rest, global_spec, unknown)
        out(help_text)
        return None
    verb = aliases.get(found[0], found[0])
    if verb == "help":
        out(help_text)
        return None
    if verb not in verbs:
        raise Exit(1, 'Error: unknown command "%s" for "%s"\nRun \'%s --help\' for usage.\n'
                      'SIMULATION: this fake %s does not implement it.' % (found[0], tool, tool, tool))
    pos, opts = parse_flags(rest, global_spec.merged(verbs[verb]), unknown)
    if opts.get("help"):
        verb_help(tool, verb)
        return None
    return verb, pos, opts


def parse_verbs(tool, argv, spec, help_text, unknown):
    """A two-word-verb CLI (flux, velero) with one flag set: returns (verbs, positionals, opts), or
    None when it printed help instead."""
    verbs, rest = find_verb(argv, spec, count=2)
    pos, opts = parse_flags(rest, spec, unknown)
    if not verbs or verbs[0] == "help":
        out(help_text)
        return None
    if opts.get("help"):
        verb_help(tool, " ".join(verbs))
        return None
    return verbs, pos, opts


# --------------------------------------------------------------------------- the run wrapper

# Fault actions a tool carries out itself (it reads Sim.effects): they change what the call does to
# the simulated cluster instead of failing or stopping the call (sim_velero.py: velero-restore).
EFFECT_ACTIONS = ("velero-restore",)


class Sim:
    def __init__(self, tool, state_dir, argv, start):
        self.tool = tool
        self.dir = state_dir
        self.argv = argv
        self.start = start
        self._lock_fd = None
        self._lock_depth = 0
        self._config = None
        self.recorded = False
        self.fault = None
        self.effects = []  # fired faults whose action the tool itself carries out (EFFECT_ACTIONS)

    # ---- config
    @property
    def config(self):
        if self._config is None:
            cfg = dict(DEFAULT_CONFIG)
            p = os.path.join(self.dir, "config.yaml")
            if os.path.exists(p):
                with open(p) as f:
                    data = yaml_load(f.read()) or {}
                if not isinstance(data, dict):
                    raise Exit(2, "SIMULATION: %s must be a mapping" % p)
                cfg.update(data)
            self._config = cfg
        return self._config

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    # ---- locking
    @contextlib.contextmanager
    def lock(self):
        if self._lock_depth == 0:
            self._lock_fd = os.open(self.path(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    def _read_json(self, name, default):
        try:
            with open(self.path(name)) as f:
                return json.load(f)
        except FileNotFoundError:
            return default

    def _write_json(self, name, data):
        tmp = self.path(".%s.%d.tmp" % (name, os.getpid()))
        with open(tmp, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        os.replace(tmp, self.path(name))

    @contextlib.contextmanager
    def txn(self, write=True):
        """Locked read-modify-write of state.json. Yields a Cluster."""
        with self.lock():
            data = self._read_json("state.json", None)
            if data is None:
                data = initial_state(self.config)
                write = True
            c = Cluster(self, data)
            yield c
            if write:
                self._write_json("state.json", c.st)

    # ---- calls.jsonl
    def record(self, code):
        if self.recorded:
            return
        self.recorded = True
        line = {"tool": self.tool, "argv": self.argv, "start": self.start, "end": time.time(),
                "pid": os.getpid(), "exit": code}
        if self.fault:
            line["fault"] = self.fault
        data = (json.dumps(line) + "\n").encode()
        fd = os.open(self.path("calls.jsonl"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    # ---- faults
    def apply_faults(self):
        p = self.path("faults.yaml")
        if not os.path.exists(p):
            return
        with open(p) as f:
            rules = yaml_load(f.read()) or []
        if isinstance(rules, dict):
            rules = rules.get("faults") or []
        if not isinstance(rules, list):
            raise Exit(2, "SIMULATION: %s must be a list of rules" % p)
        joined = " ".join(self.argv)
        fired = []
        with self.lock():
            counts = self._read_json("fault-counts.json", {})
            for i, r in enumerate(rules):
                if not isinstance(r, dict) or "kind" in r:  # {kind, name, effect}: object faults (sim_dr_kinds.py)
                    continue
                tools = r.get("tool")
                if tools is not None:
                    tools = tools if isinstance(tools, list) else [tools]
                    if self.tool not in tools:
                        continue
                if str(r.get("match", "")) not in joined:
                    continue
                key = "%d:%s" % (i, json.dumps(r, sort_keys=True, default=str))
                n = counts.get(key, 0) + 1
                counts[key] = n
                nth = r.get("nth")
                if nth is not None:
                    nths = nth if isinstance(nth, list) else [nth]
                    if n not in [int(x) for x in nths]:
                        continue
                first = r.get("first")
                if first is not None and n > int(first):
                    continue
                fired.append(r)
            self._write_json("fault-counts.json", counts)
        if not fired:
            return
        self.fault = ",".join(str(r.get("action", "fail")) for r in fired)
        terminal = None
        for r in fired:
            action = r.get("action", "fail")
            if action == "slow":
                time.sleep(float(r.get("seconds", 3)))
            elif action == "flood":
                n = int(r.get("lines", 100000))
                chunk = []
                for i in range(n):
                    chunk.append("SIMULATION flood line %d of %d: lorem ipsum dolor sit amet\n" % (i + 1, n))
                    if len(chunk) >= 2000:
                        sys.stdout.write("".join(chunk))
                        chunk = []
                sys.stdout.write("".join(chunk))
                sys.stdout.flush()
            elif action in ("fail", "hang", "signal", "spawn-and-hang"):
                if terminal is None:
                    terminal = r
            elif action in EFFECT_ACTIONS:
                self.effects.append(r)
            else:
                raise Exit(2, "SIMULATION: unknown fault action %r in %s" % (action, p))
        if terminal is None:
            return
        action = terminal.get("action", "fail")
        if "stdout" in terminal:
            out(str(terminal["stdout"]))
        if action == "fail":
            raise Exit(int(terminal.get("exit", 1)),
                       str(terminal.get("stderr", "SIMULATION: injected failure (faults.yaml)")))
        if "stderr" in terminal:
            err(str(terminal["stderr"]))
        sys.stdout.flush()
        sys.stderr.flush()
        if action == "signal":
            sig = int(terminal.get("signal", 9))
            self.record(-sig)
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError):
                pass  # SIGKILL/SIGSTOP cannot be caught anyway
            os.kill(os.getpid(), sig)
            time.sleep(5)
            raise Exit(1)
        if action == "spawn-and-hang":
            import subprocess
            p = subprocess.Popen(["sleep", "1000"])
            with open(self.path("grandchild.pid"), "w") as f:
                f.write("%d\n" % p.pid)
        while True:  # hang
            time.sleep(3600)

    # ---- waiting helper
    def wait_until(self, check, timeout):
        """Poll check() (which runs its own txn) until truthy. Waits on conditions that
        do not come true are capped by maxWaitSeconds. Returns the last result."""
        cap = float(self.config.get("maxWaitSeconds", 2.0))
        limit = cap if timeout is None else min(timeout, cap)
        deadline = time.time() + limit
        sleep = float(self.config.get("pollSleep", 0.02))
        while True:
            r = check()
            if r or time.time() >= deadline:
                return r
            time.sleep(sleep)


def run(tool, handler):
    """Entry point of every fake: state dir, faults, calls.jsonl, exit code."""
    start = time.time()
    argv = sys.argv[1:]
    state_dir = os.environ.get("GROUNDWORK_SIM_STATE")
    if not state_dir:
        err("SIMULATION %s: GROUNDWORK_SIM_STATE is not set; the simulated cluster needs a state "
            "directory (export GROUNDWORK_SIM_STATE=/some/dir)" % tool)
        sys.exit(2)
    try:
        os.makedirs(state_dir, exist_ok=True)
    except OSError as e:
        err("SIMULATION %s: cannot create state dir %s: %s" % (tool, state_dir, e))
        sys.exit(2)
    sim = Sim(tool, state_dir, argv, start)

    def on_signal(signum, frame):
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sim.record(-signum)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)

    code = 0
    try:
        sim.apply_faults()
        code = handler(sim, argv) or 0
    except Exit as e:
        if e.msg:
            err(e.msg)
        code = e.code
    except BrokenPipeError:
        code = 1
    except Exception:
        import traceback
        err("SIMULATION %s: internal error of the simulator:" % tool)
        traceback.print_exc()
        code = 70
    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        sys.stderr.flush()
    except Exception:
        pass
    sim.record(code)
    os._exit(code)


# --------------------------------------------------------------------------- kubeconfig

def check_kubeconfig(path, context, tool):
    """Validate --kubeconfig / --context like the real tools do."""
    if path:
        path = os.path.expanduser(path)
        if not os.path.exists(path):
            if tool == "helm":
                raise Exit(1, "Error: Kubernetes cluster unreachable: stat %s: no such file or directory" % path)
            raise Exit(1, "error: stat %s: no such file or directory" % path)
    if context and path:
        try:
            with open(path) as f:
                kc = yaml_load(f.read()) or {}
        except Exception as e:
            raise Exit(1, "error: loading kubeconfig %s: %s" % (path, e))
        names = [c.get("name") for c in (kc.get("contexts") or []) if isinstance(c, dict)]
        if context not in names:
            if tool == "helm":
                raise Exit(1, 'Error: Kubernetes cluster unreachable: context "%s" does not exist' % context)
            if tool == "kubectl":
                raise Exit(1, "error: context was not found for specified context: %s" % context)
            raise Exit(1, 'error: context "%s" does not exist in %s' % (context, path))


def kubeconfig_text(cluster="sim", server="https://127.0.0.1:6443", context="sim", user="admin"):
    return (
        "# SIMULATION kubeconfig for groundwork's simulated cluster (tests/sim). No real cluster.\n"
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: %s\n  cluster:\n    server: %s\n    insecure-skip-tls-verify: true\n"
        "contexts:\n- name: %s\n  context:\n    cluster: %s\n    user: %s\n"
        "current-context: %s\n"
        "users:\n- name: %s\n  user:\n    token: simulation-not-a-secret\n"
    ) % (cluster, server, context, cluster, user, context, user)


# --------------------------------------------------------------------------- resource types

# group, version, kind, plural, short names, namespaced, third-party
BUILTIN = [
    ("", "v1", "Namespace", "namespaces", ["ns"], False),
    ("", "v1", "Node", "nodes", ["no"], False),
    ("", "v1", "Pod", "pods", ["po"], True),
    ("", "v1", "Service", "services", ["svc"], True),
    ("", "v1", "ConfigMap", "configmaps", ["cm"], True),
    ("", "v1", "Secret", "secrets", [], True),
    ("", "v1", "ServiceAccount", "serviceaccounts", ["sa"], True),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", ["pvc"], True),
    ("", "v1", "PersistentVolume", "persistentvolumes", ["pv"], False),
    ("", "v1", "Endpoints", "endpoints", ["ep"], True),
    ("", "v1", "Event", "events", ["ev"], True),
    ("", "v1", "LimitRange", "limitranges", ["limits"], True),
    ("", "v1", "ResourceQuota", "resourcequotas", ["quota"], True),
    ("apps", "v1", "Deployment", "deployments", ["deploy"], True),
    ("apps", "v1", "StatefulSet", "statefulsets", ["sts"], True),
    ("apps", "v1", "DaemonSet", "daemonsets", ["ds"], True),
    ("apps", "v1", "ReplicaSet", "replicasets", ["rs"], True),
    ("batch", "v1", "Job", "jobs", [], True),
    ("batch", "v1", "CronJob", "cronjobs", ["cj"], True),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", [], True),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", [], True),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", [], False),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", [], False),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", ["ing"], True),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", [], False),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", ["netpol"], True),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", ["sc"], False),
    ("storage.k8s.io", "v1", "CSIDriver", "csidrivers", [], False),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", ["crd", "crds"], False),
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", [], False),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", [], False),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", ["pdb"], True),
    ("coordination.k8s.io", "v1", "Lease", "leases", [], True),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ["pc"], False),
    ("apiregistration.k8s.io", "v1", "APIService", "apiservices", [], False),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", ["hpa"], True),
]

THIRD_PARTY = [
    ("metallb.io", "v1beta1", "IPAddressPool", "ipaddresspools", [], True),
    ("metallb.io", "v1beta1", "L2Advertisement", "l2advertisements", [], True),
    ("metallb.io", "v1beta1", "BGPAdvertisement", "bgpadvertisements", [], True),
    ("metallb.io", "v1beta2", "BGPPeer", "bgppeers", [], True),
    ("cert-manager.io", "v1", "Certificate", "certificates", ["cert", "certs"], True),
    ("cert-manager.io", "v1", "CertificateRequest", "certificaterequests", ["cr", "crs"], True),
    ("cert-manager.io", "v1", "Issuer", "issuers", [], True),
    ("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", [], False),
    ("argoproj.io", "v1alpha1", "Application", "applications", ["app", "apps"], True),
    ("argoproj.io", "v1alpha1", "AppProject", "appprojects", ["appproj", "appprojs"], True),
    ("argoproj.io", "v1alpha1", "ApplicationSet", "applicationsets", ["appset", "appsets"], True),
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations", ["ks"], True),
    ("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories", ["gitrepo"], True),
    ("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories", ["helmrepo"], True),
    ("source.toolkit.fluxcd.io", "v1beta2", "OCIRepository", "ocirepositories", ["ocirepo"], True),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", ["hr"], True),
    ("velero.io", "v1", "Backup", "backups", [], True),
    ("velero.io", "v1", "Restore", "restores", [], True),
    ("velero.io", "v1", "Schedule", "schedules", [], True),
    ("velero.io", "v1", "BackupStorageLocation", "backupstoragelocations", ["bsl"], True),
    ("velero.io", "v1", "VolumeSnapshotLocation", "volumesnapshotlocations", ["vsl"], True),
    ("traefik.io", "v1alpha1", "IngressRoute", "ingressroutes", [], True),
    ("traefik.io", "v1alpha1", "Middleware", "middlewares", [], True),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors", ["smon"], True),
    ("longhorn.io", "v1beta2", "RecurringJob", "recurringjobs", ["lhrj"], True),
]


class RType:
    __slots__ = ("group", "version", "kind", "plural", "singular", "shorts", "namespaced", "third")

    def __init__(self, group, version, kind, plural, shorts, namespaced, third=False):
        self.group, self.version, self.kind, self.plural = group, version, kind, plural
        self.singular = kind.lower()
        self.shorts = list(shorts)
        self.namespaced = namespaced
        self.third = third

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def res(self):
        """'deployments.apps' / 'pods' as kubectl prints it in errors."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def kind_ref(self):
        """'deployment.apps' / 'pod' as kubectl prints it in `-o name` and apply output."""
        return "%s.%s" % (self.singular, self.group) if self.group else self.singular

    def names(self):
        return [self.plural, self.singular, self.kind.lower()] + self.shorts


_BUILTIN_TYPES = [RType(*b) for b in BUILTIN]
_THIRD_TYPES = [RType(*b, third=True) for b in THIRD_PARTY]


def guess_plural(kind):
    k = kind.lower()
    if k.endswith("y") and not k.endswith(("ay", "ey", "oy", "uy")):
        return k[:-1] + "ies"
    if k.endswith(("s", "x", "ch", "sh")):
        return k + "es"
    return k + "s"


def split_api_version(av):
    if "/" in av:
        g, v = av.split("/", 1)
        return g, v
    return "", av


# --------------------------------------------------------------------------- initial state

def initial_state(cfg):
    st = {"objects": {}, "rv": 1, "lb": {}, "api_up": not cfg.get("bareMetal"),
          "helm": {"releases": {}, "repos": {}}, "talos": {"nodes": {}, "bootstrapped": False},
          "velero": {"data": {}}, "created": time.time()}
    c = Cluster(None, st, cfg)
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    c.put({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "kubernetes", "namespace": "default"},
           "spec": {"type": "ClusterIP", "ports": [{"name": "https", "port": 443, "targetPort": 6443}]}})
    if not cfg.get("bareMetal"):
        for i, n in enumerate(cfg.get("nodes") or []):
            c.put(node_object(n, "127.0.0.%d" % (11 + i), cfg))
    return st


def node_object(name, addr, cfg):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                   "node-role.kubernetes.io/control-plane": ""}},
            "spec": {},
            "status": {"addresses": [{"type": "InternalIP", "address": addr},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"kubeletVersion": cfg.get("kubernetesVersion", "v1.31.2"),
                                    "osImage": "SIMULATION (groundwork tests/sim)"}}}


# --------------------------------------------------------------------------- the cluster model

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


class Cluster:
    """Kubernetes objects and the other tools' state; wraps the loaded state dict."""

    def __init__(self, sim, st, cfg=None):
        self.sim = sim
        self.st = st
        self.cfg = cfg if cfg is not None else (sim.config if sim else DEFAULT_CONFIG)
        self._types = None

    # ---- api reachability
    def api_reachable(self):
        return self.st.get("api_up", True) and not self.cfg.get("apiDown")

    # ---- types
    def types(self):
        if self._types is None:
            ts = list(_BUILTIN_TYPES)
            known = {(t.group, t.kind) for t in ts}
            for rec in self.st["objects"].values():
                o = rec["obj"]
                if rec["kind"] == "CustomResourceDefinition":
                    sp = o.get("spec") or {}
                    nm = sp.get("names") or {}
                    if not sp.get("group") or not nm.get("kind"):
                        continue
                    vers = sp.get("versions") or [{"name": sp.get("version", "v1")}]
                    ver = next((v.get("name") for v in vers if v.get("storage")), vers[0].get("name"))
                    t = RType(sp["group"], ver, nm["kind"], nm.get("plural") or guess_plural(nm["kind"]),
                              nm.get("shortNames") or [], sp.get("scope", "Namespaced") == "Namespaced", True)
                    if nm.get("singular"):
                        t.singular = nm["singular"]
                    if (t.group, t.kind) not in known:
                        ts.append(t)
                        known.add((t.group, t.kind))
            if not self.cfg.get("requireCRDs"):
                for t in _THIRD_TYPES:
                    if (t.group, t.kind) not in known:
                        ts.append(t)
                        known.add((t.group, t.kind))
                for rec in self.st["objects"].values():
                    if (rec["group"], rec["kind"]) not in known:
                        g, v = split_api_version(rec["obj"]["apiVersion"])
                        ts.append(RType(g, v, rec["kind"], guess_plural(rec["kind"]), [], bool(rec["ns"]), True))
                        known.add((rec["group"], rec["kind"]))
            self._types = ts
        return self._types

    def type_for(self, api_version, kind):
        g, v = split_api_version(api_version)
        for t in self.types():
            if t.group == g and t.kind == kind:
                return t
        if self.cfg.get("requireCRDs"):
            return None
        for t in _THIRD_TYPES:
            if t.group == g and t.kind == kind:
                return t
        return RType(g, v, kind, guess_plural(kind), [], not kind.startswith("Cluster"), True)

    def resolve(self, token):
        """'deploy', 'deployments.apps', 'crd', 'ipaddresspools.metallb.io' -> RType or None."""
        tok = token.lower()
        name, _, group = tok.partition(".")
        if group and re.match(r"^v\d[a-z0-9]*\.", group):
            group = group.split(".", 1)[1]
        for t in self.types():
            if name in t.names() and (not group or group == t.group):
                return t
        # kind.group where the token is the kind with a dotted group, e.g. "customresourcedefinition.apiextensions.k8s.io"
        return None

    # ---- keys and storage
    @staticmethod
    def key(group, kind, ns, name):
        return "%s/%s/%s/%s" % (group, kind, ns or "", name)

    def rec_type(self, rec):
        return self.type_for(rec["obj"]["apiVersion"], rec["kind"])

    def get(self, t, ns, name):
        return self.st["objects"].get(self.key(t.group, t.kind, ns if t.namespaced else "", name))

    def list(self, t, ns=None):
        """Records of type t, in namespace ns (None: all namespaces). Sorted by ns, name."""
        r = [rec for rec in self.st["objects"].values()
             if rec["group"] == t.group and rec["kind"] == t.kind and (ns is None or not t.namespaced or rec["ns"] == ns)]
        r.sort(key=lambda x: (x["ns"], x["name"]))
        return r

    def ns_exists(self, ns):
        return self.key("", "Namespace", "", ns) in self.st["objects"]

    def next_rv(self):
        self.st["rv"] += 1
        return str(self.st["rv"])

    def put(self, obj, t=None, applied=None):
        """Create or update an object. Returns ('created'|'configured'|'unchanged', rec)."""
        if t is None:
            t = self.type_for(obj["apiVersion"], obj["kind"])
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        ns = md.get("namespace", "") if t.namespaced else ""
        if not t.namespaced:
            md.pop("namespace", None)
        name = md["name"]
        k = self.key(t.group, t.kind, ns, name)
        desired = copy.deepcopy(obj)
        desired.pop("status", None)
        old = self.st["objects"].get(k)
        now = time.time()
        if old is None:
            md["uid"] = new_uid()
            md["creationTimestamp"] = now_iso(now)
            md["resourceVersion"] = self.next_rv()
            md["generation"] = 1
            defaults_on_create(self, t, obj)
            status = obj.pop("status", None)
            rec = {"group": t.group, "kind": t.kind, "ns": ns, "name": name, "obj": obj,
                   "applied": desired if applied is None else applied, "polls": 0, "changed": now}
            if status and t.kind in ("Node",):
                obj["status"] = status
            self.st["objects"][k] = rec
            self._types = None
            return "created", rec
        prev_applied = old.get("applied") or {}
        if json.dumps(prev_applied, sort_keys=True) == json.dumps(desired, sort_keys=True):
            return "unchanged", old
        oo = old["obj"]
        omd = oo.get("metadata", {})
        new = copy.deepcopy(obj)
        new.pop("status", None)
        nmd = new["metadata"]
        for fld in ("labels", "annotations"):
            merged = {}
            prev_fld = (prev_applied.get("metadata") or {}).get(fld) or {}
            for kk, vv in (omd.get(fld) or {}).items():
                if kk not in prev_fld:
                    merged[kk] = vv  # set out of band (kubectl label/annotate): kept
            merged.update(nmd.get(fld) or {})
            if merged:
                nmd[fld] = merged
        for fld in ("uid", "creationTimestamp"):
            if fld in omd:
                nmd[fld] = omd[fld]
        defaults_on_create(self, t, new, old=oo)
        gen = omd.get("generation", 1)
        if json.dumps(new.get("spec"), sort_keys=True) != json.dumps(oo.get("spec"), sort_keys=True):
            gen += 1
            old["polls"] = 0
            old["changed"] = now
        nmd["generation"] = gen
        nmd["resourceVersion"] = self.next_rv()
        if "status" in oo:
            new["status"] = oo["status"]
        old["obj"] = new
        old["applied"] = desired if applied is None else applied
        self._types = None
        return "configured", old

    def touch(self, rec):
        """An out-of-band change (label, annotate, patch): new resourceVersion."""
        rec["obj"]["metadata"]["resourceVersion"] = self.next_rv()
        self._types = None

    def delete(self, rec):
        k = self.key(rec["group"], rec["kind"], rec["ns"], rec["name"])
        self.st["objects"].pop(k, None)
        self._types = None
        if rec["kind"] == "Namespace":
            for kk in [kk for kk, r in self.st["objects"].items() if r["ns"] == rec["name"]]:
                del self.st["objects"][kk]
            for rk in [rk for rk, r in self.st["helm"]["releases"].items() if r["namespace"] == rec["name"]]:
                del self.st["helm"]["releases"][rk]
        elif rec["kind"] == "CustomResourceDefinition":
            sp = rec["obj"].get("spec") or {}
            g = sp.get("group")
            kd = (sp.get("names") or {}).get("kind")
            for kk in [kk for kk, r in self.st["objects"].items() if r["group"] == g and r["kind"] == kd]:
                del self.st["objects"][kk]
        self.st["lb"].pop(self.key(rec["group"], rec["kind"], rec["ns"], rec["name"]), None)

    # ---- readiness
    def threshold(self, rec):
        ann = (rec["obj"].get("metadata") or {}).get("annotations") or {}
        v = ann.get("sim.groundwork/ready-after-polls")
        if v is not None:
            if str(v).strip() in ("never", "-1"):
                return None
            try:
                return int(v)
            except ValueError:
                pass
        return int(self.cfg.get("readyAfterPolls", 2))

    def is_ready(self, rec):
        n = self.threshold(rec)
        if n is None:
            return False
        if rec["polls"] >= n:
            return True
        secs = self.cfg.get("readyAfterSeconds")
        if secs is not None and time.time() - rec.get("changed", 0) >= float(secs):
            return True
        return False

    def mark_ready(self, rec):
        n = self.threshold(rec)
        if n is not None:
            rec["polls"] = max(rec["polls"], n)

    def refresh(self, rec, poll=True):
        """One observation of the object: counts a poll, then recomputes its status."""
        if poll:
            rec["polls"] += 1
        fn = GROUP_STATUS_FUNCS.get((rec["group"], rec["kind"])) or STATUS_FUNCS.get(rec["kind"])
        if fn:
            fn(self, rec)
        return rec["obj"]

    # ---- derived pods
    def workload_pods(self, ns=None):
        """Pods that the workloads of ns (None: all) would run: list of (owner rec, pod obj)."""
        res = []
        for rec in list(self.st["objects"].values()):
            if rec["kind"] not in WORKLOADS or rec["group"] not in ("apps", "batch"):
                continue
            if ns is not None and rec["ns"] != ns:
                continue
            res.extend((rec, p) for p in synth_pods(self, rec))
        return res

    def nodes(self):
        return [r for r in self.st["objects"].values() if r["kind"] == "Node" and r["group"] == ""]


def defaults_on_create(c, t, obj, old=None):
    md = obj["metadata"]
    if t.kind == "Namespace" and t.group == "":
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif t.kind == "Service" and t.group == "":
        sp = obj.setdefault("spec", {})
        sp.setdefault("type", "ClusterIP")
        if old is not None and (old.get("spec") or {}).get("clusterIP"):
            sp["clusterIP"] = old["spec"]["clusterIP"]
        if "clusterIP" not in sp:
            n = hash_int("%s/%s" % (md.get("namespace"), md["name"]), 32)
            sp["clusterIP"] = "127.43.%d.%d" % ((n >> 8) % 256, n % 254 + 1)
        sp.setdefault("clusterIPs", [sp["clusterIP"]])
        for p in sp.get("ports") or []:
            p.setdefault("protocol", "TCP")
    elif t.kind in ("Deployment", "StatefulSet") and t.group == "apps":
        obj.setdefault("spec", {}).setdefault("replicas", 1)


# --------------------------------------------------------------------------- status computation

def _cond(ctype, ok, reason_ok="Ready", reason_no="Progressing", msg_ok="", msg_no="", t=None):
    return {"type": ctype, "status": "True" if ok else "False",
            "reason": reason_ok if ok else reason_no,
            "message": msg_ok if ok else msg_no,
            "lastTransitionTime": now_iso(t)}


def _progress(c, rec, total):
    """Replicas done so far: all when ready, else a growing part below total."""
    if c.is_ready(rec):
        return total
    n = c.threshold(rec)
    if n is None or n <= 0:
        return 0
    return min(total - 1, total * max(rec["polls"] - 1, 0) // n) if total else 0


def _omit_zero(d):
    return {k: v for k, v in d.items() if v not in (0, None) or k in ("replicas", "observedGeneration")}


def status_deployment(c, rec):
    o = rec["obj"]
    if rec["polls"] == 0:
        o["status"] = {}
        return
    r = int((o.get("spec") or {}).get("replicas", 1))
    done = _progress(c, rec, r)
    ok = done == r
    gen = o["metadata"].get("generation", 1)
    st = _omit_zero({"observedGeneration": gen, "replicas": r, "updatedReplicas": done,
                     "readyReplicas": done, "availableReplicas": done, "unavailableReplicas": r - done})
    st["conditions"] = [
        _cond("Available", ok, "MinimumReplicasAvailable", "MinimumReplicasUnavailable",
              "Deployment has minimum availability.", "Deployment does not have minimum availability."),
        _cond("Progressing", True, "NewReplicaSetAvailable" if ok else "ReplicaSetUpdated", "",
              'ReplicaSet "%s" has %s.' % (o["metadata"]["name"], "successfully progressed" if ok else "is progressing")),
    ]
    o["status"] = st


def status_statefulset(c, rec):
    o = rec["obj"]
    if rec["polls"] == 0:
        o["status"] = {"replicas": 0, "availableReplicas": 0}
        return
    r = int((o.get("spec") or {}).get("replicas", 1))
    done = _progress(c, rec, r)
    rev = "%s-%s" % (o["metadata"]["name"], short_hash(json.dumps(o.get("spec"), sort_keys=True), 10))
    st = _omit_zero({"observedGeneration": o["metadata"].get("generation", 1), "replicas": r,
                     "readyReplicas": done, "currentReplicas": done, "updatedReplicas": done,
                     "availableReplicas": done})
    st.update({"currentRevision": rev, "updateRevision": rev, "collisionCount": 0})
    o["status"] = st


def status_daemonset(c, rec):
    o = rec["obj"]
    desired = len(c.nodes())
    if rec["polls"] == 0:
        o["status"] = {"desiredNumberScheduled": 0, "currentNumberScheduled": 0, "numberReady": 0,
                       "numberMisscheduled": 0}
        return
    done = _progress(c, rec, desired)
    o["status"] = {"observedGeneration": o["metadata"].get("generation", 1),
                   "desiredNumberScheduled": desired, "currentNumberScheduled": desired,
                   "numberReady": done, "updatedNumberScheduled": done, "numberAvailable": done,
                   "numberUnavailable": desired - done, "numberMisscheduled": 0}
    if not o["status"]["numberUnavailable"]:
        del o["status"]["numberUnavailable"]
    if not done:
        del o["status"]["numberAvailable"]


def status_job(c, rec):
    o = rec["obj"]
    ok = c.is_ready(rec)
    st = {"startTime": o["metadata"]["creationTimestamp"]}
    if ok:
        st.update({"succeeded": 1, "completionTime": now_iso(),
                   "conditions": [_cond("Complete", True, "CompletionsReached", "", "Reached expected number of succeeded pods")]})
    else:
        st["active"] = 1
    o["status"] = st


def claim_names(spec):
    return [v["persistentVolumeClaim"]["claimName"] for v in (spec or {}).get("volumes") or []
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict)
            and v["persistentVolumeClaim"].get("claimName")]


def pvc_consumed(c, ns, name):
    for rec in c.st["objects"].values():
        if rec["ns"] != ns:
            continue
        o = rec["obj"]
        if rec["kind"] == "Pod" and rec["group"] == "":
            if name in claim_names(o.get("spec")):
                return True
        elif rec["kind"] in WORKLOADS:
            tpl = ((o.get("spec") or {}).get("template") or {})
            if rec["kind"] == "Job":
                pass
            if name in claim_names(tpl.get("spec")):
                return True
    return False


def storage_class_ok(c, pvc):
    if not c.cfg.get("requireStorageClass"):
        return True
    scs = c.list(c.resolve("storageclasses"))
    want = (pvc.get("spec") or {}).get("storageClassName")
    if want:
        return any(r["name"] == want for r in scs)
    return any(((r["obj"]["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true")
               for r in scs)


def status_pvc(c, rec):
    o = rec["obj"]
    sp = o.setdefault("spec", {})
    bound = (o.get("status") or {}).get("phase") == "Bound"
    if not bound and pvc_consumed(c, rec["ns"], rec["name"]) and storage_class_ok(c, o):
        bound = True
    if bound:
        sp.setdefault("volumeName", "pvc-" + o["metadata"]["uid"])
        o["status"] = {"phase": "Bound", "accessModes": sp.get("accessModes") or ["ReadWriteOnce"],
                       "capacity": ((sp.get("resources") or {}).get("requests") or {"storage": "1Gi"})}
    else:
        o["status"] = {"phase": "Pending"}


def pod_status(c, ns, spec, ready, created):
    missing = []
    for cl in claim_names(spec):
        r = c.st["objects"].get(c.key("", "PersistentVolumeClaim", ns, cl))
        if r is None:
            missing.append(cl)
        else:
            status_pvc(c, r)
            if r["obj"]["status"].get("phase") != "Bound":
                missing.append(cl)
    ok = ready and not missing
    containers = [ct.get("name", "main") for ct in (spec or {}).get("containers") or [{"name": "main"}]]
    st = {"phase": "Running" if ok else "Pending",
          "conditions": [_cond("PodScheduled", not missing, "", "Unschedulable", "",
                               'persistentvolumeclaim "%s" not found' % missing[0] if missing else ""),
                         _cond("Initialized", True, "", ""),
                         _cond("ContainersReady", ok, "", "ContainersNotReady"),
                         _cond("Ready", ok, "", "ContainersNotReady")],
          "startTime": created}
    if ok or not missing:
        st["podIP"] = "127.244.%d.%d" % (len(ns) % 250, (hash(created) % 250) + 1)
        st["containerStatuses"] = [{"name": n, "ready": ok, "started": ok, "restartCount": 0,
                                    "image": "simulation", "state": {"running": {"startedAt": created}} if ok
                                    else {"waiting": {"reason": "ContainerCreating"}}} for n in containers]
    return st


def status_pod(c, rec):
    o = rec["obj"]
    o["status"] = pod_status(c, rec["ns"], o.get("spec"), c.is_ready(rec), o["metadata"]["creationTimestamp"])


def status_crd(c, rec):
    o = rec["obj"]
    nm = (o.get("spec") or {}).get("names") or {}
    o["status"] = {"acceptedNames": nm,
                   "conditions": [_cond("NamesAccepted", True, "NoConflicts", "", "no conflicts found"),
                                  _cond("Established", c.is_ready(rec), "InitialNamesAccepted", "Installing",
                                        "the initial names have been accepted", "the CRD is being established")],
                   "storedVersions": [v.get("name") for v in (o.get("spec") or {}).get("versions") or []
                                      if v.get("storage")]}


def lb_ranges(c):
    """Address ranges of IPAddressPool objects (loopback only), [] if there is no pool."""
    pools = [r for r in c.st["objects"].values() if r["kind"] == "IPAddressPool" and r["group"] == "metallb.io"]
    if not pools:
        return None
    ranges = []
    for p in pools:
        for a in ((p["obj"].get("spec") or {}).get("addresses") or []):
            rg = parse_range(str(a))
            if rg and all(x >> 24 == 127 for x in rg):
                ranges.append(rg)
    if not ranges:
        ranges = [parse_range(str(c.cfg.get("lbPool", "127.0.0.200-127.0.0.250")))]
    return ranges


def ip2int(s):
    parts = [int(x) for x in s.split(".")]
    if len(parts) != 4 or any(p < 0 or p > 255 for p in parts):
        raise ValueError(s)
    return (parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]


def int2ip(n):
    return "%d.%d.%d.%d" % (n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255)


def parse_range(s):
    try:
        s = s.strip()
        if "-" in s:
            a, b = s.split("-", 1)
            return (ip2int(a.strip()), ip2int(b.strip()))
        if "/" in s:
            a, bits = s.split("/", 1)
            base = ip2int(a) & ~((1 << (32 - int(bits))) - 1) & 0xFFFFFFFF
            size = 1 << (32 - int(bits))
            return (base, base + size - 1)
        n = ip2int(s)
        return (n, n)
    except (ValueError, IndexError):
        return None


def status_service(c, rec):
    o = rec["obj"]
    sp = o.get("spec") or {}
    k = c.key("", "Service", rec["ns"], rec["name"])
    if sp.get("type") != "LoadBalancer":
        c.st["lb"].pop(k, None)
        o["status"] = {"loadBalancer": {}}
        return
    ip = c.st["lb"].get(k)
    if ip is None:
        ranges = lb_ranges(c)
        if ranges is not None:
            ann = o["metadata"].get("annotations") or {}
            want = ann.get("metallb.io/loadBalancerIPs") or ann.get("metallb.universe.tf/loadBalancerIPs") or sp.get("loadBalancerIP")
            used = set(c.st["lb"].values())
            if want:
                want = str(want).split(",")[0].strip()
                if want not in used:
                    ip = want
            else:
                for lo, hi in ranges:
                    for n in range(lo, hi + 1):
                        if int2ip(n) not in used:
                            ip = int2ip(n)
                            break
                    if ip:
                        break
            if ip:
                c.st["lb"][k] = ip
    o["status"] = {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"}]} if ip else {}}


def status_ingress(c, rec):
    o = rec["obj"]
    ips = sorted(set(c.st["lb"].values()))
    o["status"] = {"loadBalancer": {"ingress": [{"ip": ips[0]}]} if ips else {}}


def status_ready_condition(c, rec):
    o = rec["obj"]
    ok = c.is_ready(rec)
    st = o.get("status") or {}
    st["observedGeneration"] = o["metadata"].get("generation", 1)
    st["conditions"] = [_cond("Ready", ok, "Ready" if rec["kind"] != "Kustomization" else "ReconciliationSucceeded",
                              "Progressing", "SIMULATION: %s is ready" % rec["kind"], "reconciliation in progress")]
    o["status"] = st


def status_certificate(c, rec):
    o = rec["obj"]
    sp = o.get("spec") or {}
    ref = sp.get("issuerRef") or {}
    kind = ref.get("kind", "Issuer")
    ik = c.key("cert-manager.io", kind, rec["ns"] if kind == "Issuer" else "", ref.get("name", ""))
    issuer = c.st["objects"].get(ik)
    if issuer is None:
        o["status"] = {"conditions": [_cond("Ready", False, "", "Pending", "",
                                            'Issuing certificate as Secret does not exist: %s "%s" not found' % (kind, ref.get("name")))]}
        return
    ok = c.is_ready(rec) and c.is_ready(issuer)
    st = {"conditions": [_cond("Ready", ok, "Ready", "Issuing", "Certificate is up to date and has not expired",
                               "Issuing certificate as Secret does not exist")]}
    if ok:
        st.update({"notBefore": now_iso(), "notAfter": now_iso(time.time() + 90 * 86400),
                   "renewalTime": now_iso(time.time() + 60 * 86400), "revision": 1})
        sec = sp.get("secretName")
        if sec and c.key("", "Secret", rec["ns"], sec) not in c.st["objects"]:
            c.put({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
                   "metadata": {"name": sec, "namespace": rec["ns"],
                                "annotations": {"cert-manager.io/certificate-name": rec["name"]}},
                   "data": {"tls.crt": "U0lNVUxBVElPTg==", "tls.key": "U0lNVUxBVElPTg=="}})
    o["status"] = st


def status_issuer(c, rec):
    o = rec["obj"]
    ok = c.is_ready(rec)
    st = {"conditions": [_cond("Ready", ok, "ACMEAccountRegistered" if "acme" in (o.get("spec") or {}) else "IsReady",
                               "Pending", "The issuer is ready (SIMULATION)", "waiting")]}
    if "acme" in (o.get("spec") or {}):
        st["acme"] = {"uri": "https://127.0.0.1/acme/acct/simulation"}
    o["status"] = st


def status_application(c, rec):
    o = rec["obj"]
    ok = c.is_ready(rec)
    o["status"] = {"sync": {"status": "Synced" if ok else "OutOfSync",
                            "revision": short_hash(rec["name"], 40, "0123456789abcdef")},
                   "health": {"status": "Healthy" if ok else "Progressing"},
                   "reconciledAt": now_iso(),
                   "operationState": {"phase": "Succeeded" if ok else "Running"}}


def status_node(c, rec):
    o = rec["obj"]
    st = o.get("status") or {}
    st["conditions"] = [_cond("Ready", True, "KubeletReady", "", "kubelet is posting ready status (SIMULATION)")]
    o["status"] = st


def status_namespace(c, rec):
    rec["obj"]["status"] = {"phase": "Active"}


STATUS_FUNCS = {
    "Deployment": status_deployment,
    "StatefulSet": status_statefulset,
    "DaemonSet": status_daemonset,
    "Job": status_job,
    "Pod": status_pod,
    "PersistentVolumeClaim": status_pvc,
    "CustomResourceDefinition": status_crd,
    "Service": status_service,
    "Ingress": status_ingress,
    "Certificate": status_certificate,
    "Issuer": status_issuer,
    "ClusterIssuer": status_issuer,
    "Application": status_application,
    "Kustomization": status_ready_condition,
    "GitRepository": status_ready_condition,
    "HelmRepository": status_ready_condition,
    "OCIRepository": status_ready_condition,
    "HelmRelease": status_ready_condition,
    "Node": status_node,
    "Namespace": status_namespace,
    "BackupStorageLocation": lambda c, rec: status_velero_bsl(c, rec),
}

# (API group, kind) -> status function; checked before STATUS_FUNCS (kinds whose names other
# groups use too: Cluster, Volume, Backup, Restore). Filled by sim_dr_kinds.install().
GROUP_STATUS_FUNCS = {}


def synth_pods(c, rec):
    """The pods a workload runs, derived from its readiness (not stored)."""
    o = rec["obj"]
    sp = o.get("spec") or {}
    tpl = sp.get("template") or {}
    if rec["kind"] == "Job":
        tpl = sp.get("template") or {}
    labels = dict((tpl.get("metadata") or {}).get("labels") or {})
    name = rec["name"]
    ns = rec["ns"]
    created = o["metadata"]["creationTimestamp"]
    ready = c.is_ready(rec)
    pods = []
    if rec["kind"] == "Deployment":
        r = int(sp.get("replicas", 1))
        h = short_hash(name + json.dumps(tpl, sort_keys=True), 10)
        done = _progress(c, rec, r) if rec["polls"] else 0
        labels["pod-template-hash"] = h
        for i in range(r):
            pods.append(("%s-%s-%s" % (name, h, short_hash("%s%d" % (h, i), 5)), "ReplicaSet", "%s-%s" % (name, h), i < done))
    elif rec["kind"] == "StatefulSet":
        r = int(sp.get("replicas", 1))
        done = _progress(c, rec, r) if rec["polls"] else 0
        for i in range(r):
            pods.append(("%s-%d" % (name, i), "StatefulSet", name, i < done))
    elif rec["kind"] == "DaemonSet":
        nodes = c.nodes()
        done = _progress(c, rec, len(nodes)) if rec["polls"] else 0
        for i, n in enumerate(nodes):
            pods.append(("%s-%s" % (name, short_hash(name + n["name"], 5)), "DaemonSet", name, i < done))
    elif rec["kind"] == "Job":
        pods.append(("%s-%s" % (name, short_hash(name, 5)), "Job", name, ready))
    res = []
    for pname, okind, oname, pready in pods:
        spec = copy.deepcopy(tpl.get("spec") or {})
        nodes = c.nodes()
        if nodes:
            spec.setdefault("nodeName", nodes[0]["name"])
        st = pod_status(c, ns, spec, pready, created)
        if rec["kind"] == "Job" and pready:
            st["phase"] = "Succeeded"
        res.append({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": pname, "namespace": ns, "labels": dict(labels),
                                 "uid": new_uid(ns + "/" + pname),
                                 "creationTimestamp": created, "resourceVersion": o["metadata"].get("resourceVersion", "1"),
                                 "ownerReferences": [{"apiVersion": "apps/v1" if okind != "Job" else "batch/v1",
                                                      "kind": okind, "name": oname, "controller": True}]},
                    "spec": spec, "status": st})
    return res


# --------------------------------------------------------------------------- admission webhooks

def webhook_check(c, t, obj, operation="CREATE"):
    """Return an error message if an admission webhook for obj cannot be reached, else None.
    A webhook is reachable when a ready workload backs its Service. Each failed call lets the
    backing workloads make progress (counts as a poll)."""
    for vk in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for rec in list(c.st["objects"].values()):
            if rec["kind"] != vk:
                continue
            for wh in rec["obj"].get("webhooks") or []:
                if wh.get("failurePolicy") == "Ignore":
                    continue
                svc = ((wh.get("clientConfig") or {}).get("service")) or None
                if not svc:
                    continue
                if not _webhook_matches(wh, t, operation):
                    continue
                svc_ns, svc_name = svc.get("namespace", "default"), svc.get("name", "")
                srec = c.st["objects"].get(c.key("", "Service", svc_ns, svc_name))
                backing = []
                if srec is not None:
                    sel = ((srec["obj"].get("spec") or {}).get("selector")) or {}
                    for w in c.st["objects"].values():
                        if w["kind"] in ("Deployment", "DaemonSet", "StatefulSet") and w["ns"] == svc_ns and sel:
                            lbl = (((w["obj"].get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
                            if all(lbl.get(k) == v for k, v in sel.items()):
                                backing.append(w)
                if any(c.is_ready(w) for w in backing):
                    continue
                for w in backing:
                    w["polls"] += 1
                path = svc.get("path", "/validate")
                reason = ('no endpoints available for service "%s"' % svc_name if backing or srec is None
                          else 'service "%s" not found' % svc_name)
                if srec is not None and backing:
                    ip = (srec["obj"].get("spec") or {}).get("clusterIP", "127.43.0.1")
                    reason = "dial tcp %s:443: connect: connection refused" % ip
                return ('Internal error occurred: failed calling webhook "%s": failed to call webhook: '
                        'Post "https://%s.%s.svc:443%s?timeout=10s": %s'
                        % (wh.get("name", "webhook"), svc_name, svc_ns, path, reason))
    return None


def _webhook_matches(wh, t, operation):
    for rule in wh.get("rules") or []:
        groups = rule.get("apiGroups") or ["*"]
        res = rule.get("resources") or ["*"]
        ops = rule.get("operations") or ["*"]
        res_ok = any(r == "*" or r.startswith("*/") or r == t.plural or r.startswith(t.plural + "/") for r in res)
        if ("*" in groups or t.group in groups) and res_ok and ("*" in ops or operation in ops):
            return True
    return False


# --------------------------------------------------------------------------- label / field selectors

def parse_selector(s):
    """'a=b,c!=d,e,!f,g in (x,y)' -> list of predicates over a labels dict."""
    preds = []
    if not s:
        return preds
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.match(r"^([\w./-]+)\s+(in|notin)\s+\((.*)\)$", p)
        if m:
            k, op, vals = m.group(1), m.group(2), [v.strip() for v in m.group(3).split(",")]
            if op == "in":
                preds.append(lambda l, k=k, vals=vals: l.get(k) in vals)
            else:
                preds.append(lambda l, k=k, vals=vals: l.get(k) not in vals)
        elif "!=" in p:
            k, v = p.split("!=", 1)
            preds.append(lambda l, k=k.strip(), v=v.strip(): l.get(k) != v)
        elif "==" in p or "=" in p:
            k, v = re.split("==?", p, maxsplit=1)
            preds.append(lambda l, k=k.strip(), v=v.strip(): l.get(k) == v)
        elif p.startswith("!"):
            preds.append(lambda l, k=p[1:].strip(): k not in l)
        else:
            preds.append(lambda l, k=p: k in l)
    return preds


def selector_match(preds, obj):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(p(labels) for p in preds)


def field_match(sel, obj):
    if not sel:
        return True
    for part in sel.split(","):
        neg = "!=" in part
        k, v = re.split("!=|==?", part, maxsplit=1)
        cur = obj
        for seg in k.strip().split("."):
            cur = cur.get(seg) if isinstance(cur, dict) else None
        val = "" if cur is None else str(cur)
        if (val == v.strip()) == neg:
            return False
    return True


# --------------------------------------------------------------------------- jsonpath

class JPError(Exception):
    pass


def jp_parse_template(tpl):
    """kubectl jsonpath template -> node list: ('text', s) | ('expr', steps) | ('range', steps, nodes)."""
    tokens = []
    i = 0
    while i < len(tpl):
        j = tpl.find("{", i)
        if j < 0:
            tokens.append(("text", tpl[i:]))
            break
        if j > i:
            tokens.append(("text", tpl[i:j]))
        k, depth, q = j + 1, 1, None
        while k < len(tpl):
            ch = tpl[k]
            if q:
                if ch == "\\":
                    k += 1
                elif ch == q:
                    q = None
            elif ch in "\"'":
                q = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if k >= len(tpl):
            raise JPError("unclosed action")
        tokens.append(("action", tpl[j + 1:k].strip()))
        i = k + 1
    root = []
    stack = [root]
    for kind, s in tokens:
        if kind == "text":
            stack[-1].append(("text", s))
        elif s.startswith("range "):
            node = ("range", jp_parse_expr(s[6:].strip()), [])
            stack[-1].append(node)
            stack.append(node[2])
        elif s == "end":
            if len(stack) == 1:
                raise JPError("not in range, nothing to end")
            stack.pop()
        elif s[:1] in "\"'" and s[-1:] == s[:1]:
            stack[-1].append(("text", _unescape(s[1:-1])))
        else:
            stack[-1].append(("expr", jp_parse_expr(s)))
    return root


def _unescape(s):
    return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r").replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")


def jp_parse_expr(e):
    """'.a.b[0].c[*].d[?(@.type=="Ready")].e' -> list of steps."""
    steps = []
    i = 0
    if e.startswith("$"):
        i = 1
    n = len(e)
    while i < n:
        ch = e[i]
        if ch == ".":
            if e[i + 1:i + 2] == ".":
                steps.append(("recurse",))
                i += 2
                continue
            i += 1
            name = ""
            while i < n and e[i] not in ".[":
                if e[i] == "\\" and i + 1 < n:
                    name += e[i + 1]
                    i += 2
                    continue
                name += e[i]
                i += 1
            if name == "*":
                steps.append(("all",))
            elif name:
                steps.append(("field", name))
        elif ch == "[":
            j = i + 1
            depth, q = 1, None
            while j < n:
                c = e[j]
                if q:
                    if c == q:
                        q = None
                elif c in "\"'":
                    q = c
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inner = e[i + 1:j].strip()
            i = j + 1
            if inner == "*":
                steps.append(("all",))
            elif inner.startswith("?(") and inner.endswith(")"):
                steps.append(("filter", _jp_filter(inner[2:-1].strip())))
            elif inner[:1] in "\"'":
                for part in re.findall(r"'([^']*)'|\"([^\"]*)\"", inner):
                    steps.append(("field", part[0] or part[1]))
            elif ":" in inner:
                a, _, b = inner.partition(":")
                steps.append(("slice", int(a) if a.strip() else None, int(b.split(":")[0]) if b.split(":")[0].strip() else None))
            elif re.fullmatch(r"-?\d+", inner):
                steps.append(("index", int(inner)))
            else:
                steps.append(("field", inner))
        else:
            # bare field at the start ("items[*]" without a dot)
            name = ""
            while i < n and e[i] not in ".[":
                name += e[i]
                i += 1
            if name:
                steps.append(("field", name))
    return steps


def _jp_filter(f):
    m = re.match(r"^@((?:\.[\w\-/\\.]+?|\['[^']*'\])*)\s*(==|!=|<=|>=|<|>|=~)\s*(.+)$", f)
    if not m:
        m2 = re.match(r"^@((?:\.[\w\-/]+)+)$", f)
        if m2:
            return (jp_parse_expr(m2.group(1)), "exists", None)
        raise JPError("unsupported filter: %s" % f)
    lhs, op, rhs = m.group(1), m.group(2), m.group(3).strip()
    if rhs[:1] in "\"'" and rhs[-1:] == rhs[:1]:
        val = rhs[1:-1]
    elif rhs in ("true", "false"):
        val = rhs == "true"
    else:
        try:
            val = int(rhs)
        except ValueError:
            try:
                val = float(rhs)
            except ValueError:
                val = rhs
    return (jp_parse_expr(lhs), op, val)


def jp_eval(steps, values):
    cur = list(values)
    for st in steps:
        nxt = []
        kind = st[0]
        for v in cur:
            if kind == "field":
                if isinstance(v, dict) and st[1] in v:
                    nxt.append(v[st[1]])
            elif kind == "all":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif kind == "index":
                if isinstance(v, list) and -len(v) <= st[1] < len(v):
                    nxt.append(v[st[1]])
            elif kind == "slice":
                if isinstance(v, list):
                    nxt.extend(v[st[1]:st[2]])
            elif kind == "recurse":
                nxt.extend(_jp_walk(v))
            elif kind == "filter":
                lhs, op, val = st[1]
                items = v if isinstance(v, list) else (list(v.values()) if isinstance(v, dict) else [])
                for it in items:
                    got = jp_eval(lhs, [it])
                    if op == "exists":
                        if got:
                            nxt.append(it)
                        continue
                    if not got:
                        continue
                    g = got[0]
                    if _jp_compare(g, op, val):
                        nxt.append(it)
        cur = nxt
    return cur


def _jp_compare(g, op, val):
    try:
        if op == "==":
            return g == val or str(g) == str(val)
        if op == "!=":
            return not (g == val or str(g) == str(val))
        if op == "=~":
            return re.search(str(val).strip("/"), str(g)) is not None
        a, b = (float(g), float(val))
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except (TypeError, ValueError):
        return False


def _jp_walk(v):
    res = [v]
    if isinstance(v, dict):
        for x in v.values():
            res.extend(_jp_walk(x))
    elif isinstance(v, list):
        for x in v:
            res.extend(_jp_walk(x))
    return res


def jp_format(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def jsonpath(template, data):
    nodes = jp_parse_template(template)
    return _jp_render(nodes, data)


def _jp_render(nodes, data):
    outp = []
    for nd in nodes:
        if nd[0] == "text":
            outp.append(nd[1])
        elif nd[0] == "expr":
            outp.append(" ".join(jp_format(x) for x in jp_eval(nd[1], [data])))
        else:
            for item in jp_eval(nd[1], [data]):
                outp.append(_jp_render(nd[2], item))
    return "".join(outp)


def status_velero_bsl(c, rec):
    """velero.io BackupStorageLocation: the velero server validates it (velero v1.17
    pkg/controller/backup_storage_location_controller.go): phase Available with lastValidationTime
    once a ready Deployment runs in its namespace (the simulated server); no phase before."""
    server = [r for r in c.st["objects"].values()
              if r["kind"] == "Deployment" and r["group"] == "apps" and r["ns"] == rec["ns"]]
    if any(c.is_ready(r) for r in server):
        st = rec["obj"].setdefault("status", {})
        if st.get("phase") != "Available":
            st.update({"phase": "Available", "lastValidationTime": now_iso()})

# --------------------------------------------------------------------------- DR kinds
# CloudNativePG, Longhorn and K8up objects: tests/sim/sim_dr_kinds.py
import sim_dr_kinds  # noqa: E402

sim_dr_kinds.install()
