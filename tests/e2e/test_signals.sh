#!/usr/bin/env bash
# Signals and closed pipes (issue 7): SIGHUP is an interrupt like SIGTERM (exit 130, interrupted
# record, children stopped) unless groundwork was started with it ignored (nohup); groundwork never
# dies of SIGPIPE — neither when its stdout is a closed pipe (`plan | head -1`) nor when a step
# does not read its `stdin:`.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages bin
ln -s "$(command -v sleep)" bin/sleeper
SLEEPER="$WORK/bin/sleeper"
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: signals}
spec:
  stages: [./stages]
  vars: {work: "$WORK"}
YAML
cat >stages/hang.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: hang}
spec:
  steps:
    - name: wait
      run: {argv: [/bin/sh, -c, '${vars.work}/bin/sleeper 1000 & echo $! > ${vars.work}/hang.gc; ${vars.work}/bin/sleeper 1001']}
YAML
# 1 MiB on stdin for programs that close it at once: the write meets a pipe nobody reads.
python3 - <<'PY'
big = "x" * (1 << 20)
for name, code in (("deaf", 0), ("deaffail", 3)):
    open("stages/%s.yaml" % name, "w").write(f"""apiVersion: groundwork/v1
kind: Stage
metadata: {{name: {name}}}
spec:
  steps:
    - name: ignore-stdin
      run:
        argv: [/bin/sh, -c, 'exec 0<&-; sleep 0.2; echo read nothing; exit {code}']
        stdin: "{big}"
      capture: {{name: said}}
""")
PY
# Enough stages that `plan` writes far more than a pipe holds.
for i in $(seq 1 300); do
  printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: many%03d, description: a stage with a long description to make the plan long enough to fill a pipe}\nspec:\n  steps:\n    - name: s\n      run: {argv: [/bin/echo, %s]}\n' \
    "$i" "$(printf 'arg%.0s ' $(seq 1 20) | tr ' ' ,)" >"stages/many$i.yaml"
done

# --- SIGHUP mid-step: 130, interrupted, nothing left.
start_gw -i inv.yaml --state-dir st apply hang
if wait_until 15 test -s hang.gc; then pass; else fail "the hanging step did not start"; fi
GC=$(cat hang.gc)
kill -HUP "$BG_PID"
wait_gw 20
expect_rc 130 "SIGHUP exits 130"
cp "$WORK/bg.err" "$WORK/err"
expect_in "$WORK/err" "interrupted" "SIGHUP: the summary says interrupted"
check "SIGHUP: the grandchild $GC is gone" gone "$GC"
check "SIGHUP: no process left" kill_leftovers "$SLEEPER"
run_gw -i inv.yaml --state-dir st status --format json
check "SIGHUP: status says the step was interrupted" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['hang']['steps'][0]['status'] == 'interrupted', j['hang']"

# --- Started with SIGHUP ignored (nohup): it stays ignored; SIGTERM still interrupts.
rm -f hang.gc
( trap '' HUP; exec "$GW" --no-color -i inv.yaml --state-dir st apply hang >"$WORK/bg.out" 2>"$WORK/bg.err" ) &
BG_PID=$!
if wait_until 15 test -s hang.gc; then pass; else fail "the hanging step did not start (nohup)"; fi
kill -HUP "$BG_PID"
sleep 0.5
check "nohup: SIGHUP is ignored" alive "$BG_PID"
kill -TERM "$BG_PID"
wait_gw 20
expect_rc 130 "nohup: SIGTERM still interrupts"
check "nohup: no process left" kill_leftovers "$SLEEPER"

# --- stdout is a pipe whose reader is gone.
"$GW" --no-color -i inv.yaml --state-dir st plan 2>"$WORK/err" | head -1 >"$WORK/out"
RC=${PIPESTATUS[0]}
expect_rc 0 "plan | head -1"
check "plan | head -1 printed its first line" test -s "$WORK/out"
expect_not_in "$WORK/err" "error" "plan | head -1: no error"
"$GW" --no-color -i inv.yaml --state-dir st plan --format json 2>"$WORK/err" | head -c 100 >/dev/null
RC=${PIPESTATUS[0]}
expect_rc 0 "plan --format json | head -c 100"
# Any other failed write is an error.
if [ -w /dev/full ]; then
  "$GW" --no-color -i inv.yaml --state-dir st plan >/dev/full 2>"$WORK/err"
  RC=$?
  expect_rc 1 "plan >/dev/full"
  expect_in "$WORK/err" "cannot write to standard output" "plan >/dev/full says why"
fi

# --- A step that does not read its stdin: its own result, and groundwork lives.
run_gw -i inv.yaml --state-dir st apply deaf
expect_rc 0 "a step that ignores its stdin and exits 0"
run_gw -i inv.yaml --state-dir st status --format json
check "the stdin-ignoring step is done" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['deaf']['steps'][0]['status'] == 'done', j['deaf']"
check "its captured output is right" python3 -c "
import json
outs = {}
for l in open('$WORK/st/signals/journal.jsonl'):
    outs.update(json.loads(l).get('outputs', {}))
assert outs.get('said') == 'read nothing', outs"
run_gw -i inv.yaml --state-dir st apply deaffail
expect_rc 1 "a step that ignores its stdin and exits 3"
expect_in "$WORK/err" "exit 3" "its failure is its exit code"

check "no process of the test is left" kill_leftovers "$SLEEPER"
finish
