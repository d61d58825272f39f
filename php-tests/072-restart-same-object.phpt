--TEST--
Issue 13 defect 6: the same WsPush\Server object starts again after stop() and works (pushes are delivered: the flush is not left scheduled), on the file store as well
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$dir = wsp_tmpdir();
$s = new WsPush\Server(wsp_file_opts("$dir/data", $dir));
for ($round = 1; $round <= 3; $round++) {
    $s->start();
    $st = $s->stats();
    $c = ws_connect((int)$st['ws_port'], '5');
    $c->recv_text();   // biubiubiu: bound
    var_dump(push_line((int)$st['push_port'], push_json('5', ['round' => $round])));
    var_dump($c->recv_text());
    var_dump($s->push('6', "for 6, round $round"));
    // 5 confirms its message (pong): only 6's are held
    var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == $round));
    $s->stop(0.5);
    $c->close_tcp();
    try {
        $s->push('6', 'not running');
    } catch (WsPush\Exception $e) {
        echo "stopped: ", $e->getMessage(), "\n";
    }
}
// what was queued for 6 survived the restarts
$s->start();
$c = ws_connect((int)$s->stats()['ws_port'], '6');
var_dump($c->recv_n(3, 5.0, ['biubiubiu']));
$s->stop(0.5);
$s->stop();   // idempotent
echo "done\n";
?>
--EXPECTF--
string(2) "ok"
string(21) "{"uid":"5","round":1}"
string(6) "queued"
bool(true)
stopped: %s
string(2) "ok"
string(21) "{"uid":"5","round":2}"
string(6) "queued"
bool(true)
stopped: %s
string(2) "ok"
string(21) "{"uid":"5","round":3}"
string(6) "queued"
bool(true)
stopped: %s
array(3) {
  [0]=>
  string(14) "for 6, round 1"
  [1]=>
  string(14) "for 6, round 2"
  [2]=>
  string(14) "for 6, round 3"
}
done
