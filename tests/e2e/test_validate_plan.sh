#!/usr/bin/env bash
# validate and plan through the real binary: shipped inventories, bad input, plan formats.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

for inv in inventories/homelab.yaml inventories/k3s.yaml; do
  run_gw -i "$inv" validate
  expect_rc 0 "validate $inv"
  expect_in "$WORK/out" "11 stages" "validate $inv counts stages"
done

# A private copy of the shipped content to break things in.
cp -r stages "$WORK/stages"
cat >"$WORK/inv.yaml" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: e2e}
spec:
  kubernetes: {kubeconfig: ./kubeconfig, context: e2e}
  stages: [./stages]
  vars: $(python3 -c "import yaml,json; print(json.dumps(yaml.safe_load(open('inventories/k3s.yaml'))['spec']['vars']))")
  secrets:
    adguard_password_hash: {env: E2E_ADGUARD_HASH}
    rancher_bootstrap_password: {env: E2E_RANCHER_PW}
    cloudflare_token: {env: E2E_CF_TOKEN}
YAML
cd "$WORK"

run_gw -i inv.yaml validate
expect_rc 0 "validate private copy"

# plan --format json matches SPEC §6.
run_gw -i inv.yaml plan --format json
expect_rc 0 "plan json"
check "plan json shape" python3 - "$WORK/out" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["inventory"] == "e2e", p["inventory"]
assert set(p) >= {"inventory", "stages", "waves", "criticalPath"}, p.keys()
names = [s["name"] for s in p["stages"]]
pos = {n: i for i, n in enumerate(names)}
skipped = {s["name"] for s in p["stages"] if s["status"] == "skipped"}
assert skipped and p["criticalPath"] and not skipped & set(p["criticalPath"]), (skipped, p["criticalPath"])
for s in p["stages"]:
    assert {"name", "needs", "wave", "status", "steps"} <= set(s), s.keys()
    assert s["status"] in {"pending", "done", "changed", "failed", "skipped"}
    for n in s["needs"]:
        assert pos[n] < pos[s["name"]], (n, s["name"])
        w = next(x for x in p["stages"] if x["name"] == n)["wave"]
        assert w < s["wave"], (n, s["name"])
    for st in s["steps"]:
        assert {"name", "kind", "status"} <= set(st)
        if st.get("description", "").startswith("(not rendered"):
            # off from the vars alone (the talos stage on k3s): skipped, with no command
            assert st["status"] == "skipped" and "argv" not in st, st
        elif st["kind"] in ("helm", "kubectl", "talosctl", "run"):
            assert isinstance(st["argv"], list) and st["argv"][0], st
talos = next(s for s in p["stages"] if s["name"] == "talos")
assert talos["status"] == "skipped", talos["status"]
flat = [n for w in p["waves"] for n in w]
assert sorted(flat) == sorted(names)
helm = next(st for s in p["stages"] if s["name"] == "metallb" for st in s["steps"] if st["kind"] == "helm")
argv = helm["argv"]
assert argv[:3] == ["helm", "upgrade", "--install"], argv
assert "--kube-context" in argv and argv[argv.index("--kube-context") + 1] == "e2e"
assert "--namespace" in argv and "--version" in argv
assert p["criticalPath"] and p["criticalPath"][-1] in names
PY

# Targets select their needs only.
run_gw -i inv.yaml plan --format json rancher
expect_rc 0 "plan rancher"
check "plan rancher selects its needs" python3 -c "
import json; p = json.load(open('$WORK/out')); names = {s['name'] for s in p['stages']}
assert names == {'talos', 'metallb', 'cert-manager', 'traefik', 'rancher'}, names"

run_gw -i inv.yaml plan rancherr
expect_rc 2 "unknown target"
expect_in "$WORK/err" "unknown stage 'rancherr' (did you mean 'rancher'?)" "unknown target message"

