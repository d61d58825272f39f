--TEST--
docs/protocol.md §8: FunctionType 1/2 transform byte-identical to the seed's PHP handler (json_encode JSON_UNESCAPED_UNICODE); other ft byte for byte
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--INI--
serialize_precision=-1
--FILE--
<?php
require __DIR__ . '/wsclient.inc';

/* The seed's 5002 handler (seed_original.php), verbatim apart from the I/O:
 * returns what the client must receive for $buffer. */
function seed_transform(string $buffer): string
{
    $data = json_decode($buffer, true);
    $uidKey = (string)($data['uid'] ?? '');
    $ft = 0;
    if (isset($data['FunctionType'])) {
        $ft = (int)$data['FunctionType'];
    } elseif ($uidKey !== '' && $uidKey[0] === '{') {
        $tmp = json_decode($uidKey, true);
        if (is_array($tmp) && isset($tmp['FunctionType'])) $ft = (int)$tmp['FunctionType'];
    }
    if ($ft === 1 || $ft === 2) {
        $errMsg = $ft === 1 ? '获取变量成功' : '同步底稿变量成功';
        $isSuccess = 1;
        $d = true;
        if (isset($data['ratio']) && (int)$data['ratio'] !== 100) {
            $errMsg = $ft === 1 ? '获取变量失败' . ($data['msg'] ?? '') : '同步底稿变量失败' . ($data['msg'] ?? '');
            $isSuccess = 0;
            $d = false;
        }
        unset($data['msg'], $data['code'], $data['ratio']);
        $data['ErrMsg'] = $data['ErrMsg'] ?? $errMsg;
        $data['IsSuccess'] = $data['IsSuccess'] ?? $isSuccess;
        $data['FunctionType'] = $ft;
        $data['Data'] = $ft === 1 ? ($data['Data'] ?? '') : $d;
        $buffer = json_encode($data, JSON_UNESCAPED_UNICODE);
    }
    return $buffer;
}

[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '900');
var_dump($c->recv_text());
$cases = [];
foreach ([1, 2] as $ft) {
    $cases[] = '{"uid":"900","FunctionType":' . $ft . '}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":100,"msg":"m","code":200,"Data":"d"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":50,"msg":"原因/x","code":500,"Data":{"a":1}}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":"100"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":"99.9","msg":7}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":100.7}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":"abc"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":null,"msg":"n"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":0}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":0,"msg":null}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ratio":3,"msg":1.5}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ErrMsg":"given","IsSuccess":"1"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ErrMsg":null,"IsSuccess":null,"ratio":1}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"ErrMsg":"","IsSuccess":0,"ratio":1,"msg":"x"}';
    $cases[] = '{"Data":"first","uid":"900","IsSuccess":"x","FunctionType":' . $ft . ',"z":1}';
    $cases[] = '{"uid":"900","FunctionType":"' . $ft . '"}';
    $cases[] = '{"uid":900,"FunctionType":' . $ft . '.0}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":null}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":[1,2,{"x":"y"}]}';
    // encoding: unicode, escapes, slashes, controls, surrogates
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":"caf\u00e9 中文 \ud83d\ude00 😀"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":"a/b\\\\c\"d\/e"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":"\u0001\u001f\t\n\r\b\f\u007f\u2028\u2029"}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"Data":"<>&\'\u003c"}';
    // PHP array quirks and numbers
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"e":{},"l":[],"o":{"0":"a","1":"b"},"p":{"1":"a","0":"b"},"q":{"0":"a","2":"b"}}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"f":1.0,"g":1e2,"h":1e25,"i":123456789012345678901234,"j":-0.0,"k":0.1,"l":1.5e-7,"m":9223372036854775807,"n":-9223372036854775808,"o":9223372036854775808}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"t":true,"u":false,"v":null,"w":[[],{}],"x":{"y":{"z":{}}}}';
    $cases[] = ' { "uid" : "900" , "FunctionType" : ' . $ft . ' , "s" : "  spaced  " } ';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"dup":1,"dup":2}';
    $cases[] = '{"uid":"900","FunctionType":' . $ft . ',"":"empty key","0":"zero key"}';
}
// other FunctionType values: delivered byte for byte
$cases[] = '{"uid":"900","FunctionType":3,"msg":"m","ratio":5,"s":"\u00e9\/ "}';
$cases[] = '{"uid":"900", "FunctionType":0, "e":{}}';
$cases[] = '{"uid":"900","e":{},"f":1.0,"msg":"x","ratio":1}';
$cases[] = '{"uid":"900","FunctionType":"abc","ratio":1}';
$cases[] = '{"uid":"900","FunctionType":-1,"ratio":1}';
$cases[] = '{"uid":"900","FunctionType":12,"ratio":1}';
$cases[] = '{"uid":"900","FunctionType":null,"ratio":1}';
$lines = $cases;
$replies = push_lines($push, $lines);
$got = $c->recv_n(count($lines), 10.0);
$bad = 0;
foreach ($lines as $i => $l) {
    $want = seed_transform($l);
    if ($replies[$i] !== 'ok' || $got[$i] !== $want) {
        $bad++;
        echo "case $i: $l\n  reply: {$replies[$i]}\n  want: $want\n  got:  {$got[$i]}\n";
    }
}
echo count($lines), " cases, $bad differ\n";
// ft taken from a JSON uid when the line has none
$key = '{"uid":"77","FunctionType":1}';
$d = ws_connect($ws, $key);
var_dump($d->recv_text() === $key);
$more = [
    json_encode(['uid' => $key, 'ratio' => 10, 'msg' => 'm', 'x' => '/']),
    json_encode(['uid' => $key, 'Data' => 'v']),
    json_encode(['uid' => $key, 'FunctionType' => 2, 'ratio' => 100]),
    json_encode(['uid' => $key, 'FunctionType' => 3, 'ratio' => 100]),
];
$replies = push_lines($push, $more);
$got = $d->recv_n(count($more), 5.0, [$key]);
foreach ($more as $i => $l) {
    echo $replies[$i], ' ', $got[$i] === seed_transform($l) ? 'same as seed' : "DIFFERENT: want " . seed_transform($l) . " got {$got[$i]}", "\n";
}
// sanity: the transform really changed something (the test cannot pass by echoing)
var_dump(seed_transform($more[0]) !== $more[0], seed_transform($lines[0]) !== $lines[0]);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
65 cases, 0 differ
bool(true)
ok same as seed
ok same as seed
ok same as seed
ok same as seed
bool(true)
bool(true)
done
