--TEST--
Issue 15: logrotate - move both log files, SIGUSR1 (then SIGHUP): the server lives on, the new files get the next push line and close line, the old ones keep theirs; SIGTERM then exits 0
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc';
if (!function_exists('proc_open') || !function_exists('posix_kill') || !function_exists('pcntl_sigprocmask')) die('skip proc_open/posix/pcntl needed'); ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$dir = wsp_tmpdir();
$c = wsp_child_start(wsp_file_opts("$dir/data", $dir, ['store' => 'memory']));
$read = fn(string $f) => (string)@file_get_contents("$dir/$f");

/* One round: a push (queued: nobody is bound) and a bound connection that
 * closes, then wait for both lines in the current files. */
function round_trip(WspChild $c, string $dir, string $tag): void
{
    var_dump(push_line($c->push, '{"uid":"5","m":"' . $tag . '"}'));
    $w = ws_connect($c->ws, "k-$tag");
    $w->close(1000);
    $w->expect_close_code();
    var_dump(wait_until(fn() => str_contains((string)@file_get_contents("$dir/w.log"), $tag)
        && str_contains((string)@file_get_contents("$dir/c.log"), "key=k-$tag ")));
}

round_trip($c, $dir, 'first');
foreach ([['SIGUSR1', SIGUSR1, '1'], ['SIGHUP', SIGHUP, '2']] as [$name, $sig, $suffix]) {
    rename("$dir/w.log", "$dir/w.log.$suffix");
    rename("$dir/c.log", "$dir/c.log.$suffix");
    posix_kill($c->pid, $sig);
    // the reopen line is the first line of the new main log
    var_dump(wait_until(fn() => str_contains($read('w.log'), ' reopen ')));
    $tag = $suffix === '1' ? 'second' : 'third';
    round_trip($c, $dir, $tag);
    echo "$name: alive=", var_export($c->running(), true),
        " old main has it=", var_export(str_contains($read("w.log.$suffix"), $tag), true),
        " old close has it=", var_export(str_contains($read("c.log.$suffix"), "k-$tag"), true), "\n";
}
// each moved file kept exactly its round
var_dump(str_contains($read('w.log.1'), 'first'), str_contains($read('w.log.2'), 'second'),
    str_contains($read('c.log.1'), 'key=k-first '), str_contains($read('c.log.2'), 'key=k-second '));
var_dump($c->term(), $c->exitCode);
echo "done\n";
?>
--EXPECT--
string(6) "queued"
bool(true)
bool(true)
string(6) "queued"
bool(true)
SIGUSR1: alive=true old main has it=false old close has it=false
bool(true)
string(6) "queued"
bool(true)
SIGHUP: alive=true old main has it=false old close has it=false
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
int(0)
done
