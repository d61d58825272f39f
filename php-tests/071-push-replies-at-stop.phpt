--TEST--
Issue 13 defect 3: at stop, every push line the server read gets its reply before the connection closes (they were written into the connection's buffer and freed with it), and each reply is what the store made of the push
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
require __DIR__ . '/durable.inc';
$bad = 0;
for ($round = 0; $round < 10; $round++) {
    $dir = wsp_tmpdir();
    [$s, $ws, $push] = wsp_file_server("$dir/data", $dir, ['fsync' => $round % 2 ? 'always' : 'batch']);
    $p = new PushConn($push);
    $N = 300;
    $p->write(implode('', array_map(fn($i) => push_json((string)($i % 7), ['n' => $i]) . "\n", range(1, $N))));
    // every line read (and pushed), most replies still waiting for the store
    wait_until(fn() => $s->stats()['push_lines'] >= $N);
    $s->stop(0);
    $replies = [];
    while (($r = $p->read_reply(5.0)) !== null) {
        $replies[] = $r;
    }
    $p->close();
    $counts = array_count_values($replies);
    if (count($replies) !== $N || ($counts['queued'] ?? 0) !== $N) {
        $bad++;
        echo "round $round: ", count($replies), " replies: ", json_encode($counts), "\n";
    }
    // what was answered queued is there after a restart
    [$s2] = wsp_file_server("$dir/data", $dir);
    if ($s2->stats()['outbox_depth'] !== $N) {
        echo "round $round: ", $s2->stats()['outbox_depth'], " held after restart\n";
    }
    $s2->stop(0);
}
echo "rounds with lost replies: $bad\n";
?>
--EXPECT--
rounds with lost replies: 0
