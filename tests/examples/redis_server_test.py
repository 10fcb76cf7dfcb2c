#!/usr/bin/env python3
"""ctest "example_redis_server": c-examples/redis_server against redis-cli, redis-benchmark and a
hand-made client.

usage: redis_server_test.py REDIS_SERVER            (exit 77 = skipped: no redis-cli)

1. redis-cli: PING -> PONG, PING msg, ECHO of 1 MiB of random binary bytes (NULs, \\r\\n inside)
   comes back identical, an unknown command gets "ERR unknown command 'NOSUCH'".
2. Inline form: "PING\\r\\n" gets "+PONG\\r\\n" on a raw socket.
3. Split across reads: an ECHO array command and an inline PING are cut at every byte position;
   the head is sent with a PING before it, whose reply proves the server has read the head
   before the tail is sent. Each reply is exact.
4. Pipelining: 2000 commands in one send get 2000 replies, in order.
5. A malformed command gets "-ERR Protocol error" and the connection is closed.
6. redis-benchmark -t ping_inline,ping_mbulk -n 20000 -P 16 completes with non-zero rps.
7. SIGTERM: the server exits 0.
"""
import os
import re
import shutil
import socket
import subprocess
import sys

from example_proc import check, start


def cli(port, *args, stdin=None):
    r = subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True,
                       timeout=30)
    check(r.returncode == 0, f"redis-cli {args}: exit {r.returncode}: {r.stderr!r}")
    return r.stdout


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        check(chunk, f"connection closed after {data!r}, wanted {n} bytes")
        data += chunk
    return data


def test_redis_cli(port):
    check(cli(port, "PING") == b"PONG\n", "PING")
    check(cli(port, "PING", "hi there") == b"hi there\n", "PING msg")
    payload = os.urandom(1 << 20) + b"\r\n\x00end"
    check(cli(port, "-x", "ECHO", stdin=payload) == payload + b"\n", "ECHO of 1 MiB binary")
    check(cli(port, "NOSUCH", "x").startswith(b"ERR unknown command 'NOSUCH'"), "unknown command")
    print("redis-cli: PING, ECHO 1 MiB binary, unknown command: OK")


def test_split_reads(port):
    commands = [(b"*2\r\n$4\r\nECHO\r\n$11\r\nhello\r\nbulk\r\n", b"$11\r\nhello\r\nbulk\r\n"),
                (b"PING\r\n", b"+PONG\r\n")]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"PING\r\n")
        check(read_exactly(sock, 7) == b"+PONG\r\n", "inline PING")
        for command, want in commands:
            for cut in range(1, len(command)):
                sock.sendall(b"PING\r\n" + command[:cut])
                check(read_exactly(sock, 7) == b"+PONG\r\n", f"PING before a cut at {cut}")
                sock.sendall(command[cut:])
                got = read_exactly(sock, len(want))
                check(got == want, f"{command!r} cut at {cut}: got {got!r}")
    print("split across reads: every cut position answered exactly")


def test_pipeline(port):
    n = 2000
    batch = b"".join(b"*2\r\n$4\r\nECHO\r\n$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(n))
    want = b"".join(b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(n))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(batch)
        check(read_exactly(sock, len(want)) == want, "pipelined replies differ")
    print(f"pipelining: {n} commands in one send, {n} replies in order")


def test_malformed(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"*1\r\n$x\r\nPING\r\n")
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    check(reply == b"-ERR Protocol error\r\n", f"malformed: {reply!r}")
    print("malformed: protocol error, then closed")


def test_benchmark(port):
    r = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "ping_inline,ping_mbulk",
                        "-n", "20000", "-P", "16", "-q"], capture_output=True, timeout=90)
    out = r.stdout.decode(errors="replace")
    rates = re.findall(r"(PING_INLINE|PING_MBULK): ([0-9.]+) requests per second", out)
    check(r.returncode == 0 and len(rates) == 2 and all(float(x) > 0 for _, x in rates),
          f"redis-benchmark: exit {r.returncode}: {out!r} {r.stderr!r}")
    print("redis-benchmark: " + ", ".join(f"{name} {rate} rps" for name, rate in rates))


def main():
    if not shutil.which("redis-cli") or not shutil.which("redis-benchmark"):
        print("SKIP: redis-cli / redis-benchmark not installed (apt-get install redis-tools)")
        sys.exit(77)
    server = start([sys.argv[1]])
    test_redis_cli(server.port)
    test_split_reads(server.port)
    test_pipeline(server.port)
    test_malformed(server.port)
    test_benchmark(server.port)
    server.stop()
    print("redis_server example: OK")


if __name__ == "__main__":
    main()
