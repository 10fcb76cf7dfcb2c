"""bun_tcp for Python: Bun.listen / Bun.connect on libbun_tcp, through ctypes (no compiled code).

    import bun_tcp

    with bun_tcp.Loop() as loop:
        server = loop.listen(hostname="127.0.0.1", port=0,
                             on_data=lambda sock, data: sock.write_all(data))
        loop.run()

The library is loaded from $BUN_TCP_LIB (a path) when set, else found like any shared library
(ctypes.util.find_library, then "libbun_tcp.so.0" through LD_LIBRARY_PATH and the ld.so cache).

Handlers are callables passed as keywords (on_open=..., on_data=...) or an object whose methods
have those names; each receives the Socket first:

    on_open(sock)               on_data(sock, data: bytes)    on_drain(sock)
    on_end(sock)                on_close(sock, error | None)  on_error(sock, error)
    on_timeout(sock)            on_connect_error(sock, error)

`error` is a bun_tcp.Error (handed over, not raised). Calls that fail raise bun_tcp.Error, which
carries the library's `code` (negative errno or BUN_TCP_E*), `name` ("EADDRINUSE") and `message`.

An exception raised inside a handler cannot unwind through the C library. It is caught, the socket
whose handler raised is closed (its on_close still runs: a half-run handler leaves the protocol in
an unknown state), and the exception is raised again from the Loop.poll / run / run_until / close
call that was dispatching, once the library's poll has returned. If more handlers raise in that
same poll, the first exception is raised and the later ones are printed to stderr.

Python runs signal handlers between any two bytecodes, so one may run inside a bun_tcp handler: a
KeyboardInterrupt raised there is treated as above. For a clean shutdown on a signal, let the
signal handler set a flag and poll until it is set (see echo_server.py): a poll returns after the
handlers it ran, and a signal also interrupts its wait.

A Loop belongs to the thread that created it. TLS is not wrapped by this module.
"""

import ctypes
import ctypes.util
import os
import sys
import time
import traceback
from ctypes import (CFUNCTYPE, POINTER, Structure, c_bool, c_char_p, c_int32, c_int64, c_size_t,
                    c_uint16, c_uint32, c_uint64, c_uint8, c_void_p)

__all__ = ["Error", "Loop", "Listener", "Socket", "version", "STATE_CONNECTING", "STATE_OPEN",
           "STATE_CLOSING", "STATE_WRITE_SHUT", "STATE_CLOSED"]

# ------------------------------------------------------------------------------------------------
# The C ABI (include/bun_tcp.h), field for field.
# ------------------------------------------------------------------------------------------------


class _SocketHandle(Structure):
    _fields_ = [("id", c_uint64)]


class _ListenerHandle(Structure):
    _fields_ = [("id", c_uint64)]


class _CError(Structure):
    _fields_ = [("code", c_int32), ("name", c_char_p), ("syscall", c_char_p),
                ("message", c_char_p)]


class _ListenOptions(Structure):
    _fields_ = [("hostname", c_char_p), ("port", c_uint16), ("data", c_void_p),
                ("tls", c_void_p),  # const bun_tcp_tls_options *: always NULL here
                ("unix_path", c_char_p), ("allow_half_open", c_bool), ("reuse_port", c_bool),
                ("ipv6_only", c_bool), ("backlog", c_int32), ("unix_path_len", c_size_t),
                ("tls_handshake_timeout_ms", c_uint32)]


class _ConnectOptions(Structure):
    _fields_ = [("hostname", c_char_p), ("port", c_uint16), ("data", c_void_p),
                ("tls", c_void_p), ("unix_path", c_char_p), ("allow_half_open", c_bool),
                ("local_address", c_char_p), ("local_port", c_uint16),
                ("connect_timeout_ms", c_uint32), ("unix_path_len", c_size_t)]


_SocketFn = CFUNCTYPE(None, _SocketHandle, c_void_p)
_DataFn = CFUNCTYPE(None, _SocketHandle, c_void_p, POINTER(c_uint8), c_size_t)
_ErrorFn = CFUNCTYPE(None, _SocketHandle, c_void_p, POINTER(_CError))
_HandshakeFn = CFUNCTYPE(None, _SocketHandle, c_void_p, c_bool, POINTER(_CError))


