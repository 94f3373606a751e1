#!/bin/sh
# Writes everything proxyctl prints about the real-world corpus into DIR, one file per
# config and output form, with the exit status: run it before and after a change that
# must not alter output, then `diff -r BEFORE AFTER`.
#   scripts/output-snapshot.sh DIR [PROXYCTL]     (PROXYCTL defaults to build/tools/proxyctl)
set -eu
cd "$(dirname "$0")/.."
out=${1:?usage: output-snapshot.sh DIR [PROXYCTL]}
ctl=${2:-build/tools/proxyctl}
mkdir -p "$out"
run() {  # NAME ARGS...: stdout, stderr and status of one proxyctl run
    name=$1
    shift
    status=0
    "$ctl" "$@" >"$out/$name.out" 2>"$out/$name.err" || status=$?
    echo "$status" >"$out/$name.status"
}
run rules rules
for cfg in tests/corpus/real-world/*.cfg tests/fuzz/corpus/config/*.cfg examples/*.cfg; do
    [ -f "$cfg" ] || continue
    base=$(echo "$cfg" | tr / _)
    for dialect in proxyd 3proxy; do
        for format in text gcc json sarif github; do
            run "$base.$dialect.$format" check --offline --severity info --color always \
                --dialect "$dialect" --format "$format" "$cfg"
        done
    done
    run "$base.show" show "$cfg"
    run "$base.show-json" show --json "$cfg"
done
echo "$(ls "$out" | wc -l) files in $out"
