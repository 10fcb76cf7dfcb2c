"""ctest "python_features": the Python API beyond the basics (TLS, timers, call_soon_threadsafe,
listen_fd, adopt/detach, reload, cork, write limit, tracing) and every error path of it, with
exact codes, against the source tree's package and libbun_tcp.so. Needs BUN_TCP_TLS_FIXTURES.

    BUN_TCP_LIB=target/release/libbun_tcp.so BUN_TCP_TLS_FIXTURES=build/tls-fixtures \\
        python3 tests/python/test_features.py -v
"""

import errno
import gc
import os
import socket
import sys
import tempfile
import threading
import unittest

SOURCE_DIR = os.environ.get("BUN_TCP_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(SOURCE_DIR, "bindings", "python", "src"))

import bun_tcp  # noqa: E402

FIXTURES = os.environ.get("BUN_TCP_TLS_FIXTURES")
EINVAL, ECLOSED, EWRONGTHREAD, EBUSY, ENOTSUP = -22, -10001, -10002, -10005, -10007
ETLS_BAD_PEM, ETLS_KEY_MISMATCH, ETLS_KEY_ENCRYPTED = -10101, -10102, -10103


def pem(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def server_tls(**extra):
    return bun_tcp.TLSOptions(cert=pem("server.crt"), key=pem("server.key"), **extra)


def in_thread(func):
    """Runs func() on another thread; returns what it returned or the exception it raised."""
    result = []

    def body():
        try:
            result.append(func())
        except BaseException as exc:
            result.append(exc)
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return result[0]


class LoopTestCase(unittest.TestCase):
    def setUp(self):
        self.loop = bun_tcp.Loop()

    def tearDown(self):
        self.loop.close()

    def assertCode(self, code, func, *args, **kwargs):
        with self.assertRaises(bun_tcp.Error) as caught:
            func(*args, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception)
        return caught.exception

    def echo_server(self, **kwargs):
        return self.loop.listen(hostname="127.0.0.1", port=0,
                                on_data=lambda s, d: s.write_all(d), **kwargs)

    def open_pair(self):
        """An accepted socket and its client, both open (plain)."""
        accepted = []
        listener = self.loop.listen(hostname="127.0.0.1", port=0, on_open=accepted.append,
                                    on_data=lambda s, d: None)
        opened = []
        client = self.loop.connect(hostname="127.0.0.1", port=listener.port,
                                   on_open=opened.append, on_data=lambda s, d: None)
        self.loop.run_until(lambda: accepted and opened)
        return listener, accepted[0], client


@unittest.skipUnless(FIXTURES, "set BUN_TCP_TLS_FIXTURES")
class TestTLS(LoopTestCase):
    def test_echo_with_handshake_and_queries(self):
        server_events, trace = [], []
        listener = self.loop.listen(
            hostname="127.0.0.1", port=0, tls=server_tls(alpn=["h2", "x"]),
            on_open=lambda s: server_events.append(("open", s.server_name, s.alpn_protocol)),
            on_data=lambda s, d: s.write_all(d))

        def handshake(sock, success, verify_error):
            trace.append(f"handshake:{success}:{verify_error}")
            self.assertTrue(sock.authorized)
            self.assertIsNone(sock.verify_error)
            self.assertIn(sock.tls_version, ("TLSv1.2", "TLSv1.3"))
            self.assertEqual(sock.alpn_protocol, "x")
            self.assertFalse(sock.session_reused)
            self.assertGreater(len(sock.peer_certificate), 100)
            self.assertEqual(sock.peer_chain[0], sock.peer_certificate, "the chain starts with the leaf")
            self.assertEqual(len(sock.export_keying_material(16, "label", b"ctx")), 16)
            self.assertCode(EINVAL, sock.export_keying_material, 0, "label")
            sock.write(b"tls!")

        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          tls=bun_tcp.TLSOptions(ca=pem("ca.crt"), server_name="localhost",
                                                 alpn=["x"]),
                          on_open=lambda s: trace.append("open"), on_handshake=handshake,
                          on_data=lambda s, d: (trace.append("data:" + d.decode()), s.close()),
                          on_close=lambda s, e: trace.append(f"close:{e}"))
        self.loop.run_until(lambda: trace and trace[-1].startswith("close"))
        self.assertEqual(trace, ["open", "handshake:True:None", "data:tls!", "close:None"])
        self.assertEqual(server_events, [("open", "localhost", "x")])

    def test_untrusted_server_is_rejected_with_openssl_name(self):
        listener = self.loop.listen(hostname="127.0.0.1", port=0, on_data=lambda s, d: None,
                                    tls=bun_tcp.TLSOptions(cert=pem("self.crt"),
                                                           key=pem("self.key")))
        trace = []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          tls=bun_tcp.TLSOptions(server_name="localhost"),
                          on_open=lambda s: trace.append("open"), on_data=lambda s, d: None,
                          on_connect_error=lambda s, e: trace.append("connect_error:" + e.name))
        self.loop.run_until(lambda: trace)
        self.assertEqual(trace, ["connect_error:DEPTH_ZERO_SELF_SIGNED_CERT"])

    def test_allow_unauthorized_reports_the_verdict(self):
        listener = self.loop.listen(hostname="127.0.0.1", port=0, on_data=lambda s, d: None,
                                    tls=bun_tcp.TLSOptions(cert_file=os.path.join(FIXTURES, "self.crt"),
                                                           key_file=os.path.join(FIXTURES, "self.key")))
        seen = []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          tls=bun_tcp.TLSOptions(server_name="localhost", allow_unauthorized=True),
                          on_open=lambda s: (seen.append((s.authorized, s.verify_error.name)),
                                             s.close()),
                          on_data=lambda s, d: None)
        self.loop.run_until(lambda: seen)
        self.assertEqual(seen, [(False, "DEPTH_ZERO_SELF_SIGNED_CERT")])

    def test_bad_options_raise_exact_codes(self):
        def listen(tls):
            return self.loop.listen(hostname="127.0.0.1", port=0, on_data=lambda s, d: None,
                                    tls=tls)
        self.assertCode(ETLS_BAD_PEM, listen, bun_tcp.TLSOptions(cert=pem("garbage.pem"),
                                                                 key=pem("server.key")))
        self.assertCode(ETLS_KEY_MISMATCH, listen, bun_tcp.TLSOptions(cert=pem("server.crt"),
                                                                      key=pem("other.key")))
        self.assertCode(ETLS_KEY_ENCRYPTED, listen, bun_tcp.TLSOptions(
            cert=pem("server.crt"), key=pem("encrypted.key")))
        listen(bun_tcp.TLSOptions(cert=pem("server.crt"), key=pem("encrypted.key"),
                                  passphrase="secret")).stop()
        self.assertCode(-errno.ENOENT, listen, bun_tcp.TLSOptions(cert_file="/nonexistent.pem",
                                                                  key=pem("server.key")))
        self.assertCode(EINVAL, self.loop.connect, None, hostname="127.0.0.1", port=1,
                        tls=bun_tcp.TLSOptions(server_name="not a name"),
                        on_data=lambda s, d: None)

    def test_set_tls_rotates_and_rejects_bad_options(self):
        listener = self.echo_server(tls=server_tls())
        self.assertCode(ETLS_BAD_PEM, listener.set_tls, bun_tcp.TLSOptions(cert=b"junk",
                                                                           key=b"junk"))
        listener.set_tls(bun_tcp.TLSOptions(cert=pem("other.crt"), key=pem("other.key")))
        trace = []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          tls=bun_tcp.TLSOptions(ca=pem("ca.crt"), server_name="localhost"),
                          on_data=lambda s, d: None,
                          on_connect_error=lambda s, e: trace.append(e.name))
        self.loop.run_until(lambda: trace)
        self.assertEqual(trace, ["ERR_TLS_CERT_ALTNAME_INVALID"])  # the new cert is other.example
        listener.stop()
        self.assertCode(EWRONGTHREAD, lambda: _raise(in_thread(lambda: listener.set_tls(server_tls()))))

    def test_upgrade_tls_starttls(self):
        _listener, accepted, client = self.open_pair()
        trace = []
        accepted.upgrade_tls(server_tls(), is_server=True, on_data=lambda s, d: s.write_all(d),
                             on_handshake=lambda s, ok, e: trace.append(f"server:{ok}"))
        client.upgrade_tls(bun_tcp.TLSOptions(ca=pem("ca.crt")),
                           on_handshake=lambda s, ok, e: (trace.append(f"client:{ok}:{e}"),
                                                          s.write(b"up")),
                           on_data=lambda s, d: (trace.append("data:" + d.decode()), s.close()))
        self.loop.run_until(lambda: "data:up" in trace)
        self.assertEqual(sorted(trace), ["client:True:None", "data:up", "server:True"])
        self.assertCode(ECLOSED, client.upgrade_tls, bun_tcp.TLSOptions(ca=pem("ca.crt")), None,
                        on_data=lambda s, d: None)

    def test_detach_of_a_tls_socket_is_not_supported(self):
        listener = self.echo_server(tls=server_tls())
        opened = []
        client = self.loop.connect(hostname="127.0.0.1", port=listener.port,
                                   tls=bun_tcp.TLSOptions(ca=pem("ca.crt")),
                                   on_open=opened.append, on_data=lambda s, d: None)
        self.loop.run_until(lambda: opened)
        self.assertCode(ENOTSUP, client.detach)


