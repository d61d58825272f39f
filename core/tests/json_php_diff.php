<?php
/*
 * json_php_diff.php - differential check of core/push_line.c against PHP
 * itself (`make json-diff`). Generates a few thousand varied push lines
 * (unicode, escapes, numbers, nesting, duplicate keys, uid kinds,
 * FunctionType 1/2 lines with ratio/msg/ErrMsg/Data variants, mutations),
 * runs the C program on them and computes the expected result with PHP
 * code that mirrors the seed's port-5002 handler. Exits 1 on any mismatch.
 *
 * usage: php json_php_diff.php <build/json_php_diff> [count] [seed]
 */

$bin = $argv[1] ?? 'build/json_php_diff';
$count = (int)($argv[2] ?? 4000);
$seed = (int)($argv[3] ?? 20240611);
mt_srand($seed);
// The seed's '...' . $data['msg'] warns for an array msg (then uses
// "Array"); keep its code as is and silence just that warning.
set_error_handler(fn($no, $str) => str_contains($str, 'Array to string conversion'), E_WARNING);

// ---- the PHP side: what the seed does, in the C program's output format.

/* Canonical client-key form, mirroring json_php_enc.c's canonical mode:
 * objects stay objects with keys sorted bytewise (a key's U+0000 sorts as
 * C0 80, how the C side stores it), -0.0 stays -0.0, INF is 1e999. */
function canon($v): string {
    if ($v instanceof stdClass) {
        $parts = [];
        foreach (get_object_vars($v) as $k => $x) $parts[(string)$k] = $x;
        uksort($parts, fn($a, $b) => strcmp(str_replace("\0", "\xC0\x80", $a),
                                            str_replace("\0", "\xC0\x80", $b)));
        $out = [];
        foreach ($parts as $k => $x) $out[] = json_encode((string)$k, JSON_UNESCAPED_UNICODE) . ':' . canon($x);
        return '{' . implode(',', $out) . '}';
    }
    if (is_array($v)) return '[' . implode(',', array_map('canon', $v)) . ']';
    if (is_float($v)) {
        if (is_infinite($v)) return $v < 0 ? '-1e999' : '1e999';
        if ($v == 0.0 && 1 / $v < 0) return '-0.0';
    }
    return json_encode($v, JSON_UNESCAPED_UNICODE);
}

function key_from_text(string $s): ?string {
    $t = trim($s);
    if ($t === '') return null;
    if ($t[0] === '{') {
        $o = json_decode($t, false);
        if ($o instanceof stdClass) return 'c' . canon($o);
    }
    return 'w' . $t;
}

function expected(string $line): string {
    $data = json_decode($line, true);
    $first = ltrim($line, " \t\n\r")[0] ?? '';
    if (!is_array($data) || $first !== '{') return 'fail NOT_OBJECT';
    $uid = $data['uid'] ?? null;
    if ($uid === null) return 'fail NO_UID';
    if (is_bool($uid) || is_array($uid)) return 'fail BAD_UID';
    $uidKey = (string)$uid;
    $key = is_string($uid) ? key_from_text($uidKey) : 'w' . $uidKey;
    if ($key === null) return 'fail NO_UID';
    // From here on: the seed's handler, statement by statement.
    $ft = 0;
    if (isset($data['FunctionType'])) {
        $ft = (int)$data['FunctionType'];
    } elseif ($uidKey !== '' && $uidKey[0] === '{') {
        $tmp = json_decode($uidKey, true);
        if (is_array($tmp) && isset($tmp['FunctionType'])) $ft = (int)$tmp['FunctionType'];
    }
    $buffer = $line;
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
        // The seed would send "" here; WsPush answers fail (push_line.h).
        if ($buffer === false) return 'fail UNENCODABLE';
    }
    $ftOut = max(min($ft, 2147483647), -2147483648);
    return "ok $ftOut " . bin2hex($key) . ' ' . bin2hex($buffer);
}

// ---- generators ----------------------------------------------------------

function pick(array $a) { return $a[mt_rand(0, count($a) - 1)]; }

function rnd_string(): string {
    $pieces = ['a', 'Z', '5', ' ', '/', '\\', '"', "\t", "\n", "\x01", "\x1f", "\x7f", 'é', '中文',
               '😀', "\u{2028}", "\u{2029}", "\u{FEFF}", '{', '}', '[', ':', ',', "\0", 'uid',
               'FunctionType', '获取'];
    $s = '';
    for ($i = mt_rand(0, 6); $i > 0; $i--) $s .= pick($pieces);
    return $s;
}

