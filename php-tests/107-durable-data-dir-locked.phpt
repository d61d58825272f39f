--TEST--
Issue 3: a data_dir in use by another running server gives "in use" at start (with its pid); the running server is not disturbed; a lock left by a killed server does not block
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
// 1. two servers in this process
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump(push_line($push, '{"uid":"5","m":1}'));
try {
    wsp_file_server($data, $tmp);
    echo "second server started\n";
} catch (WsPush\Exception $e) {
    echo str_replace([$tmp, (string)getmypid()], ['TMP', 'MYPID'], $e->getMessage()), "\n";
}
// the first one still works and still holds its message
var_dump(push_line($push, '{"uid":"5","m":2}'));
$c = ws_connect($ws, '5');
var_dump($c->recv_n(2, 3.0, ['biubiubiu']));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
$c->close_tcp();
var_dump(push_line($push, '{"uid":"6","m":"held"}'));
$s->stop();
// after a stop the data_dir is free again
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump($s->stats()['outbox_depth']);
$s->stop();

// 2. a server in another process holds it
$ch = wsp_child_start(wsp_file_opts($data, $tmp));
try {
    wsp_file_server($data, $tmp);
    echo "second server started\n";
} catch (WsPush\Exception $e) {
    echo str_replace([$tmp, (string)$ch->pid], ['TMP', 'CHILDPID'], $e->getMessage()), "\n";
}
var_dump(push_line($ch->push, '{"uid":"6","m":"held2"}'));
// 3. killed with SIGKILL: its lock file stays, with a dead pid, and must not block
var_dump($ch->kill9());
var_dump(trim((string)@file_get_contents("$data/wspush.lock")) === (string)$ch->pid);
[$s, $ws, $push] = wsp_file_server($data, $tmp);
var_dump($s->stats()['outbox_depth']);
$d = ws_connect($ws, '6');
var_dump($d->recv_n(2, 3.0, ['biubiubiu']));
$s->stop();
echo "done\n";
?>
--EXPECTF--
string(6) "queued"
%sdata_dir TMP/data is in use by another WsPush server (pid MYPID)
string(6) "queued"
array(2) {
  [0]=>
  string(17) "{"uid":"5","m":1}"
  [1]=>
  string(17) "{"uid":"5","m":2}"
}
bool(true)
string(6) "queued"
int(1)
%sdata_dir TMP/data is in use by another WsPush server (pid CHILDPID)
string(6) "queued"
bool(true)
bool(true)
int(2)
array(2) {
  [0]=>
  string(22) "{"uid":"6","m":"held"}"
  [1]=>
  string(23) "{"uid":"6","m":"held2"}"
}
done
