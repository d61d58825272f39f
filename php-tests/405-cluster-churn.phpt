--TEST--
Cluster: no cross-talk under churn - many keys, clients connecting to and leaving random nodes while pushes flow through random nodes: every message reaches only its own key, each connection sees its key's messages in push order, and every push answered ok/queued is delivered
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
// clients reset at random: no message may run out of tries (retry_max) here
$o = ['retry_max' => 1000];
[$a, $aws, $apush] = wsp_node($url, $o);
$b = wsp_node_child($url, $o);
$c = wsp_node_child($url, $o);
$ws = [$aws, $b->ws, $c->ws];
$pp = [$apush, $b->push, $c->push];
mt_srand(17);
// web keys and add-in keys with the same uid: they must never see each other's messages
$keys = [];
for ($i = 1; $i <= 6; $i++) { $keys[] = (string)$i; $keys[] = addin_key((string)$i); }
$next = array_fill_keys($keys, 0);         // last n pushed per key
$kept = array_fill_keys($keys, []);        // n answered ok/queued
$conns = [];                               // [key, WsConn, last n seen]
$bad = [];
$seen = array_fill_keys($keys, []);
$read = function () use (&$conns, &$bad, &$seen) {
    foreach ($conns as $i => [$k, $cn, $last]) {
        while (($msg = $cn->recv_message(0.001)) !== null) {
            if ($msg === 'biubiubiu' || $msg === $k) continue;
            $j = json_decode($msg, true);
            if (!is_array($j) || ($j['k'] ?? null) !== $k) { $bad[] = "cross-talk: $msg on " . $k; continue; }
            if ($j['n'] <= $conns[$i][2]) $bad[] = "order: {$j['n']} after {$conns[$i][2]} on $k";
            $conns[$i][2] = $j['n'];
            $seen[$k][$j['n']] = true;
        }
    }
};
for ($step = 0; $step < 300; $step++) {
    $op = mt_rand(0, 9);
    if ($op < 2 && count($conns) < 16) {               // a client binds on a random node
        $k = $keys[mt_rand(0, count($keys) - 1)];
        $conns[] = [$k, ws_connect($ws[mt_rand(0, 2)], $k), 0];
    } elseif ($op < 3 && $conns) {                     // a client goes (close or reset)
        $i = array_rand($conns);
        $read();
        mt_rand(0, 1) ? $conns[$i][1]->close_tcp() : $conns[$i][1]->reset();
        unset($conns[$i]);
    } else {                                           // a batch of pushes through a random node
        $lines = [];
        $batch = [];
        for ($j = mt_rand(1, 5); $j > 0; $j--) {
            $k = $keys[mt_rand(0, count($keys) - 1)];
            $n = ++$next[$k];
            $uid = $k[0] === '{' ? json_decode($k, true)['uid'] : $k;
            $lines[] = json_encode($k[0] === '{' ? ['uid' => $k, 'k' => $k, 'n' => $n] : ['uid' => $uid, 'k' => $k, 'n' => $n]);
            $batch[] = [$k, $n];
        }
        $r = push_lines($pp[mt_rand(0, 2)], $lines);
        foreach ($batch as $i => [$k, $n]) {
            if ($r[$i] === 'ok' || $r[$i] === 'queued') $kept[$k][] = $n;
            else $bad[] = "push answered {$r[$i]}";
        }
    }
    $read();
}
// finally one confirming client per key, on a random node: the rest arrives
foreach ($keys as $k) $conns[] = [$k, ws_connect($ws[mt_rand(0, 2)], $k), 0];
$all = array_column($conns, 1);
pump_until($all, function () use ($read, $a) { $read(); return $a->stats()['outbox_depth'] === 0; }, 20.0);
$read();
$missing = 0;
foreach ($keys as $k) foreach ($kept[$k] as $n) if (!isset($seen[$k][$n])) $missing++;
var_dump($bad, $missing, array_sum(array_map('count', $kept)) > 300);
var_dump($a->stats()['outbox_depth']);
$a->stop(1);
var_dump($b->term(), $c->term());
echo "done\n";
?>
--EXPECT--
array(0) {
}
int(0)
bool(true)
int(0)
bool(true)
bool(true)
done
