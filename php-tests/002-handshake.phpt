--TEST--
WebSocket handshake: 101 with the right Sec-WebSocket-Accept on any path; server frames unmasked
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
foreach (['/', '/ws', '/some/path?x=1&y=2'] as $path) {
    $c = ws_open($ws, ['path' => $path]);   // throws unless 101 + correct Accept
    $c->text('5');
    var_dump($c->recv_text());              // strict reader: unmasked, no RSV
    $c->close_tcp();
}
// the handshake's own example key from RFC 6455 section 1.3
$head = ws_handshake_raw($ws, "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    . "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
var_dump((bool)preg_match('~^HTTP/1\.1 101~', $head));
var_dump((bool)preg_match('~\r\nSec-WebSocket-Accept:\s*s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\s*(\r\n|$)~i', $head));
// a request that is not a WebSocket upgrade is refused (no 101)
$head = ws_handshake_raw($ws, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
var_dump((bool)preg_match('~^HTTP/1\.1 101~', $head));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
string(9) "biubiubiu"
string(9) "biubiubiu"
bool(true)
bool(true)
bool(false)
done
