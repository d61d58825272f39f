#!/bin/sh
# gen-arginfo.sh - regenerate ext/wspush_arginfo.h from stubs/wspush.stub.php
# with PHP's own gen_stub.php (STYLE point 7).
#
#   scripts/gen-arginfo.sh          regenerate ext/wspush_arginfo.h
#   scripts/gen-arginfo.sh --check  fail (exit 1) if regenerating would
#                                   change the committed file
#
# gen_stub.php wants PHP-Parser 4.15.1 in build/PHP-Parser-4.15.1 beside
# itself and downloads it from github.com when it is missing. We never run
# the system copy (it lives in a root-owned directory): we copy gen_stub.php
# into a private build/ directory and put PHP-Parser there, installed with
# Composer from Packagist (reachable where github.com may not be).
#
# Environment:
#   GEN_STUB       path of gen_stub.php (default: `php-config --prefix`'s
#                  build dir, or found with find)
#   PHP_PARSER_DIR an existing PHP-Parser 4.15.1 checkout (with lib/), to
#                  skip Composer
#   WSP_CACHE_DIR  where the Composer-installed parser is cached
#                  (default ${XDG_CACHE_HOME:-$HOME/.cache}/wspush)
set -eu

PARSER_VERSION=4.15.1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STUB=$ROOT/stubs/wspush.stub.php
TARGET=$ROOT/ext/wspush_arginfo.h
PHP=${PHP:-php}

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

die() { echo "gen-arginfo: $*" >&2; exit 1; }

# 1. gen_stub.php
if [ -z "${GEN_STUB:-}" ]; then
    ext_dir=$(php-config --extension-dir 2>/dev/null || true)
    for cand in "${ext_dir:+$ext_dir/build/gen_stub.php}" \
                "$(php-config --prefix 2>/dev/null)/lib/php/build/gen_stub.php" \
                /usr/lib/php/*/build/gen_stub.php; do
        if [ -n "$cand" ] && [ -f "$cand" ]; then GEN_STUB=$cand; break; fi
    done
fi
if [ -z "${GEN_STUB:-}" ]; then
    GEN_STUB=$(find / -name gen_stub.php -path '*build*' 2>/dev/null | head -n 1 || true)
fi
[ -n "${GEN_STUB:-}" ] && [ -f "$GEN_STUB" ] || die "gen_stub.php not found (install php-dev or set GEN_STUB)"

# 2. PHP-Parser 4.15.1 (what gen_stub.php pins)
if [ -z "${PHP_PARSER_DIR:-}" ]; then
    cache=${WSP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wspush}
    PHP_PARSER_DIR=$cache/php-parser-$PARSER_VERSION/vendor/nikic/php-parser
    if [ ! -f "$PHP_PARSER_DIR/lib/PhpParser/Parser.php" ]; then
        command -v composer >/dev/null 2>&1 || die "composer not found (needed once to fetch nikic/php-parser $PARSER_VERSION)"
        mkdir -p "$cache/php-parser-$PARSER_VERSION"
        [ -f "$cache/php-parser-$PARSER_VERSION/composer.json" ] ||
            echo '{}' > "$cache/php-parser-$PARSER_VERSION/composer.json"
        ( cd "$cache/php-parser-$PARSER_VERSION" &&
          composer require --no-interaction --quiet "nikic/php-parser:$PARSER_VERSION" ) ||
            die "composer could not install nikic/php-parser $PARSER_VERSION"
    fi
fi
[ -f "$PHP_PARSER_DIR/lib/PhpParser/Parser.php" ] || die "no PHP-Parser in $PHP_PARSER_DIR"

# 3. a private copy of gen_stub.php with the parser beside it, and a copy of
#    the stub (gen_stub.php writes the arginfo next to the stub it reads;
#    the stub hash in the banner depends only on the stub's content).
work=$(mktemp -d "${TMPDIR:-/tmp}/wsp-genstub.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/build"
cp "$GEN_STUB" "$work/build/gen_stub.php"
ln -s "$PHP_PARSER_DIR" "$work/build/PHP-Parser-$PARSER_VERSION"
cp "$STUB" "$work/wspush.stub.php"

if ! "$PHP" "$work/build/gen_stub.php" --force-regeneration "$work/wspush.stub.php" >"$work/log" 2>&1; then
    cat "$work/log" >&2
    die "gen_stub.php failed"
fi
[ -f "$work/wspush_arginfo.h" ] || die "gen_stub.php produced no arginfo"

if [ "$check" = 1 ]; then
    if ! cmp -s "$work/wspush_arginfo.h" "$TARGET"; then
        echo "gen-arginfo: ext/wspush_arginfo.h is out of date with stubs/wspush.stub.php;" >&2
        echo "run scripts/gen-arginfo.sh and commit the result. Difference:" >&2
        diff -u "$TARGET" "$work/wspush_arginfo.h" >&2 || true
        exit 1
    fi
    echo "ext/wspush_arginfo.h is up to date"
else
    cp "$work/wspush_arginfo.h" "$TARGET"
    echo "wrote ext/wspush_arginfo.h"
fi
