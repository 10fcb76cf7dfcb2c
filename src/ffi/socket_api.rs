//! Socket functions: I/O, lifetime, options, queries, transfer between loops.

use super::types::{BUN_TCP_STATE_CLOSED, bun_tcp_handlers, bun_tcp_listener, bun_tcp_loop, bun_tcp_socket};
use super::{code_of, fail, ffi_call, input, registry};
use crate::SocketId;
use crate::error::NetError;
use crate::event_loop::EventLoop;
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// Runs `f` on the socket's loop; errors become `on_err(code)` after being recorded.
#[inline(always)]
pub(super) fn with_socket<T>(
    s: bun_tcp_socket,
    on_err: impl FnOnce(i32) -> T,
    f: impl FnOnce(&EventLoop, SocketId) -> Result<T, NetError>,
) -> T {
    match registry::by_handle(s.id).and_then(|core| f(&core, SocketId(s.id))) {
        Ok(v) => v,
        Err(e) => on_err(fail(&e)),
    }
}

#[inline(always)]
fn status(s: bun_tcp_socket, f: impl FnOnce(&EventLoop, SocketId) -> Result<(), NetError>) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| f(core, id).map(|()| 0)))
}

#[inline(always)]
fn count(
    s: bun_tcp_socket,
    bytes: *const u8,
    len: usize,
    f: impl FnOnce(&EventLoop, SocketId, &[u8]) -> Result<usize, NetError>,
) -> i64 {
    ffi_call(|| {
        with_socket(s, i64::from, |core, id| {
            let bytes = input::bytes(bytes, len)?;
            f(core, id, bytes).map(|n| n as i64)
        })
    })
}

/// Copies `text` NUL-terminated into the caller's buffer; returns its length, or -ENOSPC.
pub(super) fn copy_out(text: &str, buf: *mut c_char, buf_len: usize) -> Result<i32, NetError> {
    copy_out_bytes(text.as_bytes(), buf, buf_len)
}

/// Copies `text` (bytes: a unix path need not be UTF-8) NUL-terminated into the caller's buffer;
/// returns its length, or -ENOSPC.
pub(super) fn copy_out_bytes(text: &[u8], buf: *mut c_char, buf_len: usize) -> Result<i32, NetError> {
    if buf.is_null() {
        return Err(NetError::invalid("buf is NULL"));
    }
    if text.len() + 1 > buf_len {
        return Err(NetError::new(-libc::ENOSPC, format!("the buffer needs {} bytes", text.len() + 1)));
    }
    // SAFETY: `buf` has `buf_len` writable bytes (the header's contract), and we write
    // text.len() + 1 <= buf_len of them.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        *buf.add(text.len()) = 0;
    }
    Ok(text.len() as i32)
}

/// --- Socket: I/O ---
///
/// One non-blocking send, exactly like Bun: what the kernel does not take is the caller's to resend
/// when `drain` fires.
///
/// Returns: the bytes the kernel accepted (0..len). 0 while connecting (or in a TLS handshake), for
///   len 0, and while earlier `write_all`/`end` bytes are queued (order is kept). While corked,
///   queues everything and returns len.
/// Errors: BUN_TCP_EINVAL (NULL bytes with len > 0, or a len no buffer can have), BUN_TCP_ECLOSED
///   (closed or stale), BUN_TCP_EENDED (after end or shutdown), -EPIPE, -ECONNRESET or another
///   -errno of this send or of an earlier one not reported yet (the connection broke: `close`
///   follows from the loop), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now. Later, from the loop: `drain` after any short write; after a failed send,
///   `error` (if set), then `close`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_write(s: bun_tcp_socket, bytes: *const u8, len: usize) -> i64 {
    count(s, bytes, len, |core, id, b| core.write(id, b))
}

/// Accepts all `len` bytes (beyond Bun): sends what the kernel takes and copies the rest into the
/// socket's queue.
///
/// Returns: len (0 for len 0), also while connecting or corked (the bytes wait in the queue).
/// Errors: as `bun_tcp_socket_write`; -ENOBUFS when the socket has a write limit
///   (`bun_tcp_socket_set_write_limit`) and buffered_amount + len would exceed it: nothing is sent
///   or queued (wait for `drain`).
/// Fires: nothing now. Later, from the loop: `drain` once the queue is empty again; after a failed
///   send, as `bun_tcp_socket_write`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_write_all(s: bun_tcp_socket, bytes: *const u8, len: usize) -> i64 {
    count(s, bytes, len, |core, id, b| core.write_all(id, b))
}

