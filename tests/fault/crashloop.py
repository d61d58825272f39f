#!/usr/bin/env python3
"""
crashloop.py - fault injection for the delivery promise (issue 13): whatever
the push port answered `ok` or `queued` reaches its key, in order, across
`kill -9` of the server.

A server (bin/wspush serve, default store and fsync policy) runs on a fixed
pair of ports and one data dir. Around it:
  - live readers: bind their key, answer every Ping with its Pong (so they
    confirm), send the web heartbeat now and then;
  - flapping readers: the same, but disconnect after a random while and come
    back a random while later;
  - stopped readers: bind and never read again (a small receive buffer), so
    their output stays unconfirmed until the connection breaks;
  - offline keys: nobody connects until the end;
  - several pushers: each owns a share of the keys and pipelines batches of
    push lines, each line a unique message "KEY:N" (N counts per key in push
    order), sometimes padded to a few KiB.
The server is killed with SIGKILL at random moments (some right after the
restart, while it may still be loading) and restarted on the same data dir,
--kills times. Then the workload stops, every key binds one last reader, and
the checker verifies for every key:
  - every push answered ok/queued arrived (at some connection of the key);
  - the first occurrences of the messages, in the order they arrived, are in
    push order (unanswered pushes -- the server died before the reply -- may
    or may not arrive, but in order too);
  - nothing arrived at a wrong key, nothing that was never pushed.
A message arriving again counts as a duplicate: after a crash the last
confirmations may be delivered again (at least once, README), so duplicates
are reported, never failed.

Usage (from the repository root, extension built: bash scripts/build.sh):
  python3 tests/fault/crashloop.py                 # the CI run: 10 kills
  python3 tests/fault/crashloop.py --kills 200 --keys 200 --seed 7   # long run
Exit status 0 when the promise held, 1 with the violations listed.
"""
import argparse
import asyncio
import base64
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port(rng):
    """A free port below 32768: outgoing connections (ephemeral range above)
    cannot take it while the server restarts."""
    for _ in range(200):
        p = rng.randrange(20000, 32000)
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


SERVERS = []   # every server started, killed at exit (run_guarded)


class Server:
    def __init__(self, args, ws_port, push_port, data_dir, log_file):
        SERVERS.append(self)
        self.args = args
        self.ws_port, self.push_port = ws_port, push_port
        self.data_dir, self.log_file = data_dir, log_file
        self.proc = None
        self.starts = 0

    def cmd(self):
        ext = os.path.join(ROOT, "modules", "wspush.so")
        c = [self.args.php, "-d", "extension=" + ext, os.path.join(ROOT, "bin", "wspush"), "serve",
             "--ws", "127.0.0.1:%d" % self.ws_port, "--push", "127.0.0.1:%d" % self.push_port,
             "--data-dir", self.data_dir, "--log-file", self.log_file,
             "--close-log-file", "", "--heartbeat-timeout", "60",
             # limits that would drop messages by rule are out of the way:
             # this test is about crashes, not retry_max / queue_limit / ttl
             "--retry-max", "1000000", "--queue-limit", "1000000"]
        if self.args.fsync:
            c += ["--fsync", self.args.fsync]
        return c

    async def start(self, wait=True):
        self.starts += 1
        self.proc = await asyncio.create_subprocess_exec(
            *self.cmd(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL)
        self.ready = False
        if not wait:
            return
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        except asyncio.TimeoutError:
            line = b""
        if not line.startswith(b"wspush listening"):
            err = b""
            try:
                err = await asyncio.wait_for(self.proc.stderr.read(), 5)
            except asyncio.TimeoutError:
                pass
            raise RuntimeError("server did not start: %r %r" % (line, err[-2000:]))
        self.ready = True

    async def kill9(self):
        if self.proc and self.proc.returncode is None:
            try:
                self.proc.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            await self.proc.wait()

    async def stop(self):
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except asyncio.TimeoutError:
                await self.kill9()
                return -9
        return self.proc.returncode


# ---- a minimal WebSocket client (RFC 6455, client side) ----

class WsClosed(Exception):
    pass


def frame(opcode, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload))


