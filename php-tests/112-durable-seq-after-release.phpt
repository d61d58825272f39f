--TEST--
Issue 13 defect 1: a key released right after a confirmation keeps its sequence going up, so a push answered "queued" before kill -9 comes back after the restart (the confirmed one at most once more)
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
$first = '{"uid":"77123","m":"first"}';
$second = '{"uid":"77123","m":"second"}';

$c = wsp_child_start(wsp_file_opts($data, $tmp));
$a = ws_connect($c->ws, '77123');
var_dump($a->recv_text());
var_dump(push_line($c->push, $first));
var_dump($a->recv_text());
// the Pong confirms it: wait for the server's confirm line, not a sleep
var_dump(wait_until(function () use ($a) { $a->pump(0.01); return count($a->pings) > 0; }, 5.0));
var_dump(wait_until(fn() => (bool)preg_match('/ confirm conn=\d+ key=77123 seq=1 /',
    (string)@file_get_contents("$tmp/w.log"))));
// the client goes: the key has no connection and no message left, and is forgotten
$a->close(1000);
$a->expect_close_code();
var_dump(wait_until(fn() => (bool)preg_match('/ close conn=\d+ key=77123 /',
    (string)@file_get_contents("$tmp/c.log"))));
// the next push to it is held; its reply waits for its group commit
var_dump(push_line($c->push, $second));
// and the server dies before the store applied the (deferred) removal of "first"
var_dump($c->kill9());

[$s, $ws, $push] = wsp_file_server($data, $tmp);
$d = ws_connect($ws, '77123');
var_dump(push_line($push, '{"uid":"77123","m":"end"}'));
$got = $d->recv_until('{"uid":"77123","m":"end"}', 5.0, ['biubiubiu']);
// "second" was answered, so it must come; "first" was confirmed, and may come
// once more before it only if its removal had not reached the disk
var_dump($got === [$second] || $got === [$first, $second]);
if ($got !== [$second] && $got !== [$first, $second]) var_dump($got);
$s->stop();
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(2) "ok"
string(27) "{"uid":"77123","m":"first"}"
bool(true)
bool(true)
bool(true)
string(6) "queued"
bool(true)
string(2) "ok"
bool(true)
done
