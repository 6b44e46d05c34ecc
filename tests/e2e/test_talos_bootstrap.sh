#!/usr/bin/env bash
# The shipped talos stage from bare metal on the simulated cluster: a node in maintenance mode gets
# its config, etcd is bootstrapped exactly once, the kubeconfig is written; re-runs, even --fresh
# ones, never apply the config again nor bootstrap a second time (the sim, like Talos, would fail
# a second bootstrap with "etcd data directory is not empty").
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# The sim inventory, with absolute paths and its kubeconfig in $WORK (the stage writes it).
sed -e "s|\.\./|$ROOT/|g" -e "s|kubeconfig: $ROOT/tests/sim/kubeconfig|kubeconfig: $WORK/kubeconfig|" \
  "$ROOT/inventories/sim.yaml" >inv.yaml
export ADGUARD_PASSWORD_HASH=e2e-hash RANCHER_BOOTSTRAP_PASSWORD=e2e-password CLOUDFLARE_API_TOKEN=e2e-token

new_sim bare
printf 'readyAfterPolls: 1\nbareMetal: true\n' >"$GROUNDWORK_SIM_STATE/config.yaml"

# talos_calls_since N VERB: how many talosctl calls after the first N ran VERB.
talos_calls_since() {
  sim_calls_since "$1" | python3 -c "
import json, sys
print(sum(1 for l in sys.stdin if (c := json.loads(l))['tool'] == 'talosctl' and '$2' in c['argv']))"
}

run_gw -i inv.yaml --state-dir st apply talos
expect_rc 0 "talos from bare metal"
check "apply-config --insecure ran once" test "$(talos_calls_since 0 apply-config)" -eq 1
check "bootstrap ran once" test "$(talos_calls_since 0 bootstrap)" -eq 1
check "the kubeconfig was written where the inventory says" grep -q "server: https://127.0.0.1:6443" "$WORK/kubeconfig"
check "the namespaces are labelled privileged" bash -c "
  '$SIM_BIN/kubectl' --kubeconfig '$WORK/kubeconfig' --context sim get namespace metallb-system \
    -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}' | grep -qx privileged"

N=$(sim_calls)
run_gw -i inv.yaml --state-dir st apply talos
expect_rc 0 "second apply"
check "second apply made no call" test "$(sim_calls)" -eq "$N"

# --fresh forgets the journal: the skipIfs must see that the node is configured and etcd runs.
run_gw -i inv.yaml --state-dir st apply --fresh talos
expect_rc 0 "apply --fresh on a bootstrapped cluster"
check "--fresh did not apply the config again" test "$(talos_calls_since "$N" apply-config)" -eq 0
check "--fresh did not bootstrap again" test "$(talos_calls_since "$N" bootstrap)" -eq 0
check "--fresh re-checked etcd (the bootstrap skipIf)" bash -c "tail -n +$((N + 1)) '$GROUNDWORK_SIM_STATE/calls.jsonl' | grep -q '\"etcd\", \"status\"'"
expect_in "$WORK/err" "talos" "summary names the stage"

# --force runs a step even though it is checkpointed, but its skipIf still decides: etcd runs, so
# the second bootstrap is still not attempted.
N=$(sim_calls)
run_gw -v -i inv.yaml --state-dir st apply --force talos/bootstrap talos
expect_rc 0 "--force talos/bootstrap on a bootstrapped cluster"
expect_in "$WORK/err" "talos/bootstrap passed: skipIf passed: not run" "the skipIf decided"
check "--force did not bootstrap again" test "$(talos_calls_since "$N" bootstrap)" -eq 0

finish
