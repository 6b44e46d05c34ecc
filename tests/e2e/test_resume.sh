#!/usr/bin/env bash
# Checkpoints: a second apply runs nothing; an edited input re-runs just the steps it feeds;
# --force STAGE/STEP, --fresh and reset; plan shows done / changed.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

sim_inventory inv.yaml resume
mkdir -p stages/manifests
cat >stages/manifests/one.tmpl.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: one, namespace: default}
data: {color: blue, inventory: "${inventory.name}"}
YAML
configmap stages/manifests/one-other.yaml one-other
configmap stages/manifests/two.yaml two
cat >stages/one.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: one}
spec:
  steps:
    - name: cm
      kubectl: {apply: [manifests/one.tmpl.yaml]}
    - name: other
      kubectl: {apply: [manifests/one-other.yaml]}
  gates:
    - {name: cm, exists: {resource: configmap/one, namespace: default}, interval: 200ms, timeout: 5s}
YAML
cat >stages/two.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: two}
spec:
  needs: [one]
  steps:
    - name: cm
      kubectl: {apply: [manifests/two.yaml]}
    - name: touch
      run: {argv: [kubectl, --kubeconfig, "${vars.kubeconfig}", --context, "${vars.context}",
                   annotate, configmap/two, -n, default, touched=yes, --overwrite]}
  gates:
    - {name: touched, jsonpath: {resource: configmap/two, namespace: default, path: '{.metadata.annotations.touched}', equals: "yes"}, interval: 200ms, timeout: 5s}
YAML

# mutations_since N: the mutating calls after the first N, as "what" words, sorted, space-separated:
# one.tmpl / one-other / two for applies, annotate for the run step.
mutations_since() {
  sim_calls_since "$1" | python3 -c '
import json, os, re, sys
out = []
for line in sys.stdin:
    argv = json.loads(line)["argv"]
    if "apply" in argv:  # rendered .tmpl files are applied from the secrets/ folder of the run as N-name
        out += [re.sub(r"^\d+-", "", os.path.basename(a)[:-5]) if "/secrets/" in a else os.path.basename(a)[:-5]
                for a in argv if a.endswith(".yaml")]
    elif argv and any(w in argv for w in ("annotate", "label", "delete", "patch", "create")):
        out.append("annotate" if "annotate" in argv else "other:" + " ".join(argv))
print(" ".join(sorted(out)))'
}
# plan_status: "stage=status stage/step=status …" from plan --format json.
plan_status() {
  run_gw -i inv.yaml --state-dir st plan --format json
  python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(" ".join(["%s=%s" % (s["name"], s["status"]) for s in p["stages"]] +
               ["%s/%s=%s" % (s["name"], st["name"], st["status"]) for s in p["stages"] for st in s["steps"]]))' "$WORK/out"
}

new_sim
check "plan before anything: all pending" test "$(plan_status)" = \
  "one=pending two=pending one/cm=pending one/other=pending two/cm=pending two/touch=pending"

# First run: everything.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "first apply"
check "first apply: all mutations ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate one-other one.tmpl two"
check "plan after the first run: all done" test "$(plan_status)" = \
  "one=done two=done one/cm=done one/other=done two/cm=done two/touch=done"

# Second run: nothing at all is called; the summary says done.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "second apply"
check "second apply: no call at all ($(sim_calls_since "$N" | wc -l) calls)" test "$(sim_calls)" -eq "$N"
check "summary: one done" grep -qE "^one +done" "$WORK/err"
check "summary: two done" grep -qE "^two +done" "$WORK/err"

# Edit the .tmpl manifest: only one/cm changes and runs again.
sed -i 's/color: blue/color: green/' stages/manifests/one.tmpl.yaml
check "plan after the edit: one/cm changed" test "$(plan_status)" = \
  "one=changed two=done one/cm=changed one/other=done two/cm=done two/touch=done"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after the edit"
check "after the edit: only one.tmpl applied ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "one.tmpl"
check "the cluster has the new value" test "$(sim_kubectl get configmap one -n default -o 'jsonpath={.data.color}')" = green
check "plan after re-apply: all done" test "$(plan_status)" = \
  "one=done two=done one/cm=done one/other=done two/cm=done two/touch=done"

# --force STAGE/STEP: exactly that step.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --force two/touch
expect_rc 0 "--force two/touch"
check "--force two/touch: only the annotate ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate"

# --force STAGE: every step of that stage.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --force one
expect_rc 0 "--force one"
check "--force one: one's steps only ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "one-other one.tmpl"

# --force of an unknown stage is a usage error.
run_gw -i inv.yaml --state-dir st apply --force nope/x
expect_rc 2 "--force unknown stage"

# --fresh: everything again.
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --fresh
expect_rc 0 "--fresh"
check "--fresh: every mutation ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate one-other one.tmpl two"

# reset STAGE: that stage runs again, nothing else.
run_gw -i inv.yaml --state-dir st reset two
expect_rc 0 "reset two"
run_gw -i inv.yaml --state-dir st status --format json
check "status after reset: two pending, one done" python3 -c "
import json; j = {s['name']: s for s in json.load(open('$WORK/out'))['stages']}
assert j['two']['status'] == 'pending' and all(st['status'] == 'pending' for st in j['two']['steps']), j['two']
assert j['one']['status'] == 'done', j['one']"
check "plan after reset: two pending" test "$(plan_status)" = \
  "one=done two=pending one/cm=done one/other=done two/cm=pending two/touch=pending"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after reset two"
check "after reset two: two's mutations only ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate two"

# reset STAGE/STEP: that step only.
run_gw -i inv.yaml --state-dir st reset one/other
expect_rc 0 "reset one/other"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after reset one/other"
check "after reset one/other: that step only ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "one-other"

# reset of an unknown step is a usage error and forgets nothing.
run_gw -i inv.yaml --state-dir st reset one/nope
expect_rc 2 "reset unknown step"
# reset --all: everything runs again.
run_gw -i inv.yaml --state-dir st reset --all
expect_rc 0 "reset --all"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after reset --all"
check "after reset --all: every mutation ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate one-other one.tmpl two"

# --only STAGE: just that stage, when its needs are done; else a usage error that runs nothing.
run_gw -i inv.yaml --state-dir st reset two
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply --only two
expect_rc 0 "--only two"
check "--only two: two's mutations only ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate two"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st-only apply --only two
expect_rc 2 "--only two with one not done"
expect_in "$WORK/err" "needs 'one'" "--only names the missing need"
check "--only refused: nothing ran" test "$(sim_calls)" -eq "$N"
# `--only one two` takes one value: two would be a target --only ignores; refused, named.
run_gw -i inv.yaml --state-dir st-only2 apply --only one two
expect_rc 2 "--only with a target after it"
expect_in "$WORK/err" "write --only one --only two" "says how to write it"
check "nothing ran, no state" bash -c "test $(sim_calls) -eq $N && test ! -e st-only2"

# A step whose spec changes (not its file) runs again too; the stage's other steps do not.
sed -i 's/touched=yes/touched=yes2/; s/equals: "yes"/equals: "yes2"/' stages/two.yaml
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply after a spec edit"
check "after a spec edit: only the edited step ($(mutations_since "$N"))" test "$(mutations_since "$N")" = "annotate"

# The journal only grows (append-only) and every line is JSON.
check "journal lines are all JSON" python3 -c "
import json
for l in open('$WORK/st/resume/journal.jsonl'): json.loads(l)"

finish
