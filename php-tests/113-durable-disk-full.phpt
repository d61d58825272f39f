--TEST--
Issue 13: disk full - with data_dir on a small tmpfs that fills up, pushes are answered fail (never a false ok/queued), a live connection keeps working, nothing answered before is lost, and once space is freed pushes are stored again without a restart
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
<?php
// Mounting a tmpfs needs root; CI runs as root, where a refused mount fails
// the test (below) instead of skipping it.
if (trim((string)shell_exec('id -u')) !== '0') die('skip needs root to mount a tmpfs');
?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$mnt = sys_get_temp_dir() . '/wspush-full-' . getmypid();
@mkdir($mnt, 0700);
exec('mount -t tmpfs -o size=3m tmpfs ' . escapeshellarg($mnt) . ' 2>&1', $out, $rc);
if ($rc !== 0) {
    // Not a skip: without the mount this test proves nothing, and CI must say so.
    echo "FAIL: cannot mount a tmpfs at $mnt: " . implode(' ', $out) . "\n";
    exit(1);
}
register_shutdown_function(function () use ($mnt) {
    exec('umount ' . escapeshellarg($mnt));
    @rmdir($mnt);
});
// room to give back later
file_put_contents("$mnt/filler", str_repeat("\0", 768 * 1024));
$data = "$mnt/data";

[$s, $ws, $push] = wsp_file_server($data, $tmp);
$live = ws_connect($ws, '1001');
var_dump($live->recv_text());
$pad = str_repeat('p', 4000);
$msg = fn($i) => json_encode(['uid' => '1002', 'n' => $i, 'pad' => $pad]);

// fill the disk: an offline key's pushes are held and stored until one fails
$answered = [];   // every push answered ok/queued, in order
$replies = [];
$fails = 0;
for ($i = 1; $i <= 3000 && $fails < 5; $i++) {
    $r = push_line($push, $msg($i));
    $replies[$r] = ($replies[$r] ?? 0) + 1;
    if ($r === 'fail') $fails++;
    elseif ($r === 'queued' || $r === 'ok') $answered[] = $msg($i);
    else { echo "unexpected reply " . var_export($r, true) . "\n"; break; }
}
var_dump($fails === 5, count($answered) > 50);
var_dump($s->stats()['store_errors'] >= 5);
// the store's reason is logged
var_dump(wait_until(fn() => (bool)preg_match('/ store .*result=commit_failed content=data_dir.*is\\\\x20full/',
    (string)@file_get_contents("$tmp/w.log"))));

// the live connection keeps working while the disk is full: a push to it is
// delivered (its reply says whether it was stored), Pings are answered
$r = push_line($push, '{"uid":"1001","m":"during"}');
var_dump($r === 'ok' || $r === 'fail');
var_dump($live->recv_text(5.0));
var_dump(wait_until(function () use ($live) { $live->pump(0.01); return count($live->pings) > 0; }, 5.0));

// space comes back: pushes are stored again, no restart
unlink("$mnt/filler");
$after = [];
for ($i = 0; $i < 3; $i++) {
    $m = json_encode(['uid' => '1002', 'n' => "after$i"]);
    $r = push_line($push, $m);
    if ($r !== 'queued') echo "after free: $r\n";
    $after[] = $m;
}
// held: exactly the pushes answered queued (the failed ones left the outbox)
var_dump($s->stats()['outbox_depth'] === count($answered) + count($after));
var_dump(push_line($push, '{"uid":"1001","m":"after"}'));
var_dump($live->recv_text(5.0));
$live->close();
$s->stop();

// after a restart the offline key gets exactly what was answered ok/queued,
// in order: no failed push, nothing answered lost
[$s, $ws, $push] = wsp_file_server($data, $tmp);
$d = ws_connect($ws, '1002');
var_dump(push_line($push, '{"uid":"1002","m":"end"}'));
$got = $d->recv_until('{"uid":"1002","m":"end"}', 20.0, ['biubiubiu']);
$want = array_merge($answered, $after);
var_dump(count($got) === count($want), $got === $want);
if ($got !== $want) {
    $n = fn($l) => array_map(fn($m) => json_decode($m, true)['n'] ?? $m, $l);
    echo "got ", count($got), " want ", count($want), "\n";
    echo "missing: ", json_encode(array_values(array_diff($n($want), $n($got)))), "\n";
    echo "extra: ", json_encode(array_values(array_diff($n($got), $n($want)))), "\n";
}
$d->close();
$s->stop();
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
string(27) "{"uid":"1001","m":"during"}"
bool(true)
bool(true)
string(2) "ok"
string(26) "{"uid":"1001","m":"after"}"
string(2) "ok"
bool(true)
bool(true)
done
