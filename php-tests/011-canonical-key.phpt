--TEST--
docs/protocol.md §7: a JSON-string uid reaches the client key by canonical form (key order, whitespace, duplicates)
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
// nested objects are canonical too; a JSON object without uid is a client key as well;
// escaped member names are the same names
$e = ws_connect($ws, '{"x":{"b":1,"a":[{"d":1,"c":2}]},"uid":"40"}');
$f = ws_connect($ws, '{"a":1}');
var_dump(wait_until(fn() => $s->stats()['bound'] == 4));
foreach (['{"uid":"40","x":{"a":[{"c":2,"d":1}],"b":1}}' => $e, '{"\u0075id":"40","x":{"a":[{"c":2,"d":1}],"b":1}}' => $e, '{ "a" : 1 }' => $f] as $uid => $conn) {
    $line = json_encode(['uid' => $uid, 'n' => 7]);
    echo json_encode($uid), ' ', push_line($push, $line), ' ', $conn->recv_text() === $line ? 'delivered' : 'NOT DELIVERED', "\n";
}
// array order is significant
var_dump(push_line($push, json_encode(['uid' => '{"uid":"40","x":{"a":[{"c":2,"d":1}],"b":1}}'])));
var_dump(push_line($push, json_encode(['uid' => '{"x":{"b":1,"a":[{"d":1},{"c":2}]},"uid":"40"}'])));
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
bool(true)
"{\"uid\":\"40\",\"x\":{\"a\":[{\"c\":2,\"d\":1}],\"b\":1}}" ok delivered
"{\"\\u0075id\":\"40\",\"x\":{\"a\":[{\"c\":2,\"d\":1}],\"b\":1}}" ok delivered
"{ \"a\" : 1 }" ok delivered
string(2) "ok"
string(6) "queued"
done
