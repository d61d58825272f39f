--TEST--
docs/delivery.md §6: ttl - a message older than ttl expires (counted, logged) and is never delivered
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
// The message must still be held when the first stats are read: a ttl of a
// second, so a stall of the test process (a loaded machine) cannot expire it first.
$ttl = wsp_t(1.0);
[$s, $ws, $push, $dir] = wsp_test_server(['ttl' => (string)$ttl]);
$t = microtime(true);
var_dump(push_line($push, '{"uid":"5","m":"old"}'));
var_dump($s->stats()['outbox_depth']);
var_dump(wait_until(fn() => $s->stats()['oldest_age'] > 0));
var_dump(wait_until(fn() => $s->stats()['expired'] == 1));
var_dump(microtime(true) - $t >= $ttl - 0.05);
var_dump($s->stats()['outbox_depth']);
$c = ws_connect($ws, '5');
var_dump(push_line($push, '{"uid":"5","m":"new"}'));
var_dump($c->recv_until('{"uid":"5","m":"new"}', 3.0, ['biubiubiu']));
$s->stop(0);
var_dump((bool)preg_match('/expire/i', (string)@file_get_contents("$dir/w.log")));
echo "done\n";
?>
--EXPECT--
string(6) "queued"
int(1)
bool(true)
bool(true)
bool(true)
int(0)
string(2) "ok"
array(0) {
}
bool(true)
done
