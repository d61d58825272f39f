--TEST--
Issue 3: queue_limit holds across a restart - dropped messages stay dropped, the rest arrive in order, and the limit still applies to a loaded outbox
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
$m = fn($i) => '{"uid":"5","n":' . $i . '}';
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['queue_limit' => 5]);
var_dump(push_lines($push, array_map($m, range(1, 8))) === array_fill(0, 8, 'queued'));
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_queue_limit']);
$s->stop();
// restart: the 5 newest are there
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['queue_limit' => 5]);
var_dump($s->stats()['outbox_depth']);
// two more pushes to the loaded (offline) outbox drop its two oldest
var_dump(push_lines($push, [$m(9), $m(10)]));
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_queue_limit']);
$s->stop();
// restart again: 6..10, in order
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['queue_limit' => 5]);
var_dump($s->stats()['outbox_depth']);
$c = ws_connect($ws, '5');
var_dump($c->recv_n(5, 5.0, ['biubiubiu']) === array_map($m, range(6, 10)));
var_dump(push_line($push, $m(11)));
var_dump($c->recv_until($m(11), 3.0, ['biubiubiu']));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0, 5.0));
$s->stop();
echo "done\n";
?>
--EXPECT--
bool(true)
int(5)
int(3)
int(5)
array(2) {
  [0]=>
  string(6) "queued"
  [1]=>
  string(6) "queued"
}
int(5)
int(2)
int(5)
bool(true)
string(2) "ok"
array(0) {
}
bool(true)
done
