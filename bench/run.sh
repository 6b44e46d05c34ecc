#!/usr/bin/env bash
# Planning benchmark: generates a workload of 10,000 stages / 30,000 needs edges (bench/gen_workload.py),
# then times `validate` and `plan --format json` on it several times.
#
#   bash bench/run.sh BINARY            (make bench runs: bash bench/run.sh build/groundwork)
#
# Environment: RUNS (default 5), STAGES (default 10000), EDGES (default 30000),
# LIMIT_S (default 1) and LIMIT_MB (default 200): the median wall time and the peak RSS allowed.
# Prints min/median wall time, median CPU time (user+sys: steadier than wall time on a busy
# machine; not a limit) and max peak RSS for each verb; exits 1 when a median exceeds
# LIMIT_S or a peak RSS exceeds LIMIT_MB, 2 on usage errors or when the binary fails.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bash bench/run.sh BINARY" >&2
  exit 2
fi
bin=$1
if [ ! -x "$bin" ]; then
  echo "bench: '$bin' is not an executable (build it first: cmake --build build)" >&2
  exit 2
fi
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac

runs=${RUNS:-5}
stages=${STAGES:-10000}
edges=${EDGES:-30000}
limit_s=${LIMIT_S:-1}
limit_mb=${LIMIT_MB:-200}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/groundwork-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_workload.py" "$work" --stages "$stages" --edges "$edges"
inv="$work/inventory.yaml"

have_time=1
if [ ! -x /usr/bin/time ]; then
  have_time=0
  echo "bench: /usr/bin/time not found (Debian package 'time'): timing with bash, peak RSS not measured" >&2
fi

# Runs one measurement of "$@": sets m_wall (s), m_kb (peak RSS, 0 without /usr/bin/time), m_cpu (s).
measure() {
  local out="$work/out" err="$work/err" m="$work/measure" t
  if [ "$have_time" = 1 ]; then
    if ! /usr/bin/time -o "$m" -f '%e %M %U %S' "$@" >"$out" 2>"$err"; then
      echo "bench: '$*' failed:" >&2
      cat "$err" >&2
      exit 2
    fi
    t=$(<"$m")
  else
    local TIMEFORMAT='%R 0 %U %S'
    if ! t=$( { time "$@" >"$out" 2>"$err"; } 2>&1 ); then
      echo "bench: '$*' failed:" >&2
      cat "$err" >&2
      exit 2
    fi
  fi
  read -r m_wall m_kb m_cpu <<<"$(awk '{printf "%s %s %.2f", $1, $2, $3 + $4}' <<<"$t")"
}

# Median of numbers, one a line.
median() {
  sort -g | awk '{v[NR] = $1} END {
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

failed=0
printf '%-9s %5s %10s %10s %12s %12s\n' verb runs "min s" "median s" "median cpu s" "max RSS MB"
bench_verb() {
  local label=$1
  shift
  local times=() cpus=() rss=0 i
  for ((i = 0; i < runs; i++)); do
    measure "$@"
    times+=("$m_wall")
    cpus+=("$m_cpu")
    if [ "$m_kb" -gt "$rss" ]; then rss=$m_kb; fi
  done
  local min med cpu mb
  min=$(printf '%s\n' "${times[@]}" | sort -g | head -n1)
  med=$(printf '%s\n' "${times[@]}" | median)
  cpu=$(printf '%s\n' "${cpus[@]}" | median)
  if [ "$have_time" = 1 ]; then mb=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}'); else mb=n/a; fi
  printf '%-9s %5d %10s %10s %12s %12s\n' "$label" "$runs" "$min" "$med" "$cpu" "$mb"
  if awk -v m="$med" -v l="$limit_s" 'BEGIN {exit !(m > l)}'; then
    echo "bench: $label: median ${med}s exceeds ${limit_s}s" >&2
    failed=1
  fi
  if [ "$have_time" = 1 ] && awk -v m="$mb" -v l="$limit_mb" 'BEGIN {exit !(m > l)}'; then
    echo "bench: $label: peak RSS ${mb} MB exceeds ${limit_mb} MB" >&2
    failed=1
  fi
}

bench_verb validate "$bin" -i "$inv" validate
bench_verb plan "$bin" -i "$inv" plan --format json

if [ "$failed" = 1 ]; then
  echo "bench: FAILED (limits: median ${limit_s}s, peak RSS ${limit_mb} MB; $stages stages, $edges edges)" >&2
  exit 1
fi
echo "bench: passed (limits: median ${limit_s}s, peak RSS ${limit_mb} MB; $stages stages, $edges edges)"