# dot and mermaid carry every edge.
run_gw -i inv.yaml plan --format dot
expect_rc 0 "plan dot"
expect_in "$WORK/out" '"metallb" -> "traefik"' "dot edge"
# A label's line break is DOT's \n; an escaped backslash (\\n) would be drawn literally.
expect_in "$WORK/out" '"metallb" [label="metallb\npending"' "dot label breaks the line"
expect_not_in "$WORK/out" '\\n' "dot label has no escaped backslash"
run_gw -i inv.yaml plan --format mermaid
expect_rc 0 "plan mermaid"
expect_in "$WORK/out" "graph LR" "mermaid header"
check "mermaid has edges" grep -q -- "-->" "$WORK/out"

# The text plan shows commands, gates, and secrets only as placeholders.
export E2E_CF_TOKEN=cf-token-value-e2e E2E_ADGUARD_HASH=hash-e2e E2E_RANCHER_PW=pw-e2e
run_gw -i inv.yaml plan
expect_rc 0 "plan text"
expect_in "$WORK/out" "helm upgrade --install metallb metallb" "text plan shows helm command"
expect_in "$WORK/out" "gate controller: rollout deployment/metallb-controller -n metallb-system" "text plan shows gates"
expect_in "$WORK/out" "critical path:" "text plan shows critical path"
expect_not_in "$WORK/out" "cf-token-value-e2e" "secret value in plan"

# plan runs no external command: fake tools on PATH would leave a mark.
mkdir -p "$WORK/bin"
for t in kubectl helm talosctl flux sh bash; do
  printf '#!/bin/sh\ntouch %s/ran-%s\n' "$WORK" "$t" >"$WORK/bin/$t"; chmod +x "$WORK/bin/$t"
done
PATH="$WORK/bin:$PATH" run_gw -i inv.yaml plan
expect_rc 0 "plan with fake tools"
check "plan ran no command" bash -c "! ls $WORK/ran-* 2>/dev/null | grep -q ."

# Bad input: exit 2, file:line:col, nothing written.
sed -i 's/^  needs: \[talos\]/  need: [talos]/' stages/20-metallb.yaml
run_gw -i inv.yaml --state-dir "$WORK/state" plan
expect_rc 2 "typo in stage"
expect_in "$WORK/err" "stages/20-metallb.yaml:8:3: error: unknown key 'need' in spec (did you mean 'needs'?)" "typo located"
check "nothing written on bad input" test ! -e "$WORK/state"
sed -i 's/^  need: \[talos\]/  needs: [talos]/' stages/20-metallb.yaml

# One mistake, one error: a misspelt gate kind, required key or step kind gets a did-you-mean
# and no second error about what is then missing.
cp stages/20-metallb.yaml "$WORK/metallb.bak"; cp stages/30-cert-manager.yaml "$WORK/cm.bak"
sed -i '0,/rollout:/s//rolout:/' stages/20-metallb.yaml
sed -i '0,/release:/s//relase:/' stages/30-cert-manager.yaml
sed -i '0,/    helm:/s//    hlem:/' stages/30-cert-manager.yaml
run_gw -i inv.yaml validate
expect_rc 2 "misspellings"
expect_in "$WORK/err" "unknown key 'rolout' in gate (did you mean 'rollout'?)" "gate kind did-you-mean"
expect_in "$WORK/err" "(did you mean 'helm'?)" "step kind did-you-mean"
expect_in "$WORK/err" "2 errors; nothing was run" "one error per mistake (the body of a misspelt kind is not read)"
expect_not_in "$WORK/err" "no kind key" "no second error for the gate kind"
cp "$WORK/metallb.bak" stages/20-metallb.yaml
sed -i '0,/    hlem:/s//    helm:/' stages/30-cert-manager.yaml
run_gw -i inv.yaml validate
expect_in "$WORK/err" "unknown key 'relase' in 'helm' step (did you mean 'release'?)" "key did-you-mean"
expect_in "$WORK/err" "1 error; nothing was run" "no missing-key error beside the typo"
cp "$WORK/cm.bak" stages/30-cert-manager.yaml

