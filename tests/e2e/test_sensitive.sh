#!/usr/bin/env bash
# `sensitive: true` protects what a step produces (issue 7, item 5): its captured output is a
# secret from then on — never in the journal, plan, progress lines, summaries or other steps' logs;
# refused on argv at validate; a failing sensitive step's output is not printed; one- and
# two-character secrets are redacted too.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
export GW_SHORT=q7
# The values live in files, so that they appear in no argv the plan may show.
echo "pw=Zq8-s3cr3t-value" >pw.txt
echo "leak-me-4711" >leak.txt
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: sens}
spec:
  stages: [./stages]
  secrets:
    short: {env: GW_SHORT}
YAML
cat >stages/gen.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: gen}
spec:
  steps:
    - name: password
      sensitive: true
      run: {argv: [sh, -c, "echo generated; cat ../pw.txt"]}
      capture: {name: pw, regex: "pw=(\\S+)"}
YAML
cat >stages/use.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: use}
spec:
  needs: [gen]
  steps:
    - name: show
      run:
        argv: [sh, -c, 'echo "got:$PW short:$S"']
        env: {PW: "${stages.gen.outputs.pw}", S: "${secrets.short}"}
YAML
run_gw -i inv.yaml validate
expect_rc 0 "valid: the sensitive output reaches the step through env"
run_gw -i inv.yaml plan --format json
expect_rc 0 "plan"
expect_not_in "$WORK/out" "Zq8-s3cr3t" "plan JSON"
run_gw -i inv.yaml -v apply
expect_rc 0 "apply"
expect_not_in "$WORK/err" "Zq8-s3cr3t" "progress lines and summary"
check "journal never holds the value" bash -c "! grep -rq Zq8-s3cr3t .groundwork/sens/journal.jsonl"
LOG=$(ls .groundwork/sens/runs/*/logs/use.show.log)
expect_in "$LOG" "got:*** short:***" "the value and a two-character secret are redacted in the user's log"
expect_not_in "$LOG" "Zq8-s3cr3t" "the user's log"
check "no log anywhere holds the value" bash -c "! grep -rq Zq8-s3cr3t .groundwork"
run_gw -i inv.yaml plan
expect_rc 0 "plan after the run"
expect_not_in "$WORK/out" "Zq8-s3cr3t" "plan text"
expect_in "$WORK/out" "<secret:stages.gen.outputs.pw>" "plan shows the output as a secret"

# The value is not kept, so the next run captures it again; the user is unchanged (same value).
run_gw -i inv.yaml apply
expect_rc 0 "second apply"
check "the generator ran again (its output is never kept)" test "$(ls .groundwork/sens/runs/*/logs/gen.password.log | wc -l)" -eq 2
check "the user did not (same fingerprint)" test "$(ls .groundwork/sens/runs/*/logs/use.show.log | wc -l)" -eq 1

# On argv it is refused at validate, like any secret.
cat >stages/argv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: argv}
spec:
  needs: [gen]
  steps:
    - name: leak
      run: {argv: [echo, "${stages.gen.outputs.pw}"]}
YAML
run_gw -i inv.yaml validate
expect_rc 2 "a sensitive output on argv"
expect_in "$WORK/err" "stages/argv.yaml:8:" "located"
expect_in "$WORK/err" "is captured by sensitive step 'gen/password', so it is a secret" "explained"
rm stages/argv.yaml

# A failing sensitive step: nothing of its output in the summary or the JSON log.
cat >stages/bad.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: bad}
spec:
  steps:
    - name: fails
      sensitive: true
      run: {argv: [sh, -c, "cat ../leak.txt; exit 3"]}
YAML
run_gw -i inv.yaml apply bad
expect_rc 1 "the sensitive step fails"
expect_in "$WORK/err" "exit 3" "the failure is reported"
expect_not_in "$WORK/err" "leak-me-4711" "text summary"
run_gw -i inv.yaml --log-format json apply bad
expect_rc 1 "again, JSON log"
expect_not_in "$WORK/err" "leak-me-4711" "JSON log"

# A FIFO as a secret file is refused at once, never waited on.
mkfifo fifo-secret
cat >inv-fifo.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: fifo}
spec:
  stages: [./fifo-stages]
  secrets:
    pw: {file: ./fifo-secret}
YAML
mkdir -p fifo-stages
cat >fifo-stages/s.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: s}
spec:
  steps:
    - {name: use, run: {argv: ["true"], env: {P: "${secrets.pw}"}}}
YAML
RC=0; timeout 20 "$GW" --no-color -i inv-fifo.yaml apply >"$WORK/out" 2>"$WORK/err" || RC=$?
expect_rc 3 "a FIFO secret file (preflight)"
expect_in "$WORK/err" "secret 'pw':" "the error names the secret"
expect_in "$WORK/err" "FIFO" "and what is wrong"
finish
