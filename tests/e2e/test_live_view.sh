#!/usr/bin/env bash
# The live view under a real terminal emulator (tmux, 120x30, a socket of the test's own): while
# a slow step runs, the screen shows a header with [done/total] and one line for the step with an
# elapsed time that grows between two captures; finished steps and a retry's warning scroll up as
# single lines above it; lines are cut to the width, also after a resize; with history the header
# has an ETA; at the end the block is gone and the summary is there (also after a failure, whose
# step is one FAILED line). Under TERM=dumb and CI=true the same run prints
# plain lines with no escape sequence at all.
source "$(dirname "$0")/lib.sh"
require tmux
cd "$WORK"

TMUX_SOCK="$WORK/tmux.sock"
tm() { tmux -S "$TMUX_SOCK" "$@"; }
at_exit 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null'

sim_inventory inv.yaml live
mkdir -p stages/manifests
stage() {  # stage NAME NEEDS
  configmap "stages/manifests/$1.yaml" "$1"
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1}
spec:
  needs: $2
  tools: [kubectl]
  steps:
    - name: apply
      kubectl: {apply: [manifests/$1.yaml]}
      retry: {attempts: 2, delay: 1s}
    - name: check
      run: {argv: ["true"]}
YAML
}
stage first "[]"
stage slow "[first]"
stage quick "[first]"
stage last "[slow, quick]"

# in_terminal NAME ENV...: runs apply in a fresh 120x30 tmux window with ENV (VAR=VALUE), its raw
# output (escape sequences included) recorded in NAME.raw; the pane stays after the run ends, with
# "RUN-ENDED rc=N" as its last line. State in st-$STATE (default NAME), on a fresh sim; APPLY_ARGS
# are added to apply.
in_terminal() {
  local name="$1"; shift
  new_sim "sim-$name"
  set_faults <<YAML
- {tool: kubectl, match: "slow.yaml", action: slow, seconds: 5}
- {tool: kubectl, match: "quick.yaml", first: 1, action: fail, stderr: "Error: flaky"}
${EXTRA_FAULT:-}
YAML
  {
    printf '#!/usr/bin/env bash\ncd %q\nwhile [ ! -e %q ]; do sleep 0.05; done\n' "$WORK" "$WORK/$name.go"
    printf 'export GROUNDWORK_SIM_STATE=%q\n' "$GROUNDWORK_SIM_STATE"
    printf 'unset CI NO_COLOR\n'
    local kv; for kv in "$@"; do printf 'export %q\n' "$kv"; done
    printf '%q -i inv.yaml --state-dir %q apply -j 2 %s\n' "$GW" "st-${STATE:-$name}" "${APPLY_ARGS:-}"
    printf 'echo "RUN-ENDED rc=$?"\nsleep 600\n'
  } >"$name.sh"
  tm new-session -d -s "$name" -x 120 -y 30 "bash $WORK/$name.sh"
  tm pipe-pane -t "$name" -o "cat >>$WORK/$name.raw"
  touch "$name.go"
}
screen() { tm capture-pane -p -t "$1"; }
# shows NAME TEXT: the screen of NAME contains TEXT.
shows() { screen "$1" | grep -qF -- "$2"; }
# widest FILE [REGEX]: the most characters on one line (of those matching REGEX).
widest() {
  python3 -c 'import re, sys; print(max([len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if re.search(sys.argv[2], l)] or [0]))' "$1" "${2:-}"
}
# slow_clock NAME: the elapsed seconds on the running slow/apply line of the screen.
slow_clock() { screen "$1" | sed -n 's|^  0:0\([0-9]\) slow/apply  .*|\1|p' | head -1; }

# --- The live view (TERM is tmux's own: "screen" or "tmux-256color").
in_terminal live
check "the slow step shows as running" wait_until 20 shows live " slow/apply  "
screen live >mid1.txt
c1=$(slow_clock live)
sleep 2.2
screen live >mid2.txt
c2=$(slow_clock live)
check "its clock ticks: ${c1:-none}s then ${c2:-none}s" test -n "$c1" -a -n "$c2" -a "${c2:-0}" -gt "${c1:-9}"
check "the header counts [done/total]" grep -qE '^\[[0-9]+/8 [0-9]+:[0-9]{2}\] [0-9]+ running' mid2.txt
check "no ETA before any history" bash -c "! grep -q ' eta ' $WORK/mid2.txt"
check "a running line is cut to the width" grep -qE '^  0:0[0-9] slow/apply  kubectl .{80,}…$' mid2.txt
check "no line of the block wider than the terminal" test "$(widest mid2.txt '^  0:0|running$')" -le 119
check "one header, not torn" test "$(grep -c ' running$' mid2.txt)" -eq 1
check "a finished step scrolled up as one line" grep -qE '^\[[0-9]+/8 [0-9]+:[0-9]{2}\] first/apply passed [0-9.]+s$' mid2.txt
check "a warning printed above the block, as one line" test "$(grep -c '^groundwork: warning: quick/apply: attempt 1 failed' mid2.txt)" -eq 1
check "the warning is above the block" bash -c "grep -n '' $WORK/mid2.txt | awk -F: '/warning: quick.apply/ {w=\$1} / running\$/ {h=\$1} END {exit !(w && h && w < h)}'"
check "the running step is not also a finished line" bash -c "! grep -q 'slow/apply passed' $WORK/mid2.txt"
check "the run ends" wait_until 30 shows live "RUN-ENDED rc="
screen live >end.txt
expect_in end.txt "RUN-ENDED rc=0" "the run passed"
expect_in end.txt "ok after 0:" "the summary's final line"
expect_in end.txt "STAGE" "the summary table"
check "the block is gone at the end" bash -c "! grep -q ' running$' $WORK/end.txt"
for s in first/apply first/check slow/apply slow/check quick/apply quick/check last/apply last/check; do
  check "$s finished once" test "$(grep -cE "^\[[0-9]+/8 [0-9:]+\] $s passed [0-9.]+s$" end.txt)" -eq 1
