#!/usr/bin/env bash
# Drills and restores through the real binary (issue 10, SPEC §5): the needed stages first, then
# steps → verify → cleanup; reports (JSON, Markdown, JUnit), RTO/RPO and objectives, the trend,
# metrics, status; cleanup after a failed verify, a failed cleanup step and Ctrl-C; param and mode
# errors before anything is written; restore's --yes and its resume after kill -9.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages playbooks
export GW_DRILL_PW=sekrit-pass-42
echo "$GW_DRILL_PW" >expected-pw
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: dr}
spec:
  stages: [./stages]
  playbooks: [./playbooks]
  secrets:
    pw: {env: GW_DRILL_PW}
YAML
cat >stages/base.yaml <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: base}
spec:
  steps:
    - name: go
      run: {argv: [sh, -c, "echo base/go >> $WORK/ran.log"]}
YAML
# sw NAME: a shell test that fails when the switch file $WORK/NAME exists.
cat >playbooks/basic.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: basic}
spec:
  modes: [drill, restore]
  needs: [base]
  params:
    target: {required: true, description: what to restore}
    suffix: {default: "\${params.target}-drill"}
    password: {secret: pw}
  objectives: {rto: 15m}
  steps:
    - name: restore
      run:
        argv: [sh, -c, "echo steps/restore \${mode} \${params.suffix} >> $WORK/ran.log; test \"\$PW\" = \"\$(cat $WORK/expected-pw)\" && echo secret-ok >> $WORK/ran.log"]
        env: {PW: "\${params.password}"}
  verify:
    - name: check
      run: {argv: [sh, -c, "echo verify/check >> $WORK/ran.log; if [ -e $WORK/fail-verify ]; then echo 'rows: 0, expected 3'; exit 1; fi"]}
  cleanup:
    - name: one
      run: {argv: [sh, -c, "echo cleanup/one >> $WORK/ran.log; test ! -e $WORK/fail-cleanup"]}
    - name: two
      run: {argv: [sh, -c, "echo cleanup/two >> $WORK/ran.log"]}
YAML
cat >playbooks/slow.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: slow}
spec:
  modes: [drill]
  steps:
    - name: wait
      run: {argv: [sh, -c, "echo slow/wait >> $WORK/ran.log; exec sleep 60"]}
  cleanup:
    - name: tidy
      run: {argv: [sh, -c, "echo slow/tidy >> $WORK/ran.log"]}
YAML
cat >playbooks/resumable.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: resumable}
spec:
  modes: [restore]
  steps:
    - name: a
      run: {argv: [sh, -c, "echo res/a >> $WORK/ran.log"]}
    - name: b
      once: true
      run: {argv: [sh, -c, "echo res/b >> $WORK/ran.log"]}
    - name: c
      run: {argv: [sh, -c, "echo res/c >> $WORK/ran.log; test -e $WORK/go-on || exec sleep 60"]}
    - name: d
      run: {argv: [sh, -c, "echo res/d >> $WORK/ran.log"]}
YAML
cat >playbooks/timeout.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: timeout}
spec:
  modes: [drill]
  steps:
    - name: hang
      run: {argv: [sh, -c, "exec sleep 60"]}
      timeout: 1s
  cleanup:
    - name: tidy
      run: {argv: [sh, -c, "echo timeout/tidy >> $WORK/ran.log"]}
YAML
cat >playbooks/hardstop.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: hardstop}
spec:
  modes: [drill]
  steps:
    - name: wait
      run: {argv: [sh, -c, "echo hard/wait >> $WORK/ran.log; exec sleep 60"]}
  cleanup:
    - name: slow
      run: {argv: [sh, -c, "echo hard/slow >> $WORK/ran.log; exec sleep 60"]}
    - name: after
      run: {argv: [sh, -c, "echo hard/after >> $WORK/ran.log"]}
YAML
cat >playbooks/stamp.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: stamp}
spec:
  modes: [drill]
  steps:
    - name: newest
      run: {argv: [sh, -c, "test ! -e $WORK/no-stamp && date -u +%Y-%m-%dT%H:%M:%SZ"]}
      capture: {name: backupTime}
YAML
for p in rpo lenient; do
  enforce=true; [ $p = lenient ] && enforce=false
  cat >playbooks/$p.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: $p}
