# Shared helpers for the end-to-end tests: each test_*.sh sources this, gets the groundwork
# binary as $1, works in a private temp folder, and exits non-zero on the first failed check.
set -uo pipefail
GW="$(realpath "$1")"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d /tmp/gw-e2e.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
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
