#!/usr/bin/env bash
# redis-test.sh - a private redis-server for tests (never the system one, never
# port 6379): on a free port below 32768, in its own directory, with AOF on and
# appendfsync always (a restart keeps everything it answered).
#
#   port=$(bash scripts/redis-test.sh start DIR)   # prints the port once it is ready
#   bash scripts/redis-test.sh stop DIR            # SIGTERM, waits for the exit
# REDIS_APPENDFSYNC=everysec|no changes the fsync policy (benchmarks).
set -euo pipefail
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
case $cmd in
start)
  command -v redis-server >/dev/null || { echo "redis-server not installed (scripts/deps.sh)" >&2; exit 1; }
  mkdir -p "$dir"
  for _ in $(seq 1 20); do
    port=$(( 20000 + RANDOM % 12000 ))
    # taken by anything listening? try another
    if ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN; then continue; fi
    : >"$dir/redis.log"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
      --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      --appendonly yes --appendfsync "${REDIS_APPENDFSYNC:-always}" --save '' >/dev/null
    # wait for its readiness line (or its failure): polled, the log is a file
    for _ in $(seq 1 400); do
      if grep -q 'Ready to accept' "$dir/redis.log"; then
        echo "$port" >"$dir/port"; echo "$port"; exit 0
      fi
      grep -q -E 'Could not create|Address already in use|FATAL' "$dir/redis.log" && break
      sleep 0.025
    done
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null
    rm -f "$dir/redis.pid"
  done
  echo "could not start redis-server (see $dir/redis.log)" >&2; exit 1 ;;
stop)
  [ -f "$dir/redis.pid" ] || exit 0
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || exit 0
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.05; done
  echo "redis-server $pid did not stop" >&2; exit 1 ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
