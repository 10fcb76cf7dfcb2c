//! Listen and listener functions.

use super::socket_api::copy_out_bytes;
use super::types::{bun_tcp_handlers, bun_tcp_listen_options, bun_tcp_listener, bun_tcp_loop};
use super::{code_of, fail, ffi_call, input, registry};
use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::{ListenOptions, ListenerId};
use std::ffi::{c_char, c_void};
use std::rc::Rc;
use std::time::Duration;

fn listen_options(o: &bun_tcp_listen_options) -> Result<ListenOptions, NetError> {
    Ok(ListenOptions {
        tls: input::tls_options(o.tls)?,
        hostname: input::opt_host(o.hostname, "hostname")?,
        port: o.port,
        data: o.data,
        unix: input::unix_name(o.unix_path, o.unix_path_len)?,
        allow_half_open: o.allow_half_open,
        reuse_port: o.reuse_port,
        ipv6_only: o.ipv6_only,
        backlog: o.backlog,
        tls_handshake_timeout: match o.tls_handshake_timeout_ms {
            0 => None,
            u32::MAX => Some(Duration::MAX),
            ms => Some(Duration::from_millis(u64::from(ms))),
        },
    })
}

/// --- Listen ---
///
/// Listens on TCP (IPv4 or IPv6) or on a unix-domain socket.
///
/// `handlers` is copied; it is shared by every accepted socket, whose user data starts as
/// `opts->data`.
/// Returns: 0, with the listener written to `*out`.
/// Errors (nothing is written and no handler fires):
///   BUN_TCP_EINVAL: NULL loop, options, handlers or out; a freed loop; handlers with neither
///     `data` nor `drain`; a bad option (a negative backlog; an empty unix path, or a leading '\0'
///     without `unix_path_len`; see `bun_tcp_listen_options`);
///   BUN_TCP_EINVALHOST: a hostname that is not a host name (bytes that are not UTF-8 included);
///   BUN_TCP_ENOTFOUND: the hostname does not resolve;
///   -EADDRINUSE (port or path in use), -ENAMETOOLONG (unix path too long), -EACCES, or another
///     -errno of socket(2), bind(2) or listen(2);
///   -ENOMEM: the loop holds as many listeners as it can;
///   BUN_TCP_ECLOSED: the loop is being freed (a call from a handler `bun_tcp_loop_free` runs);
///   BUN_TCP_EWRONGTHREAD;
///   with `tls`, the TLS option errors (also those of `bun_tcp_connect` and
///     `bun_tcp_socket_upgrade_tls`): BUN_TCP_ETLS_BAD_PEM (not PEM, a CERTIFICATE block that is
///     not a DER certificate, a PRIVATE KEY block that is not a key, no block, bytes that are not
///     text around the blocks, a block without its END line; the message names the item, e.g.
///     "cert[0]: not a DER certificate"), BUN_TCP_ETLS_KEY_MISMATCH, BUN_TCP_ETLS_KEY_ENCRYPTED;
///     for key_file, cert_file or ca_file: -ENOENT, -EISDIR or another -errno of open(2),
///     BUN_TCP_EINVAL for one that is not a regular file (a FIFO, a device: refused without
///     blocking or reading it), -EFBIG for one larger than 4 MiB; BUN_TCP_EINVAL (no cert + key,
///     key and cert counts differ, bad versions or ALPN names, a NULL array with a nonzero count,
///     an empty file path, a passphrase or server_name that is not UTF-8); BUN_TCP_ETLS (what
///     rustls refuses otherwise, or no `ca` and no system CA certificate).
/// Fires: nothing now. Later, from the loop, each accepted socket's handlers, `open` first (for TLS
///   see the `handshake` handler and `tls_handshake_timeout_ms`).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listen(
    loop_: *mut bun_tcp_loop,
    opts: *const bun_tcp_listen_options,
    handlers: *const bun_tcp_handlers,
    out: *mut bun_tcp_listener,
) -> i32 {
    ffi_call(|| {
        let result = (|| {
            let core = registry::by_ptr(loop_)?;
            let opts = listen_options(input::options(opts, "options")?)?;
            let handlers = input::handlers(handlers)?;
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            let id = core.listen(&opts, handlers)?;
            // SAFETY: non-NULL output pointer from the caller, written only on success.
            unsafe { *out = bun_tcp_listener { id: id.0 } };
            Ok(())
        })();
        code_of(result, |()| 0)
    })
}

/// The options `bun_tcp_listen_fd` reads: NULL = zero-filled; the fields that name an address
/// must be unset (they are refused before any is parsed).
fn inherited_listen_options(o: *const bun_tcp_listen_options) -> Result<ListenOptions, NetError> {
    if o.is_null() {
        return Ok(ListenOptions::default());
    }
    let o = input::options(o, "options")?;
    if !o.hostname.is_null() || o.port != 0 || !o.unix_path.is_null() || o.unix_path_len != 0 {
        return Err(NetError::invalid("hostname, port and unix_path must be unset: the descriptor is already bound"));
    }
    listen_options(o)
}