done
check "slow/apply took the fault's 5s" grep -qE '\] slow/apply passed [5-9]\.[0-9]s$' end.txt
check "the live view draws with escape sequences" grep -q $'\e\\[' live.raw
# The ticker redraws at most 10 times a second and at least every second: over the run's 5-6 s,
# between 5 and 70 headers were drawn.
draws=$(grep -ao ' running' live.raw | wc -l)
check "the block was redrawn $draws times: ticking, not flooding" test "$draws" -ge 5 -a "$draws" -le 70
check "the live view has colours (no NO_COLOR)" grep -q $'\e\\[36m' live.raw

# --- Again with the first run's durations: the header shows the time left.
# With NO_COLOR: the same view, no colour.
STATE=live APPLY_ARGS=--fresh in_terminal again NO_COLOR=1
check "again: the slow step shows as running" wait_until 20 shows again " slow/apply  "
has_eta() { screen again | grep -qE '^\[[0-9]+/8 [0-9]+:[0-9]{2} eta [0-9]+:[0-9]{2}\] [0-9]+ running$'; }
check "with history the header has an ETA" wait_until 4 has_eta
# A narrower window: the next redraw reads the new width.
tm resize-window -t again -x 80 -y 30
# (A burst of finished lines may leave the block to the next tick, 100 ms later: wait for it.)
narrow_block() { sleep 0.3; screen again >narrow.txt; grep -qE '^  0:0[0-9] slow/apply  kubectl .{40,}…$' narrow.txt; }
check "the block is drawn again after the resize" wait_until 3 narrow_block
last_block() { sed -n '/ running$/h; / running$/!H; ${x;p}' "$1" | grep -v '^$'; }
last_block narrow.txt >narrow-block.txt
check "after a resize the newest block's lines fit 80 columns" test "$(widest narrow-block.txt)" -le 79
check "again: the run ends" wait_until 30 shows again "RUN-ENDED rc=0"
check "NO_COLOR: the block is still redrawn in place" grep -q $'\e\\[K' again.raw
check "NO_COLOR: no colour at all" bash -c "! grep -qE \$'\\e\\\\[[0-9;]*m' $WORK/again.raw"

# --- A failure: its line, then the summary with its output, below where the block was.
EXTRA_FAULT='- {tool: kubectl, match: "first.yaml", action: fail, stderr: "Error: sim-boom"}' in_terminal fails
check "failing run ends" wait_until 30 shows fails "RUN-ENDED rc="
screen fails >fails.txt
expect_in fails.txt "RUN-ENDED rc=1" "the failed run exits 1"
check "the failed step is one line" test "$(grep -cE '^\[[0-9]+/8 [0-9:]+\] first/apply FAILED [0-9.]+s: failed after 2 attempts, last: exit 1$' fails.txt)" -eq 1
expect_in fails.txt "FAILED first/apply: failed after 2 attempts" "the summary names the failure"
expect_in fails.txt "quick skipped: blocked: needs first" "what it blocks is one line each"
expect_in fails.txt "Error: sim-boom" "the summary shows its last output"
check "no block left after a failure" bash -c "! grep -q ' running$' $WORK/fails.txt"

# --- Plain lines: TERM=dumb, then CI=true; one line per start and per end, no escape sequence.
for mode in TERM=dumb CI=true; do
  name=plain-${mode%%=*}
  in_terminal "$name" "$mode"
  check "$mode: the run ends" wait_until 30 shows "$name" "RUN-ENDED rc="
  screen "$name" >"$name.txt"
  expect_in "$name.txt" "RUN-ENDED rc=0" "$mode: the run passed"
  expect_in "$name.txt" "slow/apply  kubectl --kubeconfig" "$mode: a start line"
  check "$mode: one line per start" test "$(grep -c 'slow/apply  kubectl' "$name.txt")" -eq 1
  check "$mode: one line per end, with its duration" grep -qE 'slow/apply passed [0-9.]+s' "$name.txt"
  expect_not_in "$name.txt" " running" "$mode: no live block"
  check "$mode: no escape sequence in the output" bash -c "! grep -q \$'\\e' $WORK/$name.raw"
  check "$mode: the raw output was recorded" grep -q "ok after" "$name.raw"
done
finish
