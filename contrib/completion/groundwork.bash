# bash completion for groundwork: verbs, options and their fixed values, and the stage, STAGE/STEP
# and playbook names of the project the command line names (-i or $GROUNDWORK_INVENTORY, --stages,
# --playbooks), and a playbook's phase steps (PLAYBOOK:steps/STEP) after --force of drill, restore
# and plan --playbook. Every word list comes from the binary (`groundwork __complete …`), so it
# matches the version installed. Installed as share/bash-completion/completions/groundwork.

_groundwork() {
  local cur prev cword
  local -a words
  if declare -F _get_comp_words_by_ref >/dev/null; then
    # bash-completion (which loads this file): words not split at ':' (PLAYBOOK:steps/STEP).
    _get_comp_words_by_ref -n : cur prev words cword
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur="${words[cword]}"
    prev=""
    [ "$cword" -gt 0 ] && prev="${words[cword - 1]}"
  fi
  local gw="${words[0]/#\~/$HOME}"
  local -a proj=()
  local verb="" playbook="" i w
  for ((i = 1; i < cword; i++)); do
    w="${words[i]}"
    case "$w" in
      -i | --inventory | --stages | --playbooks)
        proj+=("$w" "${words[i + 1]/#\~/$HOME}")
        ((i++)) ;;
      --inventory=* | --stages=* | --playbooks=*) proj+=("${w/=\~/=$HOME}") ;;
      --playbook) playbook="${words[i + 1]}"; ((i++)) ;;
      --playbook=*) playbook="${w#--playbook=}" ;;
      --state-dir | --log-format | -j | --jobs | --format | --only | --force | \
        --mode | --param | --report-dir | --metrics-file) ((i++)) ;;
      -*) ;;
      *)
        if [ -z "$verb" ]; then
          verb="$w"
        elif [ -z "$playbook" ] && [[ "$verb" == drill || "$verb" == restore ]]; then
          playbook="$w"
        fi ;;
    esac
  done
  local list=""
  case "$prev" in
    -i | --inventory | --metrics-file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    --stages | --playbooks | --state-dir | --report-dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return ;;
    --force)
      list="$("$gw" "${proj[@]}" __complete steps 2>/dev/null)"
      # drill and restore take their playbook's phase steps too (all playbooks' before it is named).
      if [[ "$verb" == drill || "$verb" == restore || -n "$playbook" ]]; then
        list+=$'\n'"$("$gw" "${proj[@]}" __complete playbook-steps ${playbook:+"$playbook"} 2>/dev/null)"
      fi ;;
    --only) list="$("$gw" "${proj[@]}" __complete stages 2>/dev/null)" ;;
    --playbook) list="$("$gw" "${proj[@]}" __complete playbooks 2>/dev/null)" ;;
    -j | --jobs | --param) return ;;
    --*) list="$("$gw" __complete values "$verb" "${prev#--}" 2>/dev/null)" ;;  # else a flag
  esac
  if [ -z "$list" ]; then
    if [[ "$cur" == -* ]]; then
      list="$("$gw" __complete options "$verb" 2>/dev/null)"
    elif [ -z "$verb" ]; then
      list="$("$gw" __complete verbs 2>/dev/null)"
    else
      case "$verb" in
        plan | apply) list="$("$gw" "${proj[@]}" __complete stages 2>/dev/null)" ;;
        reset | render | diff) list="$("$gw" "${proj[@]}" __complete steps 2>/dev/null)" ;;
        drill | restore) list="$("$gw" "${proj[@]}" __complete playbooks 2>/dev/null)" ;;
        help) list="$("$gw" __complete verbs 2>/dev/null)" ;;
      esac
    fi
  fi
  mapfile -t COMPREPLY < <(compgen -W "$list" -- "$cur")
  # The shell splits the line at ':' too: offer only what follows the last one in the word.
  if declare -F __ltrim_colon_completions >/dev/null; then __ltrim_colon_completions "$cur"; fi
}
complete -F _groundwork groundwork
