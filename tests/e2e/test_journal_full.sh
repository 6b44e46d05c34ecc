#!/usr/bin/env bash
# A failure to persist is a failure (issue 7, item 1): with the state folder on a full file
# system the run stops with exit 1 and says why, a `once` step never starts without its start
# record on disk, the journal stays whole (no torn record merged with the next), and once there is
# room again the next run resumes and runs the `once` step exactly once.
# Runs in a private mount namespace of its own (as root) with a 256 KiB tmpfs as the state folder.
if [ -z "${GW_IN_MOUNT_NS:-}" ]; then
  exec unshare --mount env GW_IN_MOUNT_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir -p stages state
mount -t tmpfs -o size=256k tmpfs state || { echo "cannot mount a tmpfs" >&2; exit 1; }
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: full}
spec:
  stages: [./stages]
YAML
# tmpfs hands out whole pages: records still fit in the journal's last page when the disk is full.
# Twelve steps between the fill and the once step write more than a page of records.
PADS=$(for i in $(seq 12); do printf '    - {name: pad%d, run: {argv: ["true"]}}\n' "$i"; done)
cat >stages/one.yaml <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: one}
spec:
  steps:
    - name: fill
      run: {argv: [sh, -c, "[ -e $WORK/filled ] || { touch $WORK/filled; dd if=/dev/zero of=$WORK/state/filler bs=4k 2>/dev/null; true; }"]}
$PADS
    - name: migrate
      once: true
      run: {argv: [sh, -c, "echo migrate >> $WORK/ran.log"]}
YAML
run_gw -i inv.yaml --state-dir state apply
cp state/full/journal.jsonl journal.after-full; cp "$WORK/err" err.full
expect_rc 1 "a full disk fails the run"
expect_in "$WORK/err" "the journal could not be written" "it says why"
expect_in "$WORK/err" "No space left on device" "with the system's reason"
expect_in "$WORK/err" "cannot write its log" "a step log that cannot be written is reported"
check "the once step did not start" test ! -e ran.log
check "every journal line is a whole record" python3 -c '
import json
for n, line in enumerate(open("journal.after-full"), 1):
    json.loads(line)'
rm -f state/filler
run_gw -i inv.yaml --state-dir state apply
expect_rc 0 "with room again the run resumes"
check "the once step ran once" test "$(wc -l <ran.log)" -eq 1
run_gw -i inv.yaml --state-dir state apply
expect_rc 0 "a third run"
check "and never again" test "$(wc -l <ran.log)" -eq 1
umount state
finish
