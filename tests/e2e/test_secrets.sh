#!/usr/bin/env bash
# Secrets from env, file and command reach commands only through the environment, stdin and
# rendered .tmpl files (0600, deleted after the step); they never appear in the state folder
# (journal, logs, captured outputs), groundwork's own output, the fakes' argv, or plan output.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

ENV_VALUE=env-secret-value-789
FILE_VALUE=file-secret-value-456
CMD_VALUE=cmd-secret-value-123
VALUES=("$ENV_VALUE" "$FILE_VALUE" "$CMD_VALUE")
export GW_E2E_ENV_SECRET=$ENV_VALUE
printf '%s\n' "$FILE_VALUE" >secret.txt
chmod 600 secret.txt

sim_inventory inv.yaml secrety '  secrets:
    env_secret: {env: GW_E2E_ENV_SECRET}
    file_secret: {file: ./secret.txt}
    cmd_secret: {command: [/bin/sh, -c, "echo ran >>'"$WORK"'/cmd-ran; echo cmd-secret-value-123"]}'
mkdir -p stages/manifests
cat >stages/manifests/creds.tmpl.yaml <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
type: Opaque
stringData:
  env: "${secrets.env_secret}"
  file: "${secrets.file_secret}"
  cmd: "${secrets.cmd_secret}"
  inventory: "${inventory.name}"
YAML
cat >stages/sec.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: sec}
spec:
  tools: [kubectl]
  steps:
    - name: manifest
      kubectl: {apply: [manifests/creds.tmpl.yaml]}
    - name: echo
      run:
        argv: [/bin/sh, -c, 'echo "out:$SEC_ENV"; echo "err:$SEC_FILE" >&2; echo "cmd:$SEC_CMD"']
        env: {SEC_ENV: "${secrets.env_secret}", SEC_FILE: "${secrets.file_secret}", SEC_CMD: "${secrets.cmd_secret}"}
      capture: {name: leaked}
    - name: stdin
      run:
        argv: [/bin/cat]
        stdin: "from-stdin:${secrets.cmd_secret}"
      capture: {name: fromstdin, regex: 'from-stdin:(.*)'}
  gates:
    - name: stored
      jsonpath: {resource: secret/creds, namespace: default, path: '{.metadata.name}', equals: creds}
      interval: 200ms
      timeout: 5s
YAML
cat >stages/uses.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: uses}
spec:
  needs: [sec]
  steps:
    - name: show
      run: {argv: [/bin/echo, "captured=${stages.sec.outputs.leaked}", "stdin=${stages.sec.outputs.fromstdin}"]}
YAML
cat >stages/leakfail.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: leakfail}
spec:
  steps:
    - name: spill
      run:
        argv: [/bin/sh, -c, 'echo "about to fail with $S1 and $S2"; echo "stderr $S3" >&2; exit 3']
        env: {S1: "${secrets.env_secret}", S2: "${secrets.file_secret}", S3: "${secrets.cmd_secret}"}
YAML
# Output that reaches groundwork in pieces: a secret that arrives just as a line grows past 64 KiB, and a
# secret written to stdout in two writes with a stderr line in between. The program prints the
# value whole on one stream each time; the log must not let it be put back together.
cat >stages/split.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: split}
spec:
  steps:
    - name: long-line
      run:
        argv: [/bin/sh, -c, 'printf "%065530d" 0; sleep 0.2; printf "%s" "$${S%-value*}"; sleep 0.2; printf "%s\n" "-value$${S#*-value}"']
        env: {S: "${secrets.env_secret}"}
    - name: interleaved
      run:
        argv: [/bin/sh, -c, 'printf "%s" "$${S%-value*}"; sleep 0.2; echo STDERR-MARK >&2; sleep 0.2; printf "%s\n" "-value$${S#*-value}"']
        env: {S: "${secrets.env_secret}"}
YAML

