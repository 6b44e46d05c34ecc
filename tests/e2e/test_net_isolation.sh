#!/usr/bin/env bash
# Network isolation of the e2e tests (lib.sh: a network namespace per test). While netsim holds the
# fixed addresses `make demo` uses (127.0.0.200:53, 127.0.0.201:443, 127.0.0.11:50000) in this
# test's namespace — as a running demo does on the machine — two copies of test_platform_sim.sh,
# which binds those same addresses, run at once and both pass; the "demo" netsim is untouched.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

if [ "${GW_E2E_NETNS:-}" != "own:$$" ]; then
  echo "SKIP: no network namespace of its own (needs root, unshare and ip); nothing to prove"
  finish
  exit 0
fi

# The demo's netsim, started as scripts/demo.sh starts it.
export GROUNDWORK_SIM_STATE="$WORK/demo-sim"
mkdir -p "$GROUNDWORK_SIM_STATE"
check "the demo's netsim starts on the fixed ports" env GROUNDWORK_SIM_TALOS=127.0.0.11 tests/sim/netsim.py start
at_exit 'GROUNDWORK_SIM_STATE="$WORK/demo-sim" tests/sim/netsim.py stop >/dev/null 2>&1'
check "127.0.0.200:53 is held here" python3 - <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.bind(("127.0.0.200", 53))
except OSError:
    sys.exit(0)
sys.exit(1)
PY

# Two e2e tests that bind the same addresses, at once.
bash tests/e2e/test_platform_sim.sh "$GW" >"$WORK/a.log" 2>&1 &
a=$!
bash tests/e2e/test_platform_sim.sh "$GW" >"$WORK/b.log" 2>&1 &
b=$!
wait "$a"
rc_a=$?
wait "$b"
rc_b=$?
for x in a b; do
  rc=rc_$x
  if [ "${!rc}" -eq 0 ]; then pass; else
    fail "test_platform_sim.sh copy $x beside the demo's netsim and the other copy: exit ${!rc}"
    sed 's/^/  | /' "$WORK/$x.log" | tail -20 >&2
  fi
done
check "the demo's netsim still runs" env GROUNDWORK_SIM_STATE="$WORK/demo-sim" tests/sim/netsim.py status
finish
