#!/usr/bin/env bash
# The shipped etcd-restore playbook on the simulated Talos cluster (tests/sim), with a real etcd
# snapshot: the sim's `talosctl etcd snapshot` hands out a snapshot the test took from a real etcd
# (config.yaml etcdSnapshotFile), so the drill's etcdctl checks and restores real data.
# - drill with source talos: `talosctl etcd snapshot` on the node, then the real restore and member;
# - restore refuses while etcd is healthy (no bootstrap is attempted);
# - after the disaster (reset --system-labels-to-wipe=EPHEMERAL: etcd Preparing), restore runs
#   `talosctl bootstrap --recover-from` exactly once, even when groundwork is killed -9 during it
#   and run again; the cluster comes back as the snapshot had it; gates on etcd and nodes after;
# - a failed recovery (fault) fails the restore, and the re-run recovers;
# - a db copied from a data dir needs skip_hash_check (--recover-skip-hash-check).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
start_live_etcd
for k in /registry/namespaces/kube-system /registry/namespaces/default; do
  etcdctl --endpoints "$EP" put "$k" "value of $k" >/dev/null || fail "put $k"
done
etcdctl --endpoints "$EP" snapshot save "$WORK/real.db" >/dev/null 2>&1 || fail "snapshot save"
kill -KILL "$ETCD_PID"

new_sim
printf 'etcdSnapshotFile: %s\n' "$WORK/real.db" >>"$GROUNDWORK_SIM_STATE/config.yaml"
cat >inv.yaml <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: talos-dr}
spec:
  kubernetes: {kubeconfig: $ROOT/tests/sim/kubeconfig, context: sim}
  talos:
    talosconfig: $ROOT/tests/sim/talosconfig
    endpoints: [127.0.0.11]
    nodes: [{name: cp1, address: 127.0.0.11, role: controlplane}]
  tools: {talosctl: $SIM_BIN/talosctl, kubectl: $SIM_BIN/kubectl}
  stages: [./stages]
  playbooks: [$ROOT/playbooks]
YAML
mkdir -p stages
TALOS=("$SIM_BIN/talosctl" --talosconfig "$ROOT/tests/sim/talosconfig" --nodes 127.0.0.11)
# calls VERB…: how many talosctl calls had all these words in their argv.
calls() {
  python3 - "$@" <<'PY'
import json, os, sys
n = 0
for l in open(os.path.join(os.environ["GROUNDWORK_SIM_STATE"], "calls.jsonl")):
    c = json.loads(l)
    if c["tool"] == "talosctl" and all(any(a == w or a.startswith(w + "=") for a in c["argv"]) for w in sys.argv[1:]):
        n += 1
print(n)
PY
}
recover_calls() { calls bootstrap --recover-from; }
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: default}\ndata: {k: v}\n' "$1" | sim_kubectl apply -f - >/dev/null; }
has_cm() { sim_kubectl get configmap "$1" -n default -o name >/dev/null 2>&1; }

# ---- drill, source talos ----
cm before-snapshot
run_gw -i inv.yaml drill etcd-restore --param source=talos --param node=127.0.0.11 --param scratch="$WORK/scratch" \
  --param client_port="$(free_port)" --param peer_port="$(free_port)" --param keys="/registry/namespaces/kube-system /registry/namespaces/default"
