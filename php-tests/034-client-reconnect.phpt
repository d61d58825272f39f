--TEST--
WsPush\Client: a kept connection that died with a server restart is reopened by the next send(); a timeout is an exception
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
// The second server must bind the first one's push port after it stopped. A
// port picked with port 0 is in the ephemeral range (32768-60999), where any
// outgoing connection on the machine may take it in between; one below it
// cannot be taken that way. Random, retried while in use.
for ($try = 1; ; $try++) {
    $port = random_int(20000, 32767);
    try {
        [$s, $ws, $push] = wsp_test_server(['push_listen' => "127.0.0.1:$port"]);
        break;
    } catch (WsPush\Exception $e) {
        if ($try >= 50) throw $e;
    }
}
$cl = new WsPush\Client("tcp://127.0.0.1:$push", 1.0);
var_dump($cl->send('5', ['n' => 1]));
$s->stop(0);
// a new server on the same push port
[$s2] = wsp_test_server(['push_listen' => "127.0.0.1:$push"]);
var_dump($s2->stats()['push_port'] === $push);
var_dump($cl->send('5', ['n' => 2]));
var_dump($s2->stats()['push_lines']);
// a peer that accepts but never answers: send() times out with an exception
$mute = stream_socket_server('tcp://127.0.0.1:0');
$name = stream_socket_get_name($mute, false);
$mport = (int)substr($name, strrpos($name, ':') + 1);
$t = microtime(true);
try {
    (new WsPush\Client("tcp://127.0.0.1:$mport", 0.3, ['persistent' => false]))->send('5', ['n' => 3]);
    echo "no exception\n";
} catch (WsPush\Exception $e) {
    echo "timeout: WsPush\\Exception\n";
}
$dt = microtime(true) - $t;
var_dump($dt >= 0.25 && $dt < 3.0);
$s2->stop(0);
echo "done\n";
?>
--EXPECT--
string(6) "queued"
bool(true)
string(6) "queued"
int(1)
timeout: WsPush\Exception
bool(true)
done
