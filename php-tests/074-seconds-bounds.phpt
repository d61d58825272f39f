--TEST--
Issue 13 defect 7: options in seconds are bounded (10 ms to 365 days) and a value out of range is a ValueError naming the range, as is a poll() timeout over a day
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
foreach (['ttl' => '1e300', 'heartbeat_timeout' => '1e16', 'ping_fallback_after' => '0.001',
          'drain_seconds' => 40000000] as $name => $v) {
    try {
        new WsPush\Server([$name => $v]);
        echo "$name=$v accepted\n";
    } catch (ValueError $e) {
        echo $e->getMessage(), "\n";
    }
}
[$s] = wsp_test_server(['ttl' => 31536000, 'heartbeat_timeout' => '0.5']);
try {
    $s->poll(1e300);
} catch (ValueError $e) {
    echo $e->getMessage(), "\n";
}
var_dump($s->push('5', 'kept: the ttl is a year'), $s->stats()['outbox_depth']);
$s->stop(0);
?>
--EXPECT--
WsPush\Server::__construct(): Argument #1 ($options) ttl: expected between 0.01 and 31536000 seconds (365 days), got "1e300"
WsPush\Server::__construct(): Argument #1 ($options) heartbeat_timeout: expected between 0.01 and 31536000 seconds (365 days), got "1e16"
WsPush\Server::__construct(): Argument #1 ($options) ping_fallback_after: expected between 0.01 and 31536000 seconds (365 days), got "0.001"
WsPush\Server::__construct(): Argument #1 ($options) drain_seconds: expected between 0.01 and 31536000 seconds (365 days), got "40000000"
WsPush\Server::poll(): Argument #1 ($timeout) must be between 0 and 86400 seconds
string(6) "queued"
int(1)
