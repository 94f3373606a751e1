#!/bin/bash
# Runs the bash completion function the way readline does and prints COMPREPLY, one a line.
# Usage: bash_complete.sh SCRIPT LINE WORD...
#   LINE is the command line up to the cursor (COMP_LINE); WORDS are the words bash splits
#   it into (COMP_WORDS), the last one being completed ('' after a space).

script=$1 line=$2
shift 2
# The helpers bash-completion provides to every completion (_init_completion, _filedir).
source /usr/share/bash-completion/bash_completion
source "$script"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE=$line
COMP_POINT=${#line}
COMP_TYPE=9
COMP_KEY=9
COMPREPLY=()
# Its status is not checked: bash ignores it too (but for 124, which this script never uses).
_proxyctl "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
for reply in "${COMPREPLY[@]}"; do
    printf '%s\n' "$reply"
done
