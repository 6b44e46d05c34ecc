"""SIMULATION: fake velero of groundwork's simulated cluster (tests/sim). Not the real velero."""
import copy
import json
import sys
import time

import simlib
from simlib import Exit, FlagSpec, out

TOOL = "velero"

GLOBAL = FlagSpec("namespace|n:str", "kubeconfig:str", "kubecontext:str", "features:str", "colorized:opt", "help|h")

COMMON = ("output|o:str", "wait", "selector|l:str", "label-columns:list", "show-labels", "confirm", "all",
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
           "resource-modifier-configmap:str", "parallel-files-download:str")

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
    return fn(pos)


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
                objs = [copy.deepcopy(r["obj"]) for r in c.list(t, self.ns)]
        self.print_objs(objs, len(pos) == 1, kind)
        return 0

    def wait_phase(self, kind, name):
        def check():
            with self.sim.txn(write=False) as c:
                rec = c.get(self.vtype(c, kind), self.ns, name)
                return rec is not None and (rec["obj"].get("status") or {}).get("phase") not in (None, "New", "InProgress")
        return self.sim.wait_until(check, None)

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
        backup = self.o.get("from_backup")
        if not backup and not self.o.get("from_schedule"):
            raise Exit(1, "An error occurred: either a backup or schedule must be specified, but not both")
        if not backup:
            raise Exit(1, "An error occurred: SIMULATION: --from-schedule is not implemented")
        name = pos[0] if pos else "%s-%s" % (backup, time.strftime("%Y%m%d%H%M%S"))
        mappings = {}
        for m in split(self.o.get("namespace_mappings")):
            a, sep, b = m.partition(":")
            if not sep or not a or not b:
                raise Exit(1, 'An error occurred: invalid argument "%s" for "--namespace-mappings" flag: syntax error: expected <old>:<new>' % m)
            mappings[a] = b
        inc = split(self.o.get("include_namespaces")) or ["*"]
        exc = set(split(self.o.get("exclude_namespaces")))
        policy = self.o.get("existing_resource_policy") or "none"
        now = time.time()
        with self.sim.txn() as c:
            self.need_ns(c)
            bt, rt = self.vtype(c, "Backup"), self.vtype(c, "Restore")
            brec = c.get(bt, self.ns, backup)
            if brec is None:
                raise Exit(1, 'An error occurred: backups.velero.io "%s" not found' % backup)
            if c.get(rt, self.ns, name) is not None:
                raise Exit(1, 'An error occurred: restores.velero.io "%s" already exists' % name)
            obj = {"apiVersion": "velero.io/v1", "kind": "Restore",
                   "metadata": {"name": name, "namespace": self.ns},
                   "spec": {"backupName": backup, "namespaceMapping": mappings, "includedNamespaces": inc,
                            "excludedNamespaces": sorted(exc), "existingResourcePolicy": policy}}
            _, rec = c.put(obj, rt)
            status = {"phase": "New"}
            data = c.st["velero"]["data"].get(backup)
            if (brec["obj"].get("status") or {}).get("phase") != "Completed" or data is None:
                status = {"phase": "FailedValidation",
                          "validationErrors": ["backup %s is not Completed (SIMULATION)" % backup]}
            elif self.server_ok(c):
                restored, warnings = 0, 0
                # namespaces first, then everything else, in backup order
                items = sorted(data, key=lambda i: 0 if (i["kind"] == "Namespace" and i["group"] == "") else 1)
                for it in items:
                    src_ns = it["ns"] or it["name"]
                    if src_ns in exc or ("*" not in inc and src_ns not in inc):
                        continue
                    dst_ns = mappings.get(src_ns, src_ns)
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
                    t = c.type_for(o["apiVersion"], o["kind"])
                    if t is None:
                        warnings += 1
                        continue
                    if not c.ns_exists(dst_ns) and t.namespaced:
                        c.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": dst_ns}})
                    exists = c.get(t, md.get("namespace"), md["name"]) is not None
                    if exists and policy != "update":
                        warnings += 1
                        continue
                    _, r = c.put(o, t)
                    c.refresh(r, poll=False)
                    restored += 1
                status = {"phase": "Completed", "startTimestamp": simlib.now_iso(now),
                          "completionTimestamp": simlib.now_iso(), "warnings": warnings, "errors": 0,
                          "progress": {"totalItems": restored, "itemsRestored": restored}}
            rec["obj"]["status"] = status
            phase = status["phase"]
        out('Restore request "%s" submitted successfully.' % name)
        if self.o.get("wait"):
            out("Waiting for restore to complete. You may safely press ctrl-c to stop waiting - your restore will continue in the background.")
            if not self.wait_phase("Restore", name):
                raise Exit(1, "An error occurred: SIMULATION: restore %s stays New: no velero server (Deployment) runs in namespace %s" % (name, self.ns))
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
        with self.sim.txn(write=False) as c:
            t = self.vtype(c, kind)
            recs = [c.get(t, self.ns, n) for n in pos] if pos else c.list(t, self.ns)
            for n, r in zip(pos or [None] * len(recs), recs):
                if r is None:
                    raise Exit(1, 'An error occurred: %s "%s" not found' % (t.res, n))
                o = r["obj"]
                st = o.get("status") or {}
                out("Name:         %s" % o["metadata"]["name"])
                out("Namespace:    %s" % self.ns)
                out("Phase:  %s" % st.get("phase", "New"))
                if kind == "Restore":
                    out("Backup:  %s" % o["spec"].get("backupName"))
                    out("Namespace mappings:  %s" % (", ".join("%s=%s" % kv for kv in (o["spec"].get("namespaceMapping") or {}).items()) or "<none>"))
                else:
                    out("Namespaces:\n  Included:  %s" % ", ".join(o["spec"].get("includedNamespaces") or ["*"]))
                out("Started:    %s" % st.get("startTimestamp", "<n/a>"))
                out("Completed:  %s" % st.get("completionTimestamp", "<n/a>"))
                prog = st.get("progress") or {}
                out("Total items to be %s:  %d" % ("restored" if kind == "Restore" else "backed up", prog.get("totalItems", 0)))
                out("Items %s:              %d" % ("restored" if kind == "Restore" else "backed up",
                                                  prog.get("itemsRestored", prog.get("itemsBackedUp", 0))))
                out("(SIMULATION)")
                out("")
        return 0

    def delete(self, kind, pos):
        if not pos and not self.o.get("all"):
            raise Exit(1, "An error occurred: at least one %s name or --all is required" % kind.lower())
        if not self.o.get("confirm"):
            raise Exit(1, "An error occurred: SIMULATION: no terminal to confirm on; pass --confirm")
        with self.sim.txn() as c:
            t = self.vtype(c, kind)
            recs = [c.get(t, self.ns, n) for n in pos] if pos else c.list(t, self.ns)
            for n, r in zip(pos or [r["name"] for r in recs], recs):
                if r is None:
                    raise Exit(1, 'An error occurred: %s "%s" not found' % (t.res, n))
                c.delete(r)
                if kind == "Backup":
                    c.st["velero"]["data"].pop(n, None)
                out('Request to delete %s "%s" submitted successfully.' % (kind.lower(), n))
                if kind == "Backup":
                    out("The backup will be fully deleted after all associated data (disk snapshots, backup files, restores) are removed.")
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
