--TEST--
Issue 3: crash - with fsync=always every push whose reply was read survives SIGKILL at a random point; after restart each is delivered at least once, in order per key
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
<?php if (!function_exists('pcntl_sigprocmask')) die('skip pcntl needed by serve_child.php'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$seed = (int)(getenv('WSP_SEED') ?: random_int(1, PHP_INT_MAX >> 1));
mt_srand($seed);
$tmp = wsp_tmpdir();
$data = "$tmp/data";
$keys = ['5', '6', 'web-7', addin_key('42')];
$N = 500;
$kill_after = mt_rand(1, $N - 1);          // replies read before the SIGKILL
$msg = fn($k, $i) => json_encode(['uid' => $k, 'n' => $i, 'pad' => str_repeat('y', $i % 64)]);
// push i goes to key $keys[kidx(i)]; n is the global push number
$plan = [];
for ($i = 1; $i <= $N; $i++) {
    $plan[$i] = $keys[mt_rand(0, count($keys) - 1)];
}

$c = wsp_child_start(wsp_file_opts($data, $tmp, ['fsync' => 'always']));
$p = new PushConn($c->push);
$written = 0;
$acked = [];                               // push number => reply, in order
$bad = [];
$window = mt_rand(20, 400);                // pushes in flight ahead of the replies read
while (count($acked) < $kill_after) {
    if ($written < $N && $written - count($acked) < $window) {
        $batch = '';
        $n = min($N - $written, mt_rand(1, 50));
        for ($j = 0; $j < $n; $j++) {
            $written++;
            $batch .= $msg($plan[$written], $written) . "\n";
        }
        $p->write($batch);
    }
    $r = $p->read_reply($written - count($acked) < $window && $written < $N ? 0.0 : 10.0);
    if ($r === null) {
        if ($written - count($acked) < $window && $written < $N) continue;
        echo "no reply for push ", count($acked) + 1, "\n";
        break;
    }
    $acked[count($acked) + 1] = $r;
    if ($r !== 'queued') $bad[] = $r;
}
// SIGKILL at once, with up to $window pushes still in flight
var_dump($c->kill9(), $c->termSig);
var_dump(count($acked) === $kill_after, $bad);
$p->close();

// restart on the same data_dir (in this process) and bind every key
[$s, $ws, $push] = wsp_file_server($data, $tmp);
$depth = $s->stats()['outbox_depth'];
$got = wsp_drain_keys($s, $ws, $keys, 30.0, ['biubiubiu']);
$fail = [];
$total = 0;
foreach ($keys as $k) {
    $seen = [];
    $last = 0;
    foreach ($got[$k] as $m) {
        $j = json_decode($m, true);
        $i = $j['n'] ?? null;
        if (!is_int($i) || ($plan[$i] ?? null) !== $k || $m !== $msg($k, $i)) {
            $fail[] = "key $k: unexpected message $m";
            continue;
        }
        if (isset($seen[$i])) {
            continue;                      // a duplicate (allowed: at least once)
        }
        if ($i < $last) {
            $fail[] = "key $k: $i after $last (out of order)";
        }
        $seen[$i] = true;
        $last = max($last, $i);
        $total++;
    }
    foreach ($acked as $i => $_) {
        if ($plan[$i] === $k && !isset($seen[$i])) {
            $fail[] = "key $k: acknowledged push $i lost";
        }
    }
}
var_dump($depth >= $kill_after, $total >= $kill_after, $total <= $written);
var_dump(array_slice($fail, 0, 10));
if ($fail || $depth < $kill_after) {
    echo "seed $seed kill_after $kill_after written $written depth $depth window $window\n";
}
var_dump($s->stats()['outbox_depth']);
$s->stop();
echo "done\n";
?>
--EXPECT--
bool(true)
int(9)
bool(true)
array(0) {
}
bool(true)
bool(true)
bool(true)
array(0) {
}
int(0)
done
