"""SIMULATION: the disaster-recovery kinds of groundwork's simulated cluster (tests/sim).

CloudNativePG Clusters bootstrapped with `recovery`, Longhorn Volumes restored `fromBackup` (with
static PVs and PVCs on them), K8up Restores; their status progresses over observations like the
other kinds (simlib's readiness rules). Not the real operators. Hooked into simlib at its end.

Upstream sources read (field names, phases, conditions, reasons):
- CloudNativePG v1.26.3, github.com/cloudnative-pg/cloudnative-pg: api/v1/cluster_types.go
  (PhaseFirstPrimary "Setting up primary", PhaseHealthy "Cluster in healthy state",
  ConditionClusterReady "Ready" with reasons ClusterIsReady/ClusterIsNotReady,
  ConditionContinuousArchiving, status.instances/readyInstances/currentPrimary/targetPrimary),
  api/v1/backup_types.go (Backup status.phase "completed", startedAt, stoppedAt),
  pkg/utils/labels_annotations.go (cnpg.io/cluster, cnpg.io/instanceName, cnpg.io/instanceRole,
  cnpg.io/podRole), docs/src/recovery.md ("Restoring into a Cluster with a Backup Section": a
  recovered cluster whose backup serverName already holds WALs stays in `Setting up primary`
  with "WAL archive check failed for server X: Expected empty archive"; the annotation
  cnpg.io/skipEmptyWalArchiveCheck=enabled skips the check), pkg/specs/jobs.go
  (`<instance>-full-recovery` job).
- Longhorn v1.9.3, github.com/longhorn/longhorn-manager: k8s/pkg/apis/longhorn/v1beta2/volume.go
  (spec.size `json:"size,string"`, spec.fromBackup; status.state creating/attached/detached,
  robustness healthy/faulted/unknown, restoreRequired, restoreInitiated, condition "Restore"
  with reasons RestoreInProgress/RestoreFailure), backup.go and backupvolume.go (status.state
  Completed, url, backupCreatedAt, volumeName, volumeSize; lastBackupName, lastBackupAt),
  types/types.go (label backup-volume), controller/volume_controller.go
  (checkAndFinishVolumeRestore: restoreRequired false when done; "All replica restore failed and
  the volume became Faulted"), vendor/github.com/longhorn/backupstore/backupstore.go
  (EncodeBackupURL: `<target>?backup=<name>&volume=<volume>`).
- K8up v2.15.0, github.com/k8up-io/k8up: api/v1/restore_types.go (spec.snapshot,
  spec.restoreMethod.folder.claimName / s3, spec.backend), api/v1/common_types.go (conditions
  Ready, Progressing, Completed; reasons Ready, Started, Finished, Succeeded, Failed),
  api/v1/status.go (HasSucceeded: Completed True *and* reason Succeeded), api/v1/snapshot_types.go
  (Snapshot spec.id, date, paths, repository).
"""
import copy
import json
import os
import sys
import urllib.parse

import simlib
from simlib import Exit, RType, out, err

# group, version, kind, plural, short names, namespaced
DR_TYPES = [
    ("postgresql.cnpg.io", "v1", "Cluster", "clusters", [], True),
    ("postgresql.cnpg.io", "v1", "Backup", "backups", [], True),
    ("postgresql.cnpg.io", "v1", "ScheduledBackup", "scheduledbackups", [], True),
    ("barmancloud.cnpg.io", "v1", "ObjectStore", "objectstores", [], True),
    ("longhorn.io", "v1beta2", "Volume", "volumes", ["lhv"], True),
    ("longhorn.io", "v1beta2", "BackupVolume", "backupvolumes", ["lhbv"], True),
    ("longhorn.io", "v1beta2", "Backup", "backups", ["lhb"], True),
    ("longhorn.io", "v1beta2", "BackupTarget", "backuptargets", ["lhbt"], True),
    ("k8up.io", "v1", "Restore", "restores", [], True),
    ("k8up.io", "v1", "Snapshot", "snapshots", [], True),
    ("k8up.io", "v1", "Schedule", "schedules", [], True),
]


LONGHORN_DRIVER = "driver.longhorn.io"
SQL_ERROR = "ERROR:  SIMULATION: no seeded answer for this query in cluster %s: %s"


# --------------------------------------------------------------------------- helpers

