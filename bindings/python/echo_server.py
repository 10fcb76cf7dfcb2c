"""A TCP echo server on bun_tcp.

    python3 echo_server.py [port] [host]        (defaults: 0 = any free port, 127.0.0.1)

with the package installed (pip install ./bindings/python), or from the checkout with
PYTHONPATH=bindings/python/src and BUN_TCP_LIB=target/release/libbun_tcp.so.

Prints "listening on HOST:PORT" once ready, then echoes every byte back to its sender until
Ctrl-C or SIGTERM, which close every connection and end the program cleanly. write_all never drops bytes (the library queues what the kernel
did not take); a peer that lets more than HIGH_WATER pile up is paused until on_drain.
"""

import signal
import sys

import bun_tcp

HIGH_WATER = 1 << 20


class Echo:
    def on_open(self, sock):
        print(f"open   {sock.remote_address}:{sock.remote_port}", flush=True)

    def on_data(self, sock, data):
        sock.write_all(data)
        if sock.buffered_amount > HIGH_WATER:
            sock.pause()

    def on_drain(self, sock):
        sock.resume()  # the queue is empty again (a no-op if we never paused)

    def on_close(self, sock, error):
        print(f"close  {error.name if error else '(clean)'}", flush=True)


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    with bun_tcp.Loop() as loop:
        try:
            server = loop.listen(Echo(), hostname=host, port=port)
        except bun_tcp.Error as err:
            sys.exit(f"listen on {host}:{port} failed: {err.name} ({err.message})")
        print(f"listening on {host}:{server.port}", flush=True)
        # A signal only raises a flag: it may land inside a handler, and a poll returns right
        # after one. Leaving the `with` block then closes every connection.
        signalled = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, _frame: signalled.append(signum))
        while not signalled:
            loop.poll()
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
