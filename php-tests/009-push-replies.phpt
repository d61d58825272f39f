--TEST--
docs/protocol.md §6: push port replies ok / queued / fail for each reason, in order, and fail does not close
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '5');
var_dump($c->recv_text());
$cases = [
    'not json' => 'hello',
    'json string' => '"5"',
    'json number' => '5',
    'json list' => '[5]',
    'broken json' => '{"uid":"5"',
    'no uid' => '{"FunctionType":3}',
    'empty object' => '{}',
    'empty uid' => '{"uid":""}',
    'blank uid' => '{"uid":"  "}',
    'uid array' => '{"uid":["5"]}',
    'uid object' => '{"uid":{"a":1}}',
    'uid true' => '{"uid":true}',
    'uid false' => '{"uid":false}',
    'uid null' => '{"uid":null}',
    'bound web key' => '{"uid":"5","m":"a"}',
    'number uid bound' => '{"uid":5,"m":"b"}',
    'trimmed uid bound' => '{"uid":" 5 ","m":"c"}',
    'unbound key' => '{"uid":"6","m":"d"}',
    'unbound number' => '{"uid":6.5}',
    'crlf line' => "{\"uid\":\"5\",\"m\":\"e\"}\r",
    'after all, still open' => '{"uid":"5","m":"f"}',
];
$p = new PushConn($push);
$replies = $p->send_lines(array_values($cases));
foreach (array_keys($cases) as $i => $name) {
    echo str_pad($name, 24), $replies[$i] ?? 'NO REPLY', "\n";
}
// delivered in order; the \r was stripped before delivery
foreach ($c->recv_n(5) as $m) echo $m, "\n";
var_dump($p->send('{"uid":"5","m":"g"}'), $c->recv_text());
$st = $s->stats();
var_dump($st['push_fail'], $st['push_ok'], $st['push_queued'], $st['push_lines']);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
not json                fail
json string             fail
json number             fail
json list               fail
broken json             fail
no uid                  fail
empty object            fail
empty uid               fail
blank uid               fail
uid array               fail
uid object              fail
uid true                fail
uid false               fail
uid null                fail
bound web key           ok
number uid bound        ok
trimmed uid bound       ok
unbound key             queued
unbound number          queued
crlf line               ok
after all, still open   ok
{"uid":"5","m":"a"}
{"uid":5,"m":"b"}
{"uid":" 5 ","m":"c"}
{"uid":"5","m":"e"}
{"uid":"5","m":"f"}
string(2) "ok"
string(19) "{"uid":"5","m":"g"}"
int(14)
int(6)
int(2)
int(22)
done
