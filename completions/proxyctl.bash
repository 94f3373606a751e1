# bash completion for proxyctl                             -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/proxyctl, or load it from ~/.bashrc
# with: source <(proxyctl completion bash)
# Rule codes, live session ids and service names come from proxyctl itself
# (`proxyctl __complete rules|sessions|services`); with no daemon reachable there are none.
# Uses bash-completion's helpers when they are loaded, plain compgen otherwise.

# _proxyctl_values PROXYCTL KIND SOCKET: the values, one a line; errors stay silent.
_proxyctl_values()
{
    local args=(__complete "$2")
    [[ -n $3 ]] && args+=(--socket "$3")
    "$1" "${args[@]}" 2>/dev/null
}

# _proxyctl_files [-d]: file names (directories only with -d) matching $cur.
_proxyctl_files()
{
    if declare -F _filedir >/dev/null; then
        _filedir "$@"
        return
    fi
    local IFS=$'\n'
    if [[ ${1-} == -d ]]; then
        COMPREPLY+=($(compgen -d -- "$cur"))
    else
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    compopt -o filenames 2>/dev/null
}

_proxyctl()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local proxyctl=${1:-proxyctl}

    # The subcommand is the first word that is not an option (the top level takes none with
    # values); a --socket on the line is where the daemon is asked.
    local i sub="" socket=""
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --socket) socket=${words[i + 1]} ;;
            --socket=*) socket=${words[i]#--socket=} ;;
            -*) ;;
            *) [[ -z $sub ]] && sub=${words[i]} ;;
        esac
    done

    # Options whose values are a fixed list.
    local choices=""
    case $prev in
        --format) choices="text gcc json sarif github" ;;
        --dialect) choices="proxyd 3proxy" ;;
        --severity|--fail-on) choices="error warning info" ;;
        --color) choices="auto always never" ;;
    esac
    if [[ -n $choices ]]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        return
    fi
    case $prev in
        --disable)
            # A comma separated list: complete its last element, skip codes already in it.
            local prefix="" code codes=()
            [[ $cur == *,* ]] && prefix=${cur%,*},
            for code in $(_proxyctl_values "$proxyctl" rules); do
                [[ ,$prefix == *,$code,* ]] || codes+=("$code")
            done
            COMPREPLY=($(compgen -P "$prefix" -W "${codes[*]}" -- "${cur##*,}"))
            return
            ;;
        --root)
            _proxyctl_files -d
            return
            ;;
        --socket | --baseline | --write-baseline | --stdin-filename)
            _proxyctl_files
            return
            ;;
        --service)
            local IFS=$'\n'
            COMPREPLY=($(compgen -W "$(_proxyctl_values "$proxyctl" services "$socket")" \
                -- "$cur"))
            # bash splits words at ':', so "socks:1080@..." is inserted after the last one.
            declare -F __ltrim_colon_completions >/dev/null &&
                __ltrim_colon_completions "$cur"
            return
            ;;
        --user | --source | --watch | --password | --from | --to | --port | --at)
            return
            ;;
        --op)
            COMPREPLY=($(compgen -W "CONNECT BIND UDPASSOC HTTP_GET HTTP_POST HTTP_PUT HTTP_HEAD
                HTTP_CONNECT HTTP_OTHER FTP_GET FTP_PUT FTP_LIST DNSRESOLVE ADMIN" -- "$cur"))
            return
            ;;
        --session)
            COMPREPLY=($(compgen -W "$(_proxyctl_values "$proxyctl" sessions "$socket")" -- "$cur"))
            return
            ;;
        --signal)
            if [[ $sub == reload ]]; then
                COMPREPLY=($(compgen -W "USR1 HUP" -- "$cur"))
                _proxyctl_files
                return
            fi
            ;;
    esac
    $split && return

    if [[ -z $sub ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "check show fmt rules status sessions diff reload kill
                reopen-logs metrics explain completion" -- "$cur"))
        fi
        return
    fi

    local live="--socket --json --help"
    if [[ $cur == -* ]]; then
        local options
        case $sub in
            check) options="--dialect --format --severity --fail-on --werror --disable --quiet
                --stdin-filename --baseline --write-baseline --no-config --root --offline
                --live --socket --color --fix --diff --unsafe-fixes --help" ;;
            show) options="--json --dialect --root --help" ;;
            fmt) options="--write --check --separate-blocks --help" ;;
            rules) options="--json --markdown --help" ;;
            status | diff | kill | reopen-logs | metrics) options=$live ;;
            sessions) options="--service --user --source --watch $live" ;;
            reload) options="--dry-run --allow-drop --signal --wait-drained $live" ;;
            explain) options="--user --password --from --to --service --port --op --at --live
                --session $live" ;;
            *) options="--help" ;;
        esac
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return
    fi

    case $sub in
        check | show | fmt | reload | explain)
            _proxyctl_files
            ;;
        kill)
            # Live session ids, without those already on the line.
            local id ids=()
            for id in $(_proxyctl_values "$proxyctl" sessions "$socket"); do
                [[ " ${words[*]:2:cword-2} " == *" $id "* ]] || ids+=("$id")
            done
            COMPREPLY=($(compgen -W "${ids[*]}" -- "$cur"))
            ;;
        rules)
            COMPREPLY=($(compgen -W "$(_proxyctl_values "$proxyctl" rules)" -- "$cur"))
            ;;
        completion)
            COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur"))
            ;;
    esac
} &&
    complete -F _proxyctl proxyctl
