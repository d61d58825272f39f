--TEST--
Defect 9 / docs/protocol.md §1: a Ping between fragments is answered at once and the message still completes; close handshake echoes a valid code
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
// the bind frame itself is fragmented with a ping in the middle
$c = ws_open($ws);
$c->send_frame(WS_TEXT, '1', false);
$c->ping('mid-1');
$f = $c->read_frame(2.0);                 // the pong comes before the message is finished
var_dump($f[0] === WS_PONG, $f[1]);
$c->send_frame(WS_CONT, '2', false);
$c->pong('unsolicited');                  // a pong between fragments is ignored
$c->ping('');
$f = $c->read_frame(2.0);
var_dump($f[0] === WS_PONG, $f[1]);
$c->send_frame(WS_CONT, '');
var_dump($c->recv_text());                // "12" completed: heartbeat reply
var_dump($s->isOnline('12'));
// a fragmented non-heartbeat message arrives whole as an event
$c->send_frame(WS_TEXT, 'hel', false);
$c->ping(str_repeat('p', 125));
$f = $c->read_frame(2.0);
var_dump($f[0] === WS_PONG, strlen($f[1]));
$c->send_frame(WS_CONT, 'lo');
$msg = null;
while ($e = $s->poll(2.0)) { if ($e['type'] === 'message') { $msg = $e; break; } }
var_dump($msg['data'], $msg['key'], $msg['web']);
// close handshake: valid codes are echoed, then TCP closes
foreach ([1000, 1001, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] as $code) {
    $d = ws_open($ws);
    $d->close($code, 'reason');
    $got = $d->expect_close_code();
    echo $code, ' -> ', $got, $d->expect_eof() ? ' closed' : ' STILL OPEN', "\n";
}
// an empty close is answered with a close (no code or 1000)
$d = ws_open($ws);
$d->close(null);
var_dump(in_array($d->expect_close_code(), [1000, 1005], true), $d->expect_eof());
// the server's own close of a bound connection also completes
$c->close(1000);
var_dump($c->expect_close_code(), $c->expect_eof());
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
string(5) "mid-1"
bool(true)
string(0) ""
string(9) "biubiubiu"
bool(true)
bool(true)
int(125)
string(5) "hello"
string(2) "12"
bool(true)
1000 -> 1000 closed
1001 -> 1001 closed
1003 -> 1003 closed
1007 -> 1007 closed
1008 -> 1008 closed
1009 -> 1009 closed
1010 -> 1010 closed
1011 -> 1011 closed
3000 -> 3000 closed
3999 -> 3999 closed
4000 -> 4000 closed
4999 -> 4999 closed
bool(true)
bool(true)
int(1000)
bool(true)
done
