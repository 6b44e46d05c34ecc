#!/usr/bin/env bash
# The end of `make demo`: a real etcd (Debian's etcd-server) on free 127.0.0.1 ports with a few
# keys, then `groundwork drill etcd-restore` against it (snapshot, check, restore into a throwaway
# member, read the keys back, delete), and where the report is. Standalone:
#   scripts/demo-etcd-drill.sh build/groundwork build/demo/etcd
set -euo pipefail
GW="$(realpath "${1:-build/groundwork}")"
DIR="${2:-build/demo/etcd}"
cd "$(dirname "$0")/.."
ROOT="$PWD"
if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
  echo "demo: skipping the etcd drill: etcd/etcdctl are not installed (scripts/install-deps.sh installs etcd-server and etcd-client)."
  exit 0
fi
rm -rf "$DIR"
mkdir -p "$DIR"
DIR="$(realpath "$DIR")"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
client=$(port) peer=$(port)
ep="http://127.0.0.1:$client"
etcd --name demo --data-dir "$DIR/live" --listen-client-urls "$ep" --advertise-client-urls "$ep" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "demo=http://127.0.0.1:$peer" >"$DIR/live.log" 2>&1 &
etcd_pid=$!
trap 'kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true' EXIT
export ETCDCTL_API=3
for _ in $(seq 100); do
  etcdctl --endpoints "$ep" --dial-timeout 1s endpoint health >/dev/null 2>&1 && break
  sleep 0.1
done
for k in /registry/namespaces/kube-system /registry/namespaces/default /registry/deployments/default/web; do
  etcdctl --endpoints "$ep" put "$k" "demo value of $k" >/dev/null
done
echo "demo: a live etcd on $ep with 3 keys (its data in $DIR/live)"
cat >"$DIR/inventory.yaml" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: etcd-demo}
spec:
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
YAML
mkdir -p "$DIR/stages"
"$GW" -i "$DIR/inventory.yaml" --state-dir "$DIR/state" drill etcd-restore --param endpoint="$ep" --param scratch="$DIR/scratch" \
  --param client_port="$(port)" --param peer_port="$(port)" \
  --param "keys=/registry/namespaces/kube-system /registry/deployments/default/web"
report=$(ls -t "$DIR"/state/etcd-demo/reports/etcd-restore-*.md | head -1)
echo "demo: the drill's report: $report (and .json, .junit.xml next to it)"
sed -n '1,9p' "$report" | sed 's/^/   | /'