/// Listens on an inherited descriptor (beyond Bun): systemd socket activation (`LISTEN_FDS`) or a
/// zero-downtime handover (a listening socket passed over SCM_RIGHTS).
///
/// `fd` is a bound SOCK_STREAM socket: TCP over IPv4 or IPv6, or unix-domain (a path or an
/// abstract name). If it is not listening yet (SO_ACCEPTCONN), listen(2) is called with
/// `opts->backlog` (0 = 511); a listening socket keeps its backlog. `opts` may be NULL (all
/// defaults); it gives `data`, `tls`, `allow_half_open`, `backlog` and `tls_handshake_timeout_ms`.
/// `reuse_port` and `ipv6_only` are ignored: they are options of bind(2), which the descriptor's
/// creator already did. `bun_tcp_listener_port`, `_address` and `_family` read the socket's own
/// address. On success the listener owns the descriptor and makes it non-blocking and
/// close-on-exec; `bun_tcp_listener_stop` closes it (a unix path is never unlinked: it belongs
/// to whoever bound it). Other processes holding the same socket (the one that handed it over)
/// are unaffected.
/// Returns: 0, with the listener written to `*out`.
/// Errors (nothing is written, no handler fires, and the descriptor stays the caller's, untouched:
///   open, not listening if it was not, its descriptor flags (FD_CLOEXEC) and status flags
///   (O_NONBLOCK) as they were):
///   BUN_TCP_EINVAL: NULL loop, handlers or out; a freed loop; handlers with neither `data` nor
///     `drain`; fd < 0; `hostname`, `port`, `unix_path` or `unix_path_len` set; a negative
///     backlog; a socket that is not SOCK_STREAM (a datagram socket); an IP stream socket that is
///     not TCP; a socket that is not bound (bind it first: an unbound socket would listen on a
///     random port);
///   -ENOTSOCK: not a socket; -EBADF: not an open descriptor; -EAFNOSUPPORT: neither IPv4, IPv6
///     nor unix-domain; another -errno of listen(2) (-EINVAL for a connected socket);
///   -ENOMEM: the loop holds as many listeners as it can; the -errno of epoll_ctl;
///   BUN_TCP_ECLOSED: the loop is being freed; BUN_TCP_EWRONGTHREAD;
///   with `tls`, the TLS option errors of `bun_tcp_listen`.
/// Fires: nothing now. Later, from the loop, each accepted socket's handlers, as for
///   `bun_tcp_listen`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listen_fd(
    loop_: *mut bun_tcp_loop,
    fd: std::ffi::c_int,
    opts: *const bun_tcp_listen_options,
    handlers: *const bun_tcp_handlers,
    out: *mut bun_tcp_listener,
) -> i32 {
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
    ffi_call(|| {
        let result = (|| {
            let core = registry::by_ptr(loop_)?;
            let opts = inherited_listen_options(opts)?;
            let handlers = input::handlers(handlers)?;
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            if fd < 0 {
                return Err(NetError::invalid("fd is negative"));
            }
            // SAFETY: the caller hands over an open descriptor it owns; on error it is given
            // back with into_raw_fd (never closed here).
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            match core.listen_fd(owned, &opts, handlers) {
                Ok(id) => {
                    // SAFETY: non-NULL output pointer from the caller, written only on success.
                    unsafe { *out = bun_tcp_listener { id: id.0 } };
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

/// Runs `f` on the listener's loop; errors become `on_err(code)`.
fn with_listener<T>(
    l: bun_tcp_listener,
    on_err: impl FnOnce(i32) -> T,
    f: impl FnOnce(&EventLoop, ListenerId) -> Result<T, NetError>,
) -> T {
    match registry::by_handle(l.id).and_then(|core: Rc<EventLoop>| f(&core, ListenerId(l.id))) {
        Ok(v) => v,
        Err(e) => on_err(fail(&e)),
    }
}

/// The bound TCP port (useful after listening on port 0).
///
/// Returns: the port; 0 for unix sockets, stale handles and other threads' listeners.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_port(l: bun_tcp_listener) -> u16 {
    ffi_call(|| with_listener(l, |_| 0, |core, id| core.listener_port(id)))
}

/// Writes where the listener listens, NUL-terminated, into `buf`: its IP ("127.0.0.1", "::";
/// IPv4-mapped IPv6 shows as IPv4, as in `bun_tcp_socket_remote_address`; 46 bytes always
/// suffice), or for a unix-domain listener its path, or "@" and the name for an abstract name.
/// Read from the socket itself (also for `bun_tcp_listen_fd`), and still known after stop while
/// the handle is valid.
///
/// Returns: its length (without the NUL).
/// Errors: -ENOSPC (`buf_len` too small; nothing written), BUN_TCP_EINVAL (NULL buf),
///   BUN_TCP_ECLOSED (zero, stale or released handle), BUN_TCP_EWRONGTHREAD, -ENOTCONN (the
///   socket reported no local name when it started listening: not seen on Linux).
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_address(l: bun_tcp_listener, buf: *mut c_char, buf_len: usize) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| copy_out_bytes(&core.listener_address(id)?, buf, buf_len)))
}

/// The listener's address family: AF_INET, AF_INET6 (a dual-stack "::" listener included) or
/// AF_UNIX, the values of <sys/socket.h>.
///
/// Returns: the family (> 0).
/// Errors: BUN_TCP_ECLOSED (zero, stale or released handle), BUN_TCP_EWRONGTHREAD, -ENOTCONN (as
///   `bun_tcp_listener_address`).
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_family(l: bun_tcp_listener) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| core.listener_family(id)))
}

