"""SIMULATION: fake helm of groundwork's simulated cluster (tests/sim). Not the real helm."""
import copy
import json
import os
import re
import sys
import time

import simlib
from simlib import Exit, FlagSpec, out

TOOL = "helm"

GLOBAL = FlagSpec("kube-context:str", "kubeconfig:str", "namespace|n:str", "debug", "burst-limit:str", "qps:str",
                  "registry-config:str", "repository-cache:str", "repository-config:str", "kube-apiserver:str",
                  "kube-token:str", "kube-insecure-skip-tls-verify", "kube-tls-server-name:str", "kube-as-user:str",
                  "kube-as-group:list", "kube-ca-file:str", "help|h")

INSTALL = ("install|i", "repo:str", "version:str", "values|f:list", "set:list", "set-string:list", "set-file:list",
           "set-json:list", "set-literal:list", "wait", "wait-for-jobs", "timeout:str", "create-namespace", "atomic",
           "rollback-on-failure", "cleanup-on-fail", "reset-values", "reuse-values", "reset-then-reuse-values", "force",
           "description:str", "dry-run:opt", "devel", "skip-crds", "history-max:str", "username:str", "password:str",
           "ca-file:str", "cert-file:str", "key-file:str", "insecure-skip-tls-verify", "pass-credentials", "plain-http",
           "output|o:str", "dependency-update", "render-subchart-notes", "post-renderer:str", "post-renderer-args:list",
           "labels:list", "take-ownership", "enable-dns", "disable-openapi-validation", "no-hooks", "verify",
           "keyring:str", "hide-notes", "generate-name|g", "name-template:str", "skip-schema-validation")

VERBS = {
    "upgrade": FlagSpec(*INSTALL, defaults={"dry_run": "client"}),
    "install": FlagSpec(*INSTALL, defaults={"dry_run": "client"}),
    "template": FlagSpec(*INSTALL, "show-only|s:list", "output-dir:str", "include-crds", "kube-version:str",
                         "api-versions|a:list", "is-upgrade", "validate", defaults={"dry_run": "client"}),
    "list": FlagSpec("all-namespaces|A", "output|o:str", "short|q", "all|a", "filter:str", "deployed", "failed",
                     "pending", "uninstalled", "uninstalling", "superseded", "max|m:str", "offset:str", "date|d",
                     "reverse|r", "no-headers", "time-format:str", "selector|l:str"),
    "status": FlagSpec("output|o:str", "revision:str", "show-desc", "show-resources"),
    "uninstall": FlagSpec("keep-history", "wait", "timeout:str", "ignore-not-found", "no-hooks", "cascade:str",
                          "description:str", "dry-run"),
    "version": FlagSpec("short", "template:str", "client|c"),
    "repo": FlagSpec("force-update", "username:str", "password:str", "password-stdin", "ca-file:str",
                     "cert-file:str", "key-file:str", "insecure-skip-tls-verify", "pass-credentials", "no-update",
                     "output|o:str", "fail-on-repo-update-fail", "allow-deprecated-repos", "timeout:str"),
    "get": FlagSpec("output|o:str", "all|a", "revision:str", "template:str"),
    "history": FlagSpec("output|o:str", "max:str"),
    "plugin": FlagSpec(),
    # The helm-diff plugin (databus23/helm-diff, `helm diff upgrade -h`), present when config.yaml
    # lists it under helmPlugins.
    "diff": FlagSpec(*INSTALL, "allow-unreleased", "detailed-exitcode", "no-color", "color", "context|C:str",
                     "suppress-secrets|q", "show-secrets", "three-way-merge", "normalize-manifests",
                     "include-crds", "disable-validation", "kube-version:str"),
    "rollback": FlagSpec("wait", "timeout:str", "force", "cleanup-on-fail", "history-max:str", "no-hooks",
                         "recreate-pods", "dry-run"),
}
ALIASES = {"ls": "list", "un": "uninstall", "delete": "uninstall", "del": "uninstall", "hist": "history"}

HELP = """helm (SIMULATION) -- fake helm of groundwork's simulated cluster (tests/sim).
No chart is downloaded: `upgrade --install` records the release and creates the objects listed in
tests/sim/charts/<chart>.yaml (or one Deployment named after the release).

Supported: upgrade [--install], install, template, list, status, uninstall, get values|manifest,
history, rollback, repo add|update|list|remove, plugin list (no plugin is installed), version.
"""

UNREACHABLE = ('Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": dial tcp '
               '127.0.0.1:6443: connect: connection refused')


