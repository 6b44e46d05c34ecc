"""Tests of the SIMULATED disaster-recovery kinds (tests/sim/sim_dr_kinds.py): CloudNativePG
recovery, Longhorn restores with static PV/PVC and data-check pods, K8up Restores, object faults
in faults.yaml, the seed file, `kubectl exec … psql` and `get --sort-by`.

Run: /usr/bin/python3 -m unittest discover -s tests/sim -v
"""
import json
import os
import subprocess

from test_sim import SimCase

HERE = os.path.dirname(os.path.abspath(__file__))

SEED = """\
barman:
  "s3://b/pg/pg": {backups: ["2026-12-01T03:00:00Z"], wal: true, sql: {"select count(*) from t": "7"}}
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: db}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: longhorn-system}}
  - {apiVersion: barmancloud.cnpg.io/v1, kind: ObjectStore, metadata: {name: store, namespace: db},
     spec: {configuration: {destinationPath: "s3://b/pg"}}}
  - {apiVersion: postgresql.cnpg.io/v1, kind: Backup, metadata: {name: b2, namespace: db, labels: {cnpg.io/cluster: pg}},
     spec: {cluster: {name: pg}}, status: {phase: completed, stoppedAt: "2026-12-01T03:00:00Z"}}
  - {apiVersion: postgresql.cnpg.io/v1, kind: Backup, metadata: {name: b1, namespace: db, labels: {cnpg.io/cluster: pg}},
     spec: {cluster: {name: pg}}, status: {phase: completed, stoppedAt: "2026-11-30T03:00:00Z"}}
  - {apiVersion: longhorn.io/v1beta2, kind: Backup, metadata: {name: backup-1, namespace: longhorn-system, labels: {backup-volume: data}},
     status: {state: Completed, url: "s3://lh@r/?backup=backup-1&volume=data", backupCreatedAt: "2026-12-01T01:00:00Z"}}
  - {apiVersion: k8up.io/v1, kind: Snapshot, metadata: {name: s1, namespace: db}, spec: {id: abcdef123456, date: "2026-12-01T02:00:00Z"}}
"""


def cluster(name, source, backup_server=None, plugin=False):
    ext = ('{name: origin, plugin: {name: barman-cloud.cloudnative-pg.io, parameters: {barmanObjectName: store, serverName: %s}}}' % source
           if plugin else '{name: origin, barmanObjectStore: {destinationPath: "s3://b/pg", serverName: %s}}' % source)
    bk = ('\n  backup: {barmanObjectStore: {destinationPath: "s3://b/pg", serverName: %s}}' % backup_server) if backup_server else ""
    return ("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: %s, namespace: db}\n"
            "spec:\n  instances: 2\n  bootstrap: {recovery: {source: origin}}\n  externalClusters: [%s]%s\n" % (name, ext, bk))


LH_VOLUME = """\
apiVersion: longhorn.io/v1beta2
kind: Volume
metadata: {name: vol, namespace: longhorn-system}
spec: {fromBackup: "s3://lh@r/?backup=%s&volume=data", size: "1073741824", numberOfReplicas: 1}
"""

PV_PVC_POD = """\
apiVersion: v1
kind: PersistentVolume
metadata: {name: vol}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], storageClassName: longhorn-static,
       csi: {driver: driver.longhorn.io, volumeHandle: vol}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: vol, namespace: db}
spec: {accessModes: [ReadWriteOnce], storageClassName: longhorn-static, volumeName: vol, resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: check, namespace: db}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox, command: [sh, -c, "ls /data"], volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: vol}}]
"""


class DrCase(SimCase):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.state, "config.yaml"), "w") as f:
            f.write("readyAfterPolls: 2\nmaxWaitSeconds: 1\n")
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "sim_dr_kinds.py"), "seed", self.write("seed.yaml", SEED)],
                           env=self.env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def jp(self, *args):
        return self.kok("get", *args[:-1], "-o", "jsonpath=" + args[-1]).stdout

    def faults(self, text):
        with open(os.path.join(self.state, "faults.yaml"), "w") as f:
            f.write(text)


