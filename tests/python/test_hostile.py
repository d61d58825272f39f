#!/usr/bin/python3
"""Hostile-client suite: one WsPush server (tests/python/serve.php, a child
process) faces clients that misbehave on purpose, over real sockets.

After every probe a normal client (from another source address, 127.0.0.2,
so a per-address limit hit by the probe does not apply to it) must still
connect, bind a key and receive a push, and the server's resident memory
(VmRSS of the child, from /proc) must come back near the baseline measured
before the first probe. Probes that flood also check the peak while they run.

Run with Debian's interpreter:  /usr/bin/python3 tests/python/test_hostile.py
Environment: WSPUSH_SO (default <repo>/modules/wspush.so), PHP (default php),
ONLY=name[,name] to run some probes. Exit status 0 only when every probe
passed; prints "hostile: N passed, M failed".
"""
import base64
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time
import traceback

import harness
from harness import HERE, PHP, REPO, SO, check, push_lines
from harness import wait_for_sync as wait_for
MiB = 1 << 20

# The options of the main server: small limits, so each probe bites quickly.
OPTS = {
    "heartbeat_timeout": "30",
    "handshake_timeout": "2",
    "message_timeout": "2",
    "max_frame": "1M",
    "max_line": "1M",
    "max_output": "256K",
    "max_connections": "5000",
    "max_connections_per_ip": "400",
    "poll_queue_bytes": "4M",
    "push_idle_timeout": "2",
    "queue_limit": "20000",
}


class Server(harness.Server):
    """The server under probe, with what the probes read from /proc."""

    def rss(self):
        with open("/proc/%d/status" % self.pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1]) * 1024
        return 0

    def cpu(self):
        """User + system CPU seconds of the server process."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))


# ------------------------------------------------------------------ helpers

def frame(op, payload=b"", fin=True, mask=True, length=None):
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | op
    mbit = 0x80 if mask else 0
    if n < 126:
        h = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        h = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        h = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return h + payload
    key = os.urandom(4)
    return h + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload)) \
        if len(payload) < 4096 else h + key + xor_mask(payload, key)


def xor_mask(payload, key):
    n = len(payload)
    k = int.from_bytes((key * ((n + 3) // 4))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def request(port, key=None):
    key = key or base64.b64encode(os.urandom(16)).decode()
    return ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode()


def tcp(port, src="127.0.0.1", rcvbuf=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


class Ws:
    """A minimal WebSocket client over a blocking socket."""

    def __init__(self, port, src="127.0.0.1", rcvbuf=None, timeout=5.0):
        self.s = tcp(port, src, rcvbuf, timeout)
        self.buf = b""
        self.s.sendall(request(port))
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise ConnectionError("closed during the handshake")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError("handshake refused: %r" % head[:80])

    def send(self, op, payload=b"", **kw):
        self.s.sendall(frame(op, payload, **kw))

    def text(self, t):
        self.send(1, t)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed")
            self.buf += d

    def recv_frame(self):
        """(opcode, payload); Pings are answered and skipped."""
        while True:
            self._need(2)
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            off = 2
            if n == 126:
                self._need(4)
                n = struct.unpack("!H", self.buf[2:4])[0]
                off = 4
            elif n == 127:
                self._need(10)
                n = struct.unpack("!Q", self.buf[2:10])[0]
                off = 10
            self._need(off + n)
            p, self.buf = self.buf[off:off + n], self.buf[off + n:]
            if op == 9:
                self.send(10, p)
                continue
            return op, p

    def recv_text(self, skip=(b"biubiubiu",)):
        while True:
            op, p = self.recv_frame()
            if op == 8:
                raise EOFError("close %r" % p[:2])
            if p not in skip:
                return p

    def close_code(self, timeout=5.0):
        """Read until the server's Close frame (or EOF); its code, or None."""
        self.s.settimeout(timeout)
        try:
            while True:
                op, p = self.recv_frame()
                if op == 8:
                    return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
        except (EOFError, ConnectionError, OSError):
            return None

    def reset(self):
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()

    def close(self):
        self.s.close()


