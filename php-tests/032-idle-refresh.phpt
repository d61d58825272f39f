--TEST--
docs/protocol.md §4/§5: every frame refreshes the idle timer (add-in heartbeats, non-heartbeat frames, pings, pongs), for bound and unbound connections
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$hbt = wsp_t(0.6);      // scaled under valgrind (WSP_TEST_TIMEOUT_FACTOR)
// Each client sends every $hbt / 6: a stall of the test process (a loaded
// machine) shorter than 5/6 of the timeout cannot make a live client look idle.
$period = $hbt / 6;
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => (string)$hbt]);
$k = '{"uid":"12","FunctionType":4}';
$conns = [
    'addin heartbeat' => [ws_connect($ws, $k), fn($c) => $c->text($k)],
    'addin ft0 frames' => [ws_connect($ws, '{"uid":"13","FunctionType":0}'), fn($c) => $c->text('{"uid":"13","FunctionType":0}')],
    'web other text' => [ws_connect($ws, '5'), fn($c) => $c->text('hello')],
    'web pings' => [ws_connect($ws, '6'), fn($c) => $c->ping('k')],
    'unbound pongs' => [ws_open($ws), fn($c) => $c->pong('')],
    'silent' => [ws_connect($ws, '7'), fn($c) => null],
];
$t = microtime(true);
for (;;) {
    foreach ($conns as [$c, $send]) {
        if (!$c->eof) { try { $send($c); } catch (RuntimeException $e) {} $c->pump(0.001); }
    }
    if (microtime(true) - $t >= 3.75 * $hbt) break;   // almost 4 timeouts long
    usleep((int)($period * 1e6));                      // each client's own send period
}
// Checked right after the last round of frames: the clients stop sending now,
// so a slow check would itself let them time out. 'silent' was closed about
// 3 timeouts ago and the pumps in the loop have read its Close and EOF.
$st = $s->stats();
foreach ($conns as $name => [$c]) {
    $c->pump(0.0);
    echo str_pad($name, 18), $c->eof ? 'closed' : 'open', "\n";
}
var_dump($st['connections'], $st['closed_timeout']);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
addin heartbeat   open
addin ft0 frames  open
web other text    open
web pings         open
unbound pongs     open
silent            closed
int(5)
int(1)
done
