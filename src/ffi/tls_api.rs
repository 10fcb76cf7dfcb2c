//! TLS functions: the verdict, negotiated parameters, the peer certificate, STARTTLS.

use super::socket_api::{copy_out, with_socket};
use super::types::{bun_tcp_handlers, bun_tcp_socket, bun_tcp_tls_options};
use super::{ffi_call, input, intern};
use crate::error::NetError;
use std::ffi::c_char;

fn static_c(name: &'static str) -> *const c_char {
    intern(name).as_ptr()
}

/// --- TLS ---
///
/// Tells whether the TLS peer's certificate was verified.
///
/// Returns: true only when it was (after the handshake); false for plain sockets, during the
///   handshake, with `allow_unauthorized` and a failed verification, for a server that did not
///   request a certificate, and for stale handles and another thread's sockets.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_authorized(s: bun_tcp_socket) -> bool {
    ffi_call(|| with_socket(s, |_| false, |core, id| core.authorized(id)))
}

/// The verdict on the TLS peer's certificate.
///
/// Returns: 0 when verified (or not asked for, or plain), else a BUN_TCP_ECERT_* code
///   (`bun_tcp_err_name` gives "DEPTH_ZERO_SELF_SIGNED_CERT" and the like).
/// Errors: BUN_TCP_ECLOSED, BUN_TCP_EWRONGTHREAD: negative as verdicts are, so check
///   `bun_tcp_socket_ready_state` to tell them apart.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_verify_error(s: bun_tcp_socket) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| Ok(core.verify_error(id)?.map_or(0, |e| e.code))))
}

/// Writes the negotiated ALPN protocol NUL-terminated into `buf`.
///
/// Returns: its length; 0 when none was negotiated (or plain TCP): "" is written then, so `buf`
///   needs a byte even so.
/// Errors: -ENOSPC (`buf_len` too small), BUN_TCP_EINVAL (NULL buf), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_alpn_protocol(s: bun_tcp_socket, buf: *mut c_char, buf_len: usize) -> i32 {
    ffi_call(|| {
        with_socket(
            s,
            |c| c,
            |core, id| {
                let proto = core.alpn_protocol(id)?.unwrap_or_default();
                copy_out(&String::from_utf8_lossy(&proto), buf, buf_len)
            },
        )
    })
}

/// On a TLS server socket, writes the host name the client asked for with SNI, NUL-terminated, into
/// `buf` (beyond Bun): for picking per-name behaviour in `handshake` or later.
///
/// Returns: its length; 0 ("" written) when the client sent none, the ClientHello has not arrived
///   yet, on client and plain sockets.
/// Errors: -ENOSPC (`buf_len` too small), BUN_TCP_EINVAL (NULL buf), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_server_name(s: bun_tcp_socket, buf: *mut c_char, buf_len: usize) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| copy_out(&core.server_name(id)?.unwrap_or_default(), buf, buf_len)))
}

/// The negotiated TLS version.
///
/// Returns: "TLSv1.2" or "TLSv1.3" (static) once the handshake has negotiated it; NULL for plain
///   sockets, during the handshake, and for stale handles and another thread's sockets.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_tls_version(s: bun_tcp_socket) -> *const c_char {
    ffi_call(|| {
        with_socket(s, |_| std::ptr::null(), |core, id| Ok(core.tls_version(id)?.map_or(std::ptr::null(), static_c)))
    })
}

/// The negotiated cipher suite.
///
/// Returns: its IANA name, e.g. "TLS_AES_128_GCM_SHA256" (static); NULL as for
///   `bun_tcp_socket_tls_version`.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_cipher(s: bun_tcp_socket) -> *const c_char {
    ffi_call(|| {
        with_socket(s, |_| std::ptr::null(), |core, id| Ok(core.cipher(id)?.map_or(std::ptr::null(), static_c)))
    })
}

/// Copies the peer's certificate (DER) into `buf`; with `buf` NULL and `buf_len` 0, only measures
/// it.
///
/// Returns: its length (0: no certificate, or plain TCP).
/// Errors: -ENOSPC (`buf_len` too small), BUN_TCP_EINVAL (NULL buf with `buf_len` > 0),
///   BUN_TCP_ECLOSED (stale handle), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_peer_certificate(s: bun_tcp_socket, buf: *mut u8, buf_len: usize) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| copy_der(core.peer_certificate(id)?, buf, buf_len)))
}

/// Copies certificate `index` of the chain the peer sent (DER) into `buf`: 0 is its end-entity
/// certificate (as `bun_tcp_socket_peer_certificate`), 1 the certificate that signed it, and so
/// on, in the order the peer sent them. With `buf` NULL and `buf_len` 0, only measures it; a loop
/// from index 0 up to the first 0 returned walks the whole chain.
///
/// Returns: its length (0: `index` is past the end of the chain, no certificate, or plain TCP).
/// Errors: -ENOSPC (`buf_len` too small), BUN_TCP_EINVAL (NULL buf with `buf_len` > 0),
///   BUN_TCP_ECLOSED (stale handle), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_peer_certificate_at(
    s: bun_tcp_socket,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
) -> i32 {
    ffi_call(|| with_socket(s, |c| c, |core, id| copy_der(core.peer_certificate_at(id, index)?, buf, buf_len)))
}

