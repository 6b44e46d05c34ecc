#!/usr/bin/env bash
# Interrupts and timeouts: SIGINT stops the running step's whole process group and exits 130; the
# journal says interrupted; an interrupted `once` step is not repeated without --force; a step
# timeout kills the group; a child that ignores SIGTERM is killed after the grace period, or at
# once on a second Ctrl-C.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml intr
mkdir -p stages/manifests
configmap stages/manifests/job.yaml job
configmap stages/manifests/slowjob.yaml slowjob
configmap stages/manifests/later.yaml later
cat >stages/job.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: job}
spec:
  steps:
    - name: run-once
      once: true
      kubectl: {apply: [manifests/job.yaml]}
YAML
cat >stages/later.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: later}
spec:
  needs: [job]
  steps:
    - name: apply
      kubectl: {apply: [manifests/later.yaml]}
YAML
cat >stages/slow.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: slow}
spec:
  steps:
    - name: apply
      kubectl: {apply: [manifests/slowjob.yaml]}
      timeout: 1s
YAML
cat >stages/stubborn.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: stubborn}
spec:
  steps:
    # Ignores SIGTERM and SIGINT (and so does its child): only SIGKILL ends it.
    - name: ignore-term
      run:
        argv: [/bin/sh, -c, 'trap "" TERM INT; sleep 1000 & echo $! > ${vars.work}/stubborn.pid; wait; wait']
      timeout: 1m
YAML
cat >stages/poll.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: poll}
spec:
  steps:
    - name: wait-forever
      gate: {exists: {resource: configmap/never-there, namespace: default}, interval: 200ms}
      timeout: 1m
YAML
cat >stages/retrying.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: retrying}
spec:
  steps:
    - name: flaky
      run: {argv: [/bin/sh, -c, 'echo tried >> ${vars.work}/tries; exit 1']}
      retry: {attempts: 5, delay: 30s}
YAML

grandchild_pid() { cat "$GROUNDWORK_SIM_STATE/grandchild.pid" 2>/dev/null; }
grandchild_started() { [ -s "$GROUNDWORK_SIM_STATE/grandchild.pid" ]; }

