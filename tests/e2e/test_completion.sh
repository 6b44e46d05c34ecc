#!/usr/bin/env bash
# Shell completion (contrib/completion): the bash script sourced and its function called with
# COMP_WORDS/COMP_CWORD set; the zsh one loaded by compinit and `_groundwork` called with
# words/CURRENT set (compadd stubbed to print what it is given). Verbs, options, option values and
# the stage, STAGE/STEP and playbook names of the project the command line names, and a playbook's
# phase steps (PLAYBOOK:steps/STEP) after --force of drill, restore and plan --playbook — also as
# bash splits the line at ':' when bash-completion has loaded the script.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
INV="$ROOT/inventories/sim.yaml"
unset GROUNDWORK_INVENTORY

# A project of our own: stages from --stages, playbooks from --playbooks, no spec.stages.
mkdir -p own/stages own/playbooks
cat >own/inv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: own}
spec: {}
YAML
cat >own/stages/alpha.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: alpha}
spec:
  steps:
    - name: first
      run: {argv: [true]}
YAML
sed 's/alpha/beta/' own/stages/alpha.yaml >own/stages/beta.yaml
"$GW" -i own/inv.yaml --stages own/stages --playbooks own/playbooks validate >/dev/null 2>own.err
check "the own project is valid" test ! -s own.err
sed 's/^/  validate: /' own.err | head -5 >&2

