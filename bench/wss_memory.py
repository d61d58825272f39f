#!/usr/bin/python3
"""Server memory per idle, bound WebSocket connection, ws:// against wss://.

    /usr/bin/python3 bench/wss_memory.py [N]      (default 3000)

Starts tests/python/serve.php twice (plain, then with a certificate made
here with the openssl CLI), opens N connections that each complete the
handshake and bind a key, and prints the growth of the server's RSS per
connection. Needs `ulimit -n` above N + 100 (raised here when allowed).
"""
import asyncio, json, os, resource, ssl, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SO = os.environ.get("WSPUSH_SO", os.path.join(REPO, "modules", "wspush.so"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
HANDSHAKE = (b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1])


async def connect(port, i, ctx):
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                         server_hostname="localhost" if ctx else None)
    w.write(HANDSHAKE)
    await r.readuntil(b"\r\n\r\n")
    key, mask = str(i).encode(), b"\x01\x02\x03\x04"
    w.write(bytes([0x81, 0x80 | len(key)]) + mask + bytes(b ^ mask[j % 4] for j, b in enumerate(key)))
    await r.readexactly(11)   # the biubiubiu reply: bound
    return w


async def measure(label, opts, ctx):
    opts = dict(opts, heartbeat_timeout="600", max_connections=str(N + 1000),
                max_connections_per_ip=str(N + 1000))
    p = subprocess.Popen(["php", "-d", "extension=" + SO, os.path.join(REPO, "tests/python/serve.php"),
                          json.dumps(opts)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, bufsize=1)
    port = json.loads(p.stdout.readline())["ws_port"]
    base = rss_kib(p.pid)
    conns = []
    for k in range(0, N, 200):
        conns += await asyncio.gather(*[connect(port, i, ctx) for i in range(k, min(N, k + 200))])
    await asyncio.sleep(0.5)
    grown = rss_kib(p.pid) - base
    print("%-4s %d bound connections: server RSS +%d KiB = %.1f KiB per connection"
          % (label, N, grown, grown / N))
    for w in conns:
        w.close()
    p.stdin.write("quit\n")
    p.stdin.flush()
    p.wait()


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = N + 200
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    d = tempfile.mkdtemp(prefix="wsp-wssmem-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", d + "/k.pem", "-out",
                    d + "/c.pem", "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    asyncio.run(measure("ws", {}, None))
    ctx = ssl.create_default_context(cafile=d + "/c.pem")
    asyncio.run(measure("wss", {"ws_tls_cert": d + "/c.pem", "ws_tls_key": d + "/k.pem"}, ctx))


if __name__ == "__main__":
    main()
