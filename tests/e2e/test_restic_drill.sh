#!/usr/bin/env bash
# The shipped restic-restore playbook against real restic repositories (Debian's restic 0.14, no
# fakes): the test creates a repository, backs up two folders laid out like K8up's (one snapshot
# per PVC folder), changes a file after the backup, then drills: the drill passes, its reports
# show RTO and RPO, the changed file is reported as different (a failure only with strict=true),
# the password is nowhere in argv, the state folder, the reports or the plan. A failing check
# command, a bad manifest, a garbled and a deleted pack file fail the drill, and cleanup still
# removes the scratch folder, after Ctrl-C too. Restore mode (--yes) restores into a target path,
# and resumes after a failed verification without restoring again. Then the same
# drill over sftp to a throwaway OpenSSH sshd on loopback (restic's sftp backend runs `ssh`, given
# port, identity and known_hosts through the sftp_command param).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
command -v restic >/dev/null || { fail "restic is not installed (scripts/install-deps.sh installs it)"; finish; exit 1; }
at_exit stop_all_sshd

PW="gw-e2e-restic-$$-$RANDOM-correct-horse"
printf '%s\n' "$PW" >pw
chmod 600 pw
cp pw pw-pattern  # grep -f reads the password from a file: never on grep's own command line
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/home/.cache"  # restic's default cache, ssh's ~
mkdir -p "$HOME"
r() { RESTIC_PASSWORD_FILE="$WORK/pw" restic -q "$@"; }  # the test's own restic calls

