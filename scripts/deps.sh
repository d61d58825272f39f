#!/usr/bin/env bash
# deps.sh - install the Debian packages WsPush needs to build and test
# (idempotent; as root, or through sudo when available). README says why
# each one is there.
set -euo pipefail
PKGS=(
  php8.2-dev          # phpize, headers, run-tests.php, gen_stub.php
  php8.2-cli          # pcntl (and posix, sockets via php8.2-common): phpt tests fork, reset, drop privileges
  libevent-dev        # the event loop (core)
  libjson-c-dev       # JSON for the transform and canonical keys (core)
  libssl-dev          # libcrypto: SHA-1 for the WebSocket handshake (core)
  liblmdb-dev         # the embedded durable store (core)
  pkg-config
  check               # C unit tests (core/tests)
  python3-websockets  # an independent WebSocket client for tests
  clang               # libFuzzer fuzz targets (core/fuzz)
  libclang-rt-14-dev  # the libFuzzer runtime (only a "Recommends" of clang)
  build-essential
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