class _Handlers(Structure):
    _fields_ = [("open", _SocketFn), ("data", _DataFn), ("drain", _SocketFn), ("end", _SocketFn),
                ("close", _ErrorFn), ("error", _ErrorFn), ("timeout", _SocketFn),
                ("connect_error", _ErrorFn), ("handshake", _HandshakeFn)]


_S, _L, _LOOP, _BUF = _SocketHandle, _ListenerHandle, c_void_p, POINTER(c_uint8)
_SIGNATURES = {  # name: (restype, argtypes)
    "bun_tcp_version": (c_char_p, []),
    "bun_tcp_err_name": (c_char_p, [c_int32]),
    "bun_tcp_strerror": (c_char_p, [c_int32]),
    "bun_tcp_last_error_message": (c_char_p, []),
    "bun_tcp_loop_new": (_LOOP, []),
    "bun_tcp_loop_free": (None, [_LOOP]),
    "bun_tcp_poll": (c_int32, [_LOOP, c_int32]),
    "bun_tcp_loop_alive": (c_bool, [_LOOP]),
    "bun_tcp_loop_socket_count": (c_size_t, [_LOOP]),
    "bun_tcp_loop_listener_count": (c_size_t, [_LOOP]),
    "bun_tcp_listen": (c_int32, [_LOOP, POINTER(_ListenOptions), POINTER(_Handlers), POINTER(_L)]),
    "bun_tcp_listener_port": (c_uint16, [_L]),
    "bun_tcp_listener_stop": (c_int32, [_L, c_bool]),
    "bun_tcp_listener_reload": (c_int32, [_L, POINTER(_Handlers)]),
    "bun_tcp_listener_ref": (c_int32, [_L]),
    "bun_tcp_listener_unref": (c_int32, [_L]),
    "bun_tcp_connect": (c_int32, [_LOOP, POINTER(_ConnectOptions), POINTER(_Handlers), POINTER(_S)]),
    "bun_tcp_socket_write": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_write_all": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_end": (c_int64, [_S, _BUF, c_size_t]),
    "bun_tcp_socket_shutdown": (c_int32, [_S, c_bool]),
    "bun_tcp_socket_close": (c_int32, [_S]),
    "bun_tcp_socket_terminate": (c_int32, [_S]),
    "bun_tcp_socket_timeout_ms": (c_int32, [_S, c_uint32]),
    "bun_tcp_socket_ready_state": (c_int32, [_S]),
    "bun_tcp_socket_ref": (c_int32, [_S]),
    "bun_tcp_socket_unref": (c_int32, [_S]),
    "bun_tcp_socket_pause": (c_int32, [_S]),
    "bun_tcp_socket_resume": (c_int32, [_S]),
    "bun_tcp_socket_buffered_amount": (c_size_t, [_S]),
    "bun_tcp_socket_bytes_written": (c_uint64, [_S]),
    "bun_tcp_socket_set_no_delay": (c_int32, [_S, c_bool]),
    "bun_tcp_socket_remote_address": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_remote_port": (c_int32, [_S]),
    "bun_tcp_socket_local_address": (c_int32, [_S, c_char_p, c_size_t]),
    "bun_tcp_socket_local_port": (c_int32, [_S]),
    "bun_tcp_socket_fd": (c_int32, [_S]),
}


def _load_library():
    path = (os.environ.get("BUN_TCP_LIB") or ctypes.util.find_library("bun_tcp")
            or "libbun_tcp.so.0")
    lib = ctypes.CDLL(path)
    for name, (restype, argtypes) in _SIGNATURES.items():
        func = getattr(lib, name)
        func.restype, func.argtypes = restype, argtypes
    return lib


_lib = _load_library()

STATE_CONNECTING, STATE_OPEN, STATE_CLOSING, STATE_WRITE_SHUT, STATE_CLOSED = 2, 1, 0, -2, -1


def version():
    """The library version, e.g. "0.1.0"."""
    return _lib.bun_tcp_version().decode()


# ------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------


def _text(raw):
    return raw.decode(errors="replace") if raw else None


class Error(Exception):
    """A bun_tcp failure: `code` (negative), `name` ("ECONNREFUSED"), `syscall`, `message`."""

    def __init__(self, code, message=None, syscall=None, name=None):
        self.code = code
        self.name = name or _text(_lib.bun_tcp_err_name(code))
        self.syscall = syscall
        self.message = message or _text(_lib.bun_tcp_strerror(code))
        super().__init__(f"{self.name}: {self.message}")

    @classmethod
    def _last(cls, code):
        """The error of the call that just returned `code` on this thread."""
        return cls(code, _text(_lib.bun_tcp_last_error_message()))

    @classmethod
    def _from_c(cls, err_ptr):
        if not err_ptr:
            return None
        err = err_ptr.contents
        return cls(err.code, _text(err.message), _text(err.syscall), _text(err.name))