/// The peer-certificate queries' copy: measure (NULL, 0), or copy into `buf`, or say why not.
fn copy_der(der: Option<Vec<u8>>, buf: *mut u8, buf_len: usize) -> Result<i32, NetError> {
    let der = der.unwrap_or_default();
    if buf.is_null() && buf_len == 0 {
        return Ok(der.len() as i32);
    }
    if buf.is_null() {
        return Err(NetError::invalid("buf is NULL"));
    }
    if der.len() > buf_len {
        return Err(NetError::new(-libc::ENOSPC, format!("the certificate needs {} bytes", der.len())));
    }
    // SAFETY: `buf` has `buf_len` writable bytes (the header's contract); der.len() fits.
    unsafe { std::ptr::copy_nonoverlapping(der.as_ptr(), buf, der.len()) };
    Ok(der.len() as i32)
}

/// Tells whether the socket's TLS handshake resumed an earlier session (a TLS 1.3 ticket or a
/// TLS 1.2 session), on the client and on the server. Resumption is on by default (see
/// `disable_session_resumption` in `bun_tcp_tls_options`).
///
/// Returns: true once a resumed handshake completed; false for a full handshake, plain sockets,
///   during the handshake, and for stale handles and another thread's sockets.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_session_reused(s: bun_tcp_socket) -> bool {
    ffi_call(|| with_socket(s, |_| false, |core, id| core.session_reused(id)))
}

/// Exports `out_len` bytes of keying material (RFC 5705; TLS 1.3: RFC 8446 §7.5) for channel
/// binding: what `openssl s_client -keymatexport LABEL -keymatexportlen N` prints on the other
/// end for the same session. `label` is a NUL-terminated string; `context` NULL means no context
/// (which differs from an empty context: `context` non-NULL with `context_len` 0).
///
/// Returns: 0, with `out` filled.
/// Errors: BUN_TCP_EINVAL (NULL out or label, `out_len` 0, NULL context with a nonzero
///   context_len, a label that is not UTF-8), BUN_TCP_ENOTSUP (plain socket, or the handshake has
///   not completed), BUN_TCP_ETLS (rustls refused the export), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_export_keying_material(
    s: bun_tcp_socket,
    out: *mut u8,
    out_len: usize,
    label: *const c_char,
    context: *const u8,
    context_len: usize,
) -> i32 {
    ffi_call(|| {
        with_socket(
            s,
            |c| c,
            |core, id| {
                if out.is_null() {
                    return Err(NetError::invalid("out is NULL"));
                }
                if out_len == 0 {
                    return Err(NetError::invalid("out_len is 0"));
                }
                let label = input::opt_str(label, "label")?.ok_or_else(|| NetError::invalid("label is NULL"))?;
                let context = if context.is_null() {
                    if context_len != 0 {
                        return Err(NetError::invalid("context is NULL but context_len is not 0"));
                    }
                    None
                } else {
                    Some(input::bytes(context, context_len)?)
                };
                let out = input::bytes_mut(out, out_len)?;
                core.export_keying_material(id, out, label.as_bytes(), context).map(|()| 0)
            },
        )
    })
}

/// STARTTLS: turns an open plain socket into a TLS socket, with a new handler table (copied).
///
/// As a client (`is_server` false) it sends the ClientHello now; `tls->server_name` defaults to
/// "localhost". As a server it needs cert + key. Call it when nothing is queued, e.g. right after
/// the plaintext "go ahead" exchange.
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL tls or handlers, handlers with neither data nor drain, not open,
///   already TLS, bytes queued or write side ended), the TLS option errors listed for
///   `bun_tcp_listen` (and BUN_TCP_EINVAL for an invalid server_name), BUN_TCP_ECLOSED,
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing now. Later, from the loop: with a `handshake` handler, `handshake` when the
///   handshake ends; without one, `open` again after the handshake.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_socket_upgrade_tls(
    s: bun_tcp_socket,
    tls: *const bun_tcp_tls_options,
    handlers: *const bun_tcp_handlers,
    is_server: bool,
) -> i32 {
    ffi_call(|| {
        with_socket(
            s,
            |c| c,
            |core, id| {
                let opts = input::tls_options(tls)?.ok_or_else(|| NetError::invalid("tls is NULL"))?;
                let table = input::handlers(handlers)?;
                core.upgrade_tls(id, &opts, table, is_server).map(|()| 0)
            },
        )
    })
}

/// The crypto provider compiled in.
///
/// Returns: "ring" or "aws-lc-rs" (static).
/// Errors: none.
/// Fires: nothing.
/// Thread: any thread; needs no loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_tls_provider() -> *const c_char {
    ffi_call(|| static_c(crate::tls::provider_name()))
}
