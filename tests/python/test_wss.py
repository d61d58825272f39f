#!/usr/bin/python3
"""wss:// end to end, with clients nobody here wrote: Python's ssl with
python3-websockets, and headless Chromium.

The test makes its own CA and a server certificate for localhost/127.0.0.1
with the openssl CLI, starts WsPush (tests/python/serve.php) with ws_tls_cert
/ ws_tls_key, push_token and auth_secret, and checks:
  - a websockets client that trusts only the test CA binds over wss://,
    gets its heartbeat reply, receives a push made with WsPush\\Client and
    the token (a separate PHP process, like a Yii controller), and confirms
    it by its automatic Pong; frames over one TLS record (16 KiB) arrive whole;
  - a client that trusts another CA refuses the server (it is our cert);
  - a plain ws:// request on the wss:// port is not upgraded;
  - the same through Chromium: a page opens wss:// with the signed query of
    WsPush\\Client::sign(), binds, and receives the pushed message. Chromium is
    driven over its DevTools protocol with python3-websockets (no
    chromium-driver/selenium needed); it accepts the test certificate through
    --ignore-certificate-errors (the browser's trust store is not touched).
    Skipped with a message when chromium is not installed (deps.sh installs it).

Run with Debian's interpreter:  /usr/bin/python3 tests/python/test_wss.py
Environment: WSPUSH_SO (default <repo>/modules/wspush.so), PHP, CHROMIUM.
Exit status 0 only when every test passed.
"""
import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import websockets

from harness import HERE, PHP, REPO, SO, Server, check, wait_for
TOKEN = "push-token-for-wss-test"
SECRET = "auth-secret-for-wss-test-0123456789"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_certs(d):
    """A test CA, and a server certificate it signed for localhost/127.0.0.1;
    a second, unrelated CA for the negative check."""
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", f"{d}/{ca}.key", "-out", f"{d}/{ca}.pem", "-days", "2",
                "-subj", f"/CN=WsPush test {ca}")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr", "-subj", "/CN=localhost")
    with open(f"{d}/ext.cnf", "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey",
            f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "2",
            "-extfile", f"{d}/ext.cnf")


def php(code, stdin=""):
    """Run PHP with the extension; returns its stdout (raises on failure)."""
    r = subprocess.run([PHP, "-d", "extension=" + SO, "-r", code], capture_output=True,
                       text=True, timeout=20, input=stdin)
    if r.returncode != 0:
        raise AssertionError("php failed: %s %s" % (r.stdout, r.stderr))
    return r.stdout


def client_push(srv, key, fields):
    """A push through WsPush\\Client with the token, as a Yii controller does."""
    return php("$c = new WsPush\\Client('tcp://127.0.0.1:%d', 3.0, ['token' => %s]);"
               "echo $c->send(%s, json_decode(stream_get_contents(STDIN), true));"
               % (srv.push_port, json.dumps(TOKEN), json.dumps(key)), json.dumps(fields))


def sign(key):
    return php("echo WsPush\\Client::sign(%s, 300, %s);" % (json.dumps(key), json.dumps(SECRET)))


# --------------------------------------------------------------------- tests

async def t_python_wss_push_with_token(srv, d):
    ctx = ssl.create_default_context(cafile=f"{d}/ca.pem")
    url = "wss://localhost:%d/?%s" % (srv.ws_port, sign("5"))
    async with websockets.connect(url, ssl=ctx, max_size=None) as ws:
        await ws.send("5")
        check(await asyncio.wait_for(ws.recv(), 3) == "biubiubiu", "heartbeat reply over wss")
        before = srv.stats()["confirmed"]
        check(client_push(srv, "5", {"m": "over tls"}) == "ok", "WsPush\\Client push with token: ok")
        got = json.loads(await asyncio.wait_for(ws.recv(), 3))
        check(got == {"uid": "5", "m": "over tls"}, "pushed message received over wss (%r)" % got)
        big = "x" * 300000   # many TLS records each way
        check(client_push(srv, "5", {"big": big}) == "ok", "large push ok")
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        check(got.get("big") == big, "300 KB message intact over wss")
        ok = await wait_for(lambda: srv.stats()["confirmed"] - before == 2, 5.0)
        check(ok, "both confirmed by the client's automatic Pong over TLS")


async def t_other_ca_refused(srv, d):
    ctx = ssl.create_default_context(cafile=f"{d}/other-ca.pem")
    try:
        async with websockets.connect("wss://localhost:%d/" % srv.ws_port, ssl=ctx):
            pass
    except ssl.SSLCertVerificationError:
        return
    raise AssertionError("a client trusting another CA connected")


async def t_plain_ws_not_upgraded(srv, d):
    s = socket.create_connection(("127.0.0.1", srv.ws_port), timeout=5)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    data = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    check(b"101" not in data, "plain ws:// request upgraded on the wss:// port: %r" % data[:80])


