--TEST--
docs/protocol.md §5 / defect 3: idle web, idle add-in and never-bound connections are all closed after heartbeat_timeout; a heartbeating one stays
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$hbt = wsp_t(1.0);      // scaled under valgrind (WSP_TEST_TIMEOUT_FACTOR)
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => (string)$hbt]);
$t0 = microtime(true);
$web = ws_connect($ws, '5');
$addin = ws_connect($ws, '{"uid":"12","FunctionType":4}');
$never = ws_open($ws);                 // handshake, never a frame
[$raw] = tcp_open($ws);                // TCP only, never a handshake
$alive = ws_connect($ws, '6');
var_dump($web->recv_text(), $addin->recv_text(), $alive->recv_text());
var_dump(wait_until(fn() => $s->stats()['bound'] == 3));
// keep $alive heartbeating (about every 0.15 s, far below the timeout, so a
// stall of this process on a loaded machine does not make it idle) until the
// others, the raw TCP connection included, are closed; the checks after the
// loop then take a few ms, and $alive is still live for the final push
$closed = [];
$rawEof = false;
$deadline = microtime(true) + wsp_t(5);
while ((count($closed) < 3 || !$rawEof) && microtime(true) < $deadline) {
    $alive->text('6');
    if ($alive->recv_text(1.0) !== 'biubiubiu') { echo "alive lost\n"; break; }
    foreach (['web' => $web, 'addin' => $addin, 'never' => $never] as $n => $c) {
        if (!isset($closed[$n]) && $c->expect_eof(0.02)) {
            $closed[$n] = microtime(true) - $t0;
        }
    }
    if (!$rawEof) {
        $r = [$raw]; $w = $e = null;
        if (@stream_select($r, $w, $e, 0, 20000) > 0) {
            $d = @fread($raw, 100);
            $rawEof = $d === '' || $d === false;
        }
    }
    usleep(50000);    // heartbeat period of the live client (what a browser does)
}
ksort($closed);
echo implode(',', array_keys($closed)), "\n";
foreach ($closed as $n => $t) {
    if ($t < 0.9 * $hbt) echo "$n closed too early ($t s)\n";
}
// the raw TCP connection that never sent a handshake is closed as well
var_dump($rawEof);
var_dump(wait_until(fn() => $s->stats()['connections'] == 1));
var_dump($s->stats()['closed_timeout'] >= 3);
var_dump($s->isOnline('5'), $s->isOnline('{"uid":"12","FunctionType":4}'), $s->isOnline('6'));
// pushes to the timed-out keys are queued, not "ok" into a dead connection
var_dump(push_line($push, '{"uid":"5","m":1}'));
var_dump(push_line($push, json_encode(['uid' => '{"uid":"12","FunctionType":4}', 'm' => 2])));
var_dump(push_line($push, '{"uid":"6","m":3}'));
var_dump($alive->recv_text());
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(29) "{"uid":"12","FunctionType":4}"
string(9) "biubiubiu"
bool(true)
addin,never,web
bool(true)
bool(true)
bool(true)
bool(false)
bool(false)
bool(true)
string(6) "queued"
string(6) "queued"
string(2) "ok"
string(17) "{"uid":"6","m":3}"
done
