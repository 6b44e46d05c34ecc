#!/usr/bin/env bash
# What a command inherits: no file descriptor groundwork's caller left open, SIGPIPE not ignored,
# its own process group.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages
cat >inv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: hygiene}
spec:
  stages: [./stages]
YAML
cat >stages/s.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: s}
spec:
  steps:
    - name: look
      run: {argv: [/bin/sh, -c, "if [ -e /proc/$$/fd/9 ]; then echo fd9 leaked; else echo fd9 closed; fi; grep SigIgn /proc/$$/status; ps -o pgid= -p $$; echo pid $$"]}
YAML
# The caller ignores SIGPIPE, SIGHUP, SIGUSR1 and a real-time signal, and leaves fd 9 open without
# close-on-exec.
( trap '' PIPE HUP USR1 40; exec 9</etc/hostname; "$GW" -i inv.yaml --state-dir st apply >"$WORK/out" 2>"$WORK/err" ); RC=$?
expect_rc 0 "apply"
LOG=$(ls st/hygiene/runs/*/logs/s.look.log)
expect_in "$LOG" "fd9 closed" "the caller's fd 9 (no close-on-exec) did not reach the command"
expect_in "$LOG" "SigIgn:	0000000000000000" "no signal the caller ignored is ignored in the command"
check "the command leads its own process group" bash -c \
  "pgid=\$(sed -n 4p '$LOG' | tr -d ' '); pid=\$(sed -n 5p '$LOG' | cut -d' ' -f2); [ \"\$pgid\" = \"\$pid\" ]"
finish