async def cdp_page(port):
    """The DevTools WebSocket URL of the browser's first page."""
    with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
        pages = [t for t in json.load(r) if t.get("type") == "page"]
    return pages[0]["webSocketDebuggerUrl"]


async def cdp_eval(ws, expr, ident):
    await ws.send(json.dumps({"id": ident, "method": "Runtime.evaluate",
                              "params": {"expression": expr, "awaitPromise": True,
                                         "returnByValue": True}}))
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if m.get("id") == ident:
            res = m.get("result", {})
            if "exceptionDetails" in res:
                raise AssertionError("page: %s" % json.dumps(res["exceptionDetails"])[:300])
            return res.get("result", {}).get("value")


async def t_chromium_wss(srv, d):
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise AssertionError("chromium not installed (scripts/deps.sh installs it)")
    prof = tempfile.mkdtemp(prefix="wsp-chromium-")
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start;
    # --disable-dev-shm-usage: containers give /dev/shm 64 MB, too little for it.
    p = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-dev-shm-usage",
                          "--ignore-certificate-errors", "--remote-debugging-port=0",
                          "--user-data-dir=" + prof, "--no-first-run", "about:blank"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        portfile = os.path.join(prof, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not (os.path.exists(portfile) and open(portfile).read().strip()):
            if time.monotonic() > deadline or p.poll() is not None:
                raise AssertionError("chromium did not start (exit %s)" % p.poll())
            await asyncio.sleep(0.05)
        port = int(open(portfile).read().split()[0])
        async with websockets.connect(await cdp_page(port), max_size=None) as cdp:
            url = "wss://127.0.0.1:%d/?%s" % (srv.ws_port, sign("42"))
            first = await cdp_eval(cdp, """
                new Promise((ok, bad) => {
                    const ws = new WebSocket(%s);
                    window.got = [];
                    ws.onmessage = e => { window.got.push(e.data); if (window.wake) window.wake(); };
                    ws.onopen = () => ws.send("42");
                    ws.onerror = () => bad("websocket error");
                    ws.onclose = e => window.closed = e.code + " " + e.reason;
                    window.ws = ws;
                    const t = setInterval(() => { if (window.got.length) { clearInterval(t); ok(window.got[0]); } }, 10);
                    setTimeout(() => bad("no reply"), 10000);
                })""" % json.dumps(url), 1)
            check(first == "biubiubiu", "Chromium: heartbeat reply over wss (%r)" % first)
            check(client_push(srv, "42", {"m": "to chromium"}) == "ok", "push to Chromium: ok")
            msg = await cdp_eval(cdp, """
                new Promise((ok, bad) => {
                    const t = setInterval(() => { if (window.got.length > 1) { clearInterval(t); ok(window.got[1]); } }, 10);
                    setTimeout(() => bad("no push; closed: " + window.closed), 10000);
                })""", 2)
            check(json.loads(msg) == {"uid": "42", "m": "to chromium"}, "Chromium received %r" % msg)
            ok = await wait_for(lambda: srv.cmd("online 42")["online"], 3.0)
            check(ok, "Chromium's connection bound")
            # Chromium answers the confirmation Ping in its network stack
            ok = await wait_for(lambda: srv.stats()["outbox_depth"] == 0, 5.0)
            check(ok, "Chromium's Pong confirmed the push")
            # an unsigned page is closed with 1008 and the reason
            closed = await cdp_eval(cdp, """
                new Promise(ok => {
                    const ws = new WebSocket(%s);
                    ws.onopen = () => ws.send("42");
                    ws.onclose = e => ok(e.code + " " + e.reason);
                    setTimeout(() => ok("not closed"), 10000);
                })""" % json.dumps("wss://127.0.0.1:%d/" % srv.ws_port), 3)
            check(closed == "1008 signature missing", "Chromium unsigned: %r" % closed)
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        shutil.rmtree(prof, ignore_errors=True)


TESTS = [t_python_wss_push_with_token, t_other_ca_refused, t_plain_ws_not_upgraded, t_chromium_wss]


def main():
    if not os.path.exists(SO):
        print("wss: %s not found (build first)" % SO)
        return 1
    d = tempfile.mkdtemp(prefix="wsp-wss-")
    passed = failed = 0
    srv = None
    try:
        make_certs(d)
        srv = Server({"ws_tls_cert": f"{d}/server.pem", "ws_tls_key": f"{d}/server.key",
                      "push_token": TOKEN, "auth_secret": SECRET})
        for t in TESTS:
            try:
                asyncio.run(asyncio.wait_for(t(srv, d), 60))
                passed += 1
                print("PASS", t.__name__)
            except Exception as e:
                failed += 1
                print("FAIL", t.__name__, "-", type(e).__name__, e)
                if os.environ.get("VERBOSE"):
                    traceback.print_exc()
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    print("wss clients: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