def closed_by_peer(s, timeout):
    """True when the server closes s (EOF or reset) within timeout seconds;
    whatever it sends before that is read and dropped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        try:
            if not s.recv(65536):
                return True
        except OSError:
            return True
    return False


_n = [0]


def normal_client(srv):
    """A well-behaved page from another address binds, gets a push, leaves."""
    _n[0] += 1
    key = str(900000 + _n[0])
    c = Ws(srv.ws_port, src="127.0.0.2")
    try:
        c.text(key)
        check(c.recv_text(skip=()) == b"biubiubiu", "normal client: heartbeat reply")
        line = json.dumps({"uid": key, "n": _n[0]})
        confirmed = srv.stats()["confirmed"]
        check(push_lines(srv.push_port, [line]) == ["ok"], "normal client: push ok")
        check(c.recv_text() == line.encode(), "normal client: push received")
        # answer the confirmation Ping, so nothing is left in the outbox
        check(pump_until(c, lambda: srv.stats()["confirmed"] > confirmed, 5.0),
              "normal client: push confirmed")
    finally:
        c.close()


def pump_until(c, cond, timeout):
    """Answer the server's Pings on c until cond() holds."""
    c.s.settimeout(0.05)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if cond():
                return True
            try:
                c.recv_frame()
            except socket.timeout:
                pass
        return cond()
    finally:
        c.s.settimeout(5.0)


class Sampler:
    """Peak RSS while a probe runs (call tick() from its loops)."""

    def __init__(self, srv):
        self.srv, self.peak, self.t = srv, srv.rss(), 0.0

    def tick(self):
        now = time.monotonic()
        if now - self.t > 0.05:
            self.t = now
            self.peak = max(self.peak, self.srv.rss())


# ------------------------------------------------------------------- probes

def p_garbage_before_handshake(srv):
    before = srv.stats()["closed_protocol"]
    for blob in (os.urandom(70000), b"\x16\x03\x01\x02\x00" + os.urandom(500),
                 b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 20000 + b"\r\n\r\n"):
        s = tcp(srv.ws_port)
        try:
            s.sendall(blob)
        except OSError:
            pass   # the server may close before taking it all
        check(closed_by_peer(s, 3.0), "garbage: connection closed")
        s.close()


def p_trickled_handshake(srv):
    before = srv.stats()["closed_handshake_timeout"]
    req = request(srv.ws_port)
    socks = [tcp(srv.ws_port) for _ in range(30)]
    t0 = time.monotonic()
    i = 0
    open_ = list(socks)
    # one byte every 0.25 s each, never finishing the request head
    while open_ and time.monotonic() - t0 < 8.0 and i < len(req) - 4:
        for s in list(open_):
            try:
                s.send(req[i:i + 1])
            except OSError:
                open_.remove(s)
        i += 1
        r, _, _ = select.select(open_, [], [], 0.25)
        for s in r:
            try:
                if not s.recv(4096):
                    open_.remove(s)
            except OSError:
                open_.remove(s)
    took = time.monotonic() - t0
    for s in socks:
        s.close()
    check(not open_, "trickled handshakes: %d of 30 still open after %.1f s" % (len(open_), took))
    check(took < 5.0, "trickled handshakes closed within the deadline (took %.1f s)" % took)
    check(srv.stats()["closed_handshake_timeout"] >= before + 30, "counted as handshake timeouts")


