#!/usr/bin/env bash
# The shipped etcd-restore playbook against a real etcd (Debian's etcd-server/etcd-client, no
# fakes): a member on free loopback ports with keys written first; the drill snapshots it, checks
# and restores the snapshot, starts a throwaway member, reads the keys back at the snapshot's
# revision, and deletes everything. A corrupted snapshot and a missing key fail the drill (and
# cleanup still runs). Sources: etcdctl, a given file, the newest file of a backup folder, a db
# copied from a data dir (skip_hash_check).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
start_live_etcd
for k in /registry/namespaces/kube-system /registry/namespaces/default /registry/pods/default/web-1; do
  etcdctl --endpoints "$EP" put "$k" "value of $k" >/dev/null || fail "put $k"
done
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: etcd-e2e}
spec:
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
YAML
mkdir -p stages
# drill ARGS…: the etcd-restore drill with a scratch folder and fresh loopback ports.
drill() {
  run_gw -i inv.yaml drill etcd-restore --param scratch="$WORK/scratch" \
    --param client_port="$(free_port)" --param peer_port="$(free_port)" "$@"
}

drill --param endpoint="$EP" --param "keys=/registry/namespaces/kube-system /registry/pods/default/web-1"
expect_rc 0 "etcd drill against a live member"
J=$(ls -t .groundwork/etcd-e2e/reports/etcd-restore-*.json | head -1)
check "etcd drill report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r.get('reason')
ran = [(s['phase'], s['name']) for s in r['steps'] if s['status'] != 'skipped']
assert ran == [('steps', 'check-params'), ('steps', 'prepare'), ('steps', 'save'), ('steps', 'taken-at'), ('steps', 'status'),
               ('steps', 'restore'), ('verify', 'member'), ('cleanup', 'scratch')], ran
assert all(s['status'] == 'passed' for s in r['steps'] if s['status'] != 'skipped'), r['steps']
assert r['rto']['met'] and r['rto']['measuredMs'] > 0
assert r['rpo']['measuredMs'] < 600000 and r['rpo']['met'], r['rpo']"
check "scratch deleted" test ! -e "$WORK/scratch/etcd-drill"
LOGS=$(ls -td .groundwork/etcd-e2e/runs/*/logs | head -1)
expect_in "$LOGS/etcd-restore%3Averify.member.log" "keys present: /registry/namespaces/kube-system /registry/pods/default/web-1" "the restored member served the keys"
member_gone() { ! pgrep -f -- "--data-dir $WORK/scratch/etcd-drill/data" >/dev/null; }
check "the throwaway member is gone" member_gone

# A key the snapshot does not have: verify fails, cleanup runs.
drill --param endpoint="$EP" --param keys=/registry/namespaces/nope
expect_rc 1 "a missing key fails the drill"
expect_in "$WORK/err" "key /registry/namespaces/nope is missing" "says which key"
check "scratch deleted after a failed verify" test ! -e "$WORK/scratch/etcd-drill"

# A given snapshot, then a corrupted copy of it.
etcdctl --endpoints "$EP" snapshot save "$WORK/good.db" >/dev/null 2>&1 || fail "snapshot save"
drill --param source=file --param snapshot="$WORK/good.db"
expect_rc 0 "drill of a given snapshot"
cp "$WORK/good.db" "$WORK/bad.db"
size=$(stat -c %s "$WORK/bad.db")
printf 'corrupted-by-the-test-corrupted-by-the-test' | dd of="$WORK/bad.db" bs=1 seek=$((size / 2)) conv=notrunc status=none
drill --param source=file --param snapshot="$WORK/bad.db"
expect_rc 1 "a corrupted snapshot fails the drill"
J=$(ls -t .groundwork/etcd-e2e/reports/etcd-restore-*.json | head -1)
check "corrupted snapshot report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'failed'
failed = [s['name'] for s in r['steps'] if s['status'] == 'failed']
assert failed and failed[0] in ('status', 'restore', 'member'), r['steps']
assert r['steps'][-1]['name'] == 'scratch' and r['steps'][-1]['status'] == 'passed'"
check "scratch deleted after a corrupted snapshot" test ! -e "$WORK/scratch/etcd-drill"

# Source dir: the newest snapshot of a backup folder. The older one lacks a key written after it,
# so the drill passes only if it restored the newest (and a half-written *.part is left out).
mkdir -p "$WORK/backups"
cp -p "$WORK/good.db" "$WORK/backups/etcd-old.db"
touch -d '2 hours ago' "$WORK/backups/etcd-old.db"
etcdctl --endpoints "$EP" put /registry/namespaces/added-later yes >/dev/null || fail "put added-later"
etcdctl --endpoints "$EP" snapshot save "$WORK/backups/etcd-new.db" >/dev/null 2>&1 || fail "snapshot save new"
touch -d '1 hour ago' "$WORK/backups/etcd-new.db"
printf 'half-written' >"$WORK/backups/etcd-newer.db.part"
drill --param source=dir --param backup_dir="$WORK/backups" --param keys=/registry/namespaces/added-later
expect_rc 0 "drill of the newest snapshot in a backup folder"
LOGS=$(ls -td .groundwork/etcd-e2e/runs/*/logs | head -1)
expect_in "$LOGS/etcd-restore%3Asteps.newest.log" "newest snapshot in $WORK/backups: etcd-new.db" "the newest file was taken"
J=$(ls -t .groundwork/etcd-e2e/reports/etcd-restore-*.json | head -1)
check "RPO is the newest file's age (about an hour)" python3 -c "
import json; r=json.load(open('$J'))
assert 3500000 < r['rpo']['measuredMs'] < 4000000, r['rpo']"
touch "$WORK/backups/etcd-old.db"
drill --param source=dir --param backup_dir="$WORK/backups" --param keys=/registry/namespaces/added-later
expect_rc 1 "an older snapshot made newest lacks the key: the drill fails"
drill --param source=dir --param backup_dir="$WORK/empty-nothing-here"
expect_rc 1 "a missing backup folder fails the drill"
expect_in "$WORK/err" "source dir needs --param backup_dir=<an existing folder>" "says what is wrong"

# A db copied out of a member's data dir has no sha256 appended: refused, unless skip_hash_check.
cp "$WORK/live/member/snap/db" "$WORK/copied.db"
drill --param source=file --param snapshot="$WORK/copied.db"
expect_rc 1 "a copied db without skip_hash_check fails"
expect_in "$WORK/err" "snapshot missing hash" "etcdctl says why"
drill --param source=file --param snapshot="$WORK/copied.db" --param skip_hash_check=true
expect_rc 0 "a copied db with skip_hash_check=true restores"
finish