/// Stops accepting, closes the listening socket and unlinks a unix-socket path (not the path of
/// a socket given to `bun_tcp_listen_fd`: that belongs to whoever bound it). Idempotent.
///
/// With `close_active`, also closes every socket the listener accepted; without it, they keep
/// working with the listener's handlers. The handle stays valid (data, reload) while sockets it
/// accepted are open; once none is left it goes stale at the end of the loop tick (its slot is
/// released, so listen/stop cycles do not grow the loop): `data` then gives NULL, `port` 0, reload
/// BUN_TCP_ECLOSED, while stop and ref/unref stay no-ops returning 0.
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED (zero or unknown handle), BUN_TCP_EWRONGTHREAD.
/// Fires: with `close_active`, `close` of every accepted socket that is open, before it returns (an
///   accepted TLS socket whose handshake never finished closes without a handler).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_stop(l: bun_tcp_listener, close_active: bool) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| core.stop(id, close_active).map(|()| 0)))
}

/// Replaces the handlers of the listener and of every accepted socket still using them, from their
/// next event. The table is copied.
///
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL table, or neither data nor drain), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_reload(l: bun_tcp_listener, handlers: *const bun_tcp_handlers) -> i32 {
    ffi_call(|| {
        with_listener(
            l,
            |c| c,
            |core, id| {
                let table = input::handlers(handlers)?;
                core.reload_listener(id, table).map(|()| 0)
            },
        )
    })
}

/// Makes the listener keep the loop alive again (the default). Idempotent; a no-op after stop.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_ref(l: bun_tcp_listener) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| core.set_listener_ref(id, true).map(|()| 0)))
}

/// Lets the loop end (`bun_tcp_run` return) while this listener is still listening. Idempotent; a
/// no-op after stop.
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_unref(l: bun_tcp_listener) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| core.set_listener_ref(id, false).map(|()| 0)))
}

/// The listener's user data: the default data of the sockets it accepts from now on.
///
/// Returns: the data; NULL for a stale handle or another thread's listener.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_data(l: bun_tcp_listener) -> *mut c_void {
    ffi_call(|| with_listener(l, |_| std::ptr::null_mut(), |core, id| core.listener_data(id)))
}

/// Sets the listener's user data (sockets accepted later start with it).
///
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_set_data(l: bun_tcp_listener, data: *mut c_void) -> i32 {
    ffi_call(|| with_listener(l, |c| c, |core, id| core.set_listener_data(id, data).map(|()| 0)))
}

/// Certificate rotation: the TLS listener's next handshakes use `tls` (its certificates, keys,
/// CA and every other TLS option, read and checked now); sockets already accepted keep the
/// configuration they started with (beyond Bun: Node's `server.setSecureContext`). The new
/// configuration starts with its own tickets and session cache: sessions of the old one do not
/// resume. `tls` is read during the call only.
///
/// Returns: 0.
/// Errors (the old configuration stays in place): BUN_TCP_EINVAL (NULL tls), the TLS option
///   errors of `bun_tcp_listen` (BUN_TCP_ETLS_BAD_PEM, BUN_TCP_ETLS_KEY_MISMATCH, ...),
///   BUN_TCP_ENOTSUP (a plain listener), BUN_TCP_ECLOSED (zero, stale or stopped listener),
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_listener_set_tls(l: bun_tcp_listener, tls: *const super::types::bun_tcp_tls_options) -> i32 {
    ffi_call(|| {
        with_listener(
            l,
            |c| c,
            |core, id| {
                let opts = input::tls_options(tls)?.ok_or_else(|| NetError::invalid("tls is NULL"))?;
                core.set_listener_tls(id, &opts).map(|()| 0)
            },
        )
    })
}
