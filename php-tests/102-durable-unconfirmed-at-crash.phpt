--TEST--
Issue 3: unconfirmed-at-crash - messages written to a live connection that never confirmed them are delivered again, in order, after SIGKILL and restart
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
<?php if (!function_exists('pcntl_sigprocmask')) die('skip pcntl needed by serve_child.php'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
$data = "$tmp/data";
$key = addin_key('77');
$m = fn($i) => json_encode(['uid' => $key, 'n' => $i, 'body' => str_repeat(chr(97 + $i % 26), 100)]);
$N = 50;

$c = wsp_child_start(wsp_file_opts($data, $tmp));
// a client that reads but never answers Pings: nothing gets confirmed
$a = ws_connect($c->ws, $key, ['auto_pong' => false]);
var_dump($a->recv_text() === $key);
// and a confirming client on another key, whose messages must NOT come back
$b = ws_connect($c->ws, '9');
var_dump($b->recv_text());
$r = push_lines($c->push, array_map($m, range(1, $N)));
var_dump(array_count_values(array_map('strval', $r)));
var_dump(push_line($c->push, '{"uid":"9","m":"confirmed"}'));
// the messages did reach the client
$got = $a->recv_n($N, 10.0);
var_dump($got === array_map($m, range(1, $N)));
// the server asked for a confirmation (Ping) and got none
var_dump(wait_until(function () use ($a) { $a->pump(0.01); return count($a->pings) > 0; }, 5.0));
var_dump($b->recv_text());
// wait until b's Pong confirmed its message (the server's ping for it was answered)
var_dump(wait_until(function () use ($b) { $b->pump(0.01); return count($b->pings) > 0; }, 5.0));
// the server logs the confirmation once it has handled b's Pong
var_dump(wait_until(fn() => (bool)preg_match('/ confirm conn=\d+ key=9 seq=1 /',
    (string)@file_get_contents("$tmp/w.log"))));
// a push whose reply waits for its group commit
var_dump(push_line($c->push, '{"uid":"sync","m":1}'));
// crash
var_dump($c->kill9());
$a->close_tcp();
$b->close_tcp();

// restart: a new connection for the key receives all of them again, in order
[$s, $ws, $push] = wsp_file_server($data, $tmp);
// b's message was confirmed before the crash, but the file store applies a
// remove up to 250 ms later (docs/storage.md) and nothing waits for it, so a
// crash just after a confirmation may bring the message back: at least once,
// as docs/delivery.md §7 allows after kill -9 (this test used to pass only because a 0.3 s
// sleep before the crash outlasted that delay). Either it is still held and
// comes again once, or it is gone; a's 50 messages and "sync" are held anyway.
$held9 = $s->stats()['outbox_depth'] - $N - 1;
var_dump($held9 === 0 || $held9 === 1);
$d = ws_connect($ws, $key);
$again = $d->recv_n($N, 10.0, [$key]);
var_dump($again === array_map($m, range(1, $N)));
var_dump(pump_until([$d], fn() => $s->stats()["outbox_depth"] == 1 + $held9, 10.0));   // "sync" (and b's) left
// the confirmed message of key 9 comes again only if it was still held, once
$e = ws_connect($ws, '9');
var_dump(push_line($push, '{"uid":"9","m":"end"}'));
var_dump($e->recv_until('{"uid":"9","m":"end"}', 3.0, ['biubiubiu'])
    === array_slice(['{"uid":"9","m":"confirmed"}'], 0, $held9));
$s->stop();
echo "done\n";
?>
--EXPECT--
bool(true)
string(9) "biubiubiu"
array(1) {
  ["ok"]=>
  int(50)
}
string(2) "ok"
bool(true)
bool(true)
string(27) "{"uid":"9","m":"confirmed"}"
bool(true)
bool(true)
string(6) "queued"
bool(true)
bool(true)
bool(true)
bool(true)
string(2) "ok"
bool(true)
done
