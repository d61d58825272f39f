--TEST--
bin/wspush: serve prints its ports, `stats` asks the running server (GET /metrics on its WebSocket port), SIGTERM stops it gracefully (exit 0)
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
// stats asks the server itself: the numbers are current, no snapshot file
$stats = fn() => shell_exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($bin) . " stats --ws 127.0.0.1:$ws 2>&1");
$out = (string)$stats();
var_dump((bool)preg_match('/^wspush_outbox_messages\s+1$/m', $out));
var_dump((bool)preg_match('/^wspush_pushes_total\{result="queued"\}\s+1$/m', $out), (bool)preg_match('/^wspush_up\s+1$/m', $out));
posix_kill((int)$pid, SIGTERM);
$rest = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
var_dump(proc_close($p), $err);
// after a stop `stats` says it cannot reach the server, in one line, exit 1
exec(escapeshellarg(PHP_BINARY) . ' ' . escapeshellarg($bin) . " stats --ws 127.0.0.1:$ws 2>&1", $o, $rc);
var_dump($rc, count($o), str_contains(implode("\n", $o), "cannot connect to 127.0.0.1:$ws"));
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
int(1)
bool(true)
done