def _raise(value):
    if isinstance(value, BaseException):
        raise value
    return value


class TestTimersAndThreads(LoopTestCase):
    def test_call_later_order_cancel_and_args(self):
        fired = []
        self.loop.call_later(0.03, fired.append, "late")
        self.loop.call_later(0.01, fired.append, "early")
        self.loop.call_later(-1, fired.append, "now")  # negative: the next iteration
        cancelled = self.loop.call_later(0.005, fired.append, "cancelled")
        cancelled.cancel()
        cancelled.cancel()  # a no-op, as in asyncio
        self.assertTrue(cancelled.cancelled())
        self.loop.run()  # the pending timers keep it alive, then it returns
        self.assertEqual(fired, ["now", "early", "late"])

    def test_cancel_after_fire_is_a_no_op_and_unref_lets_run_return(self):
        fired = []
        handle = self.loop.call_later(0, fired.append, 1)
        self.loop.run()
        handle.cancel()
        self.assertFalse(handle.cancelled())
        self.assertCode(ECLOSED, handle.unref)  # stale after it fired
        pending = self.loop.call_later(3600, fired.append, 2)
        pending.unref()
        self.loop.run()  # returns at once: nothing else keeps the loop alive
        pending.ref()
        self.assertTrue(self.loop.alive)
        pending.cancel()
        self.assertFalse(self.loop.alive)
        self.assertEqual(fired, [1])

    def test_a_raising_callback_raises_from_poll_and_the_loop_goes_on(self):
        def boom():
            raise ValueError("boom")
        fired = []
        self.loop.call_later(0, boom)
        with self.assertRaises(ValueError) as caught:
            self.loop.run()
        self.assertIn("raised by callback", "".join(caught.exception.__notes__))
        self.loop.call_later(0, fired.append, "after")
        self.loop.run()
        self.assertEqual(fired, ["after"])

    def test_exception_handler_gets_every_exception_in_order(self):
        def fail(text):
            raise ValueError(text)
        received = []
        self.loop.exception_handler = received.append
        self.loop.call_later(0, fail, "a")
        self.loop.call_later(0, fail, "b")
        self.loop.call_soon_threadsafe(fail, "posted")
        self.loop.run_until(lambda: len(received) == 3)
        texts = [str(e) for e in received]
        self.assertEqual(sorted(texts), ["a", "b", "posted"])
        self.assertLess(texts.index("a"), texts.index("b"))  # due timers: ties in start order
        self.loop.call_later(0, fail, "x")

        def interrupt():
            raise KeyboardInterrupt
        self.loop.call_later(0, interrupt)
        with self.assertRaises(KeyboardInterrupt):  # not an Exception: raised all the same
            self.loop.run()
        self.assertEqual(str(received[-1]), "x")

    def test_call_soon_threadsafe_runs_on_the_loop_thread_in_order(self):
        ran = []
        owner = threading.get_ident()

        def record(i):
            ran.append((i, threading.get_ident() == owner))

        def post_many():
            for i in range(100):
                self.loop.call_soon_threadsafe(record, i)
        in_thread(post_many)
        self.loop.run_until(lambda: len(ran) == 100)
        self.assertEqual(ran, [(i, True) for i in range(100)])

    def test_calls_from_another_thread_fail_with_ewrongthread(self):
        _listener, accepted, client = self.open_pair()
        for func in (client.cork, lambda: client.set_write_limit(1), accepted.uncork,
                     lambda: self.loop.call_later(0, print), self.loop.metrics,
                     lambda: self.loop.listen_fd(0, on_data=print)):
            exc = in_thread(func)
            self.assertIsInstance(exc, bun_tcp.Error)
            self.assertEqual(exc.code, EWRONGTHREAD, exc)
        self.assertIsNone(in_thread(self.loop.wakeup))

    def test_after_close_calls_fail_with_einval(self):
        loop = bun_tcp.Loop()
        loop.call_later(0, print)
        loop.close()  # drops the pending timer without calling it
        self.assertCode(EINVAL, loop.call_soon_threadsafe, print)
        self.assertCode(EINVAL, loop.call_later, 0, print)
        self.assertCode(EINVAL, loop.listen_fd, 0, None, on_data=print)


