--TEST--
Issue 13: kill -9 during the group commit, during the removal batch and during start-up (while loading) each leaves a store that loads with nothing acknowledged lost
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
<?php if (!function_exists('pcntl_sigprocmask')) die('skip pcntl needed by serve_child.php'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
$opts = wsp_file_opts($data, $tmp);
mt_srand((int)(getenv('WSP_KILL_SEED') ?: random_int(1, 1 << 30)));
$pushNo = 0;       // every push carries a number unique in the test
$acked = [];        // key => [n, ...] answered ok/queued, in push order
$confirmed = [];    // key => true: its messages were confirmed (may be gone, or come back once)

/* Stream $total pushes round-robin over $keys on one push connection, up to
 * $inflight unanswered at a time; record the answered ones. With $killAt,
 * kill -9 the child once that many replies were read (pushes in flight:
 * the store is committing). Returns the number of replies read. */
function stream_pushes(WspChild $c, array $keys, int $total, int $inflight, ?int $killAt, int $pad, array &$acked): int
{
    global $pushNo;
    $p = new PushConn($c->push);
    $sent = $read = 0;
    $nos = [];
    while ($read < $total) {
        if ($sent < $total && $sent - $read < $inflight) {
            $chunk = '';
            for ($j = 0; $j < 200 && $sent < $total; $j++, $sent++) {
                $nos[$sent] = ++$pushNo;
                $chunk .= json_encode(['uid' => $keys[$sent % count($keys)], 'n' => $pushNo,
                    'p' => str_repeat('x', $pad)]) . "\n";
            }
            $p->write($chunk);
            continue;
        }
        $r = $p->read_reply(10.0);
        if ($r === null) { echo "no reply for push $read\n"; break; }
        if ($r === 'ok' || $r === 'queued') $acked[$keys[$read % count($keys)]][] = $nos[$read];
        elseif ($r !== 'fail') echo "odd reply $r\n";
        $read++;
        if ($killAt !== null && $read >= $killAt) { $c->kill9(); break; }
    }
    return $read;
}

/* Every acknowledged message of an unconfirmed key must be there, first
 * occurrences in push order, none twice; a confirmed key's may be gone or
 * come back (at least once), in order. */
function check_all(array $got, array $acked, array $confirmed): bool
{
    $ok = true;
    foreach ($acked as $k => $ns) {
        $seen = [];
        $first = [];
        foreach ($got[$k] ?? [] as $m) {
            $n = json_decode($m, true)['n'];
            if (isset($seen[$n]) && empty($confirmed[$k])) { echo "key $k: $n twice\n"; $ok = false; }
            if (!isset($seen[$n])) $first[] = $n;
            $seen[$n] = true;
        }
        $sorted = $first; sort($sorted);
        if ($first !== $sorted) { echo "key $k: out of order\n"; $ok = false; }
        $missing = array_diff($ns, $first);
        if ($missing && empty($confirmed[$k])) {
            echo "key $k: lost " . count($missing) . " acknowledged, e.g. " . reset($missing) . "\n";
            $ok = false;
        }
    }
    return $ok;
}

$keys = fn(int $from, int $n) => array_map(fn($i) => (string)($from + $i), range(0, $n - 1));

// 1. kill -9 while group commits run: pushes in flight to offline keys
$keysA = $keys(2000, 50);
for ($round = 0; $round < 3; $round++) {
    $c = wsp_child_start($opts);
    $n = stream_pushes($c, $keysA, 20000, 3000, mt_rand(1000, 5000), 20, $acked);
    if ($c->proc !== null) { echo "round $round: not killed ($n replies)\n"; $c->kill9(); }
}
echo "group commit: killed 3 times\n";

// 2. kill -9 during the removal batch: keys X get pushes, keys Y too (held);
// X's keys are bound and confirm everything (a batch of removes, applied up
// to 250 ms later) and the server dies at a random moment of it
$xOk = true;
for ($round = 0; $round < 2; $round++) {
    $keysX = $keys(3000 + 100 * $round, 10);
    $keysY = $keys(3050 + 100 * $round, 10);
    $c = wsp_child_start($opts);
    stream_pushes($c, $keysX, 3000, 3000, null, 20, $acked);
    stream_pushes($c, $keysY, 1000, 1000, null, 20, $acked);
    $conns = [];
    foreach ($keysX as $k) $conns[$k] = ws_connect($c->ws, $k);
    $want = array_sum(array_map(fn($k) => count($acked[$k] ?? []), $keysX));
    $got = array_fill_keys($keysX, []);
    $n = 0;
    $deadline = microtime(true) + wsp_t(20.0);
    while ($n < $want && microtime(true) < $deadline) {
        foreach ($conns as $k => $w) {
            while (($m = $w->recv_message(0.001)) !== null) {
                if ($m !== 'biubiubiu') { $got[$k][] = $m; $n++; }
            }
        }
    }
    $xOk = $xOk && check_all($got, array_intersect_key($acked, $got), []);
    foreach ($conns as $w) $w->pump(0.01);   // the Pongs for the last ones
    usleep(mt_rand(0, 400000));
    $c->kill9();
    foreach ($conns as $w) $w->close_tcp();
    foreach ($keysX as $k) $confirmed[$k] = true;
}
echo "removal batch: killed 2 times\n";
var_dump($xOk);

// 3. kill -9 during start-up while loading a big store
$keysC = $keys(4000, 100);
$c = wsp_child_start($opts);
stream_pushes($c, $keysC, 30000, 5000, null, 200, $acked);
var_dump($c->term());
$t0 = microtime(true);
$c = wsp_child_start($opts);
$startup = microtime(true) - $t0;
var_dump($c->kill9());
$cmd = [PHP_BINARY];
if (!wsp_so_loaded_by_ini()) array_push($cmd, '-d', 'extension=' . wsp_so_path());
array_push($cmd, __DIR__ . '/serve_child.php', json_encode($opts));
for ($round = 0; $round < 4; $round++) {
    $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
    usleep(mt_rand((int)($startup * 200000), (int)($startup * 1000000)));
    proc_terminate($proc, 9);
    foreach ($pipes as $pp) fclose($pp);
    proc_close($proc);
}
echo "start-up: killed 4 times\n";

// the store loads, and every acknowledged push is there
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump($s->stats()['load_renumbered']);
$got = wsp_drain_keys($s, $ws, array_keys($acked), 60.0);
var_dump(check_all($got, $acked, $confirmed));
var_dump(array_sum(array_map('count', $acked)) > 30000);
$s->stop();
echo "done\n";
?>
--EXPECT--
group commit: killed 3 times
removal batch: killed 2 times
bool(true)
bool(true)
bool(true)
start-up: killed 4 times
int(0)
bool(true)
bool(true)
done
