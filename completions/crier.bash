# bash completion for crier                                   -*- shell-script -*-
# Install: crier completion bash > ~/.local/share/bash-completion/completions/crier
# Kept in step with the CLI by tests/unit/docs_test.cpp.

_crier() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local commands="init doctor version config accounts draft drafts templates post schedule queue slots publish cron poll inbox kb usage analytics providers completion demo"
  local globals="--config --db --json -q --quiet -v --verbose --no-color --help --version"
  local cmd="" verb="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${COMP_WORDS[i]}" in
      --config|--db|--to|--image|--alt|--at|--lang|--visibility|--cw|--account|--status|--kind|--limit|--since|--handle|--server|--alias|--every|--until|--count|--after|--before|--schedule|--concurrency|--poll-every|--url|--from|--for|--tone|--audience|--hashtags|--variants|--template|--var|--model|--rounds) ((i++)); continue ;;
      -*) continue ;;
    esac
    if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}; elif [[ -z $verb ]]; then verb=${COMP_WORDS[i]}; fi
  done

  case "$prev" in
    --config|--db|--image) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --to|--account) COMPREPLY=($(compgen -W "$(crier accounts list -q 2>/dev/null)" -- "$cur")); return ;;
    --for) COMPREPLY=($(compgen -W "$(crier providers list -q 2>/dev/null)" -- "$cur")); return ;;
    --status) COMPREPLY=($(compgen -W "queued publishing published failed dead cancelled new read replied ignored escalated done" -- "$cur")); return ;;
    --visibility) COMPREPLY=($(compgen -W "public unlisted private direct" -- "$cur")); return ;;
    --kind) COMPREPLY=($(compgen -W "replies comments mentions dms reply comment mention quote dm" -- "$cur")); return ;;
  esac

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
    return
  fi

  local verbs="" opts=""
  case "$cmd" in
    init) opts="--force" ;;
    doctor) opts="" ;;
    version) opts="" ;;
    config) verbs="get set path edit"; opts="--all" ;;
    accounts) verbs="add list remove check"; opts="--handle --server --alias --page --ig-user --secret-stdin --paste-code --no-browser --force --yes" ;;
    draft) opts="--from --url --for --to --tone --audience --lang --hashtags --variants --template --var --thread --model --rounds --edit" ;;
    drafts) verbs="list show edit rm"; opts="--limit" ;;
    templates) verbs="list show" ;;
    post) opts="--to --image --alt --thread --lang --visibility --cw --no-card --title --opt --at --dry-run" ;;
    schedule) opts="--to --image --alt --thread --lang --visibility --cw --no-card --title --opt --at --every --until --count --next-slot --dry-run" ;;
    queue) verbs="list show cancel restore retry reschedule"; opts="--status --failed --account --all --limit --after --before --schedule --series --at" ;;
    slots) verbs="set list clear" ;;
    publish) opts="--due --limit --concurrency --watch" ;;
    cron) verbs="show install"; opts="--systemd --poll-every --write" ;;
    poll) opts="--account --kind --triage --rules-only --model" ;;
    inbox) verbs="list search show suggest reply triage summary hide ignore done"; opts="--status --kind --account --label --urgent --untriaged --all --limit --since --human-agent --suggestion --edit --variants --tone --model --again --rules-only --batch --thread --undo" ;;
    kb) verbs="add list show rm refresh search"; opts="--full --limit --words-only" ;;
    usage) opts="--since --by" ;;
    analytics) verbs="summary refresh"; opts="--since" ;;
    providers) verbs="list" ;;
    completion) verbs="bash zsh fish" ;;
    demo) opts="--keep" ;;
  esac

  if [[ $cmd == accounts && $verb == add && $prev == add ]]; then
    COMPREPLY=($(compgen -W "$(crier providers list -q 2>/dev/null)" -- "$cur"))
    return
  fi
  if [[ -n $verbs && -z $verb && $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
}
complete -F _crier crier
