#!/usr/bin/env bash
# Input bounds and output safety (issue 7): invalid UTF-8 into JSON, RE2 on 10 MB of output,
# special files as input, template size cap, terminal escapes and long lines, exit codes and
# messages for a read-only or full state folder, NUL bytes, missing cwd and program, retry
# backoff, and `status` while a run is going on.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# run_t ARGS…: run_gw under `timeout 20`, so a hang fails the check instead of the whole test.
run_t() {
  timeout 20 "$GW" --no-color "$@" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  if [ "$RC" -eq 124 ]; then fail "groundwork $* hung (killed after 20s)"; fi
}

# all_json FILE WHAT: every line of FILE is a JSON value.
all_json() {
  check "$2" python3 - "$1" <<'PY'
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        json.loads(line)
    except Exception as e:
        sys.exit(f"line {n}: {e}: {line[:200]!r}")
PY
}

# new_project DIR: DIR/inv.yaml (inventory 'hyg', stages in DIR/stages) and an empty DIR/stages.
new_project() {
  mkdir -p "$1/stages"
  cat >"$1/inv.yaml" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: hyg}
spec:
  stages: [./stages]
  vars: {work: "$WORK"}
YAML
}

# stage_file FILE NAME: a stage NAME whose steps come from stdin (already indented by 4).
stage_file() {
  { printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: %s}\nspec:\n  steps:\n' "$2"; cat; } >"$1"
}

# --- Invalid UTF-8 in a captured value: no abort; journal, status and the JSON log stay JSON.
new_project utf8
stage_file utf8/stages/a.yaml a <<'YAML'
    - name: word
      run: {argv: [/bin/sh, -c, "printf 'caf\\351'"]}
      capture: {name: word}
    - name: use
      run: {argv: [/bin/echo, "got ${stages.a.outputs.word}"]}
    - name: fail
      run: {argv: [/bin/sh, -c, "printf 'bad caf\\351 output\\n'; exit 3"]}
YAML
run_t -i utf8/inv.yaml --state-dir utf8/st apply
expect_rc 1 "capture of invalid UTF-8: the run ends normally (the last step fails on purpose)"
expect_in "$WORK/err" "FAILED a/fail: exit 3" "the failing step is reported"
expect_in "$WORK/err" 'bad caf\xe9 output' "the invalid byte is shown escaped"
all_json utf8/st/hyg/journal.jsonl "the journal is JSON lines"
check "the journal keeps the captured value (U+FFFD for the bad byte)" \
  grep -q '"word":"caf\\ufffd"\|"word":"caf�"' utf8/st/hyg/journal.jsonl
run_t -i utf8/inv.yaml --state-dir utf8/st status --format json
expect_rc 0 "status after invalid UTF-8"
check "status is JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out"
run_t -i utf8/inv.yaml --state-dir utf8/st2 --log-format json apply
expect_rc 1 "JSON log run"
all_json "$WORK/err" "--log-format json: every stderr line is JSON"

# --- A non-UTF-8 ${env.X}: plan --format json is whole and valid.
new_project envx
stage_file envx/stages/e.yaml e <<'YAML'
    - name: show
      run: {argv: [/bin/echo, "${env.HYG_BAD}"]}
YAML
HYG_BAD=$'caf\xe9' run_t -i envx/inv.yaml --state-dir envx/st plan --format json
expect_rc 0 "plan json with a non-UTF-8 env var"
check "plan json parses" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
argv = p["stages"][0]["steps"][0]["argv"]
assert argv == ["/bin/echo", "caf\ufffd"], argv' "$WORK/out"
HYG_BAD=$'caf\xe9' run_t -i envx/inv.yaml --state-dir envx/st plan
expect_rc 0 "plan text with a non-UTF-8 env var"
expect_in "$WORK/out" 'caf\xe9' "plan text shows the byte escaped"

# --- 10 MB of output through a capture regex and a command gate (std::regex crashed at 50 KB).
new_project big
stage_file big/stages/b.yaml b <<'YAML'
    - name: out
      run: {argv: [/bin/sh, -c, "head -c 6000000 /dev/zero | tr '\\0' x; echo ' end=42'; head -c 4000000 /dev/zero | tr '\\0' y"]}
      capture: {name: n, regex: '^x*\s*end=(\d+)'}
    - name: gate
      gate:
        command:
          argv: [/bin/sh, -c, "head -c 6000000 /dev/zero | tr '\\0' x; echo ' end=42'; head -c 4000000 /dev/zero | tr '\\0' y"]
          expectOutput: '^x*\s*end=42'
    - name: use
      run: {argv: [/bin/sh, -c, 'test "$0" = 42', "${stages.b.outputs.n}"]}
