#!/usr/bin/env bash
# forEach and --cascade through the real binary on the simulated cluster:
# - the shipped talos stage over an inventory of 5 Talos nodes (3 control planes, 2 workers) plans
#   exactly 5 apply-config steps and applies each node's config once, with the config of its role;
#   a 6th node added to the inventory runs only its own step;
# - reset/--force of a stage leave the stages that need it alone and say so; with --cascade, plan
#   shows and apply runs every stage that needs it, transitively;
# - a bad forEach is an error at file:line:col (exit 2).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export ADGUARD_PASSWORD_HASH=e2e-hash RANCHER_BOOTSTRAP_PASSWORD=e2e-password CLOUDFLARE_API_TOKEN=e2e-token

# ---- forEach over spec.talos.nodes ---------------------------------------------------------------
# nodes_inventory FILE NODE…: the sim inventory (absolute paths, kubeconfig in $WORK) with these
# spec.talos.nodes, each NAME:ADDRESS:ROLE.
nodes_inventory() {
  local file="$1" n
  shift
  {
    sed -n '1,/^    nodes:$/p' "$ROOT/inventories/sim.yaml"
    for n in "$@"; do
      IFS=: read -r name addr role <<<"$n"
      echo "      - {name: $name, address: $addr, role: $role}"
    done
    sed -n '/^  tools:$/,$p' "$ROOT/inventories/sim.yaml"
  } | sed -e "s|\.\./|$ROOT/|g" -e "s|kubeconfig: $ROOT/tests/sim/kubeconfig|kubeconfig: $WORK/kubeconfig|" \
    -e "s|_config: tests/|_config: $ROOT/tests/|" >"$file"
}
FIVE=(cp1:127.0.0.11:controlplane cp2:127.0.0.12:controlplane cp3:127.0.0.13:controlplane
  w1:127.0.0.21:worker w2:127.0.0.22:worker)
nodes_inventory five.yaml "${FIVE[@]}"
nodes_inventory six.yaml "${FIVE[@]}" w3:127.0.0.23:worker

new_sim bare
printf 'readyAfterPolls: 1\nbareMetal: true\n' >"$GROUNDWORK_SIM_STATE/config.yaml"

# apply_config_calls N: the talosctl apply-config calls after the first N, as "NODE FILE" lines.
apply_config_calls() {
  sim_calls_since "$1" | python3 -c "
import json, sys
for l in sys.stdin:
    c = json.loads(l)
    a = c['argv']
    if c['tool'] == 'talosctl' and 'apply-config' in a:
        print(a[a.index('--nodes') + 1], a[a.index('--file') + 1].rsplit('/', 1)[-1])"
}
# planned_steps: the talos stage's steps of the JSON plan in out, as "NAME ACTION" lines.
planned_steps() {
  python3 -c "
import json
for s in json.load(open('$WORK/out'))['stages']:
    if s['name'] == 'talos':
        for st in s['steps']:
            assert st.get('forEach', st['name']) == st['name'].split('.')[0], st
            print(st['name'], st['action'])"
}

run_gw -i five.yaml --state-dir st validate
expect_rc 0 "the 5-node inventory validates"
run_gw -i five.yaml --state-dir st plan --format json talos
expect_rc 0 "plan of 5 nodes"
planned_steps >steps5
check "5 apply-config steps planned, not 6 slots nor 10 with 5 skipped" \
  test "$(grep -c '^apply-config' steps5)" -eq 5
expect_in steps5 "apply-config-controlplane.cp3 run" "a control plane's step, named STEP.NODE"
expect_in steps5 "apply-config-worker.w2 run" "a worker's step"
expect_not_in steps5 "apply-config-worker.cp1" "where keeps control planes out of the worker loop"
run_gw -i five.yaml --state-dir st plan talos
expect_in "$WORK/out" "--nodes 127.0.0.22 apply-config --insecure --file $ROOT/tests/sim/talos/worker.yaml" \
  "the text plan shows the item's address and the worker config"