def dr_state(c):
    return c.st.setdefault("dr", {"barman": {}, "pg": {}})


def object_faults(c, kind, ns, name):
    """Effects of the faults.yaml rules {kind, name, namespace?, effect} matching this object."""
    if c.sim is None:
        return set()
    p = c.sim.path("faults.yaml")
    if not os.path.exists(p):
        return set()
    with open(p) as f:
        rules = simlib.yaml_load(f.read()) or []
    if isinstance(rules, dict):
        rules = rules.get("faults") or []
    res = set()
    for r in rules if isinstance(rules, list) else []:
        if not isinstance(r, dict) or "kind" not in r:
            continue
        if r.get("kind") != kind or r.get("name", name) != name or r.get("namespace", ns) != ns:
            continue
        res.add(str(r.get("effect", "")))
    return res


def cond(ctype, status, reason, message, t=None):
    return {"type": ctype, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": simlib.now_iso(t)}


def find(c, group, kind, ns, name):
    return c.st["objects"].get(c.key(group, kind, ns, name))


def owner_ref(rec, api_version):
    return {"apiVersion": api_version, "kind": rec["kind"], "name": rec["name"],
            "uid": rec["obj"]["metadata"]["uid"], "controller": True}


def ensure_child(c, obj, ready_now=True):
    """Create obj once (a controller's child); it is ready from its first observation."""
    t = c.type_for(obj["apiVersion"], obj["kind"])
    md = obj["metadata"]
    rec = c.get(t, md.get("namespace", ""), md["name"])
    if rec is None:
        if ready_now:
            md.setdefault("annotations", {})["sim.groundwork/ready-after-polls"] = "0"
        _, rec = c.put(obj, t)
    return rec


# --------------------------------------------------------------------------- CloudNativePG

def _barman_path(store, server):
    return "%s/%s" % (str(store.get("destinationPath", "")).rstrip("/"), server)


def cnpg_source(c, rec):
    """(object-store key, error) of the Cluster's recovery source."""
    sp = rec["obj"].get("spec") or {}
    rcv = ((sp.get("bootstrap") or {}).get("recovery")) or {}
    src = rcv.get("source")
    ext = next((e for e in sp.get("externalClusters") or [] if e.get("name") == src), None)
    if not src or ext is None:
        return None, 'SIMULATION: bootstrap.recovery.source "%s" is not in externalClusters' % src
    if ext.get("barmanObjectStore"):
        bos = ext["barmanObjectStore"]
        return _barman_path(bos, bos.get("serverName") or ext["name"]), None
    plug = ext.get("plugin") or {}
    if plug.get("name") == "barman-cloud.cloudnative-pg.io":
        par = plug.get("parameters") or {}
        osr = find(c, "barmancloud.cnpg.io", "ObjectStore", rec["ns"], par.get("barmanObjectName", ""))
        if osr is None:
            return None, 'objectstores.barmancloud.cnpg.io "%s" not found' % par.get("barmanObjectName")
        conf = ((osr["obj"].get("spec") or {}).get("configuration")) or {}
        return _barman_path(conf, par.get("serverName") or ext["name"]), None
    return None, "SIMULATION: external cluster %s has neither barmanObjectStore nor the barman-cloud plugin" % ext["name"]


def cnpg_archive(c, rec):
    """The object-store key this Cluster archives its WALs to, or None."""
    sp = rec["obj"].get("spec") or {}
    bos = ((sp.get("backup") or {}).get("barmanObjectStore"))
    if bos:
        return _barman_path(bos, bos.get("serverName") or rec["name"])
    for p in sp.get("plugins") or []:
        if p.get("name") == "barman-cloud.cloudnative-pg.io" and p.get("isWALArchiver", True):
            par = p.get("parameters") or {}
            osr = find(c, "barmancloud.cnpg.io", "ObjectStore", rec["ns"], par.get("barmanObjectName", ""))
            if osr is not None:
                conf = ((osr["obj"].get("spec") or {}).get("configuration")) or {}
                return _barman_path(conf, par.get("serverName") or rec["name"])
    return None


def status_cnpg_cluster(c, rec):
    o = rec["obj"]
    sp = o.get("spec") or {}
    name = rec["name"]
    n = int(sp.get("instances", 1))
    d = dr_state(c)
    st = o.get("status") or {}
    data = d["pg"].get("%s/%s" % (rec["ns"], name))
    problem = None
    if data is None:
        rcv = ((sp.get("bootstrap") or {}).get("recovery"))
        if rcv is not None:
            key, problem = cnpg_source(c, rec)
            if problem is None:
                store = d["barman"].get(key)
                if not store or not store.get("backups"):
                    problem = "barman-cloud-restore: no target backup found in %s" % key
        archive = cnpg_archive(c, rec)
        ann = o["metadata"].get("annotations") or {}
        if problem is None and archive and (d["barman"].get(archive) or {}).get("wal") \
                and ann.get("cnpg.io/skipEmptyWalArchiveCheck") != "enabled":
            server = archive.rsplit("/", 1)[1]
            problem = "ERROR: WAL archive check failed for server %s: Expected empty archive" % server
        faults = object_faults(c, "Cluster", rec["ns"], name)
        ready = problem is None and c.is_ready(rec) and "never-ready" not in faults
        if not ready:
            o["status"] = {
                "phase": "Setting up primary",
                "phaseReason": "Creating primary instance %s-1%s" % (name, " (SIMULATION: %s)" % problem if problem else ""),
                "instances": 0, "latestGeneratedNode": 1, "targetPrimary": "%s-1" % name,
                "conditions": [cond("Ready", "False", "ClusterIsNotReady", "Cluster Is Not Ready")],
            }
            return
        # the recovery finished: the new cluster holds the backed-up data
        src_key = cnpg_source(c, rec)[0] if rcv is not None else None
        data = copy.deepcopy((d["barman"].get(src_key) or {}).get("sql") or {}) if src_key else {}
        if "wrong-data" in faults:
            data = {q: "0" for q in data}
        d["pg"]["%s/%s" % (rec["ns"], name)] = data
        if archive:
            d["barman"].setdefault(archive, {})["wal"] = True
            d["barman"][archive].setdefault("sql", data)
    pods = []
    for i in range(1, n + 1):
        pod = "%s-%d" % (name, i)
        role = "primary" if i == 1 else "replica"
        ensure_child(c, {"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": pod, "namespace": rec["ns"],
                                      "labels": {"cnpg.io/cluster": name, "cnpg.io/instanceName": pod,
                                                 "cnpg.io/instanceRole": role, "role": role,
                                                 "cnpg.io/podRole": "instance"},
                                      "ownerReferences": [owner_ref(rec, "postgresql.cnpg.io/v1")]},
                         "spec": {"containers": [{"name": "postgres", "image": sp.get("imageName", "ghcr.io/cloudnative-pg/postgresql:17")}]}})
        pods.append(pod)
    conds = [cond("Ready", "True", "ClusterIsReady", "Cluster is Ready")]
    if cnpg_archive(c, rec):
        conds.append(cond("ContinuousArchiving", "True", "ContinuousArchivingSuccess", "Continuous archiving is working"))
    st = {"phase": "Cluster in healthy state", "instances": n, "readyInstances": n,
          "currentPrimary": pods[0], "targetPrimary": pods[0], "latestGeneratedNode": n,
          "instanceNames": pods, "writeService": "%s-rw" % name, "readService": "%s-r" % name,
          "conditions": conds}
    o["status"] = st


