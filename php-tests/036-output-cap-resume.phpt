--TEST--
Defect 4: a reader that stalls past its output cap and then resumes gets every push on the same connection, in order, whether it was answered ok or queued
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '30', 'max_output' => '65536', 'queue_limit' => '10000']);
$c = ws_connect($ws, '5', ['rcvbuf' => 1024]);
var_dump($c->recv_text());
$N = 3000;
$msg = fn($i) => json_encode(['uid' => '5', 'n' => $i, 'body' => str_repeat('y', 4000)]);
// the client reads nothing while the pushes go in: some are ok, the rest queued
$replies = push_lines($push, array_map($msg, range(1, $N)), 60.0);
$rc = array_count_values(array_map('strval', $replies));
// (cluster mode answers ok for a key some node holds a connection of, over
// its cap or not: there only the delivery below is checked)
var_dump(isset($rc['ok']), isset($rc['queued']) || wsp_test_cluster(), ($rc['ok'] ?? 0) + ($rc['queued'] ?? 0));
// now it reads: queued messages are written behind the ok ones, nothing twice
$got = $c->recv_n($N, 60.0, ['biubiubiu']);
var_dump($got === array_map($msg, range(1, $N)));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0, 20.0));
var_dump($s->stats()['replayed'] > 0);
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