def p_oversized_frame_and_line(srv):
    c = Ws(srv.ws_port)
    c.s.sendall(frame(1, b"", length=2 * MiB)[:14])   # header only: 2 MiB announced
    check(c.close_code() == 1009, "frame over max_frame: 1009")
    c.close()
    # a fragmented message growing past max_frame
    c = Ws(srv.ws_port)
    c.send(1, b"x" * 600000, fin=False)
    c.send(0, b"x" * 600000, fin=False)
    check(c.close_code() == 1009, "message over max_frame: 1009")
    c.close()
    # a push line over max_line, never ending
    s = tcp(srv.push_port)
    try:
        s.sendall(b'{"uid":"1","x":"' + b"y" * (MiB + 10))
    except OSError:
        pass
    buf = b""
    while True:
        try:
            d = s.recv(100)
        except OSError:
            break
        if not d:
            break
        buf += d
    s.close()
    check(buf == b"fail\n", "long push line: fail then close (got %r)" % buf)


def p_invalid_utf8(srv):
    c = Ws(srv.ws_port)
    c.send(1, b"ok \xc3\x28 no")
    check(c.close_code() == 1007, "invalid UTF-8: 1007")
    c.close()


def p_unmasked(srv):
    c = Ws(srv.ws_port)
    c.send(1, b"hello", mask=False)
    check(c.close_code() == 1002, "unmasked frame: 1002")
    c.close()


def flood(srv, c, data, seconds, sampler):
    """Send data in a loop without ever reading, until the socket stays
    blocked (the server stopped reading) or seconds pass. Returns bytes sent."""
    c.s.setblocking(False)
    sent, t0, blocked_since = 0, time.monotonic(), None
    off = 0   # a partial send must be completed: the frames are one stream
    while time.monotonic() - t0 < seconds:
        sampler.tick()
        try:
            n = c.s.send(data[off:] if off else data)
            sent += n
            off = (off + n) % len(data)
            blocked_since = None
        except BlockingIOError:
            blocked_since = blocked_since or time.monotonic()
            if time.monotonic() - blocked_since > 1.0:
                break
            select.select([], [c.s], [], 0.05)
        except OSError:
            break
    return sent


def p_ping_flood_never_reading(srv):
    base = srv.rss()
    before = srv.stats()["output_paused"]
    c = Ws(srv.ws_port, rcvbuf=4096)
    c.text("31")
    sm = Sampler(srv)
    ping = frame(9, b"p" * 125)
    sent = flood(srv, c, ping * 400, 8.0, sm)
    grew = sm.peak - base
    c.reset()
    check(grew < 16 * MiB, "ping flood: server grew %.1f MiB (sent %.1f MiB)" % (grew / MiB, sent / MiB))
    check(srv.stats()["output_paused"] > before, "counted in output_paused")


def p_echo_flood_never_reading(srv):
    base = srv.rss()
    key = '{"uid":"33","FunctionType":4,"Data":"%s"}' % ("h" * (256 * 1024))
    before = srv.stats()["output_paused"]
    c = Ws(srv.ws_port, rcvbuf=4096)
    sm = Sampler(srv)
    sent = flood(srv, c, frame(1, key), 8.0, sm)
    grew = sm.peak - base
    c.reset()
    check(grew < 16 * MiB, "256 KiB heartbeat flood: server grew %.1f MiB (sent %.1f MiB)"
          % (grew / MiB, sent / MiB))
    check(srv.stats()["output_paused"] > before, "counted in output_paused")


def p_message_flood(srv):
    """Ordinary messages nobody polls for: the poll() queue is bounded in bytes."""
    base = srv.rss()
    before = srv.stats()["events_dropped"]
    c = Ws(srv.ws_port)
    c.text("34")
    check(c.recv_text(skip=()) == b"biubiubiu", "bound")
    sm = Sampler(srv)
    msg = frame(1, "m" * 60000)
    for _ in range(600):          # 36 MB of messages, never polled
        c.s.sendall(msg)
        sm.tick()
    c.text("34")                   # answered once every message before it was handled
    check(c.recv_text(skip=()) == b"biubiubiu", "still served")
    grew = sm.peak - base
    c.close()
    check(grew < 16 * MiB, "message flood: server grew %.1f MiB" % (grew / MiB))
    check(srv.stats()["events_dropped"] > before, "events dropped and counted")