# no_secret_in WHAT PATH…: none of the three values in these files (recursively).
no_secret_in() {
  local what="$1" v hits; shift
  for v in "${VALUES[@]}"; do
    hits=$(grep -rlF -- "$v" "$@" 2>/dev/null)
    if [ -n "$hits" ]; then fail "$what: secret '$v' found in: $hits"; else pass; fi
  done
}

mkdir -p tmp
export TMPDIR="$WORK/tmp"
new_sim
# The apply of the rendered manifest is slowed so its file can be looked at while the step runs.
set_faults <<'YAML'
- {tool: kubectl, match: "creds.tmpl.yaml", action: slow, seconds: 1}
YAML
start_gw -v -i inv.yaml --state-dir st apply sec uses
# Rendered files go to the run's own folder in the state dir, never $TMPDIR (test_secret_files.sh).
rendered() { compgen -G "$WORK/st/secrety/runs/*/secrets/*/*creds.tmpl.yaml" >/dev/null; }
if wait_until 15 rendered; then
  F=$(compgen -G "$WORK/st/secrety/runs/*/secrets/*/*creds.tmpl.yaml" | head -1)
  check "rendered file is mode 0600 ($(stat -c %a "$F" 2>/dev/null))" test "$(stat -c %a "$F" 2>/dev/null)" = 600
  check "its folder is private ($(stat -c %a "$(dirname "$F")" 2>/dev/null))" test "$(stat -c %a "$(dirname "$F")" 2>/dev/null)" = 700
else
  fail "no rendered .tmpl file seen in the run's folder while the step ran"
fi
wait_gw 30
cp "$WORK/bg.out" "$WORK/out"; cp "$WORK/bg.err" "$WORK/err"
expect_rc 0 "apply with secrets"
check "summary ok" grep -q "^ok after" "$WORK/err"

# The cluster got the real values: the rendered file carried them...
check "the Secret in the cluster holds the env value" python3 - "$GROUNDWORK_SIM_STATE/state.json" "${VALUES[@]}" <<'PY'
import json, sys
state = json.dumps(json.load(open(sys.argv[1])))
for v in sys.argv[2:]:
    assert v in state, "%s not in the simulated cluster" % v
