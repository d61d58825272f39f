--TEST--
push_listen: without push_token the push port refuses a non-loopback address unless push_insecure=1
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
$dir = wsp_tmpdir();
$base = ['ws_listen' => '127.0.0.1:0', 'store' => 'memory', 'log_file' => '', 'close_log_file' => ''];
$try = function (array $o) use ($base) {
    $s = new WsPush\Server($o + $base);
    try {
        $s->start();
        $st = $s->stats();
        $s->stop(0);
        return 'started' . ($st['push_port'] > 0 ? '' : ' without a push port');
    } catch (WsPush\Exception $e) {
        return 'refused: ' . $e->getMessage();
    }
};
echo $try(['push_listen' => '0.0.0.0:0']), "\n";
echo $try(['push_listen' => '[::]:0']), "\n";
echo $try(['push_listen' => '0.0.0.0:0', 'push_insecure' => true]), "\n";
echo $try(['push_listen' => '0.0.0.0:0', 'push_token' => 't']), "\n";
echo $try(['push_listen' => '127.0.0.1:0']), "\n";
echo $try(['push_listen' => 'localhost:0']), "\n";
echo $try(['push_listen' => '127.0.0.1:0', 'push_insecure' => false]), "\n";
try {
    new WsPush\Server(['push_insecure' => 'maybe']);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
echo "done\n";
?>
--EXPECT--
refused: cannot start the push server: push_listen: 0.0.0.0:0 is not a loopback address: set push_token (backends then send AUTH <token>), or push_insecure=1 to accept pushes from anyone who can reach it
refused: cannot start the push server: push_listen: [::]:0 is not a loopback address: set push_token (backends then send AUTH <token>), or push_insecure=1 to accept pushes from anyone who can reach it
started
started
started
started
started
WsPush\Server::__construct(): Argument #1 ($options) push_insecure: expected 1/0, true/false, yes/no or on/off, got "maybe"
done
