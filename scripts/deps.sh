#!/usr/bin/env bash
# deps.sh - install the Debian packages WsPush needs (idempotent). Runs as
# anyone: as root it calls apt-get itself, otherwise through sudo, and only
# when a package is missing. README says why each one is there.
#
#   deps.sh           what building and every test need (scripts/test.sh)
#   deps.sh --build   only what building and serving need (scripts/serve.sh:
#                     a server machine gets no browser, fuzzer or valgrind)
set -euo pipefail
BUILD_PKGS=(
  php8.2-dev          # phpize, headers, run-tests.php, gen_stub.php
  php8.2-cli          # pcntl (and posix, sockets via php8.2-common): phpt tests fork, reset, drop privileges
  libevent-dev        # the event loop (core)
  libjson-c-dev       # JSON for the transform and canonical keys (core)
  libssl-dev          # libcrypto: SHA-1, HMAC-SHA256 (core); libssl: wss:// (--disable-wspush-tls to drop)
  liblmdb-dev         # the embedded durable store (core)
  libhiredis-dev      # the Redis store, cluster mode (core/cluster.c; optional at build time)
  liburing-dev        # io_uring: a loop pass's socket writes in one system call (core/send_batch.c; optional at build time)
  redis-server        # a private Redis for the cluster tests (scripts/redis-test.sh)
  pkg-config
  build-essential
)
PKGS=(
  "${BUILD_PKGS[@]}"
  php-pear            # pecl: the package / install test (scripts/test.sh "pecl")
  check               # C unit tests (core/tests)
  python3-websockets  # an independent WebSocket client for tests (also drives Chromium over DevTools)
  openssl             # the CLI: tests make their own TLS certificates for wss://
  chromium            # a real browser as wss:// client (tests/python/test_wss.py, headless)
  python3-prometheus-client  # a real Prometheus text parser for /metrics (tests/python/test_ops.py)
  clang               # libFuzzer fuzz targets (core/fuzz)
  libclang-rt-14-dev  # the libFuzzer runtime (only a "Recommends" of clang)
  valgrind            # the loop tests under valgrind: ASan cannot see libevent touching freed events
)
case "${1:-}" in
  --build) PKGS=("${BUILD_PKGS[@]}") ;;
  "") ;;
  *) echo "usage: deps.sh [--build]" >&2; exit 2 ;;
esac
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Elevate only for apt-get: a fresh Debian container runs as root and has no
# sudo; a developer runs as themselves and has sudo. `sudo env` because sudo
# resets the environment (DEBIAN_FRONTEND would not reach apt-get).
if [ "$(id -u)" -eq 0 ]; then
  as_root=(env)
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo env)
else
  echo "deps.sh: these Debian packages are missing: ${missing[*]}" >&2
  echo "deps.sh: run this as root, or install sudo, or install them yourself:" >&2
  echo "  apt-get install --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -q >&2
"${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
