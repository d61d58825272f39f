--TEST--
docs/delivery.md §4: unconfirmed messages survive a clean close, a plain TCP close and an idle timeout, and are replayed in order on the next bind
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['heartbeat_timeout' => '0.5']);
$m = fn($i) => '{"uid":"5","n":' . $i . '}';
$hb = ['biubiubiu'];
// 1. clean close handshake without answering pings
$a = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump(push_lines($push, [$m(1), $m(2)]));
var_dump($a->recv_n(2, 3.0, $hb) === [$m(1), $m(2)]);
$a->close(1000);
var_dump($a->expect_close_code(), $a->expect_eof());
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth']);
// 2. plain TCP close (FIN, no Close frame)
$b = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($b->recv_n(2, 3.0, $hb) === [$m(1), $m(2)]);
var_dump(push_line($push, $m(3)));
var_dump($b->recv_n(1, 3.0, $hb) === [$m(3)]);
$b->close_tcp();
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
// 3. idle timeout (the client stays silent)
$c = ws_connect($ws, '5', ['auto_pong' => false]);
var_dump($c->recv_n(3, 3.0, $hb) === [$m(1), $m(2), $m(3)]);
var_dump($c->expect_eof(3.0));
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['outbox_depth']);
// 4. finally a browser-like client gets all three once and confirms them
$d = ws_connect($ws, '5');
var_dump($d->recv_n(3, 3.0, $hb) === [$m(1), $m(2), $m(3)]);
var_dump(pump_until([$d], fn() => $s->stats()['outbox_depth'] == 0));
$d->close(1000);
$d->expect_close_code();
$e = ws_connect($ws, '5');
var_dump(push_line($push, $m(4)));
var_dump($e->recv_until($m(4), 3.0, $hb));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
array(2) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(2) "ok"
}
bool(true)
int(1000)
bool(true)
bool(true)
int(2)
bool(true)
string(2) "ok"
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(3)
bool(true)
bool(true)
string(2) "ok"
array(0) {
}
done
