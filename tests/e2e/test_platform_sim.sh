#!/usr/bin/env bash
# The whole shipped platform bootstraps on the simulated cluster, every gate answered truthfully by
# the sim (including DNS and HTTPS through tests/sim/netsim.py on 127.0.0.200:53 / 127.0.0.201:443,
# which needs root), and a second bootstrap runs nothing.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ "$(id -u)" -ne 0 ]; then
  fail "this test binds 127.0.0.200:53 and 127.0.0.201:443 for the sim's DNS/HTTPS answers: run it as root"
  finish
  exit 1
fi

export GROUNDWORK_SIM_STATE="$WORK/sim"
export ADGUARD_PASSWORD_HASH='$2y$10$e2e.hash' RANCHER_BOOTSTRAP_PASSWORD=e2e-pw CLOUDFLARE_API_TOKEN=e2e-unused
STATE="$WORK/state"
check "netsim starts" tests/sim/netsim.py start
at_exit 'tests/sim/netsim.py stop >/dev/null 2>&1'

run_gw -i inventories/sim.yaml --state-dir "$STATE" bootstrap
expect_rc 0 "bootstrap of the sim platform"
run_gw -i inventories/sim.yaml --state-dir "$STATE" status --format json
check "every stage done; flux and the steps whose when is false skipped" python3 - "$WORK/out" <<'PY'
import json, sys
stages = {s["name"]: s["status"] for s in json.load(open(sys.argv[1]))["stages"]}
want = {"talos", "storage-class", "metallb", "cert-manager", "adguard", "traefik", "rancher", "argocd", "velero"}
assert all(stages[n] == "done" for n in want), stages
assert stages["flux"] == "skipped", stages
steps = {(s["name"], st["name"]): st["status"] for s in json.load(open(sys.argv[1]))["stages"] for st in s["steps"]}
assert steps[("cert-manager", "issuer-acme")] == "skipped", steps  # issuer: selfsigned
assert steps[("cert-manager", "issuer-selfsigned")] == "done", steps
assert steps[("talos", "apply-config-controlplane.cp1")] == "done", steps  # one step per node
assert not any(st.startswith("apply-config-worker") for s, st in steps if s == "talos"), steps
PY
# The network gates really were asked: netsim logged DNS and HTTPS answers.
expect_in "$GROUNDWORK_SIM_STATE/netsim.log" "rancher.sim.lan" "netsim answered the rancher DNS gate"

before=$(wc -l <"$GROUNDWORK_SIM_STATE/calls.jsonl")
run_gw -i inventories/sim.yaml --state-dir "$STATE" bootstrap
expect_rc 0 "second bootstrap"
after=$(wc -l <"$GROUNDWORK_SIM_STATE/calls.jsonl")
check "second bootstrap ran no command ($before -> $after calls)" test "$before" -eq "$after"

# --- Flux instead of Argo CD: the same cluster and journal, the inventory switched to gitops: flux.
sed -e "s|\.\./|$ROOT/|g" -e "s|^    gitops: argocd|    gitops: flux|" inventories/sim.yaml >"$WORK/inv-flux.yaml"
run_gw -i "$WORK/inv-flux.yaml" --state-dir "$STATE" apply flux
expect_rc 0 "apply flux on the simulated cluster"
check "only flux ran: its needs were done" python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" "$after" "$WORK" <<'PY'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
mutating = [c for c in calls if c["tool"] in ("helm", "talosctl") or
            (c["tool"] == "kubectl" and any(v in c["argv"] for v in ("apply", "delete", "create")))]
assert not mutating, mutating
flux = [c["argv"] for c in calls if c["tool"] == "flux"]
assert ["check", "--pre"] == flux[0][:2], flux
boot = [a for a in flux if a[:2] == ["bootstrap", "git"]]
assert len(boot) == 1, flux
# flux_private_key_file is a path var: ./sim/flux-deploy-key from the inventory's folder ($WORK).
for want in ("--url=https://127.0.0.1/git/sim-fleet.git", "--branch=main", "--path=clusters/sim", "--silent",
             "--private-key-file=" + sys.argv[3] + "/sim/flux-deploy-key"):
    assert want in boot[0], (want, boot[0])
PY
run_gw -i "$WORK/inv-flux.yaml" --state-dir "$STATE" status --format json
check "flux done, argocd now skipped-by-when but still recorded done" python3 - "$WORK/out" <<'PY'
import json, sys
stages = {s["name"]: s["status"] for s in json.load(open(sys.argv[1]))["stages"]}
assert stages["flux"] == "done" and stages["argocd"] == "done", stages
PY
finish
