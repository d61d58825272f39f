--TEST--
docs/protocol.md §3: an empty (or all-whitespace) frame binds nothing; the next real frame binds
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$c = ws_connect($ws, '');
$c->text("  \t\n ");
$c->binary('');
// the connection is open, nothing is bound
$c->ping('x');
$f = $c->read_frame();
var_dump($f[0] === WS_PONG, $f[1]);
var_dump($s->stats()['connections'], $s->stats()['bound']);
$c->text('9');
var_dump($c->recv_text());
var_dump($s->stats()['bound'], $s->isOnline('9'));
$s->stop(0);
echo "done\n";
?>
--EXPECT--
bool(true)
string(1) "x"
int(1)
int(0)
string(9) "biubiubiu"
int(1)
bool(true)
done
