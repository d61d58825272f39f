--TEST--
Issue 3: an unwritable data_dir gives a clear WsPush\Exception at start (no crash, nothing listening)
--EXTENSIONS--
wspush
pcntl
posix
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$tmp = wsp_tmpdir();
file_put_contents("$tmp/file", "a regular file\n");
// a path under a regular file cannot be created, even by root
foreach (["$tmp/file/sub", "$tmp/file/a/b/c", "$tmp/file"] as $d) {
    try {
        wsp_file_server($d, $tmp);
        echo "started on $d\n";
    } catch (WsPush\Exception $e) {
        echo str_replace($tmp, 'TMP', $e->getMessage()), "\n";
    }
}
// A directory whose permissions forbid writing. Both branches run where the
// test runs as root (CI): the non-root one in a forked child that drops to
// nobody, the root one in this process (root may write there: it starts).
$root = posix_geteuid() === 0;
$nb = "$tmp/nb";
mkdir($nb, 0700);
if ($root) {
    chmod($tmp, 0711);                       // nobody may pass through
    chown($nb, 'nobody');
}
mkdir("$tmp/ro", 0500);
mkdir("$nb/ro", 0500);
if ($root) chown("$nb/ro", 'nobody');
$pid = pcntl_fork();
if ($pid === 0) {
    if ($root) {
        $pw = posix_getpwnam('nobody');
        if (!$pw || !posix_setgid($pw['gid']) || !posix_setuid($pw['uid'])) {
            file_put_contents("$tmp/nb-result", "cannot drop to nobody\n");
            posix_kill(posix_getpid(), SIGKILL);
        }
    }
    try {
        wsp_file_server("$nb/ro/data", $nb);
        $r = "started on ro";
    } catch (WsPush\Exception $e) {
        $r = str_replace($nb, 'TMP', $e->getMessage());
    }
    $r = (posix_geteuid() === 0 ? "still root: " : "non-root: ") . $r . "\n";
    file_put_contents($root ? "$nb/result" : "$tmp/nb-result", $r);
    posix_kill(posix_getpid(), SIGKILL);    // no shutdown functions in the child
}
pcntl_waitpid($pid, $status);
echo @file_get_contents("$nb/result") ?: @file_get_contents("$tmp/nb-result") ?: "no result from the child\n";
if ($root) {
    try {
        [$r, , ] = wsp_file_server("$tmp/ro/data", $tmp);
        $r->stop();
        echo "root: started on ro\n";
    } catch (WsPush\Exception $e) {
        echo "root: ", str_replace($tmp, 'TMP', $e->getMessage()), "\n";
    }
} else {
    echo "root: not run (not root; CI runs as root)\n";
}
var_dump(file_get_contents("$tmp/file"));
// the same options with a good data_dir work, in the same process
[$s, $ws, $push] = wsp_file_server("$tmp/ok", $tmp);
var_dump(push_line($push, '{"uid":"5","m":1}'));
$s->stop();
echo "done\n";
?>
--EXPECTF--
%sdata_dir TMP/file/sub is not writable: Not a directory
%sdata_dir TMP/file/a/b/c is not writable: Not a directory
%sdata_dir TMP/file is not writable: Not a directory
non-root: %sdata_dir TMP/ro/data is not writable: Permission denied
root: %r(started on ro|not run \(not root; CI runs as root\))%r
string(15) "a regular file
"
string(6) "queued"
done
