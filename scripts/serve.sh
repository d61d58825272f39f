#!/usr/bin/env bash
# serve.sh - install what is missing, build the extension, and run the
# server in the foreground (SIGINT/SIGTERM stop it gracefully). Arguments
# go to `bin/wspush serve` (e.g. --ws 0.0.0.0:5001 --push 127.0.0.1:5002).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --build
bash scripts/build.sh
exec php bin/wspush serve "$@"
