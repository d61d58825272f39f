--TEST--
docs/protocol.md §4: a connection binds once; later frames (digits or JSON) never rebind it
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
$c->text('6');
$c->text('{"uid":"6","FunctionType":0}');
$c->text('5');
var_dump($c->recv_text());          // the 5-heartbeat still works: still bound to 5
var_dump($s->isOnline('5'), $s->isOnline('6'));
var_dump(push_line($push, '{"uid":"6","m":"for 6"}'));
var_dump(push_line($push, '{"uid":"5","m":"for 5"}'));
var_dump($c->recv_text());
$c->text('6');                       // "6" is not this connection's key: no reply
$c->text('5');
var_dump($c->recv_text());
$k = '{"uid":"20","FunctionType":4}';
$d = ws_connect($ws, $k);
var_dump($d->recv_text() === $k);
$d->text('21');
$d->text('{"uid":"21","FunctionType":0}');
var_dump(push_line($push, '{"uid":"21","m":"x"}'));
var_dump(push_line($push, json_encode(['uid' => $k, 'm' => 'y'])));
var_dump($d->recv_text() === json_encode(['uid' => $k, 'm' => 'y']));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(9) "biubiubiu"
bool(true)
bool(false)
string(6) "queued"
string(2) "ok"
string(23) "{"uid":"5","m":"for 5"}"
string(9) "biubiubiu"
bool(true)
string(6) "queued"
string(2) "ok"
bool(true)
done
