#!/usr/bin/env bash
# build.sh - build the extension in the repository root (modules/wspush.so).
# Re-runs phpize/configure only when config.m4 changed, a core/*.c file is
# new (configure lists the sources), or nothing is built.
set -euo pipefail
cd "$(dirname "$0")/.."
new_source=0
if [ -f Makefile ]; then
  for f in core/*.c; do
    case "$f" in *_main.c) continue ;; esac
    grep -q "${f%.c}\.lo" Makefile || { new_source=1; break; }
  done
fi
if [ ! -f Makefile ] || [ ! -f configure ] || [ config.m4 -nt configure ] || [ $new_source = 1 ]; then
  # Quiet unless it fails (autoconf's clean-up also runs `rm -f core`, which
  # complains about our core/ directory on every check).
  log=$(mktemp)
  { phpize && ./configure ${WSPUSH_CONFIGURE_FLAGS:-}; } >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
fi
make -j"$(nproc)" >/dev/null
test -f modules/wspush.so
echo "built modules/wspush.so"
