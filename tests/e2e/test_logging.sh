#!/usr/bin/env bash
# Logging through spdlog (issue 8): -v explains decisions, every run keeps a debug log with them
# whatever the console shows, --log-format json is JSON for every verb (diagnostics included),
# --quiet keeps warnings off stderr.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
cat >inv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: logs}
spec:
  stages: [./stages]
YAML
cat >stages/a.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: a}
spec:
  steps:
    - {name: one, run: {argv: ["true"]}}
    - {name: two, run: {argv: ["true"]}, when: "false"}
YAML
run_gw -i inv.yaml apply
expect_rc 0 "first apply"
expect_not_in "$WORK/err" "decided" "no decisions without -v"
DEBUG=$(ls .groundwork/logs/runs/*/debug.log)
expect_in "$DEBUG" "decided a one run: never ran" "the run's debug log explains the decision"
expect_in "$DEBUG" "decided a two skip (when): when is false" "and the skip"
run_gw -i inv.yaml -v apply
expect_rc 0 "second apply, -v"
expect_in "$WORK/err" "decided a/one: skip: done under the same key" "-v says why a step is skipped"
expect_in "$WORK/err" "decided a: skip: done" "and why the stage is"

check_json() {  # every stderr line is a JSON object with time, level and event
  python3 - "$WORK/err" "$1" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no output"
events = []
for l in lines:
    j = json.loads(l)
    assert "time" in j and "level" in j and "event" in j, l
    events.append(j["event"])
assert sys.argv[2] in events, (sys.argv[2], events)
PY
}
run_gw -i inv.yaml --log-format json -v apply
expect_rc 0 "apply, JSON log"
check "apply: JSON lines with decisions" check_json decided
cat >stages/bad.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: bad}
spec:
  need: [a]
YAML
run_gw -i inv.yaml --log-format json validate
expect_rc 2 "validate, bad input, JSON log"
check "validate: diagnostics as JSON" check_json diagnostic
check "the diagnostic is located" python3 -c "
import json
d = [json.loads(l) for l in open('$WORK/err') if '\"diagnostic\"' in l][0]
assert d['file'].endswith('bad.yaml') and d['line'] == 5 and 'need' in d['message'], d"
rm stages/bad.yaml
run_gw -i inv.yaml --log-format json status --format yaml
expect_rc 2 "status with a bad format"
check "status: the usage error as JSON" bash -c "python3 -c 'import json,sys; [json.loads(l) for l in open(\"$WORK/err\") if l.strip()]'"
run_gw -i inv.yaml --log-format json reset nosuch
expect_rc 2 "reset of an unknown stage"
check "reset: the error as JSON" check_json error
run_gw -i inv.yaml --quiet apply --force a/one
expect_rc 0 "quiet apply"
expect_not_in "$WORK/err" "applying" "quiet: no info lines"
finish
