--TEST--
Issue 3: retry_max holds across a restart - a delivery that ended in a broken connection before the restart counts towards retry_max after it
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['retry_max' => 2]);
var_dump(push_line($push, '{"uid":"5","m":"poison"}'));
// delivery 1 ends in a reset
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_n(1, 3.0, ['biubiubiu']));
$a->reset();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_retry']);
$s->stop();
// restart: delivery 2 ends in a reset, which reaches retry_max
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['retry_max' => 2]);
var_dump($s->stats()['outbox_depth']);
$b = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($b->recv_n(1, 3.0, ['biubiubiu']));
$b->reset();
var_dump(wait_stat($s, 'dropped_retry', 1));
var_dump($s->stats()['outbox_depth']);
// a third connection does not get it again
$c = ws_connect($ws, '5');
var_dump(push_line($push, '{"uid":"5","m":"next"}'));
var_dump($c->recv_until('{"uid":"5","m":"next"}', 3.0, ['biubiubiu']));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0, 5.0));
$s->stop();
// nor after another restart (the drop removed it from the store)
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['retry_max' => 2]);
var_dump($s->stats()['outbox_depth']);
$s->stop();
var_dump((bool)preg_match('/ drop conn=\S+ key=5 seq=1 result=retry_max content=/', (string)@file_get_contents("$tmp/w.log")));
echo "done\n";
?>
--EXPECT--
string(6) "queued"
array(1) {
  [0]=>
  string(24) "{"uid":"5","m":"poison"}"
}
bool(true)
int(1)
int(0)
int(1)
array(1) {
  [0]=>
  string(24) "{"uid":"5","m":"poison"}"
}
bool(true)
int(0)
string(2) "ok"
array(0) {
}
bool(true)
int(0)
bool(true)
done
