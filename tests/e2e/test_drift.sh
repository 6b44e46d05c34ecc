#!/usr/bin/env bash
# Drift: a Deployment deleted behind groundwork's back. `apply --verify` probes the gates of done
# stages once (not for the gate's 5-minute timeout), names the drift and the flag that repairs it
# (exit 1); `status` and `plan` show the stage drifted with its steps to run; `apply --repair`
# re-runs its steps and then its gates; a stage whose `when` is false stays skipped throughout.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml drift "    gitops: argocd"
mkdir -p stages/manifests
configmap stages/manifests/route.yaml traefik-route
configmap stages/manifests/rancher.yaml rancher
cat >stages/traefik.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: traefik}
spec:
  steps:
    - name: chart
      helm: {release: traefik, chart: traefik, repo: https://traefik.github.io/charts,
             version: 37.3.0, namespace: traefik, createNamespace: true}
      timeout: 1m
    - name: route
      kubectl: {apply: [manifests/route.yaml]}
  gates:
    - {name: deployment, rollout: {kind: deployment, name: traefik, namespace: traefik},
       interval: 1s, timeout: 5m}
YAML
cat >stages/flux.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: flux}
spec:
  needs: [traefik]
  when: "${vars.gitops} == flux"
  steps:
    - name: never
      run: {argv: ["false"]}
YAML
cat >stages/rancher.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: rancher}
spec:
  needs: [traefik]
  steps:
    - name: cm
      kubectl: {apply: [manifests/rancher.yaml]}
YAML

stage_status() {  # stage_status NAME: its status in `status --format json`
  "$GW" -i inv.yaml --state-dir st status --format json |
    python3 -c "import json,sys; print({s['name']: s['status'] for s in json.load(sys.stdin)['stages']}['$1'])"
}
deployment_exists() { sim_kubectl get deployment traefik -n traefik >/dev/null 2>&1; }
deployment_gone() { ! deployment_exists; }
helm_calls_since() { sim_calls_since "$1" | grep -c '"tool": *"helm".*"upgrade"'; }

new_sim
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "first apply"
expect_in "$WORK/err" "flux" "flux in the summary"
check "flux skipped (its when is false)" grep -qE '^flux +skipped' "$WORK/err"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --verify
expect_rc 0 "apply --verify while healthy"
check "--verify while healthy re-ran no step" test "$(helm_calls_since "$N")" -eq 0

# Behind groundwork's back.
sim_kubectl delete deployment traefik -n traefik >/dev/null
check "the Deployment is gone" deployment_gone
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "plain apply trusts the journal"
check "plain apply ran nothing" test "$(sim_calls)" -eq "$N"

# --verify: one probe, well under the gate's 5-minute timeout.
T0=$(date +%s)
run_gw -i inv.yaml --state-dir st apply --verify
T1=$(date +%s)
expect_rc 1 "apply --verify reports the drift"
check "apply --verify took under 30s (the gate's timeout is 5m): $((T1 - T0))s" test $((T1 - T0)) -lt 30
expect_in "$WORK/err" "DRIFTED traefik/gate deployment" "the drifted stage and gate are named"
expect_in "$WORK/err" "traefik/gate deployment DRIFTED" "the probe's progress line says DRIFTED"
expect_not_in "$WORK/err" "traefik/gate deployment FAILED" "the probe's progress line does not say FAILED"
expect_in "$WORK/err" "does not exist" "a missing Deployment is drift, not 'not yet'"
expect_in "$WORK/err" "apply --repair" "the message names the flag that repairs"
check "traefik drifted in the summary" grep -qE '^traefik +drifted' "$WORK/err"
check "flux skipped, not blocked" grep -qE '^flux +skipped' "$WORK/err"
check "flux never blocked" bash -c "! grep -E 'flux.*blocked' '$WORK/err'"
check "rancher blocked by the drift" grep -qE '^rancher +blocked.*needs traefik' "$WORK/err"
check "--verify alone re-ran no step" test "$(helm_calls_since "$N")" -eq 0

# status and plan see the drift; plan says the stage's steps run again.
check "status --format json: traefik drifted" test "$(stage_status traefik)" = drifted
check "status --format json: flux skipped" test "$(stage_status flux)" = skipped
run_gw -i inv.yaml --state-dir st status
check "status text: traefik drifted" grep -qE '^traefik +drifted' "$WORK/out"
run_gw -i inv.yaml --state-dir st plan
expect_rc 0 "plan after the drift"
expect_in "$WORK/out" "traefik  [drifted]" "plan shows traefik drifted"
expect_in "$WORK/out" "(2 to run)" "plan: traefik's two steps run again"
expect_in "$WORK/out" "runs: done, but its stage drifted" "plan says why they run"
run_gw -i inv.yaml --state-dir st plan --format json
check "plan json: traefik drifted, its steps run" python3 -c "
import json; j = json.load(open('$WORK/out'))
t = [s for s in j['stages'] if s['name'] == 'traefik'][0]
assert t['status'] == 'drifted', t"

# --repair: the steps run again, then the gate with its normal timeout.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --repair
expect_rc 0 "apply --repair"
check "helm ran again" test "$(helm_calls_since "$N")" -ge 1
check "the Deployment is back" deployment_exists
check "status: traefik done" test "$(stage_status traefik)" = done
check "status: rancher done" test "$(stage_status rancher)" = done
check "flux still skipped" grep -qE '^flux +skipped' "$WORK/err"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after the repair"
check "nothing runs after the repair" test "$(sim_calls)" -eq "$N"
run_gw -i inv.yaml --state-dir st plan
expect_in "$WORK/out" "(0 to run)" "plan: nothing to run"

# One command: --repair alone notices and repairs in the same run.
sim_kubectl delete deployment traefik -n traefik >/dev/null
run_gw -i inv.yaml --state-dir st apply --repair
expect_rc 0 "apply --repair straight after a deletion"
expect_in "$WORK/err" "traefik drifted" "it says the stage drifted"
check "the Deployment is back again" deployment_exists
check "the progress count never passes its total" python3 - "$WORK/err" <<'PY'
import re, sys
seen = [tuple(map(int, m)) for m in re.findall(r"^\[(\d+)/(\d+) ", open(sys.argv[1]).read(), re.M)]
assert seen and all(n <= t for n, t in seen), seen
PY

# After a drift report, a plain apply re-runs the stage's steps too (plan and apply agree).
sim_kubectl delete deployment traefik -n traefik >/dev/null
run_gw -i inv.yaml --state-dir st apply --verify
expect_rc 1 "drift reported again"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "plain apply after a drift report repairs"
check "helm ran in the plain apply" test "$(helm_calls_since "$N")" -ge 1
check "the Deployment is back a third time" deployment_exists
check "status: traefik done at the end" test "$(stage_status traefik)" = done

finish