# Two PVC-like folders under live/ (K8up backs up each folder of /data as its own snapshot).
mkdir -p live/pvc-a/notes live/pvc-a/db live/pvc-b
echo hello >live/pvc-a/notes/hello.txt
echo "setting=1" >live/pvc-a/config.txt
head -c 300000 /dev/urandom >live/pvc-a/db/data.bin
ln -s notes/hello.txt live/pvc-a/link
(cd live/pvc-a && sha256sum notes/hello.txt config.txt db/data.bin >SHA256SUMS)
echo other >live/pvc-b/other.txt
r init -r repo >/dev/null || fail "restic init"
r -r repo backup --host e2e --tag daily "$WORK/live/pvc-a" >/dev/null || fail "backup pvc-a"
sleep 1
r -r repo backup --host e2e --tag daily "$WORK/live/pvc-b" >/dev/null || fail "backup pvc-b"
echo "setting=2" >live/pvc-a/config.txt  # changed after the backup
SNAP_A=$(r -r repo snapshots --json --path "$WORK/live/pvc-a" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
SNAP_B=$(r -r repo snapshots --json --path "$WORK/live/pvc-b" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
TIME_A=$(r -r repo snapshots --json "$SNAP_A" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["time"][:19])')

cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: restic-e2e}
spec:
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
  secrets:
    restic_password: {file: ./pw}
YAML
mkdir -p stages
SCRATCH="$WORK/scratch/restic-restic-e2e-drill"
# drill ARGS…: the restic-restore drill of repo/ with a scratch folder and reports in reports/.
drill() {
  run_gw -i inv.yaml drill restic-restore --report-dir "$WORK/reports" --param scratch="$WORK/scratch" "$@"
}
latest_json() { ls -t "$WORK"/reports/restic-restore-*.json | head -1; }
# no_password WHAT PATH…: the password appears in none of these files.
no_password() {
  local what="$1"; shift
  if grep -rlaF -f "$WORK/pw-pattern" "$@" >"$WORK/pw-hits" 2>/dev/null; then
    fail "the password is in $what: $(tr '\n' ' ' <"$WORK/pw-hits")"
  else pass; fi
}

# ---- a passing drill, watched for the password on any process's command line ----
rm -f argv-hits stop-scan
(
  while [ ! -e "$WORK/stop-scan" ]; do
    for f in /proc/[0-9]*/cmdline; do
      grep -qaF -f "$WORK/pw-pattern" "$f" 2>/dev/null && tr '\0' ' ' <"$f" >>"$WORK/argv-hits" && echo >>"$WORK/argv-hits"
    done
    sleep 0.02
  done
) &
SCAN_PID=$!
drill --param repository="$WORK/repo" --param host=e2e --param path="$WORK/live/pvc-a" --param tag=daily \
  --param live="$WORK/live/pvc-a" --param check_command='test "$(cat notes/hello.txt)" = hello && test -L link && test -z "${RESTIC_PASSWORD:-}"'
touch stop-scan
wait "$SCAN_PID"
expect_rc 0 "restic drill of a local repository"
check "no process had the password on its command line" test ! -s argv-hits
J=$(latest_json)
check "drill report: passed, RTO, RPO, the changed file" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r.get('reason')
names = [s['name'] for s in r['steps']]
assert names == ['prepare', 'snapshot', 'check', 'restore', 'files', 'manifest', 'check-command', 'compare-live', 'scratch'], names
assert all(s['status'] == 'passed' for s in r['steps']), r['steps']
assert r['rto']['measuredMs'] > 0 and r['rto']['met'], r['rto']
assert r['rpo']['backupTime'] == '$TIME_A' + 'Z', (r['rpo'], '$TIME_A')
assert 0 <= r['rpo']['measuredMs'] < 600000 and r['rpo']['met'], r['rpo']
out = {s['name']: s.get('output', {}).get('value', '') for s in r['steps']}
assert out['compare-live'].startswith('1 differ: config.txt;'), out
assert out['files'].startswith('4 files (') and '4 under $WORK/scratch' in out['files'] , out
assert out['manifest'] == '3 checksum(s) of 1 manifest(s) match', out
assert r['params']['password'] == '<secret:restic_password>', r['params']"
MD=${J%.json}.md
expect_in "$MD" "differences: 1 differ: config.txt" "the Markdown report lists the changed file"
expect_in "$MD" "| RTO |" "the Markdown report has the RTO"
expect_in "$MD" "| RPO (backup $TIME_A" "the Markdown report has the RPO and the backup's time"
expect_in "${J%.json}.junit.xml" "differences: 1 differ: config.txt" "the JUnit report lists it too"
LOGS=$(ls -td .groundwork/restic-e2e/runs/*/logs | head -1)
expect_in "$LOGS/restic-restore%3Averify.compare-live.log" "differs: config.txt" "the step log lists the changed file"
expect_in "$LOGS/restic-restore%3Asteps.snapshot.log" "using ${SNAP_A:0:8}" "the path filter chose pvc-a's snapshot, not the newer pvc-b"
expect_in "$LOGS/restic-restore%3Asteps.check.log" "read 5.0% of data packs" "check read a subset of the data"
expect_in "$LOGS/restic-restore%3Asteps.restore.log" "finished verifying" "restore --verify re-read the files"
check "scratch deleted" test ! -e "$SCRATCH"
no_password "the state folder, the reports or the output" .groundwork reports out err
run_gw -i inv.yaml plan --playbook restic-restore --param repository="$WORK/repo"
expect_rc 0 "plan of the playbook"
expect_in "$WORK/out" "RESTIC_PASSWORD=<secret:restic_password>" "the plan shows the password as a placeholder"
no_password "the plan" out err

# ---- strict: the changed file fails the drill ----
drill --param repository="$WORK/repo" --param path="$WORK/live/pvc-a" --param live="$WORK/live/pvc-a" --param strict=true
expect_rc 1 "strict: a file changed after the backup fails the drill"
check "strict report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
assert r['status'] == 'failed'
s = {s['name']: s for s in r['steps']}
assert s['compare-live']['status'] == 'failed' and 'config.txt' in s['compare-live']['message'], s['compare-live']
assert s['scratch']['status'] == 'passed'"
check "scratch deleted after strict" test ! -e "$SCRATCH"

# ---- a given snapshot id (pvc-b), a failing check command ----
drill --param repository="$WORK/repo" --param snapshot="${SNAP_B:0:8}" --param check_command='test -f other.txt && test -f missing.txt'
expect_rc 1 "a failing check command fails the drill"
check "check-command report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
s = {s['name']: s for s in r['steps']}
assert s['files']['status'] == 'passed' and '1 under $WORK/scratch/restic-restic-e2e-drill/restore$WORK/live/pvc-b' in s['files']['output']['value'], s['files']
assert s['check-command']['status'] == 'failed', s['check-command']
assert 'compare-live' not in s and s['scratch']['status'] == 'passed', s  # verify stops at its first failure"
check "scratch deleted after a failing check command" test ! -e "$SCRATCH"

# ---- Ctrl-C during verification: exit 130, cleanup still removes the restored copy ----
start_gw -i inv.yaml drill restic-restore --report-dir "$WORK/reports" --param scratch="$WORK/scratch" \
  --param repository="$WORK/repo" --param path="$WORK/live/pvc-a" --param check_command="touch $WORK/cc-started; sleep 60"
check "the check command started" wait_until 60 test -e "$WORK/cc-started"
check "the restored copy exists during the drill" test -f "$SCRATCH/restore$WORK/live/pvc-a/config.txt"
kill -INT "$BG_PID"
wait_gw 60
expect_rc 130 "an interrupted drill"
check "scratch deleted after Ctrl-C" test ! -e "$SCRATCH"
check "interrupted report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
assert r['status'] == 'failed' and r['interrupted'], r
st = {s['name']: s['status'] for s in r['steps']}
assert st['check-command'] == 'interrupted' and st['scratch'] == 'passed', st"

# ---- a manifest given on this machine that does not match ----
(cd live/pvc-a && sha256sum notes/hello.txt config.txt >"$WORK/now.sums")  # config.txt changed since
drill --param repository="$WORK/repo" --param path="$WORK/live/pvc-a" --param manifest="$WORK/now.sums"
expect_rc 1 "a manifest that does not match fails the drill"
LOGS=$(ls -td .groundwork/restic-e2e/runs/*/logs | head -1)
expect_in "$LOGS/restic-restore%3Averify.manifest.log" "checksum differs: config.txt" "names the file"

# ---- corrupted repositories: a garbled pack, a deleted pack ----
for how in garble delete; do
  rm -rf bad && cp -a repo bad && chmod -R u+w bad
  pack=$(find bad/data -type f -size +100k | head -1)
  if [ -z "$pack" ]; then fail "no big pack file in the repository"; continue; fi
  if [ $how = garble ]; then
    printf 'garbled-by-the-test-garbled-by-the-test' | dd of="$pack" bs=1 seek=$(($(stat -c %s "$pack") / 2)) conv=notrunc status=none
  else
    rm -f "$pack"
  fi
  drill --param repository="$WORK/bad" --param path="$WORK/live/pvc-a"
  expect_rc 1 "a repository with a ${how}d pack fails the drill"
  check "${how}d pack report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
assert r['status'] == 'failed'
failed = [s['name'] for s in r['steps'] if s['status'] == 'failed']
assert failed and failed[0] in ('check', 'restore', 'files'), r['steps']
assert r['steps'][-1]['name'] == 'scratch' and r['steps'][-1]['status'] == 'passed', r['steps']
assert r['rto']['measuredMs'] is None"
  check "scratch deleted after a ${how}d pack" test ! -e "$SCRATCH"
done

# ---- restore mode: into a target path, with --yes ----
run_gw -i inv.yaml restore restic-restore --report-dir "$WORK/reports" --param repository="$WORK/repo" \
  --param path="$WORK/live/pvc-a" --param target="$WORK/target" --param scratch="$WORK/scratch" </dev/null
expect_rc 2 "restore without --yes and no terminal refuses"
check "nothing restored without --yes" test ! -e "$WORK/target"
# A restore whose verify fails (min_files=100), then the same restore resumed: the snapshot, the
# check and the restore are done (journaled; the chosen snapshot kept in the work folder), only
# the verification runs again.
restore_a() {
  run_gw -i inv.yaml restore restic-restore --yes --report-dir "$WORK/reports" --param repository="$WORK/repo" \
    --param path="$WORK/live/pvc-a" --param target="$WORK/target" --param scratch="$WORK/scratch" "$@"
}
restore_a --param min_files=100
expect_rc 1 "a restore whose files check fails"
expect_in "$WORK/err" "fewer than min_files=100" "says why"
restore_a --param min_files=1
expect_rc 0 "the restore resumed with --yes"
check "resumed restore report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
st = {s['name']: s['status'] for s in r['steps']}
assert [st[n] for n in ('prepare', 'snapshot', 'check', 'restore')] == ['done'] * 4, st
assert st['files'] == 'passed', st"
T="$WORK/target$WORK/live/pvc-a"
check "the backed-up config.txt is restored (not the live one)" grep -qx "setting=1" "$T/config.txt"
check "the other files are restored" cmp -s "$T/db/data.bin" live/pvc-a/db/data.bin
check "restore report" python3 -c "
import json; r=json.load(open('$(latest_json)'))
assert r['mode'] == 'restore' and r['status'] == 'passed', r.get('reason')
assert [s['name'] for s in r['steps']] == ['prepare', 'snapshot', 'check', 'restore', 'files', 'manifest', 'check-command', 'compare-live'], r['steps']
assert r['rpo']['met'] and r['rpo']['backupTime'] == '$TIME_A' + 'Z', r['rpo']"
no_password "the state folder or the reports after a restore" .groundwork reports out err

# ---- the same drill over sftp, to a throwaway sshd on loopback ----
start_sshd sftpd
ssh-keygen -q -t ed25519 -N '' -C restic-e2e -f "$WORK/client_key"
cat "$WORK/client_key.pub" >>"$WORK/sftpd/authorized_keys"
known_host sftpd >"$WORK/known_hosts"
SFTP="ssh -F /dev/null -p $SSHD_PORT -i $WORK/client_key -o UserKnownHostsFile=$WORK/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes $(id -un)@127.0.0.1 -s sftp"
drill --param repository="sftp:$(id -un)@127.0.0.1:$WORK/repo" --param sftp_command="$SFTP" \
  --param path="$WORK/live/pvc-a" --param live="$WORK/live/pvc-a"
expect_rc 0 "restic drill over sftp"
J=$(latest_json)
check "sftp drill report" python3 -c "
import json; r=json.load(open('$J'))
assert r['status'] == 'passed', r.get('reason')
out = {s['name']: s.get('output', {}).get('value', '') for s in r['steps']}
assert out['compare-live'].startswith('1 differ: config.txt;'), out
assert r['rpo']['met'] and r['rto']['met']"
sftp_sessions() { [ "$(grep -c "Starting session: subsystem 'sftp'" "$WORK/sftpd/sshd.log")" -ge 4 ]; }
check "restic read the repository over sftp (snapshots, check, restore, ls)" sftp_sessions
check "scratch deleted after the sftp drill" test ! -e "$SCRATCH"
no_password "the state folder or the reports after the sftp drill" .groundwork reports out err "$WORK/sftpd/sshd.log"
finish
