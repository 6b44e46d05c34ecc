# bash completion for groundwork: verbs, options and their fixed values, and the stage, STAGE/STEP
# and playbook names of the project the command line names (-i or $GROUNDWORK_INVENTORY, --stages,
# --playbooks). Every word list comes from the binary (`groundwork __complete …`), so it matches
# the version installed. Installed as share/bash-completion/completions/groundwork.

_groundwork() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" gw="${COMP_WORDS[0]}"
  [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD - 1]}"
  gw="${gw/#\~/$HOME}"
  local -a proj=()
  local verb="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "$w" in
      -i | --inventory | --stages | --playbooks)
        proj+=("$w" "${COMP_WORDS[i + 1]/#\~/$HOME}")
        ((i++)) ;;
      --inventory=* | --stages=* | --playbooks=*) proj+=("${w/=\~/=$HOME}") ;;
      --state-dir | --log-format | -j | --jobs | --format | --only | --force | --playbook | \
        --mode | --param | --report-dir | --metrics-file) ((i++)) ;;
      -*) ;;
      *) [ -z "$verb" ] && verb="$w" ;;
    esac
  done
  local words=""
  case "$prev" in
    -i | --inventory | --metrics-file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return ;;
    --stages | --playbooks | --state-dir | --report-dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
      return ;;
    --force) words="$("$gw" "${proj[@]}" __complete steps 2>/dev/null)" ;;
    --only) words="$("$gw" "${proj[@]}" __complete stages 2>/dev/null)" ;;
    --playbook) words="$("$gw" "${proj[@]}" __complete playbooks 2>/dev/null)" ;;
    -j | --jobs | --param) return ;;
    --*) words="$("$gw" __complete values "$verb" "${prev#--}" 2>/dev/null)" ;;  # else a flag
  esac
  if [ -z "$words" ]; then
    if [[ "$cur" == -* ]]; then
      words="$("$gw" __complete options "$verb" 2>/dev/null)"
    elif [ -z "$verb" ]; then
      words="$("$gw" __complete verbs 2>/dev/null)"
    else
      case "$verb" in
        plan | apply) words="$("$gw" "${proj[@]}" __complete stages 2>/dev/null)" ;;
        reset | render | diff) words="$("$gw" "${proj[@]}" __complete steps 2>/dev/null)" ;;
        drill | restore) words="$("$gw" "${proj[@]}" __complete playbooks 2>/dev/null)" ;;
        help) words="$("$gw" __complete verbs 2>/dev/null)" ;;
      esac
    fi
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _groundwork groundwork