class TestSockets(LoopTestCase):
    def test_cork_coalesces_and_write_limit_refuses(self):
        listener = self.echo_server()
        got, errors = [], []

        def on_open(sock):
            sock.set_write_limit(4)
            try:
                sock.write_all(b"12345")
            except bun_tcp.Error as err:
                errors.append(err.code)
            sock.set_write_limit(0)
            sock.cork()
            for part in (b"a", b"b", b"c"):
                sock.write_all(part)
            sock.uncork()
            sock.flush()
        self.loop.connect(hostname="127.0.0.1", port=listener.port, on_open=on_open,
                          on_data=lambda s, d: got.append(d))
        self.loop.run_until(lambda: b"".join(got) == b"abc")
        self.assertEqual(errors, [-errno.ENOBUFS])

    def test_stale_socket_calls_raise_eclosed_and_queries_are_neutral(self):
        _listener, accepted, client = self.open_pair()
        client.close()
        self.loop.poll(0)
        for func in (client.cork, client.uncork, client.flush, lambda: client.set_write_limit(1),
                     lambda: client.reload(on_data=print), client.detach,
                     lambda: client.set_keep_alive(True, 1.0),
                     lambda: client.export_keying_material(8, "x")):
            self.assertCode(ECLOSED, func)
        self.assertFalse(client.authorized)
        self.assertIsNone(client.tls_version)
        self.assertIsNone(client.cipher)
        self.assertFalse(client.session_reused)
        self.assertCode(ECLOSED, lambda: client.verify_error)
        self.assertCode(ECLOSED, lambda: client.peer_certificate)
        self.assertCode(ECLOSED, lambda: client.remote_family)
        self.assertIsNone(client.listener)

    def test_plain_socket_tls_queries(self):
        listener, accepted, client = self.open_pair()
        self.assertEqual(accepted.listener, listener)
        self.assertEqual((client.authorized, client.verify_error, client.tls_version,
                          client.alpn_protocol, client.server_name, client.peer_certificate),
                         (False, None, None, None, None, None))
        self.assertEqual((client.local_family, client.remote_family), (socket.AF_INET,) * 2)
        self.assertCode(ENOTSUP, client.export_keying_material, 8, "x")
        client.set_keep_alive(True, 5.0)
        client.set_keep_alive(True, 5, interval=2, count=3)

    def test_socket_reload_and_detach_adopt(self):
        listener, accepted, client = self.open_pair()
        got = []
        accepted.reload(on_data=lambda s, d: (got.append(d), s.write_all(d.upper())))
        replies = []
        client.reload(on_data=lambda s, d: replies.append(d))
        client.write(b"abc")
        self.loop.run_until(lambda: replies == [b"ABC"])
        fd = client.detach()
        self.assertCode(ECLOSED, client.write, b"x")  # stale after detach
        again = self.loop.adopt(fd, on_open=lambda s: s.write(b"adopted"),
                                on_data=lambda s, d: replies.append(d))
        self.loop.run_until(lambda: replies == [b"ABC", b"ADOPTED"])
        self.assertEqual(got, [b"abc", b"adopted"])
        self.assertEqual(again.ready_state, bun_tcp.STATE_OPEN)

    def test_detach_inside_its_own_handler(self):
        listener = self.echo_server()
        fds, got = [], []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          on_open=lambda s: s.write(b"one"),
                          on_data=lambda s, d: fds.append(s.detach()))
        self.loop.run_until(lambda: fds)
        gc.collect()  # the detached socket's tables go once the poll returned, not before
        self.loop.adopt(fds[0], on_open=lambda s: s.write(b"two"),
                        on_data=lambda s, d: (got.append(d), s.close()))
        self.loop.run_until(lambda: got)
        self.assertEqual(got, [b"two"])

    def test_detach_with_queued_bytes_is_ebusy(self):
        _listener, accepted, client = self.open_pair()
        accepted.pause()
        with socket.socket(fileno=os.dup(client.fd)) as dup:
            dup.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        client.write_all(b"x" * (8 << 20))
        self.assertGreater(client.buffered_amount, 0)
        self.assertCode(EBUSY, client.detach)

    def test_adopt_bad_descriptors(self):
        self.assertCode(EINVAL, self.loop.adopt, -1, None, on_data=print)
        with tempfile.TemporaryFile() as f:
            self.assertCode(-errno.ENOTSOCK, self.loop.adopt, f.fileno(), None, on_data=print)

    def test_handlers_survive_garbage_collection(self):
        listener = self.loop.listen(hostname="127.0.0.1", port=0,
                                    on_data=lambda s, d: s.write_all(d))
        got = []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          on_open=lambda s: s.write(b"gc"), on_data=lambda s, d: got.append(d))
        gc.collect()
        self.loop.run_until(lambda: got == [b"gc"])


