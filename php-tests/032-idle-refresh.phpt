--TEST--
SPEC 2.4/2.5: every frame refreshes the idle timer (add-in heartbeats, non-heartbeat frames, pings, pongs), for bound and unbound connections
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$hbt = wsp_t(0.4);      // scaled under valgrind (WSP_TEST_TIMEOUT_FACTOR)
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
while (microtime(true) - $t < 3.75 * $hbt) {   // almost 4 timeouts long
    foreach ($conns as [$c, $send]) {
        if (!$c->eof) { try { $send($c); } catch (RuntimeException $e) {} $c->pump(0.001); }
    }
    usleep((int)($hbt * 250000));               // each client's own send period (a quarter of the timeout)
}
foreach ($conns as $name => [$c]) {
    $c->pump(0.05);
    echo str_pad($name, 18), $c->eof ? 'closed' : 'open', "\n";
}
var_dump($s->stats()['connections'], $s->stats()['closed_timeout']);
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
