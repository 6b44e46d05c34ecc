#!/usr/bin/env bash
# make demo: bootstraps the platform on the bundled SIMULATED cluster (tests/sim), then shows the
# plan and status. Nothing here touches a real cluster or any address outside 127.0.0.0/8.
set -euo pipefail
GW="${1:-build/groundwork}"
cd "$(dirname "$0")/.."
DEMO_DIR="${DEMO_DIR:-build/demo}"
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
export GROUNDWORK_SIM_STATE="$PWD/$DEMO_DIR/sim-cluster"
# The sim inventory's secrets come from the environment; these are demo values, not secrets.
export ADGUARD_PASSWORD_HASH='$2y$10$simulated.hash.for.the.demo.only'
export RANCHER_BOOTSTRAP_PASSWORD=demo-bootstrap-password
export CLOUDFLARE_API_TOKEN=unused-in-the-sim
INV=inventories/sim.yaml
STATE="$DEMO_DIR/state"

echo "== SIMULATION: the cluster, its tools and its DNS/HTTPS answers are fakes from tests/sim =="
echo
echo "== groundwork validate"
"$GW" -i "$INV" --state-dir "$STATE" validate
echo
echo "== groundwork plan (nothing runs)"
"$GW" -i "$INV" --state-dir "$STATE" plan --no-color >"$DEMO_DIR/plan.txt"
head -n 30 "$DEMO_DIR/plan.txt"
echo "   ... (the whole plan: $DEMO_DIR/plan.txt)"
echo
netsim_started=0
export GROUNDWORK_SIM_TALOS=127.0.0.11  # the sim inventory's Talos endpoint (apid, port 50000)
if tests/sim/netsim.py start; then
  netsim_started=1
  trap 'tests/sim/netsim.py stop >/dev/null 2>&1 || true' EXIT
else
  echo "demo: the sim's DNS/HTTPS responder could not start (ports 53/443 need root);"
  echo "      the adguard/traefik network gates will fail without it."
fi
echo
echo "== groundwork doctor (read-only: tools, API server, Talos endpoint)"
if ! "$GW" -i "$INV" --state-dir "$STATE" doctor; then
  echo "demo: doctor found problems (above); the bootstrap below shows what they cause."
fi
echo
echo "== groundwork bootstrap (on the simulated cluster)"
"$GW" -i "$INV" --state-dir "$STATE" bootstrap
echo
echo "== groundwork bootstrap again: every step is checkpointed, nothing runs"
"$GW" -i "$INV" --state-dir "$STATE" bootstrap --quiet
echo
echo "== groundwork status"
"$GW" -i "$INV" --state-dir "$STATE" status
echo
echo "demo: done. State in $STATE, simulated cluster in $GROUNDWORK_SIM_STATE."