class TestListenFd(LoopTestCase):
    def test_listen_fd_takes_a_bound_socket(self):
        inherited = socket.socket(socket.AF_INET6)
        inherited.bind(("::1", 0))
        port = inherited.getsockname()[1]
        listener = self.loop.listen_fd(inherited, on_data=lambda s, d: s.end(d))
        self.assertEqual(inherited.fileno(), -1)
        self.assertEqual((listener.address, listener.port, listener.family),
                         ("::1", port, socket.AF_INET6))
        got = []
        self.loop.connect(hostname="::1", port=port, on_open=lambda s: s.write(b"v6"),
                          on_data=lambda s, d: got.append(d))
        self.loop.run_until(lambda: got == [b"v6"])

    def test_listen_fd_errors_leave_the_descriptor_to_the_caller(self):
        unbound = socket.socket()
        self.assertCode(EINVAL, self.loop.listen_fd, unbound, None, on_data=print)
        self.assertNotEqual(unbound.fileno(), -1)  # still the caller's
        unbound.close()
        self.assertCode(EINVAL, self.loop.listen_fd, -1, None, on_data=print)
        self.assertCode(EINVAL, self.loop.listen_fd, 0, None)  # no data or drain handler
        closed = socket.socket()
        number = closed.fileno()
        closed.close()
        self.assertCode(-errno.EBADF, self.loop.listen_fd, number, None, on_data=print)
        with tempfile.TemporaryFile() as f:
            self.assertCode(-errno.ENOTSOCK, self.loop.listen_fd, f.fileno(), None,
                            on_data=print)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        self.assertCode(EINVAL, self.loop.listen_fd, udp, None, on_data=print)
        udp.close()


class TestTraceAndMetrics(LoopTestCase):
    def test_trace_lines_and_metrics(self):
        lines = []
        self.loop.set_trace(lines.append)
        listener = self.echo_server()
        done = []
        self.loop.connect(hostname="127.0.0.1", port=listener.port,
                          on_open=lambda s: s.write(b"m"), on_data=lambda s, d: s.close(),
                          on_close=lambda s, e: done.append(1))
        self.loop.run_until(lambda: done)
        self.loop.set_trace(None)
        self.assertTrue(all(line.startswith("bun_tcp loop=") for line in lines), lines)
        self.assertIn(" open", lines[0])
        metrics = self.loop.metrics()
        self.assertEqual((metrics.accepts, metrics.connects), (1, 1))
        self.assertGreaterEqual(metrics.bytes_read, 2)
        self.loop.time_handlers(True)
        self.assertGreaterEqual(self.loop.next_timeout_ms(), -1)
        self.assertGreater(self.loop.fileno(), 2)
        self.assertIn(bun_tcp.tls_provider(), ("ring", "aws-lc-rs"))


if __name__ == "__main__":
    unittest.main()
