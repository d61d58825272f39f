--TEST--
Cluster: failover - a client bound on node B holds unconfirmed messages; B is SIGKILLed; the client reconnects to node C and receives them in order; the dead node stops counting
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
[$a, $aws, $apush] = wsp_node($url);
$b = wsp_node_child($url);
$c = wsp_node_child($url);
$key = addin_key('77');
$m = fn($i) => json_encode(['uid' => $key, 'n' => $i, 'body' => str_repeat(chr(97 + $i % 26), 50)]);
$N = 20;

// on B, a client that reads but never answers Pings: nothing is confirmed
$x = ws_connect($b->ws, $key, ['auto_pong' => false]);
var_dump($x->recv_text() === $key);
var_dump(wait_until(fn() => $a->isOnline($key)));
$r = push_lines($apush, array_map($m, range(1, $N)));
var_dump(array_count_values($r));
var_dump($x->recv_n($N) === array_map($m, range(1, $N)));
var_dump($a->stats()['outbox_depth']);

// B dies without a goodbye
var_dump($b->kill9());
$x->close_tcp();
// its process is gone: Redis sees its connections close, isOnline says so
var_dump(wait_until(fn() => !$a->isOnline($key), 6.0));
var_dump(wait_until(fn() => $a->stats()['cluster_nodes'] === 2, 8.0));

// the client comes back on C: the whole backlog, in order, then new pushes
$y = ws_connect($c->ws, $key);
var_dump($y->recv_n($N, 5.0, [$key]) === array_map($m, range(1, $N)));
var_dump(pump_until([$y], fn() => $a->stats()['outbox_depth'] === 0));
var_dump(wait_until(fn() => $a->isOnline($key)));
var_dump(push_line($apush, $m($N + 1)));
var_dump($y->recv_n(1, 5.0, [$key]) === [$m($N + 1)]);
$a->stop(1);
var_dump($c->term());
echo "done\n";
?>
--EXPECT--
bool(true)
bool(true)
array(1) {
  ["ok"]=>
  int(20)
}
bool(true)
int(20)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
string(2) "ok"
bool(true)
bool(true)
done