class TestCnpg(DrCase):
    def test_recovery_progresses_to_healthy_with_pods_and_data(self):
        self.kok("apply", "-f", self.write("c.yaml", cluster("pg-drill", "pg")))
        first = self.jp("cluster.postgresql.cnpg.io/pg-drill", "-n", "db", "{.status.phase}|{.status.conditions[0].reason}")
        self.assertEqual(first, "Setting up primary|ClusterIsNotReady")
        self.assertNotEqual(self.k("exec", "-n", "db", "pg-drill-1", "--", "psql", "-c", "select 1").returncode, 0)
        self.kok("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/pg-drill", "-n", "db", "--timeout=5s")
        self.assertEqual(self.jp("clusters.postgresql.cnpg.io", "pg-drill", "-n", "db",
                                 "{.status.phase}|{.status.readyInstances}|{.status.currentPrimary}"),
                         "Cluster in healthy state|2|pg-drill-1")
        pods = self.jp("pods", "-n", "db", "-l", "cnpg.io/cluster=pg-drill", "{.items[*].metadata.labels.cnpg\\.io/instanceRole}")
        self.assertEqual(pods, "primary replica")
        r = self.kok("exec", "-n", "db", "pg-drill-1", "-c", "postgres", "--", "psql", "-d", "app", "-tAc", "SELECT count(*) FROM t;")
        self.assertEqual(r.stdout, "7\n")
        script = 'out=$(psql -d "$0" -tAc "$1") || exit; printf "%s\\n" "$out" | grep -Eq -- "$2"'
        self.kok("exec", "-n", "db", "pg-drill-1", "--", "sh", "-c", script, "app", "select count(*) from t", "^7$")
        self.assertEqual(self.k("exec", "-n", "db", "pg-drill-1", "--", "sh", "-c", script, "app", "select count(*) from t", "^8$").returncode, 1)
        self.assertEqual(self.k("exec", "-n", "db", "pg-drill-1", "--", "sh", "-c", script, "app", "select x", ".").returncode, 1)
        r = self.k("exec", "-n", "db", "pg-drill-1", "--", "psql", "-c", "select nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no seeded answer", r.stderr)
        self.kok("delete", "cluster.postgresql.cnpg.io", "pg-drill", "-n", "db")
        self.assertEqual(self.k("get", "pod", "pg-drill-1", "-n", "db").returncode, 1, "owned pods are garbage-collected")

    def test_plugin_source(self):
        self.kok("apply", "-f", self.write("c.yaml", cluster("p", "pg", plugin=True)))
        self.kok("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/p", "-n", "db", "--timeout=5s")

    def test_unknown_source_and_used_archive_stay_setting_up(self):
        self.kok("apply", "-f", self.write("a.yaml", cluster("a", "nope")))
        self.kok("apply", "-f", self.write("b.yaml", cluster("b", "pg", backup_server="pg")))
        for name, why in (("a", "no target backup found"), ("b", "Expected empty archive")):
            r = self.k("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/" + name, "-n", "db", "--timeout=5s")
            self.assertEqual(r.returncode, 1)
            self.assertIn("timed out waiting for the condition", r.stderr)
            self.assertIn(why, self.jp("clusters.postgresql.cnpg.io/" + name, "-n", "db", "{.status.phaseReason}"))

    def test_new_server_name_archives_there(self):
        self.kok("apply", "-f", self.write("c.yaml", cluster("c", "pg", backup_server="c-new")))
        self.kok("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/c", "-n", "db", "--timeout=5s")
        self.assertEqual(self.jp("clusters.postgresql.cnpg.io/c", "-n", "db", '{.status.conditions[?(@.type=="ContinuousArchiving")].status}'), "True")
        # a second cluster archiving to the now used path is refused
        self.kok("apply", "-f", self.write("d.yaml", cluster("d", "pg", backup_server="c-new")))
        self.assertEqual(self.k("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/d", "-n", "db", "--timeout=5s").returncode, 1)

    def test_faults_never_ready_and_wrong_data(self):
        self.faults("- {kind: Cluster, name: x, effect: never-ready}\n- {kind: Cluster, name: y, effect: wrong-data}\n")
        self.kok("apply", "-f", self.write("x.yaml", cluster("x", "pg")))
        self.kok("apply", "-f", self.write("y.yaml", cluster("y", "pg")))
        self.assertEqual(self.k("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/x", "-n", "db", "--timeout=5s").returncode, 1)
        self.kok("wait", "--for=condition=Ready", "clusters.postgresql.cnpg.io/y", "-n", "db", "--timeout=5s")
        self.assertEqual(self.kok("exec", "-n", "db", "y-1", "--", "psql", "-tAc", "select count(*) from t").stdout, "0\n")
        self.kok("get", "pods", "-n", "db")  # object-fault rules never fire as call faults

    def test_sort_by(self):
        out = self.jp("backups.postgresql.cnpg.io", "-n", "db", "-l", "cnpg.io/cluster=pg", "--sort-by=.status.stoppedAt",
                      "{.items[*].metadata.name}")
        self.assertEqual(out, "b1 b2")