def _check(rc):
    if rc < 0:
        raise Error._last(rc)
    return rc


def _buffer_arg(data):
    """(pointer, length, owner) for a bytes-like object; bytes and writable buffers (bytearray,
    memoryview slices of one) are passed without copying, anything else is copied once."""
    if not isinstance(data, bytes):
        view = memoryview(data).cast("B")
        if view.readonly:
            data = view.tobytes()
        elif len(view) == 0:
            return None, 0, None
        else:
            array = (c_uint8 * len(view)).from_buffer(view)
            return array, len(view), array
    owner = c_char_p(data)
    return ctypes.cast(owner, _BUF), len(data), owner


# ------------------------------------------------------------------------------------------------
# Sockets and listeners
# ------------------------------------------------------------------------------------------------


class Socket:
    """A connection. Handles are checked by the library: calls on a closed socket raise Error
    (BUN_TCP_ECLOSED) rather than crash. `data` is free for the application's own state."""

    def __init__(self, loop, socket_id):
        self.loop = loop
        self.id = socket_id
        self.data = None
        self._handler_table = None  # a client socket's own table (accepted ones share theirs)

    def __repr__(self):
        return f"<bun_tcp.Socket {self.id:#x} state={self.ready_state}>"

    @property
    def _handle(self):
        return _SocketHandle(self.id)

    def _send(self, func, data):
        pointer, length, _owner = _buffer_arg(data)
        return _check(func(self._handle, pointer, length))

    def write(self, data):
        """One non-blocking send: returns how many bytes the kernel took (maybe fewer than
        len(data)); resend the rest when on_drain fires."""
        return self._send(_lib.bun_tcp_socket_write, data)

    def write_all(self, data):
        """Sends everything, queueing in the library what the kernel did not take yet."""
        return self._send(_lib.bun_tcp_socket_write_all, data)

    def end(self, data=b""):
        """Sends `data` then FIN. The socket stays readable until the peer ends too."""
        return self._send(_lib.bun_tcp_socket_end, data)

    def shutdown(self, read_side=False):
        _check(_lib.bun_tcp_socket_shutdown(self._handle, read_side))

    def close(self):
        """Closes now (FIN); on_close runs before this returns."""
        _check(_lib.bun_tcp_socket_close(self._handle))

    def terminate(self):
        """Closes now with a reset (the peer sees ECONNRESET)."""
        _check(_lib.bun_tcp_socket_terminate(self._handle))

    def set_timeout(self, seconds):
        """Idle timeout (0 disables): on_timeout fires after `seconds` without reads or writes."""
        _check(_lib.bun_tcp_socket_timeout_ms(self._handle, round(seconds * 1000)))

    def set_no_delay(self, enable=True):
        _check(_lib.bun_tcp_socket_set_no_delay(self._handle, enable))

    def pause(self):
        _check(_lib.bun_tcp_socket_pause(self._handle))

    def resume(self):
        _check(_lib.bun_tcp_socket_resume(self._handle))

    def ref(self):
        _check(_lib.bun_tcp_socket_ref(self._handle))

    def unref(self):
        _check(_lib.bun_tcp_socket_unref(self._handle))

    @property
    def ready_state(self):
        """STATE_CONNECTING, STATE_OPEN, STATE_CLOSING, STATE_WRITE_SHUT or STATE_CLOSED."""
        return _lib.bun_tcp_socket_ready_state(self._handle)

    @property
    def buffered_amount(self):
        return _lib.bun_tcp_socket_buffered_amount(self._handle)

    @property
    def bytes_written(self):
        return _lib.bun_tcp_socket_bytes_written(self._handle)

    def _address(self, func):
        buf = ctypes.create_string_buffer(64)
        _check(func(self._handle, buf, len(buf)))
        return buf.value.decode()

    @property
    def remote_address(self):
        return self._address(_lib.bun_tcp_socket_remote_address)

    @property
    def local_address(self):
        return self._address(_lib.bun_tcp_socket_local_address)

    @property
    def remote_port(self):
        return _check(_lib.bun_tcp_socket_remote_port(self._handle))

    @property
    def local_port(self):
        return _check(_lib.bun_tcp_socket_local_port(self._handle))

    @property
    def fd(self):
        """The file descriptor, for socket options (socket.socket(fileno=os.dup(fd))); the
        library owns it: do not close it."""
        return _check(_lib.bun_tcp_socket_fd(self._handle))


