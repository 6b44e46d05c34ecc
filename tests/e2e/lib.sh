# Shared helpers for the end-to-end tests: each test_*.sh sources this, gets the groundwork
# binary as $1, works in a private temp folder, and exits non-zero on the first failed check.
set -uo pipefail

# Each test runs in a network namespace of its own (root and unshare permitting): its loopback and
# ports — the sim's netsim on 127.0.0.200:53 and 127.0.0.201:443 above all — are its own, so
# `ctest -j`, a running `make demo` or anything else on the machine never collide with it
# (tests/e2e/test_net_isolation.sh proves it). The script re-executes itself under
# `unshare --net`; exec keeps the pid, which is how the re-executed script knows it is there (a
# test started by a test has another pid and gets a namespace of its own too).
# GW_E2E_NETNS=host keeps a test in the machine's namespace.
if [ "${GW_E2E_NETNS:-}" != host ] && [ "${GW_E2E_NETNS:-}" != "own:$$" ] &&
  [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  export GW_E2E_NETNS="own:$$"
  exec unshare --net -- "$BASH" "$0" "$@"
fi
if [ "${GW_E2E_NETNS:-}" = "own:$$" ]; then
  ip link set lo up || { echo "FAIL: cannot bring up lo in the test's network namespace" >&2; exit 1; }
fi
GW="$(realpath "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d /tmp/gw-e2e.XXXXXX)"
# at_exit CMD: run CMD (eval'd, last registered first) when the test exits, before $WORK goes
# (kept with GW_E2E_KEEP=1).
AT_EXIT=()
at_exit() { AT_EXIT=("$1" "${AT_EXIT[@]}"); }
run_at_exit() {
  local c
  for c in "${AT_EXIT[@]}"; do eval "$c" || true; done
  if [ -n "${GW_E2E_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap run_at_exit EXIT
PASSED=0
FAILED=0

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
pass() { PASSED=$((PASSED + 1)); }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
  local what="$1"; shift
  if "$@"; then pass; else fail "$what"; fi
}

# run_gw ARGS...: runs groundwork, stdout to $WORK/out, stderr to $WORK/err, status to $RC.
run_gw() {
  "$GW" --no-color "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
}

expect_rc() {
  local want="$1" what="$2"
  if [ "$RC" -eq "$want" ]; then pass; else
    fail "$what: exit $RC, expected $want"; sed 's/^/  stderr: /' "$WORK/err" | head -20 >&2
  fi
}

expect_in() {  # expect_in FILE TEXT WHAT
  if grep -qF -- "$2" "$1"; then pass; else fail "$3: '$2' not in $(basename "$1")"; sed 's/^/  | /' "$1" | head -20 >&2; fi
}

expect_not_in() {
  if grep -qF -- "$2" "$1"; then fail "$3: '$2' found in $1"; else pass; fi
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# ---- Runs on the simulated cluster (tests/sim) ---------------------------------------------------

SIM_BIN="$ROOT/tests/sim/bin"

# new_sim [NAME]: a fresh simulated cluster in $WORK/NAME (default "sim") with readyAfterPolls: 1,
# exported as GROUNDWORK_SIM_STATE.
new_sim() {
  export GROUNDWORK_SIM_STATE="$WORK/${1:-sim}"
  rm -rf "$GROUNDWORK_SIM_STATE"
  mkdir -p "$GROUNDWORK_SIM_STATE"
  printf 'readyAfterPolls: 1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
}

# set_faults: $GROUNDWORK_SIM_STATE/faults.yaml from stdin (tests/sim/README.md, faults.yaml).
set_faults() { cat >"$GROUNDWORK_SIM_STATE/faults.yaml"; }

# sim_inventory FILE NAME [EXTRA]: an inventory on the simulated cluster, with every tool pointing at
# tests/sim/bin (absolute paths), stages from ./stages next to FILE, and vars work ($WORK),
# kubeconfig and context for run steps. EXTRA is appended under spec (indent it by two spaces).
sim_inventory() {
  cat >"$1" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: $2}
spec:
  kubernetes: {kubeconfig: $ROOT/tests/sim/kubeconfig, context: sim}
  tools:
    kubectl: $SIM_BIN/kubectl
    helm: $SIM_BIN/helm
    talosctl: $SIM_BIN/talosctl
    velero: $SIM_BIN/velero
    flux: $SIM_BIN/flux
  stages: [./stages]
  vars:
    work: "$WORK"
    kubeconfig: $ROOT/tests/sim/kubeconfig
    context: sim
${3:-}
YAML
}

# configmap FILE NAME [KEY=VALUE…]: a ConfigMap manifest in namespace default.
configmap() {
  local f="$1" name="$2"; shift 2
  mkdir -p "$(dirname "$f")"
  { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\ndata:\n  stage: "%s"\n' "$name" "$name"
    local kv; for kv in "$@"; do printf '  %s: "%s"\n' "${kv%%=*}" "${kv#*=}"; done; } >"$f"
}

# sim_calls: the number of calls the fakes logged so far.
sim_calls() { if [ -f "$GROUNDWORK_SIM_STATE/calls.jsonl" ]; then wc -l <"$GROUNDWORK_SIM_STATE/calls.jsonl"; else echo 0; fi; }

# sim_calls_since N: the calls logged after the first N, one JSON line each.
sim_calls_since() { tail -n +"$(($1 + 1))" "$GROUNDWORK_SIM_STATE/calls.jsonl" 2>/dev/null; }

# alive PID: the process exists and is not a zombie.
alive() {
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_until SECONDS COMMAND…: polls every 50ms until the command succeeds; false on timeout.
wait_until() {
  local limit=$(($(date +%s%N) + ${1%.*} * 1000000000)); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$limit" ] || return 1
    sleep 0.05
  done
}

# start_gw ARGS…: runs groundwork in the background the way a terminal would (SIGINT and SIGTERM
# at their defaults), stdout to $WORK/bg.out, stderr to $WORK/bg.err; its pid in $BG_PID.
start_gw() {
  env --default-signal=INT,TERM "$GW" --no-color "$@" >"$WORK/bg.out" 2>"$WORK/bg.err" &
  BG_PID=$!
}

# wait_gw [SECONDS]: waits for the background groundwork (default 30s, then SIGKILL); status in $RC.
wait_gw() {
  local limit="${1:-30}"
  if ! wait_until "$limit" bash -c "! kill -0 $BG_PID 2>/dev/null || [ \"\$(awk '{print \$3}' /proc/$BG_PID/stat 2>/dev/null)\" = Z ]"; then
    fail "groundwork (pid $BG_PID) still running after ${limit}s; killing it"
    kill -KILL "$BG_PID" 2>/dev/null
  fi
  { wait "$BG_PID"; } 2>/dev/null
  RC=$?
}

# kill_leftovers PATTERN: SIGKILL processes whose command line contains PATTERN (a path under
# $WORK, so only this test's processes); true when there were none.
kill_leftovers() {
  local pids
  pids=$(pgrep -f -- "$1" | grep -vx "$$" || true)
  [ -z "$pids" ] && return 0
  for p in $pids; do kill -KILL "$p" 2>/dev/null; done
  return 1
}

# sim_kubectl ARGS…: the simulated kubectl on the current GROUNDWORK_SIM_STATE (it logs a call).
sim_kubectl() { "$SIM_BIN/kubectl" --kubeconfig "$ROOT/tests/sim/kubeconfig" --context sim "$@"; }

# gone PID: no such process any more (or only its zombie).
gone() { ! alive "$1"; }

# ---- A throwaway OpenSSH server on loopback (tests/e2e/test_ssh.sh, scripts/demo.sh) -------------

# free_port: a TCP port on 127.0.0.1 nobody listens on right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_sshd NAME [EXTRA_CONFIG_LINE…]: sshd -D on 127.0.0.1 with its own ed25519 host key in
# $WORK/NAME, accepting the keys in $WORK/NAME/authorized_keys for the current user. Sets
# SSHD_PORT and SSHD_PID, and writes $WORK/NAME/port. Its log is $WORK/NAME/sshd.log.
start_sshd() {
  local name="$1"; shift
  local dir="$WORK/$name"
  mkdir -p "$dir" /run/sshd
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$name-host" -f "$dir/host_ed25519"
  touch "$dir/authorized_keys"
  SSHD_PORT=$(free_port)
  cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1:$SSHD_PORT
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
LogLevel DEBUG1
$(printf '%s\n' "$@")
CONF
  /usr/sbin/sshd -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1 &
  SSHD_PID=$!
  disown "$SSHD_PID"  # stopped with SIGKILL by stop_sshd: no job report
  echo "$SSHD_PORT" >"$dir/port"
  echo "$SSHD_PID" >"$dir/pid"
  wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSHD_PORT" 2>/dev/null || fail "sshd $name did not start"
}

# stop_sshd NAME: SIGKILL the server and every session process it started (by pid, no patterns).
stop_sshd() {
  local pid kids
  pid=$(cat "$WORK/$1/pid" 2>/dev/null) || return 0
  kids=$(pgrep -P "$pid" 2>/dev/null || true)
  kill -KILL "$pid" $kids 2>/dev/null
  for k in $kids; do pkill -KILL -P "$k" 2>/dev/null; done
  wait_until 5 gone "$pid"
  rm -f "$WORK/$1/pid"
}

# known_host NAME: the known_hosts line for server NAME.
known_host() { echo "[127.0.0.1]:$(cat "$WORK/$1/port") $(cut -d' ' -f1,2 "$WORK/$1/host_ed25519.pub")"; }

# stop_all_sshd: stop_sshd for every server start_sshd started in $WORK (for an EXIT trap).
stop_all_sshd() { local p; for p in "$WORK"/*/pid; do [ -f "$p" ] && stop_sshd "$(basename "$(dirname "$p")")"; done; }

# require PROGRAM… : fail the test (not skip it) when a program the deps script installs is missing.
require() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null && continue
    fail "$p is not installed (scripts/install-deps.sh installs it)"; finish; exit 1
  done
}

# start_live_etcd: a real etcd member on free loopback ports, stopped when the test exits. Sets EP
# (its client URL) and ETCD_PID; ETCDCTL_API=3 is exported.
start_live_etcd() {
  require etcd etcdctl
  export ETCDCTL_API=3
  local cp pp
  cp=$(free_port); pp=$(free_port)
  EP="http://127.0.0.1:$cp"
  etcd --name live --data-dir "$WORK/live" --listen-client-urls "$EP" --advertise-client-urls "$EP" \
    --listen-peer-urls "http://127.0.0.1:$pp" --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "live=http://127.0.0.1:$pp" >"$WORK/live.log" 2>&1 &
  ETCD_PID=$!
  disown "$ETCD_PID"
  at_exit 'kill -KILL $ETCD_PID 2>/dev/null'
  check "live etcd is up" wait_until 30 etcdctl --endpoints "$EP" --dial-timeout 1s endpoint health >/dev/null 2>&1
}
