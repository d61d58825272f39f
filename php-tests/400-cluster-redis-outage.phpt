--TEST--
Cluster: Redis stopped and started again under one node: pushes answer fail while it is away (never ok), connections and heartbeats stay up, the node reconnects by itself and nothing answered ok/queued is lost
--EXTENSIONS--
wspush
--SKIPIF--
<?php
include __DIR__ . '/skipif.inc';
require_once __DIR__ . '/wsclient.inc';
require_once __DIR__ . '/cluster.inc';
if (($r = wsp_cluster_skip_reason()) !== '') die("skip $r");
?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/cluster.inc';
$redis = wsp_redis_start();
[$s, $ws, $push, $log] = wsp_node($redis->url());
$m = fn($k, $i) => '{"uid":"' . $k . '","n":' . $i . '}';
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
var_dump(push_line($push, $m(5, 1)), $c->recv_text());
var_dump(push_line($push, $m(6, 1)));                // key 6: no connection, kept in Redis
var_dump($s->stats()['redis_up']);

$redis->stop();
var_dump(wait_until(fn() => $s->stats()['redis_up'] === 0, 10));
var_dump(push_line($push, $m(5, 2)), push_line($push, $m(6, 2)));
try {
    $s->push('5', 'x');
    echo "push did not throw\n";
} catch (WsPush\Exception $e) {
    echo "Server::push threw\n";
}
// the connection is still served: heartbeat round trip
$c->text('5');
var_dump($c->recv_text());
var_dump($s->isOnline('5'));                          // this node's own answer

$redis->start();
var_dump(wait_until(fn() => $s->stats()['redis_up'] === 1, 15));
var_dump(push_line($push, $m(5, 3)));
// "fail" pushes may or may not have been stored; nothing ok/queued is missing
$got = $c->recv_until($m(5, 3), 5.0, ['biubiubiu']);
var_dump(!in_array($m(5, 2), $got, true));
$d = ws_connect($ws, '6');
var_dump($d->recv_until($m(6, 1), 5.0, ['biubiubiu']));
$st = $s->stats();
var_dump($st['redis_disconnects'] >= 1, $st['push_fail'] >= 2);
var_dump(pump_until([$c, $d], fn() => $s->stats()['outbox_depth'] == 0, 5.0));
$s->stop(1);
var_dump((bool)preg_match('/redis.*down/', file_get_contents($log)), (bool)preg_match('/redis.*up/', file_get_contents($log)));
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(2) "ok"
string(17) "{"uid":"5","n":1}"
string(6) "queued"
int(1)
bool(true)
string(4) "fail"
string(4) "fail"
Server::push threw
string(9) "biubiubiu"
bool(true)
bool(true)
string(2) "ok"
bool(true)
array(0) {
}
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
done
