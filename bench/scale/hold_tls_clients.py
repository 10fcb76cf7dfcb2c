#!/usr/bin/env python3
"""hold_tls_clients: opens COUNT TLS connections to a PING server and holds them open.

    usage: hold_tls_clients.py PORT COUNT CAFILE

hold_clients.c over TLS (Python's ssl, verifying the server against CAFILE): each connection
completes its handshake, sends "PING\\r\\n" and waits for "+PONG\\r\\n"; at most INFLIGHT are being
set up at once. Once all COUNT answered it prints "ready COUNT" and holds them until killed. It
exits 1 if any connection fails (before "ready") or closes (after it)."""
import asyncio
import resource
import ssl
import sys

INFLIGHT = 128


async def main(port: int, count: int, cafile: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = ssl.create_default_context(cafile=cafile)
    gate = asyncio.Semaphore(INFLIGHT)

    async def one():
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
            writer.write(b"PING\r\n")
            if await reader.readexactly(7) != b"+PONG\r\n":
                raise RuntimeError("not +PONG")
            return reader, writer

    conns = await asyncio.gather(*(one() for _ in range(count)))
    print(f"ready {len(conns)}", flush=True)
    # Any read completing means the server closed (or sent) something: that is a failure.
    done, _ = await asyncio.wait([asyncio.ensure_future(r.read(1)) for r, _ in conns],
                                 return_when=asyncio.FIRST_COMPLETED)
    print("hold_tls_clients: a held connection ended", file=sys.stderr)
    sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: hold_tls_clients.py PORT COUNT CAFILE", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]))
    except Exception as e:  # noqa: BLE001 - any failure is the exit status
        print(f"hold_tls_clients: {e!r}", file=sys.stderr)
        sys.exit(1)
