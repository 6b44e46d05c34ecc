#!/usr/bin/env bash
# diff: rendered manifests and helm releases against the simulated cluster (kubectl diff, helm
# template | kubectl diff); exit 0 same, 1 differs, 3 cluster unreachable, 2 bad input; secrets
# masked; nothing written. And kubeVersion: a stage's constraint checked against the API server's
# version at apply's preflight and by doctor, shown by plan.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export GW_E2E_DIFF_SECRET=diff-secret-value-93
sim_inventory inv.yaml differ '  secrets:
    token: {env: GW_E2E_DIFF_SECRET}'
sed -i 's/^  vars:$/  vars:\n    greeting: hello/' inv.yaml
mkdir -p stages/manifests stages/values
cat >stages/values/traefik.yaml <<'YAML'
deployment: {replicas: 1}
YAML
cat >stages/manifests/cm.tmpl.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: diffed, namespace: default}
data:
  greeting: "${vars.greeting}"
  token: "${secrets.token}"
YAML
cat >stages/manifests/out.tmpl.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: captured, namespace: default}
data:
  word: "${stages.web.outputs.word}"
YAML
cat >stages/web.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: web}
spec:
  steps:
    - name: chart
      helm: {release: traefik, chart: traefik, repo: https://traefik.github.io/charts, namespace: traefik,
             createNamespace: true, values: [values/traefik.yaml]}
    - name: config
      kubectl: {apply: [manifests/cm.tmpl.yaml]}
    - name: word
      run: {argv: [/bin/echo, captured-word]}
      capture: {name: word}
    - name: uses-word
      kubectl: {apply: [manifests/out.tmpl.yaml]}
    - name: probe
      kubectl: {apply: [manifests/probe.yaml]}
    - name: probe-cleanup
      kubectl: {delete: [manifests/probe.yaml]}
YAML
configmap stages/manifests/probe.yaml probe
cat >stages/off.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: off}
spec:
  when: "false"
  steps:
    - name: never
      kubectl: {apply: [manifests/cm.tmpl.yaml]}
YAML
new_sim sim-diff

# --- before apply: new objects differ; the step whose template needs a captured output says so.
run_gw -i inv.yaml --state-dir st diff web/chart web/config web/word web/uses-word off/never
expect_rc 1 "diff before apply: the objects are new"
expect_in "$WORK/out" "# web/chart (helm template | kubectl diff): differs" "a release in a missing namespace differs"
expect_in "$WORK/out" 'namespace "traefik" does not exist yet' "kubectl refused the missing namespace: said so"
expect_in "$WORK/out" "# web/config (kubectl diff): differs" "a new object differs"
expect_in "$WORK/out" "+  greeting: hello" "the new object, unified"
expect_in "$WORK/out" "# web/uses-word: not compared:" "a missing captured output is named for its step"
expect_in "$WORK/out" "stages.web.outputs.word" "the missing output named"
expect_in "$WORK/out" "# web/word: not diffable (run)" "a run step is not diffable"
expect_in "$WORK/out" "# off/never: skipped (its when is false)" "a stage whose when is false is skipped"
check "nothing written to the state folder" test ! -e st

run_gw -i inv.yaml --state-dir st apply
expect_rc 0 "apply"
journal=$(find st -name "journal*" -type f | head -1)
check "the journal exists" test -n "$journal"
state_before=$(cd st && find . -type f | sort | xargs sha256sum)

# --- after apply: nothing differs.
run_gw -i inv.yaml --state-dir st diff
expect_rc 0 "diff right after apply"
expect_in "$WORK/out" "# web/chart (helm template | kubectl diff): no differences" "the helm step compared"
expect_in "$WORK/out" "# web/config (kubectl diff): no differences" "the kubectl step compared"
expect_in "$WORK/out" "# web/uses-word (kubectl diff): no differences" "the captured output comes from the journal"
expect_in "$WORK/out" "# web/probe: not compared (transient: step 'probe-cleanup' deletes what it applies)" "a probe object deleted again by the stage is not compared"
expect_in "$WORK/out" "# web/probe-cleanup: not diffable (kubectl delete)" "a delete step is not diffable"
expect_not_in "$WORK/out" "differs" "nothing differs"
expect_not_in "$WORK/out" "$GW_E2E_DIFF_SECRET" "no secret value"

