--TEST--
ws_tls_cert / ws_tls_key: the WebSocket listener speaks wss:// (a TLS client that verifies a certificate the test makes binds, heartbeats, receives and confirms a push); a plain ws:// request there is not upgraded; bad TLS options refuse to start
--EXTENSIONS--
wspush
openssl
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!trim((string)shell_exec('command -v openssl'))) die('skip openssl CLI needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$d = wsp_tmpdir();
$gen = function (string $name) use ($d) {
    exec('openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
        . " -keyout $d/$name.key -out $d/$name.pem -days 2 -subj /CN=localhost"
        . ' -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>&1', $o, $rc);
    if ($rc) die("openssl failed: " . implode("\n", $o));
};
$gen('a');
$gen('b');

echo "-- bad options refuse to start\n";
$base = ['ws_listen' => '127.0.0.1:0', 'push_listen' => '127.0.0.1:0', 'store' => 'memory',
         'log_file' => '', 'close_log_file' => ''];
foreach ([['ws_tls_cert' => "$d/a.pem"], ['ws_tls_key' => "$d/a.key"],
          ['ws_tls_cert' => "$d/missing.pem", 'ws_tls_key' => "$d/a.key"],
          ['ws_tls_cert' => "$d/a.pem", 'ws_tls_key' => "$d/b.key"],
          ['ws_tls_cert' => "$d/a.key", 'ws_tls_key' => "$d/a.key"]] as $o) {
    try {
        (new WsPush\Server($o + $base))->start();
        echo "started\n";
    } catch (WsPush\Exception $e) {
        echo preg_replace(['~' . preg_quote($d, '~') . '~', '~: error:.*$~'], ['DIR', ': (openssl reason)'], $e->getMessage()), "\n";
    }
}

[$s, $ws, $push] = wsp_test_server(['ws_tls_cert' => "$d/a.pem", 'ws_tls_key' => "$d/a.key"]);

/* A blocking TLS client: PHP's stream_select() cannot see bytes OpenSSL
 * already decrypted, so this reads frames with blocking freads instead. */
function tls_read(string &$buf, $t, int $n): string {
    while (strlen($buf) < $n) {
        $d = fread($t, 65536);
        if ($d === '' || $d === false) throw new RuntimeException('EOF/timeout');
        $buf .= $d;
    }
    $r = substr($buf, 0, $n);
    $buf = (string)substr($buf, $n);
    return $r;
}
function tls_frame(string &$buf, $t): array {
    $h = tls_read($buf, $t, 2);
    $len = ord($h[1]) & 0x7f;
    if ($len === 126) $len = unpack('n', tls_read($buf, $t, 2))[1];
    elseif ($len === 127) $len = unpack('J', tls_read($buf, $t, 8))[1];
    return [ord($h[0]) & 0x0f, $len ? tls_read($buf, $t, $len) : ''];
}

echo "-- wss client verifying the certificate\n";
$ctx = stream_context_create(['ssl' => ['cafile' => "$d/a.pem", 'peer_name' => 'localhost', 'verify_peer' => true]]);
$t = stream_socket_client("ssl://127.0.0.1:$ws", $errno, $errstr, 5, STREAM_CLIENT_CONNECT, $ctx);
var_dump(is_resource($t));
stream_set_timeout($t, 5);
$key = base64_encode(random_bytes(16));
fwrite($t, "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n\r\n");
$buf = '';
while (($p = strpos($buf, "\r\n\r\n")) === false) $buf .= fread($t, 65536);
$head = substr($buf, 0, $p);
$buf = substr($buf, $p + 4);
var_dump(strtok($head, "\r\n"), str_contains($head, base64_encode(sha1($key . WS_GUID, true))));
fwrite($t, WsConn::frame(WS_TEXT, '5'));
var_dump(tls_frame($buf, $t));
var_dump(push_line($push, '{"uid":"5","m":"over tls"}'));
var_dump(tls_frame($buf, $t));
[$op, $ping] = tls_frame($buf, $t);   // the confirmation Ping
var_dump($op === WS_PING);
fwrite($t, WsConn::frame(WS_PONG, $ping));
var_dump(wait_stat($s, 'outbox_depth', 0));
// one message over one TLS record (16 KiB) each way
$big = str_repeat('y', 100000);
fwrite($t, WsConn::frame(WS_TEXT, '{"uid":"5","FunctionType":4,"b":"' . $big . '"}'));
[$op, $echo] = tls_frame($buf, $t);
var_dump($op, strlen($echo));
fclose($t);

echo "-- plain ws:// on the wss:// port\n";
$resp = ws_handshake_raw($ws, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
var_dump(str_contains($resp, '101'));
var_dump(wait_stat($s, 'connections', 0));
// a failed TLS handshake is its own close class
var_dump($s->stats()['closed']['tls'] ?? null, $s->stats()['closed']['other']);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
-- bad options refuse to start
cannot start the push server: ws_tls_cert is set but ws_tls_key is not: wss:// needs both
cannot start the push server: ws_tls_key is set but ws_tls_cert is not: wss:// needs both
cannot start the push server: ws_tls_cert: cannot load DIR/missing.pem: (openssl reason)
cannot start the push server: ws_tls_key: cannot load DIR/b.key: (openssl reason)
cannot start the push server: ws_tls_cert: cannot load DIR/a.key: (openssl reason)
-- wss client verifying the certificate
bool(true)
string(32) "HTTP/1.1 101 Switching Protocols"
bool(true)
array(2) {
  [0]=>
  int(1)
  [1]=>
  string(9) "biubiubiu"
}
string(2) "ok"
array(2) {
  [0]=>
  int(1)
  [1]=>
  string(26) "{"uid":"5","m":"over tls"}"
}
bool(true)
bool(true)
int(1)
int(100035)
-- plain ws:// on the wss:// port
bool(false)
bool(true)
int(1)
int(0)
done