def psql(c, ns, cluster, args):
    """`psql … -c SQL` in an instance pod of CloudNativePG cluster ns/cluster: the seeded answer
    of the cluster's data (printed raw, like -tA). Returns the exit code."""
    sql, i = None, 0
    while i < len(args):
        a = args[i]
        if a in ("-c", "--command"):
            sql = args[i + 1] if i + 1 < len(args) else None
            i += 2
            continue
        if a.startswith("--command="):
            sql = a.split("=", 1)[1]
        elif a.startswith("-") and not a.startswith("--") and "c" in a[1:]:
            # bundled short flags such as -tAc SQL (c takes the next argument)
            if a.endswith("c"):
                sql = args[i + 1] if i + 1 < len(args) else None
                i += 2
                continue
        elif a in ("-d", "--dbname", "-U", "--username", "-h", "--host", "-p", "--port"):
            i += 2
            continue
        i += 1
    if sql is None:
        err("SIMULATION: psql runs only with -c/--command here")
        return 1
    data = dr_state(c)["pg"].get("%s/%s" % (ns, cluster)) or {}
    key = " ".join(sql.strip().rstrip(";").split()).lower()
    for q, ans in data.items():
        if " ".join(str(q).strip().rstrip(";").split()).lower() == key:
            out(str(ans))
            return 0
    err(SQL_ERROR % (cluster, sql))
    return 1


