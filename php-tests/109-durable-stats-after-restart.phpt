--TEST--
Issue 3: stats after a restart - outbox_depth, outbox_bytes, store_bytes and oldest_age describe the loaded backlog; they drop back once it is confirmed
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
[$s, $ws, $push] = wsp_file_server($data, $tmp);
$st = $s->stats();
var_dump($st['outbox_depth'], $st['oldest_age']);
$m = fn($k, $i) => json_encode(['uid' => $k, 'n' => $i, 'body' => str_repeat('b', 500)]);
// The push is stored between $tPush and $t0 (its reply): ages are bounded
// from below with $t0 and from above with $tPush, so a slow push_line (a
// loaded machine) cannot make a bound wrong.
$tPush = microtime(true);
var_dump(push_line($push, $m('5', 1)));
$t0 = microtime(true);
// wait (by the clock) so that the held message has a measurable age
wait_until(fn() => microtime(true) - $t0 >= 1.0, 2.0);
var_dump(array_count_values(push_lines($push, [$m('5', 2), $m('6', 1), $m('6', 2)])));
$before = $s->stats();
var_dump($before['outbox_depth'], $before['store_bytes'] > 0, $before['oldest_age'] >= 0.9);
$s->stop();

[$s, $ws, $push] = wsp_file_server($data, $tmp);
$t1 = microtime(true);
$st = $s->stats();
var_dump($st['outbox_depth']);
var_dump($st['outbox_bytes'] >= 4 * 500, $st['outbox_bytes'] === $before['outbox_bytes']);
var_dump($st['store_bytes'] > 0);
// the age counts from the push, not from the load
var_dump($st['oldest_age'] >= $t1 - $t0 - 0.3, $st['oldest_age'] <= microtime(true) - $tPush + 0.3);
var_dump($st['oldest_age'] >= 0.9);
// deliver and confirm everything: depth and age back to zero
$got = wsp_drain_keys($s, $ws, ['5', '6']);
var_dump($got === ['5' => [$m('5', 1), $m('5', 2)], '6' => [$m('6', 1), $m('6', 2)]]);
$st = $s->stats();
var_dump($st['outbox_depth'], $st['outbox_bytes'], $st['oldest_age']);
$s->stop();
[$s, $ws, $push] = wsp_file_server($data, $tmp);
$st = $s->stats();
var_dump($st['outbox_depth'], $st['oldest_age']);
$s->stop();
echo "done\n";
?>
--EXPECT--
int(0)
float(0)
string(6) "queued"
array(1) {
  ["queued"]=>
  int(3)
}
int(4)
bool(true)
bool(true)
int(4)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(0)
int(0)
float(0)
int(0)
float(0)
done
