--TEST--
Issue 3: graceful restart (SIGTERM) keeps every queued push; after restart all are delivered in order per key, confirmed, and removed from the store
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
$m = fn($k, $i) => json_encode(['uid' => $k, 'n' => $i, 'body' => "m$i-" . str_repeat('x', $i % 40)]);
$keys = ['5', '{"uid":"42","FunctionType":4,"Data":"","ErrMsg":null,"IsSuccess":"1"}'];
$N = 300;

// 1. a child server; pushes to two offline keys, interleaved
$c = wsp_child_start(wsp_file_opts($data, $tmp));
$lines = [];
for ($i = 1; $i <= $N; $i++) {
    foreach ($keys as $k) $lines[] = $m($k, $i);
}
$r = push_lines($c->push, $lines, 30.0);
var_dump(array_count_values(array_map('strval', $r)));
// 2. SIGTERM: graceful stop, exit code 0
var_dump($c->term());
var_dump($c->exitCode, $c->termSig, trim($c->out));
var_dump(is_file("$data/data.mdb"));

// 3. start again (in this process) on the same data_dir: everything is there
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump($s->stats()['outbox_depth'], $s->stats()['store_bytes'] > 0);
$got = wsp_drain_keys($s, $ws, $keys);
foreach ($keys as $k) {
    $want = array_map(fn($i) => $m($k, $i), range(1, $N));
    var_dump($got[$k] === $want);
    if ($got[$k] !== $want) {
        foreach ($want as $i => $w) if (($got[$k][$i] ?? null) !== $w) { echo "first difference at $i: ", $got[$k][$i] ?? 'missing', "\n"; break; }
    }
}
$st = $s->stats();
var_dump($st['outbox_depth'], $st['confirmed'] >= 2 * $N);
$s->stop();

// 4. a third start: the confirmed messages were removed from the store
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump($s->stats()['outbox_depth'], $s->stats()['oldest_age']);
$d = ws_connect($ws, '5');
var_dump(push_line($push, '{"uid":"5","end":1}'));
var_dump($d->recv_until('{"uid":"5","end":1}', 3.0, ['biubiubiu']));
$s->stop();
echo "done\n";
?>
--EXPECT--
array(1) {
  ["queued"]=>
  int(600)
}
bool(true)
int(0)
NULL
string(7) "stopped"
bool(true)
int(600)
bool(true)
bool(true)
bool(true)
int(0)
bool(true)
int(0)
float(0)
string(2) "ok"
array(0) {
}
done
