#!/usr/bin/env bash
# ssh steps and gates through the real binary against real OpenSSH servers on 127.0.0.1 (their own
# host keys, free ports, this test's user keys): output, exit codes, signals, timeouts, host key
# policies, keys and passphrases, sftp, concurrency, a jump host, a server killed mid-step, doctor.
source "$(dirname "$0")/lib.sh"
at_exit stop_all_sshd
at_exit '[ -n "${SSH_AGENT_PID:-}" ] && kill "$SSH_AGENT_PID" 2>/dev/null'

[ -x /usr/sbin/sshd ] || { echo "SKIP: /usr/sbin/sshd not installed (scripts/install-deps.sh installs openssh-server)"; exit 0; }

ssh-keygen -q -t ed25519 -N '' -C user -f "$WORK/id_user"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$WORK/id_stranger"
ssh-keygen -q -t ed25519 -N 'correct horse' -C locked -f "$WORK/id_locked"
# sudo is not installed here: a stand-in on the sessions' PATH checks what groundwork passes and
# reads its password from stdin, as `sudo -S` does.
mkdir -p "$WORK/bin"
cat >"$WORK/bin/sudo" <<'SH'
#!/bin/sh
[ "$1" = -S ] && [ "$2" = -p ] && [ "$3" = "" ] && [ "$4" = -- ] || { echo "fake sudo: unexpected arguments: $*" >&2; exit 90; }
shift 4
IFS= read -r pw
[ "$pw" = sudo-pw-1234 ] || { echo "fake sudo: wrong password" >&2; exit 91; }
exec "$@"
SH
chmod +x "$WORK/bin/sudo"
start_sshd box "SetEnv PATH=$WORK/bin:/usr/bin:/bin"
BOX=$SSHD_PORT
cat "$WORK/id_user.pub" "$WORK/id_locked.pub" >"$WORK/box/authorized_keys"
BOX_FP=$(ssh-keygen -lf "$WORK/box/host_ed25519.pub" | cut -d' ' -f2)

