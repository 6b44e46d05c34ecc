#!/usr/bin/env bash
# Orphans and crashed runs (issue 7): groundwork killed with SIGKILL while a step's grandchild
# runs; the next apply never starts that step beside it — it waits (with a message), or stops it
# with --kill-stale, or once the step's timeout has run out; a child that daemonizes (setsid),
# even one that clears its environment, is stopped when its step ends. No process is left.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages bin
# Every process of this test runs as $WORK/bin/sleeper, so `pgrep -f` finds them all.
ln -s "$(command -v sleep)" bin/sleeper
SLEEPER="$WORK/bin/sleeper"
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: orphans}
spec:
  stages: [./stages]
  vars: {work: "$WORK"}
YAML
# The first run leaves a grandchild in the background and waits on another; later runs of the
# step only count themselves.
cat >stages/crash.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: crash}
spec:
  steps:
    - name: hang
      run:
        argv: [/bin/sh, -c, 'echo run >> ${vars.work}/crash.runs; [ "$(wc -l < ${vars.work}/crash.runs)" -gt 1 ] && exit 0; ${vars.work}/bin/sleeper 1000 & echo $! > ${vars.work}/crash.gc; ${vars.work}/bin/sleeper 1001']
YAML
cat >stages/bounded.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: bounded}
spec:
  steps:
    - name: hang
      timeout: 4s
      run:
        argv: [/bin/sh, -c, 'echo run >> ${vars.work}/bounded.runs; [ "$(wc -l < ${vars.work}/bounded.runs)" -gt 1 ] && exit 0; ${vars.work}/bin/sleeper 1000 & echo $! > ${vars.work}/bounded.gc; ${vars.work}/bin/sleeper 1001']
YAML
cat >stages/daemon.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: daemon}
spec:
  steps:
    # A daemon in a session of its own, its output detached.
    - name: detached
      run: {argv: [/bin/sh, -c, 'setsid ${vars.work}/bin/sleeper 1002 >/dev/null 2>&1 </dev/null & echo $! > ${vars.work}/daemon1.pid']}
    # One that keeps the step's stdout open.
    - name: holding
      run: {argv: [/bin/sh, -c, 'setsid ${vars.work}/bin/sleeper 1003 & echo $! > ${vars.work}/daemon2.pid']}
    # One that also clears its environment (no token): an orphan nobody can attribute.
    - name: anonymous
      run: {argv: [/bin/sh, -c, 'env -i setsid ${vars.work}/bin/sleeper 1004 >/dev/null 2>&1 </dev/null & echo $! > ${vars.work}/daemon3.pid']}
    - name: after
      run: {argv: [/bin/sh, -c, 'echo after > ${vars.work}/daemon.after']}
YAML
# Orphans come back to groundwork (a child subreaper), and those that exit are reaped while the
# step still runs. $PPID is groundwork.
cat >stages/reaper.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: reaper}
spec:
  steps:
    - name: orphans
      run:
        argv:
          - /bin/sh
          - -c
          - |
            (${vars.work}/bin/sleeper 1005 & echo $! > ${vars.work}/reaper.orphan)
            for i in 1 2 3 4 5; do (true &); done
            sleep 2.5
            echo "parent $(cut -d' ' -f4 /proc/$(cat ${vars.work}/reaper.orphan)/stat) groundwork $PPID" > ${vars.work}/reaper.parent
            z=0; for f in /proc/[0-9]*/stat; do set -- $(cat $f 2>/dev/null); [ "$4" = "$PPID" ] && [ "$3" = Z ] && z=$((z + 1)); done
            echo "zombies $z" > ${vars.work}/reaper.zombies
YAML

# --- kill -9 while the step's grandchild runs.
start_gw -i inv.yaml --state-dir st apply crash
if wait_until 15 test -s crash.gc; then pass; else fail "the crash step did not start"; fi
GC=$(cat crash.gc)
kill -KILL "$BG_PID"
{ wait "$BG_PID"; } 2>/dev/null
check "the grandchild $GC outlived the killed groundwork" alive "$GC"
check "the run recorded its process group" bash -c "ls st/orphans/runs/*/groups >/dev/null 2>&1"