YAML
run_t -i big/inv.yaml --state-dir big/st apply
expect_rc 0 "10 MB through capture and a gate"
check "captured group 1 of 10 MB" grep -q '"n":"42"' big/st/hyg/journal.jsonl

# --- Regexes are RE2, checked when loading: a bad one is a located error.
new_project re
stage_file re/stages/r.yaml r <<'YAML'
    - name: cap
      run: {argv: [/bin/true]}
      capture: {name: x, regex: '(a'}
    - name: back
      run: {argv: [/bin/true]}
      capture: {name: y, regex: '(a)\1'}
    - name: g
      gate:
        command: {argv: [/bin/true], expectOutput: 'a{2000}'}
YAML
run_t -i re/inv.yaml validate
expect_rc 2 "bad regexes"
expect_in "$WORK/err" "r.yaml:8:34: error: 'regex': invalid regex: missing ): (a" "unclosed group, located"
expect_in "$WORK/err" "r.yaml:11:34: error: 'regex': invalid regex:" "backreference refused, located"
expect_in "$WORK/err" "r.yaml:14:53: error: 'expectOutput': invalid regex:" "expectOutput checked"

# --- Special files as input: exit 2 naming the file, at once.
new_project special
mkfifo special/fifo.yaml
run_t -i special/fifo.yaml validate
expect_rc 2 "FIFO as inventory"
expect_in "$WORK/err" "fifo.yaml: error: cannot read file: a FIFO, not a regular file" "FIFO inventory named"
truncate -s 1G special/sparse.yaml
run_t -i special/sparse.yaml validate
expect_rc 2 "1 GB sparse inventory"
expect_in "$WORK/err" "sparse.yaml: error: cannot read file: larger than 16 MiB (1073741824 bytes)" "sparse inventory named"
mkfifo special/stages/pipe.yaml.in
truncate -s 1G special/stages/huge.yaml.in
stage_file special/stages/m.yaml m <<YAML
    - name: zero
      kubectl: {apply: [/dev/zero]}
    - name: pipe
      kubectl: {apply: [pipe.yaml.in]}
    - name: huge
      kubectl: {apply: [huge.yaml.in]}
YAML
run_t -i special/inv.yaml validate
expect_rc 2 "special files as manifests"
expect_in "$WORK/err" "m.yaml:7:25: error: cannot read file '/dev/zero' (resolved to /dev/zero): a character device, not a regular file" "/dev/zero manifest"
expect_in "$WORK/err" "m.yaml:9:25: error: cannot read file 'pipe.yaml.in'" "FIFO manifest named"
expect_in "$WORK/err" "a FIFO, not a regular file" "FIFO manifest: why"
expect_in "$WORK/err" "m.yaml:11:25: error: cannot read file 'huge.yaml.in'" "sparse manifest named"

# Entries of stages/ named *.yaml that are not regular files are reported, not skipped.
new_project entries
stage_file entries/stages/ok.yaml ok <<'YAML'
    - name: s
      run: {argv: [/bin/true]}
YAML
ln -s loop-b.yaml entries/stages/loop-a.yaml
ln -s loop-a.yaml entries/stages/loop-b.yaml
ln -s gone.yaml entries/stages/dangling.yaml
mkdir entries/stages/dir.yaml
mkfifo entries/stages/fifo.yaml
run_t -i entries/inv.yaml validate
expect_rc 2 "odd entries in stages/"
expect_in "$WORK/err" "loop-a.yaml: error: cannot read file: a symbolic link loop" "symlink loop named"
expect_in "$WORK/err" "dangling.yaml: error: cannot read file: a dangling symbolic link (to 'gone.yaml'" "dangling symlink named"
expect_in "$WORK/err" "dir.yaml: error: cannot read file: a folder, not a regular file" "folder named"
expect_in "$WORK/err" "fifo.yaml: error: cannot read file: a FIFO, not a regular file" "FIFO named"
expect_not_in "$WORK/err" "internal error" "no internal error"

# A .tmpl that expands a large var many times stops with a located error.
new_project tmpl
python3 - tmpl/inv.yaml <<'PY'
import sys
with open(sys.argv[1], "a") as f:
    f.write("  secrets: {}\n")