/// Sends `bytes` (may be NULL with len 0) and then FIN: a true half-close (beyond Bun).
///
/// The whole chunk is accepted (what the kernel does not take is queued), later writes are refused,
/// and FIN leaves once the queue is flushed. The socket stays readable, so the peer's reply still
/// arrives.
/// Returns: len.
/// Errors: BUN_TCP_EENDED (already ended, or the write side shut), BUN_TCP_EINVAL (as for
///   `bun_tcp_socket_write`), BUN_TCP_ECLOSED, a -errno from the send (or one not reported yet),
///   BUN_TCP_EWRONGTHREAD; -ENOBUFS past the socket's write limit (as `bun_tcp_socket_write_all`):
///   nothing is sent or queued, no FIN, the socket stays open and writable.
/// Fires: nothing now. Later, from the loop: the peer's reply as `data`, then `end`, then `close`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_end(s: bun_tcp_socket, bytes: *const u8, len: usize) -> i64 {
    count(s, bytes, len, |core, id, b| core.end(id, b))
}

/// shutdown(2) of one side.
///
/// `read_side` true: SHUT_RD, no more `data`; no `end` fires and the socket stays open and writable
/// (ready_state 1) until its write side is shut too (Bun fires `end` and closes instead). false:
/// SHUT_WR now (queued bytes are dropped; `end` flushes first).
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, -ENOTCONN (still connecting, or in its TLS handshake: nothing changes),
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now. When both sides are shut, `close` once the current handler returns (or at
///   the next poll), never inside this call.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_shutdown(s: bun_tcp_socket, read_side: bool) -> i32 {
    status(s, |core, id| core.shutdown_socket(id, read_side))
}

/// Coalesces writes (beyond Bun): `write` and `write_all` queue until `uncork`, or until the
/// current handler returns, then leave in one writev.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_cork(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.cork(id))
}

/// Sends what was written while corked, in one writev; what the kernel does not take stays queued.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD. A failed send is not returned: it is reported
///   from the loop (`error`, `close`).
/// Fires: `drain` before it returns if the queue emptied and a drain was owed; otherwise `drain`
///   follows from the loop once the queue empties.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_uncork(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.uncork(id))
}

/// Sends queued bytes now (corked or write_all leftovers) instead of waiting for the loop.
///
/// Returns: 0.
/// Errors: as `bun_tcp_socket_uncork`.
/// Fires: as `bun_tcp_socket_uncork`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_flush(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.flush(id))
}

/// Stops reading: no `data`, and a FIN is not seen, until `bun_tcp_socket_resume`.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_pause(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.pause(id))
}

/// Reads again.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now; bytes (and a FIN) that arrived while paused are delivered later, from the
///   loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_resume(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.resume(id))
}

/// --- Socket: lifetime ---
///
/// Closes now with FIN; queued bytes are discarded.
///
/// The handle stays readable (data) until the loop tick ends, then is stale.
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED (already closed or stale), BUN_TCP_EWRONGTHREAD.
/// Fires: before it returns, `close` (err NULL). On a client that has not fired `open` (still
///   connecting, in a TLS handshake that defers `open`, or adopted and not opened yet),
///   `connect_error` (-ECANCELED) instead. An accepted TLS socket whose handshake never finished
///   closes without a handler.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_close(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.close(id))
}

/// Closes now with RST (SO_LINGER 0): the peer sees ECONNRESET.
///
/// Returns: as `bun_tcp_socket_close`.
/// Errors: as `bun_tcp_socket_close`.
/// Fires: as `bun_tcp_socket_close`: `close` (err NULL) runs before this returns.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_terminate(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.terminate(id))
}

/// Makes the socket keep the loop alive (the default). Idempotent.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_ref(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.set_ref(id, true))
}

/// Lets the loop end while this socket is open. Idempotent.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_unref(s: bun_tcp_socket) -> i32 {
    status(s, |core, id| core.set_ref(id, false))
}

/// Sets the idle timeout in seconds (0 disables).
///
/// `timeout` fires once the socket has been idle that long; every read and write resets it (beyond
/// Bun, whose deadline ignores activity); it fires within 100 ms of the deadline; the socket is not
/// closed, and the timer re-arms on the next activity. Accepted sockets start with 120 s, counted
/// from `open`. Set on a client before `open` (while it connects, or during a TLS handshake that
/// defers `open`), it is a connect timeout: `timeout` fires if `open` has not come in time (close
/// the socket there and the connect ends with `connect_error` ECANCELED); once `open` fires it
/// restarts as an idle timeout.
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now; `timeout` later, from the loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_timeout(s: bun_tcp_socket, seconds: u32) -> i32 {
    status(s, |core, id| core.set_timeout(id, Some(Duration::from_secs(u64::from(seconds)))))
}

