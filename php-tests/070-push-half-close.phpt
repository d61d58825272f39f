--TEST--
Issue 13 defect 3: a backend that half-closes after writing (two lines, then shutdown(SHUT_WR), as `printf ... | nc -q1` does) gets one reply per line, in order, before the server closes
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$dir = wsp_tmpdir();
// the file store: replies wait for the group commit, so they are still
// pending when the end of input arrives
[$s, $ws, $push] = wsp_file_server("$dir/data", $dir);
$tries = [];
for ($i = 0; $i < 5; $i++) {
    $c = stream_socket_client("tcp://127.0.0.1:$push", $errno, $errstr, 2);
    fwrite($c, push_json('5', ['n' => 2 * $i]) . "\n" . push_json('6', ['n' => 2 * $i + 1]) . "\n");
    stream_socket_shutdown($c, STREAM_SHUT_WR);
    stream_set_timeout($c, (int)ceil(wsp_t(5)));
    $got = stream_get_contents($c);   // until the server closes
    $tries[] = str_replace("\n", ' ', trim($got));
    fclose($c);
}
print_r(array_count_values($tries));
// a line of its own after the last full one is not a line: no reply for it,
// and nothing is pushed
$c = stream_socket_client("tcp://127.0.0.1:$push", $errno, $errstr, 2);
fwrite($c, push_json('5', ['n' => 'last']) . "\n" . '{"uid":"5","n":"partial"');
stream_socket_shutdown($c, STREAM_SHUT_WR);
stream_set_timeout($c, (int)ceil(wsp_t(5)));
var_dump(stream_get_contents($c));
fclose($c);
var_dump($s->stats()['push_lines']);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
Array
(
    [queued queued] => 5
)
string(7) "queued
"
int(11)
done
