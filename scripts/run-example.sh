#!/bin/sh
# The first run: builds proxyctl alone (installing only what that needs), lints the bundled
# example configuration, shows what each of its services gets, and says how to start
# proxyd on it. The test suite is neither installed for nor built (scripts/test.sh does).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh proxyctl
BUILD_DIR=${BUILD_DIR:-build}
ctl="$BUILD_DIR/tools/proxyctl"
cfg=examples/proxyd.cfg

echo "\$ proxyctl check $cfg"
status=0
"$ctl" check "$cfg" || status=$?
if [ "$status" -ne 0 ]; then
    echo "proxyctl check found problems in $cfg (exit status $status)" >&2
    exit "$status"
fi
echo "no findings"
echo
echo "\$ proxyctl show $cfg"
"$ctl" show "$cfg"
echo
echo "To start proxyd on it (foreground, Ctrl-C stops it):"
echo "  cmake --build $BUILD_DIR --target proxyd && $BUILD_DIR/proxyd/proxyd $cfg"
