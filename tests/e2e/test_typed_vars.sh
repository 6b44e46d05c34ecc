#!/usr/bin/env bash
# Typed stage vars (SPEC §3 Stage `spec.vars`, issue 11) through the real binary: wrong values of the
# shipped stages' vars are located errors (exit 2, nothing written); the k3s inventory validates
# without placeholders for stages it never runs; defaults fill what an inventory leaves out; a
# `path` var resolves from the inventory's folder, whatever the current directory.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# A private copy of the k3s inventory, stages from the repository.
sed "s|stages: \[../stages\]|stages: [$ROOT/stages]|" "$ROOT/inventories/k3s.yaml" >inv.yaml
check "private inventory names the shipped stages" grep -q "stages: \[$ROOT/stages\]" inv.yaml

run_gw -i inv.yaml validate
expect_rc 0 "the k3s copy validates"

# bad VAR VALUE TYPE-TEXT: the inventory with VAR set to VALUE fails validate and plan with an error
# at the value (file:line:col), exit 2, and writes nothing.
bad() {
  local var="$1" value="$2" want="$3"
  sed "s|^    $var: .*|    $var: $value|" inv.yaml >bad.yaml
  local line col
  line=$(grep -n "^    $var: " bad.yaml | cut -d: -f1)
  col=$(($(grep "^    $var: " bad.yaml | sed "s/: .*//" | wc -c) + 2))
  for verb in validate plan apply; do
    rm -rf .groundwork
    run_gw -i bad.yaml "$verb"
    expect_rc 2 "$verb with $var: $value"
    expect_in "$WORK/err" "bad.yaml:$line:$col: error: var '$var' = '$value' $want" "$verb locates $var"
    check "$verb with a bad $var wrote nothing" test ! -e .groundwork
  done
}
bad rancher_replicas one "is not an int (declared by stage rancher, "
# The stage's file as messages name files: relative when the checkout is near the current folder.
expect_in "$WORK/err" "stages/60-rancher.yaml:" "the declaring stage's file is named"
bad metallb_ignore_exclude_lb nope "is not a bool (true or false) (declared by stage metallb"
bad adguard_ip 192.168.1.10 "is not inside 'metallb_range' (192.168.1.240-192.168.1.250"
bad metallb_range 192.168.1.250-192.168.1.240 "is not an IP range: its start is after its end"
bad issuer letsencrypt "is not one of acme, selfsigned (declared by stage cert-manager"
bad gitops_repo_url github.com/example/fleet "is not a URL"