/// As `bun_tcp_socket_timeout`, in milliseconds (beyond Bun).
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now; `timeout` later, from the loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_timeout_ms(s: bun_tcp_socket, ms: u32) -> i32 {
    status(s, |core, id| core.set_timeout(id, Some(Duration::from_millis(u64::from(ms)))))
}

/// --- Socket: options ---
///
/// Sets the socket's user data, passed to every later handler.
///
/// Works until the handle is stale (inside `close` and `connect_error` too).
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED (stale), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_set_data(s: bun_tcp_socket, data: *mut c_void) -> i32 {
    status(s, |core, id| core.set_data(id, data))
}

/// Gives this socket its own handler table (copied), used from its next event.
///
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL, or neither data nor drain), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_reload(s: bun_tcp_socket, handlers: *const bun_tcp_handlers) -> i32 {
    status(s, |core, id| {
        let table = input::handlers(handlers)?;
        core.reload_socket(id, table)
    })
}

/// Sets TCP_NODELAY (on by default); a no-op returning 0 on unix-domain sockets.
///
/// While a TCP connect is in flight it applies to the current attempt's descriptor at once and is
/// kept for the connection: whichever attempt wins (several addresses) has it after `open`.
/// Returns: 0.
/// Errors: -ENOTCONN (no descriptor yet: the host name is still resolving), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD, the -errno of setsockopt (then nothing changed: it is one option).
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_set_no_delay(s: bun_tcp_socket, enable: bool) -> i32 {
    status(s, |core, id| core.set_no_delay(id, enable))
}

/// Sets SO_KEEPALIVE, with TCP_KEEPIDLE = initial_delay_ms rounded down to whole seconds and raised
/// to at least 1 s (0..1999 ms give 1 s).
///
/// Linux accepts 1..32767 s, so initial_delay_ms may be at most 32767999; a larger value changes
/// nothing (the arguments are checked before any option is set). With `enable` false, SO_KEEPALIVE
/// goes off and initial_delay_ms is ignored. A no-op returning 0 on unix-domain sockets. While
/// connecting, as `bun_tcp_socket_set_no_delay`.
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (initial_delay_ms above 32767999, with `enable`), -ENOTCONN (no
///   descriptor yet: the host name is still resolving), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD, the
///   -errno of setsockopt.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_set_keep_alive(s: bun_tcp_socket, enable: bool, initial_delay_ms: u32) -> i32 {
    status(s, |core, id| core.set_keep_alive(id, enable, Duration::from_millis(u64::from(initial_delay_ms))))
}

/// Sets SO_KEEPALIVE with all three times, as libuv's `uv_tcp_keepalive_ex`: TCP_KEEPIDLE =
/// idle_s (seconds of silence before the first probe), TCP_KEEPINTVL = interval_s (seconds
/// between probes), TCP_KEEPCNT = count (unanswered probes before the connection is dropped).
///
/// Linux accepts idle_s 1..32767, interval_s 1..32767 and count 1..127; every value is checked
/// before any option is set, so a refused call changes nothing. With `enable` false, SO_KEEPALIVE
/// goes off and the three values are ignored. A no-op returning 0 on unix-domain sockets. While
/// connecting, as `bun_tcp_socket_set_no_delay`: the winning attempt has the values after `open`.
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (with `enable`: a value out of its range), -ENOTCONN (no descriptor
///   yet: the host name is still resolving), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD, the -errno of
///   setsockopt (then the options are put back as they were).
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_set_keep_alive_ex(
    s: bun_tcp_socket,
    enable: bool,
    idle_s: u32,
    interval_s: u32,
    count: u32,
) -> i32 {
    status(s, |core, id| core.set_keep_alive_ex(id, enable, idle_s, interval_s, count))
}

/// Bounds the bytes a socket may hold queued (beyond Bun): `write_all` and `end` accept a chunk
/// only if buffered_amount + len <= max_buffered, else they return -ENOBUFS and send and queue
/// nothing, so a slow or hostile reader cannot grow memory without bound.
///
/// 0 = no limit (the default). A chunk larger than the limit is refused even on an empty queue.
/// Bytes already queued stay when the limit is lowered below them: every chunk is refused until
/// the queue drains (`end` without bytes too, as buffered_amount + 0 exceeds the limit; at or
/// under the limit it is accepted). `write` (unbuffered) is unaffected, and so is a plain `write` while corked. On a TLS
/// socket buffered_amount counts plaintext not yet handed to the TLS layer; the records the TLS
/// layer holds for the kernel add at most 256 KiB per socket, whatever the limit.
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED (closed, stale or zero handle), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing. A refused `write_all`/`end` while bytes are queued makes `drain` fire once the
///   queue empties.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_set_write_limit(s: bun_tcp_socket, max_buffered: usize) -> i32 {
    status(s, |core, id| core.set_write_limit(id, max_buffered))
}

