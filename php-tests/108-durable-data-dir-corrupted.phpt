--TEST--
Issue 3: a corrupted store in data_dir gives a clear WsPush\Exception at start - never a crash, never a silent start, and the file is left as it was
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
<?php if (!function_exists('pcntl_sigprocmask')) die('skip pcntl needed by serve_child.php'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
// a store holding a few messages, cleanly stopped
$good = "$tmp/good";
[$s, $ws, $push] = wsp_file_server($good, $tmp);
$lines = [];
for ($i = 1; $i <= 20; $i++) $lines[] = json_encode(['uid' => (string)($i % 3), 'm' => "MSG-$i-" . str_repeat('z', 300)]);
var_dump(array_count_values(push_lines($push, $lines)));
$s->stop();
$orig = file_get_contents("$good/data.mdb");
var_dump(strlen($orig) > 0, strpos($orig, 'wspush-outbox-2') !== false, strpos($orig, 'MSG-7-') !== false);

// Each damaged copy is started in a child process, so that a crash is seen
// as "signal N" instead of taking this test down.
$cases = [
    'garbage' => fn($b) => str_repeat("\xA5\x5A garbage ", intdiv(strlen($b), 10) + 1),
    'truncated-header' => fn($b) => substr($b, 0, 100),
    'truncated-half' => fn($b) => substr($b, 0, intdiv(strlen($b), 2)),
    'zeroed-pages' => fn($b) => substr($b, 0, 8192) . str_repeat("\0", strlen($b) - 8192),
    'record-byte-flipped' => fn($b) => str_replace('MSG-7-', 'MSG-X-', $b),
    'unknown-format' => fn($b) => str_replace('wspush-outbox-2', 'wspush-outbox-9', $b),
];
foreach ($cases as $name => $damage) {
    $d = "$tmp/$name";
    mkdir($d);
    copy("$good/lock.mdb", "$d/lock.mdb");
    file_put_contents("$d/data.mdb", $damage($orig));
    $before = md5_file("$d/data.mdb");
    $r = wsp_child_start_error(wsp_file_opts($d, $tmp));
    echo "$name: ", str_replace($tmp, 'TMP', $r), "\n";
    var_dump(md5_file("$d/data.mdb") === $before);
}
// the undamaged store still starts, with all its messages
[$s, $ws, $push] = wsp_file_server($good, $tmp);
var_dump($s->stats()['outbox_depth']);
$s->stop();
echo "done\n";
?>
--EXPECTF--
array(1) {
  ["queued"]=>
  int(20)
}
bool(true)
bool(true)
bool(true)
garbage: exception: WsPush\Exception: %sdata_dir TMP/garbage holds a corrupted store (data.mdb): %s
bool(true)
truncated-header: exception: WsPush\Exception: %sdata_dir TMP/truncated-header holds a corrupted store (data.mdb): %s
bool(true)
truncated-half: exception: WsPush\Exception: %sdata_dir TMP/truncated-half holds a corrupted store (data.mdb): %s
bool(true)
zeroed-pages: exception: WsPush\Exception: %sdata_dir TMP/zeroed-pages holds a corrupted store (data.mdb): %s
bool(true)
record-byte-flipped: exception: WsPush\Exception: %sdata_dir TMP/record-byte-flipped holds a corrupted store (data.mdb): %s
bool(true)
unknown-format: exception: WsPush\Exception: %sdata_dir TMP/unknown-format holds a store of an unknown format (wspush-outbox-9)
bool(true)
int(20)
done
