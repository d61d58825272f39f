--TEST--
Yii 2: README's config/console.php, config/web.php and config/params.php, as written there, make working applications (controller options, component from params and explicit properties)
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
// the ```php block that follows "`config/NAME.php`" in README
$readme = file_get_contents(dirname(__DIR__) . '/README.md');
$dir = wsp_tmpdir();
mkdir("$dir/config");
foreach (['console', 'web', 'params'] as $name) {
    $ok = preg_match('/^`config\/' . $name . '\.php`.*?^```php\n(.*?)\n```/ms', $readme, $m);
    echo "$name.php in README: ", $ok ? 'found' : 'missing', "\n";
    file_put_contents("$dir/config/$name.php", $m[1] ?? '<?php return [];');
}

$app = new yii\console\Application(require "$dir/config/console.php");
[$ctl] = $app->createController('wspush');
echo get_class($ctl), "\n";
$o = $ctl->serverOptions();
echo $o['ws_listen'], ' ', $o['push_listen'], ' ', $o['data_dir'] === "$dir/runtime/wspush" ? 'data_dir under @runtime' : $o['data_dir'], "\n";
echo get_class($app->wspush), ' ', $app->wspush->address, ' ', $app->wspush->timeout, "\n";

$web = new yii\web\Application(require "$dir/config/web.php");
echo get_class($web->wspush), ' ', $web->wspush->address, ' ', $web->wspush->timeout, ' ', var_export($web->wspush->token, true), "\n";
// and it pushes
[$s, , $push] = wsp_test_server();
$web->wspush->address = "tcp://127.0.0.1:$push";
echo $web->wspush->send('5', ['msg' => 'Your report is ready']), "\n";
?>
--EXPECT--
console.php in README: found
web.php in README: found
params.php in README: found
WsPush\Yii\ServerController
0.0.0.0:5001 127.0.0.1:5002 data_dir under @runtime
WsPush\Yii\Component tcp://127.0.0.1:5002 1
WsPush\Yii\Component tcp://127.0.0.1:5002 1 NULL
queued
