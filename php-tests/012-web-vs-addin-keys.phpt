--TEST--
Defect 1: web key "12" and an add-in with uid 12 never receive each other's messages, in either direction
--EXTENSIONS--
wspush
--SKIPIF--
<?php include __DIR__ . '/skipif.inc'; ?>
--FILE--
<?php
require __DIR__ . '/wsclient.inc';
[$s, $ws, $push] = wsp_test_server();
$akey = '{"uid":"12","FunctionType":4,"Data":"","ErrMsg":null,"IsSuccess":"1"}';
$web = ws_connect($ws, '12');
$addin = ws_connect($ws, $akey);
var_dump($web->recv_text(), $addin->recv_text() === $akey);
$wl = [];
$al = [];
$lines = [
    ['{"uid":"12","m":"web-1"}', 'web'],
    ['{"uid":12,"m":"web-2"}', 'web'],
    [json_encode(['uid' => $akey, 'm' => 'addin-1']), 'addin'],
    ['{"uid":" 12 ","m":"web-3"}', 'web'],
    [json_encode(['uid' => '{"FunctionType":4,"uid":"12","Data":"","ErrMsg":null,"IsSuccess":"1"}', 'm' => 'addin-2']), 'addin'],
];
foreach ($lines as [$l, $to]) {
    echo push_line($push, $l), "\n";
    ${$to === 'web' ? 'wl' : 'al'}[] = $l;
}
// sentinels end each connection's stream; everything before must be exactly its own
push_line($push, '{"uid":"12","m":"end"}');
push_line($push, json_encode(['uid' => $akey, 'm' => 'end']));
var_dump($web->recv_until('{"uid":"12","m":"end"}') === $wl);
var_dump($addin->recv_until(json_encode(['uid' => $akey, 'm' => 'end']), 3.0, [$akey]) === $al);
// everything so far confirmed by the auto-pongs; then web goes:
// a push for "12" is queued, the add-in does not get it
var_dump(pump_until([$web, $addin], fn() => $s->stats()['outbox_depth'] == 0));
$web->close(1000);
var_dump($web->expect_close_code());
var_dump(wait_until(fn() => !$s->isOnline('12')));
var_dump(push_line($push, '{"uid":"12","m":"web-queued"}'));
push_line($push, json_encode(['uid' => $akey, 'm' => 'end2']));
var_dump($addin->recv_until(json_encode(['uid' => $akey, 'm' => 'end2']), 3.0, [$akey]));
// add-in gone: a push for the add-in is queued, a new web 12 gets only its own
var_dump(pump_until([$addin], fn() => $s->stats()['outbox_depth'] == 1));   // only web-queued left
$addin->close_tcp();
var_dump(wait_until(fn() => !$s->isOnline($akey)));
var_dump(push_line($push, json_encode(['uid' => $akey, 'm' => 'addin-queued'])));
$web2 = ws_connect($ws, '12');
push_line($push, '{"uid":"12","m":"end3"}');
var_dump($web2->recv_until('{"uid":"12","m":"end3"}', 3.0, ['biubiubiu']));
// and the add-in reconnecting gets its queued message, not the web one
$addin2 = ws_connect($ws, $akey);
push_line($push, json_encode(['uid' => $akey, 'm' => 'end4']));
var_dump($addin2->recv_until(json_encode(['uid' => $akey, 'm' => 'end4']), 3.0, [$akey])
    === [json_encode(['uid' => $akey, 'm' => 'addin-queued'])]);
$s->stop(0);
echo "done\n";
?>
--EXPECT--
string(9) "biubiubiu"
bool(true)
ok
ok
ok
ok
ok
bool(true)
bool(true)
bool(true)
int(1000)
bool(true)
string(6) "queued"
array(0) {
}
bool(true)
bool(true)
string(6) "queued"
array(1) {
  [0]=>
  string(29) "{"uid":"12","m":"web-queued"}"
}
bool(true)
done