spec:
  modes: [drill]
  objectives: {rto: 1h, rpo: 1h, enforce: $enforce}
  steps:
    - name: newest
      run: {argv: [sh, -c, "date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ"]}
      capture: {name: backupTime}
YAML
done

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
report() { ls -t "$1"/"$2"-*.json 2>/dev/null | head -1; }

# ---- validate and plan ----
run_gw -i inv.yaml validate
expect_rc 0 "validate"
run_gw -i inv.yaml plan --playbook basic --param target=shop
expect_rc 0 "plan --playbook"
expect_in "$WORK/out" "basic:steps" "plan shows the steps phase"
expect_in "$WORK/out" "basic:cleanup" "plan of a drill shows cleanup"
expect_in "$WORK/out" "PW=<secret:pw>" "a secret param shows as its placeholder"
expect_not_in "$WORK/out" "sekrit-pass-42" "plan never shows the secret"
expect_in "$WORK/out" "shop-drill" "a default renders from another param"
run_gw -i inv.yaml plan --playbook basic --mode restore --param target=shop --format json
expect_rc 0 "plan --playbook --format json"
check "restore plan has no cleanup" python3 -c "
import json; p=json.load(open('$WORK/out')); names=[s['name'] for s in p['stages']]
assert names == ['base', 'basic:steps', 'basic:verify'], names"

# ---- usage errors: exit 2, nothing runs, no state ----
bad() {  # bad WHAT TEXT ARGS…
  local what="$1" text="$2"; shift 2
  rm -f ran.log
  run_gw -i inv.yaml --state-dir "$WORK/st-bad" "$@"
  expect_rc 2 "$what"
  expect_in "$WORK/err" "$text" "$what: message"
  check "$what: nothing ran" test ! -e ran.log
  check "$what: no state dir" test ! -e "$WORK/st-bad"
}
bad "missing required param" "needs --param target" drill basic
bad "unknown param" "has no param 'targt' (did you mean 'target'?)" drill basic --param target=x --param targt=y
bad "secret param on the command line" "never from the command line" drill basic --param target=x --param password=x
bad "malformed param" "expected NAME=VALUE" drill basic --param target
bad "undeclared mode" "does not declare mode 'restore'" restore slow --yes
bad "unknown playbook" "unknown playbook 'basik' (did you mean 'basic'?)" drill basik
bad "restore without --yes and no tty" "pass --yes" restore basic --param target=x </dev/null
bad "plan: unknown param" "has no param 'nope'" plan --playbook basic --param nope=1

# ---- a passing drill ----
rm -f ran.log
run_gw -i inv.yaml drill basic --param target=shop --metrics-file "$WORK/drill.prom"
expect_rc 0 "passing drill"
check "needed stage, steps, verify, cleanup in order" diff <(printf '%s\n' base/go "steps/restore drill shop-drill" secret-ok verify/check cleanup/one cleanup/two) ran.log
R=.groundwork/dr/reports
J=$(report $R basic)
check "json report written" test -n "$J"
B=${J%.json}
check "markdown report" test -s "$B.md"
check "junit report" test -s "$B.junit.xml"
check "report fields" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r['status']
assert r['mode'] == 'drill' and r['playbook'] == 'basic'
assert isinstance(r['rto']['measuredMs'], int) and r['rto']['measuredMs'] >= 0
assert r['rto']['objectiveMs'] == 900000 and r['rto']['met'] is True
assert r['params'] == {'target': 'shop', 'suffix': 'shop-drill', 'password': '<secret:pw>'}, r['params']
ph = [(s['phase'], s['name'], s['status']) for s in r['steps']]
assert ph == [('steps','restore','passed'), ('verify','check','passed'), ('cleanup','one','passed'), ('cleanup','two','passed')], ph
assert all(s['attempts'] == 1 and isinstance(s['durationMs'], int) for s in r['steps'])
assert 'rpo' not in r
assert len(r['trend']) == 1 and r['trend'][0]['status'] == 'passed'"
check "junit parses" python3 -c "
import xml.etree.ElementTree as ET; t=ET.parse('$B.junit.xml').getroot()
s=t.find('testsuite'); assert s.get('failures') == '0', s.attrib
assert len(s.findall('testcase')) == 5"
expect_in "$B.md" "| at | status | RTO | RPO |" "markdown trend table"
expect_in "$B.md" "<svg" "markdown chart"
check "no secret in reports" bash -c "! grep -r sekrit-pass-42 $R .groundwork/dr/journal.jsonl"
expect_in "$WORK/drill.prom" 'groundwork_drill_success{inventory="dr",playbook="basic"} 1' "metrics success"
expect_in "$WORK/drill.prom" 'groundwork_drill_rto_seconds{inventory="dr",playbook="basic"}' "metrics rto"
expect_in "$WORK/drill.prom" 'groundwork_drill_last_run_timestamp_seconds{inventory="dr",playbook="basic"}' "metrics timestamp"
expect_in "$WORK/drill.prom" '# TYPE groundwork_drill_success gauge' "metrics type"
check "no temp files left" bash -c "! ls $R $WORK | grep -q tmp-"