# ---- bash
source "$ROOT/contrib/completion/groundwork.bash"
check "bash: complete -F _groundwork groundwork" bash -c "source '$ROOT/contrib/completion/groundwork.bash'; complete -p groundwork | grep -q -- '-F _groundwork'"
comp() {  # comp WORD…: the candidates for the last word, one per line, in bash.out
  COMP_WORDS=("$GW" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _groundwork 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort >bash.out
}
has() { grep -qx -- "$1" bash.out || { sed 's/^/  | /' bash.out | head -20 >&2; false; }; }
only() { [ "$(cat bash.out)" = "$1" ] || { sed 's/^/  | /' bash.out | head -20 >&2; false; }; }

comp ""
check "bash: verbs" has plan
check "bash: verbs (restore)" has restore
check "bash: hidden verb not offered" bash -c '! grep -q __complete bash.out'
comp pl
check "bash: a verb's prefix" only plan
comp -i "$INV" plan ""
check "bash: plan offers stages (metallb)" has metallb
check "bash: plan offers stages (traefik)" has traefik
comp -i "$INV" reset metallb/
check "bash: reset offers STAGE/STEP" has metallb/chart
check "bash: only that stage's steps" bash -c '! grep -qv "^metallb/" bash.out'
comp -i "$INV" reset talos/apply-config-c
check "bash: reset offers each forEach item's step" only talos/apply-config-controlplane.cp1
comp reset --cas
check "bash: reset's --cascade" only --cascade
comp apply --cas
check "bash: apply's --cascade" only --cascade
comp -i "$INV" apply --force metallb/p
check "bash: --force offers steps" only metallb/pool
comp -i "$INV" apply --only cert
check "bash: --only offers stages" only cert-manager
comp -i "$INV" --playbooks "$ROOT/playbooks" drill ""
check "bash: drill offers playbooks" has etcd-restore
check "bash: drill offers playbooks (restic)" has restic-restore
comp -i "$INV" --playbooks "$ROOT/playbooks" plan --playbook et
check "bash: --playbook offers playbooks" only etcd-restore
# A playbook's phase steps, as drill/restore/plan --playbook --force take them (PLAYBOOK:PHASE[/STEP]).
PB=(-i "$INV" --playbooks "$ROOT/playbooks")
comp "${PB[@]}" drill etcd-restore --force etcd-restore:steps/k3s-s
check "bash: drill --force offers the playbook's steps" \
  only "$(printf 'etcd-restore:steps/k3s-snapshot\netcd-restore:steps/k3s-start\netcd-restore:steps/k3s-stop')"
comp "${PB[@]}" drill etcd-restore --force ""
check "bash: drill --force offers a phase" has etcd-restore:verify
check "bash: drill --force offers a verify step" has etcd-restore:verify/member
check "bash: drill --force offers a cleanup step" has etcd-restore:cleanup/scratch
check "bash: drill --force still offers stage steps" has metallb/pool
check "bash: only the named playbook's phases" bash -c '! grep -q "^restic-restore:" bash.out'
comp "${PB[@]}" restore --yes restic-restore --force restic-restore:steps/sn
check "bash: restore --force offers its playbook's steps" only restic-restore:steps/snapshot
comp "${PB[@]}" drill --force etcd-restore:cl
check "bash: drill --force before the playbook: every playbook's phases" only "$(printf 'etcd-restore:cleanup\netcd-restore:cleanup/k3s-snapshot\netcd-restore:cleanup/scratch')"
comp "${PB[@]}" plan --playbook etcd-restore --force etcd-restore:verify/m
check "bash: plan --playbook --force offers the playbook's steps" only etcd-restore:verify/member
comp "${PB[@]}" apply --force etcd-
check "bash: apply --force offers no playbook steps" bash -c '! grep -q ":" bash.out'
# With bash-completion (how the installed script is loaded) the shell splits the word at ':'.
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
  fail "bash-completion is not installed (Debian: bash-completion; scripts/install-deps.sh)"
else
  cat >bc.sh <<'SH'
source /usr/share/bash-completion/bash_completion
source "$1/contrib/completion/groundwork.bash"
shift
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"${COMP_LINE//:/ : }"
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_groundwork
printf '%s\n' "${COMPREPLY[@]}" | sort
SH
  bash bc.sh "$ROOT" "$GW" "${PB[@]}" drill etcd-restore --force etcd-restore:steps/k3s-st >bash.out 2>bc.err
  check "bash-completion: the word after the last ':' is completed" \
    only "$(printf 'steps/k3s-start\nsteps/k3s-stop')"
  sed 's/^/  bc stderr: /' bc.err | head -5 >&2
  bash bc.sh "$ROOT" "$GW" "${PB[@]}" drill etcd-restore --force metallb/p >bash.out 2>bc.err
  check "bash-completion: a word without ':' as before" only metallb/pool
fi

comp plan --format ""
check "bash: --format values" only "$(printf 'dot\njson\nmermaid\nsvg\ntext')"
comp --log-format ""
check "bash: --log-format values" only "$(printf 'json\ntext')"
comp plan --f
check "bash: plan's options" only "$(printf -- '--force\n--format\n--fresh')"
comp --st
check "bash: global options" only "$(printf -- '--stages\n--state-dir')"
comp --vers
check "bash: --version, once" only --version
comp apply --he
check "bash: --help" only --help
comp restore --y
check "bash: restore's --yes" only --yes
comp -i "$INV" render metallb/
check "bash: render offers STAGE/STEP" has metallb/chart
comp -i "$INV" diff metallb/
check "bash: diff offers STAGE/STEP" has metallb/chart
comp -i "$INV" diff metal
check "bash: diff offers stages" has metallb
comp help re
check "bash: help offers verbs" only "$(printf 'render\nreset\nrestore')"
comp -i own/inv.yaml --stages own/stages plan ""
check "bash: --stages is honoured" only "$(printf 'alpha\nbeta')"
comp --inventory=own/inv.yaml --stages=own/stages reset a
check "bash: --opt=value forms" only "$(printf 'alpha\nalpha/first')"
GROUNDWORK_INVENTORY=own/inv.yaml comp --stages own/stages apply b
check "bash: \$GROUNDWORK_INVENTORY is honoured" only beta
comp -i nonexistent.yaml plan ""
check "bash: no inventory, no names, no noise" only ""

# ---- zsh
if ! command -v zsh >/dev/null; then
  fail "zsh is not installed (Debian: zsh; scripts/install-deps.sh)"
else
  cat >zcomp.zsh <<ZSH
fpath=("$ROOT/contrib/completion" \$fpath)
autoload -U compinit && compinit -u -d "$WORK/zcompdump"
print -r -- "registered: \$_comps[groundwork]"
compadd() { while [[ \$# -gt 0 && \$1 != -- ]]; do shift; done; shift; print -l -- "\$@"; }
_files() { print -r -- "files: \$*"; }
zcomp() { words=("$GW" "\$@"); CURRENT=\$(( \$# + 1 )); _groundwork 2>/dev/null | sort; print -- --; }
zcomp ''
zcomp -i "$INV" plan ''
zcomp -i "$INV" apply --force metallb/p
zcomp -i "$INV" --playbooks "$ROOT/playbooks" drill et
zcomp plan --format ''
zcomp plan --f
zcomp -i own/inv.yaml --stages own/stages reset ''
zcomp -i ''
zcomp -i "$INV" --playbooks "$ROOT/playbooks" drill etcd-restore --force ''
ZSH
  zsh -f zcomp.zsh >zsh.out 2>zsh.err
  sed 's/^/  zsh stderr: /' zsh.err | head -10 >&2
  # Blocks separated by "--", in the order asked.
  block() { awk -v n="$1" 'BEGIN{b=1} /^--$/{b++; next} b==n' zsh.out | grep -v '^registered:'; }
  expect_in zsh.out "registered: _groundwork" "zsh: compinit maps groundwork to _groundwork"
  check "zsh: verbs" bash -c "$(declare -f block); block 1 | grep -qx plan"
  check "zsh: hidden verb not offered" bash -c "$(declare -f block); ! block 1 | grep -q __complete"
  check "zsh: stages" bash -c "$(declare -f block); block 2 | grep -qx traefik"
  check "zsh: --force steps" bash -c "$(declare -f block); block 3 | grep -qx metallb/pool"
  check "zsh: playbooks" bash -c "$(declare -f block); block 4 | grep -qx etcd-restore"
  check "zsh: --format values" bash -c "$(declare -f block); [ \"\$(block 5 | tr '\n' ' ')\" = 'dot json mermaid svg text ' ]"
  check "zsh: plan's options" bash -c "$(declare -f block); block 6 | grep -qx -- --fresh"
  check "zsh: --stages honoured" bash -c "$(declare -f block); block 7 | grep -qx alpha/first"
  check "zsh: -i completes files" bash -c "$(declare -f block); block 8 | grep -q '^files:'"
  check "zsh: drill --force offers the playbook's steps" bash -c "$(declare -f block); block 9 | grep -qx etcd-restore:steps/k3s-snapshot"
  check "zsh: and stage steps" bash -c "$(declare -f block); block 9 | grep -qx metallb/pool"
  check "zsh: only that playbook's" bash -c "$(declare -f block); ! block 9 | grep -q '^restic-restore:'"
  check "zsh: no errors" test ! -s zsh.err
fi
finish
