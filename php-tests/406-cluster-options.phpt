--TEST--
Cluster: a bad redis:// URL is refused when the option is set; an unreachable Redis, a wrong password or database make start() throw with the reason (no node that cannot reach Redis starts serving)
--EXTENSIONS--
wspush
--SKIPIF--
<?php
include __DIR__ . '/skipif.inc';
require_once __DIR__ . '/wsclient.inc';
require_once __DIR__ . '/cluster.inc';
if (($r = wsp_cluster_skip_reason()) !== '') die("skip $r");
?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
require __DIR__ . '/cluster.inc';
foreach (['redis://h/x', 'redis://h:0/0', 'redis://h/0?colour=red', 'redis://h/0?timeout=0', 'redis://[::1/0'] as $url) {
    try {
        new WsPush\Server(['store' => $url]);
        echo "$url accepted\n";
    } catch (Throwable $e) {
        echo get_class($e), ': ', preg_replace('/^.*\(\$options\) /', '', $e->getMessage()), "\n";
    }
}
$redis = wsp_redis_start();
$redis->cli('CONFIG', 'SET', 'requirepass', 'pw');
$start = function (string $url) {
    try {
        [$s] = wsp_node($url);
        echo "started\n";
        $s->stop(0);
    } catch (WsPush\Exception $e) {
        echo preg_replace('/[0-9.]+:\d+/', 'ADDR', $e->getMessage()), "\n";
    }
};
$free = $redis->port + 1;
$start("redis://127.0.0.1:$free/0?timeout=0.5");                // nobody listens
$start("redis://:nope@127.0.0.1:{$redis->port}/0");             // wrong password
$start("redis://:pw@127.0.0.1:{$redis->port}/99999");           // no such database
$start("redis://:pw@127.0.0.1:{$redis->port}/3?prefix=x:");     // fine
echo "done\n";
?>
--EXPECTF--
ValueError: store: bad Redis URL; expected redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=SECONDS]
ValueError: store: bad Redis URL; expected redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=SECONDS]
ValueError: store: unknown parameter "colour=red" in the Redis URL (known: prefix, timeout)
ValueError: store: bad Redis URL; expected redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=SECONDS]
ValueError: store: bad Redis URL; expected redis://[:PASSWORD@]HOST[:PORT][/DB][?prefix=P&timeout=SECONDS]
cannot start the push server: store: cannot connect to Redis at ADDR: Connection refused
cannot start the push server: store: Redis AUTH failed: %s
cannot start the push server: store: Redis SELECT 99999 failed: %s
started
done
