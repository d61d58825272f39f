--TEST--
docs/delivery.md §4: queued messages are delivered in order when the key binds; replay comes before new pushes
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$m = fn($k, $i) => json_encode(['uid' => $k, 'n' => $i, 'pad' => str_repeat('p', $i % 50)]);
// 1. small backlog
$r = push_lines($push, array_map(fn($i) => $m('5', $i), range(1, 5)));
var_dump(array_count_values($r));
var_dump($s->stats()['outbox_depth'], $s->isOnline('5'));
$c = ws_connect($ws, '5');
var_dump($c->recv_n(5, 5.0, ['biubiubiu']) === array_map(fn($i) => $m('5', $i), range(1, 5)));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
// 2. large backlog, and new pushes sent while the replay is draining
$k = 'web-r';
$N = 1500;
$r = push_lines($push, array_map(fn($i) => $m($k, $i), range(1, $N)));
var_dump(array_count_values($r));
$d = ws_connect($ws, $k);
$p = new PushConn($push);
$p->write(implode('', array_map(fn($i) => $m($k, $i) . "\n", range($N + 1, $N + 200))));
$got = $d->recv_n($N + 200, 20.0);
$replies = [];
for ($i = 0; $i < 200; $i++) $replies[] = $p->read_reply();
$rc = array_count_values($replies);
var_dump(count($replies), ($rc['ok'] ?? 0) + ($rc['queued'] ?? 0));
$want = array_map(fn($i) => $m($k, $i), range(1, $N + 200));
var_dump($got === $want);
if ($got !== $want) {
    foreach ($want as $i => $w) if (($got[$i] ?? null) !== $w) { echo "first difference at $i: ", $got[$i] ?? 'missing', "\n"; break; }
}
var_dump($s->stats()['replayed'] >= $N + 5);
var_dump(pump_until([$d], fn() => $s->stats()['outbox_depth'] == 0, 10.0));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
array(1) {
  ["queued"]=>
  int(5)
}
int(5)
bool(false)
bool(true)
bool(true)
array(1) {
  ["queued"]=>
  int(1500)
}
int(200)
int(200)
bool(true)
bool(true)
bool(true)
done
