#!/usr/bin/env bash
# build.sh - build the extension in the repository root (modules/wspush.so).
# Re-runs phpize/configure only when config.m4 changed or nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f Makefile ] || [ ! -f configure ] || [ config.m4 -nt configure ]; then
  phpize >/dev/null
  ./configure ${WSPUSH_CONFIGURE_FLAGS:-} >/dev/null
fi
make -j"$(nproc)" >/dev/null
test -f modules/wspush.so
echo "built modules/wspush.so"
