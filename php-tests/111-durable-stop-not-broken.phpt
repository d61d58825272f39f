--TEST--
Issue 19: a graceful stop (stop() and SIGTERM) with clients holding unconfirmed messages is not a broken delivery: with retry_max 1 nothing is dropped, every message is delivered after the restart
--EXTENSIONS--
wspush
pcntl
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
$opts = ['retry_max' => 1];
$m = fn($k, $i) => '{"uid":"' . $k . '","i":' . $i . '}';
// 1. stop(): two clients that never answer Pings hold a message each
[$s, $ws, $push] = wsp_file_server($data, $tmp, $opts);
$a = ws_connect($ws, '5', ['auto_pong' => false]);
$b = ws_connect($ws, '7', ['auto_pong' => false]);
var_dump(push_line($push, $m(5, 1)), push_line($push, $m(7, 1)));
var_dump($a->recv_n(1, 5.0, ['biubiubiu']) === [$m(5, 1)], $b->recv_n(1, 5.0, ['biubiubiu']) === [$m(7, 1)]);
$s->stop(0.3);
var_dump($a->expect_close_code(5.0), $b->expect_close_code(5.0));
// 2. restart: both are there, no try spent; a client that also never confirms
[$s, $ws, $push] = wsp_file_server($data, $tmp, $opts);
$st = $s->stats();
var_dump($st['outbox_depth'], $st['dropped_retry']);
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_n(1, 5.0, ['biubiubiu']) === [$m(5, 1)]);
var_dump(push_line($push, $m(5, 2)));
var_dump($a->recv_n(1, 5.0, ['biubiubiu']) === [$m(5, 2)]);
$s->stop(0.3);
// 3. SIGTERM to a child server holding unconfirmed 5/1, 5/2 (as the CLI is stopped)
$c = wsp_child_start(wsp_file_opts($data, $tmp, $opts));
$a = ws_connect($c->ws, '5', ['auto_pong' => false]);
var_dump($a->recv_n(2, 5.0, ['biubiubiu']) === [$m(5, 1), $m(5, 2)]);
var_dump($c->term(), $c->exitCode);
// 4. restart: still all three, delivered once more and confirmed now
[$s, $ws, $push] = wsp_file_server($data, $tmp, $opts);
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_retry']);
$got = wsp_drain_keys($s, $ws, ['5', '7']);
var_dump($got === ['5' => [$m(5, 1), $m(5, 2)], '7' => [$m(7, 1)]]);
var_dump($s->stats()['dropped_retry']);
$s->stop();
echo "done\n";
?>
--EXPECT--
string(2) "ok"
string(2) "ok"
bool(true)
bool(true)
int(1001)
int(1001)
int(2)
int(0)
bool(true)
string(2) "ok"
bool(true)
bool(true)
bool(true)
int(0)
int(3)
int(0)
bool(true)
int(0)
done
