--TEST--
docs/delivery.md §6: a message whose delivery ended in a broken connection retry_max times is dropped and counted (dropped_retry)
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['retry_max' => '2']);
var_dump(push_line($push, '{"uid":"5","m":"poison"}'));
// delivery 1 ends in a reset
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_n(1, 3.0, ['biubiubiu']));
$a->reset();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_retry']);
// delivery 2 ends in a reset: retry_max reached, dropped
$b = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($b->recv_n(1, 3.0, ['biubiubiu']));
$b->reset();
var_dump(wait_until(fn() => $s->stats()['dropped_retry'] == 1));
var_dump($s->stats()['outbox_depth']);
// a new connection does not get it again
$c = ws_connect($ws, '5');
var_dump(push_line($push, '{"uid":"5","m":"next"}'));
var_dump($c->recv_until('{"uid":"5","m":"next"}', 3.0, ['biubiubiu']));
$s->stop(0);
// the drop is logged with its reason (the exact fields: the payload word
// "poison" must not be what matches)
var_dump((bool)preg_match('/ drop conn=\S+ key=5 seq=1 result=retry_max content=/', (string)@file_get_contents("$dir/w.log")));
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
done