PY
# ...and it was deleted after the step.
APPLIED=$(python3 -c "
import json
for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl'):
    for a in json.loads(l)['argv']:
        if a.endswith('creds.tmpl.yaml'): print(a)" | head -1)
check "the rendered file was passed to kubectl ($APPLIED)" bash -c "case '$APPLIED' in '$WORK/st/secrety/runs/'*) true;; *) false;; esac"
check "the rendered file is deleted" test ! -e "$APPLIED"
check "its private folder is deleted" test ! -e "$(dirname "$APPLIED")"
check "nothing left in TMPDIR" test -z "$(ls -A "$WORK/tmp")"

# Nowhere in the state folder, groundwork's output, or the fakes' argv.
no_secret_in "state folder" "$WORK/st"
no_secret_in "groundwork stdout/stderr" "$WORK/out" "$WORK/err"
no_secret_in "calls.jsonl" "$GROUNDWORK_SIM_STATE/calls.jsonl"
LOG_ECHO=$(compgen -G "$WORK/st/secrety/runs/*/logs/sec.echo.log" | head -1)
check "the echo step has a log" test -f "$LOG_ECHO"
expect_in "$LOG_ECHO" "out:***" "stdout redacted in the log"
expect_in "$LOG_ECHO" "err:***" "stderr redacted in the log"
expect_in "$LOG_ECHO" "cmd:***" "command secret redacted in the log"
check "captured outputs are redacted in the journal" python3 - "$WORK/st/secrety/journal.jsonl" <<'PY'
import json, sys
outs = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    outs.update(r.get("outputs", {}))
assert outs.get("leaked") == "out:***\ncmd:***", outs
assert outs.get("fromstdin") == "***", outs
PY
LOG_SHOW=$(compgen -G "$WORK/st/secrety/runs/*/logs/uses.show.log" | head -1)
expect_in "$LOG_SHOW" "captured=out:***" "a later step sees the redacted capture"
expect_in "$LOG_SHOW" "stdin=***" "stdin capture redacted"

# A second run with the same secrets runs nothing (fingerprints, not values, in the keys)...
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply sec uses
expect_rc 0 "second apply with secrets"
check "second apply: nothing ran" test "$(sim_calls)" -eq "$N"
# ...and a changed secret value re-runs the steps that use it.
export GW_E2E_ENV_SECRET=env-secret-value-790
VALUES+=("env-secret-value-790")
run_gw -i inv.yaml --state-dir st apply sec uses
expect_rc 0 "apply after a secret changed"
check "changed secret: the manifest was applied again" bash -c "tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q creds.tmpl.yaml"
no_secret_in "state folder after the change" "$WORK/st"
no_secret_in "output after the change" "$WORK/out" "$WORK/err"

# Only apply reads secrets: validate, plan, status and reset never run the secret's command.
RAN=$(wc -l <cmd-ran)
check "apply ran the secret command once per run ($RAN runs so far)" test "$RAN" -eq 3
run_gw -i inv.yaml --state-dir st validate
expect_rc 0 "validate with secrets"
# plan, text and json: placeholders only.
run_gw -i inv.yaml --state-dir st plan
expect_rc 0 "plan text"
expect_in "$WORK/out" "<secret:env_secret>" "plan shows the env secret placeholder"
expect_in "$WORK/out" "<secret:file_secret>" "plan shows the file secret placeholder"
expect_in "$WORK/out" "<secret:cmd_secret>" "plan shows the command secret placeholder"
no_secret_in "plan text" "$WORK/out" "$WORK/err"
run_gw -i inv.yaml --state-dir st plan --format json
expect_rc 0 "plan json"
no_secret_in "plan json" "$WORK/out" "$WORK/err"
run_gw -i inv.yaml --state-dir st status --format json
no_secret_in "status" "$WORK/out" "$WORK/err"
check "validate, plan and status did not run the secret command" test "$(wc -l <cmd-ran)" -eq "$RAN"

# A failing step that prints secrets: the console summary's last output is redacted too.
for fmt in text json; do
  run_gw -v --log-format "$fmt" -i inv.yaml --state-dir st apply leakfail
  expect_rc 1 "failing step with secrets ($fmt)"
  [ "$fmt" = text ] && expect_in "$WORK/err" "about to fail with *** and ***" "summary output redacted"
  [ "$fmt" = text ] && expect_in "$WORK/err" "stderr ***" "summary stderr redacted"
  no_secret_in "failing step output ($fmt)" "$WORK/out" "$WORK/err"
done
no_secret_in "state folder after the failure" "$WORK/st"

# Secrets that reach groundwork in pieces (see stages/split.yaml).
run_gw -i inv.yaml --state-dir st apply split
expect_rc 0 "apply split"
for step in long-line interleaved; do
  LOG=$(ls -t "$WORK"/st/secrety/runs/*/logs/split.$step.log | head -1)
  check "split secret ($step) cannot be reassembled from its log" python3 - "$LOG" "$GW_E2E_ENV_SECRET" <<'PY'
import sys
text = open(sys.argv[1]).read()
joined = text.replace("\n", "").replace("STDERR-MARK", "")
assert sys.argv[2] not in joined, "the log has the secret in pieces:\n" + text[-200:]
PY
done
check "the rendered-file temp folder is empty at the end" test -z "$(ls -A "$WORK/tmp")"

# Secrets that cannot be read are found early and all at once: validate warns where each is used,
# doctor and apply's preflight fail (exit 3) listing every one, and nothing runs.
mkdir -p "$WORK/early/stages"
sim_inventory "$WORK/early/inv.yaml" early '  secrets:
    one: {env: GW_E2E_UNSET_ONE}
    two: {file: ./no-such-secret-file}'
cat >"$WORK/early/stages/early.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: early}
spec:
  steps:
    - name: first
      run: {argv: [/bin/sh, -c, 'touch ran-first'], env: {A: "${secrets.one}"}}
    - name: second
      run: {argv: [/bin/sh, -c, 'touch ran-second'], env: {A: "${secrets.one}", B: "${secrets.two}"}}
YAML
cd "$WORK/early"
unset GW_E2E_UNSET_ONE
run_gw -i inv.yaml --state-dir st validate
expect_rc 0 "validate with unreadable secrets"
expect_in "$WORK/err" "stages/early.yaml:6:7: secret 'one': environment variable GW_E2E_UNSET_ONE is not set (used here and by 1 more steps)" "validate warns where the env secret is used"
expect_in "$WORK/err" "stages/early.yaml:8:7: secret 'two': " "validate warns about the file secret"
run_gw -i inv.yaml --state-dir st doctor
expect_rc 3 "doctor fails on unreadable secrets"
expect_in "$WORK/out" "secret one" "doctor names secret one"
expect_in "$WORK/out" "secret two" "doctor names secret two"
run_gw -i inv.yaml --state-dir st apply
expect_rc 3 "apply's preflight fails on unreadable secrets"
expect_in "$WORK/err" "2 secrets cannot be read" "apply lists them all at once"
expect_in "$WORK/err" "GW_E2E_UNSET_ONE" "apply names the env var"
expect_in "$WORK/err" "no-such-secret-file" "apply names the file"
check "nothing ran" test ! -e ran-first
cd "$WORK"

# A secret whose value is an ordinary word ("True") must not blind a gate: the judge sees the
# real output, and only what it reports is redacted. (`^…$` also shows that expectOutput leaves
# the trailing newline out, as `$(…)` does.)
mkdir -p "$WORK/word/stages"
sim_inventory "$WORK/word/inv.yaml" wordy '  secrets:
    word: {env: GW_E2E_WORD_SECRET}'
cat >"$WORK/word/stages/word.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: word}
spec:
  steps:
    - name: uses-it
      run: {argv: [/bin/sh, -c, 'test -n "$W"'], env: {W: "${secrets.word}"}}
  gates:
    - {name: judged, command: {argv: [/bin/echo, "Ready=True"], expectOutput: "^Ready=True$"}, timeout: 5s}
YAML
cat >"$WORK/word/stages/word-fails.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: word-fails}
spec:
  steps:
    - name: uses-it
      run: {argv: [/bin/sh, -c, 'test -n "$W"'], env: {W: "${secrets.word}"}}
  gates:
    - {name: seen, command: {argv: [/bin/echo, "Ready=True"], expectOutput: "^Ready=False"}, interval: 1s, timeout: 2s}
YAML
cd "$WORK/word"
GW_E2E_WORD_SECRET=True run_gw -i inv.yaml --state-dir st apply word
expect_rc 0 "a gate whose output contains a secret's value passes"
GW_E2E_WORD_SECRET=True run_gw -i inv.yaml --state-dir st apply word-fails
expect_rc 1 "a failing gate"
expect_in "$WORK/err" "output does not match /^Ready=False/: Ready=***" "what the gate saw is redacted"
cd "$WORK"

# --- A secret of a few characters is masked wherever those characters appear: a warning says so,
# without the value; four characters and more give none.
mkdir -p "$WORK/short/stages" && cd "$WORK/short"
sim_inventory inv.yaml shorty '  secrets:
    pin: {env: GW_E2E_PIN}'
cat >stages/pin.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: pin}
spec:
  steps:
    - name: uses-it
      run: {argv: [/bin/sh, -c, 'test -n "$P"; echo exit-zero'], env: {P: "${secrets.pin}"}}
YAML
GW_E2E_PIN=xz9 run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "a 3-character secret"
expect_in "$WORK/err" "secret 'pin' is only 3 characters long" "a short secret is warned about"
expect_not_in "$WORK/err" "xz9" "the warning does not show the value"
GW_E2E_PIN=xz98 run_gw -i inv.yaml --state-dir st apply --force pin
expect_rc 0 "a 4-character secret"
expect_not_in "$WORK/err" "characters long" "no warning from four characters on"
cd "$WORK"

finish