# ---- a drill runs again from its first step; status shows the last drill ----
rm -f ran.log
run_gw -i inv.yaml drill basic --param target=shop
expect_rc 0 "second drill"
expect_in ran.log "steps/restore drill" "a drill always starts from its first step"
expect_not_in ran.log "base/go" "a done needed stage is skipped"
run_gw -i inv.yaml status
expect_in "$WORK/out" "LAST DRILLS" "status lists drills"
expect_in "$WORK/out" "basic  drill  passed" "status shows the last drill"
run_gw -i inv.yaml status --format json
check "status json drills" python3 -c "
import json; d=json.load(open('$WORK/out'))['drills']
assert [x['playbook'] for x in d] == ['basic'], d
assert d[0]['status'] == 'passed' and isinstance(d[0]['rtoMs'], int) and d[0]['at']"

# ---- a failing verify: cleanup still runs, the drill fails ----
touch fail-verify; rm -f ran.log
run_gw -i inv.yaml drill basic --param target=shop --metrics-file "$WORK/drill.prom"
expect_rc 1 "failing verify"
rm -f fail-verify
expect_in ran.log "cleanup/one" "cleanup after a failed verify"
expect_in ran.log "cleanup/two" "every cleanup step after a failed verify"
J=$(report $R basic); B=${J%.json}
check "failed report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'failed'
v=[s for s in r['steps'] if s['phase']=='verify'][0]
assert v['status'] == 'failed' and 'exit 1' in v['message'], v
assert r['rto']['measuredMs'] is None and r['rto']['met'] is False"
check "junit has the failure" python3 -c "
import xml.etree.ElementTree as ET; t=ET.parse('$B.junit.xml').getroot()
f=t.findall('.//testcase/failure'); assert f, 'no failure'
assert any('exit 1' in (x.get('message') or '') for x in f)"
expect_in "$WORK/drill.prom" 'groundwork_drill_success{inventory="dr",playbook="basic"} 0' "metrics say failed"

# ---- a failing cleanup step does not stop the next one ----
touch fail-cleanup; rm -f ran.log
run_gw -i inv.yaml drill basic --param target=shop
expect_rc 1 "failing cleanup step fails the drill"
rm -f fail-cleanup
expect_in ran.log "cleanup/two" "the next cleanup step still runs"
J=$(report $R basic)
check "trend after four drills" python3 -c "
import json; r=json.load(open('$J')); t=r['trend']
assert [x['status'] for x in t] == ['passed', 'passed', 'failed', 'failed'], t
assert all(x['at'] for x in t) and isinstance(t[0]['rtoMs'], int) and t[2]['rtoMs'] is None"
expect_in "${J%.json}.md" "| failed |" "markdown trend rows"

# ---- Ctrl-C mid-step: cleanup runs, exit 130 ----
rm -f ran.log
start_gw -i inv.yaml drill slow
check "slow step started" wait_until 20 grep -qs slow/wait ran.log
kill -INT "$BG_PID"
wait_gw 30
expect_rc 130 "interrupted drill"
expect_in ran.log "slow/tidy" "cleanup after Ctrl-C"
J=$(report $R slow)
check "interrupted report" python3 -c "
import json; r=json.load(open('$J')); assert r['status'] == 'failed' and r['interrupted'] is True
assert [s['status'] for s in r['steps']] == ['interrupted', 'passed'], r['steps']"

# ---- a timed-out step: cleanup runs ----
rm -f ran.log
run_gw -i inv.yaml drill timeout
expect_rc 1 "a timed-out step fails the drill"
expect_in ran.log "timeout/tidy" "cleanup after a timeout"
expect_in "$(report $R timeout)" "timed out" "the report says it timed out"

