--TEST--
docs/protocol.md §3: web key heartbeat gets biubiubiu (first frame included); other frames get no reply
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '5');
var_dump($c->recv_text(), $c->lastOpcode === WS_TEXT);   // first frame answered
$c->text('5');
var_dump($c->recv_text());
$c->text(" 5 \n");                                        // trimmed like the seed
var_dump($c->recv_text());
// frames that must get no reply; each is followed by a heartbeat and the next
// message must be that heartbeat's reply, so a reply to them would show up.
foreach (['6', '05', '55', 'hello', '{"uid":"5","FunctionType":0}', '[5]', '5.0', '-5', ' '] as $f) {
    $c->text($f);
    $c->text('5');
    $got = $c->recv_text();
    echo json_encode($f), ' -> ', json_encode($got), "\n";
}
// exactly one reply per heartbeat: 3 heartbeats, 3 replies, then a push as sentinel
$c->text('5'); $c->text('5'); $c->text('5');
var_dump(push_line($push, '{"uid":"5","m":"sentinel"}'));
var_dump(count($c->recv_until('{"uid":"5","m":"sentinel"}')));
// a non-digit web key binds but its frames are never heartbeats
$d = ws_connect($ws, 'abc');
var_dump(wait_until(fn() => $s->isOnline('abc')));
$d->text('abc');
var_dump(push_line($push, '{"uid":"abc","m":"s"}'));
var_dump($d->recv_text());
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
string(9) "biubiubiu"
string(9) "biubiubiu"
"6" -> "biubiubiu"
"05" -> "biubiubiu"
"55" -> "biubiubiu"
"hello" -> "biubiubiu"
"{\"uid\":\"5\",\"FunctionType\":0}" -> "biubiubiu"
"[5]" -> "biubiubiu"
"5.0" -> "biubiubiu"
"-5" -> "biubiubiu"
" " -> "biubiubiu"
string(2) "ok"
int(3)
bool(true)
string(2) "ok"
string(21) "{"uid":"abc","m":"s"}"
done
