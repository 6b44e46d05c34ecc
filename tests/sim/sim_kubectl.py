"""SIMULATION: fake kubectl of groundwork's simulated cluster (tests/sim). Not the real kubectl."""
import copy
import json
import os
import re
import sys
import time

import simlib  # noqa: E402
import sim_dr_kinds  # noqa: E402
from simlib import Exit, FlagSpec, out, err  # noqa: E402

TOOL = "kubectl"

GLOBAL = FlagSpec("kubeconfig:str", "context:str", "namespace|n:str", "cluster:str", "user:str",
                  "server|s:str", "request-timeout:str", "insecure-skip-tls-verify", "token:str",
                  "v:str", "as:str", "match-server-version", "warnings-as-errors", "help|h")

OUTPUT = ("output|o:str", "template:str", "no-headers", "show-labels", "show-managed-fields",
          "allow-missing-template-keys")

VERBS = {
    "apply": FlagSpec("filename|f:list", "kustomize|k:str", "recursive|R", "server-side", "force-conflicts",
                      "field-manager:str", "dry-run:opt", "validate:opt", "prune", "selector|l:str", "wait",
                      "timeout:str", "overwrite", "force", "grace-period:str", *OUTPUT,
                      defaults={"dry_run": "unchanged", "validate": "strict"}),
    "create": FlagSpec("filename|f:list", "dry-run:opt", "save-config", "validate:opt", "from-literal:list",
                       "from-file:list", "from-env-file:list", "type:str", "edit", *OUTPUT,
                       defaults={"dry_run": "unchanged", "validate": "strict"}),
    "delete": FlagSpec("filename|f:list", "kustomize|k:str", "recursive|R", "ignore-not-found", "wait",
                       "timeout:str", "grace-period:str", "now", "force", "all", "all-namespaces|A",
                       "selector|l:str", "field-selector:str", "cascade:opt", "dry-run:opt", "output|o:str",
                       defaults={"dry_run": "unchanged", "cascade": "background"}),
    "get": FlagSpec("all-namespaces|A", "selector|l:str", "field-selector:str", "ignore-not-found",
                    "watch|w", "chunk-size:str", "sort-by:str", "label-columns|L:list", "filename|f:list",
                    "show-kind", "raw:str", "subresource:str", *OUTPUT),
    "label": FlagSpec("overwrite", "all", "all-namespaces|A", "selector|l:str", "filename|f:list",
                      "dry-run:opt", "list", "resource-version:str", "output|o:str", defaults={"dry_run": "unchanged"}),
    "annotate": FlagSpec("overwrite", "all", "all-namespaces|A", "selector|l:str", "filename|f:list",
                         "dry-run:opt", "list", "resource-version:str", "output|o:str", defaults={"dry_run": "unchanged"}),
    "wait": FlagSpec("for:str", "timeout:str", "all", "all-namespaces|A", "selector|l:str",
                     "field-selector:str", "filename|f:list", "local", "output|o:str"),
    "rollout": FlagSpec("timeout:str", "watch|w", "revision:str", "selector|l:str", "filename|f:list"),
    "version": FlagSpec("output|o:str", "client", "short"),
    "diff": FlagSpec("filename|f:list", "kustomize|k:str", "recursive|R", "server-side", "force-conflicts",
                     "field-manager:str", "selector|l:str", "prune", "prune-allowlist:list", "concurrency:str",
                     "show-managed-fields"),
    "cluster-info": FlagSpec(),
    "patch": FlagSpec("type:str", "patch|p:str", "patch-file:str", "filename|f:list", "dry-run:opt",
                      "output|o:str", "subresource:str", defaults={"dry_run": "unchanged"}),
    "config": FlagSpec("output|o:str", "minify", "raw", "flatten"),
    "api-resources": FlagSpec("output|o:str", "namespaced:str", "api-group:str", "verbs:str", "no-headers"),
    "logs": FlagSpec("container|c:str", "follow|f", "tail:str", "since:str", "previous|p", "all-containers",
                     "selector|l:str", "timestamps"),
    "auth": FlagSpec("quiet|q", "all-namespaces|A", "list"),
    "exec": FlagSpec("container|c:str", "stdin|i", "tty|t", "quiet|q", "pod-running-timeout:str", "filename|f:list"),
    "scale": FlagSpec("replicas:str", "timeout:str", "filename|f:list", "current-replicas:str"),
}

HELP = """kubectl (SIMULATION) -- fake kubectl of groundwork's simulated cluster (tests/sim).
It keeps an imaginary cluster in $GROUNDWORK_SIM_STATE; nothing real is touched.

Supported: apply, diff, create (namespace|secret generic|configmap|-f), delete, get, label, annotate,
patch, wait, rollout status|restart, version, cluster-info, config current-context|view|get-contexts,
api-resources, logs, auth can-i, scale.
Global flags: --kubeconfig --context -n/--namespace --request-timeout -s/--server ...
"""


def unknown(verb):
    def mk(flag):
        if flag.startswith("--"):
            return Exit(1, "error: unknown flag: %s\nSee 'kubectl %s --help' for usage." % (flag, verb or ""))
        return Exit(1, "error: unknown shorthand flag: '%s' in %s\nSee 'kubectl %s --help' for usage." % (flag[1:], flag, verb or ""))
    return mk


def main(sim, argv):
    verbs, rest = simlib.find_verb(argv, GLOBAL)
    if not verbs:
        _, opts = simlib.parse_flags(rest, GLOBAL, unknown(""))
        out(HELP)
        return 0
    verb = verbs[0]
    if verb == "help":
        out(HELP)
        return 0
    if verb not in VERBS:
        raise Exit(1, 'error: unknown command "%s" for "kubectl"\n\nSIMULATION: this fake kubectl does not implement it.' % verb)
    spec = GLOBAL.merged(VERBS[verb])
    pos, opts = simlib.parse_flags(rest, spec, unknown(verb))
    if opts.get("help"):
        out("kubectl %s (SIMULATION) -- groundwork's simulated cluster; see tests/sim/README.md" % verb)
        return 0
    simlib.check_kubeconfig(opts.get("kubeconfig"), opts.get("context"), TOOL)
    k = Kubectl(sim, opts)
    if verb == "version":
        return k.version()
    if verb == "config":
        return k.config_cmd(pos)
    with sim.txn(write=False) as c:
        up = c.api_reachable()
    if not up:
        raise Exit(1, "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?")
    return getattr(k, "cmd_" + verb.replace("-", "_"))(pos)


