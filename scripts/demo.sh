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
  trap 'tests/sim/netsim.py stop >/dev/null 2>&1 || true' EXIT  # replaced by stop_demo below
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

# ---- ssh: a stage with ssh steps against a throwaway OpenSSH server on 127.0.0.1 ----------------
SSH_DIR="$PWD/$DEMO_DIR/ssh"
sshd_pid=""
stop_demo() {
  if [ -n "$sshd_pid" ]; then kill "$sshd_pid" 2>/dev/null || true; fi
  if [ "$netsim_started" = 1 ]; then tests/sim/netsim.py stop >/dev/null 2>&1 || true; fi
}
trap stop_demo EXIT
echo
echo "== ssh steps against a throwaway OpenSSH server on 127.0.0.1 (its own host key and user key)"
if [ ! -x /usr/sbin/sshd ]; then
  echo "demo: skipping the ssh part: /usr/sbin/sshd is not installed (scripts/install-deps.sh installs openssh-server)."
elif [ "$(id -u)" != 0 ]; then
  echo "demo: skipping the ssh part: a throwaway sshd needs root here (privilege separation)."
else
  mkdir -p "$SSH_DIR/stages" "$SSH_DIR/remote" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C demo-host -f "$SSH_DIR/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C demo-user -f "$SSH_DIR/id_demo"
  cp "$SSH_DIR/id_demo.pub" "$SSH_DIR/authorized_keys"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$SSH_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $SSH_DIR/host_ed25519
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp internal-sftp
CONF
  /usr/sbin/sshd -D -f "$SSH_DIR/sshd_config" -E "$SSH_DIR/sshd.log" </dev/null >/dev/null 2>&1 &
  sshd_pid=$!
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  cat >"$SSH_DIR/inventory.yaml" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: ssh-demo}
spec:
  stages: [./stages]
  hosts:
    box: {address: 127.0.0.1, port: $port, user: $(id -un), identity: ./id_demo,
          knownHosts: ./known_hosts, hostKeyPolicy: accept-new}
  vars: {remote_dir: "$SSH_DIR/remote", note: "it's quoted; \$(not run)"}
YAML
  echo "demo note: copied to the host by the ssh-demo stage" >"$SSH_DIR/stages/note.txt"
  cat >"$SSH_DIR/stages/ssh-demo.yaml" <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: ssh-demo, description: ssh steps and a gate on a throwaway sshd}
spec:
  steps:
    - name: uname
      ssh: {host: box, command: "uname -sr; echo ${vars.note}"}
      capture: {name: kernel, regex: '^(\S+ \S+)'}
    - name: upload
      ssh: {host: box, upload: {src: note.txt, dest: "${vars.remote_dir}/note.txt", mode: "0640"}}
    - name: download
      ssh: {host: box, download: {src: "${vars.remote_dir}/note.txt", dest: ../fetched/note.txt}}
  gates:
    - {name: note-there, ssh: {host: box, command: "test -s ${vars.remote_dir}/note.txt"}}
YAML
  SSH_INV="$SSH_DIR/inventory.yaml"
  "$GW" -i "$SSH_INV" --state-dir "$STATE" plan --no-color | sed -n '3,9p'
  echo "-- apply (accept-new records the server's key in $SSH_DIR/known_hosts)"
  "$GW" -i "$SSH_INV" --state-dir "$STATE" apply
  echo "-- doctor: the host is reachable, its key known, the key accepted"
  "$GW" -i "$SSH_INV" --state-dir "$STATE" doctor
  echo "-- the step log of 'uname':"
  sed 's/^/   | /' "$(ls -d "$STATE"/ssh-demo/runs/*/logs | tail -1)/ssh-demo.uname.log"
  cmp -s "$SSH_DIR/stages/note.txt" "$SSH_DIR/fetched/note.txt" && echo "demo: uploaded and downloaded copies are identical"
fi
echo
echo "== a restore drill against a real etcd on 127.0.0.1 (playbooks/etcd-restore.yaml)"
bash scripts/demo-etcd-drill.sh "$GW" "$DEMO_DIR/etcd"
echo
echo "demo: done. State in $STATE, simulated cluster in $GROUNDWORK_SIM_STATE."
