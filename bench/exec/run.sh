#!/usr/bin/env bash
# Executor benchmark: a chain of N steps that each run `true`, executed by groundwork and by ninja
# on the same machine in the same run; compares the median wall times.
#
#   bash bench/exec/run.sh BINARY [N]        (N defaults to 1000)
#
# Shapes (all generated into a temporary folder, removed on exit):
#   chain   groundwork: N stages s0000..s(N-1), each with one `run` step (argv [/bin/true]),
#           stage i `needs` stage i-1: every step goes through the scheduler.
#   stage   groundwork: 1 stage with N `run` steps (argv [/bin/true]), run in order.
#   once    (optional) as chain, but every step is `once: true`, whose journal records groundwork
#           must fsync before it goes on (a once step may not run twice): the synchronous path.
#   ninja   build.ninja: N edges, `command = true`, edge i's input is edge i-1's output
#           (outputs are never created: each edge runs `true` once and ninja records it in
#           .ninja_log, as groundwork records each step in its journal).
# Both tools run with `-j 1` and fresh state every time (groundwork: a new --state-dir; ninja: no
# .ninja_log). groundwork fsyncs its journal and writes one log file per step; ninja does neither.
#
# Environment: RUNS (default 5: runs of each, alternating), LIMIT (default 1.5: the allowed ratio
# groundwork median / ninja median), SHAPES (default "chain stage": which groundwork shapes to
# measure, each held to LIMIT; add "once" for the synchronous-journal variant).
# Exits 0 when every ratio is at most LIMIT, 1 when one exceeds it, 2 on usage errors or when a
# tool fails or does not run all N steps.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: bash bench/exec/run.sh BINARY [N]" >&2
  exit 2
fi
bin=$1
n=${2:-1000}
if [ ! -x "$bin" ]; then
  echo "bench/exec: '$bin' is not an executable (build it first: cmake --build build)" >&2
  exit 2
fi
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench/exec: N must be a positive integer, not '$n'" >&2
  exit 2
fi
ninja=$(command -v ninja || command -v ninja-build || true)
if [ -z "$ninja" ]; then
  echo "bench/exec: ninja not found (Debian package ninja-build)" >&2
  exit 2
fi
runs=${RUNS:-5}
limit=${LIMIT:-1.5}
shapes=${SHAPES:-chain stage}

work=$(mktemp -d "${TMPDIR:-/tmp}/groundwork-exec-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"  # groundwork runs its steps in its working folder

# --- workload ---------------------------------------------------------------------------------
width=${#n}
name() { printf 's%0*d' "$width" "$1"; }

write_inventory() {  # FILE STAGES_DIR
  cat >"$1" <<EOF
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: bench}
spec:
  stages: [$2]
EOF
}

mkdir -p "$work/chain" "$work/once" "$work/stage" "$work/ninja"
write_inventory "$work/chain.yaml" ./chain
write_inventory "$work/once.yaml" ./once
write_inventory "$work/stage.yaml" ./stage
write_chain() {  # DIR EXTRA_STEP_KEYS
  local prev="" i s
  for ((i = 0; i < n; i++)); do
    s=$(name "$i")
    {
      printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: %s}\nspec:\n' "$s"
      if [ -n "$prev" ]; then printf '  needs: [%s]\n' "$prev"; fi
      printf '  steps:\n    - {name: t, run: {argv: [/bin/true]}%s}\n' "$2"
    } >"$1/$s.yaml"
    prev=$s
  done
}
write_chain "$work/chain" ""
case " $shapes " in *" once "*) write_chain "$work/once" ", once: true" ;; esac
{
  printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: one}\nspec:\n  steps:\n'
  for ((i = 0; i < n; i++)); do printf '    - {name: %s, run: {argv: [/bin/true]}}\n' "$(name "$i")"; done
} >"$work/stage/one.yaml"
{
  printf 'rule r\n  command = true\n'
  prev=""
  for ((i = 0; i < n; i++)); do
    s=$(name "$i")
    if [ -n "$prev" ]; then printf 'build %s: r %s\n' "$s" "$prev"; else printf 'build %s: r\n' "$s"; fi
    prev=$s
  done
  printf 'default %s\n' "$prev"
} >"$work/ninja/build.ninja"

for shape in $shapes; do
  case "$shape" in
    chain | stage | once) ;;
    *) echo "bench/exec: unknown shape '$shape' (chain, stage, once)" >&2; exit 2 ;;
  esac
  if ! "$bin" -i "$work/$shape.yaml" validate >"$work/out" 2>&1; then
    echo "bench/exec: the generated '$shape' workload does not validate:" >&2
    cat "$work/out" >&2
    exit 2
  fi
done

