#!/bin/sh
# How much of the real-world corpus proxyd runs: each file is checked in the proxyd
# dialect, and a file with any PX5xx error (a service, directive or auth type proxyd does
# not serve) counts as refused. Prints the refused files, then each responsible feature
# with the number of files it refuses.
#   scripts/corpus-coverage.sh [PROXYCTL] [CONFIG...]
set -eu
cd "$(dirname "$0")/.."
ctl=${1:-build/tools/proxyctl}
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then  # every configuration of the corpus (templates too), not its manifest
    for f in tests/corpus/real-world/*; do
        case $f in *.tsv) ;; *) set -- "$@" "$f" ;; esac
    done
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
total=0
refused=0
for cfg in "$@"; do
    total=$((total + 1))
    # One line per PX5xx error: "PX505 auth type 'cache'".
    errors=$("$ctl" check --offline --dialect proxyd --format gcc "$cfg" 2>/dev/null |
        sed -n -E "s/.* error: .*(auth type|parent type|the|honour) '([^']*)'.*\[(PX5[0-9][0-9])\]$/\3 \1 '\2'/p" |
        sed -E "s/ the / service /; s/ honour / directive /" | sort -u) || true
    [ -n "$errors" ] || continue
    refused=$((refused + 1))
    echo "refused: $cfg: $(echo "$errors" | cut -d' ' -f2- | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
    echo "$errors" >>"$tmp"
done
echo
echo "$refused of $total files refused by proxyd ($(((total - refused) * 100 / (total > 0 ? total : 1)))% run)"
echo "files refused, by feature:"
sort "$tmp" | uniq -c | sort -rn | sed 's/^/  /'
