#!/bin/sh
# Writes docs/rules/: one page per diagnostic code and the README.md index, from the rule
# table as `proxyctl rules --markdown` prints it, and removes pages of codes that no
# longer exist. The rule_pages test fails until this has run after a rule table edit.
#   scripts/gen-rule-docs.sh [PROXYCTL]     (PROXYCTL defaults to build/tools/proxyctl)
set -eu
cd "$(dirname "$0")/.."
ctl=${1:-build/tools/proxyctl}
out=docs/rules
mkdir -p "$out"
codes=$("$ctl" rules | cut -d' ' -f1)
"$ctl" rules --markdown >"$out/README.md"
for code in $codes; do
    "$ctl" rules --markdown "$code" >"$out/$code.md"
done
for page in "$out"/PX*.md; do
    code=$(basename "$page" .md)
    echo "$codes" | grep -qx "$code" || rm -f "$page"
done