# --- a changed values key and a changed manifest: unified diffs, exit 1, nothing written.
sed -i 's/replicas: 1/replicas: 2/' stages/values/traefik.yaml
sed -i 's/^    greeting: hello/    greeting: bonjour/' inv.yaml
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st diff
expect_rc 1 "diff after a change"
expect_in "$WORK/out" "# web/chart (helm template | kubectl diff): differs" "the helm step differs"
expect_in "$WORK/out" "-  replicas: 1" "the old values key, unified"
expect_in "$WORK/out" "+  replicas: 2" "the new values key, unified"
expect_in "$WORK/out" "/apps.v1.Deployment.traefik.traefik" "kubectl diff names the object"
expect_in "$WORK/out" "# web/config (kubectl diff): differs" "the manifest step differs"
expect_in "$WORK/out" "-  greeting: hello" "the old manifest value"
expect_in "$WORK/out" "+  greeting: bonjour" "the new manifest value"
expect_in "$WORK/out" "  token: ***" "the secret in the rendered manifest is masked"
expect_not_in "$WORK/out" "$GW_E2E_DIFF_SECRET" "no secret value in the diff"
expect_not_in "$WORK/err" "$GW_E2E_DIFF_SECRET" "no secret value on stderr"
expect_in "$WORK/err" "diff: 2 differ" "a summary on stderr"
check "diff only read: no apply, upgrade or create" python3 -c "
import json
calls = [json.loads(l)['argv'] for l in open('$GROUNDWORK_SIM_STATE/calls.jsonl')][$N:]
assert calls, 'no calls'
bad = [a for a in calls if any(w in a for w in ('apply', 'upgrade', 'create', 'delete'))]
assert not bad, bad"
check "the state folder is unchanged" test "$(cd st && find . -type f | sort | xargs sha256sum)" = "$state_before"
check "no rendered file left behind" test -z "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'groundwork-diff-*' -user "$(id -u)" -newer inv.yaml 2>/dev/null)"

# --- why changed: plan names the input that changed — the values file, the var in the spec.
"$GW" -i inv.yaml --state-dir st plan --format json >why.json 2>/dev/null
check "plan says the values file changed web/chart" python3 -c "
import json
st = [s for s in json.load(open('why.json'))['stages'] if s['name'] == 'web'][0]['steps']
by = {x['name']: x.get('changedBy', []) for x in st}
assert any(c.startswith('file:') and c.endswith('values/traefik.yaml') for c in by['chart']), by
assert any(c.endswith('manifests/cm.tmpl.yaml') for c in by['config']), by"
"$GW" -i inv.yaml --state-dir st plan --no-color >why.txt 2>/dev/null
expect_in why.txt "changed: file:stages/values/traefik.yaml" "plan text names the changed file, relative to the current folder"

# --- targets: STAGE/STEP alone; unknown ones are usage errors.
run_gw -i inv.yaml --state-dir st diff web/config
expect_rc 1 "diff of one step"
expect_in "$WORK/out" "# web/config" "the selected step"
expect_not_in "$WORK/out" "# web/chart" "only the selected step"
run_gw -i inv.yaml --state-dir st diff wbe
expect_rc 2 "unknown stage"
expect_in "$WORK/err" "did you mean 'web'" "did-you-mean"

# --- with the helm-diff plugin installed, helm steps use `helm diff upgrade`.
printf 'readyAfterPolls: 1\nhelmPlugins: [diff]\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
run_gw -i inv.yaml --state-dir st diff web/chart
expect_rc 1 "helm diff: differs"
expect_in "$WORK/out" "# web/chart (helm diff): differs" "helm diff upgrade was used"
expect_in "$WORK/out" "traefik, traefik, Deployment (apps) has changed:" "helm-diff's own format"
expect_in "$WORK/out" "+   replicas: 2" "the new values key"
sed -i 's/replicas: 2/replicas: 1/' stages/values/traefik.yaml
run_gw -i inv.yaml --state-dir st diff web/chart
expect_rc 0 "helm diff: the same values again"
expect_in "$WORK/out" "# web/chart (helm diff): no differences" "nothing differs"
sed -i 's/replicas: 1/replicas: 2/' stages/values/traefik.yaml

# --- Ctrl-C: the running kubectl diff is stopped, exit 130, the rendered files are removed.
printf 'readyAfterPolls: 1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
printf -- '- {tool: kubectl, match: " diff ", action: slow, seconds: 20}\n' | set_faults
mkdir -p "$WORK/tmpd"
TMPDIR="$WORK/tmpd" start_gw -i inv.yaml --state-dir st diff web/config
check "the rendered file is written while kubectl diff runs" \
  wait_until 20 bash -c "find '$WORK/tmpd' -type f -name '*cm.tmpl.yaml' | grep -q ."
check "the temporary folder is private (0700)" \
  test "$(stat -c %a "$(find "$WORK/tmpd" -maxdepth 1 -name 'groundwork-diff-*' | head -1)")" = 700
kill -INT "$BG_PID"
wait_gw 20
expect_rc 130 "interrupted diff"
check "no rendered file left after Ctrl-C" test -z "$(find "$WORK/tmpd" -name 'groundwork-diff-*')"
: >"$GROUNDWORK_SIM_STATE/faults.yaml"

# --- kill -9: no clean-up runs, the folder (named after the diff's pid) stays; the next diff
# removes it, but keeps the folder of a live process and a folder of a recycled pid goes.
printf -- '- {tool: kubectl, match: " diff ", action: slow, seconds: 20}\n' | set_faults
TMPDIR="$WORK/tmpd" start_gw -i inv.yaml --state-dir st diff web/config
check "the rendered file is written while kubectl diff runs (2)" \
  wait_until 20 bash -c "find '$WORK/tmpd' -type f -name '*cm.tmpl.yaml' | grep -q ."
