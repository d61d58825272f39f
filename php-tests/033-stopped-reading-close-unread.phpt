--TEST--
Defect 4 (variant without ext/sockets): a client whose kernel acknowledged every byte but whose application never read them closes with unread data (kernel RST); after reconnecting it gets everything, in order
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '30']);
// default (large, autotuned) receive buffer: the client's kernel acknowledges
// all of it, so TCP-level acknowledgement must not count as confirmation
$c = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($c->recv_text());
$N = 200;
$msg = fn($i) => json_encode(['uid' => '5', 'n' => $i, 'body' => str_repeat('q', 200)]);
$replies = push_lines($push, array_map($msg, range(1, $N)));
var_dump(array_count_values($replies));
var_dump(wait_until(fn() => $s->stats()['delivered_writes'] >= $N));
var_dump($s->stats()['outbox_depth'], $s->stats()['confirmed']);
// Linux sends RST when a socket is closed with unread received data
$c->close_tcp();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth']);
$d = ws_connect($ws, '5');
$got = $d->recv_n($N, 10.0, ['biubiubiu']);
var_dump($got === array_map($msg, range(1, $N)));
var_dump(pump_until([$d], fn() => $s->stats()['outbox_depth'] == 0));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
array(1) {
  ["ok"]=>
  int(200)
}
bool(true)
int(200)
int(0)
bool(true)
int(200)
bool(true)
bool(true)
done