class Listener:
    def __init__(self, loop, listener_id):
        self.loop = loop
        self.id = listener_id

    def __repr__(self):
        return f"<bun_tcp.Listener {self.id:#x} port={self.port}>"

    @property
    def _handle(self):
        return _ListenerHandle(self.id)

    @property
    def port(self):
        """The bound TCP port (the real one after listening on port 0)."""
        return _lib.bun_tcp_listener_port(self._handle)

    def stop(self, close_active=False):
        """Stops accepting; with `close_active`, also closes every accepted socket now."""
        _check(_lib.bun_tcp_listener_stop(self._handle, close_active))

    def reload(self, handlers=None, **callbacks):
        """New handlers for this listener and the sockets it accepted, from their next event."""
        table = self.loop._handler_table(handlers, callbacks)
        _check(_lib.bun_tcp_listener_reload(self._handle, ctypes.byref(table)))
        self.loop._listener_tables.append(table)

    def ref(self):
        _check(_lib.bun_tcp_listener_ref(self._handle))

    def unref(self):
        _check(_lib.bun_tcp_listener_unref(self._handle))


# ------------------------------------------------------------------------------------------------
# The loop
# ------------------------------------------------------------------------------------------------

_EVENTS = ("open", "data", "drain", "end", "close", "error", "timeout", "connect_error")


def _ignore(sock, error):
    pass


def _encode(text):
    return text.encode() if isinstance(text, str) else text


def _unix_path_len(path):
    """The byte count passed with unix_path: always given, so that an abstract name ("\\0name")
    reaches the library whole."""
    return len(path) if path else 0


