#!/usr/bin/python3
"""Operations tests (issue 15) against `bin/wspush serve`, the way an operator
runs it, with independent clients: python3-websockets for WebSocket,
plain sockets for the push port, and Debian's python3-prometheus-client to
parse /metrics.

1. A scripted scenario (bind, heartbeat, push ok / queued / fail, replay,
   confirm, drop, timeout close), once with log_format text and once with
   json: the log lines and their fields are checked, and the /metrics
   counters (parsed by prometheus_client) against the same scenario;
   /healthz answers 200 while serving.
2. SIGTERM during traffic: exit 0, every WebSocket client sees 1001, every
   push line the server read is answered (as many replies as push log
   lines), and nothing answered ok / queued is lost: a restart on the same
   data_dir delivers the rest.
3. /metrics on the WebSocket port: 403 to a peer that is not loopback (when
   the host has such an address), /healthz 200 to it; a scrape does not count
   itself among the connections.

Run with Debian's interpreter:  /usr/bin/python3 tests/python/test_ops.py
Environment: WSPUSH_SO (default <repo>/modules/wspush.so), PHP (default php).
"""
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import websockets
from prometheus_client.parser import text_string_to_metric_families

from harness import HERE, PHP, REPO, SO, check, push_lines, wait_for
BIN = os.path.join(REPO, "bin", "wspush")


class Serve:
    """`bin/wspush serve` in a child process."""

    def __init__(self, args):
        self.p = subprocess.Popen([PHP, "-d", "extension=" + SO, BIN, "serve",
                                   "--ws", "127.0.0.1:0", "--push", "127.0.0.1:0"] + args,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        m = re.match(r"wspush listening ws=[0-9.]+:(\d+) push=127\.0\.0\.1:(\d+) pid=(\d+)$",
                     line.strip())
        if not m:
            self.p.kill()
            raise RuntimeError("serve did not start: %r %r" % (line, self.p.stderr.read()))
        self.ws, self.push, self.pid = int(m.group(1)), int(m.group(2)), int(m.group(3))

    def http(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.ws, path), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metrics(self):
        status, text = self.http("/metrics")
        assert status == 200, (status, text)
        out = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return out

    def stop(self, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=timeout)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait()


def metric(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))))


# ---------------------------------------------------------------- log parsing

TEXT_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\S+) conn=(\S+) key=(\S+) "
                     r"seq=(\S+) result=(.*?) content=(.*)$")


def parse_log(path, fmt):
    """Lines as dicts with the same fields whatever the format: time, event,
    connId (int|None), key, seq, seqTo, result, content."""
    recs = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if fmt == "json":
                r = json.loads(line)
                check(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$", r["time"]),
                      "json time with ms: %r" % line)
                check(set(r) == {"time", "event", "connId", "key", "seq", "seqTo", "result",
                                 "content"}, "json fields: %r" % line)
            else:
                m = TEXT_RE.match(line)
                check(m, "text line shape: %r" % line)
                seq = m.group(5)
                lo, _, hi = seq.partition("-")
                # key and content escape spaces and control bytes as \xHH
                unesc = lambda v: re.sub(r"\\x([0-9a-f]{2})", lambda h: chr(int(h.group(1), 16)), v)
                dash = lambda v: None if v == "-" else unesc(v)
                r = {"time": m.group(1), "event": m.group(2),
                     "connId": None if m.group(3) == "-" else int(m.group(3)),
                     "key": dash(m.group(4)),
                     "seq": None if seq == "-" else int(lo),
                     "seqTo": None if seq == "-" else int(hi or lo),
                     "result": dash(m.group(6)), "content": dash(m.group(7))}
            recs.append(r)
    return recs


def find(recs, **want):
    out = []
    for r in recs:
        if all((v(r.get(k)) if callable(v) else r.get(k) == v) for k, v in want.items()):
            out.append(r)
    return out


# ---------------------------------------------------------------- 1. scenario

