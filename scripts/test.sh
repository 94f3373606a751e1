#!/bin/sh
# Builds everything and runs the whole test suite, then builds and runs it again under
# AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test-sanitized.sh).
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 300
scripts/test-sanitized.sh
