--TEST--
WsPush\Client: send() returns ok / queued, throws WsPush\Exception on fail and on I/O errors; sendMany pipelines
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$cl = new WsPush\Client("tcp://127.0.0.1:$push", 1.0);
var_dump($cl->send('5', ['m' => 'é/1']));                 // no connection yet
$c = ws_connect($ws, '5');
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));               // replayed: uid first, unicode unescaped
var_dump($cl->send('5', ['m' => 2]));
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
var_dump($cl->send('5', '{"m":3}'));                       // string without uid: inserted
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
var_dump($cl->send('5', '{"uid":"5","m":4}'));
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
// "fail" from the server throws
try { $cl->send('', ['m' => 1]); echo "no exception\n"; }
catch (WsPush\Exception $e) { echo "fail: WsPush\\Exception\n"; }
catch (ValueError $e) { echo "fail: ValueError\n"; }
// the client still works after a failure
var_dump($cl->send('6', ['m' => 5]));
var_dump($cl->sendMany([['5', ['m' => 6]], ['6', ['m' => 7]], ['5', ['m' => 8]]]));
var_dump($c->recv_n(2, 3.0, ['biubiubiu']));
// I/O error: nothing listens there
$port = $push;
$s->stop(0);
$dead = new WsPush\Client("tcp://127.0.0.1:$port", 0.5);
try { $dead->send('5', ['m' => 1]); echo "no exception\n"; }
catch (WsPush\Exception $e) { echo "io: WsPush\\Exception ", strpos($e->getMessage(), "$port") !== false ? 'names the address' : 'does not name the address: ' . $e->getMessage(), "\n"; }
echo "done\n";
?>
--EXPECT--
string(6) "queued"
array(1) {
  [0]=>
  string(23) "{"uid":"5","m":"é\/1"}"
}
string(2) "ok"
array(1) {
  [0]=>
  string(17) "{"uid":"5","m":2}"
}
string(2) "ok"
array(1) {
  [0]=>
  string(17) "{"uid":"5","m":3}"
}
string(2) "ok"
array(1) {
  [0]=>
  string(17) "{"uid":"5","m":4}"
}
fail: WsPush\Exception
string(6) "queued"
array(3) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(6) "queued"
  [2]=>
  string(2) "ok"
}
array(2) {
  [0]=>
  string(17) "{"uid":"5","m":6}"
  [1]=>
  string(17) "{"uid":"5","m":8}"
}
io: WsPush\Exception names the address
done
