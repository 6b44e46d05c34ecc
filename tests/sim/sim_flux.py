"""SIMULATION: fake flux CLI of groundwork's simulated cluster (tests/sim). Not the real flux."""
import simlib
from simlib import Exit, FlagSpec, out, err

TOOL = "flux"

GLOBAL = FlagSpec("kubeconfig:str", "context:str", "namespace|n:str", "timeout:str", "verbose", "help|h",
                  "insecure-skip-tls-verify", "server:str", "token:str", "cache-dir:str")

SPEC = FlagSpec(
    # check
    "pre", "components:list", "components-extra:list", "poll-interval:str",
    # bootstrap git / install
    "url:str", "branch:str", "path:str", "private-key-file:str", "password:str", "username|u:str", "token-auth",
    "silent|s", "interval:str", "author-name:str", "author-email:str", "ca-file:str", "commit-message-appendix:str",
    "gpg-key-id:str", "gpg-key-ring:str", "gpg-passphrase:str", "network-policy", "watch-all-namespaces",
    "cluster-domain:str", "version|v:str", "registry:str", "image-pull-secret:str", "log-level:str",
    "allow-insecure-http", "ssh-key-algorithm:str", "ssh-hostname:str", "recurse-submodules", "secret-name:str",
    "toleration-keys:list", "force", "export",
    # get / reconcile / uninstall
    "all-namespaces|A", "with-source", "status-selector:str", "no-header", "keep-namespace", "dry-run", "client")

CONTROLLERS = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"]

HELP = """flux (SIMULATION) -- fake flux CLI of groundwork's simulated cluster (tests/sim). No git is contacted.

Supported: check [--pre], install, bootstrap git, get kustomizations|sources git, reconcile kustomization,
version, uninstall.
"""


def unknown(flag):
    return Exit(1, "\u2717 unknown flag: %s" % flag)


def ok(msg):
    err("\u2714 " + msg)


def step(msg):
    err("\u25ba " + msg)


def main(sim, argv):
    parsed = simlib.parse_verbs(TOOL, argv, GLOBAL.merged(SPEC), HELP, unknown)
    if parsed is None:
        return 0
    verbs, pos, opts = parsed
    f = Flux(sim, opts)
    verb = verbs[0]
    pos = verbs[1:] + pos
    if verb == "version":
        return f.version()
    simlib.check_kubeconfig(opts.get("kubeconfig"), opts.get("context"), TOOL)
    with sim.txn(write=False) as c:
        if not c.api_reachable():
            raise Exit(1, '\u2717 Kubernetes client initialization failed: Get "https://127.0.0.1:6443/api": dial tcp 127.0.0.1:6443: connect: connection refused')
    fn = getattr(f, "cmd_" + verb, None)
    if fn is None:
        raise Exit(1, '\u2717 unknown command "%s" for "flux" (SIMULATION: not implemented)' % verb)
    return fn(pos)


