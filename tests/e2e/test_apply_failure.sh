#!/usr/bin/env bash
# apply when a step fails: exit 1, what needs it never starts, the summary names the failed step
# with its last output and log; --keep-going runs the independent branches; retries.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml failing
mkdir -p stages/manifests
# stage NAME NEEDS [STEP-YAML]: a stage that applies manifests/NAME.yaml (plus extra steps).
stage() {
  configmap "stages/manifests/$1.yaml" "$1"
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1}
spec:
  needs: $2
  tools: [kubectl]
  steps:
    - name: apply
      kubectl: {apply: [manifests/$1.yaml]}
${3:-}
YAML
}
# bad fails; after-bad and after-after need it (so bad has the longest path and starts first);
# indep -> indep2 is an independent branch.
stage bad "[]" "    - name: boom
      kubectl: {apply: [manifests/boom.yaml]}"
configmap stages/manifests/boom.yaml boom
stage after-bad "[bad]"
stage after-after "[after-bad]"
stage indep "[]"
stage indep2 "[indep]"

# stages_called: the stages that made at least one call to the fakes, space-separated, sorted.
stages_called() {
  python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" <<'PY'
import json, os, sys
seen = set()
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        for a in json.loads(line)["argv"]:
            if a.endswith(".yaml") and "/manifests/" in a:
                seen.add(os.path.basename(a)[:-5])
print(" ".join(sorted(seen)))
PY
}
boom_fault() { set_faults <<'YAML'
- {tool: kubectl, match: "boom.yaml", action: fail, exit: 1, stdout: "sim-out-line-1\nsim-out-line-2", stderr: "Error: boom-from-sim"}
YAML
}

# --- -j 1, no --keep-going: bad starts first (longest path), fails; nothing else starts.
new_sim sim-stop
boom_fault
run_gw -i inv.yaml --state-dir st-stop apply -j 1
expect_rc 1 "failing step"
check "-j 1: only bad ran (calls: $(stages_called))" test "$(stages_called)" = "bad boom"
expect_in "$WORK/err" "FAILED bad/boom: exit 1" "summary names the failed step"
expect_in "$WORK/err" "last output:" "summary shows the last output"
expect_in "$WORK/err" "Error: boom-from-sim" "summary shows the failing output"
expect_in "$WORK/err" "sim-out-line-2" "summary shows stdout lines too"
check "summary: after-bad blocked" grep -qE "^after-bad +blocked.*needs bad" "$WORK/err"
check "summary: after-after blocked" grep -qE "^after-after +blocked" "$WORK/err"
check "summary: indep not started" grep -qE "^indep +not started" "$WORK/err"
check "summary: indep2 not started" grep -qE "^indep2 +not started" "$WORK/err"
check "summary ends with failed" grep -qE "^failed after" "$WORK/err"
LOG=$(sed -n 's/^  log: //p' "$WORK/err" | head -1)
check "the log path is shown" test -n "$LOG"
check "the log file exists ($LOG)" test -f "$LOG"
check "the log is under the state dir" bash -c "case '$LOG' in '$WORK/st-stop/failing/'*) true;; *) false;; esac"
expect_in "$LOG" "Error: boom-from-sim" "the log has the failing output"
run_gw -i inv.yaml --state-dir st-stop status --format json
expect_rc 0 "status after failure"
check "status: bad failed, its step failed, the others pending" python3 - "$WORK/out" <<'PY'
import json, sys
j = {s["name"]: s for s in json.load(open(sys.argv[1]))["stages"]}
assert j["bad"]["status"] == "failed", j["bad"]
steps = {st["name"]: st["status"] for st in j["bad"]["steps"]}
assert steps == {"apply": "done", "boom": "failed"}, steps
for s in ["after-bad", "after-after", "indep", "indep2"]:
    assert j[s]["status"] == "pending", j[s]
PY
run_gw -i inv.yaml --state-dir st-stop plan --format json
check "plan shows bad failed" python3 -c "
import json; p = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert p['bad']['status'] == 'failed', p['bad']"

# --- -j 4, no --keep-going: indep is already running when bad fails; it finishes, but indep2
# (ready only after that) does not start.
new_sim sim-running
set_faults <<'YAML'
- {tool: kubectl, match: "boom.yaml", action: fail, stderr: "Error: boom-from-sim"}
- {tool: kubectl, match: "indep.yaml", action: slow, seconds: 3}
YAML
run_gw -i inv.yaml --state-dir st-running apply -j 4
expect_rc 1 "failure while another stage runs"
check "running stage finished, nothing new started (calls: $(stages_called))" \
  test "$(stages_called)" = "bad boom indep"
check "summary: indep passed" grep -qE "^indep +passed" "$WORK/err"
check "summary: indep2 not started" grep -qE "^indep2 +not started" "$WORK/err"

# --- --keep-going: the independent branch runs to completion; what needs bad still never starts.
new_sim sim-keep
boom_fault
run_gw -i inv.yaml --state-dir st-keep apply -j 1 --keep-going
expect_rc 1 "--keep-going still fails"
check "--keep-going: indep branch ran, after-bad did not (calls: $(stages_called))" \
  test "$(stages_called)" = "bad boom indep indep2"
check "summary: indep2 passed" grep -qE "^indep2 +passed" "$WORK/err"
check "summary: after-bad blocked" grep -qE "^after-bad +blocked" "$WORK/err"
run_gw -i inv.yaml --state-dir st-keep status --format json
check "status: indep and indep2 done" python3 -c "
import json; j = {s['name']: s['status'] for s in json.load(open('$WORK/out'))['stages']}
assert j['indep'] == 'done' and j['indep2'] == 'done' and j['bad'] == 'failed', j"

