--TEST--
Defect 4: a connection over its output cap is not "ok"; pushes say queued, and after a reset + reconnect everything arrives in order
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '30', 'max_output' => '65536', 'queue_limit' => '10000']);
$c = ws_connect($ws, '5', ['rcvbuf' => 1024, 'auto_pong' => false]);
var_dump($c->recv_text());
$N = 3000;
$msg = fn($i) => json_encode(['uid' => '5', 'n' => $i, 'body' => str_repeat('x', 4000)]);
$replies = push_lines($push, array_map($msg, range(1, $N)), 60.0);
$rc = array_count_values(array_map('strval', $replies));
// (cluster mode answers ok for a key some node holds a connection of, over
// its cap or not: there only the delivery below is checked)
var_dump(isset($rc['ok']), isset($rc['queued']) || wsp_test_cluster(), ($rc['ok'] ?? 0) + ($rc['queued'] ?? 0));
// A later "ok" is allowed: when the kernel grows the socket's send buffer the
// connection drains below its cap, its queued messages are written first and
// it is live again. Order is checked below, on the reconnected connection.
$c->reset();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
$d = ws_connect($ws, '5');
$got = $d->recv_n($N, 60.0, ['biubiubiu']);
var_dump($got === array_map($msg, range(1, $N)));
var_dump(pump_until([$d], fn() => $s->stats()['outbox_depth'] == 0, 20.0));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
bool(true)
int(3000)
bool(true)
bool(true)
bool(true)
done
