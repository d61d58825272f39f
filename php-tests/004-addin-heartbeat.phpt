--TEST--
docs/protocol.md §3: add-in JSON heartbeat (uid + non-zero FunctionType) echoed verbatim, first frame included; FunctionType 0 gets no reply
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$key = '{"uid":"12","FunctionType":4,"Data":"","ErrMsg":null,"IsSuccess":"1"}';
$c = ws_connect($ws, $key);
var_dump($c->recv_text() === $key);           // first frame echoed
$c->text($key);
var_dump($c->recv_text() === $key);
// any JSON object frame with uid and a non-zero FunctionType is echoed byte for byte
$odd = '{"uid": "12",  "FunctionType": 1, "x":"\u00e9\/"}';
$c->text($odd);
var_dump($c->recv_text() === $odd);
$c->text('{"uid":"99","FunctionType":"3"}');
var_dump($c->recv_text());
// no reply: FunctionType 0, missing, "0", null; uid missing or null; digits; text
foreach (['{"uid":"12","FunctionType":0}', '{"uid":"12"}', '{"uid":"12","FunctionType":"0"}',
          '{"uid":"12","FunctionType":null}', '{"FunctionType":4}', '{"uid":null,"FunctionType":4}',
          '12', 'hello', '{"uid":"12","FunctionType":0.5}',
          // PHP's (int) of these is 0 too (one cast for the whole core: hex is no number)
          '{"uid":"12","FunctionType":"0x1A"}', '{"uid":"12","FunctionType":18446744073709551616.0}'] as $f) {
    $c->text($f);
    $c->text($key);
    echo json_encode($f), ' -> ', $c->recv_text() === $key ? 'next is heartbeat echo' : 'WRONG', "\n";
}
// a client bound with FunctionType 0 gets no reply at all, even to its first frame
$k0 = '{"uid":"13","FunctionType":0}';
$d = ws_connect($ws, $k0);
var_dump(wait_until(fn() => $s->stats()['bound'] == 2));
$line = json_encode(['uid' => $k0, 'm' => 'sentinel']);
var_dump(push_line($push, $line));
var_dump($d->recv_text() === $line);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
string(31) "{"uid":"99","FunctionType":"3"}"
"{\"uid\":\"12\",\"FunctionType\":0}" -> next is heartbeat echo
"{\"uid\":\"12\"}" -> next is heartbeat echo
"{\"uid\":\"12\",\"FunctionType\":\"0\"}" -> next is heartbeat echo
"{\"uid\":\"12\",\"FunctionType\":null}" -> next is heartbeat echo
"{\"FunctionType\":4}" -> next is heartbeat echo
"{\"uid\":null,\"FunctionType\":4}" -> next is heartbeat echo
"12" -> next is heartbeat echo
"hello" -> next is heartbeat echo
"{\"uid\":\"12\",\"FunctionType\":0.5}" -> next is heartbeat echo
"{\"uid\":\"12\",\"FunctionType\":\"0x1A\"}" -> next is heartbeat echo
"{\"uid\":\"12\",\"FunctionType\":18446744073709551616.0}" -> next is heartbeat echo
bool(true)
string(2) "ok"
bool(true)
done
