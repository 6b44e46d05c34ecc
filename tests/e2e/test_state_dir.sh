#!/usr/bin/env bash
# The state folder never depends on the current directory (SPEC §2): by default it is .groundwork
# beside the inventory file, so plan, status and apply from any folder see the same journal; a
# second state folder with a journal for the same inventory is reported as a warning.
source "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/site/stages" "$WORK/elsewhere"
cat >"$WORK/site/inv.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: site}
spec:
  kubernetes: {kubeconfig: ./kubeconfig, context: site}
  stages: [./stages]
  vars: {greeting: hello}
YAML
touch "$WORK/site/kubeconfig"
cat >"$WORK/site/stages/hello.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: hello}
spec:
  steps:
    - name: say
      run: {argv: [/bin/echo, "${vars.greeting}"]}
YAML

cd "$WORK/site"
run_gw -i inv.yaml apply
expect_rc 0 "apply from the inventory's folder"
check "the journal is beside the inventory" test -s "$WORK/site/.groundwork/site/journal.jsonl"
expect_not_in "$WORK/err" "second state folder" "one state folder: no warning"

cd "$WORK/elsewhere"
run_gw -i ../site/inv.yaml plan
expect_rc 0 "plan from another folder"
expect_in "$WORK/out" "0 to run" "another folder sees the same state"
run_gw -i "$WORK/site/inv.yaml" status
expect_in "$WORK/out" "done" "status from another folder reads the same journal"
check "nothing written under the current directory" test ! -e "$WORK/elsewhere/.groundwork"

# A second journal for the same inventory, here under ./.groundwork (an explicit --state-dir).
run_gw -i ../site/inv.yaml --state-dir .groundwork apply
expect_rc 0 "apply with --state-dir .groundwork"
expect_in "$WORK/err" "a second state folder exists for inventory 'site': $WORK/site/.groundwork/site" \
  "--state-dir run warns about the default one"
run_gw -i ../site/inv.yaml plan
expect_in "$WORK/err" "a second state folder exists for inventory 'site': $WORK/elsewhere/.groundwork/site" \
  "default run warns about ./.groundwork"
expect_in "$WORK/err" "this run uses $WORK/site/.groundwork/site" "the warning names the folder in use"
expect_in "$WORK/out" "0 to run" "the default one is still the one used"

# From the inventory's own folder, with --state-dir elsewhere: the default is named once.
cd "$WORK/site"
run_gw -i inv.yaml --state-dir "$WORK/elsewhere/.groundwork" plan
check "one warning when the default and ./.groundwork are one folder" \
  test "$(grep -c 'a second state folder exists' "$WORK/err")" -eq 1
finish
