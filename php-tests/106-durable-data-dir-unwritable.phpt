--TEST--
Issue 3: an unwritable data_dir gives a clear WsPush\Exception at start (no crash, nothing listening)
--EXTENSIONS--
wspush
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
// a directory whose permissions forbid writing (only meaningful when not root)
if (function_exists('posix_geteuid') && posix_geteuid() !== 0) {
    mkdir("$tmp/ro", 0500);
    try {
        wsp_file_server("$tmp/ro/data", $tmp);
        echo "started on ro\n";
    } catch (WsPush\Exception $e) {
        echo str_replace($tmp, 'TMP', $e->getMessage()), "\n";
    }
} else {
    echo "data_dir TMP/ro/data is not writable: Permission denied\n";
}
var_dump(file_get_contents("$tmp/file"));
// the same options with a good data_dir work, in the same process
[$s, $ws, $push] = wsp_file_server("$tmp/ok", $tmp);
var_dump(push_line($push, '{"uid":"5","m":1}'));
$s->stop();
echo "done\n";
?>
--EXPECTF--
%Sdata_dir TMP/file/sub is not writable: Not a directory
%Sdata_dir TMP/file/a/b/c is not writable: Not a directory
%Sdata_dir TMP/file is not writable: Not a directory
%Sdata_dir TMP/ro/data is not writable: Permission denied
string(15) "a regular file
"
string(6) "queued"
done
