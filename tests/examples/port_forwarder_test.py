#!/usr/bin/env python3
"""ctest "example_port_forwarder": c-examples/port_forwarder between two python peers.

usage: port_forwarder_test.py PORT_FORWARDER

1. 64 MiB each way at the same time, from fast senders to readers throttled to 32 MiB/s: the
   SHA-256 of each direction matches end to end, the forwarder reports the byte counts, and its
   peak RSS (VmHWM) stays under 48 MiB, far below the 128 MiB it would hold without backpressure.
2. Half-close: the client sends 1 MiB then shuts down its write side; the target replies (its
   digest of what it read) only after it sees that EOF, and the client still receives the reply.
3. SIGTERM while a connection is open: the client sees the connection end, exit status 0.
4. Progress line: never when stderr is a file (no \\r in the log), present on a terminal (a pty).
"""
import hashlib
import os
import select
import socket
import sys
import threading
import time

from example_proc import check, fail, start

MIB = 1 << 20
PAYLOAD = int(os.environ.get("BUN_TCP_EXAMPLE_FORWARD_MIB", "64")) * MIB
SLOW_READ_RATE = 32 * MIB  # bytes/s
RSS_LIMIT_KIB = 48 * 1024


def send_random(sock, nbytes, digest):
    while nbytes > 0:
        chunk = os.urandom(min(nbytes, 256 * 1024))
        digest.update(chunk)
        sock.sendall(chunk)
        nbytes -= len(chunk)
    sock.shutdown(socket.SHUT_WR)


def read_slowly(sock, digest):
    """Reads to EOF at SLOW_READ_RATE at most; returns the byte count."""
    got, t0 = 0, time.monotonic()
    while True:
        chunk = sock.recv(64 * 1024)
        if not chunk:
            return got
        digest.update(chunk)
        got += len(chunk)
        ahead = got / SLOW_READ_RATE - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)  # rate limiting, not synchronisation


def exchange(sock, result):
    """Sends PAYLOAD random bytes and reads everything the other side sends, both at once."""
    sent, received = hashlib.sha256(), hashlib.sha256()
    sender = threading.Thread(target=send_random, args=(sock, PAYLOAD, sent))
    sender.start()
    result["received_bytes"] = read_slowly(sock, received)
    sender.join()
    result["sent"], result["received"] = sent.hexdigest(), received.hexdigest()
    sock.close()


def reply_after_eof(sock, result):
    digest = hashlib.sha256()
    while chunk := sock.recv(64 * 1024):
        digest.update(chunk)
    try:
        sock.sendall(digest.hexdigest().encode() + b"\n")  # our write side is still open after EOF
    except OSError:
        pass  # the forwarder was stopped: nobody is listening any more
    sock.close()


class Target:
    """Accepts connections and runs `self.serve(sock, self.result)` on each, in a thread."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.serve, self.result = None, {}
        self.accepted, self.done = threading.Event(), threading.Event()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            sock, _ = self.listener.accept()
            sock.settimeout(60)
            self.accepted.set()
            self.serve(sock, self.result)
            self.done.set()


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=60)


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    fail("no VmHWM in /proc/PID/status")


def test_bulk_both_ways(fwd, target):
    target.serve, target.result = exchange, {}
    target.done.clear()
    client = {}
    exchange(connect(fwd.port), client)
    check(target.done.wait(60), "the target connection did not finish")
    t = target.result
    check(t["received"] == client["sent"], "client -> target: SHA-256 differs")
    check(client["received"] == t["sent"], "target -> client: SHA-256 differs")
    check(client["received_bytes"] == PAYLOAD and t["received_bytes"] == PAYLOAD,
          f"byte counts {client['received_bytes']} / {t['received_bytes']}, want {PAYLOAD}")
    fwd.wait_for(rb"^connection done: %d bytes up, %d bytes down$" % (PAYLOAD, PAYLOAD))
    hwm = vm_hwm_kib(fwd.proc.pid)
    print(f"bulk: {PAYLOAD // MIB} MiB each way, SHA-256 equal; forwarder VmHWM {hwm} KiB")
    check(hwm < RSS_LIMIT_KIB, f"forwarder peak RSS {hwm} KiB >= {RSS_LIMIT_KIB} KiB")


def test_half_close(fwd, target):
    target.serve, target.result = reply_after_eof, {}
    target.done.clear()
    sock = connect(fwd.port)
    data = os.urandom(MIB)
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    reply = b""
    while chunk := sock.recv(4096):
        reply += chunk
    sock.close()
    check(reply == hashlib.sha256(data).hexdigest().encode() + b"\n",
          f"half-close: reply after EOF was {reply[:80]!r}")
    check(target.done.wait(10), "the target connection did not finish")
    print("half-close: the reply sent after the client's FIN arrived")


def test_stop_with_live_connection(fwd, target):
    target.serve, target.result = reply_after_eof, {}
    target.accepted.clear()
    sock = connect(fwd.port)
    sock.sendall(b"still talking")
    check(target.accepted.wait(10), "the forwarder did not connect to the target")
    out = fwd.stop()  # SIGTERM: exit status 0 within 10 s
    try:
        check(sock.recv(4096) == b"", "data after the forwarder stopped")
    except ConnectionResetError:
        pass
    sock.close()
    print("SIGTERM with a live connection: closed, exit status 0")
    return out


def test_progress_on_terminal(binary, target):
    master, slave = os.openpty()
    fwd = start([binary, str(target.port)], stderr_to=slave)
    os.close(slave)
    seen, deadline = b"", time.monotonic() + 10
    while b"MiB/s" not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            seen += os.read(master, 4096)
    fwd.stop()
    os.close(master)
    check(b"\r" in seen and b"MiB/s" in seen, f"no progress line on a terminal: {seen!r}")
    print("progress: shown on a terminal")


def main():
    binary = sys.argv[1]
    target = Target()
    fwd = start([binary, str(target.port)])
    test_bulk_both_ways(fwd, target)
    test_half_close(fwd, target)
    out = test_stop_with_live_connection(fwd, target)
    check(b"\r" not in out, "a progress line was written to a file")
    test_progress_on_terminal(binary, target)
    print("port_forwarder example: OK")


if __name__ == "__main__":
    main()
