#!/bin/sh
# Builds everything with AddressSanitizer and UndefinedBehaviorSanitizer into ./build-asan
# (or $SANITIZE_BUILD_DIR) and runs the test suite there, the short runs of the libFuzzer
# targets (tests/fuzz) included and the tests of packaging and shell files left out.
#
# One clang build serves both: the fuzz targets need clang, and clang builds the project
# faster than gcc does. The libraries the targets exercise carry coverage instrumentation
# in this tree; the other tests link them too, which costs a little speed and nothing else.
#
# The Python and integration tests run these sanitized binaries as child processes and
# often keep only their exit status, or send proxyd's stderr to a file nobody reads. So
# every report, from any process, goes to a file in $BUILD_DIR/sanitizer-logs (log_path)
# instead of stderr, and the run fails when that directory is not empty afterwards.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
"$root/scripts/install-deps.sh" test clang
BUILD_DIR=${SANITIZE_BUILD_DIR:-build-asan}
case $BUILD_DIR in /*) ;; *) BUILD_DIR="$root/$BUILD_DIR" ;; esac
# -O1 -g1 (line tables only): half the compile time of -O2 -g, and still whole stack traces.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DPROXY_SANITIZE=address,undefined \
    -DPROXY_WERROR=ON -DPROXY_FUZZ=ON -DFUZZ_SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-10}" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"

logs="$BUILD_DIR/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"

# The packaging, Ansible, shell completion and man page tests check files and other
# programs, not this code's memory: the normal suite runs them, and here they would only
# add minutes. SANITIZE_CTEST_ARGS replaces this selection ("" runs everything).
selection='-LE ^(ansible|install|completions|man)$'
status=0
# shellcheck disable=SC2086
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 300 \
    ${SANITIZE_CTEST_ARGS-$selection} || status=$?
if [ -n "$(ls -A "$logs")" ]; then
    for f in "$logs"/*; do
        echo "==== $f"
        cat "$f"
    done
    echo "sanitizer reports above (from processes the tests started): failing" >&2
    status=1
fi
exit "$status"