N=$(sim_calls)
run_gw -i five.yaml --state-dir st apply talos
expect_rc 0 "talos from bare metal on 5 nodes"
apply_config_calls "$N" | sort >calls5
check "each of the 5 nodes got its config once" test "$(wc -l <calls5)" -eq 5
expect_in calls5 "127.0.0.13 controlplane.yaml" "cp3 got the control-plane config"
expect_in calls5 "127.0.0.21 worker.yaml" "w1 got the worker config"
expect_in calls5 "127.0.0.22 worker.yaml" "w2 got the worker config"

run_gw -i five.yaml --state-dir st status
expect_in "$WORK/out" "apply-config-worker.w1" "status lists an item's step by its name"

# A 6th node: only its step runs; the other nodes are not touched again.
run_gw -i six.yaml --state-dir st plan --format json talos
planned_steps >steps6
check "6 apply-config steps with the new node" test "$(grep -c '^apply-config' steps6)" -eq 6
expect_in steps6 "apply-config-worker.w3 run" "the new node's step runs"
expect_in steps6 "apply-config-worker.w2 skip" "the other nodes' steps are done"
check "only the new node's step runs" test "$(grep '^apply-config' steps6 | grep -c ' run$')" -eq 1
N=$(sim_calls)
run_gw -i six.yaml --state-dir st apply talos
expect_rc 0 "apply with a 6th node"
apply_config_calls "$N" >calls6
check "one apply-config call, for the new node" test "$(cat calls6)" = "127.0.0.23 worker.yaml"

# Removing a node from the inventory drops its step; the others stay done.
run_gw -i five.yaml --state-dir st plan --format json talos
planned_steps >steps_removed
check "back to 5 apply-config steps" test "$(grep -c '^apply-config' steps_removed)" -eq 5
check "none of them runs" test "$(grep -c ' run$' steps_removed)" -eq 0

# Items are STAGE/STEP names for reset and --force; the name as written resets every item.
run_gw -i six.yaml --state-dir st plan --force talos/apply-config-controlplane.cp2 --format json talos
expect_rc 0 "--force of one item"
planned_steps >steps_forced
expect_in steps_forced "apply-config-controlplane.cp2 run" "the forced item runs"
expect_in steps_forced "apply-config-controlplane.cp1 skip" "the other items do not"
run_gw -i six.yaml --state-dir st plan --force talos/apply-config-controlplane --format json talos
expect_rc 0 "--force of a loop as written"
planned_steps >steps_forced
check "--force of the loop runs each of its items" \
  test "$(grep -c '^apply-config-controlplane\.cp[123] run$' steps_forced)" -eq 3
expect_in steps_forced "apply-config-worker.w1 skip" "and not the other loop's"
run_gw -i six.yaml --state-dir st render talos/apply-config-worker
expect_rc 0 "render of a loop as written"
check "render prints each item's step" test "$(grep -c '^# talos/apply-config-worker\.w' "$WORK/out")" -eq 3
run_gw -i six.yaml --state-dir st reset talos/apply-config-worker
expect_rc 0 "reset of a loop as written"
expect_in "$WORK/out" "forgot talos/apply-config-worker.w3" "every item of the loop is forgotten"
run_gw -i six.yaml --state-dir st plan --format json talos
planned_steps >steps_reset
check "the loop's 3 items run again, nothing else" test "$(grep -c ' run$' steps_reset)" -eq 3

# ---- --cascade ------------------------------------------------------------------------------------
new_sim cascade
sim_inventory inv.yaml cascade
mkdir -p stages/manifests
# stage NAME NEEDS: a stage applying one ConfigMap named after it.
stage() {
  configmap "stages/manifests/$1.yaml" "$1"
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1}
spec:
  needs: [$2]
  steps:
    - name: apply
      kubectl: {apply: [manifests/$1.yaml]}
YAML
}
stage talos ""
stage metallb talos
stage adguard metallb
stage traefik metallb
stage rancher traefik
stage storage-class talos
run_gw -i inv.yaml --state-dir st2 apply
expect_rc 0 "the small platform"

