#!/usr/bin/env bash
# The shipped k8up-restore playbook on the simulated cluster (tests/sim, sim_dr_kinds.py): a K8up
# Restore of the newest (or a given) snapshot into a scratch PVC; success needs the Completed
# condition AND reason Succeeded; RPO from the Snapshot's spec.date; cleanup deletes the Restore
# and the scratch PVC. Faults: a Restore Completed with reason Failed, an unknown snapshot, a
# restore that never completes. Restore mode with --yes (into the application's PVC, nothing
# deleted), and a restore resumed after kill -9 without re-running its done steps.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
new_sim
sim_inventory inv.yaml k8 "  playbooks: [$ROOT/playbooks]"
NEWEST=$(date -u -d '-5 hours' +%Y-%m-%dT%H:%M:%SZ)
OLDER=$(date -u -d '-29 hours' +%Y-%m-%dT%H:%M:%SZ)
cat >seed.yaml <<YAML
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - {apiVersion: v1, kind: Secret, metadata: {name: backup-repo, namespace: shop}, stringData: {password: sim}}
  - {apiVersion: v1, kind: Secret, metadata: {name: minio-creds, namespace: shop}, stringData: {username: sim, password: sim}}
  - {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: shop-data, namespace: shop}, spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}}
  - {apiVersion: k8up.io/v1, kind: Snapshot, metadata: {name: 1a2b3c4d, namespace: shop}, spec: {id: 1a2b3c4d5e6f, date: "$NEWEST", paths: [/data/shop-data], repository: "s3:http://127.0.0.1:9000/backups"}}
  - {apiVersion: k8up.io/v1, kind: Snapshot, metadata: {name: 9f8e7d6c, namespace: shop}, spec: {id: 9f8e7d6c5b4a, date: "$OLDER", paths: [/data/shop-data], repository: "s3:http://127.0.0.1:9000/backups"}}
YAML
check "seed the snapshots" python3 "$ROOT/tests/sim/sim_dr_kinds.py" seed seed.yaml
P=(--param namespace=shop --param s3_endpoint=http://127.0.0.1:9000 --param s3_bucket=backups
   --param s3_secret=minio-creds --param repo_secret=backup-repo)
R=.groundwork/k8/reports
report() { ls -t $R/"$1"-*.json 2>/dev/null | head -1; }
k() { "$SIM_BIN/kubectl" --kubeconfig "$ROOT/tests/sim/kubeconfig" --context sim "$@"; }
gone() { ! k get "$@" >/dev/null 2>&1; }

# ---- a passing drill of the newest snapshot ----
run_gw -i inv.yaml drill k8up-restore "${P[@]}"
expect_rc 0 "k8up drill"
check "drill report" python3 -c "
import json; r=json.load(open('$(report k8up-restore)'))
assert r['status'] == 'passed', r.get('reason')
st = {(s['phase'], s['name']): s['status'] for s in r['steps']}
assert st[('steps', 'restore-scratch')] == 'passed' and st[('steps', 'restore-folder')] == 'skipped', st
assert st[('verify', 'succeeded')] == 'passed', st
assert r['rpo']['backupTime'] == '$NEWEST' and r['rpo']['met'], r['rpo']"
check "the Restore is deleted" gone restores.k8up.io groundwork-drill -n shop
check "the scratch PVC is deleted" gone pvc groundwork-drill-scratch -n shop
check "the application's PVC is untouched" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get pvc shop-data -n shop >/dev/null"

# ---- a given snapshot: its date is the RPO (an old one misses the objective) ----
run_gw -i inv.yaml drill k8up-restore "${P[@]}" --param snapshot=9f8e7d6c5b4a
expect_rc 1 "an old snapshot misses the RPO objective"
check "given snapshot report" python3 -c "
import json; r=json.load(open('$(report k8up-restore)'))
assert r['rpo']['backupTime'] == '$OLDER' and r['rpo']['met'] is False, r['rpo']
assert [s['status'] for s in r['steps'] if s['phase'] == 'verify'] == ['passed']"

# ---- Completed with reason Failed is a failure; cleanup runs ----
printf -- '- {kind: Restore, name: groundwork-drill, effect: failed}\n' | set_faults
run_gw -i inv.yaml drill k8up-restore "${P[@]}"
expect_rc 1 "a Restore Completed with reason Failed"
check "failed restore report" python3 -c "
import json; r=json.load(open('$(report k8up-restore)')); s={x['name']: x for x in r['steps']}
assert s['completed']['status'] == 'passed', s['completed']
assert s['succeeded']['status'] == 'failed' and 'Failed' in s['succeeded']['message'], s['succeeded']
assert s['restore']['status'] == 'passed' and s['scratch-pvc']['status'] in ('passed',)"
check "cleanup after a failed restore" gone restores.k8up.io groundwork-drill -n shop
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"

# ---- a snapshot the repository does not have ----
run_gw -i inv.yaml drill k8up-restore "${P[@]}" --param snapshot=deadbeef
expect_rc 1 "an unknown snapshot"

# ---- a restore that never completes ----
printf -- '- {kind: Restore, name: groundwork-drill, effect: stuck}\n' | set_faults
run_gw -i inv.yaml drill k8up-restore "${P[@]}" --param timeout=3s
expect_rc 1 "a restore that never completes"
expect_in "$(report k8up-restore)" "timed out waiting for the condition" "the report says it timed out"
check "cleanup after a stuck restore" gone restores.k8up.io groundwork-drill -n shop
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"

# ---- restore mode: into the application's PVC, the Restore stays ----
run_gw -i inv.yaml restore k8up-restore "${P[@]}" --param target_pvc=shop-data --yes </dev/null
expect_rc 0 "k8up restore"
check "the Restore stays, Succeeded, into shop-data" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get restores.k8up.io groundwork-restore -n shop -o jsonpath='{.spec.restoreMethod.folder.claimName} {.status.conditions[?(@.type==\"Completed\")].reason}' | grep -qx 'shop-data Succeeded'"
check "no scratch PVC in restore mode" gone pvc groundwork-restore-scratch -n shop

# ---- restore to S3, resumed after kill -9 ----
printf -- '- {tool: kubectl, match: "restores.k8up.io/to-s3", action: slow, seconds: 4}\n' | set_faults
start_gw -i inv.yaml restore k8up-restore "${P[@]}" --param name=to-s3 --param method=s3 \
  --param target_s3_endpoint=http://127.0.0.1:9000 --param target_s3_bucket=restored --yes
check "restore reached the wait" wait_until 30 grep -qs 'restores.k8up.io/to-s3' "$GROUNDWORK_SIM_STATE/fault-counts.json"
kill -KILL "$BG_PID"
wait_gw 10
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
N=$(sim_calls)
run_gw -i inv.yaml restore k8up-restore "${P[@]}" --param name=to-s3 --param method=s3 \
  --param target_s3_endpoint=http://127.0.0.1:9000 --param target_s3_bucket=restored --yes </dev/null
expect_rc 0 "resumed restore"
check "done steps not re-run" python3 -c "
import json; r=json.load(open('$(report k8up-restore)')); st={s['name']: s['status'] for s in r['steps']}
assert st['restore-s3'] == 'done' and st['newest-snapshot-time'] == 'done' and st['completed'] == 'passed', st
calls=[json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')][$N:]
assert not any('apply' in a for a in calls), calls"
check "the s3 Restore" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get restores.k8up.io to-s3 -n shop -o jsonpath='{.spec.restoreMethod.s3.bucket}' | grep -qx restored"
finish
