--TEST--
Yii 2 console app: `yii wspush/start` serves, `status` sees it, Yii::$app->wspush->send() reaches a bound WebSocket client (ok), `yii wspush/push` too, `yii wspush/stop` stops it and start exits 0
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
require __DIR__ . '/wsclient.inc'; require __DIR__ . '/durable.inc'; require __DIR__ . '/yii.inc';
if (wsp_yii_dir() === null) die('skip Yii 2 not found (set YII2_DIR)');
if (!function_exists('proc_open') || !function_exists('posix_kill')) die('skip proc_open/posix needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/yii.inc';
$dir = wsp_tmpdir();
// The application: the controller in controllerMap with its server options,
// the component configured from params (params.php is rewritten below, once
// the server's push port is known), and one command of "application code".
$yii = wsp_yii_app($dir, <<<'PHP'
<?php
return [
    'id' => 'wspush-test',
    'basePath' => dirname(__DIR__),
    'controllerNamespace' => 'app\commands',
    'aliases' => ['@app' => dirname(__DIR__)],
    'params' => require __DIR__ . '/params.php',
    'controllerMap' => [
        'wspush' => [
            'class' => WsPush\Yii\ServerController::class,
            'options' => [
                'ws_listen' => '127.0.0.1:0',
                'push_listen' => '127.0.0.1:0',
                'heartbeat_timeout' => 30,
            ],
        ],
    ],
    'components' => [
        'wspush' => ['class' => WsPush\Yii\Component::class],
    ],
];
PHP, ['NotifyController' => <<<'PHP'
<?php
namespace app\commands;

use Yii;

class NotifyController extends \yii\console\Controller
{
    public function actionSend($key, $text)
    {
        echo Yii::$app->wspush->send($key, ['msg' => $text]), "\n";
        $r = Yii::$app->wspush->sendMany([[$key, ['msg' => "$text-2"]], ['nobody', ['msg' => 'x']]]);
        echo implode(',', $r), "\n";
        return 0;
    }
}
PHP]);
// server options from params: store and data_dir (an alias), overridden by controllerMap's
file_put_contents("$dir/config/params.php", "<?php return ['wspush' => ['server' => ['store' => 'memory', 'data_dir' => '@runtime/ws', 'ws_listen' => '0.0.0.0:1']]];");

[$rc, $out] = wsp_run([...$yii, 'wspush/status']);
echo "status before start: $rc $out";

$p = proc_open([...$yii, 'wspush/start'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
$line = fgets($pipes[1]);
var_dump((bool)preg_match('/^wspush listening ws=127\.0\.0\.1:(\d+) push=127\.0\.0\.1:(\d+) pid=(\d+)$/', trim((string)$line), $m));
[, $ws, $push, $pid] = $m + [0, 0, 0, 0];
var_dump(is_file("$dir/runtime/ws/wspush.pid"));   // data_dir from params, alias resolved
file_put_contents("$dir/config/params.php", "<?php return ['wspush' => ['address' => 'tcp://127.0.0.1:$push', 'timeout' => 2,"
    . " 'server' => ['store' => 'memory', 'data_dir' => '@runtime/ws']]];");

[$rc, $out] = wsp_run([...$yii, 'wspush/status']);
echo "status: $rc ", (int)str_contains($out, "running pid=$pid ws=127.0.0.1:$ws push=127.0.0.1:$push"), "\n";

$c = ws_connect((int)$ws, '5');
var_dump($c->recv_text(3.0));                      // bound (the web heartbeat reply)
[$rc, $out, $err] = wsp_run([...$yii, 'notify/send', '5', 'hello']);
echo "send: $rc $out$err";
var_dump($c->recv_n(2, 3.0, ['biubiubiu']));
[$rc, $out, $err] = wsp_run([...$yii, 'wspush/push', '5', '{"msg":"from push"}']);
echo "push: $rc $out$err";
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));

// status shows the server's numbers (its /metrics): 3 pushes ok, 1 queued
[$rc, $out] = wsp_run([...$yii, 'wspush/status']);
echo "status numbers: $rc ", preg_match('/^wspush_pushes_total\{result="ok"\}\s+3$/m', $out)
    && preg_match('/^wspush_pushes_total\{result="queued"\}\s+1$/m', $out) ? 'ok=3 queued=1' : $out, "\n";
$c->close();
[$rc, $out, $err] = wsp_run([...$yii, 'wspush/stop']);
echo "stop: $rc $out$err";
$rest = stream_get_contents($pipes[1]);
$err = stream_get_contents($pipes[2]);
echo "start exit: ", proc_close($p), " [$rest$err]\n";
clearstatcache();
var_dump(is_file("$dir/runtime/ws/wspush.pid"));   // removed at stop
[$rc, $out] = wsp_run([...$yii, 'wspush/status']);
echo "status after stop: $rc $out";
[$rc, $out] = wsp_run([...$yii, 'wspush/stop']);
echo "stop again: $rc $out";
echo "done\n";
?>
--EXPECTF--
status before start: 3 wspush: not running
bool(true)
bool(true)
status: 0 1
string(9) "biubiubiu"
send: 0 ok
ok,queued
array(2) {
  [0]=>
  string(25) "{"uid":"5","msg":"hello"}"
  [1]=>
  string(27) "{"uid":"5","msg":"hello-2"}"
}
push: 0 ok
array(1) {
  [0]=>
  string(29) "{"uid":"5","msg":"from push"}"
}
status numbers: 0 ok=3 queued=1
stop: 0 wspush: stopped (pid %d)
start exit: 0 []
bool(false)
status after stop: 3 wspush: not running
stop again: 0 wspush: not running
done