# applied_since N: the ConfigMaps kubectl applied after the first N calls, sorted.
applied_since() {
  sim_calls_since "$1" | python3 -c "
import json, sys
for l in sys.stdin:
    c = json.loads(l)
    if c['tool'] == 'kubectl' and 'apply' in c['argv']:
        print(c['argv'][-1].rsplit('/', 1)[-1].removesuffix('.yaml'))" | sort | tr '\n' ' '
}
# stage_actions: "NAME ACTION" per stage of the JSON plan in out.
stage_actions() {
  python3 -c "
import json
for s in json.load(open('$WORK/out'))['stages']:
    print(s['name'], s['steps'][0]['action'])"
}

run_gw -i inv.yaml --state-dir st2 plan --force metallb --format json
expect_rc 0 "plan --force metallb"
stage_actions >actions
expect_in actions "metallb run" "the forced stage runs"
expect_in actions "adguard skip" "without --cascade, a stage needing it does not"
expect_in "$WORK/err" "--force metallb does not include the stages that need metallb: adguard, traefik and rancher (add --cascade to include them)" \
  "plan says what --force leaves out and how to include it"

run_gw -i inv.yaml --state-dir st2 plan --force metallb --cascade --format json
expect_rc 0 "plan --force metallb --cascade"
stage_actions >actions
for s in metallb adguard traefik rancher; do expect_in actions "$s run" "--cascade plans $s"; done
for s in talos storage-class; do expect_in actions "$s skip" "--cascade leaves $s alone"; done

N=$(sim_calls)
run_gw -i inv.yaml --state-dir st2 apply --force metallb --cascade
expect_rc 0 "apply --force metallb --cascade"
check "apply ran metallb and every stage needing it, nothing else" \
  test "$(applied_since "$N")" = "adguard metallb rancher traefik "
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st2 apply --force metallb
expect_rc 0 "apply --force metallb"
check "without --cascade only metallb runs" test "$(applied_since "$N")" = "metallb "
expect_in "$WORK/err" "add --cascade to include them" "apply says what it left out"

run_gw -i inv.yaml --state-dir st2 reset traefik
expect_rc 0 "reset traefik"
expect_in "$WORK/out" "note: reset traefik does not include the stage that needs traefik: rancher (add --cascade to include it)" \
  "reset names the dependents it left alone"
run_gw -i inv.yaml --state-dir st2 reset metallb --cascade
expect_rc 0 "reset metallb --cascade"
expect_in "$WORK/out" "forgot rancher" "reset --cascade forgets the stages needing metallb"
expect_not_in "$WORK/out" "forgot storage-class" "and nothing else"
N=$(sim_calls)
run_gw -i inv.yaml --state-dir st2 apply
expect_rc 0 "apply after reset --cascade"
check "the reset stages ran again" test "$(applied_since "$N")" = "adguard metallb rancher traefik "

run_gw -i inv.yaml --state-dir st2 apply --cascade
expect_rc 2 "--cascade without --force"
run_gw -i inv.yaml __complete options reset
expect_in "$WORK/out" "--cascade" "completion offers --cascade"

# ---- bad forEach ----------------------------------------------------------------------------------
cat >stages/loop.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: loop}
spec:
  steps:
    - name: ping
      forEach: "${inventory.hosts}"
      kubectl: {args: [get, node, "${item.adress}"]}
YAML
run_gw -i inv.yaml --state-dir st2 validate
expect_rc 2 "an unknown item field"
expect_in "$WORK/err" "stages/loop.yaml:8:36: error: unknown item field '\${item.adress}'" "located at file:line:col"
expect_in "$WORK/err" "(did you mean 'item.address'?)" "with a did-you-mean"
sed -i 's/inventory.hosts/inventory.talos.node/' stages/loop.yaml
run_gw -i inv.yaml --state-dir st2 plan
expect_rc 2 "an unknown list"
expect_in "$WORK/err" "stages/loop.yaml:7:17: error: forEach takes an inventory list" "located"
expect_in "$WORK/err" "(did you mean '\${inventory.talos.nodes}'?)" "with a did-you-mean"

