# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors
#
# Bash completion for `reprise`, the job manager: its commands, each command's options,
# and job ids from `reprise list`. `cmake --install` puts it where bash-completion finds
# it by the command's name (PREFIX/share/bash-completion/completions/reprise); or
# `source` it from ~/.bashrc.

_reprise_job_ids() {
    # The ids `reprise list` shows (the registry the command would use: REPRISE_HOME).
    "$1" list 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }'
}

_reprise() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local program=${COMP_WORDS[0]} command="" i
    local commands="start list info checkpoint stop restart rm prune inspect"
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return 0
    fi
    # After `start ... --`, or once the program is named: the program and its arguments.
    if [[ $command == start ]]; then
        for ((i = i + 1; i < COMP_CWORD; i++)); do
            if [[ ${COMP_WORDS[i]} == -- ]]; then
                if ((i + 1 == COMP_CWORD)); then
                    COMPREPLY=($(compgen -c -- "$cur"))
                else
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
                return 0
            fi
        done
    fi
    case $prev in
        --dir) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --every | --timeout | --grace | --older-than | --name | --env) return 0 ;;
    esac
    local options="--help" ids=no files=no
    case $command in
        start) options+=" --every --name --detach --env --dir --" ;;
        list) options+=" --json" ;;
        info) options+=" --json"; ids=yes ;;
        checkpoint) options+=" --timeout"; ids=yes ;;
        stop) options+=" --timeout --force --grace"; ids=yes ;;
        restart) options+=" --detach"; ids=yes ;;
        rm) ids=yes ;;
        prune) options+=" --older-than --dry-run --restartable" ;;
        inspect) options+=" --json"; ids=yes; files=yes ;;
        *) return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
        return 0
    fi
    if [[ $ids == yes ]]; then
        COMPREPLY=($(compgen -W "$(_reprise_job_ids "$program")" -- "$cur"))
    fi
    if [[ $files == yes ]]; then
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    return 0
}

complete -F _reprise reprise
