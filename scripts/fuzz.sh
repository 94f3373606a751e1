#!/bin/sh
# Builds the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer and UBSan into
# ./build-fuzz (or $FUZZ_BUILD_DIR) and runs their short fixed-time runs
# (fuzz_<target>_smoke, FUZZ_SMOKE_SECONDS each, 15 by default).
set -eu
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh"
# clang, its sanitizer and fuzzer runtimes: needed only here.
pkgs="clang-16 libclang-rt-16-dev libfuzzer-16-dev"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
fi
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-16 \
    -DPROXY_FUZZ=ON -DPROXY_BUILD_TESTS=OFF -DFUZZ_SMOKE_SECONDS="${FUZZ_SMOKE_SECONDS:-15}" \
    >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target config_fuzz socks_fuzz http_fuzz control_fuzz
ctest --test-dir "$BUILD_DIR" -L fuzz --output-on-failure -j"$(nproc)"