# ---- the bootstrap node: by default the first controlplane of spec.talos.nodes -------------------
# (talos_bootstrap_node defaults to ${inventory.talos.bootstrap}; an inventory value wins.)
nodes_inventory boot.yaml w1:127.0.0.21:worker cp2:127.0.0.12:controlplane cp3:127.0.0.13:controlplane
check "the shipped sim inventory no longer sets talos_bootstrap_node" \
  bash -c "! grep -q '^ *talos_bootstrap_node:' '$ROOT/inventories/sim.yaml'"
run_gw -i boot.yaml --state-dir st-boot plan talos
expect_rc 0 "plan without talos_bootstrap_node"
expect_in "$WORK/out" "--nodes 127.0.0.12 bootstrap" "etcd is bootstrapped on the first controlplane (a worker comes first)"
expect_in "$WORK/out" "--nodes 127.0.0.12 health" "health runs on it"
expect_in "$WORK/out" "--endpoints 127.0.0.12 --nodes 127.0.0.12 version" "the wait gate probes it"
expect_not_in "$WORK/out" "--nodes 127.0.0.21 bootstrap" "not on the worker"
sed -i 's/^  vars:$/  vars:\n    talos_bootstrap_node: 127.0.0.13/' boot.yaml
run_gw -i boot.yaml --state-dir st-boot plan talos
expect_rc 0 "plan with talos_bootstrap_node set"
expect_in "$WORK/out" "--nodes 127.0.0.13 bootstrap" "the inventory's var wins"
expect_not_in "$WORK/out" "--nodes 127.0.0.12 bootstrap" "the default is not used then"
sed -i 's/^    talos_bootstrap_node: 127.0.0.13$/    talos_bootstrap_node: cp3/' boot.yaml
run_gw -i boot.yaml --state-dir st-boot validate
expect_rc 2 "an override is still typed"
expect_in "$WORK/err" "var 'talos_bootstrap_node' = 'cp3' is not an IP address" "the override is checked as an ip"
nodes_inventory workers.yaml w1:127.0.0.21:worker w2:127.0.0.22:worker
run_gw -i workers.yaml --state-dir st-boot validate
expect_rc 2 "talos on, no controlplane node"
check "the error names file:line:col, the default and why" grep -qE \
  "^workers\.yaml:[0-9]+:[0-9]+: error: var 'talos_bootstrap_node' is not set: its default '\\\$\{inventory\.talos\.bootstrap\}' \(stage talos, .*00-talos\.yaml:[0-9]+:[0-9]+\) has no value: inventory 'sim' has no controlplane node in spec\.talos\.nodes" "$WORK/err"
check "nothing written" test ! -e st-boot
grep -q "^  talos:" "$ROOT/inventories/k3s.yaml" && fail "k3s.yaml is meant to have no spec.talos"
run_gw -i "$ROOT/inventories/k3s.yaml" --state-dir st-boot validate
expect_rc 0 "the talos stage off (k3s, no spec.talos): no controlplane needed"

# A default is literal, or exactly one ${inventory.X}: anything else is an error where it is written.
mkdir -p dflt/stages
sim_inventory dflt/inv.yaml dflt
cat >dflt/stages/d.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: d}
spec:
  vars:
    a: {type: string, default: "${vars.b}"}
    c: {type: string, default: "${inventory.kubecnofig}"}
    e: {type: string, default: "${inventory.name}"}
  steps:
    - name: s
      run: {argv: [/bin/echo, "${vars.a}", "${vars.c}", "${vars.e}"]}
YAML
run_gw -i dflt/inv.yaml --state-dir st-dflt validate
expect_rc 2 "a default with another reference"
expect_in "$WORK/err" "d.yaml:6:33: error: var 'a': default '\${vars.b}': a default is literal text, or exactly one \${inventory.FIELD}" "a var reference in a default, located"
expect_in "$WORK/err" "d.yaml:7:33: error: var 'c': default '\${inventory.kubecnofig}': unknown reference" "an unknown inventory field in a default, located"
sed -i -e '/^    a:/d' -e '/^    c:/d' -e 's/"\${vars.a}", "\${vars.c}", //' dflt/stages/d.yaml
run_gw -i dflt/inv.yaml --state-dir st-dflt plan
expect_rc 0 "a default \${inventory.name}"
expect_in "$WORK/out" "/bin/echo dflt" "renders the inventory's name"

finish
