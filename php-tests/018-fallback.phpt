--TEST--
docs/delivery.md §3: a client that never answers Pings but keeps sending heartbeats runs in TCP fallback; one that stopped answering is stalled, not fallback
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['ping_fallback_after' => '0.3', 'heartbeat_timeout' => '5']);
// A: never answers a ping, heartbeats every 50 ms and reads everything
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_text());
var_dump(push_line($push, '{"uid":"5","n":1}'));
$got = [];
$n = 1;
$ok = false;
$deadline = microtime(true) + wsp_t(15);
while (microtime(true) < $deadline) {
    $a->text('5');
    while (($m = $a->recv_text(0.05)) !== null) if ($m !== 'biubiubiu') $got[] = $m;
    if ($s->stats()['fallback_connections'] >= 1) { $ok = true; break; }
    if ($n < 40) { push_line($push, '{"uid":"5","n":' . (++$n) . '}'); }  // keeps pings going
}
var_dump($ok);
var_dump(count($a->pings) >= 1);
// in fallback, what the peer's TCP acknowledged is confirmed
$deadline = microtime(true) + wsp_t(10);
while ($s->stats()['outbox_depth'] > 0 && microtime(true) < $deadline) {
    $a->text('5');
    while (($m = $a->recv_text(0.05)) !== null) if ($m !== 'biubiubiu') $got[] = $m;
}
var_dump($s->stats()['outbox_depth']);
// Confirmed at TCP level means the client's kernel has the bytes, not that this
// test has read them: the 50 ms reads above may have given up before the last
// message arrived (a slow machine), so read what is still missing.
while (count($got) < $n && ($m = $a->recv_text(2.0)) !== null) if ($m !== 'biubiubiu') $got[] = $m;
var_dump($got === array_map(fn($i) => '{"uid":"5","n":' . $i . '}', range(1, $n)));
// B: answers pings first, then stops answering while still heartbeating: stalled, not fallback
$b = ws_connect($ws, '6');
var_dump($b->recv_text());
var_dump(push_line($push, '{"uid":"6","n":1}'), $b->recv_text());
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0));
$b->autoPong = false;
$fb = $s->stats()['fallback_connections'];
$t = microtime(true);
$i = 1;
while (microtime(true) - $t < 2.0) {      // well over ping_fallback_after, several pings
    push_line($push, '{"uid":"6","n":' . (++$i) . '}');
    $b->text('6');
    while (($m = $b->recv_text(0.05)) !== null) {}
}
var_dump(count($b->pings) >= 3);
var_dump($s->stats()['fallback_connections'] == $fb);
var_dump($s->stats()['outbox_depth'] == $i - 1);
$s->stop(0);
// the fallback is logged
var_dump((bool)preg_match('/fallback/i', (string)@file_get_contents("$dir/w.log")));
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(2) "ok"
bool(true)
bool(true)
int(0)
bool(true)
string(9) "biubiubiu"
string(2) "ok"
string(17) "{"uid":"6","n":1}"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
done
