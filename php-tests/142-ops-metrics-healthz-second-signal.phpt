--TEST--
Issue 15: metrics_listen serves /metrics and /healthz (the WebSocket port then only /healthz); /healthz is 503 while a SIGTERM drains; a second SIGTERM ends the drain (exit 0, the client sees 1001); Server::stats() and /metrics show the same numbers
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!function_exists('proc_open') || !function_exists('posix_kill') || !function_exists('pcntl_sigprocmask')) die('skip proc_open/posix/pcntl needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';

/* GET over a plain socket: [status, body]. */
function http_get(int $port, string $path): array
{
    $s = stream_socket_client("tcp://127.0.0.1:$port", $errno, $errstr, wsp_t(3));
    if (!$s) return [0, $errstr];
    stream_set_timeout($s, (int)ceil(wsp_t(5)));
    fwrite($s, "GET $path HTTP/1.1\r\nHost: x\r\n\r\n");
    $raw = (string)stream_get_contents($s);
    fclose($s);
    preg_match('#^HTTP/1\.1 (\d+)#', $raw, $m);
    $at = strpos($raw, "\r\n\r\n");
    return [(int)($m[1] ?? 0), $at === false ? '' : substr($raw, $at + 4)];
}

/* Prometheus text -> [name{labels} => value]. */
function samples(string $text): array
{
    $out = [];
    foreach (explode("\n", $text) as $l) {
        if ($l !== '' && $l[0] !== '#' && preg_match('/^(\S+) (\S+)$/', $l, $m)) $out[$m[1]] = (float)$m[2];
    }
    return $out;
}

$dir = wsp_tmpdir();
$c = wsp_child_start(wsp_file_opts("$dir/data", $dir, ['store' => 'memory',
    'metrics_listen' => '127.0.0.1:0', 'drain_seconds' => '60']));
var_dump($c->metrics > 0);
[$st, $body] = http_get($c->metrics, '/healthz');
echo "metrics_listen /healthz: $st ", trim($body), "\n";
[$st, $body] = http_get($c->metrics, '/metrics');
echo "metrics_listen /metrics: $st up=", samples($body)['wspush_up'] ?? '?', "\n";
[$st, $body] = http_get($c->metrics, '/other');
echo "metrics_listen /other: $st\n";
[$st, $body] = http_get($c->ws, '/metrics');
echo "ws port /metrics: $st ", trim($body) === "metrics are served on metrics_listen (port {$c->metrics})" ? 'names the port' : trim($body), "\n";
[$st, $body] = http_get($c->ws, '/healthz');
echo "ws port /healthz: $st ", trim($body), "\n";

// a client that never answers Pings holds an unconfirmed message: the drain waits for it
$w = ws_connect($c->ws, '5', ['auto_pong' => false]);
var_dump(push_line($c->push, '{"uid":"5","m":"unconfirmed"}'));
var_dump(count($w->recv_n(1, 3.0, ['biubiubiu'])));
posix_kill($c->pid, SIGTERM);
var_dump(wait_until(fn() => http_get($c->metrics, '/healthz') === [503, "stopping\n"], 10.0));
[$st, $body] = http_get($c->metrics, '/metrics');
$m = samples($body);
echo "draining: up=", $m['wspush_up'], " stopping=", $m['wspush_stopping'], " running=", var_export($c->running(), true), "\n";
posix_kill($c->pid, SIGTERM);   // the second one: no more waiting for the client
var_dump($c->wait_exit(10.0), $c->exitCode);
var_dump($w->expect_close_code(5.0));

// in process: Server::stats() and /metrics (WS port, loopback peer) agree
[$s, $ws, $push] = wsp_test_server();
push_lines($push, ['{"uid":"7","a":1}', '{"uid":"7","a":2}', 'bad']);
$a = $s->stats();
$m = samples(http_get($ws, '/metrics')[1]);
foreach (['push_queued' => 'wspush_pushes_total{result="queued"}', 'push_fail' => 'wspush_pushes_total{result="fail"}',
          'outbox_depth' => 'wspush_outbox_messages', 'keys' => 'wspush_keys', 'push_lines' => 'wspush_push_lines_total'] as $k => $name) {
    echo "$k: stats=", $a[$k], " metrics=", $m[$name] ?? '?', "\n";
}
var_dump($a['healthy'], $a['closed']['http'] >= 0, isset($a['loop_lag_seconds'], $a['commit_count']));
$s->stop(0.5);
echo "done\n";
?>
--EXPECT--
bool(true)
metrics_listen /healthz: 200 ok
metrics_listen /metrics: 200 up=1
metrics_listen /other: 404
ws port /metrics: 404 names the port
ws port /healthz: 200 ok
string(2) "ok"
int(1)
bool(true)
draining: up=0 stopping=1 running=true
bool(true)
int(0)
int(1001)
push_queued: stats=2 metrics=2
push_fail: stats=1 metrics=1
outbox_depth: stats=2 metrics=2
keys: stats=1 metrics=1
push_lines: stats=3 metrics=3
bool(true)
bool(true)
bool(true)
done