unknown = simlib.cobra_unknown("Error: ")


def main(sim, argv):
    parsed = simlib.parse_verb(TOOL, argv, GLOBAL, VERBS, ALIASES, HELP, unknown)
    if parsed is None:
        return 0
    verb, pos, opts = parsed
    h = Helm(sim, opts)
    if verb == "version":
        return h.version()
    if verb == "repo":
        return h.repo(pos)
    if verb == "template":
        return h.template(pos)
    if verb == "plugin":
        return h.plugin(pos)
    if verb == "diff" and "diff" not in (sim.config.get("helmPlugins") or []):
        raise Exit(1, 'Error: unknown command "diff" for "helm"\nRun \'helm --help\' for usage.')
    simlib.check_kubeconfig(opts.get("kubeconfig"), opts.get("kube_context"), TOOL)
    with sim.txn(write=False) as c:
        if not c.api_reachable():
            raise Exit(1, UNREACHABLE)
    return getattr(h, "cmd_" + verb)(pos)


def diff_key(o):
    md = o.get("metadata") or {}
    return (md.get("namespace", ""), o.get("apiVersion", ""), o.get("kind", ""), md.get("name", ""))


def redact_secrets(old, new):
    """helm-diff's redaction of Secret data (databus23/helm-diff diff/diff.go redactSecrets)."""
    od, nd = old.get("data") or {}, new.get("data") or {}
    for k in set(od) | set(nd):
        if k in od and k in nd and od[k] == nd[k]:
            od[k] = nd[k] = "REDACTED # (%d bytes)" % len(str(nd[k]))
        else:
            if k in od:
                od[k] = "-------- # (%d bytes)" % len(str(od[k]))
            if k in nd:
                nd[k] = "++++++++ # (%d bytes)" % len(str(nd[k]))


def parse_set(expr, typed=True):
    """--set a.b=1,c=x -> {'a': {'b': 1}, 'c': 'x'}"""
    res = {}
    for part in re.split(r"(?<!\\),", expr):
        if not part:
            continue
        k, eq, v = part.partition("=")
        if not eq:
            raise Exit(1, "Error: failed parsing --set data: key \"%s\" has no value" % k)
        v = v.replace("\\,", ",")
        if typed:
            if v in ("true", "false"):
                v = v == "true"
            elif v == "null":
                v = None
            elif re.fullmatch(r"-?\d+", v):
                v = int(v)
        cur = res
        keys = re.split(r"(?<!\\)\.", k)
        for kk in keys[:-1]:
            cur = cur.setdefault(kk.replace("\\.", "."), {})
        cur[keys[-1].replace("\\.", ".")] = v
    return res


def helm_time(t):
    return time.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000 UTC", time.gmtime(t))


def helm_date(t):
    return time.strftime("%a %b %e %H:%M:%S %Y", time.localtime(t))