function rnd_number_text(): string {
    return pick([
        '0', '-0', '1', '-1', '12', '100', '99', '1.0', '-0.0', '0.0', '1e2', '1E2', '1e+2', '1e-2',
        '1e25', '1.5e300', '1e999', '-1e999', '5e-324', '2.2250738585072014e-308', '0.1', '0.3',
        '0.30000000000000004', '123456789012345', '1234567890123456789',
        '9223372036854775807', '9223372036854775808', '-9223372036854775808',
        '-9223372036854775809', '18446744073709551615', '18446744073709551616',
        '123456789012345678901234', '-123456789012345678901234', '1e15', '1e16', '1e17',
        '0.0001', '0.00001', '100.5', '1.9', '2.5', '2.0', '1.0000000000000002', '4.35',
        (string)mt_rand(-1000000, 1000000), mt_rand(0, 9999) . '.' . mt_rand(0, 9999),
        mt_rand(1, 9) . 'e' . mt_rand(-330, 330), '0.' . str_repeat('0', mt_rand(0, 8)) . mt_rand(1, 99999),
        str_repeat('9', mt_rand(15, 25)), (string)(mt_rand() / mt_getrandmax() * 10 ** mt_rand(-20, 20)),
    ]);
}

/* A JSON text for a random value; objects may get duplicate keys and
 * "0".."n-1" keys; whitespace and escapes vary. */
function rnd_json(int $depth = 0): string {
    $r = mt_rand(0, $depth > 3 ? 5 : 9);
    $ws = fn() => pick(['', '', '', ' ', "\n", "\t ", "\r\n"]);
    switch ($r) {
    case 0: return pick(['null', 'true', 'false']);
    case 1: case 2: return rnd_number_text();
    case 3: case 4: case 5: return rnd_string_json(rnd_string());
    case 6: case 7:
        $n = mt_rand(0, 4);
        $items = [];
        for ($i = 0; $i < $n; $i++) $items[] = $ws() . rnd_json($depth + 1) . $ws();
        return '[' . implode(',', $items) . ']';
    default:
        $n = mt_rand(0, 4);
        $numeric = mt_rand(0, 3) === 0;
        $items = [];
        for ($i = 0; $i < $n; $i++) {
            $k = $numeric ? (string)$i : pick(['a', 'b', 'a', '0', '1', '', 'x/y', 'é', rnd_string()]);
            $items[] = $ws() . rnd_string_json($k) . $ws() . ':' . $ws() . rnd_json($depth + 1);
        }
        return '{' . implode(',', $items) . '}';
    }
}

