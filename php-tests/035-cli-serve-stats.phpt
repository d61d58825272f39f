--TEST--
bin/wspush: serve prints its ports, `stats` reads the running server's snapshot, SIGTERM stops it gracefully (exit 0)
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!function_exists('proc_open') || !function_exists('posix_kill')) die('skip proc_open/posix needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$bin = dirname(__DIR__) . '/bin/wspush';
$dir = sys_get_temp_dir() . '/wsp-cli-' . getmypid();
@mkdir($dir);
$p = proc_open([PHP_BINARY, $bin, 'serve', '--ws', '127.0.0.1:0', '--push', '127.0.0.1:0',
    '--data-dir', "$dir/data", '--store', 'memory', '--log-file', "$dir/w.log",
    '--close-log-file', "$dir/c.log"], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$line = fgets($pipes[1]);
var_dump((bool)preg_match('/^wspush listening ws=127\.0\.0\.1:(\d+) push=127\.0\.0\.1:(\d+) pid=(\d+)$/', trim($line), $m));
[, $ws, $push, $pid] = $m;
var_dump(push_line((int)$push, '{"uid":"7","n":1}'));
// the snapshot is written once a second: wait for it to show the queued push
$out = '';
var_dump(wait_until(function () use ($bin, $dir, &$out) {
    $out = shell_exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($bin) . ' stats --data-dir ' . escapeshellarg("$dir/data") . ' 2>&1');
    return (bool)preg_match('/^outbox_depth\s+1$/m', (string)$out);
}, 10.0));
var_dump((bool)preg_match('/^push_queued\s+1$/m', $out), (bool)preg_match('/^pid\s+' . $pid . '$/m', $out));
posix_kill((int)$pid, SIGTERM);
$rest = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
var_dump(proc_close($p), $err);
// after a stop the snapshot is gone and `stats` says so
exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($bin) . ' stats --data-dir ' . escapeshellarg("$dir/data") . ' 2>&1', $o, $rc);
var_dump($rc, str_contains(implode("\n", $o), 'no stats at'));
shell_exec('rm -rf ' . escapeshellarg($dir));
echo "done\n";
?>
--EXPECT--
bool(true)
string(6) "queued"
bool(true)
bool(true)
bool(true)
int(0)
string(0) ""
int(1)
bool(true)
done
