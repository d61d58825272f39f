--TEST--
docs/protocol.md §6: a line over max_line gets fail and then a close; earlier pipelined lines are answered first
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server(['max_line' => '1024']);
// a line of exactly max_line bytes (without the newline) is accepted
$fits = '{"uid":"5","pad":"' . str_repeat('x', 1024 - 20) . '"}';
var_dump(strlen($fits));
var_dump(push_line($push, $fits));
$p = new PushConn($push);
$p->write('{"uid":"5","m":1}' . "\n" . 'bad' . "\n" . '{"uid":"5","pad":"' . str_repeat('y', 3000) . '"}' . "\n"
    . '{"uid":"5","m":2}' . "\n");
var_dump($p->read_reply(), $p->read_reply(), $p->read_reply());
var_dump($p->expect_eof(3.0));
// a long line without any newline at all is cut off the same way
$q = new PushConn($push);
$q->write(str_repeat('z', 5000));
var_dump($q->read_reply(), $q->expect_eof(3.0));
// the server is fine afterwards
var_dump(push_line($push, '{"uid":"5","m":3}'));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
int(1024)
string(6) "queued"
string(6) "queued"
string(4) "fail"
string(4) "fail"
bool(true)
string(4) "fail"
bool(true)
string(6) "queued"
done