/* Encode a string as JSON in one of several equivalent ways. */
function rnd_string_json(string $s): string {
    if (!mb_check_encoding($s, 'UTF-8')) return '"' . $s . '"';
    switch (mt_rand(0, 3)) {
    case 0: return json_encode($s);
    case 1: return json_encode($s, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    case 2: // every non-ASCII char as \u escapes (surrogate pairs for astral)
        $out = '';
        foreach (mb_str_split($s) as $ch) {
            $cp = mb_ord($ch);
            if ($cp >= 0x10000) {
                $cp -= 0x10000;
                $out .= sprintf('\\u%04x\\u%04X', 0xD800 + ($cp >> 10), 0xDC00 + ($cp & 0x3FF));
            } elseif ($cp >= 0x80 || $cp < 0x20) {
                $out .= sprintf('\\u%04x', $cp);
            } elseif ($ch === '"' || $ch === '\\') {
                $out .= '\\' . $ch;
            } else {
                $out .= $ch;
            }
        }
        return '"' . $out . '"';
    default:
        return substr(json_encode($s, JSON_UNESCAPED_UNICODE), 0, -1) . pick(['', '\\/', '\\b', '\\f', '\\u00e9', '\\ud83d\\ude00']) . '"';
    }
}

function rnd_uid_json(): ?string {
    $obj = ['uid' => (string)mt_rand(1, 99)];
    if (mt_rand(0, 1)) $obj['FunctionType'] = pick([1, 2, 4, '1', '2', 0, null, 1.5, '2abc', true]);
    if (mt_rand(0, 3) === 0) $obj['IsSuccess'] = '1';
    if (mt_rand(0, 3) === 0) $obj['n'] = ['b' => 1, 'a' => [1, 2], 'é' => '中'];
    $keys = array_keys($obj);
    if (mt_rand(0, 1)) shuffle($keys);
    $items = [];
    foreach ($keys as $k) $items[] = json_encode($k) . ':' . json_encode($obj[$k], JSON_UNESCAPED_UNICODE);
    if (mt_rand(0, 4) === 0) $items[] = '"uid":"dup"';
    $sep = pick([',', ', ', ",\n"]);
    $text = pick(['', ' ', "\n"]) . '{' . implode($sep, $items) . '}' . pick(['', ' ', "\t", "\x0b", "\0", ' x']);
    return $text;
}

function rnd_uid(): ?string {
    switch (mt_rand(0, 12)) {
    case 0: return null; // absent
    case 1: return 'null';
    case 2: return pick(['""', '"  "', '"\t\n"', '"\u0000"', '"\u000b 5"', '" 5 "']);
    case 3: return pick(['true', 'false', '[]', '[1]', '{}', '{"a":1}']);
    case 4: case 5: return rnd_number_text();
    case 6: case 7: case 8: return json_encode(rnd_uid_json(), pick([0, JSON_UNESCAPED_UNICODE]));
    case 9: return json_encode(pick(['{', '{"a":', '{}', ' {"b":2,"a":1} ', '{"a":[]}', '[1,2]', 'abc', '中文', '{"x":1e999}']));
    default: return json_encode((string)mt_rand(0, 100000));
    }
}

function rnd_line(): string {
    $members = [];
    $uid = rnd_uid();
    if ($uid !== null) $members[] = ['uid', $uid];
    if (mt_rand(0, 2)) $members[] = ['FunctionType', pick(['1', '2', '1', '2', '4', '0', '"1"', '"2"', '" 2"', '"2abc"', '1.9', '2.5', '-1', 'true', 'false', 'null', '[]', '[0]', '{"a":1}', '"1e0"', '"0x2"', '18446744073709551617', '1e19', rnd_number_text()])];
    if (mt_rand(0, 1)) $members[] = ['ratio', pick(['100', '"100"', '99', '100.9', '"abc"', 'null', 'true', '[]', '"100abc"', '1e2', '"1e2"', rnd_number_text()])];
    if (mt_rand(0, 1)) $members[] = ['msg', pick(['"x"', '"失败原因"', '12', '1.5', '1e25', 'true', 'false', 'null', '[1]', '{"a":1}', '-0.0', rnd_json(2)])];
    if (mt_rand(0, 2) === 0) $members[] = ['code', rnd_json(2)];
    if (mt_rand(0, 2) === 0) $members[] = ['ErrMsg', pick(['null', '"e"', '""', '0', rnd_json(2)])];
    if (mt_rand(0, 2) === 0) $members[] = ['IsSuccess', pick(['null', '"1"', '0', 'false'])];
    if (mt_rand(0, 1)) $members[] = ['Data', pick(['null', '""', '{}', '[]', '{"0":"a","1":"b"}', '{"1":"a","0":"b"}', rnd_json(1)])];
    for ($i = mt_rand(0, 3); $i > 0; $i--) $members[] = [pick(['a', 'b', 'x', '0', 'uid', 'msg', 'Data', 'é']), rnd_json(1)];
    shuffle($members);
    $ws = fn() => pick(['', '', ' ', "\n", "\t"]);
    $items = [];
    foreach ($members as [$k, $v]) $items[] = $ws() . rnd_string_json($k) . $ws() . ':' . $ws() . $v . $ws();
    return $ws() . '{' . implode(',', $items) . '}' . $ws();
}

function mutate(string $s): string {
    $n = strlen($s);
    if ($n === 0) return '{';
    $pos = mt_rand(0, $n - 1);
    switch (mt_rand(0, 5)) {
    case 0: return substr($s, 0, $pos) . substr($s, $pos + 1);
    case 1: return substr($s, 0, $pos) . pick(['"', '\\', ',', '}', ']', '{', ' ', "\x01", "\xff", "\xc3", "'", '/', 'e', '-', '0']) . substr($s, $pos);
    case 2: return substr($s, 0, $pos);
    case 3: return $s . pick(['x', ',', '}', ' //c', "\x0b", '{}']);
    case 4: $s[$pos] = chr(mt_rand(1, 255)); return $s;
    default: return pick(['/*c*/', "\xEF\xBB\xBF", "'", 'NaN', '']) . $s;
    }
}

$fixed = [
    '{"uid":"5"}', '{"uid":5}', '{"uid":5.0}', '{"uid":1e25}', '{"uid":-0.0}', '{"uid":""}',
    '{"uid":" "}', '{"uid":null}', '{}', '[]', '[{"uid":"5"}]', '"x"', '5', 'null', '',
    '{"uid":"5",}', "{'uid':'5'}", '{"uid":"5"}x', '{"uid":"\ud800"}', '{"uid":"\ud800\u0041"}',
    '{"uid":"{\"uid\":\"12\",\"FunctionType\":4}"}', '{"uid":"{\"FunctionType\":4,\"uid\":\"12\"}"}',
    '{"uid":"{\"FunctionType\":1}","a":1}', '{"uid":"{\"FunctionType\":1}\u000b"}',
    '{"uid":" {\"FunctionType\":1}"}', '{"uid":"{\"FunctionType\":1} \n"}',
    '{"uid":"5","FunctionType":1,"x":[1.0,1e2,1e25,0.1,-0.0,123456789012345678901234,{},{"0":1,"1":2},{"1":1,"0":2}]}',
    '{"uid":"5","FunctionType":2,"ratio":50,"msg":"bad"}', '{"uid":"5","FunctionType":1,"x":1e999}',
    '{"uid":"5","FunctionType":1,"s":"\u00e9\ud83d\ude00\u2028/\u0001\u001f\b\f\n\r\t"}',
    '{"uid":"5","uid":"6"}', '{"a\u0000b":1,"uid":"5","FunctionType":1}',
    str_repeat('[', 511) . str_repeat(']', 511), '{"uid":"5","d":' . str_repeat('[', 510) . str_repeat(']', 510) . '}',
    '{"uid":"5","FunctionType":1,"d":' . str_repeat('[', 510) . str_repeat(']', 510) . '}',
    '{"uid":"5","d":' . str_repeat('[', 511) . str_repeat(']', 511) . '}',
];
/* Doubles from random bit patterns and near powers of two (where the
 * shortest round-trip digits are hardest), as uid (PHP's (string) cast,
 * precision 14) and as a value json_encode prints (shortest). */
function rnd_double_text(): string {
    if (mt_rand(0, 1)) {
        $d = unpack('e', pack('P', (mt_rand(0, 0x7FEFFFFF) << 32) | mt_rand(0, 0xFFFFFFFF)))[1];
    } else {
        $d = 2.0 ** mt_rand(-1074, 1023);
        $d = unpack('e', pack('P', unpack('P', pack('e', $d))[1] + mt_rand(-2, 2)))[1];
    }
    if (!is_finite($d) || is_nan($d)) $d = 1.5;
    return (mt_rand(0, 1) ? '-' : '') . sprintf('%.17e', $d);
}
$inputs = $fixed;
for ($i = 0; $i < intdiv($count, 8); $i++) {
    $a = rnd_double_text();
    $inputs[] = '{"uid":' . $a . ',"FunctionType":1,"x":[' . $a . ',' . rnd_double_text() . ']}';
}
while (count($inputs) < $count) {
    $line = rnd_line();
    if (mt_rand(0, 5) === 0) $line = mutate($line);
    if (mt_rand(0, 30) === 0) $line = rnd_json();
    $inputs[] = $line;
}
// The C side reads NUL-separated lines.
$inputs = array_values(array_filter($inputs, fn($s) => strpos($s, "\0") === false));

$tmp = tempnam(sys_get_temp_dir(), 'wspdiff');
file_put_contents($tmp, implode("\0", $inputs) . "\0");
$out = shell_exec(escapeshellarg($bin) . ' -0 < ' . escapeshellarg($tmp));
unlink($tmp);
if (!is_string($out)) { fwrite(STDERR, "json_php_diff: cannot run $bin\n"); exit(2); }
$got = explode("\n", rtrim($out, "\n"));
if (count($got) !== count($inputs)) {
    fwrite(STDERR, sprintf("json_php_diff: %d inputs, %d results\n", count($inputs), count($got)));
    exit(1);
}
$bad = 0;
$kinds = [];
foreach ($inputs as $i => $line) {
    $want = expected($line);
    $kind = preg_match('/^ok [12] /', $want) ? 'rewritten' : (str_starts_with($want, 'ok') ? 'verbatim' : substr($want, 5));
    $kinds[$kind] = ($kinds[$kind] ?? 0) + 1;
    if ($got[$i] === $want) continue;
    if (++$bad <= 20) {
        fwrite(STDERR, "MISMATCH input: " . var_export($line, true) . "\n  php: $want\n  c:   {$got[$i]}\n");
    }
}
ksort($kinds);
$summary = implode(', ', array_map(fn($k, $n) => "$k $n", array_keys($kinds), $kinds));
printf("json_php_diff: %d inputs (%s), %d mismatches (seed %d)\n", count($inputs), $summary, $bad, $seed);
exit($bad ? 1 : 0);
