//! Connect: the one function that creates a client socket.

use super::types::{bun_tcp_connect_options, bun_tcp_handlers, bun_tcp_loop, bun_tcp_socket};
use super::{code_of, ffi_call, input, registry};
use crate::ConnectOptions;
use crate::error::NetError;

fn connect_options(o: &bun_tcp_connect_options) -> Result<ConnectOptions, NetError> {
    Ok(ConnectOptions {
        tls: input::tls_options(o.tls)?,
        hostname: input::opt_host(o.hostname, "hostname")?,
        port: o.port,
        data: o.data,
        unix: input::unix_name(o.unix_path, o.unix_path_len)?,
        allow_half_open: o.allow_half_open,
        local_address: match input::opt_host(o.local_address, "local_address")? {
            Some(text) => Some(crate::addr::parse_ip_literal(&text, "local_address")?),
            None => None,
        },
        local_port: o.local_port,
        connect_timeout: match o.connect_timeout_ms {
            0 => None,
            ms => Some(std::time::Duration::from_millis(u64::from(ms))),
        },
    })
}

/// --- Connect ---
///
/// Starts a connect and returns at once, with the socket in state "connecting".
///
/// Host names resolve off the loop thread, on a pool of at most 4 resolver threads shared by the
/// process (look-ups beyond that wait in a queue; one whose socket is closed meanwhile is dropped;
/// idle threads exit after 2 s); IP literals connect directly. A name with several addresses is
/// connected by Happy Eyeballs (RFC 8305): the families alternate (the resolver's first address
/// first); each attempt runs alone for 250 ms, then the next address starts beside it (at once if
/// the attempt fails); the first to connect wins and the others are closed (with `local_port`
/// they run one at a time instead: the next starts when one fails). Every attempt binds
/// `local_address` / `local_port` first when given, and only the addresses of
/// `local_address`'s family are tried. `connect_timeout_ms` bounds everything from this call to
/// `open` (plain) or the end of the handshake (TLS); after that it never fires. `handlers` is copied.
/// With `tls`, writes before the handshake ends return 0 and `drain` follows.
/// Returns: 0, with the socket written to `*out`.
/// Errors (nothing is written and no handler fires): BUN_TCP_EINVAL (NULL loop, options, handlers
///   or out; a freed loop; handlers with neither data nor drain; an empty unix path, a leading '\0'
///   without `unix_path_len`, or another bad unix path as for listen; `local_address` or
///   `local_port` with a unix path), BUN_TCP_EINVALHOST (a hostname that is not a host name,
///   bytes that are not UTF-8 included; a `local_address` that is not an IP literal, a name such
///   as "localhost" included), -ENAMETOOLONG (unix
///   path), -ENOMEM (the loop holds as many sockets as it can), the -errno of starting a resolver
///   thread when none runs, BUN_TCP_ECLOSED (the loop is being freed), BUN_TCP_EWRONGTHREAD; with
///   `tls`: the TLS option errors listed for `bun_tcp_listen`, and BUN_TCP_EINVAL for an invalid
///   server_name (not a DNS name or IP literal, or not UTF-8).
/// Fires: nothing now. Later, from the loop, exactly one of `open` or `connect_error`:
///   `connect_error` for a refused connect (ECONNREFUSED, syscall "connect"), an unknown host
///   (ENOTFOUND, syscall "getaddrinfo"), a local port in use (EADDRINUSE, syscall "bind"), a
///   `local_address` of a family no target address has (EAFNOSUPPORT, syscall "bind"), the
///   `connect_timeout_ms` passing (ETIMEDOUT, syscall "connect"), a unix-domain listener whose
///   backlog is full (EAGAIN, syscall "connect", at once and never retried, since Linux refuses
///   such a connect instead of queueing it); with several addresses only once every one failed,
///   with the last failure's error. With `tls`, `open` fires at TCP connect when a `handshake` handler is set (and
///   `handshake` when the handshake ends), else `open` waits for the handshake; a rejected server
///   fires `connect_error` with the verdict (or, with a `handshake` handler: handshake(false, err),
///   error(err), close(err)); so does a `connect_timeout_ms` passing during the handshake, with
///   ETIMEDOUT.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_connect(
    loop_: *mut bun_tcp_loop,
    opts: *const bun_tcp_connect_options,
    handlers: *const bun_tcp_handlers,
    out: *mut bun_tcp_socket,
) -> i32 {
    ffi_call(|| {
        let result = (|| {
            let core = registry::by_ptr(loop_)?;
            let opts = connect_options(input::options(opts, "options")?)?;
            let handlers = input::handlers(handlers)?;
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            let id = core.connect(&opts, handlers)?;
            // SAFETY: non-NULL output pointer from the caller, written only on success.
            unsafe { *out = bun_tcp_socket { id: id.0 } };
            Ok(())
        })();
        code_of(result, |()| 0)
    })
}