async def ws_open(port, key, rcvbuf=None, limit=1 << 20):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    r, w = await asyncio.open_connection(sock=sock, limit=limit)
    k = base64.b64encode(os.urandom(16)).decode()
    w.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
             % (port, k)).encode())
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 10)
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        w.close()
        raise WsClosed("handshake refused")
    w.write(frame(1, key.encode()))
    await w.drain()
    return r, w


async def ws_read(r):
    """(opcode, payload) of the next frame; server frames are unmasked and
    unfragmented."""
    h = await r.readexactly(2)
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await r.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await r.readexactly(8))[0]
    return h[0] & 0x0F, await r.readexactly(n)


class Checker:
    def __init__(self, keys):
        self.keys = keys
        self.sent = {k: 0 for k in keys}          # messages pushed per key (N of the last)
        self.status = {k: {} for k in keys}       # key -> {N: 'ok'|'queued'|'fail'|None}
        self.recv = {k: [] for k in keys}         # key -> [N, ...] in arrival order
        self.wrong = []                           # (conn key, payload)

    def arrived(self, key, payload):
        try:
            msg = json.loads(payload)
            mk, n = msg["m"].split(":")
            n = int(n)
        except (ValueError, KeyError, TypeError, AttributeError):
            self.wrong.append((key, payload[:200]))
            return
        if mk != key or n < 1 or n > self.sent.get(key, 0):
            self.wrong.append((key, payload[:200]))
            return
        self.recv[key].append(n)

    def missing(self, key):
        got = set(self.recv[key])
        return [n for n, s in self.status[key].items() if s in ("ok", "queued") and n not in got]

    def verify(self):
        errors, dups, unanswered_arrived, unanswered = [], 0, 0, 0
        for key in self.keys:
            seen, last = set(), 0
            for n in self.recv[key]:
                if n in seen:
                    dups += 1
                    continue
                seen.add(n)
                if n < last:
                    errors.append("key %s: message %d arrived (first) after %d: not push order"
                                  % (key, n, last))
                last = max(last, n)
            miss = self.missing(key)
            if miss:
                errors.append("key %s: %d answered pushes never arrived: %s"
                              % (key, len(miss), miss[:20]))
            for n, s in self.status[key].items():
                if s == "fail":
                    errors.append("key %s: push %d answered fail" % (key, n))
                elif s is None:
                    unanswered += 1
                    unanswered_arrived += n in seen
        for k, p in self.wrong[:20]:
            errors.append("key %s got a message not pushed to it: %r" % (k, p))
        return errors, dups, unanswered, unanswered_arrived