# --------------------------------------------------------------------------- Longhorn

def parse_backup_url(url):
    """(backup name, volume name) from `<target>?backup=B&volume=V`, or (None, None)."""
    q = urllib.parse.parse_qs(urllib.parse.urlparse(str(url)).query)
    return (q.get("backup") or [None])[0], (q.get("volume") or [None])[0]


def status_lh_volume(c, rec):
    o = rec["obj"]
    sp = o.get("spec") or {}
    fb = sp.get("fromBackup") or ""
    base = {"ownerID": "sim-node", "currentImage": "longhornio/longhorn-engine:v1.9.3",
            "frontendDisabled": False, "restoreRequired": False, "restoreInitiated": False,
            "lastBackup": "", "lastBackupAt": "", "isStandby": False,
            "kubernetesStatus": {"pvName": "", "pvStatus": "", "namespace": "", "pvcName": ""}}
    for pv in c.list(c.resolve("persistentvolumes")):
        csi = (pv["obj"].get("spec") or {}).get("csi") or {}
        if csi.get("driver") == LONGHORN_DRIVER and csi.get("volumeHandle") == rec["name"]:
            claim = (pv["obj"].get("status") or {}).get("phase", "Available")
            ref = (pv["obj"].get("spec") or {}).get("claimRef") or {}
            base["kubernetesStatus"] = {"pvName": pv["name"], "pvStatus": claim,
                                        "namespace": ref.get("namespace", ""), "pvcName": ref.get("name", "")}
    if not fb:
        base.update({"state": "detached", "robustness": "unknown",
                     "conditions": [cond("Restore", "False", "", "")]})
        o["status"] = base
        return
    bname, _ = parse_backup_url(fb)
    backup = None
    for b in c.list(c.resolve("backups.longhorn.io")):
        if b["name"] == bname:
            backup = b
    faults = object_faults(c, "Volume", rec["ns"], rec["name"])
    ok = backup is not None and (backup["obj"].get("status") or {}).get("state") == "Completed"
    failed = (not ok or "restore-failed" in faults) and c.is_ready(rec)
    done = ok and c.is_ready(rec) and not faults & {"restore-failed", "restore-stuck"}
    if rec["polls"] == 0:
        base.update({"state": "creating", "robustness": "unknown", "restoreRequired": True,
                     "restoreInitiated": False, "conditions": []})
    elif failed:
        base.update({"state": "detached", "robustness": "faulted", "restoreRequired": True,
                     "restoreInitiated": True,
                     "conditions": [cond("Restore", "False", "RestoreFailure",
                                         "All replica restore failed and the volume became Faulted")]})
    elif done:
        base.update({"state": "detached", "robustness": "unknown", "restoreRequired": False,
                     "restoreInitiated": True, "conditions": [cond("Restore", "False", "", "")]})
    else:
        base.update({"state": "attached", "robustness": "healthy", "restoreRequired": True,
                     "restoreInitiated": True, "frontendDisabled": True, "currentNodeID": "sim-node",
                     "conditions": [cond("Restore", "True", "RestoreInProgress", "")]})
    o["status"] = base


def lh_volume_of_pvc(c, ns, claim):
    """The Longhorn Volume record behind PVC ns/claim (through its static PV), or None."""
    pvc = find(c, "", "PersistentVolumeClaim", ns, claim)
    if pvc is None:
        return None
    vn = (pvc["obj"].get("spec") or {}).get("volumeName")
    pv = find(c, "", "PersistentVolume", "", vn or "")
    if pv is None:
        return None
    csi = (pv["obj"].get("spec") or {}).get("csi") or {}
    if csi.get("driver") != LONGHORN_DRIVER:
        return None
    for v in c.list(c.resolve("volumes.longhorn.io")):
        if v["name"] == csi.get("volumeHandle"):
            return v
    return "missing"


# --------------------------------------------------------------------------- PV / PVC (static binding)

