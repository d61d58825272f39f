--TEST--
Yii 2 component: address/timeout/token from params, Yii-style errors (WsPush\Yii\Exception with the extension's exception as previous and a Yii::error log line, InvalidArgumentException, InvalidConfigException), one connection per process, token passed through or refused clearly
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
require __DIR__ . '/wsclient.inc'; require __DIR__ . '/durable.inc'; require __DIR__ . '/yii.inc';
if (wsp_yii_dir() === null) die('skip Yii 2 not found (set YII2_DIR)'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/yii.inc';
require wsp_yii_dir() . '/Yii.php';
foreach (wsp_psr4() as $ns => $path) {
    Yii::setAlias('@' . str_replace('\\', '/', rtrim($ns, '\\')), $path);
}
use WsPush\Yii\Component;
use yii\base\InvalidArgumentException;
use yii\base\InvalidConfigException;

[$s, $ws, $push, $dir] = wsp_test_server();
new yii\console\Application(['id' => 't', 'basePath' => $dir,
    'params' => ['wspush' => ['address' => "tcp://127.0.0.1:$push", 'timeout' => 2]],
    'components' => ['wspush' => ['class' => Component::class]]]);

// from params
$w = Yii::$app->wspush;
var_dump($w->address === "tcp://127.0.0.1:$push", $w->timeout, $w->token);
var_dump($w->send('5', ['m' => 1]), $w->send(7, '{"m":2}'));
var_dump($w->sendMany(['5' => ['m' => 3], '' => ['m' => 4]]));
// one connection per process: a second component on the same address shares it
$w2 = new Component();
$w2->send('5', ['m' => 5]);
// established client sockets to the push port (rem_address ends with its port, state 01)
$conns = 0;
foreach (file('/proc/net/tcp') as $row) {
    $f = preg_split('/\s+/', trim($row));
    if (($f[3] ?? '') === '01' && str_ends_with($f[2], sprintf(':%04X', $push))) $conns++;
}
var_dump($conns);

// the server refuses a line ("fail"): WsPush\Yii\Exception, logged
try { $w->send('   ', ['m' => 1]); echo "no exception\n"; }
catch (WsPush\Yii\Exception $e) { echo get_class($e), ' / ', $e->getName(), ' / ', get_class($e->getPrevious()), "\n"; }
catch (InvalidArgumentException $e) { echo "InvalidArgumentException ", $e->getMessage(), "\n"; }
// a message that is not a JSON object: InvalidArgumentException naming the argument
try { $w->send('5', 'not json'); echo "no exception\n"; }
catch (InvalidArgumentException $e) { echo "InvalidArgumentException: ", str_starts_with($e->getMessage(), '$message ') ? 'names $message' : $e->getMessage(), "\n"; }

// the server is gone: WsPush\Yii\Exception naming the key and the address, and a Yii::error line
$s->stop(0);
$dead = new Component(['address' => "127.0.0.1:$push", 'timeout' => 0.5]);
try { $dead->send('5', ['m' => 1]); echo "no exception\n"; }
catch (WsPush\Yii\Exception $e) {
    echo "down: ", str_contains($e->getMessage(), "key '5'") && str_contains($e->getMessage(), (string)$push) ? 'names key and address' : $e->getMessage(), "\n";
}
$logged = array_filter(Yii::getLogger()->messages, fn($m) => $m[2] === 'wspush' && $m[1] === yii\log\Logger::LEVEL_ERROR);
var_dump(count($logged) >= 1);

// bad configuration
foreach ([['timeout' => -1], ['address' => ''], ['token' => 5]] as $cfg) {
    try { new Component($cfg); echo "accepted ", json_encode($cfg), "\n"; }
    catch (InvalidConfigException $e) { echo "InvalidConfigException: ", json_encode($cfg), "\n"; }
}

// token: passed to WsPush\Client when the extension supports it, else a clear error
$supported = true;
try { new WsPush\Client('tcp://127.0.0.1:1', 1.0, ['token' => 'x']); }
catch (ValueError $e) { $supported = !str_contains($e->getMessage(), '"token"'); }
[$s2, , $push2] = wsp_test_server($supported ? ['push_token' => 'sekret'] : []);
$t = new Component(['address' => "tcp://127.0.0.1:$push2", 'token' => 'sekret']);
try {
    $r = $t->send('5', ['m' => 1]);
    echo $supported && $r === 'queued' ? "token: passed through\n" : "token: unexpected reply $r\n";
} catch (InvalidConfigException $e) {
    echo !$supported && str_contains($e->getMessage(), 'cannot send a push token') ? "token: passed through\n" : 'token: ' . $e->getMessage() . "\n";
}
// a token the extension refuses (a line break) is reported as a bad token, not as an old extension
$bad = new Component(['address' => "tcp://127.0.0.1:$push2", 'token' => "sek\nret"]);
try { $bad->getClient(); echo "bad token: accepted\n"; }
catch (InvalidConfigException $e) {
    $m = $e->getMessage();
    echo 'bad token: ', !str_contains($m, 'upgrade') && str_contains($m, '$token') && str_contains($m, 'line breaks') ? 'reported as a bad token' : $m, "\n";
}
$s2->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
float(2)
NULL
string(6) "queued"
string(6) "queued"
array(2) {
  [5]=>
  string(6) "queued"
  [""]=>
  string(4) "fail"
}
int(1)
WsPush\Yii\Exception / WsPush Error / WsPush\Exception
InvalidArgumentException: names $message
down: names key and address
bool(true)
InvalidConfigException: {"timeout":-1}
InvalidConfigException: {"address":""}
InvalidConfigException: {"token":5}
token: passed through
bad token: reported as a bad token
done
