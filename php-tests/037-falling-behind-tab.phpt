--TEST--
Issue 19: two tabs of one key, one stalled past max_output while the other reads and confirms: the stalled tab gets an in-order prefix, then Close 4001 (fell behind) so the page reconnects and refetches; logged and counted (closed_behind), never a silent gap
--EXTENSIONS--
wspush
sockets
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['heartbeat_timeout' => '60', 'max_output' => '65536', 'queue_limit' => '10000', 'ping_fallback_after' => '0.4']);
$N = 3000;
$msg = fn($i) => json_encode(['uid' => '5', 'n' => $i, 'body' => str_repeat('y', 4000)]);
// tab A stops reading (small receive buffer); tab B reads and answers Pings
$a = ws_connect($ws, '5', ['rcvbuf' => 1024]);
var_dump($a->recv_text());
$b = ws_connect($ws, '5');
var_dump($b->recv_text());
$replies = push_lines($push, array_map($msg, range(1, $N)), 60.0);
var_dump(count($replies) === $N && !in_array('fail', $replies, true));
var_dump($b->recv_n($N, 60.0, ['biubiubiu']) === array_map($msg, range(1, $N)));
// B's Pongs confirm every message: the outbox lets go of what A was never written
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0, 20.0));
// A is closed when the server could write to it again: once A reads, or
// earlier when the kernel's send buffer grows (autotuning) and takes more of
// what waited for A. Either order is right; A must get its Close either way.
var_dump(in_array($s->stats()['closed_behind'], [0, 1], true));
// A reads until the server has closed it (its reads let the server write
// again) while frames and the Close still wait for it, then stalls again for
// longer than a plain close may linger (2 s): a stalled tab gets its Close
// whenever it resumes, not a bare EOF after whatever the kernel held.
$got = [];
while ($s->stats()['closed_behind'] == 0 && ($m = $a->recv_message(20.0)) !== null) {
    if ($m !== 'biubiubiu') $got[] = $m;
}
var_dump($s->stats()['closed_behind']);
// (not usleep(): run-tests.php silently retries a failed test whose code
// calls sleep functions, which would hide a failure here)
wait_until(fn() => false, 3.0);
// then a prefix 1..k in order, then Close 4001
while (($m = $a->recv_message(20.0)) !== null) {
    if ($m !== 'biubiubiu') $got[] = $m;
}
$k = count($got);
var_dump($k > 0 && $k < $N, $got === array_map($msg, range(1, $k)));
var_dump($a->closeCode);
var_dump(wait_stat($s, 'closed_behind', 1));
var_dump(wait_until(fn() => $s->stats()['bound'] == 1));
// the log says which sequences it missed, the close log why it closed
$log = (string)file_get_contents("$dir/w.log");
var_dump((bool)preg_match('/ behind conn=\d+ key=5 seq=' . ($k + 1) . '-' . $N . ' result=closed code=4001 /', $log));
// B keeps working; a reconnecting A starts at what is still held (nothing)
var_dump(push_line($push, '{"uid":"5","m":"after"}'));
var_dump($b->recv_until('{"uid":"5","m":"after"}', 5.0, ['biubiubiu']));
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0, 5.0));
$a2 = ws_connect($ws, '5');
var_dump($a2->recv_text());
var_dump(push_line($push, '{"uid":"5","m":"again"}'));
var_dump($a2->recv_text(), $b->recv_until('{"uid":"5","m":"again"}', 5.0, ['biubiubiu']));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
bool(true)
int(1)
bool(true)
bool(true)
int(4001)
bool(true)
bool(true)
bool(true)
string(2) "ok"
array(0) {
}
bool(true)
string(9) "biubiubiu"
string(2) "ok"
string(23) "{"uid":"5","m":"again"}"
array(0) {
}
done
