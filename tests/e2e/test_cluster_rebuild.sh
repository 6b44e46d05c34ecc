#!/usr/bin/env bash
# playbooks/cluster-rebuild.yaml on the simulated cluster, through the real binary: an old cluster
# backs up its application namespaces with Velero to a bucket; a new cluster starts as bare Talos
# nodes (maintenance mode, no Kubernetes API) on the same bucket; `restore cluster-rebuild --yes`
# applies every platform stage (talos from apply-config and bootstrap on), waits for Velero to sync
# the backups, restores the application namespaces in place and verifies them. Its RTO is the whole
# rebuild. DNS and HTTPS gates are answered by tests/sim/netsim.py (root: ports 53 and 443).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

if [ "$(id -u)" -ne 0 ]; then
  fail "this test binds 127.0.0.200:53 and 127.0.0.201:443 for the sim's DNS/HTTPS answers: run it as root"
  finish
  exit 1
fi
export ADGUARD_PASSWORD_HASH=e2e-hash RANCHER_BOOTSTRAP_PASSWORD=e2e-password CLOUDFLARE_API_TOKEN=e2e-token
BUCKET="$WORK/bucket.json"
KC="$ROOT/tests/sim/kubeconfig"
K() { "$SIM_BIN/kubectl" --kubeconfig "$KC" --context sim "$@"; }
V() { "$SIM_BIN/velero" --kubeconfig "$KC" --kubecontext sim "$@"; }
q() { "$@" >/dev/null 2>&1; }  # a check whose output does not matter

# ---- the old cluster: two applications, backed up ----
new_sim old
printf 'readyAfterPolls: 1\nveleroBucket: %s\n' "$BUCKET" >"$GROUNDWORK_SIM_STATE/config.yaml"
check "velero on the old cluster" q "$SIM_BIN/helm" upgrade --install velero velero --repo https://vmware-tanzu.github.io/helm-charts \
  -n velero --create-namespace --wait
for app in shop blog; do
  cat >"$app.yaml" <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: $app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $app, namespace: $app}
spec:
  replicas: 1
  selector: {matchLabels: {app: $app}}
  template:
    metadata: {labels: {app: $app}}
    spec:
      containers: [{name: $app, image: nginx}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: $app}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
YAML
  check "application $app" q K apply -f "$app.yaml"
done
check "the nightly backup" q V backup create nightly --include-namespaces shop,blog --wait
check "the bucket holds it" grep -q nightly "$BUCKET"

# ---- the new cluster: bare Talos nodes on the same bucket ----
new_sim new
printf 'readyAfterPolls: 1\nbareMetal: true\nveleroBucket: %s\n' "$BUCKET" >"$GROUNDWORK_SIM_STATE/config.yaml"
sed -e "s|\.\./|$ROOT/|g" -e "s|kubeconfig: $ROOT/tests/sim/kubeconfig|kubeconfig: $WORK/kubeconfig|" \
  -e 's|^    velero_enabled: .*|    velero_enabled: "true"|' "$ROOT/inventories/sim.yaml" >inv.yaml
KC="$WORK/kubeconfig"
mkdir -p playbooks
cp -r "$ROOT/playbooks/cluster-rebuild.yaml" "$ROOT/playbooks/velero-namespace-restore" playbooks/
check "netsim starts" "$ROOT/tests/sim/netsim.py" start
at_exit '"$ROOT/tests/sim/netsim.py" stop >/dev/null 2>&1'
TOOLS=(--param "velero=$SIM_BIN/velero" --param "kubectl=$SIM_BIN/kubectl")

run_gw -i inv.yaml --state-dir st --playbooks playbooks plan --playbook cluster-rebuild "${TOOLS[@]}"
expect_rc 0 "plan of the rebuild"
expect_in "$WORK/out" "talos" "the plan starts with the platform"
expect_in "$WORK/out" "cluster-rebuild:steps" "then the playbook"

run_gw -i inv.yaml --state-dir st --playbooks playbooks drill cluster-rebuild "${TOOLS[@]}"
expect_rc 2 "cluster-rebuild has no drill mode"

run_gw -i inv.yaml --state-dir st --playbooks playbooks restore cluster-rebuild --yes "${TOOLS[@]}"
expect_rc 0 "the rebuild from bare metal"
check "talos configured and bootstrapped once, from maintenance mode" python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" <<'PY'
import json, sys
t = [c["argv"] for c in map(json.loads, open(sys.argv[1])) if c["tool"] == "talosctl" and c["exit"] == 0]
assert sum("bootstrap" in a for a in t) == 1, t
assert any("apply-config" in a and "--insecure" in a for a in t), t
PY
run_gw -i inv.yaml --state-dir st --playbooks playbooks status --format json
check "every platform stage done" python3 - "$WORK/out" <<'PY'
import json, sys
stages = {s["name"]: s["status"] for s in json.load(open(sys.argv[1]))["stages"]}
for n in ("talos", "storage-class", "metallb", "cert-manager", "adguard", "traefik", "rancher", "argocd", "velero"):
    assert stages.get(n) == "done", (n, stages)
PY
for app in shop blog; do
  check "$app restored" q K rollout status "deployment/$app" -n "$app"
  check "$app's volume bound" bash -c "'$SIM_BIN/kubectl' --kubeconfig '$KC' --context sim get pvc data -n $app -o jsonpath='{.status.phase}' | grep -qx Bound"
done
check "no platform namespace restored over the new platform" python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" <<'PY'
import json, sys
r = [c["argv"] for c in map(json.loads, open(sys.argv[1])) if c["tool"] == "velero" and "create" in c["argv"]]
assert len(r) == 1, r
a = r[0]
assert a[a.index("--include-namespaces") + 1] == "shop,blog" and a[a.index("--from-backup") + 1] == "nightly", a
PY
J=$(ls -t st/sim/reports/cluster-rebuild-*.json | head -1)
check "report: the rebuild's RTO covers the platform" python3 - "$J" <<'PY'
import json, sys, datetime
r = json.load(open(sys.argv[1]))
assert r["mode"] == "restore" and r["status"] == "passed", r.get("reason")
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
whole = (t(r["finishedAt"]) - t(r["startedAt"])).total_seconds() * 1000
steps = sum(s["durationMs"] for s in r["steps"])
rto = r["rto"]["measuredMs"]
assert rto > steps + 1000 and rto <= whole + 1000, (rto, steps, whole)
assert r["rpo"]["backupTime"] and r["rpo"]["met"], r["rpo"]
PY

# Run again: a restore after a finished one is a new restore (its steps from the first), while the
# platform stages it needs are done and not applied again.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st --playbooks playbooks restore cluster-rebuild --yes "${TOOLS[@]}"
expect_rc 0 "the rebuild again"
expect_in "$WORK/err" "starts from its first step" "a new restore starts over"
sim_calls_since "$N" >"$WORK/calls-again"
check "the second run called velero" grep -q '"tool": "velero"' "$WORK/calls-again"
expect_not_in "$WORK/calls-again" '"tool": "helm"' "no platform stage applied again"
check "a second Velero restore" test "$(V restore get -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["items"]) if "items" in d else 1)')" -eq 2

finish
