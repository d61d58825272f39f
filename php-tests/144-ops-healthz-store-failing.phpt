--TEST--
Issue 15: /healthz answers 503 "store failing" (wspush_up 0, wspush_store_failing 1) while the disk of data_dir is full and pushes are answered fail, and 200 again once a commit succeeds
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
$mnt = sys_get_temp_dir() . '/wspush-ops-full-' . getmypid();
@mkdir($mnt, 0700);
exec('mount -t tmpfs -o size=3m tmpfs ' . escapeshellarg($mnt) . ' 2>&1', $out, $rc);
if ($rc !== 0) {
    echo "FAIL: cannot mount a tmpfs at $mnt: " . implode(' ', $out) . "\n";
    exit(1);
}
register_shutdown_function(function () use ($mnt) {
    exec('umount ' . escapeshellarg($mnt));
    @rmdir($mnt);
});
file_put_contents("$mnt/filler", str_repeat("\0", 768 * 1024));

function http_get(int $port, string $path): array
{
    $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, wsp_t(3));
    if (!$s) return [0, $errstr];
    stream_set_timeout($s, (int)ceil(wsp_t(5)));
    fwrite($s, "GET $path HTTP/1.1\r\nHost: x\r\n\r\n");
    $raw = (string)stream_get_contents($s);
    fclose($s);
    preg_match('#^HTTP/1\.1 (\d+)#', $raw, $m);
    $at = strpos($raw, "\r\n\r\n");
    return [(int)($m[1] ?? 0), $at === false ? '' : substr($raw, $at + 4)];
}
$sample = function (int $ws, string $name): ?string {
    $body = http_get($ws, '/metrics')[1];
    return preg_match('/^' . preg_quote($name, '/') . ' (\S+)$/m', $body, $m) ? $m[1] : null;
};

[$s, $ws, $push] = wsp_file_server("$mnt/data", $tmp);
echo "before: ", json_encode(http_get($ws, '/healthz')), "\n";
$pad = str_repeat('p', 4000);
$fails = 0;
for ($i = 1; $i <= 3000 && $fails < 3; $i++) {
    if (push_line($push, json_encode(['uid' => '7', 'n' => $i, 'pad' => $pad])) === 'fail') $fails++;
}
var_dump($fails);
echo "disk full: ", json_encode(http_get($ws, '/healthz')), " up=", $sample($ws, 'wspush_up'),
    " store_failing=", $sample($ws, 'wspush_store_failing'), "\n";
var_dump($s->stats()['healthy']);
unlink("$mnt/filler");
var_dump(push_line($push, '{"uid":"7","m":"space again"}'));
var_dump(wait_until(fn() => http_get($ws, '/healthz') === [200, "ok\n"]));
echo "after: up=", $sample($ws, 'wspush_up'), " store_failing=", $sample($ws, 'wspush_store_failing'), "\n";
$s->stop();
echo "done\n";
?>
--EXPECT--
before: [200,"ok\n"]
int(3)
disk full: [503,"store failing\n"] up=0 store_failing=1
bool(false)
string(6) "queued"
bool(true)
after: up=1 store_failing=0
done
