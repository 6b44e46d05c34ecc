"""SIMULATION: fake velero of groundwork's simulated cluster (tests/sim). Not the real velero."""
import copy
import json
import os
import sys
import time

import simlib
from simlib import Exit, FlagSpec, out

TOOL = "velero"

GLOBAL = FlagSpec("namespace|n:str", "kubeconfig:str", "kubecontext:str", "features:str", "colorized:opt", "help|h")

COMMON = ("output|o:str", "wait|w", "selector|l:str", "label-columns:list", "show-labels", "confirm", "all",
          "details")
BACKUP = ("include-namespaces:list", "exclude-namespaces:list", "include-resources:list", "exclude-resources:list",
          "include-cluster-resources:opt", "ttl:str", "snapshot-volumes:opt", "default-volumes-to-fs-backup:opt",
          "storage-location:str", "volume-snapshot-locations:list", "from-schedule:str", "labels:list",
          "ordered-resources:str", "csi-snapshot-timeout:str", "item-operation-timeout:str", "snapshot-move-data:opt",
          "wait-for-ready", "parallel-files-upload:str", "resource-policies-configmap:str")
RESTORE = ("from-backup:str", "from-schedule:str", "namespace-mappings:list", "include-namespaces:list",
           "exclude-namespaces:list", "include-resources:list", "exclude-resources:list", "existing-resource-policy:str",
           "restore-volumes:opt", "preserve-nodeports:opt", "include-cluster-resources:opt", "labels:list",
           "status-include-resources:list", "item-operation-timeout:str", "write-sparse-files:opt", "allow-partially-failed:opt",
           "resource-modifier-configmap:str", "parallel-files-download:str", "or-selector:str",
           "status-exclude-resources:list")

SPEC = FlagSpec(*COMMON, *BACKUP, *RESTORE, "client-only", "timeout:str", "schedule:str", "paused")

HELP = """velero (SIMULATION) -- fake velero of groundwork's simulated cluster (tests/sim).
Backups snapshot the stored objects of the included namespaces into $GROUNDWORK_SIM_STATE; a restore
copies them back, into the mapped namespaces.

Supported: backup create|get|describe|delete, restore create|get|describe|delete|logs, version,
backup-location get.
"""

UNREACHABLE = ('An error occurred: Get "https://127.0.0.1:6443/api?timeout=32s": dial tcp 127.0.0.1:6443: '
               'connect: connection refused')


unknown = simlib.cobra_unknown("An error occurred: ")


def main(sim, argv):
    parsed = simlib.parse_verbs(TOOL, argv, GLOBAL.merged(SPEC), HELP, unknown)
    if parsed is None:
        return 0
    verbs, pos, opts = parsed
    v = Velero(sim, opts)
    if verbs[0] == "version":
        return v.version()
    simlib.check_kubeconfig(opts.get("kubeconfig"), opts.get("kubecontext"), TOOL)
    with sim.txn(write=False) as c:
        if not c.api_reachable():
            raise Exit(1, UNREACHABLE)
    if len(verbs) < 2:
        raise Exit(1, "Error: SIMULATION: velero %s needs a subcommand" % verbs[0])
    group, sub = verbs[0], verbs[1]
    group = {"backups": "backup", "restores": "restore", "schedules": "schedule"}.get(group, group)
    fn = getattr(v, "%s_%s" % (group.replace("-", "_"), sub), None)
    if fn is None:
        raise Exit(1, 'Error: unknown command "%s %s" for "velero"\nSIMULATION: not implemented' % (verbs[0], sub))
    v.sync_bucket()
    return fn(pos)


def resource_match(t, names):
    """Whether a resource type is named in --include/--exclude-resources (velero resolves them
    like kubectl: plural, singular or short name, optionally with .group)."""
    own = set(t.names())
    own |= {"%s.%s" % (n, t.group) for n in list(own)} if t.group else set()
    return any(n in own for n in names)


def split(vals):
    res = []
    for v in vals or []:
        res.extend(x.strip() for x in v.split(",") if x.strip())
    return res


