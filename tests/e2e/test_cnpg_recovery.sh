#!/usr/bin/env bash
# The shipped cnpg-recovery playbook on the simulated cluster (tests/sim, sim_dr_kinds.py): a new
# CloudNativePG Cluster bootstrapped with `recovery` from the origin's object store, Ready, a SQL
# check through `kubectl exec … psql`, RPO from the origin's newest completed Backup; the drill
# cluster deleted by cleanup. Faults: a recovery that never becomes Ready, a SQL check that
# fails. Restore mode with --yes (the cluster stays, archiving under a new serverName), a second
# restore archiving onto a used serverName stays in "Setting up primary", and a restore resumed
# after kill -9 without re-running its done steps.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
new_sim
sim_inventory inv.yaml cnpg "  playbooks: [$ROOT/playbooks]"
NEWEST=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)
OLDER=$(date -u -d '-27 hours' +%Y-%m-%dT%H:%M:%SZ)
BROKEN=$(date -u -d '-1 hours' +%Y-%m-%dT%H:%M:%SZ)
backup() {  # backup NAME PHASE STOPPED_AT
  printf '  - {apiVersion: postgresql.cnpg.io/v1, kind: Backup, metadata: {name: %s, namespace: db, labels: {cnpg.io/cluster: pg}},\n' "$1"
  printf '     spec: {cluster: {name: pg}, method: barmanObjectStore}, status: {phase: %s, serverName: pg, stoppedAt: "%s"}}\n' "$2" "$3"
}
{ cat <<YAML
barman:
  "s3://backups/pg/pg": {backups: ["$NEWEST"], wal: true, sql: {"select count(*) from orders": "42"}}
objects:
  - {apiVersion: v1, kind: Namespace, metadata: {name: db}}
  - {apiVersion: v1, kind: Secret, metadata: {name: s3-creds, namespace: db}, stringData: {ACCESS_KEY_ID: sim, ACCESS_SECRET_KEY: sim}}
YAML
  backup pg-old completed "$OLDER"; backup pg-new completed "$NEWEST"; backup pg-broken failed "$BROKEN"
} >seed.yaml
check "seed the origin's backups" python3 "$ROOT/tests/sim/sim_dr_kinds.py" seed seed.yaml
P=(--param namespace=db --param origin=pg --param destination_path=s3://backups/pg --param s3_secret=s3-creds
   --param "sql=select count(*) from orders" --param 'sql_expect=^42$')
R=.groundwork/cnpg/reports
report() { ls -t $R/"$1"-*.json 2>/dev/null | head -1; }

run_gw -i inv.yaml validate
expect_rc 0 "validate with the shipped playbooks"
run_gw -i inv.yaml plan --playbook cnpg-recovery "${P[@]}"
expect_rc 0 "plan"
expect_in "$WORK/out" "cnpg-recovery/cluster.tmpl.yaml" "plan applies the drill cluster"

