#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and UBSan, at -O2
# for long runs, into ./build-fuzz (or $FUZZ_BUILD_DIR), and runs their short fixed-time
# runs (fuzz_<target>_smoke, FUZZ_SMOKE_SECONDS each, 15 by default).
# The test suite's sanitized build (scripts/test-sanitized.sh) runs the same smoke tests.
set -eu
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh" clang
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
    -DPROXY_FUZZ=ON -DPROXY_BUILD_TESTS=OFF -DFUZZ_SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-15}" \
    >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target config_fuzz socks_fuzz http_fuzz control_fuzz
ctest --test-dir "$BUILD_DIR" -L fuzz --output-on-failure -j"$(nproc)"
