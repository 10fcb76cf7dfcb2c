"""Loop: drives bun_tcp_poll, owns the C callbacks (ctypes frees a callback with its Python
object, so every table, timer and posted call is referenced here while the library may call it),
and turns exceptions raised in Python handlers into exceptions of the poll that ran them."""

from __future__ import annotations

import ctypes
import itertools
import math
import socket as _socket_module
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Union

from ._errors import Error, check, encode
from ._ffi import (_ConnectOptions, _DataFn, _ErrorFn, _Handlers, _HandshakeFn, _ListenerHandle,
                   _ListenOptions, _Metrics, _PostFn, _SocketFn, _SocketHandle, _TimerFn,
                   _TimerHandle, _TraceFn, lib)
from ._socket import ECLOSED, STATE_CLOSED, Listener, Socket
from ._tls import TLSOptions, tls_pointer

EVENTS = ("open", "data", "drain", "end", "close", "error", "timeout", "connect_error",
          "handshake")
FileDescriptor = Union[int, _socket_module.socket]


def _ignore(*_args: Any) -> None:
    pass


def _unix_path_len(path: Optional[bytes]) -> int:
    """The byte count passed with unix_path: always given, so that an abstract name ("\\0name")
    reaches the library whole."""
    return len(path) if path else 0


def _take_fd(fd: FileDescriptor) -> "tuple[int, Callable[[], object]]":
    """The number of `fd`, and what to call once the library owns it (a socket.socket must not
    close it again when collected)."""
    if isinstance(fd, _socket_module.socket):
        return fd.fileno(), fd.detach
    return fd, _ignore


class TimerHandle:
    """What Loop.call_later returns (asyncio's spelling): cancel() it before it fires."""

    def __init__(self, loop: "Loop", key: int, handle: _TimerHandle, when: float) -> None:
        self._loop = loop
        self._key = key
        self._handle = handle
        self._when = when
        self._cancelled = False

    def when(self) -> float:
        """The time.monotonic() at which it fires (not earlier)."""
        return self._when

    def cancel(self) -> None:
        """Stops the timer; a no-op once it fired or was cancelled."""
        if self._cancelled or self._key not in self._loop._timers:
            return
        self._cancelled = True
        self._loop._timers.pop(self._key, None)
        rc = lib.bun_tcp_timer_stop(self._handle)
        if rc != ECLOSED:
            check(rc)

    def cancelled(self) -> bool:
        return self._cancelled

    def ref(self) -> None:
        """Makes the pending timer keep Loop.run going (the default)."""
        check(lib.bun_tcp_timer_ref(self._handle))

    def unref(self) -> None:
        """Lets Loop.run return while the timer is pending."""
        check(lib.bun_tcp_timer_unref(self._handle))


@dataclass
class Metrics:
    """The loop's counters (Loop.metrics()), as bun_tcp_metrics documents them."""
    iterations: int
    events: int
    accepts: int
    connects: int
    connect_errors: int
    closes: int
    handler_calls: int
    bytes_read: int
    bytes_written: int
    bytes_queued: int
    handler_ns: int


