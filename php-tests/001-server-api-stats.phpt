--TEST--
Server: start on port 0, stats() has every field, start() twice throws, stop() is idempotent
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$st = $s->stats();
$fields = ['connections', 'bound', 'keys', 'outbox_depth', 'outbox_bytes', 'oldest_age',
    'push_lines', 'push_ok', 'push_queued', 'push_fail', 'delivered_writes', 'confirmed',
    'replayed', 'dropped_retry', 'dropped_queue_limit', 'expired', 'fallback_connections',
    'closed_timeout', 'closed_protocol', 'closed_behind', 'log_dropped', 'events_dropped', 'store_errors',
    'load_renumbered',
    'store_bytes', 'closed_handshake_timeout', 'closed_message_timeout', 'output_paused',
    'rejected_max_connections', 'rejected_per_ip', 'rejected_fd_limit', 'closed_push_idle',
    'socket_writes', 'write_calls', 'output_held',
    'ws_port', 'push_port'];
foreach ($fields as $f) {
    if (!array_key_exists($f, $st)) echo "missing $f\n";
    elseif (!is_int($st[$f]) && !is_float($st[$f])) echo "$f not a number\n";
}
if (!is_bool($st['io_uring'] ?? null)) echo "io_uring not a bool\n";
var_dump($ws > 0 && $ws < 65536, $push > 0 && $push < 65536, $ws !== $push);
var_dump($st['connections'], $st['outbox_depth'], $st['push_lines']);
// both ports accept connections
[$a] = tcp_open($ws); fclose($a);
var_dump(push_line($push, '{"uid":"1"}'));
var_dump($s->stats()['push_lines'], $s->stats()['push_queued']);
try {
    $s->start();
    echo "second start did not throw\n";
} catch (WsPush\Exception $e) {
    echo "second start: WsPush\\Exception\n";
}
$s->stop(0);
$s->stop(0);
// after stop the ports are closed
var_dump(@stream_socket_client("tcp://127.0.0.1:$ws", $en, $es, 1) === false);
var_dump(@stream_socket_client("tcp://127.0.0.1:$push", $en, $es, 1) === false);
// a second server cannot bind a port that is in use
[$s2, $ws2] = wsp_test_server();
try {
    $s3 = new WsPush\Server(['ws_listen' => "127.0.0.1:$ws2", 'push_listen' => '127.0.0.1:0', 'store' => 'memory', 'log_file' => '', 'close_log_file' => '']);
    $s3->start();
    echo "bind conflict did not throw\n";
} catch (WsPush\Exception $e) {
    echo "bind conflict: WsPush\\Exception\n";
}
$s2->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
int(0)
int(0)
int(0)
string(6) "queued"
int(1)
int(1)
second start: WsPush\Exception
bool(true)
bool(true)
bind conflict: WsPush\Exception
done