def p_slow_fragments(srv):
    before = srv.stats()["closed_message_timeout"]
    c = Ws(srv.ws_port)
    c.send(1, b"a", fin=False)
    t0 = time.monotonic()
    code = None
    c.s.settimeout(0.3)
    while time.monotonic() - t0 < 8.0:
        try:
            c.send(0, b"a", fin=False)     # 1-byte continuations, forever
        except OSError:
            break
        try:
            d = c.s.recv(100)
            if not d:
                break
            if d[0] & 0x0F == 8:
                code = struct.unpack("!H", d[2:4])[0]
                break
        except socket.timeout:
            pass
        except OSError:
            break
    took = time.monotonic() - t0
    c.close()
    check(took < 5.0, "1-byte continuations closed after message_timeout (took %.1f s)" % took)
    check(code == 1008, "closed with 1008 (got %r)" % code)
    check(srv.stats()["closed_message_timeout"] > before, "counted")


def p_dropped_mid_handshake(srv):
    base_conns = srv.stats()["connections"]
    req = request(srv.ws_port)
    done = 0
    while done < 10000:
        batch = []
        for _ in range(200):
            try:
                s = tcp(srv.ws_port)
                s.send(req[: random.randint(1, len(req) - 5)])
                batch.append(s)
            except OSError:
                pass
        for s in batch:
            if random.random() < 0.5:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        done += 200
    check(wait_for(lambda: srv.stats()["connections"] <= base_conns, 10.0),
          "every dropped connection freed (connections=%d)" % srv.stats()["connections"])


def p_per_ip_limit(srv):
    lim = int(OPTS["max_connections_per_ip"])
    before = srv.stats()["rejected_per_ip"]
    held = []
    for _ in range(lim):
        held.append(Ws(srv.ws_port))
    extra = tcp(srv.ws_port)
    check(closed_by_peer(extra, 3.0), "connection over max_connections_per_ip closed")
    extra.close()
    check(srv.stats()["rejected_per_ip"] > before, "counted in rejected_per_ip")
    normal_client(srv)   # another address is not affected
    for c in held:
        c.close()


def p_push_idle(srv):
    before = srv.stats()["closed_push_idle"]
    s = tcp(srv.push_port)
    t0 = time.monotonic()
    check(closed_by_peer(s, 6.0), "idle push connection closed")
    s.close()
    check(time.monotonic() - t0 > 1.0, "not before push_idle_timeout")
    check(srv.stats()["closed_push_idle"] > before, "counted in closed_push_idle")


def p_never_reads_10000_pushes(srv):
    base = srv.rss()
    c = Ws(srv.ws_port, rcvbuf=4096)
    c.text("36")
    c.recv_text(skip=())
    N = 10000
    lines = [json.dumps({"uid": "36", "n": i, "b": "q" * 200}) for i in range(N)]
    replies = []
    sm = Sampler(srv)
    for i in range(0, N, 1000):
        replies += push_lines(srv.push_port, lines[i:i + 1000])
        sm.tick()
    check(all(r in ("ok", "queued") for r in replies) and len(replies) == N, "every push accepted")
    grew = sm.peak - base
    c.reset()
    check(wait_for(lambda: not srv.cmd("online 36")["online"], 5.0), "reset seen")
    d = Ws(srv.ws_port, src="127.0.0.2")
    d.text("36")
    got = []
    while len(got) < N:
        got.append(d.recv_text())
    check(got == [l.encode() for l in lines], "all %d delivered in order after reconnecting" % N)
    check(pump_until(d, lambda: srv.stats()["outbox_depth"] == 0, 10.0),
          "all confirmed (outbox_depth %d)" % srv.stats()["outbox_depth"])
    d.close()
    check(grew < 24 * MiB, "10,000 pushes to a non-reader: server grew %.1f MiB" % (grew / MiB))