# inventory DIR [BOX_EXTRA] [MORE_HOSTS]: $DIR/inventory.yaml with host 'box' (BOX_EXTRA: more keys
# of it) and MORE_HOSTS (lines under hosts:); stages in $DIR/stages.
inventory() {
  mkdir -p "$1/stages"
  cat >"$1/inventory.yaml" <<YAML
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: ${1##*/}}
spec:
  stages: [./stages]
  hosts:
    box: {address: 127.0.0.1, port: $BOX, user: root, identity: $WORK/id_user, knownHosts: ./known_hosts${2:+, $2}}
${3:-}
  vars:
    work: "$WORK"
    tricky: "it's a \$(test) & more"
  secrets:
    token: {env: GW_TEST_TOKEN}
    locked_pass: {env: GW_TEST_PASS}
    sudo_pw: {env: GW_TEST_SUDO}
YAML
}

# stage DIR NAME BODY: a stage file whose spec is BODY (indented by two spaces).
stage() {
  printf 'apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: %s}\nspec:\n%s\n' "$2" "$3" >"$1/stages/$2.yaml"
}

export GW_TEST_TOKEN=tok-s3cr3t-value GW_TEST_PASS='correct horse' GW_TEST_SUDO=sudo-pw-1234
cd "$WORK"  # state folders: <case>/.groundwork/<inventory name>, beside each inventory

# ---- success with output, a gate, shell quoting, stdin secrets, sensitive output ---------------
D="$WORK/ok"; inventory "$D"; known_host box >"$D/known_hosts"
stage "$D" hello '  steps:
    - name: greet
      ssh: {host: box, command: "echo hello from $(hostname); echo to-stderr >&2; printf %s ${vars.tricky} > ${vars.work}/tricky.out"}
    - name: secret-in
      ssh: {host: box, command: "read t; echo got $t", stdin: "${secrets.token}\n"}
    - name: hidden
      sensitive: true
      ssh: {host: box, command: "echo sensitive-output-here"}
    - name: as-root
      ssh: {host: box, sudo: true, stdin: "${secrets.sudo_pw}\nline2\n", command: "read l; echo sudo-got-$l"}
    - name: version
      ssh: {host: box, command: "echo v1.2.3"}
      capture: {name: v}
  gates:
    - {name: remote-file, ssh: {host: box, command: "test -s ${vars.work}/tricky.out"}, interval: 200ms, timeout: 10s}'
run_gw -i "$D/inventory.yaml" plan
expect_rc 0 "plan with ssh steps"
expect_in "$WORK/out" "ssh root@127.0.0.1:$BOX 'echo hello from" "plan shows user@host:port and the quoted command"
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "ssh steps and gate pass"
LOGS=$(ls -d "$WORK"/ok/.groundwork/ok/runs/*/logs | tail -1)
expect_in "$LOGS/hello.greet.log" "hello from" "remote stdout in the step log"
expect_in "$LOGS/hello.greet.log" "to-stderr" "remote stderr in the step log"
check "a template value reaches the remote command as one word, unchanged" \
  [ "$(cat "$WORK/tricky.out")" = "it's a \$(test) & more" ]
expect_in "$LOGS/hello.secret-in.log" "got ***" "a secret on stdin reaches the command and is redacted"
expect_not_in "$LOGS/hello.secret-in.log" "tok-s3cr3t-value" "the secret never in the log"
expect_in "$LOGS/hello.as-root.log" "sudo-got-line2" "sudo -S takes its password from the first line of stdin, the command the rest"
expect_not_in "$LOGS/hello.as-root.log" "sudo-pw-1234" "the sudo password never in the log"
expect_not_in "$LOGS/hello.as-root.log" "fake sudo" "sudo got the arguments and password it expects"
expect_not_in "$LOGS/hello.hidden.log" "sensitive-output-here" "a sensitive step's output is not logged"
expect_in "$WORK/ok/.groundwork/ok/journal.jsonl" '"v":"v1.2.3"' "capture of remote stdout"
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "second apply"
expect_not_in "$WORK/err" "hello from" "nothing re-run"

# ---- exit codes, signals, timeouts ---------------------------------------------------------------
D="$WORK/fail"; inventory "$D"; known_host box >"$D/known_hosts"
stage "$D" code '  steps:
    - {name: seven, ssh: {host: box, command: "echo before; exit 7"}}'
stage "$D" sig '  steps:
    - {name: killed, ssh: {host: box, command: "kill -KILL $$"}}'
stage "$D" slow '  steps:
    - {name: sleeper, ssh: {host: box, command: "sleep 60 & echo $! > ${vars.work}/sleeper.pid; wait"}, timeout: 2s}'
run_gw -i "$D/inventory.yaml" apply code
expect_rc 1 "non-zero remote exit fails the step"
expect_in "$WORK/err" "host 'box': exit 7" "the exit code is shown"
run_gw -i "$D/inventory.yaml" apply sig
expect_rc 1 "a remote command killed by a signal fails the step"
expect_in "$WORK/err" "killed by signal KILL" "the signal is shown"
start=$(date +%s)
run_gw -i "$D/inventory.yaml" apply slow
expect_rc 1 "a remote command over its timeout fails the step"
expect_in "$WORK/err" "timed out after 2s" "the timeout is shown"
check "the timed-out step returned long before the command would have ended" [ $(($(date +%s) - start)) -lt 30 ]
SLEEPER=$(cat "$WORK/sleeper.pid" 2>/dev/null)
check "the remote command of a timed-out step is stopped, its children too" wait_until 15 gone "${SLEEPER:-1}"

# Ctrl-C: the step is interrupted (exit 130) and the remote command stopped.
D="$WORK/intr"; inventory "$D"; known_host box >"$D/known_hosts"
stage "$D" i '  steps:
    - {name: long, ssh: {host: box, command: "echo $$ > ${vars.work}/intr.pid; exec sleep 60"}}'
start_gw -i "$D/inventory.yaml" apply
check "the interrupted step started" wait_until 20 test -s "$WORK/intr.pid"
kill -INT "$BG_PID"
wait_gw 30
check "SIGINT during an ssh step exits 130" [ "$RC" -eq 130 ]
check "the remote command of an interrupted step is stopped" wait_until 15 gone "$(cat "$WORK/intr.pid")"
# kill -9 of groundwork itself: the connection closes, and the remote command goes with it.
rm -f "$WORK/intr.pid"
start_gw -i "$D/inventory.yaml" apply
check "the step started again" wait_until 20 test -s "$WORK/intr.pid"
kill -KILL "$BG_PID"
wait_gw 10
check "the remote command of a killed groundwork is stopped" wait_until 15 gone "$(cat "$WORK/intr.pid")"

# ---- host keys -----------------------------------------------------------------------------------
D="$WORK/strict"; inventory "$D"; : >"$D/known_hosts"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "true"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 1 "unknown host key refused under strict"
expect_in "$WORK/err" "unknown host key $BOX_FP" "the unknown key's fingerprint, as ssh-keygen -l shows it"
check "strict never writes knownHosts" [ ! -s "$D/known_hosts" ]

D="$WORK/changed"; inventory "$D" "hostKeyPolicy: accept-new"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other_host"
OTHER_FP=$(ssh-keygen -lf "$WORK/other_host.pub" | cut -d' ' -f2)
echo "[127.0.0.1]:$BOX $(cut -d' ' -f1,2 "$WORK/other_host.pub")" >"$D/known_hosts"
cp "$D/known_hosts" "$WORK/known_hosts.before"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "true"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 1 "a changed host key is refused even with accept-new"
expect_in "$WORK/err" "HOST KEY CHANGED" "says the key changed"
expect_in "$WORK/err" "$BOX_FP" "shows the server's fingerprint"
expect_in "$WORK/err" "$OTHER_FP" "shows the recorded fingerprint"
check "knownHosts untouched" cmp -s "$D/known_hosts" "$WORK/known_hosts.before"

D="$WORK/acceptnew"; inventory "$D" "hostKeyPolicy: accept-new"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "true"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "accept-new accepts an unknown key"
check "accept-new recorded the key where ssh-keygen finds it" \
  bash -c "ssh-keygen -F '[127.0.0.1]:$BOX' -f '$D/known_hosts' | grep -q ssh-ed25519"
sed -i 's/hostKeyPolicy: accept-new/hostKeyPolicy: strict/' "$D/inventory.yaml"
run_gw -i "$D/inventory.yaml" apply --fresh
expect_rc 0 "the recorded key satisfies strict afterwards"

# A server with an ECDSA and an ed25519 host key: whichever one knownHosts has is the one asked for
# (libssh2 alone would ask for ECDSA first).
mkdir -p "$WORK/multi"
ssh-keygen -q -t ecdsa -N '' -C multi-ecdsa -f "$WORK/multi/host_ecdsa"
start_sshd multi "HostKey $WORK/multi/host_ecdsa"
MULTI=$SSHD_PORT
cp "$WORK/id_user.pub" "$WORK/multi/authorized_keys"
for kind in ed25519 ecdsa; do
  D="$WORK/multi-$kind"; inventory "$D"
  sed -i "s|port: $BOX,|port: $MULTI,|" "$D/inventory.yaml"
  echo "[127.0.0.1]:$MULTI $(cut -d' ' -f1,2 "$WORK/multi/host_$kind.pub")" >"$D/known_hosts"
  stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "true"}}'
  run_gw -i "$D/inventory.yaml" apply
  expect_rc 0 "strict: the server's $kind key, the only one knownHosts has, is the one checked"
done

# ---- user keys -----------------------------------------------------------------------------------
D="$WORK/wrongkey"; inventory "$D"; known_host box >"$D/known_hosts"
sed -i "s|identity: $WORK/id_user|identity: $WORK/id_stranger|" "$D/inventory.yaml"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "true"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 1 "a key the server does not know is refused"
expect_in "$WORK/err" "authentication as 'root' with identity $WORK/id_stranger failed" "says authentication failed, with which key"

D="$WORK/locked"; inventory "$D" "passphrase: {secret: locked_pass}"; known_host box >"$D/known_hosts"
sed -i "s|identity: $WORK/id_user|identity: $WORK/id_locked|" "$D/inventory.yaml"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "echo unlocked"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "a passphrase-protected identity with its passphrase from a secret"
GW_TEST_PASS=wrong run_gw -i "$D/inventory.yaml" apply --fresh
expect_rc 1 "a wrong passphrase fails"
expect_in "$WORK/err" "id_locked" "names the identity"

# ---- ssh-agent (no identity), hashed known_hosts names -------------------------------------------
D="$WORK/agent"; inventory "$D"; known_host box >"$D/known_hosts"
ssh-keygen -H -f "$D/known_hosts" >/dev/null 2>&1 && rm -f "$D/known_hosts.old"
check "known_hosts is hashed" bash -c "! grep -q 127.0.0.1 '$D/known_hosts'"
sed -i "s|identity: $WORK/id_user, ||" "$D/inventory.yaml"
stage "$D" s '  steps:
    - {name: a, ssh: {host: box, command: "echo via-agent"}}'
AGENT_OUT=$(ssh-agent -s -a "$WORK/agent.sock") && eval "$AGENT_OUT" >/dev/null
ssh-add -q "$WORK/id_user" 2>/dev/null
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "authentication through ssh-agent, host key found under a hashed name"
kill "$SSH_AGENT_PID" 2>/dev/null
unset SSH_AUTH_SOCK SSH_AGENT_PID
run_gw -i "$D/inventory.yaml" apply --fresh
expect_rc 1 "no identity and no agent"
expect_in "$WORK/err" "no identity set and no ssh-agent" "says there is nothing to authenticate with"

# ---- upload, download ----------------------------------------------------------------------------
D="$WORK/sftp"; inventory "$D"; known_host box >"$D/known_hosts"
mkdir -p "$D/stages/files" "$WORK/remote"
head -c 300000 /dev/urandom >"$D/stages/files/blob.bin"
stage "$D" copy "  steps:
    - {name: up, ssh: {host: box, upload: {src: files/blob.bin, dest: $WORK/remote/blob.bin, mode: \"0640\"}}}
    - {name: over, ssh: {host: box, upload: {src: files/blob.bin, dest: $WORK/remote/blob.bin, mode: \"0640\"}}}
    - {name: down, ssh: {host: box, download: {src: $WORK/remote/blob.bin, dest: $WORK/local/blob.bin}}}
    - {name: relay, ssh: {host: box, push: {src: \"\${vars.work}/local/blob.bin\", dest: $WORK/backup/blob.bin, mode: \"0600\"}}}"
mkdir -p "$WORK/backup"
run_gw -i "$D/inventory.yaml" plan
expect_in "$WORK/out" "ssh push $WORK/local/blob.bin -> root@127.0.0.1:" "plan shows the push"
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "upload, upload over an existing file, download, push of the downloaded file"
check "the pushed copy (a file the run downloaded) is identical" cmp -s "$D/stages/files/blob.bin" "$WORK/backup/blob.bin"
check "pushed mode 0600" [ "$(stat -c %a "$WORK/backup/blob.bin")" = 600 ]
check "uploaded content identical" cmp -s "$D/stages/files/blob.bin" "$WORK/remote/blob.bin"
check "downloaded content identical" \
  [ "$(sha256sum <"$D/stages/files/blob.bin")" = "$(sha256sum <"$WORK/local/blob.bin")" ]
check "uploaded mode 0640" [ "$(stat -c %a "$WORK/remote/blob.bin")" = 640 ]
check "downloaded mode 0640" [ "$(stat -c %a "$WORK/local/blob.bin")" = 640 ]
check "no temporary file left" [ -z "$(ls "$WORK/remote" "$WORK/local" | grep groundwork-)" ]

# ---- 20 concurrent steps on one host -------------------------------------------------------------
D="$WORK/many"; inventory "$D"; known_host box >"$D/known_hosts"
for i in $(seq 1 20); do
  stage "$D" "s$i" "  steps:
    - {name: a, ssh: {host: box, command: \"echo run-$i > $WORK/many-$i.out\"}}"
done
BEFORE=$(grep -c 'Accepted publickey' "$WORK/box/sshd.log")
run_gw -i "$D/inventory.yaml" apply -j 20
expect_rc 0 "20 concurrent ssh steps on one host"
check "every one ran" [ "$(cat "$WORK"/many-*.out | wc -l)" -eq 20 ]
check "one connection for the whole run" [ "$(($(grep -c 'Accepted publickey' "$WORK/box/sshd.log") - BEFORE))" -eq 1 ]

# ---- a connection that died between two steps is reopened once -----------------------------------
D="$WORK/reopen"; inventory "$D"; known_host box >"$D/known_hosts"
# The middle step kills the server's processes for this connection (children of the listener
# and theirs; by parent pid): the next ssh step finds its connection dead and reconnects.
stage "$D" r "  steps:
    - {name: first, ssh: {host: box, command: \"echo first\"}}
    - name: drop-connection
      run: {argv: [sh, -c, 'for c in \$(pgrep -P $(cat "$WORK/box/pid")); do pkill -KILL -P \$c; kill -KILL \$c; done; sleep 0.5']}
    - {name: second, ssh: {host: box, command: \"echo second > $WORK/reopen.out\"}}"
BEFORE=$(grep -c 'Accepted publickey' "$WORK/box/sshd.log")
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "a dead connection is reopened for the next step"
check "the step after it ran" [ "$(cat "$WORK/reopen.out" 2>/dev/null)" = second ]
check "two connections in that run" [ "$(($(grep -c 'Accepted publickey' "$WORK/box/sshd.log") - BEFORE))" -eq 2 ]

# ---- jump host -----------------------------------------------------------------------------------
start_sshd jump
JUMP=$SSHD_PORT
cp "$WORK/id_user.pub" "$WORK/jump/authorized_keys"
D="$WORK/jumped"; inventory "$D" "proxyJump: bastion" \
  "    bastion: {address: 127.0.0.1, port: $JUMP, user: root, identity: $WORK/id_user, knownHosts: ./known_hosts}"
{ known_host box; known_host jump; } >"$D/known_hosts"
stage "$D" j '  steps:
    - {name: a, ssh: {host: box, command: "echo through-the-jump"}}'
run_gw -i "$D/inventory.yaml" apply
expect_rc 0 "a host behind a proxyJump host"
check "the jump host opened the tunnel" grep -q "direct-tcpip\|direct_tcpip" "$WORK/jump/sshd.log"

# ---- doctor --------------------------------------------------------------------------------------
run_gw -i "$WORK/jumped/inventory.yaml" doctor
expect_rc 0 "doctor passes on reachable hosts with known keys"
expect_in "$WORK/out" "box host key: known and matching" "doctor checks the host key"
expect_in "$WORK/out" "box auth: as root with $WORK/id_user" "doctor checks authentication"
run_gw -i "$WORK/strict/inventory.yaml" doctor
expect_rc 3 "doctor fails on an unknown host key"
expect_in "$WORK/out" "unknown host key $BOX_FP" "with its fingerprint"
check "doctor never records a key" [ ! -s "$WORK/strict/known_hosts" ]

# ---- sshd killed in the middle of a step ---------------------------------------------------------
D="$WORK/killed"; inventory "$D"; known_host box >"$D/known_hosts"
stage "$D" k "  steps:
    - {name: long, ssh: {host: box, command: \"echo started > $WORK/killed.started; sleep 60\"}, timeout: 2m}"
start_gw -i "$D/inventory.yaml" apply
check "the long step started" wait_until 20 test -f "$WORK/killed.started"
stop_sshd box
wait_gw 30
check "groundwork ended with a failure, not a hang" [ "$RC" -eq 1 ]
expect_in "$WORK/bg.err" "connection lost" "a clear error when the server dies"

finish
