--TEST--
allowed_origins: a handshake whose Origin is not listed is answered 403 and closed (counted, logged); listed origins (any case, spaces around commas) and clients without Origin are upgraded
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push, $dir] = wsp_test_server(['allowed_origins' => 'https://app.example.com, http://127.0.0.1:8080 ,http://127.0.0.1']);
$req = function (?string $origin, array $more = []) use ($ws) {
    $h = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if ($origin !== null) $h .= "Origin: $origin\r\n";
    foreach ($more as $m) $h .= "$m\r\n";
    return strtok(ws_handshake_raw($ws, "$h\r\n"), "\r\n");
};
foreach (['https://app.example.com', 'HTTPS://APP.EXAMPLE.COM', 'http://127.0.0.1:8080', 'http://127.0.0.1', null,
          'https://evil.example', 'https://app.example.com.evil.example', 'https://app.example.co',
          'http://127.0.0.1:8081', 'null', '', str_repeat('a', 300)] as $o) {
    printf("%-40s %s\n", $o === null ? '(none)' : substr($o, 0, 38), $req($o));
}
echo 'two Origin headers                       ', $req('https://app.example.com', ['Origin: https://app.example.com']), "\n";
// a listed origin still binds and receives
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
var_dump($s->stats()['origin_refused']);
$s->stop(0);
var_dump(substr_count(file_get_contents("$dir/w.log"), " origin ") >= 8);
foreach (['', 'app.example.com', 'https://a.example/path', 'https://a.example,,https://b.example', 'https://a b'] as $bad) {
    try {
        new WsPush\Server(['allowed_origins' => $bad]);
        echo "accepted: $bad\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
echo "done\n";
?>
--EXPECT--
https://app.example.com                  HTTP/1.1 101 Switching Protocols
HTTPS://APP.EXAMPLE.COM                  HTTP/1.1 101 Switching Protocols
http://127.0.0.1:8080                    HTTP/1.1 101 Switching Protocols
http://127.0.0.1                         HTTP/1.1 101 Switching Protocols
(none)                                   HTTP/1.1 101 Switching Protocols
https://evil.example                     HTTP/1.1 403 Forbidden
https://app.example.com.evil.example     HTTP/1.1 403 Forbidden
https://app.example.co                   HTTP/1.1 403 Forbidden
http://127.0.0.1:8081                    HTTP/1.1 403 Forbidden
null                                     HTTP/1.1 403 Forbidden
                                         HTTP/1.1 403 Forbidden
aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa   HTTP/1.1 403 Forbidden
two Origin headers                       HTTP/1.1 403 Forbidden
string(9) "biubiubiu"
int(8)
bool(true)
WsPush\Server::__construct(): Argument #1 ($options) allowed_origins: expected a comma-separated list of origins (scheme://host[:port]), got ""
WsPush\Server::__construct(): Argument #1 ($options) allowed_origins: expected a comma-separated list of origins (scheme://host[:port]), got "app.example.com"
WsPush\Server::__construct(): Argument #1 ($options) allowed_origins: expected a comma-separated list of origins (scheme://host[:port]), got "https://a.example/path"
WsPush\Server::__construct(): Argument #1 ($options) allowed_origins: expected a comma-separated list of origins (scheme://host[:port]), got "https://a.example,,https://b.example"
WsPush\Server::__construct(): Argument #1 ($options) allowed_origins: expected a comma-separated list of origins (scheme://host[:port]), got "https://a b"
done
