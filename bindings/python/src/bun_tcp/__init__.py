"""bun_tcp for Python: Bun.listen / Bun.connect (TCP and TLS) on libbun_tcp, through ctypes.

    import bun_tcp

    with bun_tcp.Loop() as loop:
        server = loop.listen(hostname="127.0.0.1", port=0,
                             on_data=lambda sock, data: sock.write_all(data))
        loop.run()

`pip install ./bindings/python` builds libbun_tcp.so with cargo and puts it in the package; a
source checkout finds it through $BUN_TCP_LIB or the loader path (see _ffi.py).

Handlers are callables passed as keywords (on_open=..., on_data=...) or an object whose methods
have those names; each receives the Socket first:

    on_open(sock)               on_data(sock, data: bytes)    on_drain(sock)
    on_end(sock)                on_close(sock, error | None)  on_error(sock, error)
    on_timeout(sock)            on_connect_error(sock, error)
    on_handshake(sock, success: bool, verify_error | None)

`error` is a bun_tcp.Error (handed over, not raised). Calls that fail raise bun_tcp.Error, which
carries the library's `code` (negative errno or BUN_TCP_E*), `name` ("EADDRINUSE") and `message`.

An exception raised inside a handler cannot unwind through the C library. It is caught, the socket
whose handler raised is closed (its on_close still runs: a half-run handler leaves the protocol in
an unknown state), and the exception is raised again from the Loop.poll / run / run_until / close
call that was dispatching, once the library's poll has returned (or handed to
Loop.exception_handler when set). If more handlers raise in that same poll, the first exception
is raised and the later ones are printed to stderr. Timer (call_later) and call_soon_threadsafe
callbacks are treated the same way.

Python runs signal handlers between any two bytecodes, so one may run inside a bun_tcp handler: a
KeyboardInterrupt raised there is treated as above. For a clean shutdown on a signal, let the
signal handler set a flag and poll until it is set (see echo_server.py): a poll returns after the
handlers it ran, and a signal also interrupts its wait.

A Loop belongs to the thread that created it; only call_soon_threadsafe and wakeup may be called
from other threads.
"""

from ._errors import Error
from ._ffi import (_Bytes, _CError, _ConnectOptions, _Handlers,  # noqa: F401 (layout tests)
                   _ListenerHandle, _ListenOptions, _Metrics, _SocketHandle, _TimerHandle,
                   _TLSOptions, _TraceEvent, lib as _lib)
from ._loop import Loop, Metrics, TimerHandle
from ._socket import (STATE_CLOSED, STATE_CLOSING, STATE_CONNECTING, STATE_OPEN,
                      STATE_WRITE_SHUT, Listener, Socket)
from ._tls import TLS1_2, TLS1_3, TLSOptions

__all__ = ["Error", "Loop", "Listener", "Socket", "TLSOptions", "TimerHandle", "Metrics",
           "version", "tls_provider", "TLS1_2", "TLS1_3", "STATE_CONNECTING", "STATE_OPEN",
           "STATE_CLOSING", "STATE_WRITE_SHUT", "STATE_CLOSED"]


def version() -> str:
    """The library version, e.g. "0.1.0"."""
    return str(_lib.bun_tcp_version().decode())


def tls_provider() -> str:
    """The crypto provider compiled in: "ring" or "aws-lc-rs"."""
    return str(_lib.bun_tcp_tls_provider().decode())
