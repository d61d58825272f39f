--TEST--
Cluster: three nodes on one Redis - a push through A reaches the client on B once ("ok"); a push through C to a key with no connection anywhere is "queued" and reaches the client that binds on A; isOnline and stats answer across nodes
--EXTENSIONS--
wspush
--SKIPIF--
<?php
include __DIR__ . '/skipif.inc';
require_once __DIR__ . '/wsclient.inc';
require_once __DIR__ . '/cluster.inc';
if (($r = wsp_cluster_skip_reason()) !== '') die("skip $r");
if (!function_exists('pcntl_sigprocmask')) die('skip pcntl needed by serve_child.php');
?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/cluster.inc';
$redis = wsp_redis_start();
$url = $redis->url();
[$a, $aws, $apush] = wsp_node($url);          // node A in this process
$b = wsp_node_child($url);                    // nodes B and C in child processes
$c = wsp_node_child($url);
var_dump(wait_until(fn() => $a->stats()['cluster_nodes'] === 3));

// a client on B; a push through A is ok and arrives once
$cb = ws_connect($b->ws, '5');
var_dump($cb->recv_text());
// B joins the key's presence in Redis asynchronously: a push racing the bind
// may be "queued" (and is delivered all the same); wait for it here
var_dump(wait_until(fn() => $a->isOnline('5')));
var_dump(push_line($apush, '{"uid":"5","m":"via A"}'));
var_dump($cb->recv_text());
$cb->text('5');
var_dump($cb->recv_text());                   // the heartbeat reply: no second copy came first
var_dump($a->isOnline('5'), $a->isOnline('6'));
// nodes publish their counts every second
var_dump(wait_until(fn() => $a->stats()['cluster_bound'] === 1, 5.0));
var_dump($a->stats()['cluster_connections'] >= 1, $a->stats()['bound']);

// a key with no connection anywhere: queued through C, delivered on A
var_dump(push_line($c->push, '{"uid":"9","m":"via C"}'));
var_dump(wait_until(fn() => $a->stats()['outbox_depth'] === 1));
$ca = ws_connect($aws, '9');
var_dump($ca->recv_until('{"uid":"9","m":"via C"}', 5.0, ['biubiubiu']));
var_dump(wait_until(fn() => $redis->cli('HLEN', 't:p:w9') === '1'));   // A is in 9's presence
var_dump(pump_until([$ca, $cb], fn() => $a->stats()['outbox_depth'] === 0));
// now 9 is bound on A: a push through B is ok, once
var_dump(push_line($b->push, '{"uid":"9","m":"via B"}'));
var_dump($ca->recv_until('{"uid":"9","m":"via B"}', 5.0, ['biubiubiu']));
$ca->text('9');
var_dump($ca->recv_text());
// a node that stops says goodbye: the others stop counting it at once
var_dump($c->term());
var_dump(wait_until(fn() => $a->stats()['cluster_nodes'] === 2));
$a->stop(1);
var_dump($b->term());
echo "done\n";
?>
--EXPECT--
bool(true)
string(9) "biubiubiu"
bool(true)
string(2) "ok"
string(23) "{"uid":"5","m":"via A"}"
string(9) "biubiubiu"
bool(true)
bool(false)
bool(true)
bool(true)
int(0)
string(6) "queued"
bool(true)
array(0) {
}
bool(true)
bool(true)
string(2) "ok"
array(0) {
}
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
done
