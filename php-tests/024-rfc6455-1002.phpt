--TEST--
Defect 9 / docs/protocol.md §1: protocol errors get a Close 1002 before the TCP close
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$F = fn($op, $p = '', $fin = true, $o = []) => WsConn::frame($op, $p, $fin, $o);
$cases = [
    'rsv1 text' => $F(WS_TEXT, '5', true, ['rsv' => 4]),
    'rsv2 text' => $F(WS_TEXT, '5', true, ['rsv' => 2]),
    'rsv3 text' => $F(WS_TEXT, '5', true, ['rsv' => 1]),
    'rsv1 ping' => $F(WS_PING, 'p', true, ['rsv' => 4]),
    'opcode 3' => $F(3),
    'opcode 4' => $F(4, 'x'),
    'opcode 5' => $F(5),
    'opcode 6' => $F(6),
    'opcode 7' => $F(7),
    'opcode 0xB' => $F(0xB),
    'opcode 0xC' => $F(0xC, 'x'),
    'opcode 0xD' => $F(0xD),
    'opcode 0xE' => $F(0xE),
    'opcode 0xF' => $F(0xF),
    'unmasked text' => $F(WS_TEXT, '5', true, ['mask' => false]),
    'unmasked ping' => $F(WS_PING, '', true, ['mask' => false]),
    'ping 126 bytes' => $F(WS_PING, str_repeat('p', 126)),
    'pong 126 bytes' => $F(WS_PONG, str_repeat('p', 126)),
    'close 126 bytes' => $F(WS_CLOSE, pack('n', 1000) . str_repeat('r', 124)),
    'fragmented ping' => $F(WS_PING, 'a', false) . $F(WS_CONT, 'b'),
    'fragmented close' => $F(WS_CLOSE, pack('n', 1000), false),
    'continuation alone' => $F(WS_CONT, '5'),
    'continuation fin=0 alone' => $F(WS_CONT, '5', false),
    'continuation after complete' => $F(WS_TEXT, 'a') . $F(WS_CONT, 'b'),
    'text inside fragmented' => $F(WS_TEXT, 'a', false) . $F(WS_TEXT, 'b'),
    'binary inside fragmented' => $F(WS_TEXT, 'a', false) . $F(WS_BIN, 'b'),
    'close 1-byte payload' => $F(WS_CLOSE, "\x03"),
];
foreach ([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as $code) {
    $cases["close code $code"] = $F(WS_CLOSE, pack('n', $code));
}
foreach ($cases as $name => $bytes) {
    $c = ws_open($ws);
    $c->send_raw($bytes);
    $code = $c->expect_close_code(3.0);
    $eof = $c->expect_eof(3.0);
    echo str_pad($name, 28), ' ', $code, $eof ? ' closed' : ' STILL OPEN', "\n";
    $c->close_tcp();
}
var_dump(wait_until(fn() => $s->stats()['connections'] == 0));
var_dump($s->stats()['closed_protocol'] >= count($cases) - 12);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
rsv1 text                    1002 closed
rsv2 text                    1002 closed
rsv3 text                    1002 closed
rsv1 ping                    1002 closed
opcode 3                     1002 closed
opcode 4                     1002 closed
opcode 5                     1002 closed
opcode 6                     1002 closed
opcode 7                     1002 closed
opcode 0xB                   1002 closed
opcode 0xC                   1002 closed
opcode 0xD                   1002 closed
opcode 0xE                   1002 closed
opcode 0xF                   1002 closed
unmasked text                1002 closed
unmasked ping                1002 closed
ping 126 bytes               1002 closed
pong 126 bytes               1002 closed
close 126 bytes              1002 closed
fragmented ping              1002 closed
fragmented close             1002 closed
continuation alone           1002 closed
continuation fin=0 alone     1002 closed
continuation after complete  1002 closed
text inside fragmented       1002 closed
binary inside fragmented     1002 closed
close 1-byte payload         1002 closed
close code 0                 1002 closed
close code 999               1002 closed
close code 1004              1002 closed
close code 1005              1002 closed
close code 1006              1002 closed
close code 1015              1002 closed
close code 1016              1002 closed
close code 1100              1002 closed
close code 2000              1002 closed
close code 2999              1002 closed
close code 5000              1002 closed
close code 65535             1002 closed
bool(true)
bool(true)
done
