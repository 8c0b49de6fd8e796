# fish completion for crier. Install: crier completion fish > ~/.config/fish/completions/crier.fish
# Kept in step with the CLI by tests/unit/docs_test.cpp.

set -l crier_commands init doctor version config accounts draft drafts templates post schedule queue slots publish cron poll inbox kb usage analytics providers completion demo

complete -c crier -f
complete -c crier -l config -r -F -d 'config file'
complete -c crier -l db -r -F -d 'database file'
complete -c crier -l json -d 'print one JSON document'
complete -c crier -s q -l quiet -d 'only errors and requested data'
complete -c crier -s v -l verbose -d 'more detail on stderr'
complete -c crier -l no-color -d 'no colour'
complete -c crier -l version -d 'print the version'

complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a init -d 'write a commented config and create the database'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a doctor -d 'check config, database, accounts, clock, LLM'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a version -d 'print the version'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a config -d 'read and change the configuration'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a accounts -d 'connect and manage accounts'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a draft -d 'write posts with a language model'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a drafts -d 'list, show, edit, remove drafts'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a templates -d 'prompt and post templates'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a post -d 'publish now'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a schedule -d 'queue a post for later'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a queue -d 'list, cancel, restore and retry posts'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a slots -d 'posting slots per account'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a publish -d 'publish what is due'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a cron -d 'crontab lines or systemd timers'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a poll -d 'fetch replies, mentions and DMs'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a inbox -d 'read and answer the inbox'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a analytics -d 'take and show metrics'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a providers -d 'list the networks'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a completion -d 'print a completion script'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a demo -d 'a tour on the sandbox network'

complete -c crier -n "__fish_seen_subcommand_from config" -a "get set path edit"
complete -c crier -n "__fish_seen_subcommand_from accounts" -a "add list remove check"
complete -c crier -n "__fish_seen_subcommand_from accounts; and __fish_seen_subcommand_from add" -x -a "(crier providers list -q 2>/dev/null)" -d network
complete -c crier -n "__fish_seen_subcommand_from queue" -a "list show cancel restore retry reschedule"
complete -c crier -n "__fish_seen_subcommand_from slots" -a "set list clear"
complete -c crier -n "__fish_seen_subcommand_from drafts" -a "list show edit rm"
complete -c crier -n "__fish_seen_subcommand_from templates" -a "list show"
complete -c crier -n "__fish_seen_subcommand_from cron" -a "show install"
complete -c crier -n "__fish_seen_subcommand_from inbox" -a "list search show suggest reply triage summary hide ignore done"
complete -c crier -n "__fish_seen_subcommand_from inbox" -l label -x -a "question support complaint praise lead spam abuse other" -d 'only items with these intents'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l urgent -d 'only urgent items'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l untriaged -d 'only items without labels'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l suggestion -x -d 'send suggested reply N'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l edit -d 'edit the answer first'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l variants -x -d 'how many suggestions'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l tone -x -d 'how the replies sound'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l again -d 'label labelled items anew'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l batch -x -d 'items per model call'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l thread -x -d 'a thread id to summarise'
complete -c crier -n "__fish_seen_subcommand_from inbox poll" -l rules-only -d 'only the config rules, no model'
complete -c crier -n "__fish_seen_subcommand_from poll" -l triage -d 'label what was fetched'
complete -c crier -n "__fish_seen_subcommand_from inbox poll" -l model -x -d 'PROVIDER:MODEL'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l since -x -d 'window, e.g. 7d'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a kb -d 'the knowledge base replies cite'
complete -c crier -n "__fish_seen_subcommand_from kb" -a "add list show rm refresh search"
complete -c crier -n "__fish_seen_subcommand_from kb" -l full -d 'whole chunks'
complete -c crier -n "__fish_seen_subcommand_from kb" -l limit -x
complete -c crier -n "__fish_seen_subcommand_from kb" -l words-only -d 'words alone, no embeddings'
complete -c crier -n "not __fish_seen_subcommand_from $crier_commands" -a usage -d 'what the language model cost'
complete -c crier -n "__fish_seen_subcommand_from usage" -l since -x -d 'window, e.g. 30d'
complete -c crier -n "__fish_seen_subcommand_from usage" -l by -x -a "model feature day"
complete -c crier -n "__fish_seen_subcommand_from analytics" -a "summary refresh"
complete -c crier -n "__fish_seen_subcommand_from providers" -a "list"
complete -c crier -n "__fish_seen_subcommand_from completion" -a "bash zsh fish"

