<?php
/*
 * bench/restart_1m.php - start-up time with a large stored backlog (issue 3):
 * fill the embedded store with N queued messages over K keys, stop, then time
 * Server::start() (open + load every outbox) and report RSS.
 *
 *   php -d extension=modules/wspush.so bench/restart_1m.php [N] [KEYS] [DIR]
 */
$n = (int)($argv[1] ?? 1000000);
$keys = (int)($argv[2] ?? 10000);
$dir = $argv[3] ?? sys_get_temp_dir() . '/wspush-restart-' . getmypid();
$opts = ['ws_listen' => '127.0.0.1:0', 'push_listen' => '127.0.0.1:0', 'store' => 'file',
         'data_dir' => $dir, 'log_level' => 'warn', 'log_file' => "$dir.log",
         'close_log_file' => "$dir.close.log", 'queue_limit' => (string)max(2000, intdiv($n, $keys) + 1)];

$s = new WsPush\Server($opts);
$s->start();
$port = $s->stats()['push_port'];
$c = new WsPush\Client("tcp://127.0.0.1:$port", 30.0, ['persistent' => false]);
$t0 = microtime(true);
$pad = str_repeat('x', 100);
for ($i = 0; $i < $n; $i += 10000) {
    $batch = [];
    for ($j = $i; $j < min($n, $i + 10000); $j++) {
        $batch[] = [(string)($j % $keys), ['n' => $j, 'pad' => $pad]];
    }
    foreach ($c->sendMany($batch) as $r) {
        if ($r !== 'queued') { fwrite(STDERR, "unexpected reply $r\n"); exit(1); }
    }
}
$fill = microtime(true) - $t0;
$t0 = microtime(true);
$s->stop();
$stop = microtime(true) - $t0;
unset($s);
$rss0 = (int)preg_replace('/\D/', '', shell_exec("grep VmRSS /proc/" . getmypid() . "/status"));

$t0 = microtime(true);
$s = new WsPush\Server($opts);
$s->start();
$start = microtime(true) - $t0;
$st = $s->stats();
$rss1 = (int)preg_replace('/\D/', '', shell_exec("grep VmRSS /proc/" . getmypid() . "/status"));
$s->stop(0);
printf("messages=%d keys=%d fill_s=%.2f (%.0f pushes/s) stop_s=%.2f start_s=%.3f held=%d store_bytes=%d rss_growth_mb=%.0f\n",
    $n, $keys, $fill, $n / $fill, $stop, $start, $st['outbox_depth'], $st['store_bytes'], ($rss1 - $rss0) / 1024);
shell_exec('rm -rf ' . escapeshellarg($dir) . ' ' . escapeshellarg("$dir.log") . ' ' . escapeshellarg("$dir.close.log"));