text = open(sys.argv[1]).read().replace("vars: {work:", "vars: {big: " + "b" * (1 << 20) + ", work:")
open(sys.argv[1], "w").write(text)
PY
mkdir -p tmpl/stages/manifests
{ echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "data:"; for i in $(seq 1 40); do echo "  k$i: \${vars.big}"; done; } >tmpl/stages/manifests/cm.tmpl.yaml
stage_file tmpl/stages/t.yaml t <<'YAML'
    - name: apply
      kubectl: {apply: [manifests/cm.tmpl.yaml]}
YAML
run_t -i tmpl/inv.yaml validate
expect_rc 2 "template over the size cap"
check "the cap error is located in the template" grep -qE "cm.tmpl.yaml:19:8: error: rendering stops at '\\$\\{vars.big\\}': the text would be larger than 16 MiB" "$WORK/err"

# --- Terminal safety: escapes in a failing step's output and in plan's argv are shown, not sent.
new_project esc
stage_file esc/stages/x.yaml x <<'YAML'
    - name: spill
      run: {argv: [/bin/sh, -c, "printf 'title \\033]0;pwned\\007 clip \\033]52;c;aGk=\\007 clear \\033[2J done\\n'; exit 1"]}
    - name: shown
      run: {argv: [/bin/printf, "\e[2J\e]52;c;aGk=\a"]}
YAML
run_t -i esc/inv.yaml --state-dir esc/st plan
expect_rc 0 "plan with escapes in argv"
check "plan prints no raw ESC or BEL" bash -c "! grep -qP '[\\x07\\x1b]' '$WORK/out'"
expect_in "$WORK/out" '\x1b[2J\x1b]52;c;aGk=\x07' "plan shows argv escapes escaped"
run_t -i esc/inv.yaml --state-dir esc/st apply
expect_rc 1 "failing step with escapes"
check "stderr has no raw ESC or BEL (--no-color)" bash -c "! grep -qP '[\\x07\\x1b]' '$WORK/err'"
expect_in "$WORK/err" 'clip \x1b]52;c;aGk=\x07 clear \x1b[2J done' "the output is shown escaped"

# One 100 MB line is cut, not dumped.
new_project long
stage_file long/stages/l.yaml l <<'YAML'
    - name: flood
      run: {argv: [/bin/sh, -c, "head -c 100000000 /dev/zero | tr '\\0' z; exit 2"]}
YAML
run_t -i long/inv.yaml --state-dir long/st apply
expect_rc 1 "100 MB line"
check "stderr stays small ($(wc -c <"$WORK/err") bytes)" test "$(wc -c <"$WORK/err")" -lt 100000
expect_in "$WORK/err" "bytes]" "the cut is marked"
rm -rf long/st

# --- Exit codes and messages.
# A NUL byte or invalid UTF-8 on line 6 is reported at line 6.
new_project nul
printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: n}\nspec:\n  steps:\n    - {name: s, run: {argv: [a\0b]}}\n' >nul/stages/n.yaml
run_t -i nul/inv.yaml validate
expect_rc 2 "NUL byte"
expect_in "$WORK/err" "n.yaml:6:" "NUL byte reported at line 6"
printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: n}\nspec:\n  steps:\n    - {name: s, run: {argv: [caf\351]}}\n' >nul/stages/n.yaml
run_t -i nul/inv.yaml validate
expect_rc 2 "invalid UTF-8"
expect_in "$WORK/err" "n.yaml:6:" "invalid UTF-8 reported at line 6"

# retry.backoff nan, inf, below 1: located errors.
new_project backoff
stage_file backoff/stages/b.yaml b <<'YAML'
    - name: nan
      run: {argv: [/bin/true]}
      retry: {attempts: 3, backoff: nan}
    - name: inf
      run: {argv: [/bin/true]}
      retry: {attempts: 3, backoff: inf}
    - name: neg
      run: {argv: [/bin/true]}
      retry: {attempts: 3, backoff: -2}
YAML
run_t -i backoff/inv.yaml validate
expect_rc 2 "backoff nan/inf/negative"
expect_in "$WORK/err" "b.yaml:8:37: error: 'backoff' must be a number from 1 to 100, not 'nan'" "nan refused"
expect_in "$WORK/err" "b.yaml:11:37: error: 'backoff' must be a number from 1 to 100, not 'inf'" "inf refused"
expect_in "$WORK/err" "b.yaml:14:37: error: 'backoff' must be a number from 1 to 100, not '-2'" "negative refused"