async def scenario(fmt):
    tmp = tempfile.mkdtemp(prefix="wspush-ops-")
    srv = Serve(["--store", "memory", "--data-dir", tmp + "/data", "--log-level", "debug",
                 "--log-format", fmt, "--heartbeat-timeout", "3", "--queue-limit", "2",
                 "--log-file", tmp + "/w.log", "--close-log-file", tmp + "/c.log"])
    try:
        check(srv.http("/healthz") == (200, "ok\n"), "healthz while serving")
        uri = "ws://127.0.0.1:%d/" % srv.ws
        # bind + heartbeat: a web page sends its uid, gets biubiubiu
        a = await websockets.connect(uri, ping_interval=0.3)
        await a.send("5")
        check(await asyncio.wait_for(a.recv(), 3) == "biubiubiu", "heartbeat reply")
        # push ok (delivered live, confirmed by the automatic Pong)
        check(push_lines(srv.push, ['{"uid":"5","m":"live-one"}']) == ["ok"], "push ok")
        check(json.loads(await asyncio.wait_for(a.recv(), 3))["m"] == "live-one", "live delivery")
        # push queued, then replayed on bind and confirmed
        check(push_lines(srv.push, ['{"uid":"9","m":"for-nine"}']) == ["queued"], "push queued")
        # push fail
        check(push_lines(srv.push, ["not json"]) == ["fail"], "push fail")
        b = await websockets.connect(uri, ping_interval=0.3)
        await b.send("9")
        got = [await asyncio.wait_for(b.recv(), 3) for _ in range(2)]
        check(any('"for-nine"' in g for g in got), "replay on bind: %r" % got)
        # drop: queue_limit 2, three queued for an offline key
        check(push_lines(srv.push, ['{"uid":"11","m":"d%d"}' % i for i in range(3)])
              == ["queued"] * 3, "three queued")
        # timeout close: a connection that completes the handshake, then stays silent
        def silent_conn():
            raw = socket.create_connection(("127.0.0.1", srv.ws))
            raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            raw.settimeout(12)
            data = b""
            while True:
                d = raw.recv(4096)
                if not d:
                    break
                data += d
            raw.close()
            return data
        # in a thread: the loop keeps running the other clients' keepalive pings
        data = await asyncio.get_running_loop().run_in_executor(None, silent_conn)
        check(b"\x88\x02\x03\xe9" in data, "1001 close frame on heartbeat timeout")
        m = None

        def confirmed():
            nonlocal m
            m = srv.metrics()
            return metric(m, "wspush_outbox_messages") == 2   # the two left for key 11
        check(await wait_for(confirmed, 5), "live and replayed messages confirmed")
        check(metric(m, "wspush_pushes_total", result="ok") == 1, "metrics ok")
        check(metric(m, "wspush_pushes_total", result="queued") == 4, "metrics queued")
        check(metric(m, "wspush_pushes_total", result="fail") == 1, "metrics fail")
        check(metric(m, "wspush_push_lines_total") == 6, "metrics lines")
        check(metric(m, "wspush_dropped_messages_total", reason="queue_limit") == 1, "metrics drop")
        check(metric(m, "wspush_dropped_messages_total", reason="retry_max") == 0, "no retry drop")
        check(metric(m, "wspush_replays_total") >= 1, "metrics replay")
        check(metric(m, "wspush_deliveries_total") >= 2, "metrics deliveries")
        check(metric(m, "wspush_confirmations_total") == 2, "metrics confirmations %r"
              % metric(m, "wspush_confirmations_total"))
        check(metric(m, "wspush_closes_total", reason="timeout") == 1, "metrics timeout close %r" % {k: v for k, v in m.items() if "close" in k[0]})
        check(metric(m, "wspush_connections", state="open", kind="web") == 2, "two web conns")
        check(metric(m, "wspush_keys") == 3, "keys 5, 9, 11")
        check(metric(m, "wspush_up") == 1, "up")
        check(metric(m, "wspush_store_commit_seconds_count") is not None, "histogram")
        check(metric(m, "wspush_log_lines_dropped_total") == 0, "no log loss")
        await a.close()
        await b.close()
        check(await wait_for(lambda: metric(srv.metrics(), "wspush_closes_total",
                                            reason="client") == 2), "client closes counted")
    finally:
        rc = srv.stop()
    check(rc == 0, "serve exit %r: %s" % (rc, srv.p.stderr.read()))

    recs = parse_log(tmp + "/w.log", fmt)
    closes = parse_log(tmp + "/c.log", fmt)
    shutil.rmtree(tmp, ignore_errors=True)
    bind5 = find(recs, event="bind", key="5", result="web")
    check(len(bind5) == 1 and bind5[0]["connId"], "bind line")
    conn_a = bind5[0]["connId"]
    check(find(recs, event="heartbeat", key="5", connId=conn_a, result="biubiubiu"), "heartbeat line")
    p5 = find(recs, event="push", key="5", result="ok", seq=1,
              content=lambda c: c is not None and "live-one" in c)
    check(len(p5) == 1, "push ok line")
    check(find(recs, event="push", key="9", result="queued", seq=1,
               content=lambda c: c is not None and "for-nine" in c), "push queued line")
    check(find(recs, event="push", key=None, result="fail",
               content=lambda c: c is not None and "not json" in c), "push fail line")
    conn_b = find(recs, event="bind", key="9")[0]["connId"]
    check(find(recs, event="replay", key="9", connId=conn_b, seq=1), "replay line")
    # "did user 5 get message X?": the push line gives the seq, a confirm
    # line of the same key covers it
    for key, seq in (("5", 1), ("9", 1)):
        check(find(recs, event="confirm", key=key,
                   seq=lambda s: s is not None and s <= seq,
                   seqTo=lambda s: s is not None and s >= seq), "confirm of %s/%d" % (key, seq))
    check(find(recs, event="drop", key="11", seq=1, result="queue_limit",
               content=lambda c: c is not None and "d0" in c), "drop line")
    tclose = find(closes, event="close", result=lambda r: r and r.startswith("heartbeat timeout"))
    check(len(tclose) == 1 and "code=1001" in tclose[0]["result"], "timeout close in the close log")
    check(find(recs, event="close", result=lambda r: r and r.startswith("heartbeat timeout")),
          "timeout close in the main log")
    check(len(find(closes, event="close", result=lambda r: r and r.startswith("client close")))
          == 2, "client closes in the close log")
    check(find(recs, event="stopping") and find(recs, event="stop"), "stop lines")


