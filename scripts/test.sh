#!/usr/bin/env bash
# test.sh - install what is missing, build, and run every test:
#   1. core unit tests (check), plain and under AddressSanitizer + UBSan
#   2. the JSON differential test against PHP itself
#   3. fuzz targets over their corpora plus a short fresh run (libFuzzer)
#   4. the extension's phpt suite (run-tests.php), plain
#   5. the phpt suite again with the extension built with ASan + UBSan
#   6. an independent WebSocket client (Debian's python3-websockets),
#      wss:// clients: Python's ssl and headless Chromium, and the
#      hostile-client suite (tests/python/test_hostile.py: limits, memory)
#   7. the benchmark smoke run (0 lost, 0 misrouted in every mode)
#   and package.xml listing every source and test file
# Every step runs; the script exits non-zero when any failed and prints a
# summary line per step. Set WSPUSH_QUICK=1 to skip steps 3, 5 and 7.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
bash scripts/deps.sh || { echo "dependency install failed"; exit 1; }

declare -a SUMMARY=()
FAILED=0
step() {   # step NAME COMMAND...
  local name=$1; shift
  echo; echo "=== $name"
  local t0=$SECONDS
  if "$@"; then SUMMARY+=("PASS  $name ($((SECONDS - t0))s)")
  else SUMMARY+=("FAIL  $name ($((SECONDS - t0))s)"); FAILED=1; fi
}