# A missing cwd is the cwd's fault; a missing absolute program is "no such file".
new_project spawn
stage_file spawn/stages/c.yaml c <<'YAML'
    - name: nocwd
      run: {argv: [/bin/true], cwd: /nonexistent-hyg/dir}
YAML
run_t -i spawn/inv.yaml --state-dir spawn/st apply
expect_rc 1 "missing cwd"
expect_in "$WORK/err" "cwd '/nonexistent-hyg/dir' does not exist" "missing cwd named"
expect_not_in "$WORK/err" "/bin/true: No such file" "the program is not blamed"
stage_file spawn/stages/c.yaml c <<'YAML'
    - name: noprog
      run: {argv: [/nonexistent-hyg/prog]}
YAML
run_t -i spawn/inv.yaml --state-dir spawn/st apply
expect_rc 3 "missing absolute program: preflight"
expect_in "$WORK/err" "/nonexistent-hyg/prog (no such file)" "missing program: no such file"
expect_not_in "$WORK/err" "PATH" "not blamed on PATH"

# status while apply runs: the running step is `running`; after a kill -9, `interrupted`.
new_project live
stage_file live/stages/s.yaml s <<YAML
    - name: mark
      run: {argv: [/bin/touch, "$WORK/live/started"]}
    - name: wait
      run: {argv: [/bin/sleep, "30"]}
YAML
start_gw -i live/inv.yaml --state-dir live/st apply
step_running() {
  timeout 20 "$GW" -i live/inv.yaml --state-dir live/st status --format json >"$WORK/live/status.json" 2>/dev/null &&
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stages"][0]
steps = {x["name"]: x["status"] for x in s["steps"]}
sys.exit(0 if steps.get("wait") == "running" and s["status"] == "running" else 1)' "$WORK/live/status.json"
}
check "status shows the step running during apply" wait_until 15 step_running
kill -KILL "$BG_PID"
wait_gw 10
run_t -i live/inv.yaml --state-dir live/st status --format json
check "after kill -9 the step is interrupted" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stages"][0]
steps = {x["name"]: x["status"] for x in s["steps"]}
assert steps["wait"] == "interrupted", steps' "$WORK/out"

# A state folder that cannot be written: exit 1 with the reason, never 4 ("lock held").
new_project ro
stage_file ro/stages/s.yaml s <<'YAML'
    - name: s
      run: {argv: [/bin/true]}
YAML
run_t -i ro/inv.yaml --state-dir ro/st apply
expect_rc 0 "first run makes the state folder"
if unshare -m true 2>/dev/null; then
  timeout 20 unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' \
    sh "$WORK/ro/st" "$GW" --no-color -i ro/inv.yaml --state-dir ro/st apply >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect_rc 1 "read-only state folder"
  expect_in "$WORK/err" "is not writable" "read-only: says so"
  expect_in "$WORK/err" "Read-only file system" "read-only: errno"
  expect_not_in "$WORK/err" "another run holds the lock" "read-only is not a held lock"
  # Out of inodes: the state is there, the file system has no inode left for the run's logs.
  mkdir -p "$WORK/full"
  timeout 60 unshare -m sh -c '
    mount -t tmpfs -o size=4m,nr_inodes=64 tmpfs "$1" || exit 99
    "$2" --no-color -i ro/inv.yaml --state-dir "$1/st" apply >/dev/null 2>&1 || exit 98
    i=0; while touch "$1/fill$i" 2>/dev/null; do i=$((i + 1)); done
    exec "$2" --no-color -i ro/inv.yaml --state-dir "$1/st" apply' sh "$WORK/full" "$GW" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect_rc 1 "out of inodes"
  expect_in "$WORK/err" "No space left on device" "out of inodes: errno"
  expect_in "$WORK/err" "$WORK/full/st/hyg/runs/" "out of inodes: names the folder"
  expect_not_in "$WORK/err" "internal error" "out of inodes is not an internal error"
else
  echo "SKIP: no mount namespace (unshare -m): read-only and full state folder not tested" >&2
fi
printf 'x' >ro/afile
run_t -i ro/inv.yaml --state-dir ro/afile apply
expect_rc 1 "state folder that is a file"
expect_in "$WORK/err" "cannot create state folder" "a file where the state folder goes"

finish