# --- SIGINT while a `once` step hangs (its fake spawned a grandchild in its process group).
new_sim sim-int
set_faults <<'YAML'
- {tool: kubectl, match: "job.yaml", action: spawn-and-hang}
YAML
start_gw -i inv.yaml --state-dir st apply job later
if wait_until 15 grandchild_started; then pass; else fail "the hanging step did not start"; fi
GC=$(grandchild_pid)
check "grandchild $GC is running before the interrupt" alive "$GC"
T0=$(date +%s%N)
kill -INT "$BG_PID"
wait_gw 20
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 130 "SIGINT exits 130"; cat "$WORK/bg.err" >"$WORK/err"
check "stopped promptly after SIGINT (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 5000
check "grandchild $GC is gone" gone "$GC"
check "no process of the step is left" kill_leftovers "$WORK/stages/manifests/job.yaml"
expect_in "$WORK/err" "interrupted" "summary says interrupted"
check "later never started" bash -c "! grep -q later.yaml '$GROUNDWORK_SIM_STATE/calls.jsonl' 2>/dev/null"
check "the fake recorded its end by SIGTERM" python3 -c "
import json; c = [json.loads(l) for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')]
assert len(c) == 1 and c[0]['exit'] in (-15, -2, 143, 130), c"

run_gw -i inv.yaml --state-dir st status --format json
expect_rc 0 "status after the interrupt"
check "status: job and its step interrupted" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['job']['status'] == 'interrupted', j['job']
assert j['job']['steps'][0]['status'] == 'interrupted', j['job']['steps']
assert j['later']['status'] == 'pending', j['later']"

# The next apply does not repeat the interrupted `once` step blindly.
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply job later
expect_rc 1 "interrupted once step is not re-run"
expect_in "$WORK/err" "--force job/run-once" "message tells to use --force"
check "the once step made no call" test "$(sim_calls)" -eq "$N"

# --force STAGE/STEP runs it (and the rest goes on).
run_gw -i inv.yaml --state-dir st apply --force job/run-once job later
expect_rc 0 "--force job/run-once"
check "the once step ran once, later ran" bash -c "
  tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -c '/manifests/job.yaml' | grep -qx 1 &&
  tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '/manifests/later.yaml'"
run_gw -i inv.yaml --state-dir st status --format json
check "status: job done after --force" python3 -c "
import json; j = {s['name']: s['status'] for s in json.load(open('$WORK/out'))['stages']}
assert j['job'] == 'done' and j['later'] == 'done', j"

# --- SIGTERM is an interrupt too.
new_sim sim-term
set_faults <<'YAML'
- {tool: kubectl, match: "later.yaml", action: spawn-and-hang}
YAML
start_gw -i inv.yaml --state-dir st-term apply later
if wait_until 15 grandchild_started; then pass; else fail "the hanging step did not start (SIGTERM)"; fi
GC=$(grandchild_pid)
kill -TERM "$BG_PID"
wait_gw 20
expect_rc 130 "SIGTERM exits 130"
check "grandchild $GC is gone after SIGTERM" gone "$GC"
check "no process left after SIGTERM" kill_leftovers "$WORK/stages/manifests/later.yaml"

# --- A step timeout stops the whole process group: "timed out", exit 1.
new_sim sim-timeout
set_faults <<'YAML'
- {tool: kubectl, match: "slowjob.yaml", action: spawn-and-hang}
YAML
T0=$(date +%s%N)
run_gw -i inv.yaml --state-dir st-timeout apply slow
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 1 "timed-out step"
expect_in "$WORK/err" "timed out" "timeout reported"
expect_in "$WORK/err" "FAILED slow/apply" "timed-out step named"
check "timeout honoured (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -ge 900 -a "$ELAPSED_MS" -lt 6000
GC=$(grandchild_pid)
check "a grandchild was spawned" test -n "$GC"
check "grandchild $GC is gone after the timeout" gone "$GC"
check "no process left after the timeout" kill_leftovers "$WORK/stages/manifests/slowjob.yaml"
run_gw -i inv.yaml --state-dir st-timeout status --format json
check "status: timed-out step failed" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['slow']['steps'][0]['status'] == 'failed', j['slow']"

# --- A child that ignores SIGTERM: killed after the grace period on timeout.
new_sim sim-stubborn
sed -i 's/timeout: .*/timeout: 300ms/' stages/stubborn.yaml
rm -f stubborn.pid
T0=$(date +%s%N)
run_gw -i inv.yaml --state-dir st-stubborn apply stubborn
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 1 "stubborn step times out"
expect_in "$WORK/err" "timed out" "stubborn timeout reported"
check "stubborn step ended within the grace period (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 12000
SP=$(cat stubborn.pid 2>/dev/null)
check "the stubborn child was started" test -n "$SP"
check "stubborn child $SP is gone" gone "$SP"
check "no stubborn shell left" kill_leftovers "$WORK/stubborn.pid"

# --- ... and at once on a second Ctrl-C.
new_sim sim-stubborn2
sed -i 's/timeout: .*/timeout: 1m/' stages/stubborn.yaml
rm -f stubborn.pid
start_gw -i inv.yaml --state-dir st-stubborn2 apply stubborn
if wait_until 15 test -s stubborn.pid; then pass; else fail "the stubborn step did not start"; fi
SP=$(cat stubborn.pid 2>/dev/null)
kill -INT "$BG_PID"
sleep 0.3
check "the first Ctrl-C leaves the SIGTERM-ignoring child for the grace period" alive "$SP"
T0=$(date +%s%N)
kill -INT "$BG_PID"
wait_gw 20
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 130 "second Ctrl-C exits 130"
check "second Ctrl-C kills at once (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 3000
check "stubborn child $SP is gone after the second Ctrl-C" gone "$SP"
check "no stubborn shell left after the second Ctrl-C" kill_leftovers "$WORK/stubborn.pid"

# --- SIGINT while a gate polls, and while a retry waits: both stop at once.
new_sim sim-poll
start_gw -i inv.yaml --state-dir st-poll apply poll
poll_started() { grep -q '"wait-forever"' "$WORK/st-poll/intr/journal.jsonl" 2>/dev/null; }
if wait_until 15 poll_started; then pass; else fail "the polling gate did not start"; fi
sleep 0.3
T0=$(date +%s%N)
kill -INT "$BG_PID"
wait_gw 20
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 130 "SIGINT while a gate polls"
check "gate polling stopped promptly (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 3000
run_gw -i inv.yaml --state-dir st-poll status --format json
check "status: polling gate step interrupted" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['poll']['steps'][0]['status'] == 'interrupted', j['poll']"

rm -f tries
start_gw -i inv.yaml --state-dir st-retry apply retrying
if wait_until 15 test -s tries; then pass; else fail "the retrying step did not start"; fi
sleep 0.3
T0=$(date +%s%N)
kill -INT "$BG_PID"
wait_gw 20
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 130 "SIGINT during a retry delay"
check "retry delay cut short (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 3000
check "no further attempt after the interrupt" test "$(wc -l <tries)" -eq 1

# --- SIGINT while a secret's command runs (before any step): 130, and the command is stopped.
mkdir -p sec/stages
cat >sec/inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: intr-secret}
spec:
  stages: [./stages]
  secrets:
    slow: {command: [/bin/sh, -c, 'echo \$\$ > $WORK/secret-cmd.pid; exec sleep 30']}
YAML
cat >sec/stages/s.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: s}
spec:
  steps:
    - name: use
      run: {argv: [/bin/true], env: {X: "${secrets.slow}"}}
YAML
start_gw -i sec/inv.yaml --state-dir st-secret apply
if wait_until 15 test -s secret-cmd.pid; then pass; else fail "the secret command did not start"; fi
SP=$(cat secret-cmd.pid)
kill -INT "$BG_PID"
wait_gw 20
expect_rc 130 "SIGINT while resolving secrets"
check "the secret command $SP is gone" gone "$SP"

finish
