#!/usr/bin/env bash
# The shipped etcd-restore playbook against a k3s server node over ssh: a real OpenSSH server on
# 127.0.0.1 whose sessions find the fake k3s node of tests/sim/k3s-node first on their PATH (k3s,
# systemctl, sudo: flags checked like the real ones, calls recorded, no real k3s). Snapshots are
# real etcd snapshots (from a real etcd the test starts), so the drill restores real data.
# - drill with source k3s: `k3s etcd-snapshot save` over ssh, fetched over SFTP, checked and
#   restored into a throwaway member; the node's copy is removed by cleanup;
# - restore with source dir (the newest file of a backup folder) on platform k3s: the snapshot is
#   pushed to the node, then `systemctl stop k3s`, `k3s server --cluster-reset
#   --cluster-reset-restore-path=…` (once), `systemctl start k3s`, in that order, then gates;
# - a corrupted backup fails the restore before k3s is stopped; killed -9 during the reset, the
#   re-run resumes but does not repeat the `once` reset without --force; a finished restore does
#   not reset the cluster again.
source "$(dirname "$0")/lib.sh"
at_exit stop_all_sshd
cd "$WORK"
require /usr/sbin/sshd
start_live_etcd
etcdctl --endpoints "$EP" put /registry/namespaces/kube-system ks >/dev/null || fail "put"
etcdctl --endpoints "$EP" snapshot save "$WORK/old.db" >/dev/null 2>&1 || fail "snapshot save old"
etcdctl --endpoints "$EP" put /registry/namespaces/k3s-app app >/dev/null || fail "put"
etcdctl --endpoints "$EP" snapshot save "$WORK/real.db" >/dev/null 2>&1 || fail "snapshot save"
kill -KILL "$ETCD_PID"

# The node: its state, a real snapshot for `k3s etcd-snapshot save` to hand out, its data dir.
NODE="$WORK/node"
SNAPDIR="$NODE/root/var/lib/rancher/k3s/server/db/snapshots"
mkdir -p "$NODE" "$SNAPDIR"
printf 'snapshotFile: %s\ndataDir: %s\nnodeName: k3s-1\n' "$WORK/real.db" "$NODE/root/var/lib/rancher/k3s" >"$NODE/config.yaml"
ssh-keygen -q -t ed25519 -N '' -C user -f "$WORK/id_user"
start_sshd sshd "SetEnv PATH=$ROOT/tests/sim/k3s-node/bin:/usr/bin:/bin K3S_SIM_STATE=$NODE"
cat "$WORK/id_user.pub" >"$WORK/sshd/authorized_keys"
known_host sshd >known_hosts
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: k3s-dr}
spec:
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
  hosts:
    k3s-1: {address: 127.0.0.1, port: $SSHD_PORT, user: root, identity: $WORK/id_user, knownHosts: ./known_hosts}