# The shipped k3s inventory has no placeholders for the talos stage or the ACME issuer it never
# uses: those stages and steps are off from vars alone.
check "k3s inventory has no talos_ vars" test "$(grep -c '^ *talos_' "$ROOT/inventories/k3s.yaml")" -eq 0
check "k3s inventory has no acme_ vars" test "$(grep -c '^ *acme_' "$ROOT/inventories/k3s.yaml")" -eq 0
check "k3s inventory has no 'none' placeholders" test "$(grep -c ': none$' "$ROOT/inventories/k3s.yaml")" -eq 0
(cd "$ROOT" && "$GW" -i inventories/k3s.yaml validate >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "shipped k3s inventory validates"
(cd "$ROOT" && "$GW" -i inventories/k3s.yaml plan >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "shipped k3s inventory plans"
expect_in "$WORK/out" "talos" "the talos stage is in the plan (skipped)"

# But a stage that is on needs its vars: without metallb_range, one error at spec.vars.
grep -v '^    metallb_range: ' inv.yaml >missing.yaml
run_gw -i missing.yaml validate
expect_rc 2 "a var without default missing"
expect_in "$WORK/err" "error: var 'metallb_range' is not set: stage metallb declares it without a default" "names the stage"
# ... and issuer acme turns the ACME step on: acme_email has no default.
sed 's|^    issuer: selfsigned|    issuer: acme|' inv.yaml >acme.yaml
run_gw -i acme.yaml validate
expect_rc 2 "issuer acme needs acme_email"
expect_in "$WORK/err" "var 'acme_email' is not set: stage cert-manager declares it without a default" "acme_email"
expect_in "$WORK/err" "unknown secret '\${secrets.cloudflare_token}'" "and the Cloudflare token"

# A default fills a var the inventory leaves out: the k3s inventory sets no
# acme_recursive_nameservers or rancher_replicas.
grep -v '^    rancher_replicas: ' inv.yaml >defaults.yaml
run_gw -i defaults.yaml render cert-manager/chart rancher/chart
expect_rc 0 "render with defaults"
expect_in "$WORK/out" "--dns01-recursive-nameservers=1.1.1.1:53,9.9.9.9:53" "cert-manager's default"
expect_in "$WORK/out" "replicas: 1" "rancher_replicas' default"
check "render wrote nothing" test ! -e .groundwork

# A `path` var: relative in the inventory, absolute from the inventory's folder in what runs, the
# same from any current directory. The flux stage runs here (gitops: flux).
mkdir -p sub/k3s
sed 's|^    flux_private_key_file: .*|    flux_private_key_file: ./k3s/deploy-key|' inv.yaml >sub/paths.yaml
run_gw -i sub/paths.yaml render flux/bootstrap
expect_rc 0 "render flux from the work folder"
expect_in "$WORK/out" "--private-key-file=$WORK/sub/k3s/deploy-key" "path from the inventory's folder"
cp "$WORK/out" from-work.txt
(cd /tmp && "$GW" --no-color -i "$WORK/sub/paths.yaml" render flux/bootstrap >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "render flux from /tmp"
check "the same rendering from /tmp" cmp -s from-work.txt "$WORK/out"
(cd "$WORK/sub/k3s" && "$GW" --no-color -i ../paths.yaml render flux/bootstrap >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "render flux from below the inventory"
check "the same rendering from below" cmp -s from-work.txt "$WORK/out"

# The inventory's other paths resolve from its folder too: a file secret read from /tmp.
mkdir -p sub/secrets
printf 'hash' >sub/secrets/adguard.txt
sed -i 's|^    adguard_password_hash: .*|    adguard_password_hash: {file: ./secrets/adguard.txt}|' sub/paths.yaml
(cd /tmp && "$GW" --no-color -i "$WORK/sub/paths.yaml" validate >"$WORK/out" 2>"$WORK/err")
RC=$?
expect_rc 0 "validate from /tmp"
expect_not_in "$WORK/err" "adguard_password_hash" "the file secret is found from /tmp"
rm sub/secrets/adguard.txt
(cd /tmp && "$GW" --no-color -i "$WORK/sub/paths.yaml" validate >"$WORK/out" 2>"$WORK/err")
expect_in "$WORK/err" "secret 'adguard_password_hash'" "a missing file secret is named"
expect_in "$WORK/err" "$WORK/sub/secrets/adguard.txt" "by its path from the inventory's folder"

# An unknown type in a stage's spec.vars: did-you-mean, at the type.
mkdir -p stages
cat >stages/s.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: s}
spec:
  vars:
    n: {type: iprnge}
  steps:
    - {name: a, run: {argv: [/bin/true, "${vars.n}"]}}
YAML
sim_inventory typo.yaml typo
run_gw -i typo.yaml validate
expect_rc 2 "unknown type"
expect_in "$WORK/err" "stages/s.yaml:6:15: error: var 'n': unknown type 'iprnge' (did you mean 'iprange'?)" "did you mean"

# Two stages declaring one var with different types: an error at the second declaration.
sed -i 's/type: iprnge/type: string/' stages/s.yaml
cat >stages/t.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: t}
spec:
  vars:
    n: {type: int, default: 3}
  steps:
    - {name: a, run: {argv: [/bin/true, "${vars.n}"]}}
YAML
run_gw -i typo.yaml validate
expect_rc 2 "one var, two types"
expect_in "$WORK/err" "stages/t.yaml:6:5: error: var 'n' is declared as int here but as string by stage s (stages/s.yaml:6:5)" "type conflict"
rm stages/s.yaml stages/t.yaml

# Off is off when running too: a stage and a step whose `when` is false from the vars alone run
# nothing and need none of their vars, secrets or environment; a default fills what runs.
cat >stages/on.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: on}
spec:
  vars:
    mode: {type: enum, values: [a, b]}
    work: {type: path}
    greeting: {type: string, default: hello-from-default}
    only_b: {type: string}
  steps:
    - name: greet
      run: {argv: [/bin/sh, -c, 'echo "$0" >>"$1"', "${vars.greeting}", "${vars.work}/ran.txt"]}
    - name: b-only
      when: "${vars.mode} == b"
      run: {argv: [/bin/echo, "${vars.only_b}"], env: {T: "${secrets.nope}"}}
YAML
cat >stages/off.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: off}
spec:
  when: "${vars.mode} == b"
  vars:
    mode: {type: enum, values: [a, b]}
    target: {type: hostname}
  steps:
    - {name: x, run: {argv: [/bin/echo, "${vars.target}", "${env.GW_E2E_UNSET_VAR}"]}}
  gates:
    - {name: g, tcp: {host: "${vars.target}", port: 1}}
YAML
sim_inventory run.yaml runs '    mode: a'
new_sim sim-run
unset GW_E2E_UNSET_VAR
run_gw -i run.yaml --state-dir st validate
expect_rc 0 "off stage and step: their vars, secret and env need not exist"
run_gw -i run.yaml --state-dir st apply
expect_rc 0 "apply with an off stage and an off step"
expect_in ran.txt "hello-from-default" "the default reached the command"
run_gw -i run.yaml --state-dir st status --format json
check "off stage and step skipped" python3 - "$WORK/out" <<'PY'
import json, sys
st = {s["name"]: s for s in json.load(open(sys.argv[1]))["stages"]}
assert st["off"]["status"] == "skipped", st["off"]
assert st["on"]["status"] == "done", st["on"]
PY
# mode b turns both on: now what they use must exist.
sed -i 's/^    mode: a/    mode: b/' run.yaml
run_gw -i run.yaml --state-dir st validate
expect_rc 2 "mode b needs target and only_b"
expect_in "$WORK/err" "var 'only_b' is not set: stage on declares it without a default" "only_b"
expect_in "$WORK/err" "var 'target' is not set: stage off declares it without a default" "target"
expect_in "$WORK/err" "unknown secret '\${secrets.nope}'" "the secret"
expect_in "$WORK/err" "environment variable 'GW_E2E_UNSET_VAR'" "the env var"

finish