async def t_scenario_text():
    await scenario("text")


async def t_scenario_json():
    await scenario("json")


# ---------------------------------------------------------------- 2. SIGTERM

async def collect(ws, got):
    try:
        async for msg in ws:
            if msg != "biubiubiu":
                got.append(json.loads(msg)["n"])
    except websockets.ConnectionClosed:
        pass


async def t_sigterm_during_traffic():
    tmp = tempfile.mkdtemp(prefix="wspush-ops-term-")
    args = ["--store", "file", "--data-dir", tmp + "/data", "--drain-seconds", "2",
            "--heartbeat-timeout", "30", "--log-file", tmp + "/w.log", "--close-log-file", ""]
    srv = Serve(args)
    live_keys, offline_keys = ["1", "2", "3"], ["4", "5"]
    conns, got, tasks = {}, {}, []
    for k in live_keys:
        ws = await websockets.connect("ws://127.0.0.1:%d/" % srv.ws, ping_interval=None)
        await ws.send(k)
        conns[k], got[k] = ws, []
        tasks.append(asyncio.ensure_future(collect(ws, got[k])))
    answered = {}          # n -> (key, reply)
    sent_lines = 0
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.push)
    keys = live_keys + offline_keys

    async def pusher():
        nonlocal sent_lines
        n = 0
        try:
            while True:
                batch = []
                for _ in range(50):
                    batch.append((n, keys[n % len(keys)]))
                    n += 1
                writer.write(b"".join(b'{"uid":"%s","n":%d}\n' % (k.encode(), i) for i, k in batch))
                await writer.drain()
                sent_lines += len(batch)
                for i, k in batch:
                    line = await reader.readline()
                    if not line:
                        return
                    answered[i] = (k, line.decode().strip())
        except (ConnectionError, OSError):
            return

    push_task = asyncio.ensure_future(pusher())
    check(await wait_for(lambda: len(answered) >= 500, 10), "traffic flows")
    # the file store commits: the latency histogram has samples, buckets cumulative
    m = await asyncio.get_running_loop().run_in_executor(None, srv.metrics)
    count = metric(m, "wspush_store_commit_seconds_count")
    check(count and count > 0, "commit histogram count %r" % count)
    check(metric(m, "wspush_store_commit_seconds_bucket", le="+Inf") == count, "+Inf bucket == count")
    check(metric(m, "wspush_store_commit_seconds_sum") > 0, "commit seconds sum")
    srv.p.send_signal(signal.SIGTERM)
    loop = asyncio.get_running_loop()
    rc = await loop.run_in_executor(None, lambda: srv.p.wait(timeout=20))
    await asyncio.wait_for(push_task, 10)
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    check(rc == 0, "exit 0 after SIGTERM, got %r: %s" % (rc, srv.p.stderr.read()))
    for k, ws in conns.items():
        check(ws.close_code == 1001, "client %s saw close %r" % (k, ws.close_code))
    check(all(r in ("ok", "queued") for _, r in answered.values()),
          "replies: %r" % set(r for _, r in answered.values()))
    # every line the server read was answered: one push log line per line read
    pushes = sum(1 for line in open(tmp + "/w.log") if " push conn=" in line)
    check(pushes == len(answered), "push lines read %d, answered %d (sent %d)"
          % (pushes, len(answered), sent_lines))
    writer.close()

    # restart: whatever was answered ok/queued and not yet received arrives now
    srv2 = Serve(args)
    try:
        got2, tasks2, conns2 = {}, [], []
        for k in keys:
            ws = await websockets.connect("ws://127.0.0.1:%d/" % srv2.ws)
            await ws.send(k)
            got2[k] = []
            conns2.append(ws)
            tasks2.append(asyncio.ensure_future(collect(ws, got2[k])))
        check(await wait_for(lambda: metric(srv2.metrics(), "wspush_outbox_messages") == 0, 20),
              "restart drains the outbox")
        for ws in conns2:
            await ws.close()
        await asyncio.gather(*tasks2)
    finally:
        check(srv2.stop() == 0, "second stop exit 0")
    received = {}
    for k in keys:
        for n in got.get(k, []) + got2[k]:
            received.setdefault(n, k)
    lost = [n for n, (k, r) in answered.items() if n not in received]
    check(not lost, "answered ok/queued but never delivered: %d, e.g. %r" % (len(lost), lost[:5]))
    misrouted = [n for n, k in received.items() if n in answered and answered[n][0] != k]
    check(not misrouted, "misrouted %r" % misrouted[:5])
    shutil.rmtree(tmp, ignore_errors=True)