class Loop:
    """An event loop, owned by the thread that creates it. Use it as a context manager (or call
    close()) so that its sockets close and their on_close handlers run."""

    def __init__(self):
        self._ptr = _lib.bun_tcp_loop_new()
        if not self._ptr:
            raise Error._last(-22)
        self._sockets = {}  # socket id -> Socket: the Python face of each live handle
        # ctypes frees a C callback when its Python object is collected, so every handler table
        # is kept while the library may call it: a listener's as long as the loop (its accepted
        # sockets may outlive it), a client socket's on the Socket until its last handler ran.
        self._listener_tables = []
        # Sockets whose last handler ran: dropped after the C call that ran it has returned
        # (a callback must not be freed while it is still executing).
        self._retired = []
        self._handler_exception = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Closes every socket and listener (their handlers run) and frees the loop."""
        if self._ptr:
            _lib.bun_tcp_loop_free(self._ptr)
            self._ptr = None
            self._listener_tables.clear()
            self._sockets.clear()
            self._retired.clear()
            self._raise_handler_exception()

    # -- driving --------------------------------------------------------------------------------

    def poll(self, timeout_ms=-1):
        """One iteration: waits up to `timeout_ms` (-1: until something happens), runs handlers,
        returns how many ran."""
        calls = _lib.bun_tcp_poll(self._ptr, timeout_ms)
        self._retired.clear()
        self._raise_handler_exception()
        return _check(calls)

    def run(self):
        """Polls until nothing keeps the loop alive (no ref'd listener, socket or connect)."""
        while self.alive:
            self.poll(-1)

    def run_until(self, condition, timeout=10.0):
        """Polls until `condition()` is true; raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                raise TimeoutError(f"condition not reached within {timeout} s")
            self.poll(min(remaining_ms, 50))

    @property
    def alive(self):
        return bool(self._ptr) and _lib.bun_tcp_loop_alive(self._ptr)

    @property
    def socket_count(self):
        """Sockets not yet released (connecting ones included): for leak checks."""
        return _lib.bun_tcp_loop_socket_count(self._ptr)

    @property
    def listener_count(self):
        return _lib.bun_tcp_loop_listener_count(self._ptr)

    # -- listen and connect ---------------------------------------------------------------------

    def listen(self, handlers=None, *, hostname=None, port=0, unix_path=None,
               allow_half_open=False, reuse_port=False, ipv6_only=False, backlog=0, **callbacks):
        """Listens on TCP (hostname None = "0.0.0.0"; port 0 = any free port) or a unix socket.
        Handlers serve every accepted socket. Raises Error (EADDRINUSE, ...) on failure."""
        table = self._handler_table(handlers, callbacks)
        path = _encode(unix_path)
        opts = _ListenOptions(hostname=_encode(hostname), port=port,
                              unix_path=path, allow_half_open=allow_half_open,
                              reuse_port=reuse_port, ipv6_only=ipv6_only, backlog=backlog,
                              unix_path_len=_unix_path_len(path))
        out = _ListenerHandle()
        _check(_lib.bun_tcp_listen(self._ptr, ctypes.byref(opts), ctypes.byref(table),
                                   ctypes.byref(out)))
        self._listener_tables.append(table)
        return Listener(self, out.id)

    def connect(self, handlers=None, *, hostname=None, port=0, unix_path=None,
                allow_half_open=False, local_address=None, local_port=0,
                connect_timeout_ms=0, **callbacks):
        """Starts a connect (hostname None = "localhost") and returns its Socket at once; later
        exactly one of on_open or on_connect_error fires. local_address (an IP literal) and
        local_port are bound before connecting; connect_timeout_ms (0 = none) bounds the time
        until open."""
        table = self._handler_table(handlers, callbacks)
        path = _encode(unix_path)
        opts = _ConnectOptions(hostname=_encode(hostname), port=port,
                               unix_path=path, allow_half_open=allow_half_open,
                               local_address=_encode(local_address), local_port=local_port,
                               connect_timeout_ms=connect_timeout_ms,
                               unix_path_len=_unix_path_len(path))
        out = _SocketHandle()
        _check(_lib.bun_tcp_connect(self._ptr, ctypes.byref(opts), ctypes.byref(table),
                                    ctypes.byref(out)))
        sock = self._socket(out.id)
        sock._handler_table = table
        return sock

    # -- dispatch -------------------------------------------------------------------------------

    def _socket(self, socket_id):
        sock = self._sockets.get(socket_id)
        if sock is None:
            sock = self._sockets[socket_id] = Socket(self, socket_id)
        return sock

    def _handler_table(self, handlers, callbacks):
        """A C handler table whose members call the Python handlers found as keywords or as
        methods of `handlers`; other events stay NULL (the library's defaults), except close and
        connect_error, which always release the Socket."""
        unknown = set(callbacks) - {"on_" + event for event in _EVENTS}
        if unknown:
            raise TypeError(f"unknown handler names: {', '.join(sorted(unknown))}")
        table = _Handlers()
        for event in _EVENTS:
            func = callbacks.get("on_" + event) or getattr(handlers, "on_" + event, None)
            if func is None and event in ("close", "connect_error"):
                func = _ignore  # still needed: it is when the Socket object is released
            if func is not None:
                setattr(table, event, self._trampoline(event, func))
        return table

    def _trampoline(self, event, func):
        """The C function of one handler. Arguments are converted inside _dispatch's guard, so
        that nothing raised there (a KeyboardInterrupt included) is lost in ctypes."""
        if event == "data":
            return _DataFn(lambda s, _d, ptr, n: self._dispatch(
                s.id, func, lambda: (ctypes.string_at(ptr, n),)))
        if event in ("close", "error", "connect_error"):
            last = event != "error"  # no handler follows close or connect_error
            return _ErrorFn(lambda s, _d, err: self._dispatch(
                s.id, func, lambda: (Error._from_c(err),), last))
        return _SocketFn(lambda s, _d: self._dispatch(s.id, func, tuple))

    def _dispatch(self, socket_id, func, make_args, last=False):
        sock = self._socket(socket_id)
        try:
            func(sock, *make_args())
        except BaseException as exc:  # even KeyboardInterrupt: nothing may unwind through C
            self._handler_failed(sock, func, exc, closing=last)
        finally:
            if last:
                self._retired.append(self._sockets.pop(socket_id, None))

    def _handler_failed(self, sock, func, exc, closing):
        exc.add_note(f"raised by handler {getattr(func, '__qualname__', func)!s} of {sock!r}")
        if self._handler_exception is None:
            self._handler_exception = exc
        else:
            traceback.print_exception(exc, file=sys.stderr)
        if not closing and sock.ready_state != STATE_CLOSED:
            _lib.bun_tcp_socket_close(sock._handle)

    def _raise_handler_exception(self):
        exc, self._handler_exception = self._handler_exception, None
        if exc is not None:
            raise exc