def _qty(s):
    s = str(s or "0").strip()
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}
    for u, m in units.items():
        if s.endswith(u):
            return float(s[:-len(u)]) * m
    try:
        return float(s)
    except ValueError:
        return 0.0


_orig_status_pvc = simlib.STATUS_FUNCS["PersistentVolumeClaim"]
_orig_status_pod = simlib.STATUS_FUNCS["Pod"]


def status_pvc(c, rec):
    """A PVC naming a PV (`spec.volumeName`, set by its author) binds to that PV when it exists,
    its storage class matches and it is large enough (static provisioning); else as before."""
    o = rec["obj"]
    want = ((rec.get("applied") or {}).get("spec") or {}).get("volumeName")
    if not want:
        return _orig_status_pvc(c, rec)
    sp = o.get("spec") or {}
    pv = find(c, "", "PersistentVolume", "", want)
    ok = pv is not None
    if ok:
        psp = pv["obj"].get("spec") or {}
        ref = psp.get("claimRef") or {}
        ok = (sp.get("storageClassName", "") or "") == (psp.get("storageClassName", "") or "") \
            and (not ref or (ref.get("name") == rec["name"] and ref.get("namespace", rec["ns"]) == rec["ns"])) \
            and _qty((psp.get("capacity") or {}).get("storage")) >= _qty(((sp.get("resources") or {}).get("requests") or {}).get("storage"))
    if ok:
        o["status"] = {"phase": "Bound", "accessModes": pv["obj"]["spec"].get("accessModes") or ["ReadWriteOnce"],
                       "capacity": dict(pv["obj"]["spec"].get("capacity") or {})}
    else:
        o["status"] = {"phase": "Pending"}


def status_pv(c, rec):
    o = rec["obj"]
    sp = o.setdefault("spec", {})
    for pvc in c.list(c.resolve("persistentvolumeclaims")):
        if ((pvc.get("applied") or {}).get("spec") or {}).get("volumeName") == rec["name"]:
            status_pvc(c, pvc)
            if pvc["obj"]["status"].get("phase") == "Bound":
                sp["claimRef"] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": pvc["name"],
                                  "namespace": pvc["ns"], "uid": pvc["obj"]["metadata"]["uid"]}
                o["status"] = {"phase": "Bound"}
                return
    o["status"] = {"phase": "Available"}


def status_pod(c, rec):
    """A one-shot Pod (restartPolicy Never/OnFailure) mounting a Longhorn volume: it waits in
    ContainerCreating while the volume is missing or restoring, then runs once — Succeeded, or
    Failed (exit 1) when the volume's data check fails (fault `wrong-data`)."""
    _orig_status_pod(c, rec)
    o = rec["obj"]
    sp = o.get("spec") or {}
    if sp.get("restartPolicy") not in ("Never", "OnFailure"):
        return
    vols = [lh_volume_of_pvc(c, rec["ns"], cl) for cl in simlib.claim_names(sp)]
    vols = [v for v in vols if v is not None]
    if not vols:
        return
    st = o["status"]
    blocked = None
    for v in vols:
        if v == "missing":
            blocked = "volume not found"
            break
        status_lh_volume(c, v)
        vst = v["obj"]["status"]
        if vst.get("restoreRequired") or vst.get("robustness") == "faulted":
            blocked = "volume %s is not ready for workloads" % v["name"]
            break
    names = [ct.get("name", "main") for ct in sp.get("containers") or [{"name": "main"}]]
    if blocked or st.get("phase") != "Running":
        st["phase"] = "Pending"
        st["containerStatuses"] = [{"name": n, "ready": False, "started": False, "restartCount": 0, "image": "simulation",
                                    "state": {"waiting": {"reason": "ContainerCreating",
                                                          "message": blocked or ""}}} for n in names]
        return
    bad = any("wrong-data" in object_faults(c, "Volume", v["ns"], v["name"]) for v in vols)
    code = 1 if bad else 0
    st["phase"] = "Failed" if bad else "Succeeded"
    for cnd in st.get("conditions") or []:
        if cnd["type"] in ("Ready", "ContainersReady"):
            cnd.update({"status": "False", "reason": "PodFailed" if bad else "PodCompleted"})
    st["containerStatuses"] = [{"name": n, "ready": False, "started": False, "restartCount": 0, "image": "simulation",
                                "state": {"terminated": {"exitCode": code, "reason": "Error" if bad else "Completed",
                                                         "startedAt": st.get("startTime"),
                                                         "finishedAt": simlib.now_iso()}}} for n in names]