YAML
mkdir -p stages
# node_calls: the fake node's calls, "tool argv…" one a line.
node_calls() { python3 -c "
import json
for l in open('$NODE/calls.jsonl'): c = json.loads(l); print(c['tool'], ' '.join(c['argv']), '->', c['exit'])"; }
node_state() { python3 -c "import json; print(json.load(open('$NODE/state.json'))['$1'])"; }

# ---- drill, source k3s ----
run_gw -i inv.yaml drill etcd-restore --param source=k3s --param k3s_host=k3s-1 --param k3s_snapshot_dir="$SNAPDIR" \
  --param scratch="$WORK/scratch" --param client_port="$(free_port)" --param peer_port="$(free_port)" \
  --param "keys=/registry/namespaces/kube-system /registry/namespaces/k3s-app"
expect_rc 0 "drill with a k3s etcd-snapshot over ssh"
node_calls >calls.txt
expect_in calls.txt "k3s etcd-snapshot save --name groundwork-drill --dir $SNAPDIR -> 0" "k3s etcd-snapshot save ran on the node"
LOGS=$(ls -td .groundwork/k3s-dr/runs/*/logs | head -1)
expect_in "$LOGS/etcd-restore%3Averify.member.log" "keys present: /registry/namespaces/kube-system /registry/namespaces/k3s-app" "the fetched snapshot restored and served"
check "the node's drill copy is removed by cleanup" test ! -e "$SNAPDIR/groundwork-drill.db"
check "the drill did not stop k3s" test "$(node_state running)" = True
expect_not_in calls.txt "cluster-reset" "a drill never resets the cluster"

# ---- restore, source dir: the newest backup ----
mkdir -p backups
cp -p "$WORK/old.db" backups/etcd-snapshot-old.db
touch -d '3 hours ago' backups/etcd-snapshot-old.db
cp -p "$WORK/real.db" backups/etcd-snapshot-latest.db
touch -d '1 hour ago' backups/etcd-snapshot-latest.db
restore() {  # restore STATE_DIR ARGS…
  local st="$1"; shift
  run_gw -i inv.yaml --state-dir "$st" restore etcd-restore --yes --param platform=k3s --param k3s_host=k3s-1 \
    --param k3s_snapshot_dir="$SNAPDIR" --param k3s_restore_file="$NODE/restore.db" --param scratch="$WORK/rs" "$@"
}

# A corrupted backup is refused before the node is touched.
mkdir -p bad && cp -p "$WORK/real.db" bad/etcd-snapshot.db
size=$(stat -c %s bad/etcd-snapshot.db)
printf 'corrupted-by-the-test-corrupted-by-the-test' | dd of=bad/etcd-snapshot.db bs=1 seek=$((size / 2)) conv=notrunc status=none
N=$(wc -l <"$NODE/calls.jsonl")
restore "$WORK/st-bad" --param source=dir --param backup_dir="$WORK/bad"
expect_rc 1 "a corrupted backup fails the restore"
check "k3s was not stopped for a corrupted backup" test "$(wc -l <"$NODE/calls.jsonl")" -eq "$N"
check "k3s still runs" test "$(node_state running)" = True

# Killed -9 during the cluster-reset: the remote command dies with the connection, and the re-run
# does not repeat the `once` reset blindly; --force after checking by hand.
echo "resetDelay: 3" >>"$NODE/config.yaml"
start_gw -i inv.yaml --state-dir "$WORK/st" restore etcd-restore --yes --param platform=k3s --param k3s_host=k3s-1 \
  --param k3s_snapshot_dir="$SNAPDIR" --param k3s_restore_file="$NODE/restore.db" --param scratch="$WORK/rs" \
  --param source=dir --param backup_dir="$WORK/backups"
in_reset() { pgrep -f -- "--cluster-reset-restore-path=$NODE/restore.db" >/dev/null; }
not_in_reset() { ! in_reset; }
check "the restore reached the cluster-reset" wait_until 60 in_reset
kill -KILL "$BG_PID"
wait_gw 10
check "the remote reset stopped with the connection" wait_until 15 not_in_reset
sed -i '/resetDelay/d' "$NODE/config.yaml"
check "the cluster was not reset" test "$(node_state etcd)" = healthy
restore "$WORK/st" --param source=dir --param backup_dir="$WORK/backups"
expect_rc 1 "an interrupted once reset is not repeated blindly"
expect_in "$WORK/err" "--force etcd-restore:steps/k3s-cluster-reset" "says how to go on"
check "k3s is stopped, waiting for the reset" test "$(node_state running)" = False
restore "$WORK/st" --param source=dir --param backup_dir="$WORK/backups" --force etcd-restore:steps/k3s-cluster-reset
expect_rc 0 "restore of the newest backup on k3s"
node_calls | tail -n +$((N + 1)) | grep -v '^k3s kubectl' >calls.txt
check "stop, cluster-reset, start, in that order" diff <(printf '%s\n' \
  "systemctl stop k3s -> 0" \
  "k3s server --cluster-reset --cluster-reset-restore-path=$NODE/restore.db -> 0" \
  "systemctl start k3s -> 0") calls.txt
check "the newest backup was restored" test "$(node_state restoredSha256)" = "$(sha256sum backups/etcd-snapshot-latest.db | cut -d' ' -f1)"
check "k3s runs again" test "$(node_state running)" = True
J=$(ls -t "$WORK"/st/k3s-dr/reports/etcd-restore-*.json | head -1)
check "restore report" python3 -c "
import json; r=json.load(open('$J'))
assert r['mode'] == 'restore' and r['status'] == 'passed', (r['status'], r.get('reason'))
st = {(s['phase'], s['name']): s['status'] for s in r['steps']}
assert st[('steps', 'newest')] == 'done' and st[('steps', 'k3s-stop')] == 'done', st  # from the killed run
assert st[('steps', 'k3s-cluster-reset')] == 'passed' and st[('steps', 'k3s-start')] == 'passed', st
assert st[('verify', 'k3s-etcd-healthy')] == 'passed' and st[('verify', 'k3s-nodes-ready')] == 'passed', st
assert st[('steps', 'talos-recover')] == 'skipped', st
assert 3500000 < r['rpo']['measuredMs'] < 4000000, r['rpo']"
restore "$WORK/st" --param source=dir --param backup_dir="$WORK/backups"
expect_rc 0 "a restore after a finished one"
expect_in "$WORK/err" "starts from its first step" "a new restore starts over"
check "the new restore reset the cluster again (once per restore)" test "$(python3 -c "import json; print(json.load(open('$NODE/state.json'))['resets'])")" -eq 2
finish
