#!/usr/bin/env bash
# The fault matrix (issue 7): each step kind (run, kubectl, helm, a kube gate, a command gate) ×
# each fault (non-zero exit, hang past the timeout, killed by a signal, a flood of output, invalid
# UTF-8 with terminal escapes, a daemonizing child, a missing program, permission denied). For every
# cell: exit 1 with a clear message (a missing or non-executable program: exit 3 before anything
# runs, as SPEC §2 says for preflight), no process of the cell left, a journal of whole records that
# calls the step failed, and — the fault removed — the next apply runs the step and succeeds.
# Faults of the run as a whole (full disk, unwritable state, lock held, SIGHUP, closed stdout,
# kill -9) have their own tests: test_journal_full, test_hygiene, test_lock_journal,
# test_signals, test_orphans, test_kill_resume.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p bin
printf '#!/bin/sh\necho not executable\n' >bin/noexec.sh   # deliberately not chmod +x
# Invalid UTF-8, an OSC 52 clipboard write and a clear-screen, then failure (unless fixed).
cat >bin/garbage.sh <<'SH'
[ -e "$1/fixed" ] && exit 0
printf 'caf\351 \033]52;c;QUJD\007 \033[2J\n'
exit 1
SH

# cell KIND FAULT: runs one cell in $WORK/KIND-FAULT.
cell() {
  local kind="$1" fault="$2" dir="$WORK/$1-$2" marker="gwfm-$1-$2"
  mkdir -p "$dir/stages/manifests"
  export GROUNDWORK_SIM_STATE="$dir/sim"
  mkdir -p "$GROUNDWORK_SIM_STATE"
  printf 'readyAfterPolls: 1\n' >"$GROUNDWORK_SIM_STATE/config.yaml"
  sim_inventory "$dir/inv.yaml" fm
  configmap "$dir/stages/manifests/cm.yaml" "cm-$kind-$fault"
  local body="" sim_fault="" want=""
  case "$kind" in
    run)
      local cmd
      case "$fault" in
        exit) cmd="echo out; exit 3"; want="exit 3" ;;
        hang) cmd="sleep 1000"; want="timed out after 1s" ;;
        signal) cmd="kill -9 \$\$"; want="killed by signal 9" ;;
        flood) cmd="yes flood-line | head -n 300000; exit 1"; want="exit 1" ;;
        garbage) body="run: {argv: [sh, $WORK/bin/garbage.sh, $dir, $marker]}"; want="exit 1" ;;
        daemon) cmd="setsid sleep 1000 & exit 1"; want="exit 1" ;;
        missing) body="run: {argv: [/nonexistent/prog-$marker]}"; want="/nonexistent/prog-$marker" ;;
        denied) body="run: {argv: [$WORK/bin/noexec.sh]}"; want="noexec.sh" ;;
      esac
      [ -n "$body" ] || body="run: {argv: [sh, -c, \"[ -e $dir/fixed ] && exit 0; $cmd\", $marker]}"
      ;;
    kubectl | helm | kubegate | cmdgate)
      case "$kind" in
        kubectl) body="kubectl: {apply: [manifests/cm.yaml]}"; sim_fault="{tool: kubectl, match: apply" ;;
        helm) body="helm: {release: mlb, chart: metallb, repo: https://metallb.github.io/metallb, version: 0.15.2, namespace: metallb-system, createNamespace: true}"
              sim_fault="{tool: helm, match: upgrade" ;;
        kubegate) body="gate: {exists: {resource: namespace/default}, interval: 100ms}"; sim_fault="{tool: kubectl, match: get" ;;
        cmdgate) body="gate: {command: {argv: [$SIM_BIN/kubectl, version, --client]}, interval: 100ms}"; sim_fault="{tool: kubectl, match: version" ;;
      esac
      case "$fault" in
        exit) sim_fault="$sim_fault, action: fail, exit: 2, stderr: \"Error: $marker\"}"; want="exit 2" ;;
        hang) sim_fault="$sim_fault, action: hang}"; want="1s" ;;
        signal) sim_fault="$sim_fault, action: signal, signal: 9}"; want="signal 9" ;;
        flood) sim_fault="$sim_fault, action: flood, lines: 200000}, $sim_fault, action: fail}"; want="exit 1" ;;
        daemon) sim_fault="$sim_fault, action: spawn-and-hang}"; want="1s" ;;
      esac
      printf -- '- %s\n' "$sim_fault" | sed 's/}, {/}\n- {/' >"$GROUNDWORK_SIM_STATE/faults.yaml"
      case "$kind" in kubegate | cmdgate) want="${want/exit 2/exit 2}" ;; esac
      ;;
  esac
  cat >"$dir/stages/s.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: s}
spec:
  steps:
    - name: step
      timeout: 1s
      $body
YAML
  ( cd "$dir" && "$GW" --no-color -i inv.yaml apply >out 2>err ); local rc=$?
  local what="$kind × $fault" want_rc=1 want_journal=failed
  case "$fault" in missing | denied) want_rc=3 want_journal=none ;; esac
  if [ "$rc" -eq "$want_rc" ]; then pass; else fail "$what: exit $rc, expected $want_rc"; sed 's/^/  | /' "$dir/err" | head -5 >&2; fi
  if grep -qF -- "$want" "$dir/err"; then pass; else fail "$what: '$want' not in the report"; sed 's/^/  | /' "$dir/err" | tail -8 >&2; fi
  if grep -q $'\033' "$dir/err"; then fail "$what: a raw escape reached stderr"; else pass; fi
  if [ "$(wc -c <"$dir/err")" -lt 200000 ]; then pass; else fail "$what: $(wc -c <"$dir/err") bytes on stderr"; fi
  if [ "$fault" = garbage ]; then
    check "$what: the escapes are shown, not obeyed" grep -qF '\x1b]52;c;QUJD' "$dir/err"
  fi
  # No process of the cell is left: nothing groundwork started (GROUNDWORK_STEP in its
  # environment) that belongs to this cell (its sim state, or its marker in argv).
  local left="" p
  for p in $(grep -lsF -- "$dir" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3) $(pgrep -f -- "$marker"); do
    { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -q '^GROUNDWORK_STEP=' && left="$left $p"
  done
  if [ -z "$left" ]; then pass; else
    fail "$what: processes left: $left"; for p in $left; do kill -KILL "$p" 2>/dev/null; done; fi
  if python3 - "$dir/.groundwork/fm/journal.jsonl" "$want_journal" <<'PY'
import json, os, sys
st = "none"
if os.path.exists(sys.argv[1]):
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get("stage") == "s" and r.get("step") == "step" and r.get("t") == "step_end":
            st = r["status"]
assert st == sys.argv[2], st
PY
  then pass; else fail "$what: the journal does not say the step failed"; fi
  # The fault removed, the next run is right.
  rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"; touch "$dir/fixed"
  case "$fault" in missing | denied) sed -i "s|\[/nonexistent/prog-$marker\]|[\"true\"]|; s|\[$WORK/bin/noexec.sh\]|[\"true\"]|" "$dir/stages/s.yaml" ;; esac
  ( cd "$dir" && "$GW" --no-color -i inv.yaml apply >out2 2>err2 ); rc=$?
  if [ "$rc" -eq 0 ]; then pass; else fail "$what: the next apply exited $rc"; sed 's/^/  | /' "$dir/err2" | tail -5 >&2; fi
}

for f in exit hang signal flood garbage daemon missing denied; do cell run "$f"; done
for k in kubectl helm kubegate cmdgate; do
  for f in exit hang signal flood daemon; do cell "$k" "$f"; done
done
finish
