"""Shared pieces of the Python tests: where the extension is, the WsPush
server in a PHP child process (serve.php), the push port as the Yii backend
uses it, and waiting for a condition instead of sleeping.

Environment: WSPUSH_SO (default <repo>/modules/wspush.so), PHP (default php).
"""
import asyncio
import json
import os
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SO = os.environ.get("WSPUSH_SO", os.path.join(REPO, "modules", "wspush.so"))
PHP = os.environ.get("PHP", "php")


class Server:
    """The WsPush server in a PHP child process (tests/python/serve.php)."""

    def __init__(self, opts=None):
        args = [PHP, "-d", "extension=" + SO, os.path.join(HERE, "serve.php")]
        if opts:
            args.append(json.dumps(opts))
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1)
        first = self.p.stdout.readline()
        if not first:
            raise RuntimeError("serve.php did not start (exit %s)" % self.p.wait())
        info = json.loads(first)
        if "error" in info:
            raise RuntimeError("serve.php: %s" % info["error"])
        self.ws_port = info["ws_port"]
        self.push_port = info["push_port"]
        self.log_dir = info.get("log_dir")
        self.pid = self.p.pid

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def stats(self):
        return self.cmd("stats")

    def stop(self):
        if self.p.poll() is None:
            try:
                self.cmd("quit")
                self.p.wait(timeout=10)
            except Exception:
                self.p.kill()
                self.p.wait()


def push_lines(port, lines, timeout=30.0):
    """Pipelined lines on one plain TCP connection, like the Yii backend;
    the reply lines, fewer when the server closed first."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(b"".join(l.encode() + b"\n" for l in lines))
        buf = b""
        while buf.count(b"\n") < len(lines):
            d = s.recv(65536)
            if not d:
                break
            buf += d
        return [r.decode().rstrip("\r") for r in buf.split(b"\n")[: len(lines)] if r]
    finally:
        s.close()


def check(cond, what):
    if not cond:
        raise AssertionError(what)


async def wait_for(cond, timeout=5.0, step=0.01):
    """Poll cond() from asyncio code until it holds or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        await asyncio.sleep(step)
    return cond()


def wait_for_sync(cond, timeout=5.0, step=0.02):
    """Poll cond() from plain code until it holds or timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()
