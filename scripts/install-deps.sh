#!/bin/sh
# Installs every build and test dependency from Debian's packages.
# Safe to run repeatedly; does nothing when everything is present.
#   install-deps.sh          what the build and the test suite need
#   install-deps.sh clang    also clang 16 with its sanitizer and libFuzzer runtimes
#                            (the sanitized build and the fuzz targets)
set -eu
pkgs="build-essential cmake pkg-config tao-pegtl-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev catch2
      libcrypt-dev libc-ares-dev nettle-dev curl python3 groff-base man-db
      bash-completion zsh fish ansible-core python3-jsonschema microsocks prometheus"
pkgs="$pkgs chromium"
if [ "${1:-}" = clang ]; then
    pkgs="$pkgs clang-16 libclang-rt-16-dev libfuzzer-16-dev"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
