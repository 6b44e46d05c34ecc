#!/usr/bin/env bash
# One decision for plan and apply (issue 8): across a sequence of changes, the steps `plan --format
# json` says will run are exactly the steps the next `apply` runs. Covers a run-time stage `when`
# on a captured output, a secret rotation (changedBy secret:NAME), a spec change, `when` on a
# base64 value, --force STAGE/STEP checking, a timed-out `once` step, a relative run argv[0] and a
# dns gate type.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages/scripts
echo k3s >platform
export GW_TEST_TOKEN=first-token
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: decide}
spec:
  stages: [./stages]
  vars: {work: "$WORK", greeting: hello, b64: "YWJjZA=="}
  secrets:
    token: {env: GW_TEST_TOKEN}
YAML
# Each step appends "stage/step" to ran.log.
step() { printf '    - name: %s\n      run: {argv: [sh, -c, "echo %s/%s >> %s/ran.log%s"]%s}\n' "$2" "$1" "$2" "$WORK" "${3:-}" "${4:-}"; }
{ printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: pipe}\nspec:\n  steps:\n'
  step pipe kind "; cat $WORK/platform"
  printf '      capture: {name: platform}\n'; } >stages/pipe.yaml
for p in talos k3s; do
  { printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: %s}\nspec:\n  needs: [pipe]\n' "$p"
    printf '  when: "${stages.pipe.outputs.platform} == %s"\n  steps:\n' "$p"
    step "$p" go; } >"stages/$p.yaml"
done
{ printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: sec}\nspec:\n  steps:\n'
  step sec use "" ', env: {T: "${secrets.token}"}'
  step sec say "; echo \${vars.greeting}"; } >stages/sec.yaml
{ printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: b64}\nspec:\n  steps:\n'
  step b64 go; printf '      when: "${vars.b64} == YWJjZA=="\n'
  step b64 not; printf '      when: "${vars.b64} != YWJjZA=="\n'; } >stages/b64.yaml
cat >stages/scripts/hello.sh <<EOS
#!/bin/sh
echo rel/hello >> $WORK/ran.log
EOS
chmod +x stages/scripts/hello.sh
cat >stages/rel.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: rel}
spec:
  steps:
    - name: hello
      run: {argv: [./scripts/hello.sh]}
YAML

lines() { if [ -f ran.log ]; then wc -l <ran.log; else echo 0; fi; }
# predicted: the steps plan says will run, sorted, one per line ("stage/step"); stages and steps
# decided at run time are listed with a trailing '?'.
predicted() {
  "$GW" -i inv.yaml plan --format json "$@" | python3 -c '
import json, sys
plan = json.load(sys.stdin)
out = []
for s in plan["stages"]:
    for st in s["steps"]:
        if s["action"] in ("run", "decided at run time") and st["action"] in ("run", "decided at run time"):
            q = "?" if "run time" in s["action"] or "run time" in st["action"] else ""
            out.append(s["name"] + "/" + st["name"] + q)
print("\n".join(sorted(out)))'
}
# agree WHAT [APPLY ARGS…]: plan's prediction (run-time ones resolved by EXPECT_RUNTIME, a list of
# the '?' entries that will run) equals what apply then runs.
agree() {
  local what="$1"; shift
  local before; before=$(lines)
  predicted "$@" >pred.txt
  { grep -v '?$' pred.txt; for r in ${EXPECT_RUNTIME:-}; do echo "$r"; done; } | sed '/^$/d' | sort >want.txt
  run_gw -i inv.yaml apply "$@"
  expect_rc 0 "$what: apply"
  tail -n +"$((before + 1))" ran.log 2>/dev/null | sort >got.txt
  if diff -u want.txt got.txt >diff.txt; then pass; else
    fail "$what: plan and apply disagree"; sed 's/^/  /' diff.txt >&2; fi
}

EXPECT_RUNTIME="k3s/go" agree "first run"
check "first plan called the platform stages run-time decisions" grep -qx 'talos/go?' pred.txt
check "rel ran from the repo root (argv[0] beside the stage)" grep -qx rel/hello got.txt
check "b64: a value ending in == compares as a whole" grep -qx b64/go got.txt
check "b64: != on the same value is false" bash -c '! grep -qx b64/not got.txt'

agree "second run: nothing"
check "nothing was predicted" test ! -s want.txt
"$GW" -i inv.yaml plan --format json >plan2.json
check "talos is skipped now that the output is known" python3 -c '
import json; p = json.load(open("plan2.json"))
s = {x["name"]: x for x in p["stages"]}
assert s["talos"]["status"] == "skipped" and s["k3s"]["status"] == "done", s["talos"]'