PROBES = [
    p_garbage_before_handshake,
    p_trickled_handshake,
    p_oversized_frame_and_line,
    p_invalid_utf8,
    p_unmasked,
    p_ping_flood_never_reading,
    p_echo_flood_never_reading,
    p_message_flood,
    p_slow_fragments,
    p_dropped_mid_handshake,
    p_per_ip_limit,
    p_push_idle,
    p_never_reads_10000_pushes,
]


# --------------------------------------------- probes with their own server

def x_max_connections():
    srv = Server({"max_connections": "20"})
    try:
        held = [Ws(srv.ws_port) for _ in range(20)]
        extra = tcp(srv.ws_port)
        check(closed_by_peer(extra, 3.0), "connection over max_connections closed")
        extra.close()
        check(srv.stats()["rejected_max_connections"] > 0, "counted")
        held.pop().close()
        check(wait_for(lambda: srv.stats()["connections"] < 20, 3.0), "slot freed")
        normal_client(srv)
        for c in held:
            c.close()
    finally:
        srv.stop()


def x_descriptor_exhaustion():
    """The server's descriptor limit lowered with prlimit (never raised above
    what it was): it keeps serving what it has, sheds new connections, does
    not spin, and its push port still answers."""
    srv = Server({"heartbeat_timeout": "30"})
    try:
        keep = Ws(srv.ws_port)
        keep.text("40")
        check(keep.recv_text(skip=()) == b"biubiubiu", "bound")
        out = subprocess.run(["prlimit", "--pid", str(srv.pid), "--nofile", "--raw",
                              "--noheadings", "--output", "SOFT,HARD"],
                             capture_output=True, text=True, check=True).stdout.split()
        soft, hard = out[0], out[1]
        lim = srv.nfds() + 20
        subprocess.run(["prlimit", "--pid", str(srv.pid), "--nofile=%d:%s" % (lim, hard)], check=True)
        try:
            extra = []
            for _ in range(60):       # more than the limit allows
                try:
                    extra.append(tcp(srv.ws_port, timeout=1.0))
                except OSError:
                    pass
            time.sleep(0.2)
            cpu0, t0 = srv.cpu(), time.monotonic()
            time.sleep(2.0)            # measuring CPU use over an interval
            busy = (srv.cpu() - cpu0) / (time.monotonic() - t0)
            check(busy < 0.3, "server busy %.0f%% of a core at the descriptor limit" % (busy * 100))
            st = srv.stats()
            check(st["rejected_fd_limit"] > 0, "shed connections counted")
            line = json.dumps({"uid": "40", "at": "limit"})
            check(push_lines(srv.push_port, [line], timeout=5.0) == ["ok"], "push port answers")
            check(keep.recv_text() == line.encode(), "existing connection served")
            for s in extra:
                s.close()
            # No descriptor left at all: accept() itself fails with EMFILE.
            check(wait_for(lambda: srv.stats()["connections"] == 1, 5.0), "extras gone")
            time.sleep(0.3)            # the server closes the extras' descriptors
            subprocess.run(["prlimit", "--pid", str(srv.pid), "--nofile=%d:%s" % (srv.nfds(), hard)],
                           check=True)
            shed0 = srv.stats()["rejected_fd_limit"]
            extra = []
            for _ in range(60):
                try:
                    extra.append(tcp(srv.ws_port, timeout=1.0))
                except OSError:
                    pass
            cpu0, t0 = srv.cpu(), time.monotonic()
            time.sleep(2.0)            # measuring CPU use over an interval
            busy = (srv.cpu() - cpu0) / (time.monotonic() - t0)
            print("   CPU at EMFILE: %.0f%% of a core" % (busy * 100))
            check(busy < 0.3, "server busy %.0f%% of a core on EMFILE" % (busy * 100))
            check(srv.stats()["rejected_fd_limit"] > shed0, "EMFILE sheds counted")
            shed = sum(1 for s in extra if closed_by_peer(s, 0.01))
            check(shed > 0, "connections shed (closed) on EMFILE")
            for i in range(2):         # the spare descriptor serves the push port
                line = json.dumps({"uid": "40", "at": "emfile", "i": i})
                check(push_lines(srv.push_port, [line], timeout=5.0) == ["ok"],
                      "push port answers on EMFILE (%d)" % i)
                check(keep.recv_text() == line.encode(), "existing connection served on EMFILE")
            for s in extra:
                s.close()
        finally:
            subprocess.run(["prlimit", "--pid", str(srv.pid), "--nofile=%s:%s" % (soft, hard)],
                           check=True)
        normal_client(srv)
        keep.close()
    finally:
        srv.stop()


