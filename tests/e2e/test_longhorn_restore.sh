#!/usr/bin/env bash
# The shipped longhorn-volume-restore playbook on the simulated cluster (tests/sim,
# sim_dr_kinds.py): a Longhorn Volume restored `fromBackup` (the newest Completed backup, or a
# named one; size as a quoted string), waited for, a static PV + PVC Bound to it, a data-check
# pod that Succeeds; RPO from the backup's backupCreatedAt; cleanup deletes everything. Faults: a
# restore that fails, a restore that stays restoring, a data check that fails. Restore mode with
# --yes leaves the volume, PV and PVC; a restore resumed after kill -9 does not re-run done steps.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
new_sim
export PATH="$SIM_BIN:$PATH"   # the playbook's helper script calls kubectl
sim_inventory inv.yaml lh "  playbooks: [$ROOT/playbooks]"
NEWEST=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
OLDER=$(date -u -d '-26 hours' +%Y-%m-%dT%H:%M:%SZ)
URL='s3://lh-backups@us-east-1/'
lhb() {  # lhb NAME STATE CREATED
  printf '  - {apiVersion: longhorn.io/v1beta2, kind: Backup, metadata: {name: %s, namespace: longhorn-system, labels: {backup-volume: data}},\n' "$1"
  printf '     spec: {snapshotName: snap-%s}, status: {state: %s, url: "%s?backup=%s&volume=data", backupCreatedAt: "%s", volumeName: data, volumeSize: "2147483648"}}\n' "$1" "$2" "$URL" "$1" "$3"
}
{ cat <<YAML
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: longhorn-system}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: apps}}
  - apiVersion: longhorn.io/v1beta2
    kind: BackupVolume
    metadata: {name: data, namespace: longhorn-system, labels: {backup-volume: data}}
    spec: {volumeName: data, backupTargetName: default}
    status: {lastBackupName: backup-new, lastBackupAt: "$NEWEST", size: "2147483648"}
YAML
  lhb backup-old Completed "$OLDER"; lhb backup-new Completed "$NEWEST"
  lhb backup-half InProgress "$(date -u -d '-1 hours' +%Y-%m-%dT%H:%M:%SZ)"
} >seed.yaml
check "seed the backups" python3 "$ROOT/tests/sim/sim_dr_kinds.py" seed seed.yaml
P=(--param backup_volume=data --param size=2147483648 --param namespace=apps)
R=.groundwork/lh/reports
report() { ls -t $R/"$1"-*.json 2>/dev/null | head -1; }
k() { "$SIM_BIN/kubectl" --kubeconfig "$ROOT/tests/sim/kubeconfig" --context sim "$@"; }
gone() { ! k get "$@" >/dev/null 2>&1; }

