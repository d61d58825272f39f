--TEST--
Cluster: two tabs of one key on two different nodes both receive every push (pushed through a third node), in order; once both confirm, the outbox is empty and a new tab gets no backlog
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
$m = fn($i) => '{"uid":"5","n":' . $i . '}';
$hb = ['biubiubiu'];

$ta = ws_connect($aws, '5');
$tb = ws_connect($b->ws, '5');
var_dump($ta->recv_text(), $tb->recv_text());
var_dump(wait_until(fn() => $redis->cli('HLEN', 't:p:w5') === '2'));   // both nodes in 5's presence
$N = 30;
$r = push_lines($c->push, array_map($m, range(1, $N)));
var_dump(array_count_values($r));
var_dump($ta->recv_n($N, 5.0, $hb) === array_map($m, range(1, $N)));
var_dump($tb->recv_n($N, 5.0, $hb) === array_map($m, range(1, $N)));
var_dump(pump_until([$ta, $tb], fn() => $a->stats()['outbox_depth'] === 0));
// a third tab, on C: no backlog; the next push reaches all three
$tc = ws_connect($c->ws, '5');
var_dump($tc->recv_text());
var_dump(wait_until(fn() => $redis->cli('HLEN', 't:p:w5') === '3'));
var_dump(push_line($apush, $m($N + 1)));
foreach ([$ta, $tb, $tc] as $t) var_dump($t->recv_n(1, 5.0, $hb) === [$m($N + 1)]);
var_dump(pump_until([$ta, $tb, $tc], fn() => $a->stats()['outbox_depth'] === 0));
$a->stop(1);
var_dump($b->term(), $c->term());
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(9) "biubiubiu"
bool(true)
array(1) {
  ["ok"]=>
  int(30)
}
bool(true)
bool(true)
bool(true)
string(9) "biubiubiu"
bool(true)
string(2) "ok"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
done
