#!/bin/sh
# Configures and builds into ./build (or $BUILD_DIR) with warnings as errors.
set -eu
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh"
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} -DPROXY_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