def validate(t, doc):
    """Schema checks of the API server for these kinds (the CRDs' OpenAPI types); error or None."""
    if t.group == "longhorn.io" and t.kind == "Volume":
        size = (doc.get("spec") or {}).get("size")
        if size is not None and not isinstance(size, str):
            typ = "integer" if isinstance(size, int) else type(size).__name__
            return ('The Volume "%s" is invalid: spec.size: Invalid value: "%s": spec.size in body must be of type string: "%s"'
                    % (doc["metadata"].get("name"), typ, typ))
    return None


# --------------------------------------------------------------------------- K8up

def status_k8up_restore(c, rec):
    o = rec["obj"]
    sp = o.get("spec") or {}
    name = rec["name"]
    if rec["polls"] == 0:
        o["status"] = {"started": False}
        return
    snaps = [s["obj"].get("spec") or {} for s in c.list(c.resolve("snapshots.k8up.io"), rec["ns"])]
    want = sp.get("snapshot") or ""
    problem = None
    if want:
        if not any(str(s.get("id", "")).startswith(want) for s in snaps):
            problem = "Fatal: failed to find snapshot: no matching ID found for prefix %r" % want
    elif not snaps:
        problem = "Fatal: no snapshot found"
    method = sp.get("restoreMethod") or {}
    claim = ((method.get("folder") or {}).get("claimName"))
    waiting = claim and find(c, "", "PersistentVolumeClaim", rec["ns"], claim) is None
    faults = object_faults(c, "Restore", rec["ns"], name)
    if problem is None and "failed" in faults:
        problem = "SIMULATION: injected failure (faults.yaml)"
    conds = [cond("Ready", "True", "Ready", "")]
    if waiting or not c.is_ready(rec) or "stuck" in faults:
        conds.append(cond("Progressing", "True", "Started", 'the job "restore-%s" is running' % name))
        o["status"] = {"started": True, "conditions": conds}
        return
    conds.append(cond("Progressing", "False", "Finished", 'the job "restore-%s" ended' % name))
    if problem:
        conds.append(cond("Completed", "True", "Failed", 'the job "restore-%s" failed: %s' % (name, problem)))
    else:
        conds.append(cond("Completed", "True", "Succeeded", 'the job "restore-%s" succeeded' % name))
    o["status"] = {"started": True, "finished": True, "conditions": conds}


# --------------------------------------------------------------------------- garbage collection

_orig_delete = simlib.Cluster.delete


def _delete_with_dependents(self, rec):
    """Deleting an object deletes the objects it owns (ownerReferences by uid), like the
    Kubernetes garbage collector (background propagation)."""
    uid = rec["obj"]["metadata"].get("uid")
    _orig_delete(self, rec)
    if uid:
        for dep in [r for r in self.st["objects"].values()
                    if any(ref.get("uid") == uid for ref in (r["obj"]["metadata"].get("ownerReferences") or []))]:
            _delete_with_dependents(self, dep)
    if rec["group"] == "postgresql.cnpg.io" and rec["kind"] == "Cluster":
        dr_state(self)["pg"].pop("%s/%s" % (rec["ns"], rec["name"]), None)


def install():
    """Registers the kinds, their status functions and garbage collection in simlib (once)."""
    if getattr(simlib, "_dr_kinds_installed", False):
        return
    simlib._dr_kinds_installed = True
    known = {(t.group, t.kind) for t in simlib._THIRD_TYPES}
    for d in DR_TYPES:
        if (d[0], d[2]) not in known:
            simlib._THIRD_TYPES.append(RType(*d, third=True))
    simlib.Cluster.delete = _delete_with_dependents
    simlib.GROUP_STATUS_FUNCS.update({
        ("postgresql.cnpg.io", "Cluster"): status_cnpg_cluster,
        ("longhorn.io", "Volume"): status_lh_volume,
        ("k8up.io", "Restore"): status_k8up_restore,
        ("", "PersistentVolume"): status_pv,
        ("", "PersistentVolumeClaim"): status_pvc,
        ("", "Pod"): status_pod,
    })