# ---- a passing drill ----
run_gw -i inv.yaml drill cnpg-recovery "${P[@]}"
expect_rc 0 "cnpg drill"
J=$(report cnpg-recovery)
check "drill report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r.get('reason')
st = {(s['phase'], s['name']): s['status'] for s in r['steps']}
assert st[('steps', 'cluster')] == 'passed' and st[('steps', 'cluster-with-backup')] == 'skipped', st
assert st[('verify', 'sql')] == 'passed' and st[('cleanup', 'drill-cluster')] == 'passed', st
assert r['rto']['met'] and r['rto']['measuredMs'] >= 0
assert r['rpo']['backupTime'] == '$NEWEST', r['rpo']
assert 3 * 3600000 <= r['rpo']['measuredMs'] < 3 * 3600000 + 600000 and r['rpo']['met'], r['rpo']"
check "the drill cluster is deleted" bash -c "! $SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get cluster.postgresql.cnpg.io pg-drill -n db >/dev/null 2>&1"
check "its instance pod is gone" bash -c "! $SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get pod pg-drill-1 -n db >/dev/null 2>&1"
check "the drill archived nothing" python3 -c "
import json; d=json.load(open('$GROUNDWORK_SIM_STATE/state.json'))['dr']['barman']
assert list(d) == ['s3://backups/pg/pg'], list(d)"
check "psql ran in the recovered pod" grep -q '"exec", "-n", "db", "pg-drill-1", "-c", "postgres", "--", "sh", "-c", "out=$(psql' "$GROUNDWORK_SIM_STATE/calls.jsonl"
LOGS=$(ls -td .groundwork/cnpg/runs/*/logs | head -1)
check "the SQL check's output is logged" grep -qx '42' "$LOGS/cnpg-recovery%3Averify.sql.log"

# ---- a recovery that never becomes Ready: the drill fails, cleanup still runs ----
printf -- '- {kind: Cluster, name: pg-drill, effect: never-ready}\n' | set_faults
run_gw -i inv.yaml drill cnpg-recovery "${P[@]}" --param ready_timeout=3s
expect_rc 1 "a recovery that never becomes Ready"
check "never-ready report" python3 -c "
import json; r=json.load(open('$(report cnpg-recovery)'))
assert r['status'] == 'failed'
s = {x['name']: x for x in r['steps']}
assert s['ready']['status'] == 'failed' and 'timed out waiting for the condition' in s['ready']['message'], s['ready']
assert s['drill-cluster']['status'] == 'passed'"
check "cleanup deleted the stuck cluster" bash -c "! $SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get cluster.postgresql.cnpg.io pg-drill -n db >/dev/null 2>&1"

# ---- a SQL check that fails (the recovered data is wrong) ----
printf -- '- {kind: Cluster, name: pg-drill, effect: wrong-data}\n' | set_faults
run_gw -i inv.yaml drill cnpg-recovery "${P[@]}"
expect_rc 1 "a failing SQL check"
check "sql verify failed, cleanup ran" python3 -c "
import json; r=json.load(open('$(report cnpg-recovery)'))
s = {x['name']: x for x in r['steps']}
assert s['sql']['status'] == 'failed', s['sql']
assert s['drill-cluster']['status'] == 'passed' and r['rto']['measuredMs'] is None"
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"

# ---- restore mode: --yes, the cluster stays and archives under a new serverName ----
run_gw -i inv.yaml restore cnpg-recovery "${P[@]}" --param target=pg --yes </dev/null
expect_rc 0 "cnpg restore"
check "the restored cluster stays" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get cluster.postgresql.cnpg.io pg -n db -o jsonpath='{.status.phase}' | grep -qx 'Cluster in healthy state'"
check "it archives to the new serverName, not onto the origin" python3 -c "
import json; st=json.load(open('$GROUNDWORK_SIM_STATE/state.json'))
o=[r['obj'] for r in st['objects'].values() if r['kind']=='Cluster' and r['name']=='pg'][0]
assert o['spec']['backup']['barmanObjectStore']['serverName'] == 'pg-restored', o['spec']['backup']
assert o['spec']['externalClusters'][0]['barmanObjectStore']['serverName'] == 'pg'
assert 's3://backups/pg/pg-restored' in st['dr']['barman']"
check "restore report" python3 -c "
import json; r=json.load(open('$(report cnpg-recovery)')); assert r['mode'] == 'restore' and r['status'] == 'passed'
assert not [s for s in r['steps'] if s['phase'] == 'cleanup'], r['steps']"

# ---- a restore archiving onto a used serverName stays in "Setting up primary" ----
run_gw -i inv.yaml restore cnpg-recovery "${P[@]}" --param target=pg2 --param server_name=pg --param ready_timeout=3s --yes </dev/null
expect_rc 1 "a restore whose serverName holds WALs"
check "Expected empty archive" bash -c "$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get cluster.postgresql.cnpg.io pg2 -n db -o jsonpath='{.status.phase} {.status.phaseReason}' | grep -q 'Setting up primary.*Expected empty archive'"

# ---- a restore resumed after kill -9 ----
printf -- '- {tool: kubectl, match: "wait --for=condition=Ready cluster.postgresql.cnpg.io/pg3", action: slow, seconds: 4}\n' | set_faults
start_gw -i inv.yaml restore cnpg-recovery "${P[@]}" --param target=pg3 --yes
check "restore reached the wait" wait_until 30 grep -qs 'wait.*cluster.postgresql.cnpg.io/pg3' "$GROUNDWORK_SIM_STATE/fault-counts.json"
kill -KILL "$BG_PID"
wait_gw 10
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
N=$(sim_calls)
run_gw -i inv.yaml restore cnpg-recovery "${P[@]}" --param target=pg3 --yes </dev/null
expect_rc 0 "resumed restore"
check "done steps not re-run" python3 -c "
import json
calls=[json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')][$N:]
assert not any('apply' in a for a in calls), calls
assert not any('backups.postgresql.cnpg.io' in a for a in calls), calls
assert any('wait' in a for a in calls), calls"
check "resumed report" python3 -c "
import json; r=json.load(open('$(report cnpg-recovery)')); st={s['name']: s['status'] for s in r['steps']}
assert st['backup-time'] == 'done' and st['cluster-with-backup'] == 'done' and st['ready'] == 'passed', st
assert r['rpo']['backupTime'] == '$NEWEST', r['rpo']"
finish
