--TEST--
php --ri wspush: version, the libevent / json-c / OpenSSL / LMDB versions built with and running with, every optional feature on or off
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
ob_start();
(new ReflectionExtension('wspush'))->info();
$info = ob_get_clean();
echo preg_match('/^Version => (\S+)$/m', $info, $m) && $m[1] === phpversion('wspush') ? "version ok\n" : "no version\n";
foreach (['libevent' => '/^2\.\d+\.\d+/', 'json-c' => '/^0\.\d+/', 'OpenSSL' => '/^OpenSSL \d+\.\d+/', 'LMDB' => '/^LMDB \d+\.\d+\.\d+/'] as $lib => $re) {
    $ok = preg_match('/^' . preg_quote($lib, '/') . ' => (.+) => (.+)$/m', $info, $m)
        && preg_match($re, $m[1]) && preg_match($re, $m[2]);
    echo $lib, ': ', $ok ? 'built with and running with' : 'missing', "\n";
}
foreach (['Redis store', 'TLS listener'] as $f) {
    echo $f, ': ', preg_match('/^' . $f . ' .* => (yes|no \(rebuild with --(with|enable)-wspush-\S+; Debian: \S+\))$/m', $info) ? 'listed' : 'missing', "\n";
}
?>
--EXPECT--
version ok
libevent: built with and running with
json-c: built with and running with
OpenSSL: built with and running with
LMDB: built with and running with
Redis store: listed
TLS listener: listed
