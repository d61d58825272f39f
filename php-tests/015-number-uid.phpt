--TEST--
docs/protocol.md §7: a number uid is its PHP string cast (12 -> "12", 1e25 -> "1.0E+25"), trimmed string uids too
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$conns = [];
foreach (['12', '1.0E+25', '1.5', '-3', '0'] as $k) {
    $conns[$k] = ws_connect($ws, $k);
}
var_dump(wait_until(fn() => $s->stats()['bound'] == 5));
foreach (['12' => ['{"uid":12}', '{"uid":12.0}', '{"uid":" 12\t"}', '{"uid":1.2e1}'],
          '1.0E+25' => ['{"uid":1e25}', '{"uid":1.0E+25}'],
          '1.5' => ['{"uid":1.5}', '{"uid":15e-1}'],
          '-3' => ['{"uid":-3}'],
          '0' => ['{"uid":0}', '{"uid":-0}']] as $k => $lines) {
    foreach ($lines as $l) {
        $check = (string)json_decode($l, true)['uid'];
        echo str_pad($l, 18), ' php cast "', trim($check), '" ', push_line($push, $l), "\n";
    }
    $got = $conns[$k]->recv_n(count($lines), 3.0, ['biubiubiu']);
    var_dump($got === $lines);
}
// and nothing reached a key it was not meant for
foreach ($conns as $k => $c) {
    push_line($push, json_encode(['uid' => (string)$k, 'end' => 1]));
    $rest = $c->recv_until(json_encode(['uid' => (string)$k, 'end' => 1]), 3.0, ['biubiubiu']);
    if ($rest) echo "$k got extra: ", json_encode($rest), "\n";
}
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
{"uid":12}         php cast "12" ok
{"uid":12.0}       php cast "12" ok
{"uid":" 12\t"}    php cast "12" ok
{"uid":1.2e1}      php cast "12" ok
bool(true)
{"uid":1e25}       php cast "1.0E+25" ok
{"uid":1.0E+25}    php cast "1.0E+25" ok
bool(true)
{"uid":1.5}        php cast "1.5" ok
{"uid":15e-1}      php cast "1.5" ok
bool(true)
{"uid":-3}         php cast "-3" ok
bool(true)
{"uid":0}          php cast "0" ok
{"uid":-0}         php cast "0" ok
bool(true)
done
