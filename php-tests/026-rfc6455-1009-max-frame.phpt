--TEST--
Defect 9 / docs/protocol.md §1: a frame or a message over max_frame gets 1009 (decided from the header, without waiting for the payload)
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['max_frame' => '1024']);
$F = fn($op, $p = '', $fin = true, $o = []) => WsConn::frame($op, $p, $fin, $o);
$cases = [
    'text 1025' => $F(WS_TEXT, str_repeat('a', 1025)),
    'binary 5000' => $F(WS_BIN, str_repeat('a', 5000)),
    'fragments 600+600' => $F(WS_TEXT, str_repeat('a', 600), false) . $F(WS_CONT, str_repeat('b', 600)),
    'fragments 3x400' => $F(WS_TEXT, str_repeat('a', 400), false) . $F(WS_CONT, str_repeat('b', 400), false) . $F(WS_CONT, str_repeat('c', 400)),
    'header only 2^40' => substr($F(WS_BIN, '', true, ['len' => 1 << 40]), 0, 14),
    'header only 16-bit 65535' => substr($F(WS_TEXT, '', true, ['len' => 65535]), 0, 8),
];
foreach ($cases as $name => $bytes) {
    $c = ws_open($ws);
    $c->send_raw($bytes);
    $code = $c->expect_close_code(3.0);
    echo str_pad($name, 26), ' ', $code, $c->expect_eof(3.0) ? ' closed' : ' STILL OPEN', "\n";
    $c->close_tcp();
}
// exactly max_frame is fine, whole or in fragments
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
$c->text(str_repeat('x', 1024));
$c->send_frame(WS_TEXT, str_repeat('y', 512), false);
$c->send_frame(WS_CONT, str_repeat('z', 512));
$c->text('5');
var_dump($c->recv_text());
$s->stop(0);
echo "done\n";
?>
--EXPECT--
text 1025                  1009 closed
binary 5000                1009 closed
fragments 600+600          1009 closed
fragments 3x400            1009 closed
header only 2^40           1009 closed
header only 16-bit 65535   1009 closed
string(9) "biubiubiu"
string(9) "biubiubiu"
done
