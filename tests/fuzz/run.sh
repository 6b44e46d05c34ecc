#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target of BUILD_DIR for SECONDS each, on a working copy of its
# seed corpus (new inputs stay in BUILD_DIR/corpus, the seeds in the tree are not touched).
# Crashing inputs go to BUILD_DIR/artifacts/<target>/; exits 1 when any target found one.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET…]
set -uo pipefail
BUILD="$1"
SECONDS_EACH="${2:-60}"
shift 2 || true
HERE="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml_loader yaml_differential template duration journal)
results="$BUILD/fuzz-results.txt"
: >"$results"
failed=()
for t in "${targets[@]}"; do
  bin="$BUILD/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is not built (make fuzz builds it)" >&2
    exit 2
  fi
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art"
  dict=()
  case "$t" in yaml_*) dict=(-dict="$HERE/yaml.dict") ;; esac
  echo "== fuzz $t for ${SECONDS_EACH}s"
  log="$BUILD/fuzz-$t.log"
  "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" "$work" "$HERE/corpus/$t" \
    >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  corpus=$(find "$work" -type f | wc -l)
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    echo "FAIL: fuzz $t (exit $rc): $(ls "$art" | head -3 | tr '\n' ' ')" | tee -a "$results"
    grep -m1 -B2 -A30 -E 'ERROR: |runtime error|fuzz target' "$log" | head -40
  fi
  echo "$t: ${execs:-?} executions in ${SECONDS_EACH}s (${secs:-?}/s), ${cov:-cov: ?}, corpus $corpus, exit $rc" |
    tee -a "$results"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in $BUILD/artifacts/; logs $BUILD/fuzz-*.log)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
