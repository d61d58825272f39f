<?php
/*
 * serve_child.php - run a WsPush\Server in a child process for the durability
 * tests (php-tests/1xx-*.phpt, see durable.inc).
 *
 *   php -d extension=wspush.so serve_child.php '<options as JSON>'
 *
 * Starts the server with the given options, prints ONE JSON line
 * {"ws_port":..,"push_port":..,"pid":..} to stdout, then blocks in run() until
 * SIGTERM/SIGINT (graceful stop; prints "stopped" and exits 0) or until it is
 * killed. A start failure prints {"error":"<message>"} and exits 3.
 *
 * SIGTERM/SIGINT (and SIGUSR1/SIGHUP, which run() answers by reopening the
 * logs) are blocked (pcntl) BEFORE start() so the server's threads
 * inherit the mask and the signal waits for run()'s sigwaitinfo() instead of
 * killing the process (see WsPush\Server::run()).
 *
 * With WSP_PARENT_PID set, a watcher process (forked before any thread exists,
 * so it holds no lock) sends SIGTERM to the server when the test process dies,
 * and exits when the server is gone, so no server outlives its test.
 */
$opts = json_decode($argv[1] ?? '{}', true);
if (!is_array($opts)) {
    fwrite(STDOUT, json_encode(['error' => 'bad options JSON']) . "\n");
    exit(2);
}
foreach ($opts as $k => $v) {
    $opts[$k] = is_bool($v) ? ($v ? '1' : '0') : (string)$v;
}
$parent = (int)getenv('WSP_PARENT_PID');
if ($parent > 0 && function_exists('pcntl_fork')) {
    $server = getmypid();
    $w = pcntl_fork();
    if ($w === 0) {
        fclose(STDOUT);
        fclose(STDERR);
        for (;;) {
            usleep(100000);
            if (posix_getppid() !== $server) {
                exit(0);                       // server gone
            }
            if (!posix_kill($parent, 0) && posix_get_last_error() === 3 /* ESRCH */) {
                posix_kill($server, SIGTERM);   // test gone: stop the server
                exit(0);
            }
        }
    }
}
if (function_exists('pcntl_sigprocmask')) {
    pcntl_sigprocmask(SIG_BLOCK, [SIGTERM, SIGINT, SIGUSR1, SIGHUP]);
}
try {
    $s = new WsPush\Server($opts);
    $s->start();
    $st = $s->stats();
} catch (Throwable $e) {
    fwrite(STDOUT, json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]) . "\n");
    fflush(STDOUT);
    exit(3);
}
fwrite(STDOUT, json_encode(['ws_port' => (int)$st['ws_port'], 'push_port' => (int)$st['push_port'],
    'metrics_port' => (int)($st['metrics_port'] ?? 0),
    'pid' => getmypid()]) . "\n");
fflush(STDOUT);
$s->run();
fwrite(STDOUT, "stopped\n");
fflush(STDOUT);
exit(0);
