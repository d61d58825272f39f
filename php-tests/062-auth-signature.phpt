--TEST--
auth_secret: a WebSocket client proves its key with Client::sign()'s query; missing, forged, expired, malformed signatures and a first frame naming another key are closed with 1008 and a reason, and bind nothing
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$secret = 'sig-secret-' . bin2hex(random_bytes(8));
[$s, $ws, $push] = wsp_test_server(['auth_secret' => $secret]);

// The format, computed here independently of the extension.
function query(string $key, int $exp, string $secret): string {
    $sig = hash_hmac('sha256', "wspush-sig-v1\n$exp\n$key", $secret);
    return 'wsp_key=' . rawurlencode($key) . "&wsp_exp=$exp&wsp_sig=$sig";
}
$q = WsPush\Client::sign('5', 60, $secret);
var_dump((bool)preg_match('/^wsp_key=5&wsp_exp=(\d+)&wsp_sig=[0-9a-f]{64}$/', $q, $m),
    abs((int)$m[1] - time() - 60) <= 2, $q === query('5', (int)$m[1], $secret));

echo "-- signed: binds, heartbeats, receives\n";
$c = ws_connect($ws, '5', ['path' => "/?$q"]);
var_dump($c->recv_text(), push_line($push, '{"uid":"5","m":"hi"}'), $c->recv_text());
echo "-- an add-in key signed in one form, bound in another (order and spaces)\n";
$q12 = WsPush\Client::sign('{"uid":"12","FunctionType":4}', 60, $secret);
$a = ws_connect($ws, '{ "FunctionType": 4, "uid": "12" }', ['path' => "/app?x=1&$q12"]);
var_dump($a->recv_text(), $s->isOnline('{"uid":"12","FunctionType":4}'));

$refused = function (string $path, ?string $first = '7') use ($ws) {
    $c = ws_open($ws, ['path' => $path]);
    if ($first !== null) {
        $c->text($first);
    }
    $code = $c->expect_close_code();
    return "$code {$c->closeReason}" . ($c->expect_eof() ? ', closed' : ', still open');
};
$exp = time() + 60;
echo "-- refused\n";
echo 'none:          ', $refused('/'), "\n";
echo 'no sig:        ', $refused('/?wsp_key=7&wsp_exp=' . $exp), "\n";
echo 'before sending:', $refused('/', null), "\n";
echo 'forged:        ', $refused('/?' . query('7', $exp, 'not-the-secret')), "\n";
echo 'other key:     ', $refused('/?' . str_replace('wsp_key=7', 'wsp_key=8', query('7', $exp, $secret)), '8'), "\n";
echo 'later exp:     ', $refused('/?' . str_replace("wsp_exp=$exp", 'wsp_exp=' . ($exp + 1), query('7', $exp, $secret))), "\n";
echo 'expired:       ', $refused('/?' . query('7', time() - 2, $secret)), "\n";
echo 'key mismatch:  ', $refused('/?' . query('7', $exp, $secret), '8'), "\n";
echo 'web vs client: ', $refused('/?' . query('7', $exp, $secret), '{"uid":"7"}'), "\n";
echo 'twice:         ', $refused('/?' . query('7', $exp, $secret) . '&wsp_key=7'), "\n";
echo 'bad hex:       ', $refused('/?' . substr(query('7', $exp, $secret), 0, -1) . 'g'), "\n";
echo 'blank key:     ', $refused('/?' . query(' ', $exp, $secret)), "\n";
var_dump($s->isOnline('7'), $s->isOnline('8'), push_line($push, '{"uid":"7"}'), push_line($push, '{"uid":"8"}'));
$st = $s->stats();
var_dump($st['ws_auth_refused'], $st['bound']);
// refused signatures are their own close class, in stats and /metrics alike
var_dump(wait_until(fn() => $s->stats()['closed']['auth'] === 12, 5.0), $s->stats()['closed']['other']);
// events: only the two good connections bound (client keys in canonical form)
$binds = [];
while ($ev = $s->poll(0)) {
    if ($ev['type'] === 'bind') $binds[] = $ev['key'];
}
var_dump($binds);
$s->stop(0);

echo "-- sign() arguments\n";
foreach ([['', 60, 'x'], [' ', 60, 'x'], ['5', 0, 'x'], ['5', 400 * 86400 * 10, 'x'], ['5', 60, '']] as $args) {
    try {
        WsPush\Client::sign(...$args);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
echo "done\n";
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
-- signed: binds, heartbeats, receives
string(9) "biubiubiu"
string(2) "ok"
string(20) "{"uid":"5","m":"hi"}"
-- an add-in key signed in one form, bound in another (order and spaces)
string(34) "{ "FunctionType": 4, "uid": "12" }"
bool(true)
-- refused
none:          1008 signature missing, closed
no sig:        1008 signature missing, closed
before sending:1008 signature missing, closed
forged:        1008 signature invalid, closed
other key:     1008 signature invalid, closed
later exp:     1008 signature invalid, closed
expired:       1008 signature expired, closed
key mismatch:  1008 key mismatch, closed
web vs client: 1008 key mismatch, closed
twice:         1008 signature malformed, closed
bad hex:       1008 signature malformed, closed
blank key:     1008 signature malformed, closed
bool(false)
bool(false)
string(6) "queued"
string(6) "queued"
int(12)
int(2)
bool(true)
int(0)
array(2) {
  [0]=>
  string(1) "5"
  [1]=>
  string(29) "{"FunctionType":4,"uid":"12"}"
}
-- sign() arguments
WsPush\Client::sign(): Argument #1 ($key) must not be empty after trimming whitespace
WsPush\Client::sign(): Argument #1 ($key) must not be empty after trimming whitespace
WsPush\Client::sign(): Argument #2 ($ttlSeconds) must be between 1 and 316224000 seconds
WsPush\Client::sign(): Argument #2 ($ttlSeconds) must be between 1 and 316224000 seconds
WsPush\Client::sign(): Argument #3 ($secret) must not be empty
done