def local_address():
    """A non-loopback IPv4 address of this host, or None (a UDP connect sends nothing)."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(("10.255.255.255", 1))
        ip = s.getsockname()[0]
        s.close()
        return None if ip.startswith("127.") or ip == "0.0.0.0" else ip
    except OSError:
        return None


async def t_metrics_loopback_only():
    """/metrics on the WebSocket port answers loopback peers only; /healthz anyone;
    the scrape does not count itself as a connection."""
    tmp = tempfile.mkdtemp(prefix="wspush-ops-acl-")
    srv = Serve(["--ws", "0.0.0.0:0", "--store", "memory", "--data-dir", tmp + "/d",
                 "--log-file", "", "--close-log-file", ""])
    try:
        m = srv.metrics()
        check(metric(m, "wspush_connections", state="handshake", kind="none") == 0,
              "the scraper counted itself")
        # bin/wspush stats --watch: refreshes, with rates of the counters
        w = subprocess.Popen([PHP, "-d", "extension=" + SO, BIN, "stats", "--ws", "127.0.0.1:%d" % srv.ws,
                              "--watch", "--interval", "0.2"], stdout=subprocess.PIPE, text=True)
        seen, screens = [], 0
        deadline = time.monotonic() + 10
        while screens < 3 and time.monotonic() < deadline:
            line = await asyncio.get_running_loop().run_in_executor(None, w.stdout.readline)
            if not line:
                break
            screens += "\033[2J" in line
            seen.append(line)
        w.terminate()
        w.wait()
        check(screens >= 3, "stats --watch refreshed %d times" % screens)
        check(any(re.match(r"wspush_push_lines_total\s+0\s+\(0\.0/s\)", l) for l in seen),
              "--watch shows rates: %r" % seen[-5:])
        ip = local_address()
        if ip is None:
            print("  (no non-loopback address on this host: the 403 case is not run)")
            return
        def get(path):
            try:
                with urllib.request.urlopen("http://%s:%d%s" % (ip, srv.ws, path), timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        check(get("/metrics") == 403, "metrics to a non-loopback peer")
        check(get("/healthz") == 200, "healthz to anyone")
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def t_usr1_right_after_start():
    """logrotate may signal just as the server starts: a SIGUSR1 sent as soon as
    the listening line is printed (before run() waits for signals) must not end
    it. Without the signals blocked before start() this died 9 times in 10."""
    tmp = tempfile.mkdtemp(prefix="wspush-ops-usr1-")
    try:
        for i in range(5):
            srv = Serve(["--store", "memory", "--data-dir", tmp + "/d",
                         "--log-file", tmp + "/w.log", "--close-log-file", ""])
            srv.p.send_signal(signal.SIGUSR1)
            ok = await wait_for(lambda: "reopen" in open(tmp + "/w.log").read(), 5)
            alive = srv.p.poll() is None
            rc = srv.stop()
            check(ok and alive and rc == 0, "round %d: reopened %r alive %r exit %r" % (i, ok, alive, rc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


TESTS = [t_scenario_text, t_scenario_json, t_sigterm_during_traffic, t_metrics_loopback_only,
         t_usr1_right_after_start]


def main():
    passed = failed = 0
    for t in TESTS:
        try:
            asyncio.run(asyncio.wait_for(t(), 90))
            print("PASS", t.__name__)
            passed += 1
        except Exception:
            print("FAIL", t.__name__)
            traceback.print_exc()
            failed += 1
    print("python ops: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