RUN_TESTS=$(ls /usr/lib/php/*/build/run-tests.php 2>/dev/null | head -n1)

core_tests()      { make -C core -s test; }
core_asan_tests() { make -C core -s asan-test; }
core_valgrind()   { make -C core -s valgrind-test; }
json_diff()       { make -C core -s json-diff; }
fuzz_smoke()      { make -C core -s fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-10}"; }

run_phpt() {   # run_phpt EXTENSION_SO [env...]
  local so=$1; shift
  local out
  out=$(mktemp)
  env "$@" TEST_PHP_EXECUTABLE="$(command -v php)" NO_INTERACTION=1 \
    php "$RUN_TESTS" -q --show-diff -d extension="$so" php-tests >"$out" 2>&1
  local rc=$?
  grep -E "^(Tests (passed|failed|skipped|warned)|Number of tests)" "$out" || true
  # A skipped phpt is a failure here: this script installs everything the
  # suite needs (deps.sh), so a skip means a missing package or a broken
  # SKIPIF, and the test would otherwise stop running unnoticed.
  # PHPT_SKIP_OK: an extended regex of test files allowed to skip (none).
  # run-tests.php retries a failed test once when its code calls sleep(),
  # usleep(), microtime() or hrtime(), and counts a pass on the retry as
  # WARN, not a failure: name those, so a flaky test shows in the log.
  sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -oE '\[[^] ]+\.phpt\] \(warn: Test passed on retry attempt\)' \
    | sed 's/^/phpt passed only on retry (flaky): /' || true
  local skips
  skips=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -oE 'SKIP .* \[[^]]+\.phpt\] reason: .*' \
          | { if [ -n "${PHPT_SKIP_OK:-}" ]; then grep -vE "\[(${PHPT_SKIP_OK})\]"; else cat; fi; })
  if [ -n "$skips" ]; then
    echo "phpt skipped that must run:"; echo "$skips"
    rc=1
  fi
  # run-tests exits 0 only when nothing failed; also fail on a sanitizer report.
  if grep -q "ERROR: AddressSanitizer\|runtime error:" "$out" php-tests/*.out 2>/dev/null; then
    grep -n "ERROR: AddressSanitizer\|runtime error:" "$out" php-tests/*.out | head -n 20
    rc=1
  fi
  if [ $rc -ne 0 ]; then
    sed -n '/FAILED TEST SUMMARY/,$p' "$out" | head -n 60
    # what differed, so a failure on a CI machine can be read from its log
    for d in php-tests/*.diff; do
      [ -f "$d" ] && { echo "--- $d"; head -n 40 "$d"; }
    done
  fi
  rm -f "$out"
  return $rc
}

phpt_plain() {
  bash scripts/build.sh && run_phpt "$ROOT/modules/wspush.so"
}

phpt_asan() {
  local dir="$ROOT/build-asan-ext"
  rm -rf "$dir" && mkdir -p "$dir"
  git ls-files -z | grep -z -vE '^(bench|docs)/' | xargs -0 cp --parents -t "$dir" || return 1
  local san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
  # phpize/configure output only on failure (autoconf's `rm -f core` complains
  # about our core/ directory on every check)
  (cd "$dir" && phpize >configure.log 2>&1 && ./configure CFLAGS="-O1 -g $san" LDFLAGS="$san" >>configure.log 2>&1 \
     && make -j"$(nproc)" >/dev/null) || { tail -n 40 "$dir/configure.log"; return 1; }
  local asan_rt
  asan_rt=$(gcc -print-file-name=libasan.so)
  # PHP dlopen()s extensions with RTLD_DEEPBIND, which ASan refuses; the
  # shim drops that flag (tests/asan/nodeepbind.c).
  gcc -shared -fPIC -O2 -o "$dir/nodeepbind.so" tests/asan/nodeepbind.c -ldl || return 1
  # the copy has no ../shared beside it: find Yii 2 from the real root (php-tests/yii.inc)
  local yii
  yii=$(php -r 'require "php-tests/yii.inc"; echo wsp_yii_dir();')
  (cd "$dir" && run_phpt "$dir/modules/wspush.so" YII2_DIR="${YII2_DIR:-$yii}" USE_ZEND_ALLOC=0 ZEND_DONT_UNLOAD_MODULES=1 \
     LD_PRELOAD="$dir/nodeepbind.so $asan_rt" \
     ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0" \
     UBSAN_OPTIONS="print_stacktrace=1")
}

# pecl: package the tracked files, install the tarball into a scratch PEAR
# tree (extension, php_dir, tests, docs all under one temporary directory),
# then run the phpt suite against the installed wspush.so.
pecl_install() {
  local dir src tgz
  dir=$(mktemp -d "${TMPDIR:-/tmp}/wsp-pecl.XXXXXX")
  src=$dir/src
  mkdir -p "$src" && git ls-files -z | xargs -0 cp --parents -t "$src" || return 1
  local log
  log=$(cd "$src" && pecl package package.xml 2>&1) || { printf '%s\n' "$log"; return 1; }
  tgz=$(ls "$src"/wspush-*.tgz) || return 1
  echo "packaged $(basename "$tgz")"
  # `make test` in a phpize build runs php-tests/ (Makefile.frag)
  local t
  t=$(bash scripts/build.sh >/dev/null && make -s --eval 'wsp-tests: ; @echo $(TESTS)' wsp-tests)
  case "$t" in */php-tests) echo "make test runs: $t" ;; *) echo "make test would run '$t', not php-tests/"; return 1 ;; esac
  # A PEAR configuration of its own: every directory, the registry included,
  # under $dir/root/pear. PEAR 1.10 installs a built extension where
  # php-config says (the system's extension dir), whatever ext_dir is: a
  # php-config naming the scratch tree, found through php_prefix, keeps it there.
  local pear=$dir/root/pear
  pear config-create "$dir/root" "$dir/pear.conf" >/dev/null || return 1
  mkdir -p "$dir/bin"
  printf '#!/bin/sh\ncase "$1" in\n  --prefix) echo "%s" ;;\n  --extension-dir) echo "%s" ;;\n  *) exec php-config "$@" ;;\nesac\n' \
    "$pear" "$pear/ext" >"$dir/bin/php-config"
  printf '#!/bin/sh\nexec phpize "$@"\n' >"$dir/bin/phpize"
  chmod +x "$dir/bin/php-config" "$dir/bin/phpize"
  pecl -c "$dir/pear.conf" config-set php_prefix "$dir/bin/" >/dev/null || return 1
  # The output is kept in memory, not only in $dir: a failure must show its
  # reason even when the scratch tree is gone (once on a shared machine,
  # something removed $dir during the install: only 'tail: cannot open
  # install.log' was left to read).
  log=$(MAKEFLAGS="-j$(nproc)" pecl -c "$dir/pear.conf" install "$tgz" 2>&1) ||
    { printf '%s\n' "$log" | tail -n 40; [ -d "$dir/src" ] || echo "($dir was removed during the install)"; return 1; }
  local so=$pear/ext/wspush.so
  [ -f "$so" ] || { echo "pecl install produced no $so"; printf '%s\n' "$log" | tail -n 20; return 1; }
  for f in yii/*.php; do
    [ -f "$pear/php/WsPush/Yii/${f#yii/}" ] || { echo "pecl install did not install $f as WsPush/Yii/${f#yii/}"; return 1; }
  done
  echo "installed $so and php_dir/WsPush/Yii/"
  php -d extension="$so" --ri wspush | sed -n '/^Version/p;/^libevent/p'
  # child processes of the tests load the installed module too
  run_phpt "$so" WSPUSH_SO="$so" && rm -rf "$dir"
}

# The single-node suite once more, every server on the Redis store (cluster
# mode, docs/cluster.md), against a private redis-server (scripts/redis-test.sh).
phpt_redis() {
  bash scripts/build.sh >/dev/null || return 1
  local dir port rc
  dir=$(mktemp -d)
  port=$(bash scripts/redis-test.sh start "$dir") || return 1
  run_phpt "$ROOT/modules/wspush.so" WSPUSH_TEST_STORE="redis://127.0.0.1:$port/0"
  rc=$?
  bash scripts/redis-test.sh stop "$dir"
  rm -rf "$dir"
  return $rc
}

crash_loop()    { bash scripts/build.sh >/dev/null && /usr/bin/python3 tests/fault/crashloop.py --kills 10; }
python_client() { bash scripts/build.sh >/dev/null && /usr/bin/python3 tests/python/test_websockets.py; }
ops_tests()     { bash scripts/build.sh >/dev/null && /usr/bin/python3 tests/python/test_ops.py; }
wss_clients()   { bash scripts/build.sh >/dev/null && /usr/bin/python3 tests/python/test_wss.py; }
hostile_clients() { bash scripts/build.sh >/dev/null && /usr/bin/python3 tests/python/test_hostile.py; }
bench_smoke()   { bash scripts/build.sh >/dev/null && bash bench/run --smoke; }

step "package.xml lists every file" php scripts/check-package.php
step "core unit tests" core_tests
step "core unit tests (ASan+UBSan)" core_asan_tests
step "core server tests (valgrind)" core_valgrind
step "JSON differential test vs PHP" json_diff
[ -z "${WSPUSH_QUICK:-}" ] && step "fuzz smoke" fuzz_smoke
step "phpt" phpt_plain
step "phpt on the Redis store" phpt_redis
[ -z "${WSPUSH_QUICK:-}" ] && step "phpt (ASan+UBSan)" phpt_asan
step "python3-websockets client" python_client
step "crash loop (kill -9, 10 times)" crash_loop
step "wss:// clients (python ssl, Chromium)" wss_clients
step "pecl package + install + phpt" pecl_install
step "README commands (serve, test, deps elevation)" bash tests/readme/commands.sh
step "operations: logs, /metrics, SIGTERM (python)" ops_tests
step "hostile clients (limits)" hostile_clients
[ -z "${WSPUSH_QUICK:-}" ] && step "bench smoke" bench_smoke

echo; echo "=== summary"
printf '%s\n' "${SUMMARY[@]}"
exit $FAILED
