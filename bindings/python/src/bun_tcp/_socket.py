"""Socket and Listener: the Python faces of bun_tcp_socket and bun_tcp_listener handles."""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, List, Optional, Union

from ._errors import Error, check, encode
from ._ffi import BUF, _ListenerHandle, _SocketHandle, lib
from ._tls import TLSOptions, tls_pointer

if TYPE_CHECKING:
    from ._loop import Loop

STATE_CONNECTING, STATE_OPEN, STATE_CLOSING, STATE_WRITE_SHUT, STATE_CLOSED = 2, 1, 0, -2, -1
ECLOSED = -10001

BytesLike = Union[bytes, bytearray, memoryview]


def _buffer_arg(data: BytesLike) -> "tuple[Any, int, Any]":
    """(pointer, length, owner) for a bytes-like object; bytes and writable buffers (bytearray,
    memoryview slices of one) are passed without copying, anything else is copied once."""
    if not isinstance(data, bytes):
        view = memoryview(data).cast("B")
        if view.readonly:
            data = view.tobytes()
        elif len(view) == 0:
            return None, 0, None
        else:
            array = (ctypes.c_uint8 * len(view)).from_buffer(view)
            return array, len(view), array
    owner = ctypes.c_char_p(data)
    return ctypes.cast(owner, BUF), len(data), owner


def _string_query(func: Any, handle: Any, size: int = 256) -> str:
    buf = ctypes.create_string_buffer(size)
    check(func(handle, buf, len(buf)))
    return buf.value.decode()


