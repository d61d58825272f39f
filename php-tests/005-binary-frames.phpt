--TEST--
docs/protocol.md §3: binary frames are read like text frames (bind, heartbeat, add-in echo)
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '7', ['binary' => true]);
var_dump($c->recv_text());
var_dump($s->isOnline('7'));
$c->binary('7');
var_dump($c->recv_text());
var_dump(push_line($push, '{"uid":"7","m":1}'), $c->recv_text());
$key = '{"uid":"8","FunctionType":4}';
$d = ws_connect($ws, $key, ['binary' => true]);
var_dump($d->recv_text() === $key);
$d->binary($key);
var_dump($d->recv_text() === $key);
$line = json_encode(['uid' => $key, 'm' => 2]);
var_dump(push_line($push, $line));
var_dump($d->recv_text() === $line);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
string(9) "biubiubiu"
string(2) "ok"
string(17) "{"uid":"7","m":1}"
bool(true)
bool(true)
string(2) "ok"
bool(true)
done
