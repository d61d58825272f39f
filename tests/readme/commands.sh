#!/usr/bin/env bash
# commands.sh - README's two commands are the ones CI and this test run, and
# they work as README says:
#   1. README's first code block is exactly two commands, neither needs sudo:
#      the serve command and the test command;
#   2. .ci/run executes README's test command;
#   3. README's serve command, run here with ports and a data dir appended (it
#      passes its arguments on), prints its listening line, answers a push,
#      and exits 0 on SIGTERM;
#   4. scripts/deps.sh elevates the way README promises: as root it calls
#      apt-get itself (no sudo on a fresh Debian), as a user through sudo, and
#      without root or sudo it names the missing packages. apt-get, sudo, id and
#      dpkg-query are stand-ins on PATH here, so nothing is installed.
# Exit 0 when all hold; each failure is printed.
set -uo pipefail
cd "$(dirname "$0")/../.."
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wsp-readme.XXXXXX")
srv=
cleanup() { [ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# 1. the first ```sh block of README, comments and blank lines dropped
mapfile -t cmds < <(awk '/^```sh$/ && !seen { inb = 1; seen = 1; next }
                        inb && /^```$/ { exit }
                        inb { sub(/[ \t]*#.*$/, ""); sub(/^[ \t]+/, ""); if ($0 != "") print }' README.md)
serve_cmd=${cmds[0]:-}
test_cmd=${cmds[1]:-}
if [ ${#cmds[@]} -ne 2 ]; then
  fail "README's first code block should hold two commands, has ${#cmds[@]}: ${cmds[*]}"
fi
case "$serve_cmd" in *scripts/serve.sh*) ;; *) fail "first README command is not the serve script: '$serve_cmd'" ;; esac
case "$test_cmd" in *scripts/test.sh*) ;; *) fail "second README command is not the test script: '$test_cmd'" ;; esac
for c in "$serve_cmd" "$test_cmd"; do
  case "$c" in *sudo*) fail "README command needs sudo (a fresh Debian has none): '$c'" ;; esac
done
[ "$fails" -eq 0 ] && ok "README commands: '$serve_cmd' and '$test_cmd'"

# 2. .ci/run runs README's test command (its last command, exec'd)
ci_cmd=$(grep -vE '^[[:space:]]*(#|$)' .ci/run | tail -n 1)
if [ "$ci_cmd" = "exec $test_cmd" ]; then ok ".ci/run executes '$test_cmd'"
else fail ".ci/run ends with '$ci_cmd', README says '$test_cmd'"; fi

# 3. README's serve command, for real, with free ports
mkfifo "$tmp/out"
# shellcheck disable=SC2086  # the README command is words, split on purpose
$serve_cmd --ws 127.0.0.1:0 --push 127.0.0.1:0 --data-dir "$tmp/data" \
  --log-file "$tmp/wspush.log" --close-log-file "$tmp/close.log" >"$tmp/out" 2>"$tmp/err" &
srv=$!
exec 3<"$tmp/out"
line=
# Waits for the line (deps and build may run first), not for a fixed time.
while IFS= read -r -t 600 l <&3; do
  case "$l" in "wspush listening "*) line=$l; break ;; esac
done
push_port=$(sed -n 's/.* push=[^ ]*:\([0-9]*\) .*/\1/p' <<<"$line")
if [ -z "$push_port" ]; then
  fail "'$serve_cmd' printed no listening line: $(tail -n 5 "$tmp/err")"
else
  ok "'$serve_cmd' listening: $line"
  exec 4<>"/dev/tcp/127.0.0.1/$push_port"
  printf '{"uid":"5","msg":"readme"}\n' >&4
  IFS= read -r -t 10 reply <&4 || reply="(no reply)"
  exec 4>&-
  [ "$reply" = "queued" ] && ok "a push is answered queued" || fail "push reply '$reply', expected queued"
  kill -TERM "$srv"
  wait "$srv"; rc=$?
  srv=
  [ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc ($(tail -n 3 "$tmp/err"))"
fi
exec 3<&-

# 4. deps.sh elevation, with stand-ins that record what would run
fake=$tmp/fakebin
mkdir -p "$fake"
cat >"$fake/dpkg-query" <<'EOF'
#!/bin/sh
echo "not-installed"
EOF
cat >"$fake/apt-get" <<'EOF'
#!/bin/sh
echo "apt-get uid=$(id -u) DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-} $*" >>"$WSP_FAKE_LOG"
EOF
cat >"$fake/sudo" <<'EOF'
#!/bin/sh
echo "sudo $*" >>"$WSP_FAKE_LOG"
WSP_FAKE_UID=0; export WSP_FAKE_UID
exec "$@"
EOF
cat >"$fake/id" <<'EOF'
#!/bin/sh
echo "${WSP_FAKE_UID:-0}"
EOF
chmod +x "$fake"/*
deps() {   # deps UID WITH_SUDO -> runs deps.sh, log in $tmp/deps.log
  local path=$fake:/usr/bin:/bin
  rm -f "$tmp/deps.log"
  if [ "$2" = no ]; then
    # a PATH with only what deps.sh calls, so no sudo can be found
    mkdir -p "$tmp/nosudo"
    cp "$fake/dpkg-query" "$fake/apt-get" "$fake/id" "$tmp/nosudo/"
    ln -sf "$(command -v grep)" "$tmp/nosudo/grep"
    path=$tmp/nosudo
  fi
  WSP_FAKE_LOG=$tmp/deps.log WSP_FAKE_UID=$1 PATH=$path "$BASH" scripts/deps.sh >"$tmp/deps.out" 2>&1
}

deps 0 yes
if grep -q '^sudo' "$tmp/deps.log" 2>/dev/null; then fail "deps.sh as root used sudo"
elif grep -q '^apt-get uid=0 DEBIAN_FRONTEND=noninteractive install' "$tmp/deps.log" 2>/dev/null; then ok "deps.sh as root: apt-get without sudo"
else fail "deps.sh as root did not run apt-get install: $(cat "$tmp/deps.out" "$tmp/deps.log" 2>/dev/null)"; fi

deps 1000 yes
if grep -q '^sudo env .*apt-get' "$tmp/deps.log" 2>/dev/null \
   && grep -q '^apt-get uid=0 DEBIAN_FRONTEND=noninteractive install' "$tmp/deps.log"; then ok "deps.sh as a user: apt-get through sudo"
else fail "deps.sh as a user did not go through sudo: $(cat "$tmp/deps.out" "$tmp/deps.log" 2>/dev/null)"; fi

# serve.sh installs only what building needs: no browser, fuzzer, valgrind
rm -f "$tmp/deps.log"
WSP_FAKE_LOG=$tmp/deps.log WSP_FAKE_UID=0 PATH=$fake:/usr/bin:/bin "$BASH" scripts/deps.sh --build >"$tmp/deps.out" 2>&1
if grep -q 'install .*libevent-dev' "$tmp/deps.log" 2>/dev/null && ! grep -qE 'chromium|clang|valgrind' "$tmp/deps.log" \
   && grep -q 'deps.sh --build' scripts/serve.sh; then ok "serve.sh installs only the build packages"
else fail "deps.sh --build / serve.sh: $(cat "$tmp/deps.out" "$tmp/deps.log" 2>/dev/null)"; fi

deps 1000 no; rc=$?
if [ "$rc" -ne 0 ] && grep -q "missing: php8.2-dev" "$tmp/deps.out" && [ ! -s "$tmp/deps.log" ]; then
  ok "deps.sh as a user without sudo: names the missing packages, exit $rc"
else fail "deps.sh without root or sudo (exit $rc): $(cat "$tmp/deps.out")"; fi

[ "$fails" -eq 0 ] && { echo "README commands: all checks passed"; exit 0; }
echo "README commands: $fails check(s) failed"
exit 1