# ---- a second Ctrl-C stops the cleanup too ----
rm -f ran.log
start_gw -i inv.yaml drill hardstop
check "hardstop step started" wait_until 20 grep -qs hard/wait ran.log
kill -INT "$BG_PID"
check "cleanup started after the first Ctrl-C" wait_until 20 grep -qs hard/slow ran.log
kill -INT "$BG_PID"
wait_gw 20
expect_rc 130 "interrupted twice"
expect_not_in ran.log "hard/after" "a second Ctrl-C stops the cleanup"

# ---- RPO from a captured backupTime; an enforced missed objective fails ----
run_gw -i inv.yaml drill rpo
expect_rc 1 "missed RPO objective"
J=$(report $R rpo)
check "rpo fields" python3 -c "
import json; r=json.load(open('$J')); p=r['rpo']
assert r['status'] == 'failed' and 'RPO objective missed' in r['reason'], r
assert 7100000 < p['measuredMs'] < 7400000 and p['objectiveMs'] == 3600000 and p['met'] is False, p
assert p['backupTime'].endswith('Z') and r['rto']['met'] is True"
run_gw -i inv.yaml drill lenient --metrics-file "$WORK/lenient.prom"
expect_rc 0 "missed objective with enforce: false"
expect_in "$WORK/err" "enforce is false" "says the objective was missed"
expect_in "$WORK/lenient.prom" 'groundwork_drill_rpo_seconds{inventory="dr",playbook="lenient"} 7' "metrics rpo"

run_gw -i inv.yaml drill stamp
expect_rc 0 "a drill capturing backupTime"
check "rpo measured" python3 -c "import json; assert json.load(open('$(report $R stamp)'))['rpo']['measuredMs'] < 60000"
touch no-stamp
run_gw -i inv.yaml drill stamp
expect_rc 1 "the capture fails"
check "no rpo from an earlier drill's backupTime" python3 -c "import json; assert 'rpo' not in json.load(open('$(report $R stamp)'))"

# ---- restore: journaled and resumable ----
rm -f ran.log go-on
start_gw -i inv.yaml restore resumable --yes
check "restore reached step c" wait_until 20 grep -qs res/c ran.log
kill -KILL "$BG_PID"
wait_gw 10
touch go-on
run_gw -i inv.yaml restore resumable --yes </dev/null
expect_rc 0 "resumed restore"
check "done steps not re-run, the interrupted one again" diff <(printf '%s\n' res/a res/b res/c res/c res/d) ran.log
J=$(report $R resumable)
check "restore report" python3 -c "
import json; r=json.load(open('$J')); assert r['mode'] == 'restore' and r['status'] == 'passed'
assert [s['status'] for s in r['steps']] == ['done', 'done', 'passed', 'passed'], r['steps']"
# A restore after a finished one is for a new disaster: plan and the run both start it from its
# first step (`once` steps included).
run_gw -i inv.yaml plan --playbook resumable --mode restore --format json
check "plan: after a finished restore every step runs again" python3 -c "
import json; p=json.load(open('$WORK/out'))
st=[s for s in p['stages'] if s['name'] == 'resumable:steps'][0]
assert all(x['action'] == 'run' for x in st['steps']), st['steps']"
rm -f ran.log
run_gw -i inv.yaml restore resumable --yes
expect_rc 0 "restore again"
check "a restore after a finished one starts from its first step" diff <(printf '%s\n' res/a res/b res/c res/d) ran.log
expect_in "$WORK/err" "finished: this one starts from its first step" "says it starts over"
# An unfinished restore resumes; --force PLAYBOOK:steps/STEP re-runs a done step of it.
rm -f ran.log go-on
start_gw -i inv.yaml restore resumable --yes
check "second restore reached step c" wait_until 20 grep -qs res/c ran.log
kill -KILL "$BG_PID"
wait_gw 10
touch go-on
rm -f ran.log
run_gw -i inv.yaml plan --playbook resumable --mode restore --format json
check "plan: the killed restore resumes at c" python3 -c "
import json; p=json.load(open('$WORK/out'))
st=[s for s in p['stages'] if s['name'] == 'resumable:steps'][0]
assert [x['action'] for x in st['steps']] == ['skip', 'skip', 'run', 'run'], st['steps']"
run_gw -i inv.yaml restore resumable --yes --force resumable:steps/a
expect_rc 0 "restore --force PLAYBOOK:steps/STEP"
check "the forced step and the unfinished ones ran" diff <(printf '%s\n' res/a res/c res/d) ran.log
run_gw -i inv.yaml --state-dir "$WORK/st-bad" restore resumable --yes --force resumable:steps/bb
expect_rc 2 "--force of an unknown playbook step"
expect_in "$WORK/err" "resumable:steps has no step 'bb' (did you mean 'b'?)" "unknown forced step named"