/// --- Socket: queries ---
///
/// The socket's state.
///
/// Returns: BUN_TCP_STATE_CONNECTING (2), _OPEN (1), _CLOSING (0: end's tail still queued),
///   _WRITE_SHUT (-2: FIN sent, still readable) or _CLOSED (-1: closed, stale, unknown, another
///   thread's).
/// Errors: none but BUN_TCP_EPANIC, if an internal error was caught: a value no state has, never
///   read as "closed".
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_ready_state(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |_| BUN_TCP_STATE_CLOSED, |core, id| Ok(core.ready_state(id) as i32)))
}

/// The socket's user data; readable inside `close` and `connect_error`.
///
/// Returns: the data; NULL for a stale handle or another thread's socket.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_data(s: bun_tcp_socket) -> *mut c_void {
    ffi_call(|| with_socket(s, |_| std::ptr::null_mut(), |core, id| core.data(id)))
}

/// Bytes queued by write_all / end / cork and not yet sent.
///
/// Returns: the count; 0 for a stale handle or another thread's socket.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_buffered_amount(s: bun_tcp_socket) -> usize {
    ffi_call(|| with_socket(s, |_| 0, |core, id| core.buffered_amount(id)))
}

/// Bytes handed to the kernel so far.
///
/// Returns: the count; 0 for a stale handle or another thread's socket.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_bytes_written(s: bun_tcp_socket) -> u64 {
    ffi_call(|| with_socket(s, |_| 0, |core, id| core.bytes_written(id)))
}

/// Writes the peer's IP ("127.0.0.1", "::1"; IPv4-mapped IPv6 shows as IPv4) NUL-terminated into
/// `buf` (46 bytes always suffice).
///
/// Returns: its length.
/// Errors: -ENOSPC (`buf_len` too small), -ENOTCONN (a unix socket, or not connected yet),
///   BUN_TCP_EINVAL (NULL buf), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_remote_address(s: bun_tcp_socket, buf: *mut c_char, buf_len: usize) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| copy_out(&core.remote_address(id)?, buf, buf_len)))
}

/// The peer's port.
///
/// Returns: the port (0..65535).
/// Errors: -ENOTCONN (a unix socket, or not connected yet), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_remote_port(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| core.remote_port(id).map(i32::from)))
}

/// Writes the local IP into `buf`, as `bun_tcp_socket_remote_address`.
///
/// Returns: its length.
/// Errors: -ENOSPC (`buf_len` too small), -ENOTCONN (a unix socket, or no descriptor yet: the host
///   name is still resolving), BUN_TCP_EINVAL (NULL buf), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_local_address(s: bun_tcp_socket, buf: *mut c_char, buf_len: usize) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| copy_out(&core.local_address(id)?, buf, buf_len)))
}

/// The local port.
///
/// Returns: the port (0..65535).
/// Errors: -ENOTCONN (a unix socket, or no descriptor yet: the host name is still resolving),
///   BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_local_port(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| core.local_port(id).map(i32::from)))
}

/// The peer's address family: AF_INET, AF_INET6 or AF_UNIX, the values of <sys/socket.h>. An
/// IPv4 peer of a dual-stack listener (an IPv4-mapped IPv6 address) is AF_INET, as
/// `bun_tcp_socket_remote_address` prints it.
///
/// Returns: the family (> 0).
/// Errors: -ENOTCONN (not connected yet), BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_remote_family(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| core.remote_family(id)))
}

/// The local address family, as `bun_tcp_socket_remote_family` (AF_INET for the IPv4
/// connections of a dual-stack listener).
///
/// Returns: the family (> 0).
/// Errors: -ENOTCONN (no descriptor yet: the host name is still resolving), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_local_family(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| core.local_family(id)))
}

