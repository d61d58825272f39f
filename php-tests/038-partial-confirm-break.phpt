--TEST--
Issue 19: a client answers some Pongs, then its connection breaks: what it confirmed is gone, what it did not is replayed in order (a Pong for N confirms N, never N+1); a stale Pong confirms nothing
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['heartbeat_timeout' => '30', 'retry_max' => '5']);
$m = fn($i) => '{"uid":"5","m":' . $i . '}';
$hb = ['biubiubiu'];
// 1..3 queued, then a client that answers Pings only when told to
var_dump(push_lines($push, [$m(1), $m(2), $m(3)]));
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_n(3, 5.0, $hb) === [$m(1), $m(2), $m(3)]);
// the replay is pinged with its highest sequence
var_dump(wait_until(function () use ($a) { $a->pump(0.01); return in_array('3', $a->pings, true); }));
// 4 is written before the client answers that Ping
var_dump(push_line($push, $m(4)));
var_dump($a->recv_n(1, 5.0, $hb) === [$m(4)]);
// the Pong for 3 confirms 1..3 and not 4
$a->pong('3');
var_dump(wait_stat($s, 'confirmed', 3));
var_dump($s->stats()['outbox_depth']);
// a stale Pong (1) and an unsolicited empty one confirm nothing
$a->pong('1');
$a->pong('');
var_dump(push_line($push, $m(5)));
var_dump($a->recv_n(1, 5.0, $hb) === [$m(5)]);
var_dump(wait_until(function () use ($a) { $a->pump(0.01); return in_array('5', $a->pings, true) || in_array('4', $a->pings, true); }));
var_dump($s->stats()['confirmed'], $s->stats()['outbox_depth']);
// the connection breaks (RST): 4 and 5 stay, each with one try spent
$a->reset();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_retry']);
// the next connection gets exactly 4, 5 (not 1..3) and confirms them
$b = ws_connect($ws, '5');
var_dump($b->recv_n(2, 5.0, $hb) === [$m(4), $m(5)]);
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0));
var_dump(push_line($push, $m(6)));
var_dump($b->recv_until($m(6), 3.0, $hb));
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0));
$st = $s->stats();
var_dump($st['confirmed'], $st['replayed'] >= 5);
$s->stop(1.0);
// the log: 1-3 confirmed by the first connection, 4-5 kept for replay
$log = (string)file_get_contents("$dir/w.log");
var_dump((bool)preg_match('/ confirm conn=\d+ key=5 seq=1-3 result=pong /', $log));
var_dump((bool)preg_match('/ retry conn=\d+ key=5 seq=4-5 result=/', $log));
echo "done\n";
?>
--EXPECT--
array(3) {
  [0]=>
  string(6) "queued"
  [1]=>
  string(6) "queued"
  [2]=>
  string(6) "queued"
}
bool(true)
bool(true)
string(2) "ok"
bool(true)
bool(true)
int(1)
string(2) "ok"
bool(true)
bool(true)
int(3)
int(2)
bool(true)
int(2)
int(0)
bool(true)
bool(true)
string(2) "ok"
array(0) {
}
bool(true)
int(6)
bool(true)
bool(true)
bool(true)
done
