"""Run by tests/python/package_test.py with the venv's python, from a temporary directory outside
the checkout, with no BUN_TCP_LIB, LD_LIBRARY_PATH or PYTHONPATH: the installed wheel must be
all it needs. Usage: package_scenario.py TLS_FIXTURE_DIR

One loop: a TLS echo (server and client), a timer, a cancelled timer, a call_soon_threadsafe
from another thread, cork/uncork, the write limit, a timer callback that raises (reported to
Loop.exception_handler, the process goes on), and listen_fd. Asserts both handler traces
exactly, then prints "package scenario: ok".
"""

import os
import socket
import sys
import threading

import bun_tcp

fixtures = sys.argv[1]
here = os.path.dirname(os.path.abspath(bun_tcp.__file__))
assert "site-packages" in here, f"bun_tcp imported from {here}, not from the venv"
assert os.path.exists(os.path.join(here, "libbun_tcp.so")), "the wheel holds no libbun_tcp.so"
assert os.path.exists(os.path.join(here, "py.typed"))
assert not any(os.environ.get(v) for v in ("BUN_TCP_LIB", "LD_LIBRARY_PATH", "PYTHONPATH"))


def pem(name):
    with open(os.path.join(fixtures, name), "rb") as f:
        return f.read()


loop_thread = threading.get_ident()
server_trace, client_trace = [], []
reported = []


class Server:
    def on_open(self, sock):
        server_trace.append(f"open:{sock.tls_version is not None}:{sock.server_name}:"
                            f"{sock.authorized}")

    def on_data(self, sock, data):
        server_trace.append("data:" + data.decode())
        sock.write_all(data)

    def on_close(self, sock, error):
        server_trace.append("close" + (":" + error.name if error else ""))


def on_posted(sock, text):
    client_trace.append(f"posted:{text}:{threading.get_ident() == loop_thread}")
    sock.end()


def on_timer(sock):
    client_trace.append("timer")
    # Another thread hands work back to the loop's thread.
    threading.Thread(target=lambda: loop.call_soon_threadsafe(on_posted, sock, "hi")).start()


def never():
    client_trace.append("cancelled timer fired")


def raises():
    raise ValueError("raised in a timer callback")


class Client:
    def on_open(self, sock):
        client_trace.append("open")  # at TCP connect: this client has on_handshake

    def on_handshake(self, sock, success, verify_error):
        client_trace.append(f"handshake:{success}:{verify_error}:{sock.authorized}")
        assert sock.verify_error is None
        assert sock.tls_version in ("TLSv1.2", "TLSv1.3"), sock.tls_version
        assert sock.cipher and sock.cipher.startswith("TLS_"), sock.cipher
        assert sock.peer_certificate[:1] == b"\x30"  # DER: a SEQUENCE
        assert len(sock.export_keying_material(32, "EXPORTER-test")) == 32
        sock.set_write_limit(4)
        try:
            sock.write_all(b"12345")
            raise AssertionError("write_all past the write limit did not raise")
        except bun_tcp.Error as err:
            assert err.name == "ENOBUFS", err.name
        sock.set_write_limit(0)
        sock.cork()
        sock.write_all(b"hel")
        sock.write_all(b"lo")
        sock.uncork()

    def on_data(self, sock, data):
        client_trace.append("data:" + data.decode())
        loop.call_later(0.05, on_timer, sock)

    def on_close(self, sock, error):
        client_trace.append("close" + (":" + error.name if error else ""))


with bun_tcp.Loop() as loop:
    loop.exception_handler = reported.append
    server_tls = bun_tcp.TLSOptions(cert=pem("server.crt"), key=pem("server.key"))
    listener = loop.listen(Server(), hostname="127.0.0.1", port=0, tls=server_tls)
    client_tls = bun_tcp.TLSOptions(ca=pem("ca.crt"), server_name="localhost")
    loop.connect(Client(), hostname="127.0.0.1", port=listener.port, tls=client_tls)
    loop.call_later(0.01, never).cancel()
    loop.call_later(0.0, raises)
    loop.run_until(lambda: "close" in client_trace and "close" in server_trace, timeout=30)

    assert client_trace == ["open", "handshake:True:None:True", "data:hello", "timer",
                            "posted:hi:True", "close"], client_trace
    assert server_trace == ["open:True:localhost:False", "data:hello", "close"], server_trace
    assert [str(e) for e in reported] == ["raised in a timer callback"], reported

    # listen_fd: a socket bound by Python, handed over to the library
    inherited = socket.socket()
    inherited.bind(("127.0.0.1", 0))
    port = inherited.getsockname()[1]
    got = []
    fd_listener = loop.listen_fd(inherited, on_data=lambda s, d: (got.append(d), s.end()))
    assert inherited.fileno() == -1  # detached: the listener owns the descriptor now
    assert (fd_listener.address, fd_listener.port, fd_listener.family) == (
        "127.0.0.1", port, socket.AF_INET)
    loop.connect(hostname="127.0.0.1", port=port, on_open=lambda s: s.write(b"fd"),
                 on_data=lambda s, d: None)
    loop.run_until(lambda: got == [b"fd"])
    listener.stop()
    fd_listener.stop(close_active=True)

print("package scenario: ok")
