#!/usr/bin/env bash
# playbooks/velero-namespace-restore.yaml on the simulated cluster, through the real binary, with
# the shipped velero stage (stages/85-velero.yaml) as its need: a passing drill (the copy in
# shop-drill restored without Ingresses, verified, then deleted with its Restore object; reports
# with RTO and RPO), a PartiallyFailed restore (velero's --wait exits 0: the phase step fails the
# drill, cleanup still runs), a restore that never finishes (fails on wait_seconds, cleanup runs),
# restored workloads that never become ready (verify fails, cleanup runs), and the restore mode in
# place with --yes, killed during its verify and resumed without restoring twice.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
new_sim
K="$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim"
q() { "$@" >/dev/null 2>&1; }  # a check whose output does not matter

# The shipped velero stage and this playbook; storage-class (its need) is a stub here.
mkdir -p stages/values stages/manifests playbooks
cp "$ROOT/stages/85-velero.yaml" stages/
cp "$ROOT/stages/values/velero.tmpl.yaml" stages/values/
cp "$ROOT/stages/manifests/velero-schedule.tmpl.yaml" stages/manifests/
cp -r "$ROOT/playbooks/velero-namespace-restore.yaml" "$ROOT/playbooks/velero-namespace-restore" playbooks/
cat >stages/storage-class.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: storage-class}
spec:
  steps:
    - name: stub
      run: {argv: ["true"]}
YAML
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: vel}
spec:
  kubernetes: {kubeconfig: $ROOT/tests/sim/kubeconfig, context: sim}
  tools: {kubectl: $SIM_BIN/kubectl, helm: $SIM_BIN/helm, velero: $SIM_BIN/velero}
  stages: [./stages]
  playbooks: [./playbooks]
  vars:
    velero_enabled: "true"
    velero_bucket: sim-bucket
    velero_prefix: velero
    velero_s3_url: http://127.0.0.1:9000
    velero_region: minio
    velero_credentials_secret: velero-credentials
    velero_backup_hour: "3"
    velero_ttl: 720h0m0s
YAML
TOOLS=(--param "velero=$SIM_BIN/velero" --param "kubectl=$SIM_BIN/kubectl")
R=.groundwork/vel/reports
report() { ls -t "$R"/velero-namespace-restore-*.json 2>/dev/null | head -1; }
# calls_with TEXT…: the number of logged calls whose space-joined argv contains every TEXT.
calls_with() {
  python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" "$@" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    c = json.loads(line); a = " ".join(c["argv"])
    if all(t in a for t in sys.argv[2:]):
        n += 1
print(n)
PY
}
drill_gone() {  # the copy and the drill's Restore objects are gone
  ! $K get namespace shop-drill >/dev/null 2>&1 &&
    test "$("$SIM_BIN/velero" --kubeconfig "$ROOT/tests/sim/kubeconfig" --kubecontext sim restore get \
      -l groundwork.dev/namespace=shop,groundwork.dev/mode=drill -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("items", [d]) if d.get("kind") == "RestoreList" else [d]))')" = 0
}

# ---- the shipped playbooks load with any inventory; what one needs is checked when it runs ----
mkdir -p bare/stages
cat >bare/inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: bare}
spec:
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
YAML
run_gw -i bare/inv.yaml validate
expect_rc 0 "no Kubernetes, no platform stages: the shipped playbooks still validate"
run_gw -i bare/inv.yaml drill velero-namespace-restore --param namespace=shop
expect_rc 2 "a playbook needing a stage the inventory lacks"
expect_in "$WORK/err" "unknown stage 'velero'" "the missing stage is named"
cp stages/storage-class.yaml bare/stages/velero.yaml
sed -i 's/name: storage-class/name: velero/' bare/stages/velero.yaml
run_gw -i bare/inv.yaml drill velero-namespace-restore --param namespace=shop
expect_rc 2 "a playbook using an unset inventory field"
expect_in "$WORK/err" "the inventory sets no 'inventory.kubeconfig'" "the unset field is named"
run_gw -i bare/inv.yaml restore cluster-rebuild --yes
expect_rc 2 "a playbook needing stages the inventory lacks"
expect_in "$WORK/err" "unknown stage 'talos'" "the first missing stage is named"
check "nothing ran, no state" test ! -e bare/.groundwork