export GW_TEST_TOKEN=rotated-token
agree "secret rotated"
check "only the step using the secret re-ran" test "$(cat got.txt)" = sec/use
"$GW" -i inv.yaml plan --format json >plan3.json
check "plan after the run: done" python3 -c '
import json; p = json.load(open("plan3.json"))
st = [s for s in p["stages"] if s["name"] == "sec"][0]["steps"]
assert all(x["status"] == "done" for x in st), st'
export GW_TEST_TOKEN=rotated-again
"$GW" -i inv.yaml plan --format json >plan4.json
check "plan says changed by the secret" python3 -c '
import json; p = json.load(open("plan4.json"))
st = {x["name"]: x for x in [s for s in p["stages"] if s["name"] == "sec"][0]["steps"]}
assert st["use"]["status"] == "changed" and st["use"]["changedBy"] == ["secret:token"], st["use"]
assert st["say"]["status"] == "done", st["say"]'
agree "secret rotated again"

sed -i 's/greeting: hello/greeting: bonjour/' inv.yaml
"$GW" -i inv.yaml plan --format json >plan5.json
check "a changed var shows as changedBy spec" python3 -c '
import json; p = json.load(open("plan5.json"))
st = {x["name"]: x for x in [s for s in p["stages"] if s["name"] == "sec"][0]["steps"]}
assert st["say"]["changedBy"] == ["spec"], st["say"]'
agree "spec changed"
check "only sec/say re-ran" test "$(cat got.txt)" = sec/say

echo talos >platform
EXPECT_RUNTIME="talos/go" agree "forced pipe: the platform stages wait for its output" --force pipe/kind
check "plan called the talos stage a run-time decision" grep -qx 'talos/go?' pred.txt
check "pipe re-ran" grep -qx pipe/kind got.txt
# The stage whens were decided with the new output during the run:
check "talos ran once its when became true" grep -qx talos/go got.txt
check "k3s did not run" bash -c '! grep -qx k3s/go got.txt'

run_gw -i inv.yaml apply --force pipe/knd
expect_rc 2 "--force with a step typo"
expect_in "$WORK/err" "stage 'pipe' has no step 'knd' (did you mean 'kind'?)" "--force typo named"
run_gw -i inv.yaml apply --force pip
expect_rc 2 "--force with a stage typo"
expect_in "$WORK/err" "unknown stage 'pip' (did you mean 'pipe'?)" "--force stage typo named"

# The same project from another folder: the relative argv[0] still resolves beside the stage.
# The state lives beside the inventory (SPEC §2), so another folder sees the same checkpoints.
(cd / && "$GW" -i "$WORK/inv.yaml" apply --force rel >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "apply from / with a relative argv[0]"
check "the state stayed beside the inventory" test ! -e /.groundwork
(cd / && "$GW" -i "$WORK/inv.yaml" plan --format json >"$WORK/plan-from-root.json")
check "plan from / sees the done checkpoints" python3 -c "
import json; p = json.load(open('$WORK/plan-from-root.json'))
run = [s['name'] + '/' + st['name'] for s in p['stages'] for st in s['steps'] if st['action'] == 'run']
assert run == [], run"

# A once step that times out is not retried, and the next apply needs --force.
mkdir -p once/stages
cat >once/inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: once}
spec: {stages: [./stages]}
YAML
cat >once/stages/one.yaml <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: one}
spec:
  steps:
    - name: migrate
      once: true
      timeout: 1s
      retry: {attempts: 3, delay: 100ms}
      run: {argv: [sh, -c, "echo migrate >> $WORK/once/ran.log; sleep 30"]}
YAML
run_gw -i once/inv.yaml apply
expect_rc 1 "a once step that times out fails the run"
check "the timed-out once step ran once, not three times" test "$(wc -l <once/ran.log)" -eq 1
"$GW" -i once/inv.yaml plan --format json >once/plan.json
check "plan says it needs --force" python3 -c '
import json; p = json.load(open("once/plan.json"))
st = p["stages"][0]["steps"][0]
assert st["action"] == "needs --force", st'
run_gw -i once/inv.yaml apply
expect_rc 1 "the next apply refuses to repeat it"
expect_in "$WORK/err" "--force one/migrate" "the refusal names --force"
check "still ran once" test "$(wc -l <once/ran.log)" -eq 1

# A dns gate type other than A or AAAA is a validation error.
cat >stages/dns.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: dns}
spec:
  gates:
    - {name: mx, dns: {server: 127.0.0.1, name: example.test, type: MX}}
YAML
run_gw -i inv.yaml validate
expect_rc 2 "dns type MX"
expect_in "$WORK/err" "stages/dns.yaml:6:" "the error is located"
expect_in "$WORK/err" "'type' must be one of A, AAAA, not 'MX'" "the error says what is allowed"
finish
