"""ctest "python_host": the ctypes binding (bindings/python/src/bun_tcp) against libbun_tcp.so, with
server and client in one loop on loopback. Plain unittest:

    BUN_TCP_LIB=target/release/libbun_tcp.so python3 tests/python/test_bun_tcp.py -v
"""

import ctypes
import errno
import gc
import hashlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("BUN_TCP_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
BINDING_DIR = os.path.join(SOURCE_DIR, "bindings", "python")  # echo_server.py; the package in src/
sys.path.insert(0, os.path.join(BINDING_DIR, "src"))

import bun_tcp  # noqa: E402


class Recorder:
    """Handlers that record every event as a string: "open", "data:hello", "close:ECONNRESET"."""

    def __init__(self, keep_data=True):
        self.trace = []
        self.keep_data = keep_data
        self.received = bytearray()

    def on_open(self, sock):
        self.trace.append("open")

    def on_data(self, sock, data):
        self.received += data
        if self.keep_data:
            self.trace.append("data:" + data.decode())
        elif not self.trace or self.trace[-1] != "data":
            self.trace.append("data")

    def on_end(self, sock):
        self.trace.append("end")

    def on_close(self, sock, error):
        self.trace.append("close" + (":" + error.name if error else ""))

    def on_connect_error(self, sock, error):
        self.trace.append("connect_error:" + error.name)

    @property
    def done(self):
        return bool(self.trace) and self.trace[-1].startswith(("close", "connect_error"))


def shrink_kernel_buffers(sock, size=64 << 10):
    """Small kernel buffers (autotuning off), so that 4 MiB cannot fit in them whole."""
    with socket.socket(fileno=os.dup(sock.fd)) as dup:
        dup.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        dup.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class LoopTestCase(unittest.TestCase):
    def setUp(self):
        self.loop = bun_tcp.Loop()

    def tearDown(self):
        self.loop.close()


class TestStructLayout(unittest.TestCase):
    """The ctypes structs passed to the library must match the C compiler's layout exactly."""

    FIELDS = {
        "bun_tcp_listen_options": (bun_tcp._ListenOptions, "hostname port data tls unix_path "
                                   "allow_half_open reuse_port ipv6_only backlog "
                                   "unix_path_len tls_handshake_timeout_ms"),
        "bun_tcp_connect_options": (bun_tcp._ConnectOptions,
                                    "hostname port data tls unix_path allow_half_open "
                                    "local_address local_port connect_timeout_ms "
                                    "unix_path_len"),
        "bun_tcp_handlers": (bun_tcp._Handlers, "open data drain end close error timeout "
                             "connect_error handshake"),
        "bun_tcp_error": (bun_tcp._CError, "code name syscall message"),
        "bun_tcp_socket": (bun_tcp._SocketHandle, "id"),
        "bun_tcp_listener": (bun_tcp._ListenerHandle, "id"),
        "bun_tcp_timer": (bun_tcp._TimerHandle, "id"),
        "bun_tcp_bytes": (bun_tcp._Bytes, "ptr len"),
        "bun_tcp_tls_options": (bun_tcp._TLSOptions, "key key_count cert cert_count ca ca_count "
                                "server_name allow_unauthorized request_cert key_file "
                                "cert_file ca_file passphrase alpn alpn_count min_version "
                                "max_version keylog_file disable_session_resumption cipher_suites "
                                "cipher_suites_count groups groups_count crl crl_count crl_file"),
        "bun_tcp_metrics": (bun_tcp._Metrics, "iterations events accepts connects "
                            "connect_errors closes handler_calls bytes_read bytes_written "
                            "bytes_queued handler_ns"),
        "bun_tcp_trace_event": (bun_tcp._TraceEvent, "socket handler len success error line"),
    }

    def test_offsets_and_sizes_match_the_header(self):
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
        if not compiler:
            self.skipTest("no C compiler to read the header's layout")
        lines, expected = [], []
        for struct, (py_type, names) in self.FIELDS.items():
            lines.append(f'printf("%zu\\n", sizeof(struct {struct}));')
            expected.append(ctypes.sizeof(py_type))
            for name in names.split():
                lines.append(f'printf("%zu\\n", offsetof(struct {struct}, {name}));')
                expected.append(getattr(py_type, name).offset)
        program = ("#include <stddef.h>\n#include <stdio.h>\n#include <bun_tcp.h>\n"
                   "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n")
        with tempfile.TemporaryDirectory() as tmp:
            source, binary = os.path.join(tmp, "layout.c"), os.path.join(tmp, "layout")
            with open(source, "w") as f:
                f.write(program)
            include = os.path.join(SOURCE_DIR, "include")
            subprocess.run([compiler, "-I", include, "-o", binary, source], check=True)
            got = [int(x) for x in subprocess.run([binary], check=True, capture_output=True,
                                                   text=True).stdout.split()]
        self.assertEqual(got, expected)


class TestEcho(LoopTestCase):
    def test_event_order_server_and_client(self):
        server = Recorder()
        server.on_data = lambda sock, data: (server.trace.append("data:" + data.decode()),
                                             sock.write(b"world"))
        listener = self.loop.listen(server, hostname="127.0.0.1", port=0)
        client = Recorder()
        client.on_open = lambda sock: (client.trace.append("open"), sock.write(b"hello"))
        client.on_data = lambda sock, data: (client.trace.append("data:" + data.decode()), sock.end())
        sock = self.loop.connect(client, hostname="127.0.0.1", port=listener.port)
        self.assertEqual(sock.ready_state, bun_tcp.STATE_CONNECTING)

        self.loop.run_until(lambda: server.done and client.done)
        self.assertEqual(server.trace, ["open", "data:hello", "end", "close"])
        self.assertEqual(client.trace, ["open", "data:world", "end", "close"])

        # The handle is stale now: calls raise instead of crashing.
        with self.assertRaises(bun_tcp.Error) as caught:
            sock.write(b"late")
        self.assertEqual(caught.exception.name, "ECLOSED")
        listener.stop()
        self.loop.poll(0)
        self.assertEqual((self.loop.socket_count, self.loop.listener_count), (0, 0))
        self.assertEqual((self.loop._sockets, self.loop._retired), ({}, []))  # Python side too

    def test_client_callbacks_are_released_safely(self):
        """Each connect's handler table is dropped once its socket closed; collecting it right
        away must not break the loop (a freed ctypes callback would crash it)."""
        listener = self.loop.listen(hostname="127.0.0.1", on_data=lambda sock, data: sock.write(data))
        for i in range(200):
            client = Recorder()
            client.on_open = lambda sock: sock.write(b"%d" % i)
            client.on_data = lambda sock, data: (client.trace.append("data:" + data.decode()), sock.end())
            self.loop.connect(client, hostname="127.0.0.1", port=listener.port)
            self.loop.run_until(lambda: client.done)
            self.assertEqual(client.trace, [f"data:{i}", "end", "close"])
            gc.collect()
        self.loop.poll(0)
        self.assertEqual((self.loop._sockets, self.loop._retired), ({}, []))
        self.assertEqual(len(self.loop._listener_tables), 1)

    def test_4mib_echo_with_short_writes_and_drain(self):
        size = 4 << 20
        # Distinct 32-byte blocks, so a lost, repeated or reordered block cannot go unnoticed.
        payload = bytearray(b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest()
                                     for i in range(size // 32)))
        stats = {"client_short": 0, "client_drain": 0, "server_short": 0, "server_drain": 0}

        class EchoServer:
            """Echoes with write(): what the kernel refuses waits in `pending` until on_drain;
            FIN goes out once everything has been echoed (hence allow_half_open)."""

            def on_open(self, sock):
                sock.data = {"pending": bytearray(), "peer_ended": False}
                accepted.append(sock)
                shrink_kernel_buffers(sock)
                sock.pause()  # until the client has seen its first short write

            def on_data(self, sock, data):
                pending = sock.data["pending"]
                sent = 0 if pending else sock.write(data)
                if sent < len(data):
                    stats["server_short"] += not pending
                    pending += memoryview(data)[sent:]

            def on_drain(self, sock):
                stats["server_drain"] += 1
                state = sock.data
                del state["pending"][:sock.write(state["pending"])]
                if not state["pending"] and state["peer_ended"]:
                    sock.end()

            def on_end(self, sock):
                sock.data["peer_ended"] = True
                if not sock.data["pending"]:
                    sock.end()

        accepted = []
        listener = self.loop.listen(EchoServer(), hostname="127.0.0.1", allow_half_open=True)

        # The client reads nothing until it has sent everything, so the echo must back up in
        # the server too: both sides see short writes and drains.
        client = Recorder(keep_data=False)
        sent = 0

        def send_rest(sock):
            nonlocal sent
            sent += sock.write(memoryview(payload)[sent:])
            if sent < size:
                stats["client_short"] += 1
            else:
                sock.end()
                sock.resume()

        def on_drain(sock):
            stats["client_drain"] += 1
            send_rest(sock)

        client.on_open = lambda sock: (client.trace.append("open"), shrink_kernel_buffers(sock),
                                       sock.pause())
        client.on_drain = on_drain
        sock = self.loop.connect(client, hostname="127.0.0.1", port=listener.port)
        self.loop.run_until(lambda: accepted and sock.ready_state == bun_tcp.STATE_OPEN)

        send_rest(sock)
        self.assertEqual(stats["client_short"], 1, "4 MiB to a paused peer must be a short write")
        self.assertEqual(stats["client_drain"], 0, "drain never fires inside write")
        accepted[0].resume()
        self.loop.run_until(lambda: client.done, timeout=60)

        print(f"\n    4 MiB echo: {stats}", file=sys.stderr)
        self.assertEqual(client.trace, ["open", "data", "end", "close"])
        self.assertEqual(sent, size)
        self.assertGreaterEqual(stats["client_drain"], 1)
        self.assertGreaterEqual(stats["server_short"], 1)
        self.assertGreaterEqual(stats["server_drain"], 1)
        self.assertEqual(len(client.received), size)
        self.assertTrue(client.received == payload, "echoed bytes differ from the bytes sent")
        listener.stop()


class TestErrors(LoopTestCase):
    def test_listen_on_a_port_in_use_raises_eaddrinuse(self):
        first = self.loop.listen(hostname="127.0.0.1", port=0, on_data=lambda s, d: None)
        with self.assertRaises(bun_tcp.Error) as caught:
            self.loop.listen(hostname="127.0.0.1", port=first.port, on_data=lambda s, d: None)
        err = caught.exception
        self.assertEqual(err.code, -errno.EADDRINUSE)
        self.assertEqual(err.name, "EADDRINUSE")
        self.assertIn(str(first.port), err.message)
        self.assertEqual(self.loop.listener_count, 1)

    def test_handlers_without_data_or_drain_raise_einval(self):
        with self.assertRaises(bun_tcp.Error) as caught:
            self.loop.listen(hostname="127.0.0.1", on_open=lambda s: None)
        self.assertEqual(caught.exception.code, -errno.EINVAL)

    def test_connect_refused_fires_connect_error_only(self):
        closed_port = self.loop.listen(hostname="127.0.0.1", on_data=lambda s, d: None)
        port = closed_port.port
        closed_port.stop()
        client = Recorder()
        self.loop.connect(client, hostname="127.0.0.1", port=port, on_data=client.on_data)
        self.loop.run_until(lambda: client.done)
        self.assertEqual(client.trace, ["connect_error:ECONNREFUSED"])

    def test_exception_in_handler_closes_the_socket_and_is_raised_from_poll(self):
        """Decided behaviour: the process survives; the socket whose handler raised is closed
        (its on_close runs), the exception comes out of the poll that ran the handler, and
        the loop keeps serving other connections."""
        server = Recorder()

        def on_data(sock, data):
            server.trace.append("data:" + data.decode())
            if data == b"boom":
                raise ValueError("handler failed")
            sock.write(data)

        listener = self.loop.listen(server, hostname="127.0.0.1", on_data=on_data)
        first = Recorder()
        first.on_open = lambda sock: (first.trace.append("open"), sock.write(b"boom"))
        self.loop.connect(first, hostname="127.0.0.1", port=listener.port)
        with self.assertRaises(ValueError) as caught:
            self.loop.run_until(lambda: False)
        self.assertIn("on_data", " ".join(caught.exception.__notes__))
        self.assertEqual(server.trace, ["open", "data:boom", "close"])
        self.loop.run_until(lambda: first.done)
        self.assertEqual(first.trace, ["open", "end", "close"])

        second = Recorder()
        second.on_open = lambda sock: (second.trace.append("open"), sock.write(b"fine"))
        second.on_data = lambda sock, data: (second.trace.append("data:" + data.decode()), sock.end())
        self.loop.connect(second, hostname="127.0.0.1", port=listener.port)
        self.loop.run_until(lambda: second.done)
        self.assertEqual(second.trace, ["open", "data:fine", "end", "close"])


class TestEchoServerExample(LoopTestCase):
    def test_example_echoes_and_stops_on_sigterm(self):
        # the example imports the installed package; here, the one in the source tree
        env = dict(os.environ, PYTHONPATH=os.path.join(BINDING_DIR, "src"))
        server = subprocess.Popen([sys.executable, os.path.join(BINDING_DIR, "echo_server.py")],
                                  stdout=subprocess.PIPE, text=True, env=env)
        try:
            ready, _, _ = select.select([server.stdout], [], [], 10)
            self.assertTrue(ready, "echo_server.py printed nothing within 10 s")
            line = server.stdout.readline()
            self.assertRegex(line, r"^listening on 127\.0\.0\.1:\d+$")
            port = int(line.rsplit(":", 1)[1])

            client = Recorder()
            client.on_open = lambda sock: (client.trace.append("open"), sock.write(b"ping"))
            client.on_data = lambda sock, data: (client.trace.append("data:" + data.decode()), sock.end())
            self.loop.connect(client, hostname="127.0.0.1", port=port)
            self.loop.run_until(lambda: client.done)
            self.assertEqual(client.trace, ["open", "data:ping", "end", "close"])
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                output, _ = server.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.communicate()
                raise
        self.assertEqual(server.returncode, 0)
        self.assertRegex(output, r"^open   127\.0\.0\.1:\d+\nclose  \(clean\)\nstopped\n$")


if __name__ == "__main__":
    unittest.main(verbosity=2)