class Loop:
    """An event loop, owned by the thread that creates it. Use it as a context manager (or call
    close()) so that its sockets close and their on_close handlers run.

    An exception raised in a handler, a call_later or a call_soon_threadsafe callback never
    unwinds through the C library: it is caught (a socket whose handler raised is closed) and
    raised again from the poll / run / run_until / close call that was dispatching, once the
    library's poll has returned; the first of several in one poll is raised, the later ones are
    printed to stderr. Set `exception_handler` (a callable taking the exception) to receive every
    Exception instead, in order, after the poll; a BaseException that is not an Exception
    (KeyboardInterrupt, SystemExit) is raised all the same."""

    def __init__(self) -> None:
        ptr = lib.bun_tcp_loop_new()
        if not ptr:
            raise Error._last(-22)
        self._ptr: Optional[int] = ptr
        self._sockets: Dict[int, Socket] = {}  # socket id -> the Python face of each live handle
        # A listener's tables live as long as the loop (its accepted sockets may outlive it).
        self._listener_tables: List[Any] = []
        # Sockets whose last handler ran: dropped after the C call that ran it has returned
        # (a callback must not be freed while it is still executing).
        self._retired: List[Any] = []
        self._handler_exceptions: List[BaseException] = []  # raised in this poll, in order
        self.exception_handler: Optional[Callable[[BaseException], None]] = None
        # Timers and posted calls: one C callback each for the loop, the key in `data`.
        self._keys = itertools.count(1)
        self._timers: Dict[int, "tuple[Callable[..., Any], tuple[Any, ...]]"] = {}
        self._timer_fn = _TimerFn(self._on_timer)
        self._posted: Dict[int, "tuple[Callable[..., Any], tuple[Any, ...]]"] = {}
        self._posted_lock = threading.Lock()
        self._post_fn = _PostFn(self._on_posted)
        self._trace_fn: Optional[Any] = None

    def __enter__(self) -> "Loop":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Closes every socket and listener (their handlers run) and frees the loop; pending
        timers and posted calls are dropped."""
        if self._ptr:
            lib.bun_tcp_loop_free(self._ptr)
            self._ptr = None
            self._listener_tables.clear()
            self._sockets.clear()
            self._retired.clear()
            self._timers.clear()
            with self._posted_lock:
                self._posted.clear()
            self._raise_handler_exception()

    # -- driving --------------------------------------------------------------------------------

    def poll(self, timeout_ms: int = -1) -> int:
        """One iteration: waits up to `timeout_ms` (-1: until something happens), runs handlers,
        returns how many ran."""
        calls = lib.bun_tcp_poll(self._ptr, timeout_ms)
        self._retired.clear()
        self._raise_handler_exception()
        return check(calls)

    def run(self) -> None:
        """Polls until nothing keeps the loop alive (no ref'd listener, socket, connect or
        timer)."""
        while self.alive:
            self.poll(-1)

    def run_until(self, condition: Callable[[], Any], timeout: float = 10.0) -> None:
        """Polls until `condition()` is true; raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                raise TimeoutError(f"condition not reached within {timeout} s")
            self.poll(min(remaining_ms, 50))

    @property
    def alive(self) -> bool:
        return bool(self._ptr) and bool(lib.bun_tcp_loop_alive(self._ptr))

    @property
    def socket_count(self) -> int:
        """Sockets not yet released (connecting ones included): for leak checks."""
        return int(lib.bun_tcp_loop_socket_count(self._ptr))

    @property
    def listener_count(self) -> int:
        return int(lib.bun_tcp_loop_listener_count(self._ptr))

    def fileno(self) -> int:
        """A descriptor that is readable when the loop has work: wait on it (selectors,
        asyncio's add_reader) for at most next_timeout_ms(), then poll(0)."""
        return check(lib.bun_tcp_loop_fd(self._ptr))

    def next_timeout_ms(self) -> int:
        """How long a host loop may wait on fileno() before it must poll (-1: no limit)."""
        return int(lib.bun_tcp_loop_next_timeout_ms(self._ptr))

    def wakeup(self) -> None:
        """Makes a blocked poll return (any thread)."""
        check(lib.bun_tcp_loop_wakeup(self._ptr))

    def metrics(self) -> Metrics:
        out = _Metrics()
        check(lib.bun_tcp_loop_metrics(self._ptr, ctypes.byref(out)))
        return Metrics(**{field[0]: getattr(out, field[0]) for field in _Metrics._fields_})

    def time_handlers(self, enable: bool = True) -> None:
        """Measures handler time (Metrics.handler_ns) without tracing."""
        check(lib.bun_tcp_loop_time_handlers(self._ptr, enable))

    def set_trace(self, callback: Optional[Callable[[str], None]]) -> None:
        """Calls `callback(line)` before every socket handler call, with what BUN_TCP_TRACE=1
        prints; None turns tracing off. The callback must not close sockets or poll."""
        if callback is None:
            check(lib.bun_tcp_loop_set_trace(self._ptr, _TraceFn(), None))
            self._retired.append(self._trace_fn)  # it may be the callback running now
            self._trace_fn = None
            return

        def trace(event: Any, _data: Any) -> None:
            try:
                callback(event.contents.line.decode(errors="replace"))
            except BaseException as exc:  # nothing may unwind through C
                self._record_exception(exc)

        fn = _TraceFn(trace)
        check(lib.bun_tcp_loop_set_trace(self._ptr, fn, None))
        self._retired.append(self._trace_fn)
        self._trace_fn = fn

    # -- timers and other threads ---------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Calls `callback(*args)` from a poll once `delay` seconds have passed (never earlier);
        a pending timer keeps run() going (see TimerHandle.unref)."""
        delay_ms = max(0, math.ceil(delay * 1000))
        key = next(self._keys)
        handle = _TimerHandle()
        self._timers[key] = (callback, args)
        rc = lib.bun_tcp_timer_start(self._ptr, delay_ms, 0, self._timer_fn, key,
                                     ctypes.byref(handle))
        if rc < 0:
            del self._timers[key]
            check(rc)
        return TimerHandle(self, key, handle, time.monotonic() + delay_ms / 1000)

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """From any thread: runs `callback(*args)` on the loop's thread during its next poll
        (and wakes a blocked poll). Calls from one thread run in the order posted."""
        with self._posted_lock:
            if not self._ptr:
                raise Error(-22, "the loop is closed")
            key = next(self._keys)
            self._posted[key] = (callback, args)
        rc = lib.bun_tcp_loop_post(self._ptr, self._post_fn, key)
        if rc < 0:
            with self._posted_lock:
                self._posted.pop(key, None)
            check(rc)

    def _on_timer(self, _timer: Any, key: Optional[int]) -> None:
        entry = self._timers.pop(key or 0, None)
        if entry is not None:
            self._run_callback(*entry)

    def _on_posted(self, key: Optional[int]) -> None:
        with self._posted_lock:
            entry = self._posted.pop(key or 0, None)
        if entry is not None:
            self._run_callback(*entry)

    def _run_callback(self, callback: Callable[..., Any], args: "tuple[Any, ...]") -> None:
        try:
            callback(*args)
        except BaseException as exc:  # even KeyboardInterrupt: nothing may unwind through C
            exc.add_note(f"raised by callback {getattr(callback, '__qualname__', callback)!s}")
            self._record_exception(exc)

    # -- listen and connect ---------------------------------------------------------------------

    def listen(self, handlers: Any = None, *, hostname: Optional[str] = None, port: int = 0,
               unix_path: Optional[Union[str, bytes]] = None, tls: Optional[TLSOptions] = None,
               allow_half_open: bool = False, reuse_port: bool = False, ipv6_only: bool = False,
               backlog: int = 0, tls_handshake_timeout_ms: int = 0,
               **callbacks: Any) -> Listener:
        """Listens on TCP (hostname None = "0.0.0.0"; port 0 = any free port) or a unix socket,
        with TLS when `tls` is given. Handlers serve every accepted socket. Raises Error
        (EADDRINUSE, ...) on failure."""
        table = self._handler_table(handlers, callbacks)
        keep: List[Any] = []
        path = encode(unix_path)
        opts = _ListenOptions(hostname=encode(hostname), port=port, unix_path=path,
                              tls=tls_pointer(tls, keep), allow_half_open=allow_half_open,
                              reuse_port=reuse_port, ipv6_only=ipv6_only, backlog=backlog,
                              unix_path_len=_unix_path_len(path),
                              tls_handshake_timeout_ms=tls_handshake_timeout_ms)
        out = _ListenerHandle()
        check(lib.bun_tcp_listen(self._ptr, ctypes.byref(opts), ctypes.byref(table),
                                 ctypes.byref(out)))
        self._listener_tables.append(table)
        return Listener(self, out.id)

    def listen_fd(self, fd: FileDescriptor, handlers: Any = None, *,
                  tls: Optional[TLSOptions] = None, allow_half_open: bool = False,
                  backlog: int = 0, tls_handshake_timeout_ms: int = 0,
                  **callbacks: Any) -> Listener:
        """Listens on an inherited, bound stream socket (systemd socket activation, a handover):
        a descriptor number or a socket.socket. On success the listener owns it (a socket.socket
        is detached); on failure it stays the caller's, untouched."""
        number, release = _take_fd(fd)
        table = self._handler_table(handlers, callbacks)
        keep: List[Any] = []
        opts = _ListenOptions(tls=tls_pointer(tls, keep), allow_half_open=allow_half_open,
                              backlog=backlog, tls_handshake_timeout_ms=tls_handshake_timeout_ms)
        out = _ListenerHandle()
        check(lib.bun_tcp_listen_fd(self._ptr, number, ctypes.byref(opts), ctypes.byref(table),
                                    ctypes.byref(out)))
        release()
        self._listener_tables.append(table)
        return Listener(self, out.id)

    def connect(self, handlers: Any = None, *, hostname: Optional[str] = None, port: int = 0,
                unix_path: Optional[Union[str, bytes]] = None, tls: Optional[TLSOptions] = None,
                allow_half_open: bool = False, local_address: Optional[str] = None,
                local_port: int = 0, connect_timeout_ms: int = 0, **callbacks: Any) -> Socket:
        """Starts a connect (hostname None = "localhost") and returns its Socket at once; later
        exactly one of on_open or on_connect_error fires. With `tls`, on_open waits for the
        handshake unless on_handshake is given. local_address (an IP literal) and local_port are
        bound before connecting; connect_timeout_ms (0 = none) bounds the time until open."""
        table = self._handler_table(handlers, callbacks)
        keep: List[Any] = []
        path = encode(unix_path)
        opts = _ConnectOptions(hostname=encode(hostname), port=port, unix_path=path,
                               tls=tls_pointer(tls, keep), allow_half_open=allow_half_open,
                               local_address=encode(local_address), local_port=local_port,
                               connect_timeout_ms=connect_timeout_ms,
                               unix_path_len=_unix_path_len(path))
        out = _SocketHandle()
        check(lib.bun_tcp_connect(self._ptr, ctypes.byref(opts), ctypes.byref(table),
                                  ctypes.byref(out)))
        sock = self._socket(out.id)
        sock._handler_tables.append(table)
        return sock

    def adopt(self, fd: FileDescriptor, handlers: Any = None, *, allow_half_open: bool = False,
              **callbacks: Any) -> Socket:
        """Makes a connected stream socket (from Socket.detach, or a socket.socket) a socket of
        this loop; on_open fires from the loop. The loop owns the descriptor on success."""
        number, release = _take_fd(fd)
        table = self._handler_table(handlers, callbacks)
        out = _SocketHandle()
        check(lib.bun_tcp_socket_adopt(self._ptr, number, ctypes.byref(table), None,
                                       allow_half_open, ctypes.byref(out)))
        release()
        sock = self._socket(out.id)
        sock._handler_tables.append(table)
        return sock

    # -- dispatch -------------------------------------------------------------------------------

    def _socket(self, socket_id: int) -> Socket:
        sock = self._sockets.get(socket_id)
        if sock is None:
            sock = self._sockets[socket_id] = Socket(self, socket_id)
        return sock

    def _handler_table(self, handlers: Any, callbacks: Dict[str, Any]) -> _Handlers:
        """A C handler table whose members call the Python handlers found as keywords or as
        methods of `handlers`; other events stay NULL (the library's defaults), except close and
        connect_error, which always release the Socket."""
        unknown = set(callbacks) - {"on_" + event for event in EVENTS}
        if unknown:
            raise TypeError(f"unknown handler names: {', '.join(sorted(unknown))}")
        table = _Handlers()
        for event in EVENTS:
            func = callbacks.get("on_" + event) or getattr(handlers, "on_" + event, None)
            if func is None and event in ("close", "connect_error"):
                func = _ignore  # still needed: it is when the Socket object is released
            if func is not None:
                setattr(table, event, self._trampoline(event, func))
        return table

    def _trampoline(self, event: str, func: Callable[..., Any]) -> Any:
        """The C function of one handler. Arguments are converted inside _dispatch's guard, so
        that nothing raised there (a KeyboardInterrupt included) is lost in ctypes."""
        if event == "data":
            return _DataFn(lambda s, _d, ptr, n: self._dispatch(
                s.id, func, lambda: (ctypes.string_at(ptr, n),)))
        if event in ("close", "error", "connect_error"):
            last = event != "error"  # no handler follows close or connect_error
            return _ErrorFn(lambda s, _d, err: self._dispatch(
                s.id, func, lambda: (Error._from_c(err),), last))
        if event == "handshake":
            return _HandshakeFn(lambda s, _d, ok, err: self._dispatch(
                s.id, func, lambda: (bool(ok), Error._from_c(err))))
        return _SocketFn(lambda s, _d: self._dispatch(s.id, func, tuple))

    def _dispatch(self, socket_id: int, func: Callable[..., Any],
                  make_args: Callable[[], "tuple[Any, ...]"], last: bool = False) -> None:
        sock = self._socket(socket_id)
        try:
            func(sock, *make_args())
        except BaseException as exc:  # even KeyboardInterrupt: nothing may unwind through C
            self._handler_failed(sock, func, exc, closing=last)
        finally:
            if last:
                self._retired.append(self._sockets.pop(socket_id, None))

    def _handler_failed(self, sock: Socket, func: Any, exc: BaseException,
                        closing: bool) -> None:
        exc.add_note(f"raised by handler {getattr(func, '__qualname__', func)!s} of {sock!r}")
        self._record_exception(exc)
        if not closing and sock.ready_state != STATE_CLOSED:
            lib.bun_tcp_socket_close(sock._handle)

    def _record_exception(self, exc: BaseException) -> None:
        self._handler_exceptions.append(exc)

    def _raise_handler_exception(self) -> None:
        """After a poll (never inside one): hands over what the handlers raised."""
        pending, self._handler_exceptions = self._handler_exceptions, []
        to_raise: Optional[BaseException] = None
        for exc in pending:
            if self.exception_handler is not None and isinstance(exc, Exception):
                self.exception_handler(exc)
            elif to_raise is None:
                to_raise = exc
            else:
                traceback.print_exception(exc, file=sys.stderr)
        if to_raise is not None:
            raise to_raise
