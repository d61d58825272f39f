--TEST--
Issue 15: the Yii console command `yii wspush/start` handles signals as bin/wspush serve does: SIGUSR1 sent right after the listening line (before run() waits) and SIGHUP reopen the logs and it keeps serving; SIGTERM stops it gracefully (Close 1001, exit 0)
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
require __DIR__ . '/wsclient.inc'; require __DIR__ . '/durable.inc'; require __DIR__ . '/yii.inc';
if (wsp_yii_dir() === null) die('skip Yii 2 not found (set YII2_DIR)');
if (!function_exists('proc_open') || !function_exists('posix_kill') || !function_exists('pcntl_sigprocmask')) die('skip proc_open/posix/pcntl needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/yii.inc';
$dir = wsp_tmpdir();
$yii = wsp_yii_app($dir, <<<PHP
<?php
return [
    'id' => 'wspush-signals',
    'basePath' => dirname(__DIR__),
    'controllerMap' => [
        'wspush' => [
            'class' => WsPush\Yii\ServerController::class,
            'options' => [
                'ws_listen' => '127.0.0.1:0',
                'push_listen' => '127.0.0.1:0',
                'store' => 'memory',
                'data_dir' => '$dir/data',
                'log_file' => '$dir/w.log',
                'close_log_file' => '$dir/c.log',
            ],
        ],
    ],
];
PHP);
$reopens = fn() => substr_count((string)@file_get_contents("$dir/w.log"), ' reopen ');
$p = proc_open([...$yii, 'wspush/start'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$line = fgets($pipes[1]);
var_dump((bool)preg_match('/^wspush listening ws=127\.0\.0\.1:(\d+) push=127\.0\.0\.1:(\d+) pid=(\d+)$/', trim((string)$line), $m));
[, $ws, $push, $pid] = $m + [0, 0, 0, 0];
posix_kill((int)$pid, SIGUSR1);              // at once: run() may not be waiting yet
var_dump(wait_until(fn() => $reopens() === 1));
posix_kill((int)$pid, SIGHUP);
var_dump(wait_until(fn() => $reopens() === 2));
var_dump(proc_get_status($p)['running']);
$c = ws_connect((int)$ws, '5');
var_dump(push_line((int)$push, '{"uid":"5","m":"still serving"}'));
var_dump(count($c->recv_n(1, 3.0, ['biubiubiu'])));
posix_kill((int)$pid, SIGTERM);
var_dump($c->expect_close_code(10.0));
$rest = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
echo "start exit: ", proc_close($p), " [$rest$err]\n";
echo "done\n";
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
bool(true)
string(2) "ok"
int(1)
int(1001)
start exit: 0 []
done