/// The socket's file descriptor, for getsockopt and the like: do not close it.
///
/// While a TCP connect is in flight it is the current attempt's (with several addresses another
/// attempt may win).
/// Returns: the descriptor (>= 0).
/// Errors: -ENOTCONN (no descriptor yet: the host name is still resolving), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_fd(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| core.socket_fd(id)))
}

/// The listener that accepted this socket.
///
/// Returns: the listener; `{0}` for client sockets (adopted ones included), stale handles and
///   another thread's sockets.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_listener(s: bun_tcp_socket) -> bun_tcp_listener {
    ffi_call(|| {
        with_socket(
            s,
            |_| bun_tcp_listener { id: 0 },
            |core, id| Ok(bun_tcp_listener { id: core.socket_listener(id)?.map_or(0, |l| l.0) }),
        )
    })
}

/// --- Socket: transfer between loops ---
///
/// Takes an open plain socket out of its loop (beyond Bun), still connected.
///
/// The handle is stale from then on. The descriptor is the caller's: hand it to
/// `bun_tcp_socket_adopt` on another loop (e.g. through `bun_tcp_loop_post`) or close it. Bytes the
/// kernel holds move with it.
/// Returns: 0, with the descriptor written to `*out_fd`.
/// Errors: BUN_TCP_EBUSY (bytes wait in the write queue: detach after `drain`), BUN_TCP_ENOTSUP (a
///   TLS socket, or one not open: connecting, or closed in this tick), BUN_TCP_ECLOSED,
///   BUN_TCP_EINVAL (NULL out_fd), BUN_TCP_EWRONGTHREAD, or the -errno of a failure waiting to be
///   reported.
/// Fires: nothing, now or later: not even `close`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_detach(s: bun_tcp_socket, out_fd: *mut i32) -> i32 {
    use std::os::fd::IntoRawFd;
    status(s, |core, id| {
        if out_fd.is_null() {
            return Err(NetError::invalid("out_fd is NULL"));
        }
        let fd = core.detach(id)?;
        // SAFETY: non-NULL output pointer from the caller, written only on success.
        unsafe { *out_fd = fd.into_raw_fd() };
        Ok(())
    })
}

/// Makes a connected stream socket (TCP or unix-domain; from `bun_tcp_socket_detach`, or made by
/// other code) a socket of `loop` with these handlers (copied) and user data (beyond Bun).
///
/// The loop owns the descriptor from then on. On error the descriptor stays the caller's, untouched
/// (left open, also after an internal error).
/// Returns: 0, with the handle written to `*out`.
/// Errors (nothing fires): BUN_TCP_EINVAL (NULL loop, handlers or out, a freed loop, fd < 0, a
///   listening socket, handlers with neither data nor drain), -ENOTSOCK, -EBADF (not an open
///   descriptor), -ENOTCONN (not connected), -EPROTOTYPE (not a stream socket), -EAFNOSUPPORT
///   (neither unix-domain nor IP), -ENOMEM (the loop holds as many sockets as it can), the -errno
///   of epoll_ctl, BUN_TCP_ECLOSED (the loop is being freed), BUN_TCP_EWRONGTHREAD, BUN_TCP_EPANIC
///   (an internal error: the descriptor is left open, still the caller's).
/// Fires: nothing now; `open` later, from the loop, as after a connect, then data flows (closed
///   before that: `connect_error` (-ECANCELED), as for a connect).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_adopt(
    loop_: *mut bun_tcp_loop,
    fd: i32,
    handlers: *const bun_tcp_handlers,
    data: *mut c_void,
    allow_half_open: bool,
    out: *mut bun_tcp_socket,
) -> i32 {
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
    ffi_call(|| {
        let result = (|| {
            let core = registry::by_ptr(loop_)?;
            let handlers = input::handlers(handlers)?;
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            if fd < 0 {
                return Err(NetError::invalid("fd is negative"));
            }
            // SAFETY: the caller hands over an open descriptor it owns; on error it is given
            // back with into_raw_fd, and the core takes it only once nothing can fail or panic,
            // so it is never closed here.
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            match core.adopt(owned, data, allow_half_open, handlers) {
                Ok(id) => {
                    // SAFETY: non-NULL output pointer from the caller, written only on success.
                    unsafe { *out = bun_tcp_socket { id: id.0 } };
                    Ok(())
                }
                Err((err, back)) => {
                    let _ = back.into_raw_fd();
                    Err(err)
                }
            }
        })();
        code_of(result, |()| 0)
    })
}