complete -c crier -n "__fish_seen_subcommand_from post schedule" -l to -x -a "(crier accounts list -q 2>/dev/null)" -d 'accounts'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l image -r -F -d 'attach an image'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l alt -x -d 'alt text of the image'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l thread -d 'split into a thread'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l lang -x -d 'language (BCP 47)'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l visibility -x -a "public unlisted private direct"
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l cw -x -d 'content warning'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l no-card -d 'no link preview card'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l title -x -d 'the title, where posts have one'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l opt -x -d 'a network option, NAME=VALUE'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l at -x -d 'when'
complete -c crier -n "__fish_seen_subcommand_from post schedule" -l dry-run -d 'show, do not send'
complete -c crier -n "__fish_seen_subcommand_from queue inbox poll" -l account -x -a "(crier accounts list -q 2>/dev/null)"
complete -c crier -n "__fish_seen_subcommand_from queue inbox" -l status -x
complete -c crier -n "__fish_seen_subcommand_from inbox poll" -l kind -x -a "replies comments mentions dms"
complete -c crier -n "__fish_seen_subcommand_from queue inbox" -l all -d 'include finished items'
complete -c crier -n "__fish_seen_subcommand_from queue inbox publish" -l limit -x
complete -c crier -n "__fish_seen_subcommand_from inbox" -l human-agent -d 'a person answers a DM within 7 days'
complete -c crier -n "__fish_seen_subcommand_from inbox" -l undo -d 'show a hidden comment again'

complete -c crier -n "__fish_seen_subcommand_from publish" -l due -d 'publish what is due'
complete -c crier -n "__fish_seen_subcommand_from publish" -l concurrency -x -d 'accounts at once'
complete -c crier -n "__fish_seen_subcommand_from publish" -l watch -d 'keep running'
complete -c crier -n "__fish_seen_subcommand_from schedule" -l every -x -d 'repeat: daily 09:00, mon,wed 18:30, RRULE'
complete -c crier -n "__fish_seen_subcommand_from schedule" -l until -x -d 'last occurrence no later than'
complete -c crier -n "__fish_seen_subcommand_from schedule" -l count -x -d 'occurrences in all'
complete -c crier -n "__fish_seen_subcommand_from schedule" -l next-slot -d 'first free posting slot'
complete -c crier -n "__fish_seen_subcommand_from queue" -l after -x -d 'due at or after'
complete -c crier -n "__fish_seen_subcommand_from queue" -l before -x -d 'due at or before'
complete -c crier -n "__fish_seen_subcommand_from queue" -l schedule -x -d 'a recurring schedule'
complete -c crier -n "__fish_seen_subcommand_from queue" -l series -d 'the whole recurring series'
complete -c crier -n "__fish_seen_subcommand_from queue" -l failed -d 'failed and dead posts, with their errors'
complete -c crier -n "__fish_seen_subcommand_from queue" -l at -x -d 'new time'
complete -c crier -n "__fish_seen_subcommand_from cron" -l systemd -d 'systemd user timers'
complete -c crier -n "__fish_seen_subcommand_from cron" -l poll-every -x -d 'minutes between polls'
complete -c crier -n "__fish_seen_subcommand_from cron" -l write -d 'really install'
complete -c crier -n "__fish_seen_subcommand_from analytics" -l since -x -d 'window, e.g. 30d'
complete -c crier -n "__fish_seen_subcommand_from accounts" -l handle -x
complete -c crier -n "__fish_seen_subcommand_from accounts" -l server -x
complete -c crier -n "__fish_seen_subcommand_from accounts" -l page -x -d 'Facebook Page'
complete -c crier -n "__fish_seen_subcommand_from accounts" -l ig-user -x -d 'Instagram account'
complete -c crier -n "__fish_seen_subcommand_from accounts" -l alias -x
complete -c crier -n "__fish_seen_subcommand_from accounts" -l secret-stdin
complete -c crier -n "__fish_seen_subcommand_from accounts" -l paste-code
complete -c crier -n "__fish_seen_subcommand_from accounts" -l no-browser
complete -c crier -n "__fish_seen_subcommand_from init accounts" -l force
complete -c crier -n "__fish_seen_subcommand_from accounts" -s y -l yes -d 'do not ask'
complete -c crier -n "__fish_seen_subcommand_from config" -l all
complete -c crier -n "__fish_seen_subcommand_from demo" -l keep
complete -c crier -n "__fish_seen_subcommand_from draft" -l from -r -F -d 'base it on a file'
complete -c crier -n "__fish_seen_subcommand_from draft" -l url -x -d 'base it on a web page'
complete -c crier -n "__fish_seen_subcommand_from draft" -l for -x -a "(crier providers list -q 2>/dev/null)" -d 'networks to fit'
complete -c crier -n "__fish_seen_subcommand_from draft" -l tone -x
complete -c crier -n "__fish_seen_subcommand_from draft" -l audience -x
complete -c crier -n "__fish_seen_subcommand_from draft" -l hashtags -x
complete -c crier -n "__fish_seen_subcommand_from draft" -l variants -x
complete -c crier -n "__fish_seen_subcommand_from draft" -l template -x -a "(crier templates list -q 2>/dev/null)"
complete -c crier -n "__fish_seen_subcommand_from draft" -l var -x -d 'NAME=VALUE'
complete -c crier -n "__fish_seen_subcommand_from draft" -l model -x -d 'PROVIDER:MODEL'
complete -c crier -n "__fish_seen_subcommand_from draft" -l rounds -x
complete -c crier -n "__fish_seen_subcommand_from draft" -l edit -d 'open $EDITOR'
