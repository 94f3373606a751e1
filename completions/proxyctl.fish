# fish completion for proxyctl. Install as ~/.config/fish/completions/proxyctl.fish, or
# print it with: proxyctl completion fish > ~/.config/fish/completions/proxyctl.fish
# Rule codes, live session ids and service names come from proxyctl itself
# (`proxyctl __complete rules|sessions|services`); with no daemon reachable there are none.

# __proxyctl_values KIND: VALUE<TAB>DESCRIPTION lines, asked of the proxyctl being completed
# and of the daemon at the --socket on the command line, if any.
function __proxyctl_values
    set -l tokens (commandline -opc)
    set -l args __complete --describe $argv[1]
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --socket
                set -l next (math $i + 1)
                if test $next -le (count $tokens)
                    set args $args --socket $tokens[$next]
                end
            case '--socket=*'
                set args $args --socket (string replace -- --socket= '' $tokens[$i])
        end
    end
    command $tokens[1] $args 2>/dev/null
end

# The rule codes for --disable, a comma separated list: completes its last element.
function __proxyctl_rule_codes
    set -l token (commandline -ct)
    set -l prefix ''
    if string match -q -- '*,*' $token
        set prefix (string replace -r -- '[^,]*$' '' $token)
    end
    set -l used (string split , -- $prefix)
    for line in (__proxyctl_values rules)
        set -l code (string split -m 1 \t -- $line)[1]
        if not contains -- $code $used
            printf '%s%s\n' $prefix $line
        end
    end
end

set -l subcommands check show fmt rules status sessions diff reload kill reopen-logs metrics explain completion
set -l no_subcommand "not __fish_seen_subcommand_from $subcommands"

complete -c proxyctl -f
complete -c proxyctl -n $no_subcommand -s h -l help -d 'Print help and exit'
complete -c proxyctl -n $no_subcommand -l version -d 'Print the version and exit'
complete -c proxyctl -n $no_subcommand -a check -d 'Lint configuration files (no daemon needed)'
complete -c proxyctl -n $no_subcommand -a show -d 'Print the effective settings of every service'
complete -c proxyctl -n $no_subcommand -a fmt -d 'Print configs in the canonical layout, or rewrite or check them'
complete -c proxyctl -n $no_subcommand -a rules -d 'List every diagnostic code'
complete -c proxyctl -n $no_subcommand -a status -d 'Show the running proxyd'
complete -c proxyctl -n $no_subcommand -a sessions -d 'List the live sessions of the running proxyd'
complete -c proxyctl -n $no_subcommand -a diff -d 'Compare the running proxyd with the files on disk'
complete -c proxyctl -n $no_subcommand -a reload -d 'Reload the running proxyd'
complete -c proxyctl -n $no_subcommand -a kill -d 'Close live sessions by id'
complete -c proxyctl -n $no_subcommand -a reopen-logs -d 'Reopen the log files, without a reload'
complete -c proxyctl -n $no_subcommand -a metrics -d 'Print the metrics of the running proxyd'
complete -c proxyctl -n $no_subcommand -a explain -d 'What would happen to a connection, and which line decides'
complete -c proxyctl -n $no_subcommand -a completion -d 'Print the shell completion script'

complete -c proxyctl -n "__fish_seen_subcommand_from $subcommands" -s h -l help -d 'Print help and exit'

# Live commands share --socket and --json.
set -l live '__fish_seen_subcommand_from status sessions diff reload kill reopen-logs metrics explain'
complete -c proxyctl -n $live -l socket -r -F -d 'proxyd control socket'
complete -c proxyctl -n $live -l json -d "Print the daemon's reply as JSON"

set -l check '__fish_seen_subcommand_from check'
complete -c proxyctl -n $check -F
complete -c proxyctl -n $check -l dialect -x -a 'proxyd 3proxy' -d 'Dialect to lint for'
complete -c proxyctl -n $check -l format -x -a 'text gcc json sarif github' -d 'Output format'
complete -c proxyctl -n $check -l severity -x -a 'error warning info' -d 'Report findings at or above'
complete -c proxyctl -n $check -l fail-on -x -a 'error warning info' -d 'Exit 1 only at or above'
complete -c proxyctl -n $check -l werror -d 'Treat warnings as errors'
complete -c proxyctl -n $check -l disable -x -a '(__proxyctl_rule_codes)' -d 'Rules to switch off (code or name)'
complete -c proxyctl -n $check -s q -l quiet -d 'No summary line and no notes, only findings'
complete -c proxyctl -n $check -l stdin-filename -r -F -d 'Name standard input is reported under'
complete -c proxyctl -n $check -l baseline -r -F -d 'Report only findings not in FILE'
complete -c proxyctl -n $check -l write-baseline -r -F -d 'Record the current findings in FILE'
complete -c proxyctl -n $check -l no-config -d 'Ignore .proxyctl.toml'
complete -c proxyctl -n $check -l root -x -a '(__fish_complete_directories)' -d 'Resolve relative paths against DIR'
complete -c proxyctl -n $check -l offline -d 'Do not ask a running proxyd'
complete -c proxyctl -n $check -l live -d 'Fail on the PX4xx findings (monitoring)'
complete -c proxyctl -n $check -l socket -r -F -d 'proxyd control socket for the PX4xx rules'
complete -c proxyctl -n $check -l color -x -a 'auto always never' -d 'Colour the text output'
complete -c proxyctl -n $check -l fix -d 'Apply the safe fix-its in place'
complete -c proxyctl -n $check -l diff -d 'Print the fixes as a unified diff, change nothing'
complete -c proxyctl -n $check -l unsafe-fixes -d 'With --fix or --diff: also the unsafe fixes'

