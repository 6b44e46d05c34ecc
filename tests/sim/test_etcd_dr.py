"""Tests of the simulator's etcd disaster-recovery parts (tests/sim): talosctl etcd snapshot with a
real snapshot file, bootstrap --recover-from and its hash check, reset of EPHEMERAL only, and the
fake k3s node of tests/sim/k3s-node.

Run: /usr/bin/python3 -m unittest discover -s tests/sim -v
"""
import hashlib
import json
import os
import subprocess

from test_sim import HERE, TALOSCONFIG, SimCase

K3S_BIN = os.path.join(HERE, "k3s-node", "bin")


def etcd_like(path, body=b"x", with_hash=True):
    """A file shaped like an etcd snapshot: 512-byte pages, plus the sha256 of them when with_hash."""
    data = (body * 8192)[:8192]
    if with_hash:
        data += hashlib.sha256(data).digest()
    with open(path, "wb") as f:
        f.write(data)
    return path


class TestTalosRecovery(SimCase):
    def t(self, *args):
        return self.run_tool("talosctl", "--talosconfig", TALOSCONFIG, "--endpoints", "127.0.0.11",
                             "--nodes", "127.0.0.11", *args)

    def test_real_snapshot_and_recovery(self):
        real = etcd_like(os.path.join(self.tmp, "real.db"))
        self.config("readyAfterPolls: 1\netcdSnapshotFile: %s\n" % real)
        self.kok("create", "ns", "before")
        snap = os.path.join(self.tmp, "snap.db")
        r = self.ok("talosctl", "--talosconfig", TALOSCONFIG, "--nodes", "127.0.0.11", "etcd", "snapshot", snap)
        self.assertIn('etcd snapshot saved to "%s" (8224 bytes)' % snap, r.stdout)
        with open(snap, "rb") as a, open(real, "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.kok("create", "ns", "after")
        # a live etcd: no recovery over it
        self.assertIn("etcd data directory is not empty", self.t("bootstrap", "--recover-from=" + snap).stderr)
        # wipe EPHEMERAL only: configured, etcd waits for a bootstrap
        self.ok("talosctl", "--talosconfig", TALOSCONFIG, "--nodes", "127.0.0.11", "reset", "--graceful=false",
                "--reboot", "--system-labels-to-wipe=EPHEMERAL")
        self.assertEqual(self.t("version").returncode, 0)
        self.assertIn("STATE    Preparing", self.t("service", "etcd").stdout)
        self.assertEqual(self.t("etcd", "status").returncode, 1)
        self.assertEqual(self.k("get", "ns").returncode, 1)
        # a copied db (no sha256) needs --recover-skip-hash-check; a corrupted one is refused
        raw = etcd_like(os.path.join(self.tmp, "raw.db"), with_hash=False)
        self.assertIn("snapshot missing hash but --skip-hash-check=false", self.t("bootstrap", "--recover-from", raw).stderr)
        bad = os.path.join(self.tmp, "bad.db")
        with open(snap, "rb") as f:
            data = bytearray(f.read())
        data[100] ^= 0xFF
        with open(bad, "wb") as f:
            f.write(data)
        self.assertIn("expected sha256", self.t("bootstrap", "--recover-from", bad).stderr)
        self.assertIn("Preparing", self.t("service", "etcd").stdout)
        r = self.t("bootstrap", "--recover-from=" + snap)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.t("etcd", "status").returncode, 0)
        self.kok("get", "ns", "before")
        self.assertEqual(self.k("get", "ns", "after").returncode, 1)  # the snapshot's state, not the latest

    def test_skip_hash_check_takes_a_copied_db(self):
        raw = etcd_like(os.path.join(self.tmp, "raw.db"), with_hash=False)
        self.ok("talosctl", "--talosconfig", TALOSCONFIG, "--nodes", "127.0.0.11", "reset",
                "--system-labels-to-wipe", "EPHEMERAL")
        r = self.t("bootstrap", "--recover-from", raw, "--recover-skip-hash-check")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.t("etcd", "status").returncode, 0)


class TestK3sNode(SimCase):
    def node(self, tool, *args):
        env = dict(os.environ, K3S_SIM_STATE=self.state, PATH=K3S_BIN + ":/usr/bin:/bin")
        return subprocess.run([tool] + list(args), capture_output=True, text=True, timeout=20, env=env)

    def test_snapshot_reset_and_restart(self):
        real = etcd_like(os.path.join(self.tmp, "real.db"))
        snapdir = os.path.join(self.tmp, "snaps")
        with open(os.path.join(self.state, "config.yaml"), "w") as f:
            f.write("snapshotFile: %s\nnodeName: k3s-1\n" % real)
        r = self.node("k3s", "etcd-snapshot", "save", "--name", "gw", "--dir", snapdir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"Snapshot gw-k3s-1-\d+ saved\.")
        self.assertEqual(len(os.listdir(snapdir)), 1)
        r = self.node("k3s", "etcd-snapshot", "save", "--nmae", "gw")
        self.assertEqual(r.returncode, 1)
        self.assertIn("flag provided but not defined: -nmae", r.stderr)
        snap = os.path.join(snapdir, os.listdir(snapdir)[0])
        # cluster-reset while k3s runs fails; the restore path needs --cluster-reset
        r = self.node("k3s", "server", "--cluster-reset", "--cluster-reset-restore-path=" + snap)
        self.assertEqual(r.returncode, 1)
        self.assertIn("address already in use", r.stderr)
        self.assertEqual(self.node("sudo", "-S", "-p", "", "--", "systemctl", "stop", "k3s").returncode, 0)
        self.assertEqual(self.node("systemctl", "is-active", "k3s").returncode, 3)
        self.assertEqual(self.node("k3s", "etcd-snapshot", "save").returncode, 1)
        self.assertIn("--cluster-reset required", self.node("k3s", "server", "--cluster-reset-restore-path", snap).stderr)
        self.assertIn("snapshot path does not exist: /nope",
                      self.node("k3s", "server", "--cluster-reset", "--cluster-reset-restore-path=/nope").stderr)
        r = self.node("k3s", "server", "--cluster-reset", "--cluster-reset-restore-path=" + snap)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Managed etcd cluster membership has been reset, restart without --cluster-reset flag now", r.stderr)
        self.assertEqual(self.node("k3s", "kubectl", "get", "--raw", "/healthz/etcd").returncode, 1)
        self.assertEqual(self.node("systemctl", "start", "k3s").returncode, 0)
        self.assertEqual(self.node("k3s", "kubectl", "get", "--raw", "/healthz/etcd").stdout, "ok\n")
        self.assertIn("Ready", self.node("k3s", "kubectl", "get", "nodes", "--no-headers").stdout)
        with open(os.path.join(self.state, "state.json")) as f:
            st = json.load(f)
        self.assertEqual(st["restoredSha256"], hashlib.sha256(open(real, "rb").read()).hexdigest())
        with open(os.path.join(self.state, "calls.jsonl")) as f:
            tools = [json.loads(line)["tool"] for line in f]
        self.assertIn("systemctl", tools)
        self.assertIn("k3s", tools)
