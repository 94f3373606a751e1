#!/bin/sh
# Installs dependencies from Debian's packages. Safe to run repeatedly; does nothing when
# everything asked for is present.
#   install-deps.sh              what building proxyctl and proxyd needs
#                                (cmake -DPROXY_BUILD_TESTS=OFF, cpack -G DEB)
#   install-deps.sh test         also what the test suite needs (scripts/test.sh)
#   install-deps.sh clang        also clang 16 with its sanitizer and libFuzzer runtimes
#                                (the sanitized build and the fuzz targets)
#   install-deps.sh test clang   any combination
set -eu

# Building proxyctl and proxyd: the compiler, CMake and the libraries they link or include.
build_pkgs="
    build-essential
    cmake
    pkg-config
    tao-pegtl-dev
    libcli11-dev
    nlohmann-json3-dev
    libtomlplusplus-dev
    libcrypt-dev
    libc-ares-dev
    nettle-dev
"

# The test suite: Catch2, the Python CLI tests and the tools they drive (curl, the shells
# the completions are for, groff/man, Ansible, promtool, Chromium for the admin page,
# microsocks as a parent proxy, systemd-analyze, dpkg-deb and lintian for the .deb,
# pre-commit and git for the hook).
test_pkgs="
    catch2
    python3
    python3-jsonschema
    python3-yaml
    curl
    groff-base
    man-db
    bash-completion
    zsh
    fish
    ansible-core
    prometheus
    chromium
    microsocks
    systemd
    dpkg-dev
    lintian
    pre-commit
    git
"

# The sanitized build and the libFuzzer targets.
clang_pkgs="
    clang-16
    libclang-rt-16-dev
    libfuzzer-16-dev
"

pkgs=$build_pkgs
for what in "$@"; do
    case $what in
    test) pkgs="$pkgs $test_pkgs" ;;
    clang) pkgs="$pkgs $clang_pkgs" ;;
    *)
        echo "usage: install-deps.sh [test] [clang]" >&2
        exit 2
        ;;
    esac
done

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine or container has no package lists yet.
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
