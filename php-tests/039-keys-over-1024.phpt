--TEST--
Issue 19: more than 1,024 keys (the key table grows past its first size): every key keeps its own outbox, a bound key gets exactly its messages, confirmed keys are forgotten and come back when pushed to again
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '30']);
$K = 3000;
$m = fn($k, $i) => '{"uid":"u' . $k . '","i":' . $i . '}';
// two rounds of pushes to 3,000 offline keys: the second round must find
// every key the first created (a key lost in the table would be created twice)
foreach ([1, 2] as $i) {
    $r = push_lines($push, array_map(fn($k) => $m($k, $i), range(1, $K)), 60.0);
    var_dump(array_count_values($r));
    $st = $s->stats();
    var_dump($st['keys'], $st['outbox_depth']);
}
// 150 keys spread over the table: each gets exactly its two, in order, and confirms them
$sample = range(1, $K, 20);
$bad = 0;
foreach ($sample as $k) {
    $c = ws_connect($ws, "u$k");
    if ($c->recv_n(2, 5.0, ['biubiubiu']) !== [$m($k, 1), $m($k, 2)]) $bad++;
    $conns[$k] = $c;
}
var_dump(count($sample), $bad);
var_dump(pump_until(array_values($conns), fn() => $s->stats()['outbox_depth'] == 2 * ($K - count($sample)), 20.0));
// closed and empty: those keys are forgotten
foreach ($conns as $c) $c->close_tcp();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0 && $s->stats()['keys'] == $K - count($sample)));
// pushed to again: created again, starting over (nothing old comes back)
var_dump(array_count_values(push_lines($push, array_map(fn($k) => $m($k, 3), $sample), 20.0)));
var_dump($s->stats()['keys']);
$bad = 0;
foreach ([1, 1481, 2981] as $k) {
    $c = ws_connect($ws, "u$k");
    if ($c->recv_n(1, 5.0, ['biubiubiu']) !== [$m($k, 3)]) $bad++;
    if (push_line($push, $m($k, 4)) !== 'ok' || $c->recv_n(1, 5.0, ['biubiubiu']) !== [$m($k, 4)]) $bad++;
}
var_dump($bad);
// a key never bound still holds its two
$c = ws_connect($ws, 'u2');
var_dump($c->recv_n(2, 5.0, ['biubiubiu']) === [$m(2, 1), $m(2, 2)]);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
array(1) {
  ["queued"]=>
  int(3000)
}
int(3000)
int(3000)
array(1) {
  ["queued"]=>
  int(3000)
}
int(3000)
int(6000)
int(150)
int(0)
bool(true)
bool(true)
array(1) {
  ["queued"]=>
  int(150)
}
int(3000)
int(0)
bool(true)
done
