#!/usr/bin/python3
"""Interoperability test with an independent WebSocket client: Debian's
python3-websockets (10.x, asyncio API), which nobody here wrote.

It proves the handshake, framing (small, 16-bit and 64-bit lengths, fragmented
sends), the heartbeat replies, replay on bind, the close handshake, and the
automatic Pong that delivery confirmation relies on: websockets answers Pings
in its own background task, so pushed messages become confirmed (server stats
outbox_depth reaches 0) even while the application has not called recv().

Run with Debian's interpreter:  /usr/bin/python3 tests/python/test_websockets.py
Environment: WSPUSH_SO (default <repo>/modules/wspush.so), PHP (default php).
Exit status 0 only when every test passed; prints
"python websockets: N passed, M failed".
"""
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import traceback

import websockets

from harness import SO, Server, check, push_lines, wait_for


async def recv_skip(ws, skip=("biubiubiu",), timeout=3.0):
    while True:
        m = await asyncio.wait_for(ws.recv(), timeout)
        if m not in skip:
            return m


# --------------------------------------------------------------------- tests

async def t_handshake_and_heartbeat(srv):
    async with websockets.connect("ws://127.0.0.1:%d/any/path" % srv.ws_port) as ws:
        check(ws.response_headers.get("Upgrade", "").lower() == "websocket", "Upgrade header")
        await ws.send("5")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "first-frame heartbeat reply")
        await ws.send("5")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "heartbeat reply")
        await ws.send(b"5")  # binary frames are read like text
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "binary heartbeat reply")
        # websockets' own ping gets a pong from the server
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 3)


async def t_addin_echo_and_fragments(srv):
    key = '{"uid":"12","FunctionType":4,"Data":"","ErrMsg":null,"IsSuccess":"1"}'
    async with websockets.connect("ws://127.0.0.1:%d" % srv.ws_port) as ws:
        # the bind frame is sent fragmented (websockets sends an iterable as fragments)
        await ws.send([key[:10], key[10:40], key[40:]])
        check(await asyncio.wait_for(ws.recv(), 3) == key, "add-in key echoed")
        line = json.dumps({"uid": key, "m": "x"}, separators=(",", ":"))
        check(push_lines(srv.push_port, [line]) == ["ok"], "push to add-in ok")
        check(await recv_skip(ws, (key,)) == line, "add-in push delivered byte for byte")
        ok = await wait_for(lambda: srv.stats()["outbox_depth"] == 0, 5.0)
        check(ok, "add-in push confirmed by the automatic pong")


async def t_push_and_auto_pong_confirms(srv):
    async with websockets.connect("ws://127.0.0.1:%d" % srv.ws_port) as ws:
        await ws.send("77")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "bind reply")
        before = srv.stats()["confirmed"]
        lines = ['{"uid":"77","n":%d,"s":"%s"}' % (i, "é/中" * i) for i in range(1, 21)]
        check(push_lines(srv.push_port, lines) == ["ok"] * 20, "20 pushes ok")
        # no recv() yet: websockets answers the Pings by itself
        ok = await wait_for(lambda: srv.stats()["outbox_depth"] == 0, 5.0)
        st = srv.stats()
        check(ok, "outbox_depth reached 0 by automatic pongs (is %s)" % st["outbox_depth"])
        check(st["confirmed"] - before == 20, "confirmed +20 (got %d)" % (st["confirmed"] - before))
        got = [await asyncio.wait_for(ws.recv(), 3) for _ in lines]
        check(got == lines, "all 20 delivered in order")


async def t_large_frames(srv):
    async with websockets.connect("ws://127.0.0.1:%d" % srv.ws_port, max_size=None) as ws:
        await ws.send("88")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "bind reply")
        lines = [json.dumps({"uid": "88", "b": "x" * n}) for n in (100, 300, 70000, 500000)]
        check(push_lines(srv.push_port, lines) == ["ok"] * 4, "large pushes ok")
        got = [await asyncio.wait_for(ws.recv(), 5) for _ in lines]
        check(got == lines, "7-bit, 16-bit and 64-bit frame lengths intact")
        await ws.send("y" * 70000)  # client frame with a 16-bit length: no reply, no error
        await ws.send("88")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "still open after a large client frame")
        # the Pong for the last Ping may still be on its way: wait for it before
        # closing, or the unconfirmed tail is (rightly) kept for the next connection
        ok = await wait_for(lambda: srv.stats()["outbox_depth"] == 0, 5.0)
        check(ok, "large messages confirmed by automatic pongs")


async def t_replay_on_bind(srv):
    lines = ['{"uid":"99","n":%d}' % i for i in range(1, 6)]
    check(push_lines(srv.push_port, lines) == ["queued"] * 5, "queued while offline")
    async with websockets.connect("ws://127.0.0.1:%d" % srv.ws_port) as ws:
        await ws.send("99")
        got = [await recv_skip(ws) for _ in lines]
        check(got == lines, "replayed in order: %r" % got)
        ok = await wait_for(lambda: srv.stats()["outbox_depth"] == 0, 5.0)
        check(ok, "replayed messages confirmed by automatic pongs")


async def t_close_handshake(srv):
    ws = await websockets.connect("ws://127.0.0.1:%d" % srv.ws_port)
    await ws.send("55")
    check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "bind reply")
    await ws.close(code=4001, reason="bye")
    check(ws.close_code == 4001, "server echoed close code (got %r)" % ws.close_code)
    ok = await wait_for(lambda: not srv.cmd("online 55")["online"], 5.0)
    check(ok, "key offline after close")


async def t_invalid_utf8_rejected(srv):
    # websockets only sends valid text; a raw frame is built here to see that the
    # server's close (1007) is understood by websockets' parser on a fresh client.
    async with websockets.connect("ws://127.0.0.1:%d" % srv.ws_port) as ws:
        await ws.send("66")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "bind reply")
        # write a masked text frame with invalid UTF-8 directly on the transport
        mask = b"\x01\x02\x03\x04"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"\xff\xfe"))
        ws.transport.write(b"\x81\x82" + mask + payload)
        try:
            await asyncio.wait_for(ws.recv(), 3)
            raise AssertionError("connection not closed")
        except websockets.exceptions.ConnectionClosed as e:
            check(e.rcvd is not None and e.rcvd.code == 1007,
                  "close code 1007 (got %r)" % (e.rcvd.code if e.rcvd else None))


TESTS = [
    t_handshake_and_heartbeat,
    t_addin_echo_and_fragments,
    t_push_and_auto_pong_confirms,
    t_large_frames,
    t_replay_on_bind,
    t_close_handshake,
    t_invalid_utf8_rejected,
]


def main():
    if not os.path.exists(SO):
        print("python websockets: %s not found (build first: phpize && ./configure && make)" % SO)
        print("python websockets: 0 passed, %d failed" % len(TESTS))
        return 1
    print("websockets %s, extension %s" % (websockets.__version__, SO))
    srv = Server({"max_frame": str(1 << 20)})
    passed = failed = 0
    try:
        for t in TESTS:
            try:
                asyncio.run(asyncio.wait_for(t(srv), 30))
                passed += 1
                print("PASS", t.__name__)
                if os.environ.get("VERBOSE"):
                    st = srv.stats()
                    print("   stats: outbox_depth=%s keys=%s confirmed=%s"
                          % (st["outbox_depth"], st["keys"], st["confirmed"]))
            except Exception as e:
                failed += 1
                print("FAIL", t.__name__, "-", type(e).__name__, e)
                if os.environ.get("VERBOSE"):
                    traceback.print_exc()
    finally:
        srv.stop()
    print("python websockets: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