# An error inside a .tmpl file names it relative to the working folder, like stage files.
cp stages/values/argocd.tmpl.yaml "$WORK/argocd.bak"
echo 'bad: ${vars.nope_typo}' >>stages/values/argocd.tmpl.yaml
run_gw -i inv.yaml validate
expect_rc 2 "unknown var in a template"
expect_in "$WORK/err" "stages/values/argocd.tmpl.yaml:" "template error located"
expect_not_in "$WORK/err" "$WORK/stages" "template error path is relative"
cp "$WORK/argocd.bak" stages/values/argocd.tmpl.yaml

# Several problems are all reported.
sed -i 's/^  needs: \[talos\]/  needs: [talos, traefik]/' stages/20-metallb.yaml
sed -i 's/timeout: 10m/timeout: 10 minutes/' stages/30-cert-manager.yaml
run_gw -i inv.yaml validate
expect_rc 2 "cycle and bad duration"
expect_in "$WORK/err" "bad duration '10 minutes'" "bad duration reported"
run_gw -i inv.yaml validate
git -C "$ROOT" show HEAD:stages/30-cert-manager.yaml >stages/30-cert-manager.yaml
run_gw -i inv.yaml validate
expect_rc 2 "cycle"
expect_in "$WORK/err" "error: cycle: " "cycle named"
expect_in "$WORK/err" "metallb" "cycle names metallb"

# A templated number that does not render to one, and a when that is no boolean: both reported.
cat >stages/99-typed.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: typed}
spec:
  when: "${vars.domain}"
  gates:
    - {name: port, tcp: {host: 127.0.0.1, port: "${vars.domain}"}}
YAML
git -C "$ROOT" show HEAD:stages/20-metallb.yaml >stages/20-metallb.yaml
run_gw -i inv.yaml validate
expect_rc 2 "rendered types"
expect_in "$WORK/err" "stages/99-typed.yaml:7:50: error: 'port' must be a whole number, not 'lab.home.arpa' (rendered from '\${vars.domain}')" "rendered int checked"
expect_in "$WORK/err" "stages/99-typed.yaml:5:10: error: 'when' must render to true, false" "when checked"
expect_in "$WORK/err" "2 errors" "both render errors reported"
rm stages/99-typed.yaml

# No inventory at all.
GROUNDWORK_INVENTORY= run_gw validate
expect_rc 2 "no inventory"
expect_in "$WORK/err" "no inventory" "no inventory message"

# GROUNDWORK_INVENTORY works instead of -i.
git -C "$ROOT" show HEAD:stages/20-metallb.yaml >stages/20-metallb.yaml
GROUNDWORK_INVENTORY=inv.yaml run_gw validate
expect_rc 0 "GROUNDWORK_INVENTORY"

# A misspelled verb, and a drill of a playbook that is not there: exit 2, a clear word.
run_gw -i inv.yaml --state-dir st plna
expect_rc 2 "unknown verb"
expect_in "$WORK/err" "groundwork: error: unknown verb 'plna' (did you mean 'plan'?)" "did-you-mean for verbs"
run_gw -i inv.yaml --state-dir st drill velero-namespace-restore
expect_rc 2 "drill of an unknown playbook"
expect_in "$WORK/err" "unknown playbook 'velero-namespace-restore'" "unknown playbook named"
check "no state written by a bad verb or an unknown playbook" test ! -e st
run_gw -i inv.yaml --state-dir st apply no-such-stage
expect_rc 2 "apply of an unknown stage"
expect_in "$WORK/err" "unknown stage 'no-such-stage'" "unknown target named"
run_gw -i inv.yaml --state-dir st apply --only no-such-stage
expect_rc 2 "apply --only of an unknown stage"
check "no state written for an unknown target" test ! -e st

finish
