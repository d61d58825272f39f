--TEST--
Issue 3: ttl holds across a restart - a stored message expires ttl seconds after its push (not after the restart) and is never delivered
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
$ttl = 3.0;
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['ttl' => $ttl]);
$t0 = microtime(true);
var_dump(push_line($push, '{"uid":"5","m":"old"}'));
$tOld = microtime(true);     // the old message was stored before its reply
// 2 s later a second message, then a graceful stop
wait_until(fn() => microtime(true) - $tOld >= 2.0, 3.0);
var_dump(push_line($push, '{"uid":"5","m":"young"}'));
$s->stop();
// restart with the same ttl
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['ttl' => $ttl]);
$t1 = microtime(true);
var_dump($s->stats()['outbox_depth']);
// the old message was pushed more than 2 s ago: its age carries over the restart
var_dump($s->stats()['oldest_age'] >= 1.9);
// it expires about ttl after its push (a clock restarted at load would take ~2 s longer)
var_dump(wait_stat($s, 'expired', 1, 6.0, '>='));
$te = microtime(true);
var_dump($te - $t0 >= $ttl - 0.1, $te - $t0 < $ttl + 1.5);
var_dump($s->stats()['expired'], $s->stats()['outbox_depth']);
// bind: only the young one arrives
$c = ws_connect($ws, '5');
var_dump(push_line($push, '{"uid":"5","m":"new"}'));
var_dump($c->recv_until('{"uid":"5","m":"new"}', 3.0, ['biubiubiu']));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0, 5.0));
$s->stop();
// and the expiry removed it from the store: a third start has nothing
[$s, $ws, $push] = wsp_file_server($data, $tmp, ['ttl' => $ttl]);
var_dump($s->stats()['outbox_depth']);
$s->stop();
var_dump((bool)preg_match('/expire/i', (string)@file_get_contents("$tmp/w.log")));
echo "done\n";
?>
--EXPECT--
string(6) "queued"
string(6) "queued"
int(2)
bool(true)
bool(true)
bool(true)
bool(true)
int(1)
int(1)
string(2) "ok"
array(1) {
  [0]=>
  string(23) "{"uid":"5","m":"young"}"
}
bool(true)
int(0)
bool(true)
done