# ---- a passing drill ----
run_gw -i inv.yaml drill longhorn-volume-restore "${P[@]}"
expect_rc 0 "longhorn drill"
J=$(report longhorn-volume-restore)
check "drill report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r.get('reason')
names = [(s['phase'], s['name'], s['status']) for s in r['steps']]
assert [n for p, n, st in names if p == 'verify' and st == 'passed'] == ['bound', 'check-pod', 'check-finished', 'check-succeeded'], names
assert r['rpo']['backupTime'] == '$NEWEST' and r['rpo']['met'], r['rpo']
assert r['rto']['met']"
check "the newest Completed backup was restored, size as a string" python3 -c "
import json
calls=[json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')]
assert any('--sort-by=.status.backupCreatedAt' in a for a in calls)"
LOGS=$(ls -td .groundwork/lh/runs/*/logs | head -1)
expect_in "$LOGS/longhorn-volume-restore%3Asteps.volume.log" "restoring backup backup-new (${URL}?backup=backup-new&volume=data) into volume data-drill" "the helper says what it restores"
check "volume deleted" gone volumes.longhorn.io data-drill -n longhorn-system
check "pv deleted" gone pv data-drill
check "pvc deleted" gone pvc data-drill -n apps
check "check pod deleted" gone pod data-drill-check -n apps

# ---- a named backup ----
run_gw -i inv.yaml drill longhorn-volume-restore "${P[@]}" --param backup=backup-old
expect_rc 1 "an old named backup misses the RPO objective"
check "named backup report" python3 -c "
import json; r=json.load(open('$(report longhorn-volume-restore)'))
assert r['rpo']['backupTime'] == '$OLDER' and r['rpo']['met'] is False, r['rpo']
assert 'RPO objective missed' in r['reason'], r['reason']"
run_gw -i inv.yaml drill longhorn-volume-restore "${P[@]}" --param backup=backup-half
expect_rc 1 "a backup still in progress"
expect_in "$WORK/err" "backup backup-half is InProgress, not Completed" "says why"

# ---- faults: failed restore, stuck restore, failing data check; cleanup runs each time ----
fault_drill() {  # fault_drill EFFECT FAILED_STEP WHAT
  printf -- '- {kind: Volume, name: data-drill, effect: %s}\n' "$1" | set_faults
  run_gw -i inv.yaml drill longhorn-volume-restore "${P[@]}" --param restore_timeout=3s
  expect_rc 1 "$3"
  check "$3: report" python3 -c "
import json; r=json.load(open('$(report longhorn-volume-restore)')); s={(x['phase'], x['name']): x for x in r['steps']}
assert r['status'] == 'failed'
assert s[$2]['status'] == 'failed', s[$2]
assert all(x['status'] == 'passed' for x in r['steps'] if x['phase'] == 'cleanup'), r['steps']"
  check "$3: volume deleted" gone volumes.longhorn.io data-drill -n longhorn-system
  check "$3: pv deleted" gone pv data-drill
}
fault_drill restore-failed "('steps', 'restore-finished')" "a restore that fails"
fault_drill restore-stuck "('steps', 'restore-finished')" "a restore that stays restoring"
fault_drill wrong-data "('verify', 'check-succeeded')" "a data check that fails"
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"

# ---- the API server refuses a size that is not a string ----
printf 'apiVersion: longhorn.io/v1beta2\nkind: Volume\nmetadata: {name: bad, namespace: longhorn-system}\nspec: {size: 2147483648}\n' >bad.yaml
check "an integer size is refused" bash -c "! $SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim apply -f bad.yaml 2>err.txt && grep -q 'spec.size in body must be of type string' err.txt"

# ---- restore mode: --yes, the volume, PV and PVC stay ----
run_gw -i inv.yaml restore longhorn-volume-restore "${P[@]}" --param volume=data --yes </dev/null
expect_rc 0 "longhorn restore"
check "restored volume stays" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get volumes.longhorn.io data -n longhorn-system -o jsonpath='{.status.restoreRequired} {.status.state} {.spec.size}' | grep -qx 'false detached 2147483648'"
check "pvc Bound to the static pv" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get pvc data -n apps -o jsonpath='{.status.phase} {.spec.volumeName}' | grep -qx 'Bound data'"
check "pv Bound to the pvc" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get pv data -o jsonpath='{.status.phase} {.spec.claimRef.name} {.spec.csi.driver}' | grep -qx 'Bound data driver.longhorn.io'"

# ---- a restore resumed after kill -9 ----
printf -- '- {tool: kubectl, match: "restoreRequired}=false volumes.longhorn.io/data2", action: slow, seconds: 4}\n' | set_faults
start_gw -i inv.yaml restore longhorn-volume-restore "${P[@]}" --param volume=data2 --yes
check "restore reached the wait" wait_until 30 grep -qs 'volumes.longhorn.io/data2' "$GROUNDWORK_SIM_STATE/fault-counts.json"
kill -KILL "$BG_PID"
wait_gw 10
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
N=$(sim_calls)
run_gw -i inv.yaml restore longhorn-volume-restore "${P[@]}" --param volume=data2 --yes </dev/null
expect_rc 0 "resumed restore"
check "done steps not re-run" python3 -c "
import json; r=json.load(open('$(report longhorn-volume-restore)')); st={s['name']: s['status'] for s in r['steps']}
assert st['volume'] == 'done' and st['restore-finished'] == 'passed' and st['pv-pvc'] == 'passed', st
assert r['rpo']['backupTime'] == '$NEWEST', r['rpo']
calls=[json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')][$N:]
assert not any('backups.longhorn.io' in a for a in calls), calls"
finish
