--TEST--
Issue 15: bin/wspush serve start-up failures (port in use on each listener, bad option value, bad data_dir, unknown option) exit non-zero with one line on stderr naming the cause
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!function_exists('proc_open')) die('skip proc_open needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$bin = dirname(__DIR__) . '/bin/wspush';
$dir = wsp_tmpdir();
$busy = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
$port = (int)substr(strrchr(stream_socket_get_name($busy, false), ':'), 1);
file_put_contents("$dir/a-file", "x");
$base = ['--ws', '127.0.0.1:0', '--push', '127.0.0.1:0', '--store', 'file', '--data-dir', "$dir/data",
         '--log-file', "$dir/w.log", '--close-log-file', "$dir/c.log"];
$cases = [
    'ws port in use'      => [['--ws', "127.0.0.1:$port"], "/^wspush: .*ws_listen: cannot listen on 127\\.0\\.0\\.1:$port: Address already in use$/"],
    'push port in use'    => [['--push', "127.0.0.1:$port"], "/^wspush: .*push_listen: cannot listen on 127\\.0\\.0\\.1:$port: Address already in use$/"],
    'metrics port in use' => [['--metrics-listen', "127.0.0.1:$port"], "/^wspush: .*metrics_listen: cannot listen on 127\\.0\\.0\\.1:$port: Address already in use$/"],
    'bad option value'    => [['--heartbeat-timeout', 'soon'], '/^wspush: bad option: heartbeat_timeout: expected a positive number of seconds, got "soon"$/'],
    'bad listen address'  => [['--option', 'ws_listen=nowhere'], '/^wspush: bad option: ws_listen: expected HOST:PORT/'],
    'data_dir is a file'  => [['--data-dir', "$dir/a-file"], '/^wspush: .*data_dir .*a-file.*: Not a directory$/'],
    'unknown option'      => [['--frobnicate', '1'], '/^wspush: unknown serve option --frobnicate/'],
    'unknown option name' => [['--option', 'frobnicate=1'], '/^wspush: bad option: unknown option "frobnicate"/'],
];
foreach ($cases as $name => [$args, $re]) {
    $p = proc_open([PHP_BINARY, $bin, 'serve', ...$base, ...$args], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    $out = stream_get_contents($pipes[1]);
    $err = stream_get_contents($pipes[2]);
    $rc = proc_close($p);
    $lines = explode("\n", rtrim($err, "\n"));
    printf("%-20s exit=%s lines=%d stdout=%s matches=%s\n", $name, $rc === 0 ? '0' : 'non-zero', count($lines),
        json_encode($out), var_export((bool)preg_match($re, $lines[0]), true));
    if (!preg_match($re, $lines[0])) echo "  got: $err\n";
}
echo "done\n";
?>
--EXPECT--
ws port in use       exit=non-zero lines=1 stdout="" matches=true
push port in use     exit=non-zero lines=1 stdout="" matches=true
metrics port in use  exit=non-zero lines=1 stdout="" matches=true
bad option value     exit=non-zero lines=1 stdout="" matches=true
bad listen address   exit=non-zero lines=1 stdout="" matches=true
data_dir is a file   exit=non-zero lines=1 stdout="" matches=true
unknown option       exit=non-zero lines=1 stdout="" matches=true
unknown option name  exit=non-zero lines=1 stdout="" matches=true
done