def settle(srv):
    """Wait until the server's CPU use stops growing (it has done its work)."""
    last = -1.0
    while srv.cpu() != last:
        last = srv.cpu()
        time.sleep(0.2)


def x_partial_push_line_scan():
    """A long line arriving in many reads is not searched from its start on
    every read: with 64 MiB of a line already buffered, 2,000 more reads of
    one byte each cost the server well under a second of CPU (searching from
    the start each time scans 128 GB)."""
    srv = Server({"max_line": "128M"})
    try:
        s = tcp(srv.push_port, timeout=30)
        s.sendall(b'{"uid":"35","x":"' + b"z" * (64 * MiB))
        settle(srv)       # the server has read it all
        cpu0 = srv.cpu()
        for i in range(2000):
            s.sendall(b"z")
            time.sleep(0.001)
        settle(srv)
        used = srv.cpu() - cpu0
        s.sendall(b'"}\n')
        r = s.recv(100)
        s.close()
        check(r == b"queued\n", "long line accepted (%r)" % r)
        print("   trickle CPU %.2f s" % used)
        check(used < 1.0, "server CPU for 2,000 one-byte reads of a 64 MiB line: %.2f s" % used)
        normal_client(srv)
    finally:
        srv.stop()


EXTRA = [x_max_connections, x_descriptor_exhaustion, x_partial_push_line_scan]


def main():
    if not os.path.exists(SO):
        print("hostile: %s not found (build first)" % SO)
        return 1
    only = set(filter(None, os.environ.get("ONLY", "").split(",")))
    passed = failed = 0
    srv = Server(OPTS)
    try:
        normal_client(srv)
        # warm up the paths every probe ends with, then measure the baseline
        for _ in range(3):
            normal_client(srv)
        base = srv.rss()
        print("baseline RSS %.1f MiB" % (base / MiB))
        for p in PROBES:
            if only and p.__name__ not in only:
                continue
            t0 = time.monotonic()
            try:
                p(srv)
                normal_client(srv)
                ok = wait_for(lambda: srv.rss() < base + 16 * MiB, 10.0, 0.1)
                check(ok, "RSS back near baseline: %.1f MiB vs %.1f MiB"
                      % (srv.rss() / MiB, base / MiB))
                passed += 1
                print("PASS %s (%.1fs, RSS %.1f MiB)" % (p.__name__, time.monotonic() - t0,
                                                         srv.rss() / MiB))
            except Exception as e:
                failed += 1
                print("FAIL %s - %s: %s" % (p.__name__, type(e).__name__, e))
                if os.environ.get("VERBOSE"):
                    traceback.print_exc()
                if srv.p.poll() is not None:
                    print("server exited (%s); restarting it" % srv.p.returncode)
                    srv = Server(OPTS)
    finally:
        srv.stop()
    for x in EXTRA:
        if only and x.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            x()
            passed += 1
            print("PASS %s (%.1fs)" % (x.__name__, time.monotonic() - t0))
        except Exception as e:
            failed += 1
            print("FAIL %s - %s: %s" % (x.__name__, type(e).__name__, e))
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
    print("hostile: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