class Kubectl:
    def __init__(self, sim, opts):
        self.sim = sim
        self.o = opts
        self.ns_flag = opts.get("namespace")
        self.ns = self.ns_flag or "default"

    # ------------------------------------------------------------------ helpers
    def dry(self):
        d = self.o.get("dry_run", "none")
        if d in ("unchanged", "none", "false", None):
            return None
        if d in ("true", "client"):
            return "client"
        if d == "server":
            return "server"
        raise Exit(1, 'error: Invalid dry-run value (%s). Must be "none", "server", or "client".' % d)

    def read_manifests(self, files, recursive=False):
        """[(source, doc)] for -f files / dirs / '-' (stdin)."""
        docs = []
        for f in files:
            if f.startswith(("http://", "https://", "git@", "ssh://", "github.com/")):
                texts = [(f, remote_standin(f))]
            elif f == "-":
                texts = [("STDIN", sys.stdin.read())]
            elif os.path.isdir(f):
                texts = []
                for root, dirs, names in os.walk(f):
                    for n in sorted(names):
                        if n.endswith((".yaml", ".yml", ".json")):
                            p = os.path.join(root, n)
                            with open(p) as fh:
                                texts.append((p, fh.read()))
                    if not recursive:
                        break
            elif os.path.exists(f):
                with open(f) as fh:
                    texts = [(f, fh.read())]
            else:
                raise Exit(1, 'error: the path "%s" does not exist' % f)
            for src, text in texts:
                try:
                    loaded = simlib.yaml_load_all(text)
                except Exception as e:
                    raise Exit(1, "error: error parsing %s: error converting YAML to JSON: yaml: %s" % (src, str(e).replace("\n", " ")))
                for d in loaded:
                    if d is None:
                        continue
                    if not isinstance(d, dict):
                        raise Exit(1, "error: error parsing %s: expected a mapping, got %s" % (src, type(d).__name__))
                    if d.get("kind", "").endswith("List") and isinstance(d.get("items"), list):
                        docs.extend((src, x) for x in d["items"] if isinstance(x, dict))
                    else:
                        docs.append((src, d))
        return docs

    def read_kustomize(self, d):
        if d.startswith(("http://", "https://", "git@", "ssh://", "github.com/")):
            return self.read_manifests([d])
        p = None
        for n in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            if os.path.exists(os.path.join(d, n)):
                p = os.path.join(d, n)
        if p is None:
            raise Exit(1, "error: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '%s'" % d)
        with open(p) as fh:
            kz = simlib.yaml_load(fh.read()) or {}
        docs = []
        for r in kz.get("resources") or []:
            rp = os.path.join(d, r)
            if os.path.isdir(rp):
                docs.extend(self.read_kustomize(rp))
            else:
                docs.extend(self.read_manifests([rp]))
        if kz.get("namespace"):
            for _, doc in docs:
                doc.setdefault("metadata", {})["namespace"] = kz["namespace"]
        return docs

    def obj_type(self, c, src, doc):
        av, kind = doc.get("apiVersion"), doc.get("kind")
        missing = [m for m, v in (("apiVersion", av), ("kind", kind)) if not v]
        if missing:
            raise Exit(1, 'error: error validating "%s": error validating data: [%s]; if you choose to ignore these errors, turn validation off with --validate=false'
                       % (src, ", ".join("%s not set" % m for m in missing)))
        t = c.type_for(av, kind)
        if t is None:
            name = (doc.get("metadata") or {}).get("name", "")
            return None, ('error: resource mapping not found for name: "%s" namespace: "%s" from "%s": no matches for kind "%s" in version "%s"\nensure CRDs are installed first'
                          % (name, (doc.get("metadata") or {}).get("namespace", ""), src, kind, av))
        if not (doc.get("metadata") or {}).get("name"):
            return None, 'error: error when retrieving current configuration of:\nResource: "%s", Name: "", Namespace: "%s"\nfrom server for: "%s": resource name may not be empty' % (t.res, self.ns, src)
        return t, None

    def place(self, t, src, doc):
        """Set the namespace of a namespaced object like kubectl; returns error or None."""
        md = doc.setdefault("metadata", {})
        if not t.namespaced:
            return None
        ns = md.get("namespace")
        if ns and self.ns_flag and ns != self.ns_flag:
            return ('error: the namespace from the provided object "%s" does not match the namespace "%s". You must pass \'--namespace=%s\' to perform this operation.'
                    % (ns, self.ns_flag, ns))
        md["namespace"] = ns or self.ns
        return None

    def print_list(self, c, t, objs, single):
        """Print objects per -o."""
        fmt = self.o.get("output") or ""
        if not objs and not single:
            if fmt in ("json", "yaml"):
                pass
            elif fmt.startswith(("jsonpath", "name", "custom-columns")):
                if fmt.startswith("name"):
                    return
            else:
                if self.o.get("all_namespaces") or not t or not t.namespaced:
                    err("No resources found")
                else:
                    err("No resources found in %s namespace." % self.ns)
                return
        lst = {"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}}
        data = objs[0] if single else lst
        if fmt == "json":
            out(json.dumps(data, indent=4))
        elif fmt == "yaml":
            sys.stdout.write(simlib.yaml_dump(data))
        elif fmt == "name":
            for o in objs:
                tt = c.type_for(o["apiVersion"], o["kind"])
                out("%s/%s" % (tt.kind_ref, o["metadata"]["name"]))
        elif fmt.startswith(("jsonpath=", "jsonpath-as-json=")) or fmt == "jsonpath":
            tpl = fmt.split("=", 1)[1] if "=" in fmt else (self.o.get("template") or "")
            try:
                if fmt.startswith("jsonpath-as-json"):
                    vals = simlib.jp_eval(simlib.jp_parse_expr(tpl.strip("{}")), [data])
                    out(json.dumps(vals, indent=4))
                else:
                    sys.stdout.write(simlib.jsonpath(tpl, data))
            except simlib.JPError as e:
                raise Exit(1, "error: error parsing jsonpath %s, %s" % (tpl, e))
        elif fmt.startswith("custom-columns="):
            cols = [x.split(":", 1) for x in fmt.split("=", 1)[1].split(",")]
            rows = [[h for h, _ in cols]]
            for o in objs:
                rows.append([" ".join(simlib.jp_format(v) for v in simlib.jp_eval(simlib.jp_parse_expr(p.strip("{}")), [o])) or "<none>" for _, p in cols])
            self.table(rows)
        elif fmt in ("", "wide"):
            self.print_table(c, objs)
        else:
            raise Exit(1, 'error: unable to match a printer suitable for the output format "%s", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml' % fmt)

    def table(self, rows):
        if self.o.get("no_headers"):
            rows = rows[1:]
        if not rows:
            return
        w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            out("   ".join(x.ljust(w[i]) for i, x in enumerate(r)).rstrip())

    def print_table(self, c, objs):
        by_kind = {}
        for o in objs:
            by_kind.setdefault(o["kind"], []).append(o)
        first = True
        for kind, items in by_kind.items():
            if not first:
                out("")
            first = False
            allns = bool(self.o.get("all_namespaces"))
            prefix = len(by_kind) > 1
            head, rowf = columns(kind, items)
            rows = [(["NAMESPACE"] if allns else []) + ["NAME"] + head + ["AGE"]]
            for o in items:
                md = o["metadata"]
                name = md["name"]
                if prefix:
                    name = "%s/%s" % (c.type_for(o["apiVersion"], kind).kind_ref, name)
                rows.append(([md.get("namespace", "")] if allns else []) + [name] + rowf(o) +
                            [simlib.age(md.get("creationTimestamp", simlib.now_iso()))])
            self.table(rows)

    # ------------------------------------------------------------------ apply
    def cmd_apply(self, pos):
        if pos:
            raise Exit(1, "error: Unexpected args: %s\nSee 'kubectl apply -h' for help and examples" % pos)
        files = self.o.get("filename") or []
        if not files and not self.o.get("kustomize"):
            raise Exit(1, "error: must specify one of -f and -k")
        docs = self.read_manifests(files, self.o.get("recursive"))
        if self.o.get("kustomize"):
            docs.extend(self.read_kustomize(self.o["kustomize"]))
        return self.apply_docs(docs)

    def apply_docs(self, docs, verb_created="created"):
        dry = self.dry()
        ss = self.o.get("server_side")
        rc = 0
        fmt = self.o.get("output")
        printed = []
        with self.sim.txn(write=dry is None) as c:
            for src, doc in docs:
                doc = copy.deepcopy(doc)
                t, e = self.obj_type(c, src, doc)
                if e:
                    err(e)
                    rc = 1
                    continue
                e = self.place(t, src, doc)
                if e:
                    raise Exit(1, e)
                e = sim_dr_kinds.validate(t, doc)
                if e:
                    err(e)
                    rc = 1
                    continue
                md = doc["metadata"]
                ref = "%s/%s" % (t.kind_ref, md["name"])
                if t.namespaced and not c.ns_exists(md["namespace"]) and dry != "client":
                    err('Error from server (NotFound): error when creating "%s": namespaces "%s" not found' % (src, md["namespace"]))
                    rc = 1
                    continue
                exists = c.get(t, md.get("namespace"), md["name"]) is not None
                if dry != "client":
                    we = simlib.webhook_check(c, t, doc, "UPDATE" if exists else "CREATE")
                    if we:
                        err('Error from server (InternalError): error when %s "%s": %s' % ("applying patch" if exists else "creating", src, we))
                        rc = 1
                        continue
                    if t.kind == "Namespace" and t.group == "" and exists is False:
                        pass
                if dry:
                    action = "configured" if exists else "created"
                    if fmt:
                        printed.append(doc)
                    else:
                        out("%s %s (%s dry run)" % (ref, "serverside-applied" if ss else action, dry) if dry == "server"
                            else "%s %s (dry run)" % (ref, "serverside-applied" if ss else action))
                    continue
                action, rec = c.put(doc, t)
                c.refresh(rec, poll=False)
                if fmt:
                    printed.append(rec["obj"])
                else:
                    out("%s %s" % (ref, "serverside-applied" if ss else action))
        if fmt and printed:
            with self.sim.txn(write=False) as c:
                self.print_list(c, None, printed, len(printed) == 1)
        return rc

    # ------------------------------------------------------------------ diff
    # Upstream: kubernetes/kubectl pkg/cmd/diff/diff.go. Each object is written as YAML (keys
    # sorted) to <tmp>/LIVE-<n>/<name> as it is and <tmp>/MERGED-<n>/<name> as a server dry-run
    # apply would leave it, <name> being "[GROUP.]VERSION.KIND.NAMESPACE.NAME"; then
    # $KUBECTL_EXTERNAL_DIFF (default "diff -u -N") runs on the two folders. Secret data is masked
    # ("***", or "*** (before)" / "*** (after)" when it changes). Exit 0 no differences, 1
    # differences, >1 kubectl or diff failed (CheckDiffErr: error code + 1).
    def cmd_diff(self, pos):
        import shlex
        import shutil
        import subprocess
        import tempfile
        if pos:
            raise Exit(2, "error: Unexpected args: %s\nSee 'kubectl diff -h' for help and examples" % pos)
        files = self.o.get("filename") or []
        if not files and not self.o.get("kustomize"):
            raise Exit(2, "error: must specify one of -f and -k")
        docs = self.read_manifests(files, self.o.get("recursive"))
        if self.o.get("kustomize"):
            docs.extend(self.read_kustomize(self.o["kustomize"]))
        pairs = []
        with self.sim.txn(write=False) as c:  # the dry run changes nothing: never written back
            for src, doc in docs:
                doc = copy.deepcopy(doc)
                t, e = self.obj_type(c, src, doc)
                if e:
                    raise Exit(2, e)
                e = self.place(t, src, doc)
                if e:
                    raise Exit(2, e)
                md = doc["metadata"]
                if t.namespaced and not c.ns_exists(md["namespace"]):
                    raise Exit(2, 'Error from server (NotFound): namespaces "%s" not found' % md["namespace"])
                rec = c.get(t, md.get("namespace"), md["name"])
                live = copy.deepcopy(c.refresh(rec, poll=False)) if rec else None
                _, new = c.put(doc, t)
                merged = copy.deepcopy(c.refresh(new, poll=False))
                if live is not None:  # a dry run does not bump the resourceVersion
                    merged["metadata"]["resourceVersion"] = live["metadata"].get("resourceVersion")
                name = "%s%s.%s.%s.%s" % (t.group + "." if t.group else "", t.version, t.kind,
                                          md.get("namespace", "") if t.namespaced else "", md["name"])
                if t.kind == "Secret" and t.group == "":
                    mask_secret(live, merged)
                pairs.append((name, live, merged))
        tmp = tempfile.gettempdir()
        live_dir = tempfile.mkdtemp(prefix="LIVE-", dir=tmp)
        merged_dir = tempfile.mkdtemp(prefix="MERGED-", dir=tmp)
        try:
            yaml = simlib.yaml_mod()
            for name, live, merged in pairs:
                for d, o in ((live_dir, live), (merged_dir, merged)):
                    if o is None:
                        continue
                    with open(os.path.join(d, name), "w") as fh:
                        fh.write(yaml.safe_dump(o, default_flow_style=False, sort_keys=True))
            cmd = shlex.split(os.environ.get("KUBECTL_EXTERNAL_DIFF") or "diff -u -N")
            sys.stdout.flush()
            try:
                rc = subprocess.call(cmd + [live_dir, merged_dir])
            except OSError as e:
                raise Exit(2, "error: failed to run \"%s\": %s" % (cmd[0], e))
        finally:
            shutil.rmtree(live_dir, ignore_errors=True)
            shutil.rmtree(merged_dir, ignore_errors=True)
        return rc

    # ------------------------------------------------------------------ create
    def cmd_create(self, pos):
        if self.o.get("filename"):
            docs = self.read_manifests(self.o["filename"])
            dry = self.dry()
            rc = 0
            with self.sim.txn(write=dry is None) as c:
                for src, doc in docs:
                    t, e = self.obj_type(c, src, doc)
                    if e:
                        err(e)
                        rc = 1
                        continue
                    e = self.place(t, src, doc)
                    if e:
                        raise Exit(1, e)
                    md = doc["metadata"]
                    if c.get(t, md.get("namespace"), md["name"]) is not None:
                        err('Error from server (AlreadyExists): error when creating "%s": %s "%s" already exists' % (src, t.res, md["name"]))
                        rc = 1
                        continue
                    if t.namespaced and not c.ns_exists(md["namespace"]):
                        err('Error from server (NotFound): error when creating "%s": namespaces "%s" not found' % (src, md["namespace"]))
                        rc = 1
                        continue
                    if not dry:
                        c.put(doc, t)
                    out("%s/%s created%s" % (t.kind_ref, md["name"], " (%s dry run)" % dry if dry == "server" else (" (dry run)" if dry else "")))
            return rc
        if not pos:
            raise Exit(1, "error: must specify one of -f and -k\n\nSIMULATION: or: create namespace|secret generic|configmap NAME")
        what = pos[0]
        if what in ("namespace", "ns"):
            if len(pos) != 2:
                raise Exit(1, "error: exactly one NAME is required, got %d" % (len(pos) - 1))
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": pos[1]}}
        elif what == "secret":
            if len(pos) != 3 or pos[1] not in ("generic", "tls", "docker-registry"):
                raise Exit(1, "error: SIMULATION supports: create secret generic NAME [--from-literal|--from-file|--from-env-file]")
            obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": pos[2], "namespace": self.ns},
                   "type": self.o.get("type") or "Opaque", "data": self.from_sources(True)}
        elif what in ("configmap", "cm"):
            if len(pos) != 2:
                raise Exit(1, "error: exactly one NAME is required, got %d" % (len(pos) - 1))
            obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": pos[1], "namespace": self.ns},
                   "data": self.from_sources(False)}
        else:
            raise Exit(1, 'error: unknown command "%s"\nSIMULATION: create supports namespace, secret generic, configmap, -f' % what)
        dry = self.dry()
        fmt = self.o.get("output")
        with self.sim.txn(write=dry is None) as c:
            t = c.type_for(obj["apiVersion"], obj["kind"])
            md = obj["metadata"]
            if t.namespaced and not c.ns_exists(md["namespace"]) and dry != "client":
                raise Exit(1, 'error: failed to create %s: namespaces "%s" not found' % (t.singular, md["namespace"]))
            if dry != "client" and c.get(t, md.get("namespace"), md["name"]) is not None:
                raise Exit(1, 'Error from server (AlreadyExists): %s "%s" already exists' % (t.res, md["name"]))
            if not dry:
                _, rec = c.put(obj, t)
                obj = rec["obj"]
            if fmt:
                self.print_list(c, t, [obj], True)
            else:
                out("%s/%s created%s" % (t.kind_ref, md["name"], " (server dry run)" if dry == "server" else (" (dry run)" if dry else "")))
        return 0

    def from_sources(self, b64):
        import base64
        data = {}

        def put(k, v):
            data[k] = base64.b64encode(v).decode() if b64 else v.decode()

        for lit in self.o.get("from_literal") or []:
            k, _, v = lit.partition("=")
            put(k, v.encode())
        for f in self.o.get("from_file") or []:
            k, eq, p = f.partition("=")
            if not eq:
                p, k = k, os.path.basename(k)
            if not os.path.exists(p):
                raise Exit(1, "error: error reading %s: no such file or directory" % p)
            with open(p, "rb") as fh:
                put(k, fh.read())
        for f in self.o.get("from_env_file") or []:
            with open(f) as fh:
                for line in fh:
                    line = line.strip()
                    if line and not line.startswith("#") and "=" in line:
                        k, _, v = line.partition("=")
                        put(k, v.encode())
        return data

    # ------------------------------------------------------------------ get
    def targets(self, pos):
        """Positional resource args -> [(RType, [names] or None)]."""
        if not pos:
            raise Exit(1, "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples")
        res = []
        with self.sim.txn(write=False) as c:
            if all("/" in p for p in pos):
                for p in pos:
                    rt, _, name = p.partition("/")
                    t = self.resolve(c, rt)
                    res.append((t, [name]))
            else:
                if any("/" in p for p in pos):
                    raise Exit(1, "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'")
                names = pos[1:] or None
                for rt in pos[0].split(","):
                    if rt == "all":
                        for x in ("pods", "services", "daemonsets", "deployments", "statefulsets", "jobs", "cronjobs"):
                            res.append((c.resolve(x), names))
                    else:
                        res.append((self.resolve(c, rt), names))
        return res

    def resolve(self, c, token):
        t = c.resolve(token)
        if t is None:
            raise Exit(1, 'error: the server doesn\'t have a resource type "%s"' % token.split(".")[0])
        return t

    def collect(self, c, t, names, ns, sel, fsel, poll=True):
        """Objects of type t (refreshed = polled). Returns (objs, missing names)."""
        preds = simlib.parse_selector(sel)
        objs, missing = [], []
        is_pod = t.kind == "Pod" and t.group == ""
        synth = []
        if is_pod:
            owners = {}
            for rec in c.st["objects"].values():
                if rec["kind"] in simlib.WORKLOADS and (ns is None or rec["ns"] == ns):
                    owners[id(rec)] = rec
            for rec in owners.values():
                if poll:
                    c.refresh(rec)
            synth = [p for _, p in c.workload_pods(ns)]
        if names:
            for n in names:
                rec = c.get(t, ns, n)
                if rec is not None:
                    objs.append(copy.deepcopy(c.refresh(rec, poll)))
                    continue
                sp = next((p for p in synth if p["metadata"]["name"] == n), None)
                if sp:
                    objs.append(sp)
                else:
                    missing.append(n)
        else:
            for rec in c.list(t, ns):
                o = c.refresh(rec, poll)
                if simlib.selector_match(preds, o) and simlib.field_match(fsel, o):
                    objs.append(copy.deepcopy(o))
            for p in synth:
                if simlib.selector_match(preds, p) and simlib.field_match(fsel, p):
                    objs.append(p)
            objs.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return objs, missing

    def cmd_get(self, pos):
        if self.o.get("raw"):
            return self.raw(self.o["raw"])
        tgts = self.targets(pos)
        allns = self.o.get("all_namespaces")
        ns = None if allns else self.ns
        if allns and any(n for _, n in tgts):
            raise Exit(1, "error: a resource cannot be retrieved by name across all namespaces")
        rc = 0
        objs = []
        errors = []
        single = len(tgts) == 1 and tgts[0][1] is not None and len(tgts[0][1]) == 1
        with self.sim.txn() as c:
            for t, names in tgts:
                got, missing = self.collect(c, t, names, ns, self.o.get("selector"), self.o.get("field_selector"))
                objs.extend(got)
                for m in missing:
                    if not self.o.get("ignore_not_found"):
                        errors.append('Error from server (NotFound): %s "%s" not found' % (t.res, m))
            if self.o.get("sort_by"):
                objs = sort_objects(objs, self.o["sort_by"])
            if errors:
                rc = 1
                single = False if objs else single
            if objs or not errors:
                if single and not objs:
                    pass
                elif single:
                    self.print_list(c, tgts[0][0], objs, True)
                else:
                    if not objs and (tgts[0][1] or errors):
                        pass
                    else:
                        self.print_list(c, tgts[0][0] if len(tgts) == 1 else None, objs, False)
        sys.stdout.flush()
        for e in errors:
            err(e)
        return rc

    # ------------------------------------------------------------------ delete
    def cmd_delete(self, pos):
        ign = self.o.get("ignore_not_found")
        dry = self.dry()
        rc = 0
        with self.sim.txn(write=dry is None) as c:
            items = []  # (t, ns, name, src)
            if self.o.get("filename") or self.o.get("kustomize"):
                docs = self.read_manifests(self.o.get("filename") or [], self.o.get("recursive"))
                if self.o.get("kustomize"):
                    docs.extend(self.read_kustomize(self.o["kustomize"]))
                for src, doc in docs:
                    doc = copy.deepcopy(doc)
                    t, e = self.obj_type(c, src, doc)
                    if e:
                        if "resource mapping not found" in e and ign:
                            continue
                        err(e)
                        rc = 1
                        continue
                    e = self.place(t, src, doc)
                    if e:
                        raise Exit(1, e)
                    items.append((t, doc["metadata"].get("namespace"), doc["metadata"]["name"], src))
            else:
                if not pos:
                    raise Exit(1, "error: You must provide one or more resources by argument or filename.")
                allns = self.o.get("all_namespaces")
                for t, names in self.targets(pos):
                    if names:
                        items.extend((t, self.ns if t.namespaced else "", n, None) for n in names)
                    elif self.o.get("all") or self.o.get("selector"):
                        preds = simlib.parse_selector(self.o.get("selector"))
                        for rec in c.list(t, None if allns else self.ns):
                            if simlib.selector_match(preds, rec["obj"]):
                                items.append((t, rec["ns"], rec["name"], None))
                    else:
                        raise Exit(1, "error: resource(s) were provided, but no name was specified")
            for t, ns, name, src in items:
                rec = c.get(t, ns, name)
                if rec is None and t.kind == "Pod":
                    if any(p["metadata"]["name"] == name for _, p in c.workload_pods(ns)):
                        out('pod "%s" deleted' % name)
                        continue
                if rec is None:
                    if not ign:
                        if src:
                            err('Error from server (NotFound): error when deleting "%s": %s "%s" not found' % (src, t.res, name))
                        else:
                            err('Error from server (NotFound): %s "%s" not found' % (t.res, name))
                        rc = 1
                    continue
                if not dry:
                    c.delete(rec)
                out('%s "%s" deleted%s' % (t.kind_ref, name, " (%s dry run)" % dry if dry else ""))
        return rc

    # ------------------------------------------------------------------ label / annotate
    def cmd_label(self, pos):
        return self.meta_edit(pos, "labels", "labeled")

    def cmd_annotate(self, pos):
        return self.meta_edit(pos, "annotations", "annotated")

    def meta_edit(self, pos, field, word):
        if not pos:
            raise Exit(1, "error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
        kv = [p for p in pos if "=" in p or (p.endswith("-") and "/" not in p)]
        res = [p for p in pos if p not in kv]
        if not kv:
            raise Exit(1, "error: at least one %s update is required" % field[:-1])
        dry = self.dry()
        rc = 0
        with self.sim.txn(write=dry is None) as c:
            if all("/" in r for r in res):
                items = [(self.resolve(c, r.split("/", 1)[0]), r.split("/", 1)[1]) for r in res]
            else:
                t = self.resolve(c, res[0])
                items = [(t, n) for n in res[1:]]
                if not items and (self.o.get("all") or self.o.get("selector")):
                    preds = simlib.parse_selector(self.o.get("selector"))
                    items = [(t, r["name"]) for r in c.list(t, self.ns) if simlib.selector_match(preds, r["obj"])]
            for t, name in items:
                rec = c.get(t, self.ns, name)
                if rec is None:
                    err('Error from server (NotFound): %s "%s" not found' % (t.res, name))
                    rc = 1
                    continue
                md = rec["obj"]["metadata"]
                cur = dict(md.get(field) or {})
                before = dict(cur)
                for p in kv:
                    if p.endswith("-") and "=" not in p:
                        cur.pop(p[:-1], None)
                        continue
                    k, _, v = p.partition("=")
                    if k in cur and cur[k] != v and not self.o.get("overwrite"):
                        raise Exit(1, "error: '%s' already has a value (%s), and --overwrite is false" % (k, cur[k]))
                    cur[k] = v
                if cur == before:
                    out("%s/%s not %s" % (t.kind_ref, name, word) if field == "labels" else "%s/%s %s" % (t.kind_ref, name, word))
                    continue
                if not dry:
                    md[field] = cur
                    c.touch(rec)
                out("%s/%s %s" % (t.kind_ref, name, word))
        return rc

    # ------------------------------------------------------------------ patch
    def cmd_patch(self, pos):
        patch = self.o.get("patch")
        if self.o.get("patch_file"):
            with open(self.o["patch_file"]) as fh:
                patch = fh.read()
        if patch is None:
            raise Exit(1, "error: must specify -p to patch")
        try:
            pdata = simlib.yaml_load(patch)
        except Exception as e:
            raise Exit(1, "error: unable to parse \"%s\": %s" % (patch, e))
        typ = self.o.get("type") or "strategic"
        with self.sim.txn(write=self.dry() is None) as c:
            if len(pos) == 1 and "/" in pos[0]:
                rt, name = pos[0].split("/", 1)
            elif len(pos) == 2:
                rt, name = pos
            else:
                raise Exit(1, "error: resource(s) were provided, but no name was specified")
            t = self.resolve(c, rt)
            rec = c.get(t, self.ns, name)
            if rec is None:
                raise Exit(1, 'Error from server (NotFound): %s "%s" not found' % (t.res, name))
            o = rec["obj"]
            before = json.dumps(o, sort_keys=True)
            if typ == "json":
                new = json_patch(o, pdata)
            else:
                new = merge_patch(o, pdata)
            if json.dumps(new, sort_keys=True) == before:
                out("%s/%s patched (no change)" % (t.kind_ref, name))
                return 0
            if json.dumps(new.get("spec"), sort_keys=True) != json.dumps(o.get("spec"), sort_keys=True):
                new["metadata"]["generation"] = o["metadata"].get("generation", 1) + 1
                rec["polls"] = 0
                rec["changed"] = time.time()
            rec["obj"] = new
            c.touch(rec)
            out("%s/%s patched" % (t.kind_ref, name))
        return 0

    # ------------------------------------------------------------------ wait
    def wait_targets(self, c, pos):
        res = []
        allns = self.o.get("all_namespaces")
        ns = None if allns else self.ns
        for t, names in self.targets(pos):
            if names:
                res.extend((t, ns or self.ns, n) for n in names)
            else:
                preds = simlib.parse_selector(self.o.get("selector"))
                objs, _ = self.collect(c, t, None, ns, self.o.get("selector"), self.o.get("field_selector"), poll=False)
                if not (self.o.get("all") or preds or self.o.get("field_selector")):
                    raise Exit(1, "error: resource(s) were provided, but no name was specified")
                res.extend((t, o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objs)
        return res

    def cmd_wait(self, pos):
        cond = self.o.get("for")
        if not cond:
            raise Exit(1, "error: --for must be specified")
        timeout = simlib.parse_duration(self.o.get("timeout"), 30.0)
        with self.sim.txn(write=False) as c:
            tgts = self.wait_targets(c, pos)
        if not tgts:
            raise Exit(1, "error: no matching resources found")
        rc = 0
        start = time.time()
        for t, ns, name in tgts:
            left = max(0.0, timeout - (time.time() - start))
            state = {}

            def check():
                with self.sim.txn() as c:
                    objs, missing = self.collect(c, t, [name], ns, None, None)
                    if cond == "delete":
                        return not objs
                    if missing:
                        state["missing"] = True
                        return cond == "create" and False
                    if cond == "create":
                        return True
                    return cond_met(objs[0], cond)

            ok = self.sim.wait_until(check, left)
            if ok:
                out("%s/%s condition met" % (t.kind_ref, name))
            elif state.get("missing") and cond != "create":
                err('Error from server (NotFound): %s "%s" not found' % (t.res, name))
                rc = 1
            else:
                err("error: timed out waiting for the condition on %s/%s" % (t.plural, name))
                rc = 1
        return rc

    # ------------------------------------------------------------------ rollout
    def cmd_rollout(self, pos):
        if not pos:
            raise Exit(1, "error: rollout needs a subcommand: status|restart|history|undo|pause|resume (SIMULATION: status, restart)")
        sub, args = pos[0], pos[1:]
        if len(args) == 1 and "/" in args[0]:
            rt, name = args[0].split("/", 1)
        elif len(args) == 2:
            rt, name = args
        else:
            raise Exit(1, "error: required resource not specified")
        with self.sim.txn(write=False) as c:
            t = self.resolve(c, rt)
        if t.kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            raise Exit(1, 'error: no status viewer has been implemented for %s' % t.kind)
        if sub == "restart":
            with self.sim.txn() as c:
                rec = c.get(t, self.ns, name)
                if rec is None:
                    raise Exit(1, 'Error from server (NotFound): %s "%s" not found' % (t.res, name))
                tpl = rec["obj"].setdefault("spec", {}).setdefault("template", {}).setdefault("metadata", {})
                tpl.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = simlib.now_iso()
                rec["obj"]["metadata"]["generation"] = rec["obj"]["metadata"].get("generation", 1) + 1
                rec["polls"] = 0
                rec["changed"] = time.time()
                c.touch(rec)
            out("%s/%s restarted" % (t.kind_ref, name))
            return 0
        if sub != "status":
            raise Exit(1, 'error: SIMULATION: "rollout %s" is not implemented' % sub)
        timeout = simlib.parse_duration(self.o.get("timeout"), None)
        watch = self.o.get("watch", True)
        last = {"msg": None}

        def check():
            with self.sim.txn() as c:
                rec = c.get(t, self.ns, name)
                if rec is None:
                    raise Exit(1, 'Error from server (NotFound): %s "%s" not found' % (t.res, name))
                o = c.refresh(rec)
                done, msg = rollout_state(o)
                if msg != last["msg"]:
                    out(msg)
                    sys.stdout.flush()
                    last["msg"] = msg
                return done

        if not watch:
            return 0 if check() else 1
        if timeout is None or timeout <= 0:
            timeout = None
        if self.sim.wait_until(check, timeout):
            return 0
        raise Exit(1, "error: timed out waiting for the condition")

    # ------------------------------------------------------------------ misc
    def version(self):
        v = simlib.VERSIONS["kubectl"]
        cli = {"major": "1", "minor": v.split(".")[1], "gitVersion": v, "gitCommit": "simulation",
               "gitTreeState": "clean", "buildDate": "2024-10-22T20:35:25Z", "goVersion": "go1.22.8",
               "compiler": "gc", "platform": "linux/amd64", "simulation": "groundwork tests/sim"}
        res = {"clientVersion": cli, "kustomizeVersion": simlib.VERSIONS["kustomize"]}
        server_err = None
        if not self.o.get("client"):
            with self.sim.txn(write=False) as c:
                up = c.api_reachable()
                sv = c.cfg.get("kubernetesVersion", v)
            if up:
                srv = dict(cli)
                srv["gitVersion"] = sv
                srv["minor"] = sv.split(".")[1]
                res["serverVersion"] = srv
            else:
                server_err = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?"
        fmt = self.o.get("output")
        if fmt == "json":
            out(json.dumps(res, indent=2))
        elif fmt == "yaml":
            sys.stdout.write(simlib.yaml_dump(res))
        else:
            out("Client Version: %s (SIMULATION)" % v)
            out("Kustomize Version: %s" % simlib.VERSIONS["kustomize"])
            if "serverVersion" in res:
                out("Server Version: %s (SIMULATION)" % res["serverVersion"]["gitVersion"])
        if server_err:
            raise Exit(1, server_err)
        return 0

    def raw(self, path):
        path = path.split("?")[0].rstrip("/") or "/"
        if path == "/version":
            with self.sim.txn(write=False) as c:
                sv = c.cfg.get("kubernetesVersion", simlib.VERSIONS["kubectl"])
            minor = sv.split(".")[1]
            out(json.dumps({"major": "1", "minor": minor, "gitVersion": sv, "gitCommit": "simulation",
                            "gitTreeState": "clean", "buildDate": "2024-10-22T20:28:14Z", "goVersion": "go1.22.8",
                            "compiler": "gc", "platform": "linux/amd64"}, indent=2))
        elif path in ("/healthz", "/readyz", "/livez"):
            sys.stdout.write("ok")
        elif path == "/api":
            out(json.dumps({"kind": "APIVersions", "versions": ["v1"],
                            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}))
        else:
            raise Exit(1, 'Error from server (NotFound): the server could not find the requested resource (SIMULATION: --raw %s)' % path)
        return 0

    def cmd_cluster_info(self, pos):
        out("Kubernetes control plane is running at https://127.0.0.1:6443 (SIMULATION)")
        out("CoreDNS is running at https://127.0.0.1:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy")
        out("")
        out("To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.")
        return 0

    def config_cmd(self, pos):
        path = self.o.get("kubeconfig") or (os.environ.get("KUBECONFIG", "").split(":")[0]) or None
        kc = {}
        if path and os.path.exists(path):
            with open(path) as fh:
                kc = simlib.yaml_load(fh.read()) or {}
        sub = pos[0] if pos else ""
        if sub == "current-context":
            ctx = self.o.get("context") or kc.get("current-context")
            if not ctx:
                raise Exit(1, "error: current-context is not set")
            out(ctx)
        elif sub == "get-contexts":
            rows = [["CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"]]
            for cx in kc.get("contexts") or []:
                cc = cx.get("context") or {}
                rows.append(["*" if cx.get("name") == kc.get("current-context") else "", cx.get("name", ""),
                             cc.get("cluster", ""), cc.get("user", ""), cc.get("namespace", "")])
            self.table(rows)
        elif sub == "view":
            sys.stdout.write(simlib.yaml_dump(kc))
        else:
            raise Exit(1, "error: SIMULATION: kubectl config %s is not implemented (current-context, get-contexts, view)" % sub)
        return 0

    def cmd_api_resources(self, pos):
        with self.sim.txn(write=False) as c:
            ts = c.types()
        if self.o.get("output") == "name":
            for t in ts:
                out(t.res)
            return 0
        rows = [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
        for t in ts:
            rows.append([t.plural, ",".join(t.shorts), t.api_version, str(t.namespaced).lower(), t.kind])
        self.table(rows)
        return 0

    def cmd_logs(self, pos):
        if not pos:
            raise Exit(1, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.")
        out("SIMULATION: log line of %s in namespace %s" % (pos[0], self.ns))
        return 0

    def cmd_auth(self, pos):
        if pos[:1] == ["can-i"]:
            out("yes")
            return 0
        raise Exit(1, "error: SIMULATION: only 'auth can-i' is implemented")

    def cmd_exec(self, pos):
        return sim_dr_kinds.kubectl_exec(self, pos)

    def cmd_scale(self, pos):
        reps = self.o.get("replicas")
        if reps is None:
            raise Exit(1, "error: required flag(s) \"replicas\" not set")
        if len(pos) == 1 and "/" in pos[0]:
            rt, name = pos[0].split("/", 1)
        elif len(pos) == 2:
            rt, name = pos
        else:
            raise Exit(1, "error: resource(s) were provided, but no name was specified")
        with self.sim.txn() as c:
            t = self.resolve(c, rt)
            rec = c.get(t, self.ns, name)
            if rec is None:
                raise Exit(1, 'Error from server (NotFound): %s "%s" not found' % (t.res, name))
            rec["obj"].setdefault("spec", {})["replicas"] = int(reps)
            rec["polls"] = 0
            rec["changed"] = time.time()
            c.touch(rec)
        out("%s/%s scaled" % (t.kind_ref, name))
        return 0


# ---------------------------------------------------------------------- helpers outside the class

def remote_standin(url):
    """No network in the simulation: a remote manifest/kustomization URL is served from a local
    stand-in listed in tests/sim/remote/index.yaml ({match: substring of the URL, file: name})."""
    d = os.path.join(simlib.SIM_DIR, "remote")
    idx = os.path.join(d, "index.yaml")
    if os.path.exists(idx):
        with open(idx) as fh:
            entries = simlib.yaml_load(fh.read()) or []
        for e in entries:
            if e.get("match") and e["match"] in url:
                with open(os.path.join(d, e["file"])) as fh:
                    return fh.read()
    raise Exit(1, "error: SIMULATION: no network; no local stand-in for %s in tests/sim/remote/index.yaml" % url)


def mask_secret(live, merged):
    """kubectl diff's Masker (upstream pkg/cmd/diff/diff.go): Secret data values are hidden."""
    ld = (live or {}).get("data") or {}
    md = (merged or {}).get("data") or {}
    for k in set(ld) | set(md):
        if k in ld and k in md and ld[k] != md[k]:
            ld[k], md[k] = "*** (before)", "*** (after)"
        else:
            if k in ld:
                ld[k] = "***"
            if k in md:
                md[k] = "***"


def cond_met(o, cond):
    if cond.startswith("condition="):
        spec = cond[len("condition="):]
        ctype, _, want = spec.partition("=")
        want = want or "True"
        for cnd in (o.get("status") or {}).get("conditions") or []:
            if cnd.get("type", "").lower() == ctype.lower():
                return str(cnd.get("status", "")).lower() == want.lower()
        return False
    if cond.startswith("jsonpath="):
        spec = cond[len("jsonpath="):]
        m = re.match(r"^'?(\{.*\}|[^=]+?)'?(?:=(.*))?$", spec, re.S)
        if not m:
            raise Exit(1, 'error: unrecognized condition: "%s"' % cond)
        expr, want = m.group(1), m.group(2)
        vals = simlib.jp_eval(simlib.jp_parse_expr(expr.strip().strip("{}")), [o])
        if want is None:
            return bool(vals)
        return bool(vals) and simlib.jp_format(vals[0]) == want.strip('"\'')
    raise Exit(1, 'error: unrecognized condition: "%s"' % cond)


def rollout_state(o):
    kind, name = o["kind"], o["metadata"]["name"]
    st = o.get("status") or {}
    sp = o.get("spec") or {}
    gen = o["metadata"].get("generation", 1)
    if st.get("observedGeneration", 0) < gen:
        return False, "Waiting for %s spec update to be observed..." % ("deployment" if kind == "Deployment" else kind.lower())
    if kind == "Deployment":
        r = int(sp.get("replicas", 1))
        upd, avail = st.get("updatedReplicas", 0), st.get("availableReplicas", 0)
        if upd < r:
            return False, 'Waiting for deployment "%s" rollout to finish: %d out of %d new replicas have been updated...' % (name, upd, r)
        if avail < upd:
            return False, 'Waiting for deployment "%s" rollout to finish: %d of %d updated replicas are available...' % (name, avail, upd)
        return True, 'deployment "%s" successfully rolled out' % name
    if kind == "DaemonSet":
        desired = st.get("desiredNumberScheduled", 0)
        upd, avail = st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0)
        if upd < desired:
            return False, 'Waiting for daemon set "%s" rollout to finish: %d out of %d new pods have been updated...' % (name, upd, desired)
        if avail < desired:
            return False, 'Waiting for daemon set "%s" rollout to finish: %d of %d updated pods are available...' % (name, avail, desired)
        return True, 'daemon set "%s" successfully rolled out' % name
    r = int(sp.get("replicas", 1))
    ready = st.get("readyReplicas", 0)
    if ready < r:
        return False, "Waiting for %d pods to be ready..." % (r - ready)
    return True, "statefulset rolling update complete %d pods at revision %s..." % (r, st.get("updateRevision", ""))


def merge_patch(o, p):
    if not isinstance(p, dict):
        return copy.deepcopy(p)
    r = copy.deepcopy(o) if isinstance(o, dict) else {}
    for k, v in p.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = merge_patch(r.get(k), v)
    return r


def json_patch(o, ops):
    r = copy.deepcopy(o)
    for op in ops or []:
        path = [x.replace("~1", "/").replace("~0", "~") for x in op["path"].split("/")[1:]]
        parent = r
        for seg in path[:-1]:
            parent = parent[int(seg)] if isinstance(parent, list) else parent.setdefault(seg, {})
        last = path[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                if last == "-":
                    parent.append(op["value"])
                elif op["op"] == "add":
                    parent.insert(int(last), op["value"])
                else:
                    parent[int(last)] = op["value"]
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                parent.pop(last, None)
    return r


def columns(kind, items=()):
    def ready_cond(o):
        for cnd in (o.get("status") or {}).get("conditions") or []:
            if cnd.get("type") == "Ready":
                return cnd.get("status", "Unknown")
        return "Unknown"

    if kind == "Deployment":
        return ["READY", "UP-TO-DATE", "AVAILABLE"], lambda o: [
            "%d/%d" % ((o.get("status") or {}).get("readyReplicas", 0), (o.get("spec") or {}).get("replicas", 1)),
            str((o.get("status") or {}).get("updatedReplicas", 0)), str((o.get("status") or {}).get("availableReplicas", 0))]
    if kind == "StatefulSet":
        return ["READY"], lambda o: ["%d/%d" % ((o.get("status") or {}).get("readyReplicas", 0), (o.get("spec") or {}).get("replicas", 1))]
    if kind == "DaemonSet":
        return ["DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE"], lambda o: [
            str((o.get("status") or {}).get(k, 0)) for k in ("desiredNumberScheduled", "currentNumberScheduled",
                                                              "numberReady", "updatedNumberScheduled", "numberAvailable")]
    if kind == "Pod":
        def pod(o):
            cs = (o.get("status") or {}).get("containerStatuses") or []
            return ["%d/%d" % (sum(1 for x in cs if x.get("ready")), max(len(cs), 1)),
                    (o.get("status") or {}).get("phase", "Pending"), "0"]
        return ["READY", "STATUS", "RESTARTS"], pod
    if kind == "Service":
        def svc(o):
            sp = o.get("spec") or {}
            ing = ((o.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
            ext = ",".join(i.get("ip", "") for i in ing) if ing else ("<pending>" if sp.get("type") == "LoadBalancer" else "<none>")
            ports = ",".join("%s/%s" % (p.get("port"), p.get("protocol", "TCP")) for p in sp.get("ports") or []) or "<none>"
            return [sp.get("type", "ClusterIP"), sp.get("clusterIP", "None"), ext, ports]
        return ["TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)"], svc
    if kind == "Namespace":
        return ["STATUS"], lambda o: [(o.get("status") or {}).get("phase", "Active")]
    if kind == "PersistentVolumeClaim":
        return ["STATUS", "VOLUME", "CAPACITY", "STORAGECLASS"], lambda o: [
            (o.get("status") or {}).get("phase", "Pending"), (o.get("spec") or {}).get("volumeName", ""),
            ((o.get("status") or {}).get("capacity") or {}).get("storage", ""), (o.get("spec") or {}).get("storageClassName", "")]
    if kind == "Node":
        return ["STATUS", "ROLES", "VERSION"], lambda o: ["Ready", "control-plane",
                                                          ((o.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")]
    if kind in ("ConfigMap", "Secret"):
        return ["DATA"], lambda o: [str(len(o.get("data") or {}))]
    if any((o.get("status") or {}).get("conditions") for o in items):
        return ["READY"], lambda o: [ready_cond(o) if (o.get("status") or {}).get("conditions") else ""]
    return [], lambda o: []


def sort_objects(objs, field):
    """`get --sort-by=.a.b` (or `{.a.b}`): ascending by that field, missing ones first, stable."""
    tpl = field if field.startswith("{") else "{%s}" % field
    def key(o):
        v = simlib.jp_eval(simlib.jp_parse_expr(tpl.strip("{}")), [o])
        v = v[0] if v else None
        return (v is not None, v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0,
                "" if isinstance(v, (int, float)) else simlib.jp_format(v))
    try:
        return sorted(objs, key=key)
    except simlib.JPError as e:
        raise Exit(1, "error: couldn't find any field with path \"%s\" in the list of objects: %s" % (field, e))