set -l show '__fish_seen_subcommand_from show'
complete -c proxyctl -n $show -F
complete -c proxyctl -n $show -l json -d 'Print the model as JSON'
complete -c proxyctl -n $show -l dialect -x -a 'proxyd 3proxy' -d 'Dialect'
complete -c proxyctl -n $show -l root -x -a '(__fish_complete_directories)' -d 'Resolve relative paths against DIR'

set -l fmt '__fish_seen_subcommand_from fmt'
complete -c proxyctl -n $fmt -F
complete -c proxyctl -n $fmt -s w -l write -d 'Rewrite the files in place'
complete -c proxyctl -n $fmt -l check -d 'Change nothing; exit 1 if a file is not in the layout'
complete -c proxyctl -n $fmt -l separate-blocks -d 'Empty line after each run of service lines'

complete -c proxyctl -n '__fish_seen_subcommand_from rules' -f -a '(__proxyctl_values rules)'
complete -c proxyctl -n '__fish_seen_subcommand_from rules' -l json -d 'Print JSON'
complete -c proxyctl -n '__fish_seen_subcommand_from rules' -l markdown -d 'Print the Markdown page'

set -l sessions '__fish_seen_subcommand_from sessions'
complete -c proxyctl -n $sessions -l service -x -a '(__proxyctl_values services)' -d 'Only sessions of this service'
complete -c proxyctl -n $sessions -l user -x -d 'Only sessions of this user'
complete -c proxyctl -n $sessions -l source -x -d 'Only sessions from clients in this CIDR'
complete -c proxyctl -n $sessions -l watch -d 'Refresh every SECONDS (default 2) until interrupted'

set -l reload '__fish_seen_subcommand_from reload'
complete -c proxyctl -n $reload -F
complete -c proxyctl -n $reload -l dry-run -d 'Check and compute the reload without applying it'
complete -c proxyctl -n $reload -l allow-drop -d 'Apply even if it stops every service or closes listeners in use'
complete -c proxyctl -n $reload -l wait-drained -d 'Then wait until no session of an older generation remains'
# The value is optional: after --signal come the signal names, or CONFIG itself.
complete -c proxyctl -n $reload -l signal -r -F -a 'USR1 HUP' -d "Signal the pid in CONFIG's pidfile"

complete -c proxyctl -n '__fish_seen_subcommand_from kill' -a '(__proxyctl_values sessions)'

complete -c proxyctl -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish' -d 'Shell'

set -l explain '__fish_seen_subcommand_from explain'
complete -c proxyctl -n $explain -F
complete -c proxyctl -n $explain -l user -x -d 'Username the client gives'
complete -c proxyctl -n $explain -l password -x -d 'Password the client gives'
complete -c proxyctl -n $explain -l from -x -d 'Client address'
complete -c proxyctl -n $explain -l to -x -d 'Target HOST:PORT'
complete -c proxyctl -n $explain -l service -x -a '(__proxyctl_values services)' -d 'The service that receives it'
complete -c proxyctl -n $explain -l port -x -d 'The service listening on this port'
complete -c proxyctl -n $explain -l op -x -a 'CONNECT BIND UDPASSOC HTTP_GET HTTP_POST HTTP_PUT HTTP_HEAD HTTP_CONNECT HTTP_OTHER FTP_GET FTP_PUT FTP_LIST DNSRESOLVE ADMIN' -d 'Operation'
complete -c proxyctl -n $explain -l at -x -d 'When: HH:MM[:SS], optionally after a weekday'
complete -c proxyctl -n $explain -l live -d 'Explain on what the running proxyd has loaded'
complete -c proxyctl -n $explain -l session -x -a '(__proxyctl_values sessions)' -d 'A live session id'