# Re-running after fixing the cause resumes: bad/apply is not repeated, boom and the rest run.
rm "$GROUNDWORK_SIM_STATE/faults.yaml"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st-keep apply
expect_rc 0 "re-run after the fix"
check "re-run: bad's first step not repeated" bash -c "! tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '/manifests/bad.yaml'"
check "re-run: boom ran" bash -c "tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '/manifests/boom.yaml'"
check "re-run: after-after ran" bash -c "tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '/manifests/after-after.yaml'"

# --- retry: two failures, then success, within 3 attempts.
mkdir -p retry/stages/manifests
sim_inventory retry/inv.yaml retrying
configmap retry/stages/manifests/flaky.yaml flaky
cat >retry/stages/flaky.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: flaky}
spec:
  steps:
    - name: apply
      kubectl: {apply: [manifests/flaky.yaml]}
      retry: {attempts: 3, delay: 100ms}
YAML
new_sim sim-retry
set_faults <<'YAML'
- {tool: kubectl, match: "flaky.yaml", first: 2, action: fail, stderr: "Error: flaky-not-yet"}
YAML
run_gw -i retry/inv.yaml --state-dir st-retry apply
expect_rc 0 "retry passes on the third attempt"
check "three apply calls: fail, fail, pass" python3 -c "
import json; ex = [json.loads(l)['exit'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')]
assert ex == [1, 1, 0], ex"
expect_in "$WORK/err" "attempt 1 failed" "retry warning"
check "journal records 3 attempts" python3 -c "
import json
ends = [r for r in map(json.loads, open('$WORK/st-retry/retrying/journal.jsonl')) if r.get('t') == 'step_end']
assert ends and ends[-1]['attempts'] == 3 and ends[-1]['status'] == 'passed', ends"

# Not enough attempts: fails after 2, exit 1.
sed -i 's/attempts: 3/attempts: 2/' retry/stages/flaky.yaml
new_sim sim-retry2
set_faults <<'YAML'
- {tool: kubectl, match: "flaky.yaml", first: 2, action: fail, stderr: "Error: flaky-not-yet"}
YAML
run_gw -i retry/inv.yaml --state-dir st-retry2 apply
expect_rc 1 "retry exhausted"
check "two apply calls" test "$(sim_calls)" -eq 2
expect_in "$WORK/err" "FAILED flaky/apply: failed after 2 attempts, last: exit 1" "exhausted retry named with its attempts"
expect_in "$WORK/err" "Error: flaky-not-yet" "exhausted retry output"
# --quiet (-q): the failure and the final line, no table.
new_sim sim-retry3
set_faults <<'YAML'
- {tool: kubectl, match: "flaky.yaml", first: 2, action: fail, stderr: "Error: flaky-not-yet"}
YAML
run_gw -q -i retry/inv.yaml --state-dir st-retry3 apply
expect_rc 1 "quiet failed run"
expect_in "$WORK/err" "FAILED flaky/apply: failed after 2 attempts" "quiet shows the failure"
expect_not_in "$WORK/err" "STATUS" "quiet prints no table"
check "quiet ends with the final line" bash -c "tail -n 1 '$WORK/err' | grep -q '^failed after '"

# --- A network gate runs no command, yet the log its failure report points to exists and says
# what each poll saw.
mkdir -p tcp/stages
sim_inventory tcp/inv.yaml tcpgate
PORT=$(free_port)
cat >tcp/stages/t.yaml <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: t}
spec:
  gates:
    - {name: port, tcp: {host: 127.0.0.1, port: $PORT}, interval: 500ms, timeout: 2s}
YAML
run_gw -i tcp/inv.yaml --state-dir st-tcp apply
expect_rc 1 "tcp gate to a closed port fails"
TCP_LOG=$(sed -n 's/^  log: //p' "$WORK/err" | head -1)
check "the failed tcp gate's log exists" test -s "$TCP_LOG"
expect_in "$TCP_LOG" "poll 1: " "the gate log has each poll"

# --- A stage gate that never passes says what it saw last.
mkdir -p gate/stages/manifests
sim_inventory gate/inv.yaml gating
configmap gate/stages/manifests/g.yaml g color=blue
cat >gate/stages/g.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: g}
spec:
  steps:
    - name: apply
      kubectl: {apply: [manifests/g.yaml]}
  gates:
    - name: green
      jsonpath: {resource: configmap/g, namespace: default, path: '{.data.color}', equals: green}
      interval: 200ms
      timeout: 700ms
YAML
cat >gate/stages/exit3.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: exit3}
spec:
  steps:
    - name: exits-3
      gate: {command: {argv: [/bin/sh, -c, "echo three; exit 3"], expectExit: 3}, interval: 100ms}
      timeout: 1s
YAML
new_sim sim-gate
run_gw -i gate/inv.yaml --state-dir st-gate apply g
expect_rc 1 "failing gate"
expect_in "$WORK/err" "FAILED g/gate green" "failed gate named"
expect_in "$WORK/err" "blue" "failed gate says what it saw"

run_gw -i gate/inv.yaml --state-dir st-gate status --format json
check "status: stage with failed gate is failed" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['g']['status'] == 'failed', j['g']"

# A command gate that expects a non-zero exit passes when the program exits so.
run_gw -i gate/inv.yaml --state-dir st-gate apply exit3
expect_rc 0 "command gate with expectExit: 3"

finish
