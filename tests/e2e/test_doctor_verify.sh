#!/usr/bin/env bash
# `doctor`: tools found with their versions, too-old helm, the API server and its version, Talos
# endpoints reachable; exit 3 on any problem; read-only commands only. `apply --verify`: the gates
# of done stages are probed again and catch what broke since (drift; tests/e2e/test_drift.sh).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

TALOS_UP=127.0.0.93    # a Talos endpoint this test listens on (port 50000)
TALOS_DOWN=127.0.0.94  # nothing listens here

# doctor_inventory FILE NAME ENDPOINT [TOOLS-OVERRIDE]: the sim inventory plus a Talos endpoint.
doctor_inventory() {
  sim_inventory "$1" "$2" "  talos:
    talosconfig: $ROOT/tests/sim/talosconfig
    endpoints: [$3]
    nodes: [{name: cp1, address: $3, role: controlplane}]"
  if [ -n "${4:-}" ]; then sed -i "s|^    helm: .*|    helm: $4|" "$1"; fi
}
doctor_inventory inv.yaml dv "$TALOS_UP"
mkdir -p stages/manifests
configmap stages/manifests/app.yaml app
cat >stages/app.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: app}
spec:
  steps:
    - name: cm
      kubectl: {apply: [manifests/app.yaml]}
    - name: helm-present
      gate: {command: {argv: [helm, version, --short]}, interval: 200ms}
      timeout: 5s
  gates:
    - {name: cm, exists: {resource: configmap/app, namespace: default}, interval: 200ms, timeout: 2s}
YAML

# A listener on the "up" endpoint for the whole test; stopped on exit.
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 50000)); s.listen(16)
print("listening", flush=True)
while True:
    c, _ = s.accept(); c.close()' "$TALOS_UP" >"$WORK/listener.out" 2>&1 &
LISTENER=$!
at_exit 'kill $LISTENER 2>/dev/null'
wait_until 10 grep -q listening "$WORK/listener.out" || fail "the test's Talos listener did not start"

# --- doctor: everything fine.
new_sim sim-ok
run_gw -i inv.yaml --state-dir st doctor
expect_rc 0 "doctor on a healthy simulated cluster"
expect_in "$WORK/out" "all checks passed" "doctor says so"
check "helm shown with its version" grep -qE '^  ok    helm: .*/tests/sim/bin/helm  v3\.16\.3' "$WORK/out"
check "kubectl shown with its client version" grep -qE '^  ok    kubectl: .*  v1\.31\.2$' "$WORK/out"
expect_in "$WORK/out" "kubernetes API (context sim): reachable, server v1.31.2" "API server and version"
expect_in "$WORK/out" "talos endpoint $TALOS_UP:50000" "talos endpoint checked"
check "doctor ran only version commands" python3 -c "
import json
calls = [json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')]
assert calls, 'no calls'
assert all('version' in a for a in calls), calls"
check "doctor wrote no state" test ! -e st

# --- doctor: an old helm, an API server three minors ahead, an unreachable Talos endpoint.
new_sim sim-old
printf 'readyAfterPolls: 1\nkubernetesVersion: v1.34.1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
set_faults <<'YAML'
- {tool: helm, match: "version", action: fail, exit: 0, stdout: "v3.1.3+g0a9a9a8"}
YAML
doctor_inventory inv-old.yaml dv "$TALOS_DOWN"
run_gw -i inv-old.yaml --state-dir st doctor
expect_rc 3 "doctor with problems exits 3"
check "old helm fails with the reason" grep -qE '^  FAIL  helm: .*v3\.1\.3\+g0a9a9a8 is older than 3\.2\.0 \(.*--create-namespace' "$WORK/out"
check "version skew is a warning" grep -qE '^  warn  kubectl v1\.31\.2: more than one minor version from the server.s v1\.34\.1' "$WORK/out"
check "unreachable talos endpoint fails" grep -qE "^  FAIL  talos endpoint $TALOS_DOWN:50000: .*(refused|timed out)" "$WORK/out"
expect_in "$WORK/out" "2 problems found" "problems counted (the warning is not one)"

# --- doctor: a missing program and an API server that does not answer.
new_sim sim-down
printf 'readyAfterPolls: 1\napiDown: true\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
doctor_inventory inv-missing.yaml dv "$TALOS_UP" /nonexistent/bin/helm
run_gw -i inv-missing.yaml --state-dir st doctor
expect_rc 3 "doctor with a missing tool and the API down"
check "missing helm named" grep -qE '^  FAIL  helm: not found' "$WORK/out"
check "API down named with kubectl's message" grep -qE '^  FAIL  kubernetes API \(context sim\): .*refused' "$WORK/out"

# --- apply --verify re-runs the gates of done stages.
new_sim sim-verify
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "first apply"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "second apply: everything done"
check "second apply made no call at all" test "$(sim_calls)" -eq "$N"
run_gw -i inv.yaml --state-dir st apply --verify
expect_rc 0 "apply --verify while healthy"
check "--verify polled the stage gate" python3 -c "
import json
calls = [json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')][$N:]
assert any('get' in a and 'configmap/app' in a for a in calls), calls"
check "--verify re-applied nothing" bash -c "! tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '\"apply\"'"
# Break what the gate checks, behind groundwork's back.
"$SIM_BIN/kubectl" --kubeconfig "$ROOT/tests/sim/kubeconfig" --context sim delete configmap app -n default >/dev/null
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "without --verify a done stage is not checked again"
run_gw -i inv.yaml --state-dir st apply --verify
expect_rc 1 "apply --verify notices the missing ConfigMap"
expect_in "$WORK/err" "app" "the failing stage is named"
expect_in "$WORK/err" "gate cm" "the failing gate is named"
check "still nothing re-applied" bash -c "! tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '\"apply\"'"
run_gw -i inv.yaml --state-dir st status --format json
check "status: app drifted after the verify" python3 -c "
import json; j = {s['name']: s['status'] for s in json.load(open('$WORK/out'))['stages']}
assert j['app'] == 'drifted', j"

finish
