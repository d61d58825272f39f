--TEST--
WsPush\Server: push() ok/queued and WsPush\Exception on a bad key, isOnline(), poll() events bind / message / close
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
var_dump($s->poll(0.0));
var_dump($s->isOnline('5'));
var_dump($s->push('5', '{"uid":"5","m":1}'));
$c = ws_connect($ws, '5');
$e = $s->poll(2.0);
var_dump($e['type'], $e['key'], $e['web'], is_int($e['conn']));
$conn = $e['conn'];
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
var_dump($s->isOnline('5'), $s->isOnline(' 5 '), $s->isOnline('6'));
var_dump($s->push('5', 'plain text payload'));
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
// the FunctionType transform applies to a JSON payload as on the push port
var_dump($s->push('5', '{"uid":"5","FunctionType":2,"ratio":50,"msg":"x"}'));
var_dump($c->recv_n(1, 3.0, ['biubiubiu']));
foreach (['', '   '] as $bad) {
    try { $s->push($bad, 'x'); echo "no exception\n"; }
    catch (WsPush\Exception $ex) { echo "bad key ", json_encode($bad), ": WsPush\\Exception\n"; }
}
// heartbeats are not events; other frames are
$c->text('5');
$c->text('hello');
var_dump($c->recv_text());
$e = $s->poll(2.0);
var_dump($e['type'], $e['data'], $e['key'], $e['conn'] === $conn);
var_dump($s->poll(0.0));
// an add-in binds: web false; its echo heartbeats are not events
$k = '{"uid":"12","FunctionType":4}';
$d = ws_connect($ws, $k);
$d->text($k);
$d->text('{"uid":"12","FunctionType":0,"x":1}');
var_dump($d->recv_n(2) === [$k, $k]);
$e = $s->poll(2.0);
var_dump($e['type'], $e['web'], $e['conn'] !== $conn);
$e2 = $s->poll(2.0);
var_dump($e2['type'], $e2['data']);
var_dump($s->isOnline($k), $s->isOnline('{"FunctionType":4,"uid":"12"}'), $s->isOnline('12'));
// close
$c->close(1000);
$c->expect_close_code();
$e = $s->poll(2.0);
var_dump($e['type'], $e['key'], $e['conn'] === $conn);
var_dump(wait_until(fn() => !$s->isOnline('5')));
$s->stop(0);
try { $s->push('5', 'x'); echo "no exception after stop\n"; }
catch (WsPush\Exception $ex) { echo "after stop: WsPush\\Exception\n"; }
echo "done\n";
?>
--EXPECT--
NULL
bool(false)
string(6) "queued"
string(4) "bind"
string(1) "5"
bool(true)
bool(true)
array(1) {
  [0]=>
  string(17) "{"uid":"5","m":1}"
}
bool(true)
bool(true)
bool(false)
string(2) "ok"
array(1) {
  [0]=>
  string(18) "plain text payload"
}
string(2) "ok"
array(1) {
  [0]=>
  string(92) "{"uid":"5","FunctionType":2,"ErrMsg":"同步底稿变量失败x","IsSuccess":0,"Data":false}"
}
bad key "": WsPush\Exception
bad key "   ": WsPush\Exception
string(9) "biubiubiu"
string(7) "message"
string(5) "hello"
string(1) "5"
bool(true)
NULL
bool(true)
string(4) "bind"
bool(false)
bool(true)
string(7) "message"
string(35) "{"uid":"12","FunctionType":0,"x":1}"
bool(true)
bool(true)
bool(false)
string(5) "close"
string(1) "5"
bool(true)
bool(true)
after stop: WsPush\Exception
done
