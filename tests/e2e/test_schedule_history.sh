#!/usr/bin/env bash
# Scheduling from measured durations (SPEC §4): after a run, `plan` shows each stage's expected
# duration and the critical path with its total (text and JSON: expectedMs, criticalPathMs); the
# next run starts the stage with the longest measured remaining path first (not the longest by
# step count, as the first run did), and its progress lines carry an estimate ("eta M:SS").
source "$(dirname "$0")/lib.sh"
cd "$WORK"

mkdir -p stages
cat >inv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: sched}
spec:
  stages: [./stages]
YAML
stage() {  # NAME NEEDS SECONDS
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1}
spec:
  needs: $2
  steps:
    - {name: run, run: {argv: [/bin/sleep, "$3"]}}
YAML
}
# By step count b -> c (2) outweighs a (1); measured, a (1.2 s) outweighs b -> c (0.2 s).
stage a "[]" 1.2
stage b "[]" 0.1
stage c "[b]" 0.1

first_started() { grep -oE '\] [abc]/run' "$WORK/err" | head -n1 | cut -c3; }

run_gw -i inv.yaml --state-dir st plan --format json
expect_rc 0 "plan before any run"
check "no expectedMs before any run" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert all("expectedMs" not in s for s in p["stages"]), p
assert "criticalPathMs" not in p and p["criticalPath"] == ["b", "c"], p
' "$WORK/out"

run_gw -i inv.yaml --state-dir st apply -j 1
expect_rc 0 "first apply"
check "first run: b first (longest path by step count)" [ "$(first_started)" = b ]
expect_not_in "$WORK/err" " eta " "no estimate without history"

run_gw -i inv.yaml --state-dir st plan --fresh --format json
expect_rc 0 "plan after a run"
check "expectedMs per stage and the critical path's total" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
e = {s["name"]: s["expectedMs"] for s in p["stages"]}
assert 1150 <= e["a"] < 3000 and 50 <= e["b"] < 1000 and 50 <= e["c"] < 1000, e
assert p["criticalPath"] == ["a"], p["criticalPath"]
assert p["criticalPathMs"] == e["a"], p
' "$WORK/out"
run_gw -i inv.yaml --state-dir st plan --fresh
expect_in "$WORK/out" "critical path: a  (expected 1" "text plan: critical path with its total"
expect_in "$WORK/out" "a  [pending]  expected 1" "text plan: a stage's expected duration"

run_gw -i inv.yaml --state-dir st apply -j 1 --fresh
expect_rc 0 "second apply"
check "second run: a first (longest measured path)" [ "$(first_started)" = a ]
expect_in "$WORK/err" " eta 0:0" "progress lines carry an estimate"
finish