# --------------------------------------------------------------------------- kubectl exec

POD_BIN = os.path.join(simlib.SIM_DIR, "pod-bin")


def kubectl_exec(k, pos):
    """`kubectl exec POD [-c C] -- CMD…` in a CloudNativePG instance pod: `psql …`, or `sh -c
    SCRIPT ARGS…` run by the local /bin/sh with only the pod's programs that matter on PATH
    (tests/sim/pod-bin: psql answering from the seeded data; coreutils and grep from /usr/bin)."""
    if not pos:
        raise Exit(1, "error: pod, type/name or --filename must be specified")
    target, cmd = pos[0], pos[1:]
    if "/" in target:
        kind, _, target = target.partition("/")
        if kind not in ("pod", "pods", "po"):
            raise Exit(1, "SIMULATION: kubectl exec supports pods only")
    if not cmd:
        raise Exit(1, "error: you must specify at least one command for the container")
    with k.sim.txn() as c:
        rec = find(c, "", "Pod", k.ns, target)
        if rec is None:
            raise Exit(1, 'Error from server (NotFound): pods "%s" not found' % target)
        c.refresh(rec)
        if rec["obj"]["status"].get("phase") != "Running":
            raise Exit(1, "error: unable to upgrade connection: container not found (\"%s\")" % (k.o.get("container") or "main"))
        cluster = ((rec["obj"]["metadata"].get("labels") or {}).get("cnpg.io/cluster"))
        if not cluster:
            raise Exit(1, "SIMULATION: kubectl exec runs only in CloudNativePG instance pods")
        prog = os.path.basename(cmd[0])
        if prog == "psql":
            return psql(c, rec["ns"], cluster, cmd[1:])
    if prog not in ("sh", "bash"):
        raise Exit(126, 'SIMULATION: exec: "%s": executable file not found in $PATH' % cmd[0])
    import subprocess
    sys.stdout.flush()
    env = {"PATH": POD_BIN + ":/usr/bin:/bin", "HOME": "/var/lib/postgresql", "LANG": "C.UTF-8",
           "GROUNDWORK_SIM_STATE": k.sim.dir, "SIM_POD_NAMESPACE": rec["ns"], "SIM_POD_CLUSTER": cluster}
    return subprocess.run(["/bin/sh"] + cmd[1:], env=env, cwd="/").returncode


# --------------------------------------------------------------------------- seeding (tests)

def seed(state_dir, data):
    """Load a seed (see tests/sim/README.md, "DR kinds") into the state: objects with the status
    their operator would have written, and what the object stores hold."""
    sim = simlib.Sim("seed", state_dir, [], 0)
    with sim.txn() as c:
        d = dr_state(c)
        for key, store in ((data or {}).get("barman") or {}).items():
            d["barman"][key.rstrip("/")] = copy.deepcopy(store)
        for obj in (data or {}).get("objects") or []:
            status = obj.get("status")
            _, rec = c.put(obj)
            if status is not None:
                rec["obj"]["status"] = copy.deepcopy(status)


def main(argv):
    if argv[:1] == ["psql"]:  # tests/sim/pod-bin/psql, inside a simulated `kubectl exec … -- sh -c`
        sim = simlib.Sim("psql", os.environ["GROUNDWORK_SIM_STATE"], [], 0)
        with sim.txn(write=False) as c:
            return psql(c, os.environ["SIM_POD_NAMESPACE"], os.environ["SIM_POD_CLUSTER"], argv[1:])
    if len(argv) != 2 or argv[0] != "seed":
        sys.stderr.write("usage: sim_dr_kinds.py seed FILE.yaml   (SIMULATION; needs GROUNDWORK_SIM_STATE)\n")
        return 2
    state = os.environ.get("GROUNDWORK_SIM_STATE")
    if not state:
        sys.stderr.write("SIMULATION: GROUNDWORK_SIM_STATE is not set\n")
        return 2
    os.makedirs(state, exist_ok=True)
    with open(argv[1]) as f:
        seed(state, simlib.yaml_load(f.read()))
    print(json.dumps({"seeded": argv[1]}))
    return 0


if __name__ == "__main__":
    import sim_dr_kinds  # the copy simlib installed (this file run as a script is another module)
    sys.exit(sim_dr_kinds.main(sys.argv[1:]))