killed=$(find "$WORK/tmpd" -maxdepth 1 -name "groundwork-diff-$BG_PID-*" | head -1)
check "the folder's name carries the diff's pid" test -n "$killed"
kill -KILL "$BG_PID"
wait_gw 20
kill_leftovers "$WORK/tmpd" || true  # the slow kubectl diff it started (its argv names the file)
check "kill -9 leaves the folder with the rendered secret" test -d "$killed"
sleep 1000 &
live=$!
at_exit "kill $live"
ticks=$(awk '{sub(/.*\) /, ""); print $20}' /proc/$live/stat)
ns=$(readlink /proc/self/ns/pid | tr -dc 0-9)
mkdir -m 700 "$WORK/tmpd/groundwork-diff-$live-$ticks-$ns-LiVe00" "$WORK/tmpd/groundwork-diff-$live-$((ticks + 1))-$ns-ReUse0"
: >"$GROUNDWORK_SIM_STATE/faults.yaml"
TMPDIR="$WORK/tmpd" run_gw -i inv.yaml --state-dir st diff web/config
expect_rc 1 "diff after a killed diff"
check "the killed diff's folder is gone" test ! -e "$killed"
expect_in "$WORK/err" "removed the temporary folder of a diff that was killed (pid $BG_PID)" "the sweep is said"
check "the folder of a live process is kept" test -d "$WORK/tmpd/groundwork-diff-$live-$ticks-$ns-LiVe00"
check "the folder of a recycled pid (another start time) is removed" \
  test ! -e "$WORK/tmpd/groundwork-diff-$live-$((ticks + 1))-$ns-ReUse0"
check "this diff removed its own folder" \
  test "$(find "$WORK/tmpd" -maxdepth 1 -name 'groundwork-diff-*')" = "$WORK/tmpd/groundwork-diff-$live-$ticks-$ns-LiVe00"

# --- an API server that does not answer: exit 3.
printf 'readyAfterPolls: 1\napiDown: true\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
run_gw -i inv.yaml --state-dir st diff
expect_rc 3 "diff with the API down"
expect_in "$WORK/err" "refused" "kubectl's reason"
printf 'readyAfterPolls: 1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"

# --- kubeVersion: shown by plan, checked by apply's preflight and doctor.
mkdir -p kv/stages
sim_inventory kv/inv.yaml kv
cat >kv/stages/ranch.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: ranch}
spec:
  kubeVersion: ">=1.28.0-0 <1.34.0-0"
  steps:
    - name: cm
      kubectl: {apply: [manifests/cm.yaml]}
YAML
configmap kv/stages/manifests/cm.yaml ranch
new_sim sim-kv
printf 'readyAfterPolls: 1\nkubernetesVersion: v1.34.1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
run_gw -i kv/inv.yaml --state-dir kv/st plan
expect_rc 0 "plan"
expect_in "$WORK/out" "kubeVersion: >=1.28.0-0 <1.34.0-0" "plan shows the constraint"
check "plan ran no command" test "$(sim_calls)" -eq 0
run_gw -i kv/inv.yaml --state-dir kv/st plan --format json
expect_in "$WORK/out" '"kubeVersion":">=1.28.0-0 <1.34.0-0"' "plan json carries the constraint"
run_gw -i kv/inv.yaml --state-dir kv/st apply
expect_rc 3 "apply on a server the stage does not fit"
expect_in "$WORK/err" "stage 'ranch' needs Kubernetes >=1.28.0-0 <1.34.0-0" "names the stage and the constraint"
expect_in "$WORK/err" "the API server runs v1.34.1" "names the server version"
check "nothing was applied" test "$(sim_kubectl get configmap ranch -o name 2>/dev/null)" = ""
run_gw -i kv/inv.yaml --state-dir kv/st doctor
expect_rc 3 "doctor on a server the stage does not fit"
check "doctor names the stage" grep -qE '^  FAIL  stage ranch kubeVersion >=1.28.0-0 <1.34.0-0: the API server runs v1.34.1' "$WORK/out"
printf 'readyAfterPolls: 1\nkubernetesVersion: v1.33.4+k3s1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
run_gw -i kv/inv.yaml --state-dir kv/st apply
expect_rc 0 "apply on a server inside the range"
check "applied" test "$(sim_kubectl get configmap ranch -o name)" = "configmap/ranch"
run_gw -i kv/inv.yaml --state-dir kv/st doctor
expect_rc 0 "doctor inside the range"
expect_in "$WORK/out" "kubeVersion" "doctor says the constraint was checked"

sed -i 's/kubeVersion: .*/kubeVersion: "~>1.28"/' kv/stages/ranch.yaml
run_gw -i kv/inv.yaml --state-dir kv/st validate
expect_rc 2 "an unreadable constraint is invalid"
expect_in "$WORK/err" "ranch.yaml:5:17: error: kubeVersion:" "the error names file:line:col"
finish
