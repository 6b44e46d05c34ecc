#!/usr/bin/env bash
# Per-tool limits (SPEC §3 spec.limits): with `limits: {helm: 2}` and -j 4, at most two helm
# commands run at once (the simulator's calls.jsonl start/end times), and kubectl stages are not
# held back meanwhile (they start while helm stages wait for their turn). A limit of an unknown
# tool, or below 1, is a located error, exit 2, before anything runs.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

new_sim
sim_inventory inv.yaml limits "  limits: {helm: 2}"
mkdir -p stages/manifests
for i in 1 2 3 4 5; do
  cat >"stages/h$i.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: h$i}
spec:
  tools: [helm]
  steps:
    - name: chart
      helm: {release: r$i, chart: metallb, repo: https://metallb.github.io/metallb, version: 0.15.2,
             namespace: ns$i, createNamespace: true}
YAML
done
for i in 1 2; do
  configmap "stages/manifests/k$i.yaml" "k$i"
  cat >"stages/k$i.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: k$i}
spec:
  tools: [kubectl]
  steps:
    - name: apply
      kubectl: {apply: [manifests/k$i.yaml]}
YAML
done
# Every helm upgrade takes 0.6 s, long enough for overlaps to show.
set_faults <<'YAML'
- {tool: helm, match: upgrade, action: slow, seconds: 0.6}
YAML

run_gw -i inv.yaml apply -j 4
expect_rc 0 "apply with a helm limit"

cat >analyse.py <<'PY'
import json, sys
helm, kube = [], []
for line in open(sys.argv[1]):
    c = json.loads(line)
    if c["tool"] == "helm" and "upgrade" in c["argv"]:
        helm.append((c["start"], c["end"]))
    if c["tool"] == "kubectl" and "apply" in c["argv"]:
        kube.append((c["start"], c["end"]))
assert len(helm) == 5, helm
assert len(kube) == 2, kube
# The most helm upgrades running at one moment (ends before starts at the same instant).
events = sorted([(s, 1) for s, e in helm] + [(e, -1) for s, e in helm], key=lambda x: (x[0], x[1]))
now = peak = 0
for _, d in events:
    now += d
    peak = max(peak, now)
assert peak == 2, "at most 2 helm at once, and 2 did run together: peak %d" % peak
# kubectl stages were not held back by the helm limit: both started before the third helm.
third = sorted(s for s, _ in helm)[2]
for s, _ in kube:
    assert s < third, "kubectl apply at %.3f waited for helm (third helm at %.3f)" % (s, third)
print("peak", peak)
PY
check "at most 2 helm at once, kubectl not held back" python3 analyse.py "$GROUNDWORK_SIM_STATE/calls.jsonl"

# Validation: an unknown tool (with a suggestion) and a non-positive limit, each located.
sim_inventory bad.yaml bad "  limits: {hlem: 2, kubectl: 0}"
run_gw -i bad.yaml validate
expect_rc 2 "bad limits are invalid input"
expect_in "$WORK/err" "bad.yaml:" "the error names the inventory file"
expect_in "$WORK/err" "limits: unknown tool 'hlem' (did you mean 'helm'?)" "unknown tool"
expect_in "$WORK/err" "limits: kubectl: at least 1 command at once (got 0)" "non-positive limit"
sim_inventory bad2.yaml bad2 "  limits: {helm: many}"
run_gw -i bad2.yaml plan
expect_rc 2 "a limit that is not a number is invalid input"
finish
