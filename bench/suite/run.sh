#!/usr/bin/env bash
# The benchmark suite of issue 12: each workload of gen.py run by groundwork and by its peers
# (GNU make, ninja, Ansible, and a bare posix_spawn + waitpid loop in C, the physical floor for one
# process per step), in turns, RUNS times each; prints min/median/max wall times per tool and the
# ratios against the targets (bench/README.md).
#
#   bash bench/suite/run.sh BINARY          (make bench: installs ansible-core, then runs this)
#
# Environment: RUNS (default 3), ANSIBLE_RUNS (default 1: a 100-task playbook takes a while),
# WORKLOADS (default "chain fanout dag longjob done ansible plan"). Exits 1 when a target is
# missed (everything is measured and printed first), 2 when a tool fails or is missing.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: bash bench/suite/run.sh BINARY" >&2
  exit 2
fi
bin=$1
[ -x "$bin" ] || { echo "bench/suite: '$bin' is not an executable (make build)" >&2; exit 2; }
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
runs=${RUNS:-3}
ansible_runs=${ANSIBLE_RUNS:-1}
workloads=${WORKLOADS:-chain fanout dag longjob done ansible plan}
ninja=$(command -v ninja || command -v ninja-build || true)
[ -n "$ninja" ] || { echo "bench/suite: ninja not found (Debian package ninja-build)" >&2; exit 2; }
cc=$(command -v cc || command -v gcc || true)
[ -n "$cc" ] || { echo "bench/suite: no C compiler" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/groundwork-suite.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$cc" -O2 -o "$work/spawnloop" "$here/spawnloop.c"
for w in $workloads; do
  [ "$w" = plan ] || python3 "$here/gen.py" "$w" "$work/$w"
done

# Runs "$@" once, timed; sets m_wall (s). A failure stops the suite.
measure() {
  local t TIMEFORMAT='%3R' rc=0
  t=$( { time "$@" >"$work/out" 2>"$work/err"; } 2>&1 ) || rc=$?
  if [ "$rc" != 0 ]; then
    echo "bench/suite: '$*' failed (exit $rc):" >&2
    tail -n 20 "$work/err" "$work/out" >&2
    exit 2
  fi
  m_wall=$t
}
jobs_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/$1/meta.json" "$2"; }

declare -A walls
record() { walls[$1]+="$m_wall "; }  # KEY (workload/tool)

# Each groundwork run gets a new state folder, kept until the end (bench/README.md, "The machine").
gw_apply() {  # WORKLOAD STATE [ARGS…]
  local w=$1 state=$2
  shift 2
  measure "$bin" -i "$work/$w/inventory.yaml" --state-dir "$state" apply -j "$(jobs_of "$w" jobs)" "$@"
}
run_tool() {  # WORKLOAD TOOL RUN
  local w=$1 tool=$2 r=$3 j
  j=$(jobs_of "$w" jobs)
  case "$tool" in
    groundwork) gw_apply "$w" "$work/state-$w-$r" ;;
    ninja) rm -f "$work/$w/.ninja_log"; measure "$ninja" -C "$work/$w" -j "$j" ;;
    make) measure make -s -C "$work/$w" -j "$j" ;;
    spawn) measure "$work/spawnloop" "$work/$w/commands.txt" ;;
    spawn-durable) measure "$work/spawnloop" "$work/$w/commands.txt" "$work/spawn-journal-$r" ;;
    groundwork-first)  # no history yet
      gw_apply "$w" "$work/state-$w-$r" ;;
    groundwork-second)  # the same state: the first run's durations weigh the stages (it ran first)
      gw_apply "$w" "$work/state-$w-$r" --fresh ;;
    groundwork-done)  # every step already done by an untimed first apply
      "$bin" -i "$work/$w/inventory.yaml" --state-dir "$work/state-$w-$r" apply -j 1 >/dev/null 2>&1
      gw_apply "$w" "$work/state-$w-$r" ;;
    ansible)
      measure env ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
        ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_HOME="$work/ansible-home" \
        ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" ansible-playbook -i localhost, "$work/$w/playbook.yml" ;;
  esac
  record "$w/$tool"
}

tools_of() {
  case "$1" in
    chain) echo "spawn spawn-durable ninja make groundwork" ;;
    fanout) echo "ninja make groundwork" ;;
    dag) echo "spawn ninja make groundwork groundwork-second" ;;  # second: weighted by the first
    longjob) echo "make ninja groundwork-first groundwork-second" ;;
    done) echo "groundwork-done" ;;
    ansible) if command -v ansible-playbook >/dev/null; then echo "groundwork ansible"; else echo groundwork; fi ;;
  esac
}

