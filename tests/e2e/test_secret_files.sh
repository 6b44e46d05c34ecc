#!/usr/bin/env bash
# Secret-bearing rendered files (issue 7): written into the run's own 0700 folder under the state
# dir, never $TMPDIR; what a kill -9'd run leaves is swept by the next run and by `reset`; the
# environment variable a secret is read from does not reach commands (a step passes it by name).
source "$(dirname "$0")/lib.sh"
cd "$WORK"

export GW_E2E_FILES_SECRET=files-secret-value-314
sim_inventory inv.yaml secfiles '  secrets:
    token: {env: GW_E2E_FILES_SECRET}'
mkdir -p stages/manifests tmp
cat >stages/manifests/creds.tmpl.yaml <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
type: Opaque
stringData: {token: "${secrets.token}"}
YAML
cat >stages/sec.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: sec}
spec:
  steps:
    - name: manifest
      kubectl: {apply: [manifests/creds.tmpl.yaml]}
YAML
cat >stages/env.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: env}
spec:
  steps:
    - name: plain
      run: {argv: [/bin/sh, -c, 'env > ${vars.work}/plain.env']}
    - name: given
      run:
        argv: [/bin/sh, -c, 'env > ${vars.work}/given.env']
        env: {GIVEN_TOKEN: "${secrets.token}"}
YAML
export TMPDIR="$WORK/tmp"
SECRETS_GLOB="$WORK/st/secfiles/runs/*/secrets/*/*creds.tmpl.yaml"
rendered() { compgen -G "$SECRETS_GLOB" >/dev/null; }

# --- While the step runs, the rendered file is in the run's own private folder.
new_sim
set_faults <<'YAML'
- {tool: kubectl, match: "creds.tmpl.yaml", action: slow, seconds: 1}
YAML
start_gw -i inv.yaml --state-dir st apply sec
if wait_until 15 rendered; then
  F=$(compgen -G "$SECRETS_GLOB" | head -1)
  check "rendered file is mode 0600" test "$(stat -c %a "$F")" = 600
  check "its folder is mode 0700" test "$(stat -c %a "$(dirname "$F")")" = 700
  check "the run's secrets folder is mode 0700" test "$(stat -c %a "$(dirname "$(dirname "$F")")")" = 700
else
  fail "no rendered file under the run's folder while the step ran"
fi
check "TMPDIR is empty while the step runs" test -z "$(ls -A tmp)"
wait_gw 30
expect_rc 0 "apply with a rendered secret file"
check "the rendered file is gone after the run" bash -c "! compgen -G '$SECRETS_GLOB' >/dev/null"
check "TMPDIR is still empty" test -z "$(ls -A tmp)"

# --- A run killed with SIGKILL mid-step leaves its rendered file; the next run sweeps it.
set_faults <<'YAML'
- {tool: kubectl, match: "creds.tmpl.yaml", action: hang}
YAML
crash_with_file() {
  start_gw -i inv.yaml --state-dir st apply --force sec sec
  if wait_until 15 rendered; then pass; else fail "no rendered file before the crash"; fi
  kill -KILL "$BG_PID"
  { wait "$BG_PID"; } 2>/dev/null
  check "the killed run left its rendered file" rendered
}
crash_with_file
LEFT=$(compgen -G "$SECRETS_GLOB" | head -1)
rm -f "$GROUNDWORK_SIM_STATE/faults.yaml"
run_gw -i inv.yaml --state-dir st apply env
expect_rc 0 "the next apply"
check "the next apply deleted the dead run's rendered file" test ! -e "$LEFT"
check "... and its secrets folder" test ! -e "$(dirname "$(dirname "$LEFT")")"

# --- ... and so does reset.
set_faults <<'YAML'
- {tool: kubectl, match: "creds.tmpl.yaml", action: hang}
YAML
crash_with_file
LEFT=$(compgen -G "$SECRETS_GLOB" | head -1)
run_gw -i inv.yaml --state-dir st reset sec
expect_rc 0 "reset"
check "reset deleted the dead run's rendered file" test ! -e "$LEFT"
check "TMPDIR stayed empty throughout" test -z "$(ls -A tmp)"

# --- The secret's source variable is not passed on; a step gets the value only where it asks.
check "a plain step does not get the secret's source variable" bash -c "! grep -q '^GW_E2E_FILES_SECRET=' plain.env"
check "nor its value anywhere in its environment" bash -c "! grep -q 'files-secret-value-314' plain.env"
check "a step gets the secret where it names it" grep -qx 'GIVEN_TOKEN=files-secret-value-314' given.env
check "and still not the source variable" bash -c "! grep -q '^GW_E2E_FILES_SECRET=' given.env"
check "commands carry their step token" grep -q '^GROUNDWORK_STEP=' plain.env

finish
