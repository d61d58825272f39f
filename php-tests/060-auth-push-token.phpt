--TEST--
push_token: AUTH <token> first (ok); a missing or wrong token gets fail and a close, and pushes nothing; WsPush\Client and bin/wspush push take the token
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!function_exists('proc_open')) die('skip proc_open needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$tok = 'tok-' . bin2hex(random_bytes(8));
[$s, $ws, $push] = wsp_test_server(['push_token' => $tok]);
$line = '{"uid":"5","m":"x"}';

echo "-- no AUTH line: fail, close, nothing pushed\n";
$p = new PushConn($push);
var_dump($p->send_lines([$line, $line]), $p->expect_eof());
echo "-- wrong token\n";
$p = new PushConn($push);
var_dump($p->send_lines(["AUTH nope", $line]), $p->expect_eof());
echo "-- token with a different length, a prefix of it, and empty\n";
foreach (["AUTH {$tok}x", 'AUTH ' . substr($tok, 0, -1), 'AUTH ', 'AUTH'] as $a) {
    $p = new PushConn($push);
    var_dump($p->send($a), $p->expect_eof());
}
var_dump($s->stats()['push_lines'], $s->stats()['push_auth_failed']);

echo "-- right token, then pipelined lines on the same connection\n";
$p = new PushConn($push);
var_dump($p->send_lines(["AUTH $tok", $line, 'not json', $line]));
$p->close();
var_dump($s->stats()['outbox_depth']);

echo "-- WsPush\\Client\n";
$addr = "tcp://127.0.0.1:$push";
$c = new WsPush\Client($addr, 2.0, ['token' => $tok]);
var_dump($c->send('5', ['m' => 'y']), $c->sendMany([['5', ['m' => 'z']], ['6', ['m' => 'w']]]));
// the connection is reused: one AUTH, many pushes
var_dump($c->send('5', ['m' => 'again']));
foreach ([['token' => 'wrong'], [], ['persistent' => false, 'token' => 'wrong']] as $o) {
    try {
        (new WsPush\Client($addr, 2.0, $o))->send('5', ['m' => 'no']);
        echo "no exception\n";
    } catch (WsPush\Exception $e) {
        echo get_class($e), ' ', $e->getCode(), ': ', str_replace((string)$push, 'PORT', $e->getMessage()), "\n";
    }
}
foreach (['', "a\nb", 5] as $bad) {
    try {
        new WsPush\Client($addr, 2.0, ['token' => $bad]);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
var_dump($s->stats()['outbox_depth']);

echo "-- bin/wspush push --token, and WSPUSH_PUSH_TOKEN\n";
$bin = dirname(__DIR__) . '/bin/wspush';
$run = function (array $args, array $env = []) use ($bin) {
    $p = proc_open([PHP_BINARY, $bin, 'push', ...$args], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env + getenv());
    $out = trim(stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]));
    return [proc_close($p), preg_replace('/:\d+/', ':PORT', $out)];
};
var_dump($run(['5', '{"m":"cli"}', '--to', $addr, '--token', $tok]));
var_dump($run(['5', '{"m":"cli"}', '--to', $addr], ['WSPUSH_PUSH_TOKEN' => $tok]));
var_dump($run(['5', '{"m":"cli"}', '--to', $addr, '--token', 'bad']));
var_dump($s->stats()['outbox_depth']);
$s->stop(0);

echo "-- a server without push_token answers AUTH with ok too\n";
[$s2, , $push2] = wsp_test_server();
var_dump(push_lines($push2, ['AUTH anything', $line]));
var_dump((new WsPush\Client("tcp://127.0.0.1:$push2", 2.0, ['token' => 'x']))->send('5', ['m' => 1]));
// a fail later on a tokenless connection is only a bad line: no AUTH hint
$c2 = new WsPush\Client("tcp://127.0.0.1:$push2", 2.0, ['persistent' => false]);
$c2->send('5', ['m' => 2]);
try { $c2->send('', ['m' => 3]); } catch (WsPush\Exception $e) { echo str_replace((string)$push2, 'PORT', $e->getMessage()), "\n"; }
$s2->stop(0);

echo "-- option checks\n";
foreach (['', "a\nb"] as $bad) {
    try {
        new WsPush\Server(['push_token' => $bad]);
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
echo "done\n";
?>
--EXPECT--
-- no AUTH line: fail, close, nothing pushed
array(2) {
  [0]=>
  string(4) "fail"
  [1]=>
  NULL
}
bool(true)
-- wrong token
array(2) {
  [0]=>
  string(4) "fail"
  [1]=>
  NULL
}
bool(true)
-- token with a different length, a prefix of it, and empty
string(4) "fail"
bool(true)
string(4) "fail"
bool(true)
string(4) "fail"
bool(true)
string(4) "fail"
bool(true)
int(0)
int(6)
-- right token, then pipelined lines on the same connection
array(4) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(6) "queued"
  [2]=>
  string(4) "fail"
  [3]=>
  string(6) "queued"
}
int(2)
-- WsPush\Client
string(6) "queued"
array(2) {
  [0]=>
  string(6) "queued"
  [1]=>
  string(6) "queued"
}
string(6) "queued"
WsPush\Exception 9: push to tcp://127.0.0.1:PORT failed: push token refused by 127.0.0.1:PORT
WsPush\Exception 7: push refused by tcp://127.0.0.1:PORT: fail (bad uid or line; or the push port requires AUTH: this client has no token and this was the first line on a new connection)
WsPush\Exception 9: push to tcp://127.0.0.1:PORT failed: push token refused by 127.0.0.1:PORT
WsPush\Client::__construct(): Argument #3 ($options) option "token" must be a non-empty string without line breaks or NUL bytes, or null
WsPush\Client::__construct(): Argument #3 ($options) option "token" must be a non-empty string without line breaks or NUL bytes, or null
WsPush\Client::__construct(): Argument #3 ($options) option "token" must be a non-empty string without line breaks or NUL bytes, or null
int(6)
-- bin/wspush push --token, and WSPUSH_PUSH_TOKEN
array(2) {
  [0]=>
  int(0)
  [1]=>
  string(6) "queued"
}
array(2) {
  [0]=>
  int(0)
  [1]=>
  string(6) "queued"
}
array(2) {
  [0]=>
  int(1)
  [1]=>
  string(81) "wspush: push to tcp://127.0.0.1:PORT failed: push token refused by 127.0.0.1:PORT"
}
int(8)
-- a server without push_token answers AUTH with ok too
array(2) {
  [0]=>
  string(2) "ok"
  [1]=>
  string(6) "queued"
}
string(6) "queued"
push refused by tcp://127.0.0.1:PORT: fail (bad uid or line)
-- option checks
WsPush\Server::__construct(): Argument #1 ($options) push_token: expected 1-1024 bytes without line breaks, got ""
WsPush\Server::__construct(): Argument #1 ($options) push_token: expected 1-1024 bytes without line breaks
done