# ---- the velero stage, an application, its backup ----
run_gw -i inv.yaml apply velero
expect_rc 0 "the velero stage"
check "the schedule exists" q $K get schedules.velero.io groundwork-daily -n velero
check "the location gate was asked" test "$(calls_with backupstoragelocation.velero.io/default)" -ge 1
cat >app.yaml <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: orders, namespace: shop}
data: {count: "42"}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec: {rules: [{host: shop.sim.lan}]}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: web, namespace: shop}
spec: {entryPoints: [websecure], routes: [{match: Host(`shop.sim.lan`), kind: Rule, services: [{name: web, port: 80}]}]}
YAML
check "the application" q $K apply -f app.yaml
check "an older backup" q "$SIM_BIN/velero" --kubeconfig "$ROOT/tests/sim/kubeconfig" --kubecontext sim backup create shop-old --include-namespaces shop --wait
sleep 1
check "the newest backup" q "$SIM_BIN/velero" --kubeconfig "$ROOT/tests/sim/kubeconfig" --kubecontext sim backup create shop-new --include-namespaces shop --wait
check "a backup of another namespace" q "$SIM_BIN/velero" --kubeconfig "$ROOT/tests/sim/kubeconfig" --kubecontext sim backup create other --include-namespaces velero --wait

# ---- plan ----
run_gw -i inv.yaml plan --playbook velero-namespace-restore --param namespace=shop "${TOOLS[@]}"
expect_rc 0 "plan --playbook"
expect_in "$WORK/out" "velero_restore.py restore drill shop" "plan shows the restore step"
expect_in "$WORK/out" "delete namespace shop-drill" "plan shows the cleanup"

# ---- a passing drill ----
DATA="$SIM_BIN/kubectl --kubeconfig $ROOT/tests/sim/kubeconfig --context sim get configmap orders -n \$TARGET_NAMESPACE -o jsonpath={.data.count} | grep -qx 42"
N=$(sim_calls)
run_gw -i inv.yaml drill velero-namespace-restore --param namespace=shop "${TOOLS[@]}" --param "data_check=$DATA"
expect_rc 0 "passing drill"
J=$(report)
check "report fields" python3 - "$J" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "passed", r.get("reason")
st = {(s["phase"], s["name"]): s["status"] for s in r["steps"]}
for k in [("steps", "restore"), ("steps", "phase"), ("verify", "rollouts"), ("verify", "pvcs-bound"),
          ("verify", "data-check"), ("cleanup", "copy"), ("cleanup", "restore-objects")]:
    assert st[k] == "passed", (k, st)
assert isinstance(r["rto"]["measuredMs"], int) and r["rto"]["met"] is True, r["rto"]
assert r["rpo"]["backupTime"].endswith("Z") and r["rpo"]["measuredMs"] < 600000 and r["rpo"]["met"], r["rpo"]
PY
check "markdown and junit reports" test -s "${J%.json}.md" -a -s "${J%.json}.junit.xml"
check "the newest backup was restored, mapped, without ingresses" test "$(sim_calls_since "$N" >c.jsonl; python3 -c "
import json
for l in open('c.jsonl'):
    a = ' '.join(json.loads(l)['argv'])
    if 'restore create' in a:
        print(int('--from-backup shop-new' in a and '--namespace-mappings shop:shop-drill' in a
                  and '--exclude-resources ingresses,ingressroutes.traefik.io,certificates.cert-manager.io' in a))")" = 1
check "the copy was rolled out in shop-drill during the drill" python3 -c "
import json
ok = [json.loads(l) for l in open('c.jsonl')]
assert any(' '.join(c['argv']).find('rollout status deployment/web -n shop-drill') >= 0 and c['exit'] == 0 for c in ok)"
check "the drill's copy and restore object are gone" drill_gone
check "the live namespace is untouched" q $K get ingress web -n shop
check "status lists the drill" bash -c "'$GW' --no-color -i inv.yaml status | grep -Eq 'velero-namespace-restore +drill +passed'"

