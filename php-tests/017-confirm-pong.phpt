--TEST--
docs/delivery.md §2: Ping carries the highest sequence written; the matching Pong confirms; unsolicited or wrong Pongs confirm nothing
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
// a browser-like client: messages confirmed, outbox empties
$b = ws_connect($ws, '5');
var_dump($b->recv_text());
var_dump(push_lines($push, ['{"uid":"5","n":1}', '{"uid":"5","n":2}', '{"uid":"5","n":3}']) === ['ok', 'ok', 'ok']);
var_dump($b->recv_n(3) === ['{"uid":"5","n":1}', '{"uid":"5","n":2}', '{"uid":"5","n":3}']);
var_dump(pump_until([$b], fn() => $s->stats()['outbox_depth'] == 0));
var_dump($s->stats()['confirmed']);
var_dump(count($b->pings) >= 1, max(array_map('strlen', $b->pings)) <= 125);
// a client that does not answer: messages stay
$c = ws_connect($ws, '6', ['auto_pong' => false]);
var_dump($c->recv_text());
var_dump(push_lines($push, ['{"uid":"6","n":1}', '{"uid":"6","n":2}']) === ['ok', 'ok']);
var_dump($c->recv_n(2) === ['{"uid":"6","n":1}', '{"uid":"6","n":2}']);
var_dump(pump_until([$c], fn() => count($c->pings) >= 1));
$ping = end($c->pings);
var_dump(strlen($ping) >= 1 && strlen($ping) <= 125);
// round trips (heartbeat -> biubiubiu) prove the server processed each frame
$c->text('6'); var_dump($c->recv_text());
var_dump($s->stats()['outbox_depth']);
$c->pong('');                                   // unsolicited empty pong (.NET keep-alive)
$c->pong('x' . $ping);                          // a payload no ping carried
$c->pong('999999');                             // a sequence never written
$c->text('6'); var_dump($c->recv_text());
var_dump($s->stats()['outbox_depth'], $s->stats()['confirmed']);
// a pong from another connection (another key) carrying this ping's payload confirms nothing here
$o = ws_connect($ws, '7');
var_dump($o->recv_text());
$o->pong($ping);
$o->text('7'); var_dump($o->recv_text());
var_dump($s->stats()['outbox_depth']);
// the matching pongs confirm both (answer every ping received, as a browser would)
foreach ($c->pings as $p) $c->pong($p);
$c->autoPong = true;
var_dump(pump_until([$c], fn() => $s->stats()['outbox_depth'] == 0));
var_dump($s->stats()['confirmed']);
// nothing is replayed to a new connection of key 6
$c2 = ws_connect($ws, '6');
var_dump(push_line($push, '{"uid":"6","n":3}'));
var_dump($c2->recv_until('{"uid":"6","n":3}', 3.0, ['biubiubiu']));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
int(3)
bool(true)
bool(true)
string(9) "biubiubiu"
bool(true)
bool(true)
bool(true)
bool(true)
string(9) "biubiubiu"
int(2)
string(9) "biubiubiu"
int(2)
int(3)
string(9) "biubiubiu"
string(9) "biubiubiu"
int(2)
bool(true)
int(5)
string(2) "ok"
array(0) {
}
done