expect_rc 0 "drill with a talosctl etcd snapshot"
check "talosctl etcd snapshot ran once" test "$(calls etcd snapshot)" -eq 1
LOGS=$(ls -td .groundwork/talos-dr/runs/*/logs | head -1)
expect_in "$LOGS/etcd-restore%3Asteps.talos-snapshot.log" "etcd snapshot saved to" "talosctl's output in the step log"
expect_in "$LOGS/etcd-restore%3Averify.member.log" "keys present: /registry/namespaces/kube-system /registry/namespaces/default" "the real snapshot restored and served"
check "drill did not bootstrap" test "$(calls bootstrap)" -eq 0
check "scratch deleted" test ! -e "$WORK/scratch/etcd-drill"

# The backup the restore uses: a snapshot of the cluster with configmap before-snapshot; then a
# change after the snapshot, which a restore must roll back.
"${TALOS[@]}" etcd snapshot "$WORK/backup.db" >/dev/null || fail "talosctl etcd snapshot"
cm after-snapshot
restore() {  # restore STATE_DIR ARGS…
  local st="$1"; shift
  run_gw -i inv.yaml --state-dir "$st" restore etcd-restore --yes --param source=file --param platform=talos \
    --param node=127.0.0.11 --param scratch="$WORK/rs" "$@"
}

# ---- refuses while etcd is healthy ----
restore "$WORK/st-refuse" --param snapshot="$WORK/backup.db"
expect_rc 1 "restore over a healthy etcd fails"
expect_in "$WORK/err" "talos-etcd-down" "the etcd-is-lost check failed"
check "no bootstrap was attempted over a healthy etcd" test "$(recover_calls)" -eq 0
check "the cluster is untouched" has_cm after-snapshot

# ---- a restore without --yes from a script refuses before anything runs ----
run_gw -i inv.yaml --state-dir "$WORK/st-noyes" restore etcd-restore --param source=file --param platform=talos \
  --param node=127.0.0.11 --param scratch="$WORK/x" --param snapshot="$WORK/backup.db" </dev/null
expect_rc 2 "restore without --yes"

# ---- restore params that do not fit are refused before anything is touched ----
restore "$WORK/st-badsource" --param source=talos
expect_rc 1 "restore from a fresh talos snapshot is refused"
expect_in "$WORK/err" "a restore takes its snapshot from a backup" "says why"

# ---- the disaster: etcd data wiped on the only control plane ----
"${TALOS[@]}" reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL || fail "reset EPHEMERAL"
check "etcd waits for a bootstrap (Preparing)" bash -c "'${TALOS[0]}' --talosconfig '$ROOT/tests/sim/talosconfig' --nodes 127.0.0.11 service etcd | grep -q 'STATE    Preparing'"

# ---- killed -9 during the bootstrap, and the node did recover: the re-run does not bootstrap again ----
# groundwork's children die with it (PR_SET_PDEATHSIG), so the sim's talosctl never finishes; the
# test then does what a node that got the request before the kill would have done.
set_faults <<'YAML'
- {tool: talosctl, match: "bootstrap --recover-from", action: slow, seconds: 3}
YAML
in_bootstrap() { pgrep -f -- "--recover-from=$WORK/rs/etcd-drill/snapshot.db" >/dev/null; }
not_in_bootstrap() { ! in_bootstrap; }
# kill_in_bootstrap STATE_DIR: a restore, SIGKILLed while its bootstrap runs.
kill_in_bootstrap() {
  start_gw -i inv.yaml --state-dir "$1" restore etcd-restore --yes --param source=file --param platform=talos \
    --param node=127.0.0.11 --param scratch="$WORK/rs" --param snapshot="$WORK/backup.db"
  check "the restore reached the bootstrap" wait_until 60 in_bootstrap
  kill -KILL "$BG_PID"
  wait_gw 10
  check "the bootstrap died with groundwork" wait_until 10 not_in_bootstrap
}
gw_recover_calls() { calls bootstrap "--recover-from=$WORK/rs/etcd-drill/snapshot.db"; }
lacks_cm() { ! has_cm "$1"; }
kill_in_bootstrap "$WORK/st"
set_faults </dev/null
"${TALOS[@]}" bootstrap --recover-from="$WORK/backup.db" || fail "the node's recovery"
restore "$WORK/st" --param snapshot="$WORK/backup.db"
expect_rc 0 "the re-run of the killed restore passes"
check "groundwork did not bootstrap again" test "$(gw_recover_calls)" -eq 0
check "bootstrap --recover-from ran exactly once" test "$(recover_calls)" -eq 1
check "the snapshot's state is back" has_cm before-snapshot
check "what came after the snapshot is gone" lacks_cm after-snapshot
J=$(ls -t "$WORK"/st/talos-dr/reports/etcd-restore-*.json | head -1)
check "restore report" python3 -c "
import json; r=json.load(open('$J'))
assert r['mode'] == 'restore' and r['status'] == 'passed', (r['status'], r.get('reason'))
st = {(s['phase'], s['name']): s['status'] for s in r['steps']}
assert st[('verify', 'talos-etcd-healthy')] == 'passed' and st[('verify', 'talos-nodes-ready')] == 'passed', st
assert st[('steps', 'talos-recover-copied-db')] == 'skipped' and st[('verify', 'member')] == 'skipped', st
assert ('cleanup', 'scratch') not in st, st
rec = [s for s in r['steps'] if s['name'] == 'talos-recover'][0]
assert rec['status'] == 'passed' and rec['attempts'] == 0, rec  # its skipIf (etcd answers) proved it done"
# A restore after a finished one is for a new disaster: it starts over, finds etcd healthy and
# refuses before any bootstrap.
restore "$WORK/st" --param snapshot="$WORK/backup.db"
expect_rc 1 "a restore over the restored, healthy etcd"
expect_in "$WORK/err" "starts from its first step" "a new restore starts over"
expect_in "$WORK/err" "steps/talos-etcd-down" "refused: etcd answers"
check "still one bootstrap" test "$(recover_calls)" -eq 1

# ---- killed -9 during the bootstrap, and nothing happened: never repeated blindly; --force ----
"${TALOS[@]}" reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL || fail "reset EPHEMERAL"
set_faults <<'YAML'
- {tool: talosctl, match: "bootstrap --recover-from", action: slow, seconds: 3}
YAML
kill_in_bootstrap "$WORK/st-b"
set_faults </dev/null
restore "$WORK/st-b" --param snapshot="$WORK/backup.db"
expect_rc 1 "an interrupted once bootstrap whose effect is not proven stops the restore"
expect_in "$WORK/err" "--force etcd-restore:steps/talos-recover" "says how to go on after checking by hand"
check "no second bootstrap was attempted" test "$(gw_recover_calls)" -eq 0
restore "$WORK/st-b" --param snapshot="$WORK/backup.db" --force etcd-restore:steps/talos-recover
expect_rc 0 "with --force after checking by hand"
check "one bootstrap by groundwork" test "$(gw_recover_calls)" -eq 1
restore "$WORK/st-b" --param snapshot="$WORK/backup.db"
expect_rc 1 "run again: a new restore, refused over a healthy etcd"
check "still one bootstrap by groundwork" test "$(gw_recover_calls)" -eq 1

# ---- the recovery fails (fault): the restore fails; the re-run recovers ----
"${TALOS[@]}" reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL || fail "reset EPHEMERAL"
set_faults <<'YAML'
- {tool: talosctl, match: "bootstrap --recover-from", first: 1, action: fail, stderr: "error executing bootstrap: rpc error: code = Unknown desc = failed to recover etcd: simulated failure"}
YAML
restore "$WORK/st2" --param snapshot="$WORK/backup.db"
expect_rc 1 "a failed recovery fails the restore"
expect_in "$WORK/err" "simulated failure" "the failure is shown"
restore "$WORK/st2" --param snapshot="$WORK/backup.db"
expect_rc 0 "after a clean failure the re-run recovers"
check "the failed recovery and the good one" test "$(gw_recover_calls)" -eq 3

# ---- a db copied from a data dir: refused without skip_hash_check ----
"${TALOS[@]}" reset --graceful=false --reboot --system-labels-to-wipe=EPHEMERAL || fail "reset EPHEMERAL"
set_faults </dev/null
cp "$WORK/live/member/snap/db" "$WORK/copied.db"
B=$(recover_calls)
restore "$WORK/st3" --param snapshot="$WORK/copied.db"
expect_rc 1 "a copied db without skip_hash_check"
expect_in "$WORK/err" "snapshot missing hash" "says why"
check "the check failed before a bootstrap was attempted" test "$(recover_calls)" -eq "$B"
restore "$WORK/st4" --param snapshot="$WORK/copied.db" --param skip_hash_check=true
expect_rc 0 "a copied db with skip_hash_check=true"
check "--recover-skip-hash-check was passed" test "$(calls bootstrap --recover-skip-hash-check)" -eq 1
finish