class TestLonghorn(DrCase):
    def test_restore_then_static_pv_pvc_and_check_pod(self):
        self.kok("apply", "-f", self.write("v.yaml", LH_VOLUME % "backup-1"))
        self.assertEqual(self.jp("volumes.longhorn.io/vol", "-n", "longhorn-system",
                                 "{.status.state} {.status.restoreRequired}"), "attached true")
        self.kok("apply", "-f", self.write("p.yaml", PV_PVC_POD))
        self.assertEqual(self.jp("pod/check", "-n", "db", "{.status.phase}"), "Pending", "waits while the volume restores")
        self.kok("wait", "--for=jsonpath={.status.restoreRequired}=false", "volumes.longhorn.io/vol", "-n", "longhorn-system", "--timeout=5s")
        self.assertEqual(self.jp("volumes.longhorn.io/vol", "-n", "longhorn-system", "{.status.state} {.status.robustness}"), "detached unknown")
        self.assertEqual(self.jp("pvc/vol", "-n", "db", "{.status.phase}"), "Bound")
        self.assertEqual(self.jp("pv/vol", "{.status.phase} {.spec.claimRef.namespace}"), "Bound db")
        self.kok("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/check", "-n", "db", "--timeout=5s")

    def test_pvc_on_missing_pv_stays_pending(self):
        self.kok("apply", "-f", self.write("p.yaml", PV_PVC_POD.split("---")[1]))
        self.assertEqual(self.jp("pvc/vol", "-n", "db", "{.status.phase}"), "Pending")

    def test_unknown_backup_and_faults(self):
        self.kok("apply", "-f", self.write("v.yaml", LH_VOLUME % "nope"))
        self.kok("wait", "--for=jsonpath={.status.robustness}=faulted", "volumes.longhorn.io/vol", "-n", "longhorn-system", "--timeout=5s")
        self.assertEqual(self.jp("volumes.longhorn.io/vol", "-n", "longhorn-system", '{.status.conditions[?(@.type=="Restore")].reason}'),
                         "RestoreFailure")
        self.kok("delete", "volumes.longhorn.io", "vol", "-n", "longhorn-system")
        self.faults("- {kind: Volume, name: vol, effect: restore-stuck}\n")
        self.kok("apply", "-f", self.write("v.yaml", LH_VOLUME % "backup-1"))
        r = self.k("wait", "--for=jsonpath={.status.restoreRequired}=false", "volumes.longhorn.io/vol", "-n", "longhorn-system", "--timeout=5s")
        self.assertEqual(r.returncode, 1)
        self.faults("- {kind: Volume, name: vol, effect: wrong-data}\n")
        self.kok("apply", "-f", self.write("p.yaml", PV_PVC_POD))
        self.kok("wait", "--for=jsonpath={.status.phase}=Failed", "pod/check", "-n", "db", "--timeout=5s")
        self.assertEqual(self.jp("pod/check", "-n", "db", "{.status.containerStatuses[0].state.terminated.exitCode}"), "1")

    def test_size_must_be_a_string(self):
        r = self.k("apply", "-f", self.write("v.yaml", (LH_VOLUME % "backup-1").replace('"1073741824"', "1073741824")))
        self.assertEqual(r.returncode, 1)
        self.assertIn('spec.size: Invalid value: "integer": spec.size in body must be of type string', r.stderr)


class TestK8up(DrCase):
    RESTORE = "apiVersion: k8up.io/v1\nkind: Restore\nmetadata: {name: %s, namespace: db}\nspec: {snapshot: \"%s\", restoreMethod: {folder: {claimName: %s}}}\n"

    def test_success_needs_completed_and_succeeded(self):
        self.kok("apply", "-f", self.write("pvc.yaml", PV_PVC_POD.split("---")[1]))  # the PVC restored into
        self.kok("apply", "-f", self.write("r.yaml", self.RESTORE % ("ok", "abcdef", "vol")))
        self.kok("apply", "-f", self.write("s.yaml", self.RESTORE % ("bad", "0000", "vol")))
        for name, reason in (("ok", "Succeeded"), ("bad", "Failed")):
            self.kok("wait", "--for=condition=Completed", "restores.k8up.io/" + name, "-n", "db", "--timeout=5s")
            self.assertEqual(self.jp("restores.k8up.io/" + name, "-n", "db", '{.status.conditions[?(@.type=="Completed")].reason}'), reason)

    def test_missing_target_pvc_never_completes_and_fault(self):
        self.kok("apply", "-f", self.write("r.yaml", self.RESTORE % ("r", "", "nope")))
        self.assertEqual(self.k("wait", "--for=condition=Completed", "restores.k8up.io/r", "-n", "db", "--timeout=5s").returncode, 1)
        self.faults("- {kind: Restore, name: f, effect: failed}\n")
        self.kok("apply", "-f", self.write("f.yaml", "apiVersion: k8up.io/v1\nkind: Restore\nmetadata: {name: f, namespace: db}\nspec: {restoreMethod: {s3: {bucket: x}}}\n"))
        self.kok("wait", "--for=condition=Completed", "restores.k8up.io/f", "-n", "db", "--timeout=5s")
        self.assertEqual(self.jp("restores.k8up.io/f", "-n", "db", '{.status.conditions[?(@.type=="Completed")].reason}'), "Failed")


if __name__ == "__main__":
    import unittest
    unittest.main()
