#!/bin/sh
# Configures and builds into ./build (or $BUILD_DIR) with warnings as errors.
#   build.sh               everything, the test suite included (installs its needs too)
#   build.sh TARGET...     only these targets (proxyctl, proxyd) and what building them
#                          needs; a new build directory is configured without the tests
# Both configure alike, so switching between them rebuilds nothing already built.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ $# -eq 0 ]; then
    scripts/install-deps.sh test
    tests="-DPROXY_BUILD_TESTS=ON"
else
    scripts/install-deps.sh
    # An existing directory keeps its choice: its test suite stays runnable.
    tests=""
    [ -f "$BUILD_DIR/CMakeCache.txt" ] || tests="-DPROXY_BUILD_TESTS=OFF"
fi
# -g1 (line tables: whole stack traces, no variables) rather than -g: a quarter less compile
# time, and the test suite builds everything.
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DPROXY_WERROR=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" $tests >/dev/null
if [ $# -eq 0 ]; then
    cmake --build "$BUILD_DIR" -j"$(nproc)"
else
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target "$@"
fi
