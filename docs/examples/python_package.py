"""docs/guide.md "Python": a TLS echo, a timer, a cancelled timer, call_soon_threadsafe from a
worker thread and a handler exception, with the installed package (or PYTHONPATH=
bindings/python/src and BUN_TCP_LIB). Checks what the guide says and exits 0 only if it held
(77: no BUN_TCP_TLS_FIXTURES)."""

import os
import sys
import threading

import bun_tcp

FIXTURES = os.environ.get("BUN_TCP_TLS_FIXTURES")
if not FIXTURES:
    print("set BUN_TCP_TLS_FIXTURES", file=sys.stderr)
    sys.exit(77)


def pem(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


events = []
errors = []

with bun_tcp.Loop() as loop:
    loop.exception_handler = errors.append  # instead of raising from loop.poll()

    def echo(sock, data):
        sock.write_all(data)

    server = loop.listen(hostname="127.0.0.1", port=0, on_data=echo,
                         tls=bun_tcp.TLSOptions(cert=pem("server.crt"), key=pem("server.key")))

    def on_open(sock):  # without on_handshake, open waits for the handshake
        events.append(f"open authorized={sock.authorized} {sock.tls_version}")
        sock.write(b"ping")

    def on_data(sock, data):
        events.append(f"data {data.decode()}")
        worker = threading.Thread(target=loop.call_soon_threadsafe,
                                  args=(sock.end,))          # sock.end() runs on the loop's thread
        worker.start()
        worker.join()

    def on_close(sock, error):
        events.append(f"close {error.name if error else 'clean'}")
        loop.call_later(0.05, events.append, "timer")       # runs on this thread, later
        server.stop()
        raise RuntimeError("handlers may raise")             # reported, not a crash

    loop.connect(hostname="127.0.0.1", port=server.port, on_open=on_open, on_data=on_data,
                 on_close=on_close,
                 tls=bun_tcp.TLSOptions(ca=pem("ca.crt"), server_name="localhost"))
    never = loop.call_later(0.01, events.append, "cancelled")
    never.cancel()
    loop.run()

print("\n".join(events))
assert events[0] in ("open authorized=True TLSv1.3", "open authorized=True TLSv1.2"), events
assert events[1:] == ["data ping", "close clean", "timer"], events
assert [str(e) for e in errors] == ["handlers may raise"], errors
print("python_package: ok")
