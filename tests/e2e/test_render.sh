#!/usr/bin/env bash
# render: each step's argv, env, stdin and rendered .tmpl files, secrets as <secret:NAME>; a
# STAGE/STEP selection with did-you-mean; runs nothing and writes nothing.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export GW_E2E_RENDER_SECRET=render-secret-value-42
sim_inventory inv.yaml rendering '  secrets:
    token: {env: GW_E2E_RENDER_SECRET}'
mkdir -p stages/manifests
cat >stages/manifests/cm.tmpl.yaml <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: rendered, namespace: default}
data:
  token: "${secrets.token}"
  who: "${inventory.name}"
YAML
cat >stages/app.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: app}
spec:
  steps:
    - name: config
      kubectl: {apply: [manifests/cm.tmpl.yaml]}
    - name: hello
      run: {argv: [/bin/echo, "hello ${inventory.name}"], env: {TOKEN: "${secrets.token}"}}
  gates:
    - {name: cm, exists: {resource: configmap/rendered, namespace: default}}
YAML
new_sim sim-render
run_gw -i inv.yaml --state-dir st render
expect_rc 0 "render everything"
expect_in "$WORK/out" "# app/config" "names each step"
expect_in "$WORK/out" "--- stages/manifests/cm.tmpl.yaml (rendered)" "shows the rendered file"
expect_in "$WORK/out" 'token: "<secret:token>"' "a secret in a file is a placeholder"
expect_in "$WORK/out" 'who: "rendering"' "templates are rendered"
expect_in "$WORK/out" "argv:  /bin/echo 'hello rendering'" "argv, shell-quoted"
expect_in "$WORK/out" "env:   TOKEN='<secret:token>'" "a secret in env is a placeholder"
expect_not_in "$WORK/out" "$GW_E2E_RENDER_SECRET" "no secret value"
check "render ran no command" test "$(sim_calls)" -eq 0
check "render wrote no state" test ! -e st

run_gw -i inv.yaml --state-dir st render app/hello
expect_rc 0 "render one step"
expect_in "$WORK/out" "# app/hello" "the selected step"
expect_not_in "$WORK/out" "# app/config" "only the selected step"

run_gw -i inv.yaml --state-dir st render ap
expect_rc 2 "unknown stage"
expect_in "$WORK/err" "unknown stage 'ap' (did you mean 'app'?)" "did-you-mean"
run_gw -i inv.yaml --state-dir st render app/helo
expect_rc 2 "unknown step"
expect_in "$WORK/err" "no step 'helo'" "unknown step named"
finish
