--TEST--
SPEC 2.7: a JSON-string uid reaches the client key by canonical form (key order, whitespace, duplicates)
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$bound = '{"uid":"12","FunctionType":4}';
$c = ws_connect($ws, $bound);
var_dump($c->recv_text() === $bound);
$n = 0;
foreach ([
    '{"FunctionType":4,"uid":"12"}',
    '{ "FunctionType" : 4 ,  "uid" : "12" }',
    " {\"uid\":\"12\",\"FunctionType\":4}\n",
    '{"uid":"11","FunctionType":4,"uid":"12"}',
    '{"uid":"\u0031\u0032","FunctionType":4}',
] as $uid) {
    $line = json_encode(['uid' => $uid, 'n' => ++$n]);
    echo json_encode($uid), ' ', push_line($push, $line), ' ', $c->recv_text() === $line ? 'delivered' : 'NOT DELIVERED', "\n";
}
// different keys: other value, other type, extra field, other FunctionType
foreach ([
    '{"uid":"12","FunctionType":5}',
    '{"uid":12,"FunctionType":4}',
    '{"uid":"12","FunctionType":"4"}',
    '{"uid":"12","FunctionType":4,"x":1}',
    '{"uid":"12"}',
] as $uid) {
    echo json_encode($uid), ' ', push_line($push, json_encode(['uid' => $uid, 'n' => 0])), "\n";
}
// a connection bound with the reordered, spaced form receives pushes for the compact form
$d = ws_connect($ws, '{ "FunctionType":7, "uid":"30" }');
var_dump($d->recv_text());
$line = json_encode(['uid' => '{"uid":"30","FunctionType":7}', 'n' => 99]);
var_dump(push_line($push, $line), $d->recv_text() === $line);
var_dump($s->isOnline('{"FunctionType":7,"uid":"30"}'));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
"{\"FunctionType\":4,\"uid\":\"12\"}" ok delivered
"{ \"FunctionType\" : 4 ,  \"uid\" : \"12\" }" ok delivered
" {\"uid\":\"12\",\"FunctionType\":4}\n" ok delivered
"{\"uid\":\"11\",\"FunctionType\":4,\"uid\":\"12\"}" ok delivered
"{\"uid\":\"\\u0031\\u0032\",\"FunctionType\":4}" ok delivered
"{\"uid\":\"12\",\"FunctionType\":5}" queued
"{\"uid\":12,\"FunctionType\":4}" queued
"{\"uid\":\"12\",\"FunctionType\":\"4\"}" queued
"{\"uid\":\"12\",\"FunctionType\":4,\"x\":1}" queued
"{\"uid\":\"12\"}" queued
string(32) "{ "FunctionType":7, "uid":"30" }"
string(2) "ok"
bool(true)
bool(true)
done