class Flux:
    def __init__(self, sim, opts):
        self.sim = sim
        self.o = opts
        self.ns = opts.get("namespace") or "flux-system"

    def cmd_check(self, pos):
        step("checking prerequisites")
        with self.sim.txn() as c:
            ver = c.cfg.get("kubernetesVersion", "v1.31.2").lstrip("v")
            ok("Kubernetes %s >=1.30.0-0" % ver)
            if self.o.get("pre"):
                ok("prerequisites checks passed")
                return 0
            step("checking version in cluster")
            ok("distribution: flux-%s (SIMULATION)" % simlib.VERSIONS["flux"])
            step("checking controllers")
            bad = []
            dt = c.resolve("deployments")
            for name in CONTROLLERS:
                rec = c.get(dt, self.ns, name)
                if rec is None:
                    bad.append(name)
                    err("\u2717 %s: deployment not found" % name)
                    continue
                c.refresh(rec)
                if c.is_ready(rec):
                    ok("%s: deployment ready" % name)
                else:
                    bad.append(name)
                    err("\u2717 %s: deployment not ready" % name)
        if bad:
            raise Exit(1, "\u2717 check failed")
        ok("all checks passed")
        return 0

    def install_components(self, c):
        step("installing components in \"%s\" namespace" % self.ns)
        if not c.ns_exists(self.ns):
            c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.ns}})
        for plural, group, kind, short in (("gitrepositories", "source.toolkit.fluxcd.io", "GitRepository", "gitrepo"),
                                           ("helmrepositories", "source.toolkit.fluxcd.io", "HelmRepository", "helmrepo"),
                                           ("kustomizations", "kustomize.toolkit.fluxcd.io", "Kustomization", "ks"),
                                           ("helmreleases", "helm.toolkit.fluxcd.io", "HelmRelease", "hr")):
            _, rec = c.put({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                            "metadata": {"name": "%s.%s" % (plural, group)},
                            "spec": {"group": group, "scope": "Namespaced",
                                     "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "shortNames": [short]},
                                     "versions": [{"name": "v1" if kind != "HelmRelease" else "v2", "served": True, "storage": True}]}})
            c.mark_ready(rec)
        for name in CONTROLLERS:
            _, rec = c.put({"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": name, "namespace": self.ns, "labels": {"app": name}},
                            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                                     "template": {"metadata": {"labels": {"app": name}},
                                                  "spec": {"containers": [{"name": "manager", "image": "simulation/%s" % name}]}}}})
            c.mark_ready(rec)
            c.refresh(rec, poll=False)
        ok("installed components")
        ok("reconciled components")

    def cmd_install(self, pos):
        with self.sim.txn() as c:
            self.install_components(c)
        return 0

    def cmd_bootstrap(self, pos):
        if not pos or pos[0] != "git":
            raise Exit(1, "\u2717 SIMULATION: only `flux bootstrap git` is implemented")
        url = self.o.get("url")
        if not url:
            raise Exit(1, '\u2717 required flag(s) "url" not set')
        if not url.startswith(("ssh://", "https://", "http://", "file://")):
            raise Exit(1, "\u2717 git URL scheme '%s' not supported, can be: ssh, http and https" % url.split(":")[0])
        branch = self.o.get("branch") or "main"
        path = self.o.get("path") or "."
        step("connecting to %s (SIMULATION: no git is contacted)" % url)
        step('cloning branch "%s" from Git repository "%s"' % (branch, url))
        ok("cloned repository")
        step("generating component manifests")
        ok("generated component manifests")
        ok('committed component manifests to "%s" ("simulation")' % branch)
        with self.sim.txn() as c:
            self.install_components(c)
            step('determining if source secret "%s/flux-system" exists' % self.ns)
            c.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "flux-system", "namespace": self.ns},
                   "data": {"identity": "U0lNVUxBVElPTg=="}})
            ok("source secret up to date")
            step("generating sync manifests")
            c.put({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                   "metadata": {"name": "flux-system", "namespace": self.ns},
                   "spec": {"interval": self.o.get("interval") or "1m0s", "url": url, "ref": {"branch": branch},
                            "secretRef": {"name": "flux-system"}}})
            c.put({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                   "metadata": {"name": "flux-system", "namespace": self.ns},
                   "spec": {"interval": "10m0s", "path": path, "prune": True,
                            "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}})
            ok("generated sync manifests")
            ok('committed sync manifests to "%s" ("simulation")' % branch)
            step("applying sync manifests")
            ok("reconciled sync configuration")
        for kind in ("GitRepository", "Kustomization"):
            err('\u25ce waiting for %s "%s/flux-system" to be reconciled' % (kind, self.ns))
            if not self.wait_ready(kind, "flux-system"):
                raise Exit(1, "\u2717 %s reconciliation failed: timeout (SIMULATION)" % kind)
            ok("%s reconciled successfully" % kind)
        step("confirming components are healthy")
        ok("all components are healthy")
        return 0

    def wait_ready(self, kind, name):
        def check():
            with self.sim.txn() as c:
                t = c.type_for("source.toolkit.fluxcd.io/v1" if kind == "GitRepository" else "kustomize.toolkit.fluxcd.io/v1", kind)
                rec = c.get(t, self.ns, name)
                if rec is None:
                    return False
                c.refresh(rec)
                return c.is_ready(rec)
        return self.sim.wait_until(check, None)

    def cmd_reconcile(self, pos):
        if len(pos) < 2 or pos[0] not in ("kustomization", "ks", "source"):
            raise Exit(1, "\u2717 SIMULATION: flux reconcile kustomization NAME")
        name = pos[-1]
        with self.sim.txn(write=False) as c:
            t = c.type_for("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
            if c.get(t, self.ns, name) is None:
                raise Exit(1, '\u2717 Kustomization.kustomize.toolkit.fluxcd.io "%s" not found' % name)
        step("annotating Kustomization %s in %s namespace" % (name, self.ns))
        ok("Kustomization annotated")
        err("\u25ce waiting for Kustomization reconciliation")
        if not self.wait_ready("Kustomization", name):
            raise Exit(1, "\u2717 timeout waiting for Kustomization reconciliation (SIMULATION)")
        ok("applied revision main@sha1:%s" % simlib.short_hash(name, 40, "0123456789abcdef"))
        return 0

    def cmd_get(self, pos):
        what = pos[0] if pos else ""
        if what in ("kustomizations", "kustomization", "ks"):
            kind, av = "Kustomization", "kustomize.toolkit.fluxcd.io/v1"
        elif what == "sources" and pos[1:2] == ["git"]:
            kind, av = "GitRepository", "source.toolkit.fluxcd.io/v1"
        elif what in ("helmreleases", "helmrelease", "hr"):
            kind, av = "HelmRelease", "helm.toolkit.fluxcd.io/v2"
        else:
            raise Exit(1, "\u2717 SIMULATION: flux get kustomizations|sources git|helmreleases")
        with self.sim.txn() as c:
            t = c.type_for(av, kind)
            recs = c.list(t, None if self.o.get("all_namespaces") else self.ns)
            if not recs:
                err("\u2717 no %s objects found in %s namespace" % (kind, self.ns))
                return 0
            if not self.o.get("no_header"):
                out(("NAMESPACE\t" if self.o.get("all_namespaces") else "") + "NAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE")
            for r in recs:
                c.refresh(r)
                rdy = c.is_ready(r)
                out(("%s\t" % r["ns"] if self.o.get("all_namespaces") else "") + "%s\tmain@sha1:%s\tFalse\t%s\t%s" % (
                    r["name"], simlib.short_hash(r["name"], 8, "0123456789abcdef"), "True" if rdy else "False",
                    "Applied revision (SIMULATION)" if rdy else "reconciliation in progress"))
        return 0

    def cmd_uninstall(self, pos):
        with self.sim.txn() as c:
            ns = c.get(c.resolve("namespaces"), "", self.ns)
            if ns is not None and not self.o.get("keep_namespace"):
                c.delete(ns)
            for r in [r for r in c.st["objects"].values() if r["kind"] == "CustomResourceDefinition"
                      and r["name"].endswith(".toolkit.fluxcd.io")]:
                c.delete(r)
        ok("uninstall finished")
        return 0

    def version(self):
        out("flux: %s (SIMULATION)" % simlib.VERSIONS["flux"])
        if self.o.get("client"):
            return 0
        with self.sim.txn(write=False) as c:
            if c.api_reachable() and c.ns_exists(self.ns):
                out("distribution: flux-%s" % simlib.VERSIONS["flux"])
                for n in CONTROLLERS:
                    if c.get(c.resolve("deployments"), self.ns, n):
                        out("%s: %s" % (n, "v1.4.1"))
        return 0