# The next apply waits for it and does not start the step.
start_gw -i inv.yaml --state-dir st apply crash
waiting() { grep -q "of a crashed run still running" "$WORK/bg.err"; }
if wait_until 15 waiting; then pass; else fail "no message about the crashed run's processes"; sed 's/^/  | /' "$WORK/bg.err" >&2; fi
expect_in "$WORK/bg.err" "step crash.hang of run" "the message names the step"
expect_in "$WORK/bg.err" "--kill-stale" "the message names --kill-stale"
sleep 1.5
check "the step did not start again while its grandchild lives" test "$(wc -l <crash.runs)" -eq 1
check "the grandchild $GC is still running" alive "$GC"
check "the waiting run is still waiting" alive "$BG_PID"
kill -INT "$BG_PID"
wait_gw 20
expect_rc 130 "interrupted while waiting"
expect_in "$WORK/bg.err" "nothing was run" "interrupted wait: nothing was run"
check "the step never ran beside the grandchild" test "$(wc -l <crash.runs)" -eq 1

# --kill-stale stops it and runs the step.
run_gw -i inv.yaml --state-dir st apply --kill-stale crash
expect_rc 0 "apply --kill-stale"
expect_in "$WORK/err" "--kill-stale: stopping them" "--kill-stale says what it stops"
check "the grandchild $GC is gone" gone "$GC"
check "the step ran once more, after the grandchild was stopped" test "$(wc -l <crash.runs)" -eq 2
check "the dead run's records are swept" bash -c "! ls st/orphans/runs/*/groups >/dev/null 2>&1"

# --- Without --kill-stale the wait ends when the step's timeout (4s) has run out.
start_gw -i inv.yaml --state-dir st apply bounded
if wait_until 15 test -s bounded.gc; then pass; else fail "the bounded step did not start"; fi
GC=$(cat bounded.gc)
kill -KILL "$BG_PID"
{ wait "$BG_PID"; } 2>/dev/null
check "the bounded grandchild $GC outlived groundwork" alive "$GC"
run_gw -i inv.yaml --state-dir st apply bounded
expect_rc 0 "apply after the bounded step's timeout ran out"
expect_in "$WORK/err" "its timeout (4s) has run out" "the wait says the timeout ran out"
check "the bounded grandchild $GC is gone" gone "$GC"
check "the bounded step ran again only after that" test "$(wc -l <bounded.runs)" -eq 2

# --- Daemonizing children are stopped when their step ends.
T0=$(date +%s%N)
run_gw -i inv.yaml --state-dir st apply daemon
ELAPSED_MS=$((($(date +%s%N) - T0) / 1000000))
expect_rc 0 "apply with daemonizing steps"
check "a daemon holding stdout does not hold the run (${ELAPSED_MS}ms)" test "$ELAPSED_MS" -lt 20000
for n in 1 2 3; do
  P=$(cat "daemon$n.pid" 2>/dev/null)
  check "daemon $n was started" test -n "$P"
  check "daemon $n ($P) is gone" gone "$P"
done
check "the step after the daemons ran" test -s daemon.after

# --- Orphans are reparented to groundwork and reaped.
run_gw -i inv.yaml --state-dir st apply reaper
expect_rc 0 "apply reaper"
check "an orphan's parent is groundwork ($(cat reaper.parent 2>/dev/null))" \
  python3 -c "w = open('$WORK/reaper.parent').read().split(); assert w[1] == w[3], w"
check "exited orphans were reaped while the step ran ($(cat reaper.zombies 2>/dev/null))" \
  grep -qx "zombies 0" reaper.zombies
check "the orphan $(cat reaper.orphan) is gone" gone "$(cat reaper.orphan)"

check "no process of the test is left" kill_leftovers "$SLEEPER"
finish
