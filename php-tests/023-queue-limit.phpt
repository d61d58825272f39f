--TEST--
docs/delivery.md §6: queue_limit - the oldest messages of a key are dropped and counted; the rest arrive in order
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['queue_limit' => '3']);
$m = fn($i) => '{"uid":"5","n":' . $i . '}';
var_dump(push_lines($push, array_map($m, range(1, 5))) === array_fill(0, 5, 'queued'));
var_dump(push_line($push, '{"uid":"6","n":1}'));       // other keys are not affected
var_dump($s->stats()['outbox_depth'], $s->stats()['dropped_queue_limit']);
$c = ws_connect($ws, '5');
var_dump($c->recv_n(3, 3.0, ['biubiubiu']) === [$m(3), $m(4), $m(5)]);
var_dump(push_line($push, $m(6)));
var_dump($c->recv_until($m(6), 3.0, ['biubiubiu']));
$d = ws_connect($ws, '6');
var_dump($d->recv_n(1, 3.0, ['biubiubiu']));
$s->stop(0);
var_dump((bool)preg_match('/drop.*(queue|limit)/i', (string)@file_get_contents("$dir/w.log")));
echo "done\n";
?>
--EXPECT--
bool(true)
string(6) "queued"
int(4)
int(2)
bool(true)
string(2) "ok"
array(0) {
}
array(1) {
  [0]=>
  string(17) "{"uid":"6","n":1}"
}
bool(true)
done