class Socket:
    """A connection. Handles are checked by the library: calls on a closed socket raise Error
    (BUN_TCP_ECLOSED) rather than crash. `data` is free for the application's own state."""

    def __init__(self, loop: "Loop", socket_id: int) -> None:
        self.loop = loop
        self.id = socket_id
        self.data: Any = None
        # The handler tables this socket was given (connect, reload, upgrade_tls): kept until
        # its last handler ran, since one may be executing when the next replaces it.
        self._handler_tables: List[Any] = []

    def __repr__(self) -> str:
        return f"<bun_tcp.Socket {self.id:#x} state={self.ready_state}>"

    @property
    def _handle(self) -> _SocketHandle:
        return _SocketHandle(self.id)

    # -- writing --------------------------------------------------------------------------------

    def _send(self, func: Any, data: BytesLike) -> int:
        pointer, length, _owner = _buffer_arg(data)
        return check(func(self._handle, pointer, length))

    def write(self, data: BytesLike) -> int:
        """One non-blocking send: returns how many bytes the kernel took (maybe fewer than
        len(data)); resend the rest when on_drain fires."""
        return self._send(lib.bun_tcp_socket_write, data)

    def write_all(self, data: BytesLike) -> int:
        """Sends everything, queueing in the library what the kernel did not take yet. Past the
        write limit (set_write_limit) raises Error ENOBUFS and takes nothing."""
        return self._send(lib.bun_tcp_socket_write_all, data)

    def end(self, data: BytesLike = b"") -> int:
        """Sends `data` then FIN. The socket stays readable until the peer ends too."""
        return self._send(lib.bun_tcp_socket_end, data)

    def cork(self) -> None:
        """Holds small writes back until uncork(), to send them in one syscall."""
        check(lib.bun_tcp_socket_cork(self._handle))

    def uncork(self) -> None:
        """Sends what cork() held back (on_drain may run before this returns)."""
        check(lib.bun_tcp_socket_uncork(self._handle))

    def flush(self) -> None:
        """Tries to send what is queued now."""
        check(lib.bun_tcp_socket_flush(self._handle))

    def set_write_limit(self, max_buffered: int) -> None:
        """Bounds the write_all / end queue to `max_buffered` bytes (0 = no limit)."""
        check(lib.bun_tcp_socket_set_write_limit(self._handle, max_buffered))

    # -- lifetime -------------------------------------------------------------------------------

    def shutdown(self, read_side: bool = False) -> None:
        check(lib.bun_tcp_socket_shutdown(self._handle, read_side))

    def close(self) -> None:
        """Closes now (FIN); on_close runs before this returns."""
        check(lib.bun_tcp_socket_close(self._handle))

    def terminate(self) -> None:
        """Closes now with a reset (the peer sees ECONNRESET)."""
        check(lib.bun_tcp_socket_terminate(self._handle))

    def pause(self) -> None:
        check(lib.bun_tcp_socket_pause(self._handle))

    def resume(self) -> None:
        check(lib.bun_tcp_socket_resume(self._handle))

    def ref(self) -> None:
        check(lib.bun_tcp_socket_ref(self._handle))

    def unref(self) -> None:
        check(lib.bun_tcp_socket_unref(self._handle))

    def reload(self, handlers: Any = None, **callbacks: Any) -> None:
        """New handlers for this socket only, from its next event."""
        table = self.loop._handler_table(handlers, callbacks)
        check(lib.bun_tcp_socket_reload(self._handle, ctypes.byref(table)))
        self._handler_tables.append(table)

    def detach(self) -> int:
        """Takes an open plain socket out of the loop (no handler runs) and returns its
        descriptor, which is the caller's from then on (see Loop.adopt)."""
        fd = ctypes.c_int32(-1)
        check(lib.bun_tcp_socket_detach(self._handle, ctypes.byref(fd)))
        # No handler of this socket runs again; one may be running now (detach from inside a
        # handler), so its tables are dropped only once the poll has returned.
        self.loop._retired.append(self.loop._sockets.pop(self.id, None))
        return fd.value

    # -- options --------------------------------------------------------------------------------

    def set_timeout(self, seconds: float) -> None:
        """Idle timeout (0 disables): on_timeout fires after `seconds` without reads or writes."""
        check(lib.bun_tcp_socket_timeout_ms(self._handle, round(seconds * 1000)))

    def set_no_delay(self, enable: bool = True) -> None:
        check(lib.bun_tcp_socket_set_no_delay(self._handle, enable))

    def set_keep_alive(self, enable: bool = True, initial_delay: float = 0.0, *,
                       interval: Optional[int] = None, count: Optional[int] = None) -> None:
        """TCP keep-alive; `initial_delay` in seconds. With `interval` (s) or `count`, sets all
        three kernel parameters (idle rounded to whole seconds)."""
        if interval is None and count is None:
            check(lib.bun_tcp_socket_set_keep_alive(self._handle, enable,
                                                    round(initial_delay * 1000)))
        else:
            check(lib.bun_tcp_socket_set_keep_alive_ex(self._handle, enable, round(initial_delay),
                                                       interval or 0, count or 0))

    # -- queries --------------------------------------------------------------------------------

    @property
    def ready_state(self) -> int:
        """STATE_CONNECTING, STATE_OPEN, STATE_CLOSING, STATE_WRITE_SHUT or STATE_CLOSED."""
        return int(lib.bun_tcp_socket_ready_state(self._handle))

    @property
    def buffered_amount(self) -> int:
        return int(lib.bun_tcp_socket_buffered_amount(self._handle))

    @property
    def bytes_written(self) -> int:
        return int(lib.bun_tcp_socket_bytes_written(self._handle))

    @property
    def remote_address(self) -> str:
        return _string_query(lib.bun_tcp_socket_remote_address, self._handle, 64)

    @property
    def local_address(self) -> str:
        return _string_query(lib.bun_tcp_socket_local_address, self._handle, 64)

    @property
    def remote_port(self) -> int:
        return check(lib.bun_tcp_socket_remote_port(self._handle))

    @property
    def local_port(self) -> int:
        return check(lib.bun_tcp_socket_local_port(self._handle))

    @property
    def remote_family(self) -> int:
        """socket.AF_INET, AF_INET6 or AF_UNIX."""
        return check(lib.bun_tcp_socket_remote_family(self._handle))

    @property
    def local_family(self) -> int:
        return check(lib.bun_tcp_socket_local_family(self._handle))

    @property
    def fd(self) -> int:
        """The file descriptor, for socket options (socket.socket(fileno=os.dup(fd))); the
        library owns it: do not close it."""
        return check(lib.bun_tcp_socket_fd(self._handle))

    @property
    def listener(self) -> Optional["Listener"]:
        """The Listener that accepted this socket; None for a client socket."""
        handle = lib.bun_tcp_socket_listener(self._handle)
        return Listener(self.loop, handle.id) if handle.id else None

    # -- TLS ------------------------------------------------------------------------------------

    @property
    def authorized(self) -> bool:
        """True only when the TLS peer's certificate was verified."""
        return bool(lib.bun_tcp_socket_authorized(self._handle))

    @property
    def verify_error(self) -> Optional[Error]:
        """The verdict on the peer's certificate: None when verified (or plain), else an Error
        named like OpenSSL's ("DEPTH_ZERO_SELF_SIGNED_CERT", ...)."""
        code = lib.bun_tcp_socket_verify_error(self._handle)
        if code == 0:
            return None
        if self.ready_state == STATE_CLOSED:
            raise Error._last(code)
        return Error(code)

    @property
    def alpn_protocol(self) -> Optional[str]:
        return _string_query(lib.bun_tcp_socket_alpn_protocol, self._handle) or None

    @property
    def server_name(self) -> Optional[str]:
        """On a TLS server socket, the name the client asked for with SNI."""
        return _string_query(lib.bun_tcp_socket_server_name, self._handle) or None

    @property
    def tls_version(self) -> Optional[str]:
        """"TLSv1.2" or "TLSv1.3"; None for plain sockets and during the handshake."""
        raw = lib.bun_tcp_socket_tls_version(self._handle)
        return raw.decode() if raw else None

    @property
    def cipher(self) -> Optional[str]:
        raw = lib.bun_tcp_socket_cipher(self._handle)
        return raw.decode() if raw else None

    @property
    def peer_certificate(self) -> Optional[bytes]:
        """The peer's certificate, DER; None when there is none (or plain TCP)."""
        length = check(lib.bun_tcp_socket_peer_certificate(self._handle, None, 0))
        if length == 0:
            return None
        buf = (ctypes.c_uint8 * length)()
        check(lib.bun_tcp_socket_peer_certificate(self._handle, buf, length))
        return bytes(buf)

    @property
    def peer_chain(self) -> List[bytes]:
        """The peer's certificate chain as sent, leaf first, DER each; [] when there is none."""
        chain: List[bytes] = []
        while True:
            length = check(lib.bun_tcp_socket_peer_certificate_at(self._handle, len(chain), None, 0))
            if length == 0:
                return chain
            buf = (ctypes.c_uint8 * length)()
            check(lib.bun_tcp_socket_peer_certificate_at(self._handle, len(chain), buf, length))
            chain.append(bytes(buf))

    @property
    def session_reused(self) -> bool:
        return bool(lib.bun_tcp_socket_session_reused(self._handle))

    def export_keying_material(self, length: int, label: str,
                               context: Optional[bytes] = None) -> bytes:
        """RFC 5705 keying material for channel binding (None context != b"" context)."""
        out = (ctypes.c_uint8 * length)() if length > 0 else None
        ctx_ptr, ctx_len, _owner = _buffer_arg(context) if context is not None else (None, 0, None)
        if context is not None and ctx_ptr is None:
            empty = (ctypes.c_uint8 * 1)()
            ctx_ptr, _owner = empty, empty
        check(lib.bun_tcp_socket_export_keying_material(self._handle, out, length, encode(label),
                                                        ctx_ptr, ctx_len))
        return bytes(out) if out is not None else b""

    def upgrade_tls(self, tls: TLSOptions, handlers: Any = None, *, is_server: bool = False,
                    **callbacks: Any) -> None:
        """STARTTLS on an open plain socket, with new handlers (on_handshake, or on_open again
        once the handshake is done)."""
        table = self.loop._handler_table(handlers, callbacks)
        keep: List[Any] = []
        check(lib.bun_tcp_socket_upgrade_tls(self._handle, tls_pointer(tls, keep),
                                             ctypes.byref(table), is_server))
        self._handler_tables.append(table)


