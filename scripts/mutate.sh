#!/usr/bin/env bash
# mutate.sh - does the suite catch realistic delivery bugs? Plants each bug
# of the list below, one at a time, in a scratch copy of the tree, rebuilds
# the core and the extension there, and runs the delivery tests against it
# until one fails. Prints a table (Markdown) and exits non-zero when any
# planted bug went uncaught, or when a bug no longer applies (the code it
# patches changed: update the list).
#
#   bash scripts/mutate.sh               every bug, first catching test only
#   MUTATE_ONLY=M03 bash scripts/mutate.sh   one bug
#   MUTATE_ALL=1 bash scripts/mutate.sh  run every check per bug (which tests catch it)
#
# Not part of CI (about 10-20 minutes on a loaded 2-core machine; docs/testing.md
# has the last table). Needs what scripts/test.sh needs (scripts/deps.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN_TESTS=$(ls /usr/lib/php/*/build/run-tests.php 2>/dev/null | head -n1)
[ -n "$RUN_TESTS" ] || { echo "run-tests.php not found (php8.2-dev)"; exit 1; }

# id ::: file ::: what the bug does ::: exact text ::: replacement  (\n = newline)
MUTANTS=$(cat <<'EOF'
M01 ::: core/outbox.c ::: a Pong for N also confirms N+1 ::: while (k->head && k->head->seq <= upto) { ::: while (k->head && k->head->seq <= upto + 1) {
M02 ::: core/outbox.c ::: a tab that fell behind keeps going past the gap (no 4001) ::: if (next > c->cursor) { ::: if (0) {
M03 ::: core/outbox.c ::: the key table rehashes with the old size past 1,024 keys ::: k->hnext = b[k->hash & (nb - 1)];\n            b[k->hash & (nb - 1)] = k; ::: k->hnext = b[k->hash & (t->nbuckets - 1)];\n            b[k->hash & (t->nbuckets - 1)] = k;
M04 ::: core/ws_conn.c ::: a graceful stop counts as a broken delivery ::: wsp_outbox_unbind(c, !srv->stopping); ::: wsp_outbox_unbind(c, 1);
M05 ::: core/outbox.c ::: retry_max off by one (one try too many) ::: if ((int)m->tries >= srv->cfg.retry_max) ::: if ((int)m->tries > srv->cfg.retry_max)
M06 ::: core/outbox.c ::: a broken delivery spends no try ::: if (broken && c->written_upto > c->confirmed_upto) { ::: if (0 && broken && c->written_upto > c->confirmed_upto) {
M07 ::: core/outbox.c ::: a try is spent on messages never written to the broken connection ::: while (m && m->seq <= c->written_upto) { ::: while (m) {
M08 ::: core/outbox.c ::: a key is forgotten while a connection is still bound ::: if (k->conns || k->head) return; ::: if (k->head) return;
M09 ::: core/outbox.c ::: a binding connection starts at the newest push (no replay) ::: c->cursor = k->head ? k->head->seq : k->next_seq; ::: c->cursor = k->next_seq;
M10 ::: core/outbox.c ::: a resumed connection is written again from the oldest held message (duplicates) ::: while (m && m->seq < c->cursor) m = m->next; ::: ;
M11 ::: core/outbox.c ::: fan-out writes to the first tab only ::: for (wsp_wsconn *c = k->conns; c; c = c->key_next) { ::: for (wsp_wsconn *c = k->conns; c; c = NULL) {
M12 ::: core/outbox.c ::: "ok" for a push no connection took ::: if (c->written_upto >= seq) *written = 1; ::: *written = 1;
M13 ::: core/outbox.c ::: queue_limit drops the newest instead of the oldest ::: msg_drop(srv, k->head, "queue_limit", &srv->st.dropped_queue_limit); ::: msg_drop(srv, k->tail, "queue_limit", &srv->st.dropped_queue_limit);
M14 ::: core/outbox.c ::: queue_limit off by one (keeps one too few) ::: while (k->count > (size_t)srv->cfg.queue_limit && k->head) ::: while (k->count >= (size_t)srv->cfg.queue_limit && k->head)
M15 ::: core/outbox.c ::: ttl taken as milliseconds ::: int64_t limit = wsp_now_ms(srv) - (int64_t)(srv->cfg.ttl * 1000.0); ::: int64_t limit = wsp_now_ms(srv) - (int64_t)(srv->cfg.ttl);
M16 ::: core/outbox.c ::: a dropped message stays in the store (back after a restart) ::: store_remove(srv, k, &ref, 1);\n    msg_unlink(srv, m); ::: msg_unlink(srv, m);
M17 ::: core/outbox.c ::: the last batch of a confirmation is not removed from the store ::: srv->st.confirmed += n;\n    store_remove(srv, k, refs, nrefs); ::: srv->st.confirmed += n;
M18 ::: core/outbox.c ::: tries are not written to the store ::: if (srv->store_ops->set_tries(srv->store, k->id, k->id_len, msg_ref(m), ::: if (0 && srv->store_ops->set_tries(srv->store, k->id, k->id_len, msg_ref(m),
M19 ::: core/outbox.c ::: loading forgets the stored tries ::: wsp_msg *m = msg_new(srv, k, ref.seq, push_ms, tries, payload, len); ::: wsp_msg *m = msg_new(srv, k, ref.seq, push_ms, 0, payload, len);
M20 ::: core/ws_conn.c ::: a Pong beyond the last Ping confirms ::: if (parse_seq(data, len, &n) < 0 || n > c->pinged_upto || n <= c->confirmed_upto) ::: if (parse_seq(data, len, &n) < 0 || n <= c->confirmed_upto)
M21 ::: core/ws_conn.c ::: a drained connection is not written again ::: && c->cursor < c->key->next_seq) ::: && c->cursor < c->key->next_seq && 0)
M22 ::: core/outbox.c ::: a write is recorded before it is known to have succeeded ::: if (wsp_ws_add(c, m->frame, m->frame_len) < 0) { ::: c->written_upto = m->seq;\n    if (wsp_ws_add(c, m->frame, m->frame_len) < 0) {
EOF
)

# The checks, cheapest first: C suites, then the delivery phpt.
C_CHECKS="test_model test_server test_store"
PHPT_CHECKS="038-partial-confirm-break 017-confirm-pong 013-two-tabs 021-retry-max 037-falling-behind-tab
 111-durable-stop-not-broken 016-replay-order 036-output-cap-resume 019-stopped-reading-reset
 020-output-cap-reset 022-ttl 023-queue-limit 031-replay-after-close 033-stopped-reading-close-unread
 039-keys-over-1024 100-durable-graceful-restart 104-durable-queue-limit-restart
 105-durable-retry-max-restart 109-durable-stats-after-restart 018-fallback 030-logs 009-push-replies"

W=$(mktemp -d "${TMPDIR:-/tmp}/wspush-mutate.XXXXXX")
trap 'rm -rf "$W"' EXIT
git ls-files -z | grep -z -vE '^(bench|docs)/' | xargs -0 cp --parents -t "$W" || exit 1
T0=$SECONDS
echo "scratch copy: $W; configuring the extension once" >&2
(cd "$W" && phpize >configure.log 2>&1 && ./configure >>configure.log 2>&1) \
  || { tail -n 30 "$W/configure.log"; exit 1; }

build() {   # quiet rebuild of the core tests and the extension in the scratch copy
  make -C "$W/core" -s $(for t in $C_CHECKS; do echo "build/$t"; done) >"$W/build.log" 2>&1 \
    && (cd "$W" && make -s >>"$W/build.log" 2>&1)
}

run_check() {   # run_check NAME -> 0 passed, 1 failed
  local name=$1
  case $name in
    test_*) (cd "$W/core" && CK_FORK=no timeout 300 "build/$name" >"$W/check.log" 2>&1) ;;
    *) local out
       out=$(cd "$W" && TEST_PHP_EXECUTABLE="$(command -v php)" NO_INTERACTION=1 timeout 300 \
             php "$RUN_TESTS" -q -d extension="$W/modules/wspush.so" "php-tests/$name.phpt" 2>&1)
       grep -q "^Tests passed *: *1 " <<<"$out" ;;
  esac
}

apply() {   # apply FILE OLD NEW: exactly one occurrence, or it no longer applies
  python3 - "$W/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace('\\n', '\n'), sys.argv[3].replace('\\n', '\n')
s = open(path).read()
if s.count(old) != 1:
    sys.exit(1)
open(path, 'w').write(s.replace(old, new))
PY
}

echo "baseline: every check passes on the unchanged tree" >&2
build || { tail -n 30 "$W/build.log"; echo "baseline build failed"; exit 1; }
for c in $C_CHECKS $PHPT_CHECKS; do
  run_check "$c" || { echo "baseline: $c fails on the unchanged tree"; cat "$W/check.log" 2>/dev/null | tail -5; exit 1; }
done

echo "| bug | file | planted bug | caught by | seconds |"
echo "|---|---|---|---|---|"
MISSED=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  id=${line%% ::: *}; rest=${line#* ::: }
  file=${rest%% ::: *}; rest=${rest#* ::: }
  what=${rest%% ::: *}; rest=${rest#* ::: }
  old=${rest%% ::: *}; new=${rest#* ::: }
  [ -n "${MUTATE_ONLY:-}" ] && [ "$id" != "$MUTATE_ONLY" ] && continue
  t0=$SECONDS
  cp "$ROOT/$file" "$W/$file"
  if ! apply "$file" "$old" "$new"; then
    echo "| $id | \`$file\` | $what | **does not apply any more** | - |"; MISSED=1; continue
  fi
  caught=""
  if ! build; then
    caught="the build"
  else
    for c in $C_CHECKS $PHPT_CHECKS; do
      if ! run_check "$c"; then
        caught="${caught:+$caught, }$c"
        [ -z "${MUTATE_ALL:-}" ] && break
      fi
    done
  fi
  cp "$ROOT/$file" "$W/$file"      # restore; the next build recompiles it
  touch "$W/$file"
  if [ -z "$caught" ]; then caught="**MISSED**"; MISSED=1; fi
  echo "| $id | \`$file\` | $what | $caught | $((SECONDS - t0)) |"
done <<<"$MUTANTS"
echo
echo "total: $((SECONDS - T0)) s" >&2
exit $MISSED
