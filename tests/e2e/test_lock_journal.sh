#!/usr/bin/env bash
# The run lock (a second run exits 4 and names the holder; a dead holder leaves no stale lock) and
# the journal's torn-tail recovery.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml locky
mkdir -p stages/manifests
configmap stages/manifests/hold.yaml hold
configmap stages/manifests/other.yaml other
cat >stages/hold.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: hold}
spec:
  steps:
    - name: apply
      kubectl: {apply: [manifests/hold.yaml]}
YAML
cat >stages/other.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: other}
spec:
  steps:
    - name: apply
      kubectl: {apply: [manifests/other.yaml]}
    - name: echo
      run: {argv: [/bin/echo, hello]}
YAML
JOURNAL="$WORK/st/locky/journal.jsonl"
hold_started() { grep -q '"step_start"' "$JOURNAL" 2>/dev/null && grep -q '"hold"' "$JOURNAL"; }

# --- One apply holds the lock (its step hangs); a second one exits 4 naming the holder.
new_sim
set_faults <<'YAML'
- {tool: kubectl, match: "hold.yaml", action: hang}
YAML
start_gw -i inv.yaml --state-dir st apply hold
HOLDER=$BG_PID
if wait_until 15 hold_started; then pass; else fail "the holding run did not start its step"; fi
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply other
expect_rc 4 "second apply while locked"
expect_in "$WORK/err" "pid $HOLDER" "the holder's pid is named"
expect_in "$WORK/err" "lock" "the message says lock"
check "the locked-out run called nothing" test "$(sim_calls)" -eq "$N"
check "the locked-out run wrote no journal record" bash -c "! grep -q '\"other\"' '$JOURNAL'"
run_gw -i inv.yaml --state-dir st reset --all
expect_rc 4 "reset while locked"
run_gw -i inv.yaml --state-dir st status --format json
expect_rc 0 "status is read-only and works while locked"
# The holder stops cleanly on SIGTERM.
kill -TERM "$HOLDER"
wait_gw 20
expect_rc 130 "the holder, terminated"
check "no hanging fake left" kill_leftovers "$WORK/stages/manifests/hold.yaml"

# Once the holder is gone, the lock is free.
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after the holder ended"

# --- A holder that dies without cleaning up (SIGKILL) leaves no stale lock behind.
new_sim sim-kill
set_faults <<'YAML'
- {tool: kubectl, match: "hold.yaml", action: hang}
YAML
rm -rf st-kill
JOURNAL="$WORK/st-kill/locky/journal.jsonl"
start_gw -i inv.yaml --state-dir st-kill apply hold
if wait_until 15 hold_started; then pass; else fail "the run to be killed did not start"; fi
{ kill -KILL "$BG_PID"; wait "$BG_PID"; } 2>/dev/null
# The orphaned fake keeps hanging (nothing can stop it after a SIGKILL of its parent): end it.
kill_leftovers "$WORK/stages/manifests/hold.yaml"
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
run_gw -i inv.yaml --state-dir st-kill apply
expect_rc 0 "apply after the holder was SIGKILLed"
run_gw -i inv.yaml --state-dir st-kill status --format json
check "the killed run's step ran again and is done" python3 -c "
import json; j = {s['name']: s['status'] for s in json.load(open('$WORK/out'))['stages']}
assert j == {'hold': 'done', 'other': 'done'}, j"

# --- Torn journal: a partial last record (a crash mid-write) is dropped with a warning.
JOURNAL="$WORK/st/locky/journal.jsonl"
printf '{"t":"step_start","stage":"other","step":"apply","specKey":"TORN-not-hex' >>"$JOURNAL"
run_gw -i inv.yaml --state-dir st status --format json
expect_rc 0 "status with a torn journal"
expect_in "$WORK/err" "torn" "status warns about the torn record"
check "status ignores the torn record" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['other']['status'] == 'done' and j['other']['steps'][0]['status'] == 'done', j['other']"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply with a torn journal"
expect_in "$WORK/err" "torn" "apply warns about the torn record"
check "nothing re-ran because of the torn record" test "$(sim_calls)" -eq "$N"
check "journal ends with a newline" bash -c "[ \"\$(tail -c 1 '$JOURNAL' | od -An -c | tr -d ' ')\" = '\\n' ]"
check "journal has no partial line" python3 -c "
import json
text = open('$JOURNAL').read()
assert text.endswith('\n')
for l in text.splitlines(): json.loads(l)
assert 'TORN-not-hex' not in text"
run_gw -i inv.yaml --state-dir st status
expect_rc 0 "status after the repair"
expect_not_in "$WORK/err" "torn" "no warning once repaired"

# The repaired journal keeps working: a forced step appends well-formed records.
run_gw -i inv.yaml --state-dir st apply --force other/echo
expect_rc 0 "apply after the repair"
check "journal still all JSON, newline-terminated" python3 -c "
import json
text = open('$JOURNAL').read()
assert text.endswith('\n')
recs = [json.loads(l) for l in text.splitlines()]
assert any(r.get('t') == 'step_end' and r.get('step') == 'echo' for r in recs[-3:]), recs[-3:]"

# A torn record right after a run that stopped mid-step (its start written, the end torn):
# the step counts as interrupted, so it runs again.
printf '{"t":"step_start","stage":"other","step":"apply","specKey":"x","key":"x"}\n{"t":"step_end","stage":"oth' >>"$JOURNAL"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after a torn step_end"
expect_in "$WORK/err" "torn" "torn step_end warned"
check "the step whose end was torn ran again" bash -c "tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '/manifests/other.yaml'"

finish