class Listener:
    """A listening socket; its handlers serve every socket it accepts."""

    def __init__(self, loop: "Loop", listener_id: int) -> None:
        self.loop = loop
        self.id = listener_id

    def __repr__(self) -> str:
        return f"<bun_tcp.Listener {self.id:#x} port={self.port}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listener) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def _handle(self) -> _ListenerHandle:
        return _ListenerHandle(self.id)

    @property
    def port(self) -> int:
        """The bound TCP port (the real one after listening on port 0)."""
        return int(lib.bun_tcp_listener_port(self._handle))

    @property
    def address(self) -> str:
        """The IP, the unix path, or "@name" for an abstract unix name."""
        return _string_query(lib.bun_tcp_listener_address, self._handle, 128)

    @property
    def family(self) -> int:
        """socket.AF_INET, AF_INET6 or AF_UNIX."""
        return check(lib.bun_tcp_listener_family(self._handle))

    def stop(self, close_active: bool = False) -> None:
        """Stops accepting; with `close_active`, also closes every accepted socket now."""
        check(lib.bun_tcp_listener_stop(self._handle, close_active))

    def reload(self, handlers: Any = None, **callbacks: Any) -> None:
        """New handlers for this listener and the sockets it accepted, from their next event."""
        table = self.loop._handler_table(handlers, callbacks)
        check(lib.bun_tcp_listener_reload(self._handle, ctypes.byref(table)))
        self.loop._listener_tables.append(table)

    def set_tls(self, tls: TLSOptions) -> None:
        """Certificate rotation: the next handshakes use `tls`; accepted sockets keep theirs."""
        keep: List[Any] = []
        check(lib.bun_tcp_listener_set_tls(self._handle, tls_pointer(tls, keep)))

    def ref(self) -> None:
        check(lib.bun_tcp_listener_ref(self._handle))

    def unref(self) -> None:
        check(lib.bun_tcp_listener_unref(self._handle))