class Velero:
    def __init__(self, sim, opts):
        self.sim = sim
        self.o = opts
        self.ns = opts.get("namespace") or "velero"

    # ------------------------------------------------------------------ the bucket
    def bucket_path(self):
        """config `veleroBucket`: a JSON file standing for the object-storage bucket, shared by the
        simulated clusters that name it (an old cluster's backups, a rebuilt one's restores)."""
        p = self.sim.config.get("veleroBucket")
        return None if not p else (p if os.path.isabs(p) else os.path.join(self.sim.dir, p))

    def bucket_load(self):
        p = self.bucket_path()
        if not p or not os.path.exists(p):
            return {"backups": {}}
        with open(p) as f:
            return json.load(f)

    def bucket_save(self, data):
        p = self.bucket_path()
        tmp = "%s.%d.tmp" % (p, os.getpid())
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, p)

    def sync_bucket(self):
        """The backup sync controller (velero v1.17 pkg/controller/backup_sync_controller.go): a
        running server creates the Backup objects of backups in its location that the cluster
        lacks. Here at every call, while a server runs."""
        if not self.bucket_path():
            return
        data = self.bucket_load()["backups"]
        if not data:
            return
        with self.sim.txn() as c:
            if not self.server_ok(c):
                return
            t = self.vtype(c, "Backup")
            for name, entry in sorted(data.items()):
                if c.get(t, self.ns, name) is not None:
                    continue
                obj = copy.deepcopy(entry["backup"])
                for f in ("uid", "resourceVersion", "creationTimestamp", "generation"):
                    obj["metadata"].pop(f, None)
                obj["metadata"]["namespace"] = self.ns
                _, rec = c.put(obj, t)
                rec["obj"]["status"] = copy.deepcopy(entry["backup"].get("status") or {})
                c.st["velero"]["data"][name] = copy.deepcopy(entry["items"])

    # ------------------------------------------------------------------ helpers
    def vtype(self, c, kind):
        return c.type_for("velero.io/v1", kind)

    def server_ok(self, c):
        """The velero server runs when a Deployment exists in the velero namespace."""
        return any(r["kind"] == "Deployment" and r["ns"] == self.ns for r in c.st["objects"].values())

    def need_ns(self, c):
        if not c.ns_exists(self.ns):
            raise Exit(1, 'An error occurred: namespaces "%s" not found' % self.ns)

    def print_objs(self, objs, single, kind):
        fmt = self.o.get("output") or "table"
        if fmt in ("json", "yaml"):
            data = objs[0] if single and objs else {"apiVersion": "velero.io/v1", "kind": kind + "List",
                                                     "metadata": {}, "items": objs}
            if fmt == "json":
                out(json.dumps(data, indent=4))
            else:
                sys.stdout.write(simlib.yaml_dump(data))
            return
        if kind == "Backup":
            out("NAME\tSTATUS\tERRORS\tWARNINGS\tCREATED\tEXPIRES\tSTORAGE LOCATION\tSELECTOR")
            for o in objs:
                st = o.get("status") or {}
                out("%s\t%s\t%d\t%d\t%s\t29d\tdefault\t<none>" % (o["metadata"]["name"], st.get("phase", "New"),
                                                                   st.get("errors", 0), st.get("warnings", 0),
                                                                   o["metadata"]["creationTimestamp"]))
        else:
            out("NAME\tBACKUP\tSTATUS\tSTARTED\tCOMPLETED\tERRORS\tWARNINGS\tCREATED\tSELECTOR")
            for o in objs:
                st = o.get("status") or {}
                out("%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t<none>" % (
                    o["metadata"]["name"], (o.get("spec") or {}).get("backupName", ""), st.get("phase", "New"),
                    st.get("startTimestamp", "<nil>"), st.get("completionTimestamp", "<nil>"), st.get("errors", 0),
                    st.get("warnings", 0), o["metadata"]["creationTimestamp"]))

    def get_objs(self, kind, pos):
        with self.sim.txn(write=False) as c:
            t = self.vtype(c, kind)
            if pos:
                objs = []
                for n in pos:
                    rec = c.get(t, self.ns, n)
                    if rec is None:
                        raise Exit(1, 'An error occurred: %s "%s" not found' % (t.res, n))
                    objs.append(copy.deepcopy(rec["obj"]))
            else:
                preds = simlib.parse_selector(self.o.get("selector"))
                objs = [copy.deepcopy(r["obj"]) for r in c.list(t, self.ns) if simlib.selector_match(preds, r["obj"])]
        # velero v1.17 pkg/cmd/util/output/output.go printEncoded: a list of exactly one item is
        # printed as that item (with or without names)
        self.print_objs(objs, len(objs) == 1, kind)
        return 0

    def wait_phase(self, kind, name, forever=False):
        """Polls until the object leaves New/InProgress. The simulated server finishes a restore
        or backup within the call that creates it, so only a stuck one (no server: capped by
        maxWaitSeconds; a `velero-restore` fault with phase InProgress: `forever`, like the real
        `--wait`, which has no timeout) is still going."""
        def check():
            with self.sim.txn(write=False) as c:
                rec = c.get(self.vtype(c, kind), self.ns, name)
                if rec is None:
                    return "deleted"
                ph = (rec["obj"].get("status") or {}).get("phase")
                return ph if ph not in (None, "New", "InProgress") else None
        if not forever:
            return self.sim.wait_until(check, None)
        last = time.time()
        while True:
            r = check()
            if r:
                return r
            if time.time() - last >= 1:  # the real CLI prints a dot every second while it waits
                sys.stdout.write(".")
                sys.stdout.flush()
                last = time.time()
            time.sleep(float(self.sim.config.get("pollSleep", 0.02)) * 10)

    # ------------------------------------------------------------------ backup
    def backup_create(self, pos):
        if len(pos) != 1:
            raise Exit(1, "An error occurred: backup create requires exactly one argument: NAME")
        name = pos[0]
        inc = split(self.o.get("include_namespaces")) or ["*"]
        exc = set(split(self.o.get("exclude_namespaces")))
        now = time.time()
        with self.sim.txn() as c:
            self.need_ns(c)
            t = self.vtype(c, "Backup")
            if c.get(t, self.ns, name) is not None:
                raise Exit(1, 'An error occurred: backups.velero.io "%s" already exists' % name)
            obj = {"apiVersion": "velero.io/v1", "kind": "Backup",
                   "metadata": {"name": name, "namespace": self.ns,
                                "labels": {"velero.io/storage-location": self.o.get("storage_location") or "default"}},
                   "spec": {"includedNamespaces": inc, "excludedNamespaces": sorted(exc), "ttl": self.o.get("ttl") or "720h0m0s",
                            "storageLocation": self.o.get("storage_location") or "default",
                            "defaultVolumesToFsBackup": self.o.get("default_volumes_to_fs_backup") in ("true", True)},
                   "status": {"phase": "New"}}
            _, rec = c.put(obj, t)
            status = {"phase": "New"}
            if self.server_ok(c):
                items = []
                for k, r in c.st["objects"].items():
                    if r["kind"] == "Event" or (r["group"] == "velero.io"):
                        continue
                    ns = r["ns"] if r["ns"] else (r["name"] if r["kind"] == "Namespace" and r["group"] == "" else None)
                    if ns is None:
                        continue  # cluster-scoped objects are left out
                    if ns in exc or ("*" not in inc and ns not in inc):
                        continue
                    items.append(copy.deepcopy({"group": r["group"], "kind": r["kind"], "ns": r["ns"], "name": r["name"],
                                                "obj": r["obj"]}))
                c.st["velero"]["data"][name] = items
                status = {"phase": "Completed", "version": 1, "formatVersion": "1.1.0",
                          "startTimestamp": simlib.now_iso(now), "completionTimestamp": simlib.now_iso(),
                          "expiration": simlib.now_iso(now + 30 * 86400),
                          "progress": {"totalItems": len(items), "itemsBackedUp": len(items)}}
            rec["obj"]["status"] = status
            if self.bucket_path() and status["phase"] == "Completed":
                b = self.bucket_load()
                b["backups"][name] = {"backup": copy.deepcopy(rec["obj"]), "items": c.st["velero"]["data"][name]}
                self.bucket_save(b)
        out('Backup request "%s" submitted successfully.' % name)
        if self.o.get("wait"):
            out("Waiting for backup to complete. You may safely press ctrl-c to stop waiting - your backup will continue in the background.")
            if not self.wait_phase("Backup", name):
                raise Exit(1, "An error occurred: SIMULATION: backup %s stays New: no velero server (Deployment) runs in namespace %s" % (name, self.ns))
            out(".")
            out("Backup completed with status: Completed. You may check for more information using the commands `velero backup describe %s` and `velero backup logs %s`." % (name, name))
        else:
            out("Run `velero backup describe %s` or `velero backup logs %s` for more details." % (name, name))
        return 0

    def backup_get(self, pos):
        return self.get_objs("Backup", pos)

    def backup_describe(self, pos):
        return self.describe("Backup", pos)

    def backup_delete(self, pos):
        return self.delete("Backup", pos)

    def backup_logs(self, pos):
        out("SIMULATION: velero backup logs of %s" % (pos[0] if pos else ""))
        return 0

    # ------------------------------------------------------------------ restore
    def restore_create(self, pos):
        """velero v1.17 pkg/cmd/cli/restore/create.go: the Restore object, then (with --wait) a
        watch until its phase is FailedValidation, Completed, PartiallyFailed or Failed -- and exit
        0 whatever that phase is. The simulated server restores within this call; a
        `velero-restore` fault (tests/sim/README.md) decides another outcome."""
        backup = self.o.get("from_backup")
        if bool(backup) == bool(self.o.get("from_schedule")):
            raise Exit(1, "An error occurred: either a backup or schedule must be specified, but not both")
        if not backup:
            raise Exit(1, "An error occurred: SIMULATION: --from-schedule is not implemented")
        if len(pos) > 1:
            raise Exit(1, 'Error: accepts at most 1 arg(s), received %d' % len(pos))
        name = pos[0] if pos else "%s-%s" % (backup, time.strftime("%Y%m%d%H%M%S"))
        mappings = {}
        for m in split(self.o.get("namespace_mappings")):
            a, sep, b = m.partition(":")
            if not sep or not a or not b:
                raise Exit(1, 'An error occurred: invalid argument "%s" for "--namespace-mappings" flag: syntax error: expected <old>:<new>' % m)
            mappings[a] = b
        labels = {}
        for m in split(self.o.get("labels")):
            k, sep, v = m.partition("=")
            if not sep or not k:
                raise Exit(1, 'invalid argument "%s" for "--labels" flag: error parsing %s' % (m, m))
            labels[k] = v
        inc = split(self.o.get("include_namespaces")) or ["*"]
        exc = set(split(self.o.get("exclude_namespaces")))
        inc_res = [r.lower() for r in split(self.o.get("include_resources"))]
        exc_res = [r.lower() for r in split(self.o.get("exclude_resources"))]
        policy = self.o.get("existing_resource_policy") or ""
        if policy not in ("", "none", "update"):
            raise Exit(1, "An error occurred: existing-resource-policy has invalid value, it accepts only none, update as value")
        preds = simlib.parse_selector(self.o.get("selector"))
        fx = next((r for r in self.sim.effects if r.get("action") == "velero-restore"), {})
        want = str(fx.get("phase", "Completed"))
        if want not in ("Completed", "PartiallyFailed", "Failed", "FailedValidation", "InProgress"):
            raise Exit(2, "SIMULATION: velero-restore fault: unknown phase %r (Completed, PartiallyFailed, Failed, "
                          "FailedValidation, InProgress)" % want)
        now = time.time()
        with self.sim.txn() as c:
            self.need_ns(c)
            bt, rt = self.vtype(c, "Backup"), self.vtype(c, "Restore")
            brec = c.get(bt, self.ns, backup)
            if brec is None:
                raise Exit(1, 'An error occurred: backups.velero.io "%s" not found' % backup)
            if c.get(rt, self.ns, name) is not None:
                raise Exit(1, 'An error occurred: restores.velero.io "%s" already exists' % name)
            spec = {"backupName": backup, "includedNamespaces": inc, "itemOperationTimeout": "0s",
                    "uploaderConfig": {}}
            if exc:
                spec["excludedNamespaces"] = sorted(exc)
            if inc_res:
                spec["includedResources"] = split(self.o.get("include_resources"))
            if exc_res:
                spec["excludedResources"] = split(self.o.get("exclude_resources"))
            if mappings:
                spec["namespaceMapping"] = mappings
            if policy:
                spec["existingResourcePolicy"] = policy
            md = {"name": name, "namespace": self.ns}
            if labels:
                md["labels"] = labels
            obj = {"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": md, "spec": spec}
            _, rec = c.put(obj, rt)
            status = {"phase": "New"}
            data = c.st["velero"]["data"].get(backup)
            bphase = (brec["obj"].get("status") or {}).get("phase")
            if want == "FailedValidation" or bphase not in ("Completed", "PartiallyFailed") or data is None:
                status = {"phase": "FailedValidation",
                          "validationErrors": [str(fx.get("validationError", "")) or
                                               "backup %s is in phase %s, not Completed or PartiallyFailed (SIMULATION)" % (backup, bphase)]}
            elif self.server_ok(c):
                # namespaces first, then everything else, in backup order
                items = sorted(data, key=lambda i: 0 if (i["kind"] == "Namespace" and i["group"] == "") else 1)
                todo = []
                for it in items:
                    src_ns = it["ns"] or it["name"]
                    if src_ns in exc or ("*" not in inc and src_ns not in inc):
                        continue
                    t = c.type_for(it["obj"]["apiVersion"], it["kind"])
                    is_ns = it["kind"] == "Namespace" and it["group"] == ""
                    if t is not None and not is_ns:
                        if inc_res and "*" not in inc_res and not resource_match(t, inc_res):
                            continue
                        if resource_match(t, exc_res):
                            continue
                    if preds and not is_ns and not simlib.selector_match(preds, it["obj"]):
                        continue
                    todo.append((it, t))
                status = {"phase": want, "startTimestamp": simlib.now_iso(now),
                          "progress": {"totalItems": len(todo), "itemsRestored": 0}}
                if want == "Failed":
                    status["failureReason"] = str(fx.get("failureReason", "SIMULATION: injected failure (faults.yaml)"))
                    todo = []
                elif want == "InProgress":
                    todo = []  # never gets anywhere: the server is stuck
                n_err = int(fx.get("errors", 1)) if want == "PartiallyFailed" else 0
                failing = set()
                if n_err:
                    failing = {id(it) for it, _ in [x for x in todo if x[0]["kind"] != "Namespace"][-n_err:]}
                restored, warnings, errors = 0, int(fx.get("warnings", 0)), 0
                for it, t in todo:
                    src_ns = it["ns"] or it["name"]
                    dst_ns = mappings.get(src_ns, src_ns)
                    if id(it) in failing:
                        errors += 1
                        continue
                    o = copy.deepcopy(it["obj"])
                    md = o["metadata"]
                    for f in ("uid", "resourceVersion", "creationTimestamp", "generation", "ownerReferences", "managedFields"):
                        md.pop(f, None)
                    o.pop("status", None)
                    if it["kind"] == "Namespace" and it["group"] == "":
                        md["name"] = dst_ns
                        md.get("labels", {}).pop("kubernetes.io/metadata.name", None)
                    else:
                        md["namespace"] = dst_ns
                    if it["kind"] == "PersistentVolumeClaim":
                        (o.get("spec") or {}).pop("volumeName", None)
                    if it["kind"] == "Service":
                        (o.get("spec") or {}).pop("clusterIP", None)
                        (o.get("spec") or {}).pop("clusterIPs", None)
                    md.setdefault("labels", {}).update({"velero.io/backup-name": backup, "velero.io/restore-name": name})
                    if fx.get("unready") and it["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Pod"):
                        md.setdefault("annotations", {})["sim.groundwork/ready-after-polls"] = "never"
                    if t is None:
                        warnings += 1
                        continue
                    if not c.ns_exists(dst_ns) and t.namespaced:
                        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": dst_ns}})
                    exists = c.get(t, md.get("namespace"), md["name"]) is not None
                    if exists and policy != "update":
                        warnings += 1  # "could not restore, X already exists" (a warning in velero)
                        continue
                    _, r = c.put(o, t)
                    c.refresh(r, poll=False)
                    restored += 1
                status["progress"]["itemsRestored"] = restored
                if want != "InProgress":
                    status["completionTimestamp"] = simlib.now_iso()
                # velero v1.17 restore_types.go: errors and warnings are omitempty counts
                if warnings:
                    status["warnings"] = warnings
                if errors:
                    status["errors"] = errors
            rec["obj"]["status"] = status
        out('Restore request "%s" submitted successfully.' % name)
        if self.o.get("wait"):
            out("Waiting for restore to complete. You may safely press ctrl-c to stop waiting - your restore will continue in the background.")
            phase = self.wait_phase("Restore", name, forever=status["phase"] == "InProgress")
            if not phase:
                raise Exit(1, "An error occurred: SIMULATION: restore %s stays New: no velero server (Deployment) runs in namespace %s" % (name, self.ns))
            if phase == "deleted":
                out(".")  # upstream: a deleted restore is reported with its last phase; keep it short
                return 0
            out(".")
            out("Restore completed with status: %s. You may check for more information using the commands `velero restore describe %s` and `velero restore logs %s`." % (phase, name, name))
        else:
            out("Run `velero restore describe %s` or `velero restore logs %s` for more details." % (name, name))
        return 0

    def restore_get(self, pos):
        return self.get_objs("Restore", pos)

    def restore_describe(self, pos):
        return self.describe("Restore", pos)

    def restore_delete(self, pos):
        return self.delete("Restore", pos)

    def restore_logs(self, pos):
        out("SIMULATION: velero restore logs of %s" % (pos[0] if pos else ""))
        return 0

    # ------------------------------------------------------------------ shared
    def describe(self, kind, pos):
        """Restores: the layout of velero v1.17 pkg/cmd/util/output/restore_describer.go (phase with
        the logs hint when it failed, progress, timestamps, validation errors, errors/warnings
        counts, backup, namespaces, resources, mappings)."""
        with self.sim.txn(write=False) as c:
            t = self.vtype(c, kind)
            if pos:
                recs = [c.get(t, self.ns, n) for n in pos]
            else:
                preds = simlib.parse_selector(self.o.get("selector"))
                recs = [r for r in c.list(t, self.ns) if simlib.selector_match(preds, r["obj"])]
            for n, r in zip(pos or [None] * len(recs), recs):
                if r is None:
                    raise Exit(1, 'An error occurred: %s "%s" not found' % (t.res, n))
                o = r["obj"]
                sp = o.get("spec") or {}
                st = o.get("status") or {}
                md = o["metadata"]
                phase = st.get("phase") or "New"
                out("Name:         %s" % md["name"])
                out("Namespace:    %s" % self.ns)
                out("Labels:       %s" % (",".join("%s=%s" % kv for kv in sorted((md.get("labels") or {}).items())) or "<none>"))
                out("Annotations:  <none>")
                out("")
                note = ""
                if kind == "Restore" and phase in ("Failed", "PartiallyFailed"):
                    note = " (run 'velero restore logs %s' for more information)" % md["name"]
                out("Phase:  %s%s" % (phase, note))
                prog = st.get("progress") or {}
                if kind == "Restore" and prog:
                    if phase == "InProgress":
                        out("Estimated total items to be restored:  %d" % prog.get("totalItems", 0))
                        out("Items restored so far:                 %d" % prog.get("itemsRestored", 0))
                    else:
                        out("Total items to be restored:  %d" % prog.get("totalItems", 0))
                        out("Items restored:              %d" % prog.get("itemsRestored", 0))
                elif prog:
                    out("Total items to be backed up:  %d" % prog.get("totalItems", 0))
                    out("Items backed up:              %d" % prog.get("itemsBackedUp", 0))
                out("")
                out("Started:    %s" % st.get("startTimestamp", "<n/a>"))
                out("Completed:  %s" % st.get("completionTimestamp", "<n/a>"))
                if st.get("validationErrors"):
                    out("")
                    out("Validation errors:" + "".join("  %s\n" % e for e in st["validationErrors"]).rstrip("\n"))
                if kind == "Restore":
                    if st.get("warnings"):
                        out("")
                        out("Warnings:  %d (SIMULATION: no per-item messages)" % st["warnings"])
                    if st.get("errors"):
                        out("")
                        out("Errors:  %d (SIMULATION: no per-item messages)" % st["errors"])
                    if st.get("failureReason"):
                        out("")
                        out("Failure reason:  %s" % st["failureReason"])
                    out("")
                    out("Backup:  %s" % sp.get("backupName"))
                    out("")
                    inc = sp.get("includedNamespaces") or ["*"]
                    out("Namespaces:")
                    out("  Included:  %s" % ("all namespaces found in the backup" if inc == ["*"] else ", ".join(inc)))
                    out("  Excluded:  %s" % (", ".join(sp.get("excludedNamespaces") or []) or "<none>"))
                    out("")
                    out("Resources:")
                    out("  Included:        %s" % (", ".join(sp.get("includedResources") or []) or "*"))
                    out("  Excluded:        %s" % (", ".join(sp.get("excludedResources") or []) or "<none>"))
                    out("  Cluster-scoped:  auto")
                    out("")
                    mp = sp.get("namespaceMapping") or {}
                    out("Namespace mappings:  %s" % (", ".join("%s=%s" % kv for kv in sorted(mp.items())) or "<none>"))
                else:
                    out("Namespaces:\n  Included:  %s" % ", ".join(sp.get("includedNamespaces") or ["*"]))
                out("")
                out("(SIMULATION)")
                out("")
        return 0

    def delete(self, kind, pos):
        """velero v1.17 pkg/cmd/cli/restore/delete.go and cli/select_option.go: names, --all or
        --selector (exactly one); without --confirm it asks on stdin and, on EOF or 'n', deletes
        nothing and exits 0 (pkg/cmd/util/confirm)."""
        given = sum(1 for x in (bool(pos), bool(self.o.get("all")), bool(self.o.get("selector"))) if x)
        if given != 1:
            raise Exit(1, "An error occurred: you must specify exactly one of: specific %s name(s), the --all flag, "
                          "or the --selector flag" % kind.lower())
        if not self.o.get("confirm"):
            sys.stdout.write("Are you sure you want to continue (Y/N)? ")
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                simlib.err("error reading user input: EOF")
                return 0
            if line.strip().lower() != "y":
                return 0
        with self.sim.txn() as c:
            t = self.vtype(c, kind)
            if pos:
                recs = []
                for n in pos:
                    r = c.get(t, self.ns, n)
                    if r is None:
                        out('errs:  [%s.velero.io "%s" not found]' % (t.plural, n))
                        raise Exit(1, 'An error occurred: %s.velero.io "%s" not found' % (t.plural, n))
                    recs.append(r)
            else:
                preds = simlib.parse_selector(self.o.get("selector"))
                recs = [r for r in c.list(t, self.ns) if simlib.selector_match(preds, r["obj"])]
            if not recs:
                out("No %ss found" % kind.lower())
                return 0
            for r in recs:
                n = r["name"]
                c.delete(r)
                if kind == "Backup":
                    c.st["velero"]["data"].pop(n, None)
                    if self.bucket_path():
                        b = self.bucket_load()
                        if b["backups"].pop(n, None) is not None:
                            self.bucket_save(b)
                out('Request to delete %s "%s" submitted successfully.' % (kind.lower(), n))
                if kind == "Backup":
                    out("The backup will be fully deleted after all associated data (disk snapshots, backup files, restores) are removed.")
                else:
                    out("The restore will be fully deleted after all associated data (restore files in object storage) are removed.")
        return 0

    def schedule_get(self, pos):
        with self.sim.txn(write=False) as c:
            recs = c.list(self.vtype(c, "Schedule"), self.ns)
        if self.o.get("output") == "json":
            out(json.dumps({"apiVersion": "velero.io/v1", "kind": "ScheduleList", "items": [r["obj"] for r in recs]}, indent=4))
            return 0
        out("NAME\tSTATUS\tCREATED\tSCHEDULE\tBACKUP TTL\tLAST BACKUP\tSELECTOR\tPAUSED")
        for r in recs:
            sp = r["obj"].get("spec") or {}
            out("%s\tEnabled\t%s\t%s\t%s\tn/a\t<none>\tfalse" % (r["name"], r["obj"]["metadata"]["creationTimestamp"],
                                                              sp.get("schedule", ""), (sp.get("template") or {}).get("ttl", "720h0m0s")))
        return 0

    def backup_location_get(self, pos):
        out("NAME      PROVIDER   BUCKET/PREFIX       PHASE       LAST VALIDATED   ACCESS MODE   DEFAULT")
        out("default   sim        sim-bucket/velero   Available   %s   ReadWrite     true" % simlib.now_iso())
        return 0

    def version(self):
        v = simlib.VERSIONS["velero"]
        out("Client:")
        out("\tVersion: %s (SIMULATION)" % v)
        out("\tGit commit: simulation")
        if self.o.get("client_only"):
            return 0
        with self.sim.txn(write=False) as c:
            ok = c.api_reachable() and self.server_ok(c)
        out("Server:")
        out("\tVersion: %s" % (v if ok else "<error getting server version: no velero server in namespace %s (SIMULATION)>" % self.ns))
        return 0
