--TEST--
Defect 4 (the key test): a client that stopped reading, then reset its TCP connection, gets every message pushed to it (reply ok) after it reconnects, in order
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '30', 'max_output' => (string)(64 << 20)]);
$key = '{"uid":"42","FunctionType":4,"Data":"","ErrMsg":null,"IsSuccess":"1"}';
// tiny receive buffer; reads the bind echo, then never reads again
$c = ws_connect($ws, $key, ['rcvbuf' => 1024, 'auto_pong' => false]);
var_dump($c->recv_text() === $key);
$N = 400;
$msg = fn($i) => json_encode(['uid' => $key, 'n' => $i, 'body' => str_repeat(chr(97 + $i % 26), 1000)]);
$p = new PushConn($push);
$replies = $p->send_lines(array_map($msg, range(1, $N)), 20.0);
var_dump(array_count_values(array_map('strval', $replies)));
// the server wrote them towards the connection (nothing was read by the client)
var_dump(wait_until(fn() => $s->stats()['delivered_writes'] >= 1));
var_dump($s->stats()['outbox_depth']);
var_dump($s->stats()['confirmed']);
// the client's kernel has bytes it acknowledged; the application never read them
$c->reset();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth']);
// reconnect with the same key: every message, in order, none missing, no duplicates
$d = ws_connect($ws, $key);
$got = $d->recv_n($N, 20.0, [$key]);
$want = array_map($msg, range(1, $N));
var_dump($got === $want);
if ($got !== $want) {
    foreach ($want as $i => $w) if (($got[$i] ?? null) !== $w) { echo "first difference at index $i\n"; break; }
}
var_dump(pump_until([$d], fn() => $s->stats()['outbox_depth'] == 0, 10.0));
var_dump($s->stats()['confirmed']);
// and nothing more arrives afterwards
var_dump(push_line($push, json_encode(['uid' => $key, 'end' => 1])));
var_dump($d->recv_until(json_encode(['uid' => $key, 'end' => 1]), 3.0, [$key]));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
array(1) {
  ["ok"]=>
  int(400)
}
bool(true)
int(400)
int(0)
bool(true)
int(400)
bool(true)
bool(true)
int(400)
string(2) "ok"
array(0) {
}
done
