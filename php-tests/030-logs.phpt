--TEST--
README "Logs": one info line per push with key, sequence and result; one confirm line with the key and the sequence range; close in the close log
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--INI--
pcre.jit=0
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['log_level' => 'info']);
var_dump(push_line($push, '{"uid":"5","m":"queued-one"}'));
$c = ws_connect($ws, '5');
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
var_dump(push_lines($push, ['{"uid":"5","m":"two"}', '{"uid":"5","m":"three"}']));
var_dump($c->recv_n(2, 3.0, ['biubiubiu']));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
var_dump(push_line($push, 'not json'));
$c->close(1000);
$c->expect_close_code();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
$s->stop(1.0);
$log = file_get_contents("$dir/w.log");
$lines = explode("\n", trim($log));
// every line starts with a millisecond timestamp
$bad = array_filter($lines, fn($l) => !preg_match('/^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{3}/', $l));
var_dump(count($bad));
// push lines: one per push, with key, sequence and result
$pushLines = array_values(array_filter($lines, fn($l) => preg_match('/\bpush\b/', $l) && preg_match('/\bresult=(ok|queued|fail)\b/', $l)));
foreach ($pushLines as $l) {
    preg_match('/\bkey=(\S+)/', $l, $k);
    preg_match('/\bseq=(\S+)/', $l, $q);
    preg_match('/\bresult=(\S+)/', $l, $r);
    echo 'push key=', $k[1] ?? '?', ' seq=', $q[1] ?? '?', ' result=', $r[1] ?? '?', "\n";
}
// the confirm line(s) cover sequences 1..3 of key 5
$conf = array_values(array_filter($lines, fn($l) => preg_match('/\bconfirm\b/', $l)));
$covered = [];
foreach ($conf as $l) {
    if (!preg_match('/\bkey=5\b/', $l) || !preg_match('/\bseq=(\d+)(?:-(\d+))?/', $l, $m)) { echo "odd confirm line: $l\n"; continue; }
    foreach (range((int)$m[1], (int)($m[2] ?? $m[1])) as $q) $covered[$q] = true;
}
ksort($covered);
echo 'confirmed seqs: ', implode(',', array_keys($covered)), "\n";
// the close went to the close log
var_dump((bool)preg_match('/close/i', (string)@file_get_contents("$dir/c.log")));
echo "done\n";
?>
--EXPECT--
string(6) "queued"
array(1) {
  [0]=>
  string(28) "{"uid":"5","m":"queued-one"}"
}
array(2) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(2) "ok"
}
array(2) {
  [0]=>
  string(21) "{"uid":"5","m":"two"}"
  [1]=>
  string(23) "{"uid":"5","m":"three"}"
}
bool(true)
string(4) "fail"
bool(true)
int(0)
push key=5 seq=1 result=queued
push key=5 seq=2 result=ok
push key=5 seq=3 result=ok
push key=- seq=- result=fail
confirmed seqs: 1,2,3
bool(true)
done
