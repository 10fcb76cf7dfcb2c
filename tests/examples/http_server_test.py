#!/usr/bin/env python3
"""ctest "example_http_server": c-examples/http_server against curl and raw-socket clients.

usage: http_server_test.py HTTP_SERVER

1. curl (when installed): GET / returns the greeting; POST of 200 KiB of random bytes is echoed.
2. Keep-alive: five requests, GET and POST, on one connection, each answered, the connection
   still open after each.
3. Pipelining: a GET and a POST in one send are answered in order; a request split after its
   head (sent behind a complete one whose answer proves the server has read it) is completed.
4. "Connection: close" and HTTP/1.0: answered with "Connection: close", then EOF.
5. Errors, each answered then closed: a malformed request line -> 400, a header without colon
   -> 400, 9 KiB of headers -> 431, Content-Length over 1 MiB -> 413, chunked body -> 501.
6. SIGTERM: the server exits 0.
"""
import os
import shutil
import socket
import subprocess
import sys

from example_proc import check, start


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def response(self):
        """Reads one response: (status, {lower-case header: value}, body)."""
        status_line = self.reader.readline()
        check(status_line.startswith(b"HTTP/1.1 "), f"status line {status_line!r}")
        headers = {}
        while (line := self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.reader.read(int(headers["content-length"]))
        return int(status_line.split()[1]), headers, body

    def at_eof(self):
        return self.reader.read(1) == b""

    def close(self):
        self.reader.close()
        self.sock.close()


def get(path, extra=b""):
    return b"GET %s HTTP/1.1\r\nHost: test\r\n%s\r\n" % (path, extra)


def post(path, body):
    return b"POST %s HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n%s" % (path, len(body), body)


def test_curl(port):
    if not shutil.which("curl"):
        print("curl: not installed, skipped (apt-get install curl)")
        return
    url = f"http://127.0.0.1:{port}/"
    out = subprocess.run(["curl", "-sS", "--fail", url], capture_output=True, timeout=30)
    check(out.stdout == b"hello from bun_tcp: GET /\n", f"curl GET: {out.stdout!r} {out.stderr!r}")
    body = os.urandom(200 * 1024)
    out = subprocess.run(["curl", "-sS", "--fail", "--data-binary", "@-", url], input=body,
                         capture_output=True, timeout=30)
    check(out.stdout == body, f"curl POST echo: {len(out.stdout)} bytes back, {out.stderr!r}")
    print("curl: GET and a 200 KiB POST echo")


def test_keep_alive(port):
    c = Connection(port)
    for i in range(5):
        if i % 2:
            c.send(post(b"/echo", b"body %d" % i))
            want = b"body %d" % i
        else:
            c.send(get(b"/n%d" % i))
            want = b"hello from bun_tcp: GET /n%d\n" % i
        status, headers, body = c.response()
        check((status, body) == (200, want), f"request {i}: {status} {body!r}")
        check("connection" not in headers, f"request {i}: server wants to close")
    c.close()
    print("keep-alive: 5 requests on one connection")


def test_pipelining(port):
    c = Connection(port)
    c.send(get(b"/first") + post(b"/second", b"two"))
    check(c.response()[2] == b"hello from bun_tcp: GET /first\n", "first pipelined response")
    check(c.response()[2] == b"two", "second pipelined response")
    split = post(b"/split", b"0123456789")
    c.send(get(b"/before") + split[:-4])
    check(c.response()[2] == b"hello from bun_tcp: GET /before\n", "response before the split")
    c.send(split[-4:])
    check(c.response()[2] == b"0123456789", "a request split across reads")
    c.close()
    print("pipelining: answered in order, split request completed")


def expect_closing(port, request, want_status, what):
    c = Connection(port)
    c.send(request)
    status, headers, _ = c.response()
    check(status == want_status, f"{what}: status {status}, want {want_status}")
    check(headers.get("connection") == "close", f"{what}: no 'Connection: close'")
    check(c.at_eof(), f"{what}: connection not closed")
    c.close()


def test_closing(port):
    expect_closing(port, get(b"/", b"Connection: close\r\n"), 200, "Connection: close")
    expect_closing(port, b"GET / HTTP/1.0\r\n\r\n", 200, "HTTP/1.0")
    expect_closing(port, b"GARBAGE\r\n\r\n", 400, "malformed request line")
    expect_closing(port, get(b"/", b"no colon here\r\n"), 400, "header without colon")
    expect_closing(port, get(b"/", b"X-Big: %s\r\n" % (b"a" * 9000)), 431, "9 KiB of headers")
    expect_closing(port, b"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413, "2 MB body")
    expect_closing(port, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "chunked")
    print("close: Connection: close, HTTP/1.0, 400, 400, 431, 413, 501 each answered then closed")


def main():
    server = start([sys.argv[1]])
    test_curl(server.port)
    test_keep_alive(server.port)
    test_pipelining(server.port)
    test_closing(server.port)
    server.stop()
    print("http_server example: OK")


if __name__ == "__main__":
    main()