class Helm:
    def __init__(self, sim, opts):
        self.sim = sim
        self.o = opts
        self.ns = opts.get("namespace") or "default"

    # ------------------------------------------------------------------ charts
    def resolve_chart(self, c, chart, phase):
        """-> (chart name, chart meta dict, template objects)"""
        meta = {}
        if chart.startswith("oci://"):
            name = chart.rstrip("/").rsplit("/", 1)[-1]
        elif chart.startswith((".", "/")) or os.path.exists(chart):
            if not os.path.exists(chart):
                raise Exit(1, 'Error: %s: path "%s" not found' % (phase, chart))
            if os.path.isdir(chart):
                cy = os.path.join(chart, "Chart.yaml")
                if not os.path.exists(cy):
                    raise Exit(1, "Error: %s: Chart.yaml file is missing" % phase)
                with open(cy) as fh:
                    meta = simlib.yaml_load(fh.read()) or {}
                name = meta.get("name") or os.path.basename(chart.rstrip("/"))
            else:
                name = re.sub(r"-v?\d+\.\d+\.\d+.*$", "", os.path.basename(chart).replace(".tgz", ""))
        elif self.o.get("repo"):
            name = chart
        elif "/" in chart:
            repo, name = chart.split("/", 1)
            if repo not in c.st["helm"]["repos"]:
                raise Exit(1, "Error: %s: repo %s not found" % (phase, repo))
        else:
            raise Exit(1, "Error: %s: non-absolute URLs should be in form of repo_name/path_to_chart, got: %s" % (phase, chart))
        text = None
        for d in (self.sim.path("charts"), simlib.CHARTS_DIR):
            p = os.path.join(d, name + ".yaml")
            if os.path.exists(p):
                with open(p) as fh:
                    text = fh.read()
                break
        return name, meta, text

    def render(self, text, release, ns, name, version, values):
        if text is None:
            return [{"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": release, "labels": {"app.kubernetes.io/name": name,
                                                             "app.kubernetes.io/instance": release}},
                     "spec": {"replicas": 1,
                              "selector": {"matchLabels": {"app.kubernetes.io/instance": release}},
                              "template": {"metadata": {"labels": {"app.kubernetes.io/name": name,
                                                                   "app.kubernetes.io/instance": release}},
                                           "spec": {"containers": [{"name": name, "image": "simulation/%s:%s" % (name, version)}]}}}}], {}

        def sub(m):
            key, default = m.group(1).strip(), m.group(2)
            if key == "release":
                return release
            if key == "namespace":
                return ns
            if key == "chart":
                return name
            if key == "version":
                return version
            if key.startswith("values."):
                cur = values
                for seg in key[7:].split("."):
                    cur = cur.get(seg) if isinstance(cur, dict) else None
                if cur is None:
                    return default.strip() if default is not None else ""
                if isinstance(cur, (dict, list)):
                    return json.dumps(cur)
                if isinstance(cur, bool):
                    return "true" if cur else "false"
                return str(cur)
            return m.group(0)

        rendered = re.sub(r"\{\{\s*([^}|]+?)\s*(?:\|([^}]*))?\}\}", sub, text)
        try:
            docs = [d for d in simlib.yaml_load_all(rendered) if d is not None]
        except Exception as e:
            raise Exit(1, "Error: SIMULATION chart template for %s is not valid YAML: %s" % (name, e))
        chart_meta = {}
        data = []
        for d in docs:
            if isinstance(d, list):
                data.extend(d)
            elif isinstance(d, dict) and "objects" in d and "kind" not in d:
                chart_meta = d.get("chart") or {}
                data.extend(d.get("objects") or [])
            elif isinstance(d, dict) and "chart" in d and "kind" not in d:
                chart_meta = d.get("chart") or {}
            else:
                data.append(d)
        objs = []
        for o in data:
            if not isinstance(o, dict):
                continue
            if "simIf" in o:  # kept only when the rendered condition contains "true"
                if "true" not in str(o.pop("simIf")).lower():
                    continue
            objs.append(o)
        return objs, chart_meta

    def load_values(self, phase):
        vals = {}
        for f in self.o.get("values") or []:
            if f.startswith(("http://", "https://")):
                raise Exit(1, "Error: %s: SIMULATION: no network for values %s" % (phase, f))
            if not os.path.exists(f):
                raise Exit(1, "Error: %s: open %s: no such file or directory" % (phase, f))
            with open(f) as fh:
                try:
                    v = simlib.yaml_load(fh.read()) or {}
                except Exception as e:
                    raise Exit(1, "Error: %s: failed to parse %s: error converting YAML to JSON: %s" % (phase, f, e))
            if not isinstance(v, dict):
                raise Exit(1, "Error: %s: failed to parse %s: values must be a mapping" % (phase, f))
            vals = simlib.deep_merge(vals, v)
        for s in self.o.get("set") or []:
            vals = simlib.deep_merge(vals, parse_set(s))
        for s in self.o.get("set_string") or []:
            vals = simlib.deep_merge(vals, parse_set(s, typed=False))
        for s in self.o.get("set_json") or []:
            k, _, v = s.partition("=")
            vals = simlib.deep_merge(vals, parse_set("%s=x" % k))
            cur = vals
            keys = k.split(".")
            for kk in keys[:-1]:
                cur = cur[kk]
            cur[keys[-1]] = json.loads(v)
        for s in self.o.get("set_file") or []:
            k, _, p = s.partition("=")
            with open(p) as fh:
                vals = simlib.deep_merge(vals, {k: fh.read()})
        return vals

    def decorate(self, obj, t, release, ns, chart_label):
        md = obj.setdefault("metadata", {})
        if t.namespaced:
            md.setdefault("namespace", ns)
        else:
            md.pop("namespace", None)
        if not md.get("labels"):
            md["labels"] = {}
        if not md.get("annotations"):
            md["annotations"] = {}
        lb = md["labels"]
        lb.setdefault("app.kubernetes.io/managed-by", "Helm")
        lb.setdefault("app.kubernetes.io/instance", release)
        lb.setdefault("helm.sh/chart", chart_label)
        an = md["annotations"]
        an["meta.helm.sh/release-name"] = release
        an["meta.helm.sh/release-namespace"] = ns
        return obj

    # ------------------------------------------------------------------ upgrade / install
    def cmd_install(self, pos):
        if self.o.get("generate_name") and len(pos) == 1:
            pos = ["%s-%d" % (os.path.basename(pos[0]).split("/")[-1], int(time.time()))] + pos
        return self.install(pos, install_cmd=True)

    def cmd_upgrade(self, pos):
        return self.install(pos, install_cmd=False)

    def install(self, pos, install_cmd):
        if len(pos) != 2:
            raise Exit(1, 'Error: "helm %s" requires 2 arguments\n\nUsage:  helm %s [RELEASE] [CHART] [flags]'
                       % ("install" if install_cmd else "upgrade", "install" if install_cmd else "upgrade"))
        release, chart = pos
        if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", release) or len(release) > 53:
            raise Exit(1, 'Error: invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53')
        ns = self.ns
        dry = self.o.get("dry_run")
        rkey = "%s/%s" % (ns, release)
        with self.sim.txn(write=not dry) as c:
            rel = c.st["helm"]["releases"].get(rkey)
            upgrading = rel is not None and not install_cmd
            if install_cmd and rel is not None:
                raise Exit(1, "Error: INSTALLATION FAILED: cannot re-use a name that is still in use")
            if not install_cmd and rel is None and not self.o.get("install"):
                raise Exit(1, 'Error: UPGRADE FAILED: "%s" has no deployed releases' % release)
            phase = "UPGRADE FAILED" if upgrading else "INSTALLATION FAILED"
            name, cmeta, text = self.resolve_chart(c, chart, phase)
            values = self.load_values(phase)
            if upgrading and (self.o.get("reuse_values") or self.o.get("reset_then_reuse_values")):
                values = simlib.deep_merge(rel.get("values") or {}, values)
            version = self.o.get("version") or cmeta.get("version")
            objs, chart_meta = self.render(text, release, ns, name, version or "0.1.0", values)
            version = version or chart_meta.get("version") or "0.1.0"
            app_version = cmeta.get("appVersion") or chart_meta.get("appVersion") or version
            if self.o.get("version") and chart_meta.get("version") and self.o["version"] != chart_meta["version"]:
                app_version = version  # a pinned version the template file does not describe
            if not c.ns_exists(ns):
                if self.o.get("create_namespace") and not upgrading:
                    if not dry:
                        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
                else:
                    raise Exit(1, 'Error: %s: create: failed to create: namespaces "%s" not found' % (phase, ns))
            if not upgrading and not install_cmd:
                out('Release "%s" does not exist. Installing it now.' % release)
            chart_label = "%s-%s" % (name, version)
            keys = []
            manifest = []
            for o in objs:
                o = copy.deepcopy(o)
                if self.o.get("skip_crds") and o.get("kind") == "CustomResourceDefinition":
                    continue
                t = c.type_for(o.get("apiVersion", ""), o.get("kind", ""))
                if t is None:
                    raise Exit(1, 'Error: %s: unable to build kubernetes objects from release manifest: resource mapping not found for name: "%s" namespace: "%s" from "": no matches for kind "%s" in version "%s"\nensure CRDs are installed first'
                               % (phase, o.get("metadata", {}).get("name"), ns, o.get("kind"), o.get("apiVersion")))
                self.decorate(o, t, release, ns, chart_label)
                md = o["metadata"]
                if t.namespaced and not c.ns_exists(md["namespace"]) and md["namespace"] != ns:
                    raise Exit(1, 'Error: %s: failed to create resource: namespaces "%s" not found' % (phase, md["namespace"]))
                manifest.append(o)
                if dry:
                    continue
                _, rec = c.put(o, t)
                c.refresh(rec, poll=False)
                keys.append(c.key(t.group, t.kind, md.get("namespace", "") if t.namespaced else "", md["name"]))
            if dry:
                self.print_release(release, ns, "pending-upgrade" if upgrading else "pending-install",
                                   (rel or {}).get("revision", 0) + 1, time.time(), name, version, app_version, values)
                out("HOOKS:\nMANIFEST:")
                for m in manifest:
                    out("---")
                    sys.stdout.write(simlib.yaml_dump(m))
                return 0
            if upgrading:
                for k in rel.get("objects") or []:
                    if k not in keys and k in c.st["objects"]:
                        c.delete(c.st["objects"][k])
            now = time.time()
            revision = (rel or {}).get("revision", 0) + 1 if rel else 1
            history = list((rel or {}).get("history") or [])
            for hst in history:
                if hst["status"] == "deployed":
                    hst["status"] = "superseded"
            status = "deployed"
            rel = {"name": release, "namespace": ns, "chart": name, "chartRef": chart, "repo": self.o.get("repo"),
                   "version": version, "appVersion": app_version, "revision": revision, "status": status,
                   "updated": now, "values": values, "valuesFiles": list(self.o.get("values") or []),
                   "objects": keys, "manifest": manifest}
            history.append({"revision": revision, "updated": now, "status": status, "chart": "%s-%s" % (name, version),
                            "app_version": app_version,
                            "description": "Upgrade complete" if upgrading else "Install complete"})
            rel["history"] = history
            c.st["helm"]["releases"][rkey] = rel
            if self.o.get("wait") or self.o.get("atomic") or self.o.get("rollback_on_failure"):
                for k in keys:
                    c.mark_ready(c.st["objects"][k])
        if self.o.get("wait") or self.o.get("atomic") or self.o.get("rollback_on_failure"):
            timeout = simlib.parse_duration(self.o.get("timeout"), 300.0)
            if not self.sim.wait_until(lambda: self.release_ready(rkey), timeout):
                with self.sim.txn() as c:
                    rel = c.st["helm"]["releases"].get(rkey)
                    if self.o.get("atomic") or self.o.get("rollback_on_failure"):
                        if rel and rel["revision"] == 1:
                            for k in rel.get("objects") or []:
                                if k in c.st["objects"]:
                                    c.delete(c.st["objects"][k])
                            c.st["helm"]["releases"].pop(rkey, None)
                            raise Exit(1, "Error: %s: release %s failed, and has been uninstalled due to atomic being set: context deadline exceeded" % (phase, release))
                    if rel:
                        rel["status"] = "failed"
                        rel["history"][-1]["status"] = "failed"
                        rel["history"][-1]["description"] = "Release \"%s\" failed: context deadline exceeded" % release
                raise Exit(1, "Error: %s: context deadline exceeded" % phase)
        if self.o.get("output") in ("json", "yaml"):
            data = self.release_json(rel)
            out(json.dumps(data) if self.o["output"] == "json" else simlib.yaml_dump(data))
            return 0
        if upgrading:
            out('Release "%s" has been upgraded. Happy Helming!' % release)
        self.print_release(release, ns, rel["status"], rel["revision"], rel["updated"], name, version, app_version, values)
        if not self.o.get("hide_notes"):
            out("NOTES:\n%s" % simlib.SIM_NOTE)
        return 0

    def release_ready(self, rkey):
        with self.sim.txn() as c:
            rel = c.st["helm"]["releases"].get(rkey)
            if rel is None:
                return True
            for k in rel.get("objects") or []:
                rec = c.st["objects"].get(k)
                if rec is None:
                    continue
                o = c.refresh(rec)
                kind = rec["kind"]
                if kind in ("Deployment", "StatefulSet", "DaemonSet") and not c.is_ready(rec):
                    return False
                if kind == "Job" and self.o.get("wait_for_jobs") and not c.is_ready(rec):
                    return False
                if kind == "Service" and (o.get("spec") or {}).get("type") == "LoadBalancer" and \
                        not ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress"):
                    return False
                if kind == "PersistentVolumeClaim" and (o.get("status") or {}).get("phase") != "Bound":
                    return False
                if kind == "Pod" and (o.get("status") or {}).get("phase") != "Running":
                    return False
            return True

    def print_release(self, release, ns, status, revision, t, name, version, app_version, values):
        out("NAME: %s" % release)
        out("LAST DEPLOYED: %s" % helm_date(t))
        out("NAMESPACE: %s" % ns)
        out("STATUS: %s" % status)
        out("REVISION: %d" % revision)
        out("TEST SUITE: None")

    def release_json(self, rel):
        return {"name": rel["name"], "namespace": rel["namespace"], "version": rel["revision"],
                "info": {"first_deployed": helm_time(rel["history"][0]["updated"]),
                         "last_deployed": helm_time(rel["updated"]), "status": rel["status"],
                         "description": rel["history"][-1]["description"], "notes": simlib.SIM_NOTE},
                "chart": {"metadata": {"name": rel["chart"], "version": rel["version"],
                                       "appVersion": rel["appVersion"], "apiVersion": "v2"}},
                "config": rel.get("values") or {},
                "manifest": "".join("---\n" + simlib.yaml_dump(m) for m in rel.get("manifest") or [])}

    # ------------------------------------------------------------------ template
    def template(self, pos):
        if len(pos) == 1:
            pos = ["release-name"] + pos
        if len(pos) != 2:
            raise Exit(1, 'Error: "helm template" requires at least 1 argument')
        release, chart = pos
        with self.sim.txn(write=False) as c:
            name, cmeta, text = self.resolve_chart(c, chart, "")
            values = self.load_values("")
            version = self.o.get("version") or cmeta.get("version")
            objs, chart_meta = self.render(text, release, self.ns, name, version or "0.1.0", values)
            version = version or chart_meta.get("version") or "0.1.0"
            for o in objs:
                t = c.type_for(o.get("apiVersion", ""), o.get("kind", ""))
                if t is not None:
                    self.decorate(o, t, release, self.ns, "%s-%s" % (name, version))
                out("---\n# Source: %s/templates/sim.yaml (SIMULATION)" % name)
                sys.stdout.write(simlib.yaml_dump(o))
        return 0

    # ------------------------------------------------------------------ list / status / get / history
    def cmd_list(self, pos):
        allns = self.o.get("all_namespaces")
        with self.sim.txn(write=False) as c:
            rels = [r for r in c.st["helm"]["releases"].values() if allns or r["namespace"] == self.ns]
        if self.o.get("filter"):
            rels = [r for r in rels if re.search(self.o["filter"], r["name"])]
        wanted = [s for s in ("deployed", "failed", "pending", "superseded", "uninstalled") if self.o.get(s)]
        if wanted:
            rels = [r for r in rels if r["status"] in wanted]
        rels.sort(key=lambda r: r["name"])
        fmt = self.o.get("output") or "table"
        rows = [{"name": r["name"], "namespace": r["namespace"], "revision": str(r["revision"]),
                 "updated": helm_time(r["updated"]), "status": r["status"],
                 "chart": "%s-%s" % (r["chart"], r["version"]), "app_version": r["appVersion"]} for r in rels]
        if self.o.get("short"):
            for r in rows:
                out(r["name"])
        elif fmt == "json":
            out(json.dumps(rows))
        elif fmt == "yaml":
            sys.stdout.write(simlib.yaml_dump(rows))
        else:
            hdr = ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"]
            table = [hdr] + [[r["name"], r["namespace"], r["revision"], r["updated"], r["status"], r["chart"], r["app_version"]] for r in rows]
            if self.o.get("no_headers"):
                table = table[1:]
            if table:
                w = [max(len(x[i]) for x in table) for i in range(len(hdr))]
                for row in table:
                    out("\t".join(x.ljust(w[i]) for i, x in enumerate(row)).rstrip())
        return 0

    def find(self, c, release, what="release: not found"):
        rel = c.st["helm"]["releases"].get("%s/%s" % (self.ns, release))
        if rel is None:
            raise Exit(1, "Error: %s" % what)
        return rel

    def cmd_status(self, pos):
        if len(pos) != 1:
            raise Exit(1, 'Error: "helm status" requires 1 argument')
        with self.sim.txn(write=False) as c:
            rel = self.find(c, pos[0])
        fmt = self.o.get("output")
        if fmt == "json":
            out(json.dumps(self.release_json(rel)))
        elif fmt == "yaml":
            sys.stdout.write(simlib.yaml_dump(self.release_json(rel)))
        else:
            self.print_release(rel["name"], rel["namespace"], rel["status"], rel["revision"], rel["updated"],
                               rel["chart"], rel["version"], rel["appVersion"], rel["values"])
            out("NOTES:\n%s" % simlib.SIM_NOTE)
        return 0

    def cmd_get(self, pos):
        if len(pos) != 2 or pos[0] not in ("values", "manifest", "all", "notes", "metadata"):
            raise Exit(1, "Error: SIMULATION: helm get values|manifest|all|notes|metadata RELEASE")
        with self.sim.txn(write=False) as c:
            rel = self.find(c, pos[1])
        fmt = self.o.get("output")
        if pos[0] == "values":
            v = rel.get("values") or {}
            if fmt == "json":
                out(json.dumps(v))
            elif fmt == "yaml":
                sys.stdout.write(simlib.yaml_dump(v))
            else:
                out("USER-SUPPLIED VALUES:")
                sys.stdout.write(simlib.yaml_dump(v) if v else "null\n")
        elif pos[0] == "manifest":
            for m in rel.get("manifest") or []:
                out("---")
                sys.stdout.write(simlib.yaml_dump(m))
        elif pos[0] == "notes":
            out("NOTES:\n%s" % simlib.SIM_NOTE)
        elif pos[0] == "metadata":
            data = {"name": rel["name"], "chart": rel["chart"], "version": rel["version"], "appVersion": rel["appVersion"],
                    "namespace": rel["namespace"], "revision": rel["revision"], "status": rel["status"],
                    "deployedAt": simlib.now_iso(rel["updated"])}
            out(json.dumps(data) if fmt == "json" else simlib.yaml_dump(data))
        else:
            out(json.dumps(self.release_json(rel), indent=2))
        return 0

    def cmd_history(self, pos):
        if len(pos) != 1:
            raise Exit(1, 'Error: "helm history" requires 1 argument')
        with self.sim.txn(write=False) as c:
            rel = self.find(c, pos[0])
        hist = [{"revision": h["revision"], "updated": helm_time(h["updated"]), "status": h["status"],
                 "chart": h["chart"], "app_version": h["app_version"], "description": h["description"]}
                for h in rel["history"]]
        if self.o.get("output") == "json":
            out(json.dumps(hist))
        else:
            out("REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION")
            for h in hist:
                out("%d\t%s\t%s\t%s\t%s\t%s" % (h["revision"], h["updated"], h["status"], h["chart"], h["app_version"], h["description"]))
        return 0

    def cmd_rollback(self, pos):
        if not pos:
            raise Exit(1, 'Error: "helm rollback" requires at least 1 argument')
        with self.sim.txn() as c:
            rel = self.find(c, pos[0], "release: not found")
            rel["revision"] += 1
            rel["status"] = "deployed"
            rel["updated"] = time.time()
            rel["history"].append({"revision": rel["revision"], "updated": rel["updated"], "status": "deployed",
                                   "chart": "%s-%s" % (rel["chart"], rel["version"]), "app_version": rel["appVersion"],
                                   "description": "Rollback to %s" % (pos[1] if len(pos) > 1 else rel["revision"] - 2)})
        out("Rollback was a success! Happy Helming!")
        return 0

    # ------------------------------------------------------------------ uninstall
    def cmd_uninstall(self, pos):
        if not pos:
            raise Exit(1, 'Error: "helm uninstall" requires at least 1 argument')
        rc = 0
        with self.sim.txn() as c:
            for release in pos:
                rkey = "%s/%s" % (self.ns, release)
                rel = c.st["helm"]["releases"].get(rkey)
                if rel is None:
                    if self.o.get("ignore_not_found"):
                        continue
                    raise Exit(1, "Error: uninstall: Release not loaded: %s: release: not found" % release)
                if not self.o.get("dry_run"):
                    for k in rel.get("objects") or []:
                        rec = c.st["objects"].get(k)
                        if rec is not None and rec["kind"] != "CustomResourceDefinition":
                            c.delete(rec)
                    del c.st["helm"]["releases"][rkey]
                out('release "%s" uninstalled' % release)
        return rc

    # ------------------------------------------------------------------ repo / version
    def repo(self, pos):
        sub = pos[0] if pos else ""
        with self.sim.txn() as c:
            repos = c.st["helm"]["repos"]
            if sub == "add":
                if len(pos) != 3:
                    raise Exit(1, 'Error: "helm repo add" requires 2 arguments')
                name, url = pos[1], pos[2]
                if name in repos and repos[name] != url and not self.o.get("force_update"):
                    raise Exit(1, "Error: repository name (%s) already exists, please specify a different name" % name)
                if name in repos and repos[name] == url:
                    out('"%s" already exists with the same configuration, skipping' % name)
                    return 0
                repos[name] = url
                out('"%s" has been added to your repositories' % name)
            elif sub == "update" or sub == "up":
                names = pos[1:] or sorted(repos)
                if not repos:
                    raise Exit(1, "Error: no repositories found. You must add one before updating")
                out("Hang tight while we grab the latest from your chart repositories...")
                for n in names:
                    if n not in repos:
                        raise Exit(1, "Error: no repositories found matching '%s'.  Nothing will be updated" % n)
                    out('...Successfully got an update from the "%s" chart repository (SIMULATION: nothing fetched)' % n)
                out("Update Complete. \u2388Happy Helming!\u2388")
            elif sub in ("list", "ls"):
                if not repos:
                    raise Exit(1, "Error: no repositories to show")
                if self.o.get("output") == "json":
                    out(json.dumps([{"name": n, "url": u} for n, u in sorted(repos.items())]))
                else:
                    out("NAME\tURL")
                    for n, u in sorted(repos.items()):
                        out("%s\t%s" % (n, u))
            elif sub in ("remove", "rm"):
                for n in pos[1:]:
                    if n not in repos:
                        raise Exit(1, 'Error: no repo named "%s" found' % n)
                    del repos[n]
                    out('"%s" has been removed from your repositories' % n)
            else:
                raise Exit(1, "Error: SIMULATION: helm repo add|update|list|remove")
        return 0

    def plugin(self, pos):
        """`helm plugin list`: the header of an empty table (upstream helm cmd/helm/plugin_list.go,
        uitable columns NAME VERSION DESCRIPTION); the simulated helm has no plugins unless config.yaml
        lists `helmPlugins: [diff]`."""
        if pos[:1] in (["list"], ["ls"]):
            out("NAME\tVERSION\tDESCRIPTION")
            if "diff" in (self.sim.config.get("helmPlugins") or []):
                out("diff\t3.13.1\tPreview helm upgrade changes as a diff")
            return 0
        raise Exit(1, "Error: SIMULATION: helm plugin list only")

    # ------------------------------------------------------------------ helm-diff plugin
    def cmd_diff(self, pos):
        """`helm diff upgrade RELEASE CHART …`: the chart rendered as `template` does, against the
        release's stored manifest, in helm-diff's default `diff` output ("NS, NAME, KIND (GROUP) has
        changed:" then the object's lines prefixed "  ", "- ", "+ "); Secret data redacted
        ("REDACTED # (N bytes)", "-------- # (N bytes)" / "++++++++ # (N bytes)"). Exit 2 with
        --detailed-exitcode when something changes. Upstream: databus23/helm-diff diff/diff.go."""
        import difflib
        if pos[:1] != ["upgrade"]:
            raise Exit(1, "Error: SIMULATION: helm diff upgrade only")
        pos = pos[1:]
        if len(pos) != 2:
            raise Exit(1, "Error: accepts 2 arg(s), received %d" % len(pos))
        release, chart = pos
        ns = self.ns
        with self.sim.txn(write=False) as c:
            rel = c.st["helm"]["releases"].get("%s/%s" % (ns, release))
            if rel is None and not (self.o.get("allow_unreleased") or self.o.get("install")):
                raise Exit(1, 'Error: "%s" has no deployed releases' % release)
            name, cmeta, text = self.resolve_chart(c, chart, "")
            values = self.load_values("")
            version = self.o.get("version") or cmeta.get("version")
            objs, chart_meta = self.render(text, release, ns, name, version or "0.1.0", values)
            version = version or chart_meta.get("version") or "0.1.0"
            new = {}
            for o in objs:
                t = c.type_for(o.get("apiVersion", ""), o.get("kind", ""))
                if t is not None:
                    self.decorate(o, t, release, ns, "%s-%s" % (name, version))
                new[diff_key(o)] = o
            old = {diff_key(o): o for o in (rel or {}).get("manifest") or []}
        changed = False
        for k in sorted(set(old) | set(new)):
            a, b = copy.deepcopy(old.get(k)), copy.deepcopy(new.get(k))
            if a is not None and b is not None and a.get("kind") == "Secret":
                redact_secrets(a, b)
            la = simlib.yaml_dump(a).splitlines() if a is not None else []
            lb = simlib.yaml_dump(b).splitlines() if b is not None else []
            if la == lb:
                continue
            changed = True
            what = "has been added" if a is None else "has been removed" if b is None else "has changed"
            ns_, api, kind, obj_name = k
            out("%s, %s, %s (%s) %s:" % (ns_, obj_name, kind, api.split("/")[0], what))
            for line in difflib.ndiff(la, lb):
                if not line.startswith("? "):
                    out(line)  # "- old", "+ new", "  same"
        return 2 if changed and self.o.get("detailed_exitcode") else 0

    def version(self):
        v = simlib.VERSIONS["helm"]
        if self.o.get("template"):
            out(self.o["template"].replace("{{.Version}}", v).replace("{{ .Version }}", v))
        elif self.o.get("short"):
            out("%s+simulation" % v)
        else:
            out('version.BuildInfo{Version:"%s", GitCommit:"SIMULATION-groundwork-tests-sim", GitTreeState:"clean", GoVersion:"go1.22.7"}' % v)
        return 0
