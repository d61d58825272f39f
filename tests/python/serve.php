<?php
/*
 * serve.php - a WsPush server for the Python interoperability test.
 *
 * Started by test_websockets.py as
 *   php -d extension=modules/wspush.so tests/python/serve.php [JSON options]
 * It starts WsPush\Server on 127.0.0.1 port 0 with the memory store, prints one
 * JSON line {"ws_port":..,"push_port":..}, then answers commands read from
 * stdin, one JSON line each on stdout:
 *   stats          -> the stats() array
 *   online KEY     -> {"online": bool}
 *   quit           -> {"stopped": true}, then exits
 * EOF on stdin stops the server too, so the child never outlives the test.
 */
if (!extension_loaded('wspush')) {
    fwrite(STDERR, "serve.php: the wspush extension is not loaded\n");
    exit(2);
}
$dir = sys_get_temp_dir() . '/wspush-pytest-' . getmypid();
@mkdir($dir, 0700, true);
$opts = [
    'ws_listen' => '127.0.0.1:0',
    'push_listen' => '127.0.0.1:0',
    'store' => 'memory',
    'heartbeat_timeout' => '30',
    'log_file' => "$dir/w.log",
    'close_log_file' => "$dir/c.log",
];
if (isset($argv[1])) {
    foreach (json_decode($argv[1], true) ?: [] as $k => $v) {
        $opts[$k] = (string)$v;
    }
}
$s = new WsPush\Server($opts);
$s->start();
$st = $s->stats();
echo json_encode(['ws_port' => $st['ws_port'], 'push_port' => $st['push_port'], 'log_dir' => $dir]), "\n";
while (($line = fgets(STDIN)) !== false) {
    $line = trim($line);
    if ($line === 'stats') {
        echo json_encode($s->stats()), "\n";
    } elseif (strncmp($line, 'online ', 7) === 0) {
        echo json_encode(['online' => $s->isOnline(substr($line, 7))]), "\n";
    } elseif ($line === 'quit') {
        break;
    } else {
        echo json_encode(['error' => "unknown command $line"]), "\n";
    }
}
$s->stop(1.0);
foreach (glob("$dir/*") as $f) @unlink($f);
@rmdir($dir);
echo json_encode(['stopped' => true]), "\n";
