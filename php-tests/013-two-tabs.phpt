--TEST--
Defect 2: two tabs of one key both receive every push; a new tab first gets the unconfirmed backlog, in order
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$m = fn($i) => '{"uid":"5","m":' . $i . '}';
$hb = ['biubiubiu'];
// heartbeat replies to the bind frames may come before or after a replay: skip them
$next = fn(WsConn $t) => $t->recv_n(1, 3.0, ['biubiubiu'])[0];
// tab A never answers pings, so what it gets stays unconfirmed
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($a->recv_text());
var_dump(push_lines($push, [$m(1), $m(2)]));
var_dump($a->recv_n(2) === [$m(1), $m(2)]);
// tab B (no pongs either) binds: it gets 1, 2 replayed; A keeps working
$b = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($b->recv_n(2, 5.0, $hb) === [$m(1), $m(2)]);
var_dump(push_line($push, $m(3)));
var_dump($next($a) === $m(3), $next($b) === $m(3));
var_dump($s->stats()['outbox_depth']);
// tab C answers pings like a browser: gets 1, 2, 3 then confirms them
$c = ws_connect($ws, '5');
var_dump($c->recv_n(3, 5.0, $hb) === [$m(1), $m(2), $m(3)]);
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
// all three tabs get the next push; a tab opened now gets no backlog
var_dump(push_line($push, $m(4)));
var_dump($next($a) === $m(4), $next($b) === $m(4), $next($c) === $m(4));
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
$d = ws_connect($ws, '5');
var_dump(wait_until(fn() => $s->stats()['bound'] == 4));
var_dump(push_line($push, $m(5)));
var_dump($d->recv_until($m(5), 3.0, $hb));
foreach ([$a, $b, $c] as $t) var_dump($next($t) === $m(5));
// the first tab closing (TCP close, no Close frame) does not stop the others
$a->close_tcp();
var_dump(wait_until(fn() => $s->stats()['bound'] == 3));
var_dump(push_line($push, $m(6)));
foreach ([$b, $c, $d] as $t) var_dump($next($t) === $m(6));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
array(2) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(2) "ok"
}
bool(true)
bool(true)
string(2) "ok"
bool(true)
bool(true)
int(3)
bool(true)
bool(true)
string(2) "ok"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
string(2) "ok"
array(0) {
}
bool(true)
bool(true)
bool(true)
bool(true)
string(2) "ok"
bool(true)
bool(true)
bool(true)
done
