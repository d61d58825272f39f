--TEST--
Defect 9 / docs/protocol.md §1: invalid UTF-8 in a text message (also across fragments, failed fast) or a close reason gets 1007; binary is not checked
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$F = fn($op, $p = '', $fin = true) => WsConn::frame($op, $p, $fin);
$cases = [
    'lone 0xff' => $F(WS_TEXT, "\xff"),
    'continuation byte first' => $F(WS_TEXT, "a\x80b"),
    'overlong /' => $F(WS_TEXT, "\xc0\xaf"),
    'overlong 3-byte' => $F(WS_TEXT, "\xe0\x80\xaf"),
    'surrogate' => $F(WS_TEXT, "\xed\xa0\x80"),
    'above U+10FFFF' => $F(WS_TEXT, "\xf4\x90\x80\x80"),
    'truncated at end' => $F(WS_TEXT, "ab\xce"),
    'valid then invalid fragment' => $F(WS_TEXT, "\xce\xba", false) . $F(WS_CONT, "\xff"),
    'split sequence broken' => $F(WS_TEXT, "\xce", false) . $F(WS_CONT, "a"),
    'truncated at message end' => $F(WS_TEXT, "a", false) . $F(WS_CONT, "\xe2\x82"),
    'close reason 0xff' => $F(WS_CLOSE, pack('n', 1000) . "\xff"),
    'close reason surrogate' => $F(WS_CLOSE, pack('n', 1000) . "ok\xed\xa0\x80"),
];
foreach ($cases as $name => $bytes) {
    $c = ws_open($ws);
    $c->send_raw($bytes);
    $code = $c->expect_close_code(3.0);
    echo str_pad($name, 30), ' ', $code, $c->expect_eof(3.0) ? ' closed' : ' STILL OPEN', "\n";
    $c->close_tcp();
}
// fail fast: the first fragment already proves the message invalid; no continuation is sent
foreach (['invalid first fragment' => "ab\xff", 'overlong in first fragment' => "\xc0\xaf"] as $name => $frag) {
    $c = ws_open($ws);
    $c->send_frame(WS_TEXT, $frag, false);
    echo str_pad($name, 30), ' ', $c->expect_close_code(3.0), "\n";
    $c->close_tcp();
}
// valid: a code point split across fragments; 4-byte characters; binary frames with any bytes
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
$c->send_frame(WS_TEXT, "\xce", false);
$c->send_frame(WS_CONT, "\xba\xe1\xbd", false);
$c->send_frame(WS_CONT, "\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80");
$c->binary("\xff\xfe\x00\xc0\xaf");
$c->text('5');
var_dump($c->recv_text());              // still open, frames processed
$ev = [];
while ($e = $s->poll(0.5)) { if ($e['type'] === 'message') $ev[] = $e['data']; if (count($ev) == 2) break; }
var_dump($ev === ["\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 \xf0\x9f\x98\x80", "\xff\xfe\x00\xc0\xaf"]);
// a valid close reason is fine
$c->close(1000, 'bye κόσμε');
var_dump($c->expect_close_code(), $c->expect_eof());
$s->stop(0);
echo "done\n";
?>
--EXPECT--
lone 0xff                      1007 closed
continuation byte first        1007 closed
overlong /                     1007 closed
overlong 3-byte                1007 closed
surrogate                      1007 closed
above U+10FFFF                 1007 closed
truncated at end               1007 closed
valid then invalid fragment    1007 closed
split sequence broken          1007 closed
truncated at message end       1007 closed
close reason 0xff              1007 closed
close reason surrogate         1007 closed
invalid first fragment         1007
overlong in first fragment     1007
string(9) "biubiubiu"
string(9) "biubiubiu"
bool(true)
int(1000)
bool(true)
done
