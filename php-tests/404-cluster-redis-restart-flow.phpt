--TEST--
Cluster: Redis stopped and restarted while pushes flow through three nodes: no push answered ok/queued is lost (the client gets every one, in order), no ok while Redis is away, and the nodes serve again without a restart
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
$m = fn($k, $i) => '{"uid":"' . $k . '","n":' . $i . '}';
// key 5 has a client on B (answers pings); key 6 has none until the end
$x = ws_connect($b->ws, '5');
var_dump($x->recv_text());
var_dump(wait_until(fn() => $a->isOnline('5')));
$got = [];
$drain = function () use ($x, &$got) {
    while (($msg = $x->recv_message(0.002)) !== null) if ($msg !== 'biubiubiu') $got[] = $msg;
};
$pushers = [$apush, $c->push];
$ans = ['5' => [], '6' => []];
$down = [];
$n = 0;
$push = function (bool $redisDown) use (&$n, &$ans, &$down, $pushers, $m, $drain) {
    $n++;
    foreach (['5', '6'] as $k) {
        $r = push_line($pushers[$n % 2], $m($k, $n));
        $ans[$k][$n] = $r;
        if ($redisDown) $down[] = $r;
    }
    $drain();
};
for ($i = 0; $i < 30; $i++) $push(false);
// key 8 is bound on B when Redis goes, and its connection leaves during the outage:
// B could not take itself out of 8's presence then; that must not make a later push "ok"
$z = ws_connect($b->ws, '8');
var_dump($z->recv_text());
var_dump(wait_until(fn() => $a->isOnline('8')));
$redis->stop();
var_dump(wait_until(fn() => $a->stats()['redis_up'] === 0, 5.0));
for ($i = 0; $i < 20; $i++) $push(true);
$z->close_tcp();
$redis->start();
// every node reconnects by itself (all three channels subscribed again)
var_dump(wait_until(fn() => $a->stats()['redis_up'] === 1, 15.0));
var_dump(wait_until(fn() => count(array_filter(explode("\n", $redis->cli('PUBSUB', 'CHANNELS', 't:ch:*')))) === 3, 15.0));
var_dump(wait_until(fn() => $a->isOnline('5'), 10.0));
for ($i = 0; $i < 30; $i++) $push(false);
var_dump(push_line($apush, '{"uid":"8","m":"after"}'));
$z2 = ws_connect($c->ws, '8');
var_dump($z2->recv_until('{"uid":"8","m":"after"}', 5.0, ['biubiubiu']));

// while Redis was away: only fail (a push in flight when it went may be fail too)
var_dump(array_unique($down));
$kept = fn($k) => array_keys(array_filter($ans[$k], fn($r) => $r === 'ok' || $r === 'queued'));
// key 5: every ok/queued message arrives; the first copies are in push order
$want5 = array_map(fn($i) => $m('5', $i), $kept('5'));
$deadline = microtime(true) + 10;
while (array_diff($want5, $got) && microtime(true) < $deadline) { $drain(); $x->pump(0.01); }
var_dump(array_values(array_diff($want5, $got)));
$first = array_values(array_unique($got));
$order = array_map(fn($s) => json_decode($s, true)['n'], $first);
$sorted = $order; sort($sorted);
var_dump($order === $sorted);
// key 6: bound now, on A: every ok/queued one, in order
$y = ws_connect($aws, '6');
$want6 = array_map(fn($i) => $m('6', $i), $kept('6'));
$got6 = $y->recv_n(count($want6), 10.0, ['biubiubiu']);
var_dump($got6 === $want6);
var_dump(count($want5) >= 60, end($ans['5']), end($ans['6']));
var_dump($a->stats()['redis_disconnects'] >= 1);
$a->stop(1);
var_dump($b->term(), $c->term());
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
string(6) "queued"
array(0) {
}
array(1) {
  [0]=>
  string(4) "fail"
}
array(0) {
}
bool(true)
bool(true)
bool(true)
string(2) "ok"
string(6) "queued"
bool(true)
bool(true)
bool(true)
done