median() {
  tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {
      if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
stat_of() { tr ' ' '\n' <<<"${walls[$1]}" | grep . | sort -g | awk '{v[NR]=$1} END {print v[1], v[NR]}'; }
med() { median <<<"${walls[$1]}"; }

echo "bench/suite: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%Y-%m-%d %H:%M UTC')"
for w in $workloads; do
  [ "$w" = plan ] && continue
  n=$runs
  [ "$w" = ansible ] && n=$ansible_runs
  for ((r = 0; r < n; r++)); do
    for tool in $(tools_of "$w"); do run_tool "$w" "$tool" "$r"; done
  done
  printf '\n%s (%s steps, -j %s)\n' "$w" "$(jobs_of "$w" steps)" "$(jobs_of "$w" jobs)"
  printf '  %-20s %9s %9s %9s\n' tool "min s" "median s" "max s"
  for tool in $(tools_of "$w"); do
    read -r lo hi <<<"$(stat_of "$w/$tool")"
    printf '  %-20s %9s %9s %9s\n' "$tool" "$lo" "$(med "$w/$tool")" "$hi"
  done
done

plan_med=""
if [[ " $workloads " == *" plan "* ]]; then
  echo
  plan_out=$(RUNS=$runs LIMIT_S=0.5 LIMIT_MB=100 bash "$here/../run.sh" "$bin" 2>&1 || true)
  echo "$plan_out"
  plan_med=$(awk '$1 == "plan" {print $4; exit}' <<<"$plan_out")
  plan_mb=$(awk '$1 == "plan" {print $6; exit}' <<<"$plan_out")
fi

# --- ratios against the targets ---------------------------------------------------------------
missed=0
row() {  # WHAT VALUE TARGET_TEXT OK(0/1)
  local verdict=met
  if [ "$4" = 0 ]; then verdict=MISSED; missed=1; fi
  [ "$4" = - ] && verdict="(reported)"
  printf '  %-52s %14s %26s  %s\n' "$1" "$2" "$3" "$verdict"
}
le() { awk -v a="$1" -v b="$2" 'BEGIN {print (a <= b) ? 1 : 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "targets (ratios of medians measured side by side above)"
printf '  %-52s %14s %26s  %s\n' workload measured target verdict
for w in $workloads; do
  case "$w" in
    chain)
      x=$(ratio "$(med chain/groundwork)" "$(med chain/ninja)")
      row "chain of 1,000 true: groundwork / ninja" "${x}x" "<= 0.75x" "$(le "$x" 0.75)"
      x=$(ratio "$(med chain/groundwork)" "$(med chain/spawn)")
      row "chain of 1,000 true: groundwork / spawn loop" "${x}x" "<= 1.25x" "$(le "$x" 1.25)"
      x=$(ratio "$(med chain/spawn-durable)" "$(med chain/spawn)")
      row "  its floor: spawn loop + 1 fdatasync per step / loop" "${x}x" "" -
      x=$(ratio "$(med chain/groundwork)" "$(med chain/spawn-durable)")
      row "chain of 1,000 true: groundwork / durable spawn loop" "${x}x" "" -
      x=$(ratio "$(med chain/make)" "$(med chain/ninja)")
      row "chain of 1,000 true: make / ninja" "${x}x" "" - ;;
    fanout)
      x=$(ratio "$(med fanout/groundwork)" "$(med fanout/ninja)")
      row "fan-out 1+999 true, -j4: groundwork / ninja" "${x}x" "" - ;;
    dag)
      bound=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(max(m["criticalPathMs"], m["workMs"]/m["jobs"])/1000)' "$work/dag/meta.json")
      x=$(ratio "$(med dag/groundwork-second)" "$bound")
      row "random DAG 200, -j4, second run: gw / max(cp, work/4)" "${x}x" "<= 1.05x (bound ${bound}s)" "$(le "$x" 1.05)"
      x=$(ratio "$(med dag/groundwork-second)" "$(med dag/make)")
      row "random DAG 200, -j4, second run: gw / make -j4" "${x}x" "<= 1.00x" "$(le "$x" 1.00)"
      x=$(ratio "$(med dag/groundwork)" "$bound")
      row "random DAG 200, -j4, first run: gw / max(cp, work/4)" "${x}x" "" -
      # The bound with what each command really takes (its process start and exit, sleep's own
      # overshoot): the spawn loop runs the 200 commands one after the other.
      real=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(max(m["criticalPathMs"]/1000, float(sys.argv[2])/m["jobs"]))' "$work/dag/meta.json" "$(med dag/spawn)")
      x=$(ratio "$(med dag/groundwork-second)" "$real")
      row "  same / max(cp, spawn loop's time / 4)" "${x}x" "(bound ${real}s)" - ;;
    longjob)
      x=$(ratio "$(med longjob/groundwork-second)" 4.5)
      row "long job, -j2, second run: groundwork / 4.5 s" "${x}x" "<= 1.05x" "$(le "$x" 1.05)"
      x=$(ratio "$(med longjob/groundwork-first)" 4.5)
      row "long job, -j2, first run (no history) / 4.5 s" "${x}x" "" -
      x=$(ratio "$(med longjob/make)" 4.5)
      row "long job, -j2: make / 4.5 s" "${x}x" "" - ;;
    done)
      x=$(med done/groundwork-done)
      row "apply, 1,000 steps already done" "${x}s" "<= 0.1 s" "$(le "$x" 0.1)" ;;
    ansible)
      if [ -n "${walls[ansible/ansible]:-}" ]; then
        x=$(ratio "$(med ansible/ansible)" "$(med ansible/groundwork)")
        row "100 steps: ansible-playbook / groundwork" "${x}x" "" -
      else
        row "100 steps: ansible-playbook / groundwork" "n/a" "(ansible-core missing)" -
      fi ;;
    plan)
      if [ -n "$plan_med" ]; then
        row "validate + plan, 10,000 stages / 30,000 edges" "${plan_med}s" "<= 0.5 s" "$(le "$plan_med" 0.5)"
        row "  peak RSS" "${plan_mb} MB" "<= 100 MB" "$(le "$plan_mb" 100)"
      fi ;;
  esac
done
if [ "$missed" = 1 ]; then
  echo "bench/suite: some targets were missed (bench/README.md says why)"
  exit 1
fi
echo "bench/suite: every target met"