# ---- PartiallyFailed: --wait exits 0, the phase step fails the drill, cleanup runs ----
set_faults <<'YAML'
- {tool: velero, match: "restore create", action: velero-restore, phase: PartiallyFailed, errors: 2, warnings: 1}
YAML
run_gw -i inv.yaml drill velero-namespace-restore --param namespace=shop "${TOOLS[@]}"
expect_rc 1 "a PartiallyFailed restore fails the drill"
check "PartiallyFailed report" python3 - "$(report)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
st = {(s["phase"], s["name"]): s for s in r["steps"]}
assert st[("steps", "restore")]["status"] == "passed"
p = st[("steps", "phase")]
assert p["status"] == "failed" and "phase PartiallyFailed" in p["message"] and "2 errors, 1 warnings" in p["message"], p
assert st[("cleanup", "copy")]["status"] == "passed" and st[("cleanup", "restore-objects")]["status"] == "passed"
assert r["status"] == "failed"
PY
check "cleanup after PartiallyFailed" drill_gone

# ---- a restore that never finishes: fails on wait_seconds, cleanup runs ----
set_faults <<'YAML'
- {tool: velero, match: "restore create", action: velero-restore, phase: InProgress}
YAML
run_gw -i inv.yaml drill velero-namespace-restore --param namespace=shop "${TOOLS[@]}" --param wait_seconds=2
expect_rc 1 "a never-finishing restore fails the drill"
check "timeout report" python3 - "$(report)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
st = {(s["phase"], s["name"]): s for s in r["steps"]}
s = st[("steps", "restore")]
assert s["status"] == "failed" and "did not finish within 2s (phase InProgress)" in s["message"], s
assert ("steps", "phase") not in st or st[("steps", "phase")]["status"] != "passed"
assert st[("cleanup", "restore-objects")]["status"] == "passed"
PY
check "cleanup deleted the stuck restore" drill_gone

# ---- restored workloads never become ready: verify fails, cleanup runs ----
set_faults <<'YAML'
- {tool: velero, match: "restore create", action: velero-restore, unready: true}
YAML
run_gw -i inv.yaml drill velero-namespace-restore --param namespace=shop "${TOOLS[@]}" --param rollout_seconds=1
expect_rc 1 "a failing verify fails the drill"
check "failing verify report" python3 - "$(report)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
st = {(s["phase"], s["name"]): s for s in r["steps"]}
v = st[("verify", "rollouts")]
assert v["status"] == "failed" and "not rolled out in shop-drill: deployment/web" in v["message"], v
assert st[("cleanup", "copy")]["status"] == "passed"
assert r["rto"]["measuredMs"] is None
PY
check "cleanup after the failed verify" drill_gone
J=$(report)
check "junit has the failure" grep -q "<failure" "${J%.json}.junit.xml"
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"

# ---- restore mode: in place, --yes, killed in its verify, resumed ----
check "disaster: the namespace is deleted" q $K delete namespace shop
run_gw -i inv.yaml restore velero-namespace-restore --param namespace=shop "${TOOLS[@]}" </dev/null
expect_rc 2 "restore without --yes and no terminal"
set_faults <<'YAML'
- {tool: kubectl, match: "rollout status deployment/web -n shop ", first: 1, action: hang}
YAML
N=$(sim_calls)
start_gw -i inv.yaml restore velero-namespace-restore --yes --param namespace=shop "${TOOLS[@]}"
check "the restore reached its verify" wait_until 60 grep -qs "rollout status deployment/web -n shop " "$GROUNDWORK_SIM_STATE/fault-counts.json"
kill -KILL "$BG_PID"
wait_gw 10
run_gw -i inv.yaml restore velero-namespace-restore --yes --kill-stale --param namespace=shop "${TOOLS[@]}"
expect_rc 0 "the resumed restore"
sim_calls_since "$N" >c.jsonl
check "restored once, in place, without mappings" test "$(python3 -c "
import json
a = [' '.join(json.loads(l)['argv']) for l in open('c.jsonl')]
r = [x for x in a if 'restore create' in x]
print(len(r) == 1 and '--namespace-mappings' not in r[0] and '--exclude-resources' not in r[0] and 'shop-new' in r[0])")" = True
check "the namespace is back, with its ingress" q $K get ingress web -n shop
check "the deployment rolled out" q $K rollout status deployment/web -n shop
check "resumed report" python3 - "$(report)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "restore" and r["status"] == "passed", r.get("reason")
st = {(s["phase"], s["name"]): s["status"] for s in r["steps"]}
assert st[("steps", "restore")] == "done" and st[("steps", "phase")] == "done", st
assert st[("verify", "rollouts")] == "passed", st
assert not any(p == "cleanup" for p, _ in st), st
PY

finish
