#!/bin/sh
# Builds and lints the bundled example configuration.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
"$BUILD_DIR/tools/proxyctl" check examples/proxyd.cfg
