--TEST--
Issue 13 defect 5: fork() after start() (pcntl_fork in a console command): the child's calls throw at once instead of hanging, its stop() does nothing, and it holds none of the server's sockets or its store lock, so the parent closes clients and restarts on the same ports and data dir while the child lives
--EXTENSIONS--
wspush
pcntl
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$dir = wsp_tmpdir();
// ports below the ephemeral range, so nothing else takes them between the
// stop and the restart (see 034)
for ($try = 1; ; $try++) {
    $wsP = random_int(20000, 32767);
    $pushP = random_int(20000, 32767);
    try {
        [$s, $ws, $push] = wsp_file_server("$dir/data", $dir,
            ['ws_listen' => "127.0.0.1:$wsP", 'push_listen' => "127.0.0.1:$pushP"]);
        break;
    } catch (WsPush\Exception $e) {
        if ($try >= 50) throw $e;
    }
}
$c = ws_connect($ws, '5');
$c->recv_text();
var_dump($s->push('6', 'queued before the fork'));
[$mine, $theirs] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
$pid = pcntl_fork();
if ($pid === 0) {
    fclose($mine);
    pcntl_alarm(20);   // a hang kills the child (and fails the test) instead of blocking it
    $calls = [
        'push' => fn() => $s->push('5', 'from the child'),
        'stats' => fn() => $s->stats(),
        'isOnline' => fn() => $s->isOnline('5'),
        'poll' => fn() => $s->poll(0.1),
        'start' => fn() => $s->start(),
    ];
    foreach ($calls as $name => $f) {
        try {
            $f();
            echo "child $name: returned\n";
        } catch (WsPush\Exception $e) {
            echo "child $name: ", $e->getMessage(), "\n";
        }
    }
    $s->stop();
    echo "child stop: returned\n";
    // a server of its own works in the child
    $own = new WsPush\Server(wsp_file_opts("$dir/child-data", $dir, ['log_file' => '', 'close_log_file' => '']));
    $own->start();
    var_dump($own->push('7', 'child server'));
    $own->stop(0);
    fwrite($theirs, "ready\n");
    fread($theirs, 1);   // live until the parent is done
    exit(0);             // the destructor leaves the parent's server alone
}
fclose($theirs);
$said = trim((string)fgets($mine));
echo "parent: child says $said\n";
// the parent's server goes on
var_dump(push_line($push, push_json('5', ['n' => 1])));
var_dump($c->recv_text());
// the stop closes the client for real (the child holds no copy of its socket)
$s->stop(0.5);
var_dump($c->expect_close_code(), $c->expect_eof(3.0));
// same ports, same data dir, while the child still lives
$s2 = new WsPush\Server(wsp_file_opts("$dir/data", $dir,
    ['ws_listen' => "127.0.0.1:$ws", 'push_listen' => "127.0.0.1:$push"]));
$s2->start();
var_dump($s2->stats()['outbox_depth'] >= 1);   // 6's message at least
$s2->stop(0);
fwrite($mine, 'x');
pcntl_waitpid($pid, $status);
var_dump(pcntl_wifexited($status) ? pcntl_wexitstatus($status) : 'killed by ' . pcntl_wtermsig($status));
echo "done\n";
?>
--EXPECTF--
string(6) "queued"
child push: this WsPush\Server runs in process %d, the parent of this forked process: a child cannot use it (push with WsPush\Client, or create and start a server of its own)
child stats: this WsPush\Server runs in process %d, %s
child isOnline: this WsPush\Server runs in process %d, %s
child poll: this WsPush\Server runs in process %d, %s
child start: this WsPush\Server runs in process %d, %s
child stop: returned
string(6) "queued"
parent: child says ready
string(2) "ok"
string(17) "{"uid":"5","n":1}"
int(1001)
bool(true)
bool(true)
int(0)
done