# --- measuring --------------------------------------------------------------------------------
# Runs "$@" once (in $work), timed; sets m_wall and m_cpu (user + system of it and its children, s).
measure() {
  local t TIMEFORMAT='%3R %3U %3S' rc=0
  t=$( { time "$@" >"$work/out" 2>"$work/err"; } 2>&1 ) || rc=$?
  if [ "$rc" != 0 ]; then
    echo "bench/exec: '$*' failed (exit $rc):" >&2
    tail -n 20 "$work/err" "$work/out" >&2
    exit 2
  fi
  read -r m_wall m_cpu <<<"$(awk '{printf "%s %.3f", $1, $2 + $3}' <<<"$t")"
}

run_ninja() {
  rm -f "$work/ninja/.ninja_log" "$work/ninja/.ninja_deps"
  measure "$ninja" -C "$work/ninja" -j 1
  local done
  done=$(grep -vc '^#' "$work/ninja/.ninja_log" || true)
  if [ "$done" != "$n" ]; then
    echo "bench/exec: ninja recorded $done edges, not $n" >&2
    exit 2
  fi
}

# Each run gets a new state folder, kept until the end: deleting 1,000 step logs just before the
# next run would slow its file creation on ext4 without a journal (recently freed inodes are
# skipped one by one, see README.md), a cost of the benchmark, not of groundwork.
run_groundwork() {  # SHAPE RUN
  local state="$work/state-$1-$2" done
  measure "$bin" -i "$work/$1.yaml" --state-dir "$state" apply -j 1
  done=$(grep -c '"t":"step_end"' "$state/bench/journal.jsonl" || true)
  if [ "$done" != "$n" ]; then
    echo "bench/exec: groundwork ($1) journaled $done step ends, not $n" >&2
    exit 2
  fi
}

median() {
  sort -g | awk '{v[NR] = $1} END {
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# What the file system charges here for what groundwork does per step and ninja does not
# (informational): one fdatasync'd journal append, and the creation of one (log) file. Both vary
# with the machine and its recent history (see README.md).
probe=(n/a n/a)
if command -v python3 >/dev/null; then
  read -r -a probe <<<"$(python3 - "$work/probe" <<'EOF'
import os, sys, time
d = sys.argv[1]
os.mkdir(d)
fd = os.open(d + "/journal", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
line = b'{"t":"step_end","stage":"s0000","step":"t","key":"' + b"0" * 64 + b'"}\n'
t = time.perf_counter()
for _ in range(200):
    os.write(fd, line)
    os.fdatasync(fd)
sync_ms = (time.perf_counter() - t) / 200 * 1000
os.close(fd)
t = time.perf_counter()
for i in range(200):
    os.close(os.open("%s/%d.log" % (d, i), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
create_ms = (time.perf_counter() - t) / 200 * 1000
print("%.2f %.2f" % (sync_ms, create_ms))
EOF
)"
fi

declare -A walls cpus
labels=(ninja)
for shape in $shapes; do labels+=("groundwork-$shape"); done
for ((r = 0; r < runs; r++)); do
  for label in "${labels[@]}"; do
    if [ "$label" = ninja ]; then run_ninja; else run_groundwork "${label#groundwork-}" "$r"; fi
    walls[$label]+="$m_wall "
    cpus[$label]+="$m_cpu "
  done
done

echo "bench/exec: a chain of $n steps running 'true', -j 1, $runs runs each (alternating);" \
  "$(nproc) CPUs; here an fdatasync'd append costs ${probe[0]} ms, a file creation ${probe[1]} ms"
printf '%-18s %10s %10s %10s %14s %8s\n' tool "min s" "median s" "max s" "median cpu s" ratio
ninja_med=$(tr ' ' '\n' <<<"${walls[ninja]}" | grep . | median)
failed=0
for label in "${labels[@]}"; do
  w=$(tr ' ' '\n' <<<"${walls[$label]}" | grep . | sort -g)
  min=$(head -n1 <<<"$w")
  max=$(tail -n1 <<<"$w")
  med=$(median <<<"$w")
  cpu=$(tr ' ' '\n' <<<"${cpus[$label]}" | grep . | median)
  ratio=$(awk -v a="$med" -v b="$ninja_med" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
  printf '%-18s %10s %10s %10s %14s %8s\n' "$label" "$min" "$med" "$max" "$cpu" "${ratio}x"
  if [ "$label" != ninja ] && awk -v x="$ratio" -v l="$limit" 'BEGIN {exit !(x > l)}'; then
    echo "bench/exec: $label: ${ratio}x ninja's wall time exceeds ${limit}x" >&2
    failed=1
  fi
done
if [ "$failed" = 1 ]; then
  echo "bench/exec: FAILED (limit: ${limit}x ninja's median wall time)" >&2
  exit 1
fi
echo "bench/exec: passed (limit: ${limit}x ninja's median wall time)"