class Workload:
    def __init__(self, args, server, checker, rng):
        self.args, self.server, self.ck, self.rng = args, server, checker, rng
        self.running = True
        self.readers_on = True
        self.tasks = []
        self.writers = set()        # open WebSocket writers (closed at the end)
        self.stopped_writers = set()
        self.acked = 0

    # -- readers --
    async def reader_session(self, key, lifetime=None):
        """One connection: read, answer Pings, record messages, until it
        breaks, the lifetime runs out or readers are turned off."""
        try:
            r, w = await ws_open(self.server.ws_port, key)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, WsClosed):
            return
        self.writers.add(w)
        end = time.monotonic() + lifetime if lifetime else None
        next_hb = time.monotonic() + 5
        try:
            while self.readers_on:
                now = time.monotonic()
                if end and now >= end:
                    break
                if now >= next_hb:
                    w.write(frame(1, key.encode()))   # web heartbeat ("biubiubiu" back)
                    next_hb = now + 5
                timeout = min(x for x in (end or now + 1, next_hb, now + 1)) - now
                try:
                    op, data = await asyncio.wait_for(ws_read(r), max(timeout, 0.01))
                except asyncio.TimeoutError:
                    continue
                if op == 1:
                    if data != b"biubiubiu":
                        self.ck.arrived(key, data.decode("utf-8", "replace"))
                elif op == 9:
                    w.write(frame(10, data))        # Pong with the Ping's payload: confirms
                elif op == 8:
                    break
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.writers.discard(w)
            w.close()

    async def live(self, key):
        while self.running and self.readers_on:
            await self.reader_session(key)
            await asyncio.sleep(0.05)

    async def flapping(self, key):
        while self.running and self.readers_on:
            await self.reader_session(key, lifetime=self.rng.uniform(0.1, 1.5))
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))

    async def stopped(self, key):
        """Binds, then never reads: the server's writes fill its buffers."""
        while self.running and self.readers_on:
            try:
                r, w = await ws_open(self.server.ws_port, key, rcvbuf=4096, limit=1024)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, WsClosed):
                await asyncio.sleep(0.05)
                continue
            self.stopped_writers.add(w)
            # never read r again; notice the server's death by the socket
            sock = w.get_extra_info("socket")
            while self.running and self.readers_on:
                await asyncio.sleep(0.2)
                try:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                except OSError:
                    err = 1
                if err or w.is_closing() or self.dead(sock):
                    break
            self.stopped_writers.discard(w)
            w.close()

    @staticmethod
    def dead(sock):
        """Peer gone: TCP_INFO state is not ESTABLISHED (1) any more."""
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            return info[0] != 1
        except OSError:
            return True

    # -- pushers --
    async def pusher(self, keys):
        r = w = None
        while self.running:
            if w is None:
                try:
                    r, w = await asyncio.open_connection("127.0.0.1", self.server.push_port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
            batch = []
            for _ in range(self.rng.randint(1, 20)):
                key = self.rng.choice(keys)
                self.ck.sent[key] += 1
                n = self.ck.sent[key]
                self.ck.status[key][n] = None
                msg = {"uid": int(key), "m": "%s:%d" % (key, n)}
                if self.rng.random() < 0.05:
                    msg["pad"] = "x" * self.rng.randint(1000, 6000)
                batch.append((key, n, json.dumps(msg, separators=(",", ":"))))
            try:
                w.write("".join(line + "\n" for _, _, line in batch).encode())
                for key, n, _ in batch:
                    reply = await asyncio.wait_for(r.readline(), 30)
                    if not reply:
                        raise ConnectionError("closed")
                    reply = reply.decode().strip()
                    self.ck.status[key][n] = reply if reply in ("ok", "queued", "fail") else None
                    if reply in ("ok", "queued"):
                        self.acked += 1
            except (OSError, ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                w.close()
                r = w = None
                await asyncio.sleep(0.02)
                continue
            await asyncio.sleep(self.rng.uniform(0, 0.02))
        if w:
            w.close()

    def start(self, roles):
        for key, role in roles.items():
            if role == "live":
                self.tasks.append(asyncio.ensure_future(self.live(key)))
            elif role == "flapping":
                self.tasks.append(asyncio.ensure_future(self.flapping(key)))
            elif role == "stopped":
                self.tasks.append(asyncio.ensure_future(self.stopped(key)))
        keys = list(roles)
        for p in range(self.args.pushers):
            mine = keys[p::self.args.pushers]   # each key has one pusher: push order is known
            self.tasks.append(asyncio.ensure_future(self.pusher(mine)))

    async def finish(self):
        self.running = False
        self.readers_on = False
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for w in list(self.writers) + list(self.stopped_writers):
            w.close()


async def final_read(server, ck, key, deadline):
    """The last binding of key: read until every answered push arrived."""
    while time.monotonic() < deadline and ck.missing(key):
        try:
            r, w = await ws_open(server.ws_port, key)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, WsClosed):
            await asyncio.sleep(0.1)
            continue
        try:
            while time.monotonic() < deadline and ck.missing(key):
                try:
                    op, data = await asyncio.wait_for(ws_read(r), 0.5)
                except asyncio.TimeoutError:
                    continue
                if op == 1 and data != b"biubiubiu":
                    ck.arrived(key, data.decode("utf-8", "replace"))
                elif op == 9:
                    w.write(frame(10, data))
                elif op == 8:
                    break
        except (OSError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            w.close()


async def main_async(args):
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="wspush-crashloop-")
    data_dir, log_file = os.path.join(work, "data"), os.path.join(work, "wspush.log")
    server = Server(args, free_port(rng), free_port(rng), data_dir, log_file)
    keys = [str(77000 + i) for i in range(args.keys)]
    roles = {}
    for i, k in enumerate(keys):
        x = i % 10
        roles[k] = ("live" if x < 4 else "flapping" if x < 6 else "stopped" if x < 8 else "offline")
    ck = Checker(keys)
    print("crashloop: seed=%d kills=%d keys=%d pushers=%d ports ws=%d push=%d dir=%s"
          % (args.seed, args.kills, args.keys, args.pushers, server.ws_port, server.push_port, work))
    t0 = time.monotonic()
    await server.start()
    wl = Workload(args, server, ck, rng)
    wl.start(roles)
    for i in range(args.kills):
        if rng.random() < 0.2:
            up = rng.uniform(0.0, 0.15)        # soon after the restart: maybe still loading
        else:
            up = rng.uniform(0.2, args.max_up)
        await asyncio.sleep(up)
        await server.kill9()
        if args.verbose:
            print("  kill %d after %.2fs: %d answered so far" % (i + 1, up, wl.acked))
        # an early kill may hit the start-up itself
        await server.start(wait=not (rng.random() < 0.2))
    # the last start must come up
    if not server.ready and not await started(server):
        await server.kill9()
        await server.start()
    await asyncio.sleep(rng.uniform(0.2, 0.5))
    await wl.finish()
    deadline = time.monotonic() + args.final_timeout
    await asyncio.gather(*(final_read(server, ck, k, deadline) for k in keys))
    rc = await server.stop()
    errors, dups, unanswered, unanswered_arrived = ck.verify()
    if rc != 0:
        errors.append("graceful stop exited %s" % rc)
    answered = sum(1 for k in keys for s in ck.status[k].values() if s in ("ok", "queued"))
    print("crashloop: %d kills, %d restarts, %d pushes answered ok/queued, %d unanswered (%d of them "
          "arrived), %d duplicates, %.1fs"
          % (args.kills, server.starts, answered, unanswered, unanswered_arrived, dups,
             time.monotonic() - t0))
    if errors:
        print("crashloop: FAILED (seed %d)" % args.seed)
        for e in errors[:40]:
            print("  " + e)
        print("  work dir kept: %s (log: wspush.log)" % work)
        return 1
    if answered == 0:
        print("crashloop: FAILED: nothing was answered, the test exercised nothing")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("crashloop: ok")
    return 0


async def run_guarded(args):
    """main_async, and no server outlives the test whatever happens."""
    try:
        return await main_async(args)
    finally:
        for srv in SERVERS:
            await srv.kill9()


async def started(server):
    """Wait for the listening line of a start not waited for."""
    try:
        line = await asyncio.wait_for(server.proc.stdout.readline(), 60)
    except asyncio.TimeoutError:
        return False
    return line.startswith(b"wspush listening")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument("--pushers", type=int, default=3)
    ap.add_argument("--max-up", type=float, default=1.5, help="longest uptime between kills (s)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--fsync", default=None, help="batch (default) or always")
    ap.add_argument("--final-timeout", type=float, default=30.0)
    ap.add_argument("--php", default=shutil.which("php") or "php")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if args.fsync in ("everysec", "off"):
        ap.error("everysec/off answer before the push is durable: nothing to check after kill -9")
    if not os.path.exists(os.path.join(ROOT, "modules", "wspush.so")):
        ap.error("build the extension first: bash scripts/build.sh")
    return asyncio.run(run_guarded(args))


if __name__ == "__main__":
    sys.exit(main())