# ---- restore on a terminal shows the plan and asks ----
rm -f ran.log
printf 'n\n' | script -qec "$GW --no-color -i inv.yaml restore resumable --fresh" /dev/null >"$WORK/tty.out" 2>&1
RC=$?
expect_rc 2 "restore not confirmed on a terminal"
expect_in "$WORK/tty.out" "[y/N]" "restore asks on a terminal"
expect_in "$WORK/tty.out" "resumable:steps" "restore shows the plan first"
check "nothing ran when not confirmed" test ! -e ran.log
printf 'y\n' | script -qec "$GW --no-color -i inv.yaml restore resumable --fresh" /dev/null >"$WORK/tty.out" 2>&1
RC=$?
expect_rc 0 "restore confirmed on a terminal"
check "the confirmed restore ran" diff <(printf '%s\n' res/a res/b res/c res/d) ran.log

# ---- invalid playbooks: located errors ----
mkdir -p badbooks badrefs
cat >badbooks/bad.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: bad}
spec:
  params:
    pw2: {secret: pw, required: true}
  objectives: {rpo: soon, enforce: maybe}
YAML
cat >badrefs/bad.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: bad}
spec:
  params:
    pw: {secret: nope}
    token: {secret: pw}
  steps:
    - name: leak
      run: {argv: [echo, "\${params.token}"]}
YAML
sed 's|\./playbooks|./badbooks|' inv.yaml >inv-bad.yaml
run_gw -i inv-bad.yaml --state-dir "$WORK/st-bad" validate
expect_rc 2 "invalid playbook"
expect_in "$WORK/err" "bad.yaml:6:" "secret param with required: located"
expect_in "$WORK/err" "has no 'required' or 'default'" "secret param with required"
expect_in "$WORK/err" "bad.yaml:7:21: error: 'rpo': bad duration 'soon'" "objectives.rpo checked and located"
expect_in "$WORK/err" "'enforce' must be true or false" "objectives.enforce checked"
sed 's|\./playbooks|./badrefs|' inv.yaml >inv-bad.yaml
run_gw -i inv-bad.yaml --state-dir "$WORK/st-bad" validate
expect_rc 2 "invalid playbook references"
expect_not_in "$WORK/err" "'nope'" "a secret param's undefined secret is not a load error"
expect_in "$WORK/err" "is secret 'pw' and would reach a command line" "secret param on argv"
check "validate wrote no state" test ! -e "$WORK/st-bad"
# ...it is one when that playbook runs: exit 2 naming it, nothing written.
mkdir -p undefsecret
cat >undefsecret/undef.yaml <<YAML
apiVersion: groundwork/v1
kind: Playbook
metadata: {name: undef}
spec:
  params:
    pw: {secret: nope}
  steps:
    - name: s
      run: {argv: [sh, -c, "touch $WORK/undef-ran"], env: {PW: "\${params.pw}"}}
YAML
sed 's|\./playbooks|./undefsecret|' inv.yaml >inv-bad.yaml
run_gw -i inv-bad.yaml --state-dir "$WORK/st-bad" validate
expect_rc 0 "an undefined secret of a playbook not run is no error"
run_gw -i inv-bad.yaml --state-dir "$WORK/st-bad" drill undef
expect_rc 2 "drill of a playbook whose secret param's secret is undefined"
expect_in "$WORK/err" "param 'pw' of playbook 'undef' is secret 'nope', which inventory 'dr' does not define" "names the param and the secret"
check "nothing ran" test ! -e "$WORK/undef-ran"
check "nothing written" test ! -e "$WORK/st-bad"
run_gw -i inv-bad.yaml --state-dir "$WORK/st-bad" plan --playbook undef
expect_rc 2 "plan --playbook of it"

finish
