//! Error codes, their names and messages.
//!
//! A code is either a negative errno (`-ECONNREFUSED`) or one of the library's own codes below
//! `-10000`. Names follow Bun/Node (`"ECONNREFUSED"`, `"ENOTFOUND"`), so a C host can print what a
//! JavaScript user would see.

use std::ffi::CStr;
use std::io;

/// Success.
pub const OK: i32 = 0;
/// A bad argument: NULL where data is required, a bad option value, handlers without data/drain.
pub const EINVAL: i32 = -libc::EINVAL;
/// The handle is closed, stale, zero or unknown.
pub const ECLOSED: i32 = -10001;
/// The call came from a thread that does not own the loop.
pub const EWRONGTHREAD: i32 = -10002;
/// The write side was already ended or shut down.
pub const EENDED: i32 = -10003;
/// A host name did not resolve (name "ENOTFOUND", syscall "getaddrinfo").
pub const ENOTFOUND: i32 = -10004;
/// `poll`/`run` was called re-entrantly from a handler.
pub const EBUSY: i32 = -10005;
/// An internal error (a caught panic) at the ABI boundary.
pub const EPANIC: i32 = -10006;
/// The operation is not supported for this socket.
pub const ENOTSUP: i32 = -10007;
/// A host name that is neither a valid DNS name nor an IP literal.
pub const EINVALHOST: i32 = -10008;

/// A TLS failure without a more precise code (the message says what rustls reported).
pub const ETLS: i32 = -10100;
/// PEM input that holds no usable item, or is malformed.
pub const ETLS_BAD_PEM: i32 = -10101;
/// A private key that does not match its certificate.
pub const ETLS_KEY_MISMATCH: i32 = -10102;
/// An encrypted private key (decrypt it first).
pub const ETLS_KEY_ENCRYPTED: i32 = -10103;
/// The peer sent a fatal TLS alert.
pub const ETLS_ALERT: i32 = -10104;
/// The peer broke the TLS protocol (garbage, bad records, unexpected messages).
pub const ETLS_PROTOCOL: i32 = -10105;
/// Certificate verdicts, named as OpenSSL (and so Bun and Node) name them.
pub const ECERT_UNTRUSTED: i32 = -10110;
pub const ECERT_SELF_SIGNED: i32 = -10111;
pub const ECERT_SELF_SIGNED_IN_CHAIN: i32 = -10112;
pub const ECERT_EXPIRED: i32 = -10113;
pub const ECERT_NOT_YET_VALID: i32 = -10114;
pub const ECERT_ALTNAME: i32 = -10115;
pub const ECERT_SIGNATURE: i32 = -10116;
pub const ECERT_REVOKED: i32 = -10117;
pub const ECERT_MISSING: i32 = -10118;
pub const ECERT_REJECTED: i32 = -10119;

/// An error as the handlers and the last-error slot see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetError {
    /// Negative errno or library code.
    pub code: i32,
    /// Static name, e.g. `ECONNREFUSED`.
    pub name: &'static CStr,
    /// The system call that failed, if any.
    pub syscall: Option<&'static CStr>,
    /// Human-readable detail.
    pub message: String,
}

impl NetError {
    /// An error with a library or errno code and a message.
    pub fn new(code: i32, message: impl Into<String>) -> NetError {
        NetError { code, name: err_name(code), syscall: None, message: message.into() }
    }

    /// An error raised by `syscall`, with the message built from the code and `detail`.
    pub fn sys(code: i32, syscall: &'static CStr, detail: &str) -> NetError {
        let syscall_name = syscall.to_str().unwrap_or("?");
        let mut message = format!("{} {}", syscall_name, err_name(code).to_str().unwrap_or("?"));
        if !detail.is_empty() {
            message.push(' ');
            message.push_str(detail);
        }
        message.push_str(": ");
        message.push_str(&strerror_string(code));
        NetError { code, name: err_name(code), syscall: Some(syscall), message }
    }

    /// An `io::Error` from `syscall`.
    pub fn io(e: &io::Error, syscall: &'static CStr, detail: &str) -> NetError {
        NetError::sys(io_code(e), syscall, detail)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> NetError {
        NetError::new(EINVAL, message)
    }

    pub(crate) fn closed() -> NetError {
        NetError::new(ECLOSED, "the socket is closed or the handle is stale")
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NetError {}

/// The negative errno of an `io::Error` (`-EIO` when it carries none).
pub fn io_code(e: &io::Error) -> i32 {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

macro_rules! errno_names {
    ($($name:ident),* $(,)?) => {
        fn errno_name(errno: i32) -> Option<&'static CStr> {
            match errno {
                $(libc::$name => Some(
                    // The literal ends in its NUL terminator, so this never fails.
                    match CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()) {
                        Ok(s) => s,
                        Err(_) => c"UNKNOWN",
                    }
                ),)*
                _ => None,
            }
        }
    };
}

errno_names!(
    EPERM,
    ENOENT,
    ESRCH,
    EINTR,
    EIO,
    ENXIO,
    E2BIG,
    EBADF,
    EAGAIN,
    ENOMEM,
    EACCES,
    EFAULT,
    EBUSY,
    EEXIST,
    ENODEV,
    ENOTDIR,
    EISDIR,
    EINVAL,
    ENFILE,
    EMFILE,
    ENOSPC,
    EPIPE,
    ERANGE,
    ENAMETOOLONG,
    ENOSYS,
    ENOTSOCK,
    EDESTADDRREQ,
    EMSGSIZE,
    EPROTOTYPE,
    ENOPROTOOPT,
    EPROTONOSUPPORT,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    EADDRINUSE,
    EADDRNOTAVAIL,
    ENETDOWN,
    ENETUNREACH,
    ENETRESET,
    ECONNABORTED,
    ECONNRESET,
    ENOBUFS,
    EISCONN,
    ENOTCONN,
    ESHUTDOWN,
    ETIMEDOUT,
    ECONNREFUSED,
    EHOSTDOWN,
    EHOSTUNREACH,
    EALREADY,
    EINPROGRESS,
    ECANCELED,
    ELOOP,
    ENOTEMPTY,
    EPROTO,
);

/// The static name of a code: `"ECONNREFUSED"`, `"ENOTFOUND"`, ... or `"UNKNOWN"`.
pub fn err_name(code: i32) -> &'static CStr {
    match code {
        OK => c"OK",
        ECLOSED => c"ECLOSED",
        EWRONGTHREAD => c"EWRONGTHREAD",
        EENDED => c"EENDED",
        ENOTFOUND => c"ENOTFOUND",
        EBUSY => c"EBUSY",
        EPANIC => c"EPANIC",
        ENOTSUP => c"ENOTSUP",
        EINVALHOST => c"EINVALHOST",
        ETLS => c"ERR_TLS",
        ETLS_BAD_PEM => c"ERR_TLS_BAD_PEM",
        ETLS_KEY_MISMATCH => c"ERR_TLS_KEY_MISMATCH",
        ETLS_KEY_ENCRYPTED => c"ERR_TLS_KEY_ENCRYPTED",
        ETLS_ALERT => c"ERR_TLS_ALERT_RECEIVED",
        ETLS_PROTOCOL => c"ERR_SSL_PROTOCOL",
        ECERT_UNTRUSTED => c"UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        ECERT_SELF_SIGNED => c"DEPTH_ZERO_SELF_SIGNED_CERT",
        ECERT_SELF_SIGNED_IN_CHAIN => c"SELF_SIGNED_CERT_IN_CHAIN",
        ECERT_EXPIRED => c"CERT_HAS_EXPIRED",
        ECERT_NOT_YET_VALID => c"CERT_NOT_YET_VALID",
        ECERT_ALTNAME => c"ERR_TLS_CERT_ALTNAME_INVALID",
        ECERT_SIGNATURE => c"CERT_SIGNATURE_FAILURE",
        ECERT_REVOKED => c"CERT_REVOKED",
        ECERT_MISSING => c"UNABLE_TO_GET_ISSUER_CERT",
        ECERT_REJECTED => c"CERT_REJECTED",
        c if c < 0 && c > -4096 => errno_name(-c).unwrap_or(c"UNKNOWN"),
        _ => c"UNKNOWN",
    }
}

/// A description of a code, as an owned string.
pub fn strerror_string(code: i32) -> String {
    match code {
        OK => "success".into(),
        ECLOSED => "socket is closed or the handle is stale".into(),
        EWRONGTHREAD => "called from a thread that does not own the loop".into(),
        EENDED => "the write side has been ended or shut down".into(),
        ENOTFOUND => "host name not found".into(),
        EBUSY => "the loop is already polling on this thread (called from a handler)".into(),
        EPANIC => "internal error (caught panic)".into(),
        ENOTSUP => "not supported".into(),
        EINVALHOST => "invalid host name".into(),
        ETLS => "TLS error".into(),
        ETLS_BAD_PEM => "invalid or empty PEM".into(),
        ETLS_KEY_MISMATCH => "the private key does not match the certificate".into(),
        ETLS_KEY_ENCRYPTED => "the private key is encrypted".into(),
        ETLS_ALERT => "the peer sent a fatal TLS alert".into(),
        ETLS_PROTOCOL => "TLS protocol error".into(),
        ECERT_UNTRUSTED => "unable to verify the first certificate".into(),
        ECERT_SELF_SIGNED => "self-signed certificate".into(),
        ECERT_SELF_SIGNED_IN_CHAIN => "self-signed certificate in certificate chain".into(),
        ECERT_EXPIRED => "certificate has expired".into(),
        ECERT_NOT_YET_VALID => "certificate is not yet valid".into(),
        ECERT_ALTNAME => "hostname/IP does not match the certificate's altnames".into(),
        ECERT_SIGNATURE => "certificate signature failure".into(),
        ECERT_REVOKED => "certificate revoked".into(),
        ECERT_MISSING => "the peer sent no certificate".into(),
        ECERT_REJECTED => "certificate rejected".into(),
        c if c < 0 && c > -4096 => {
            let text = io::Error::from_raw_os_error(-c).to_string();
            // std appends " (os error N)"; the name already says which errno it is.
            match text.rfind(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
        _ => "unknown error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_errno_and_library_codes() {
        assert_eq!(err_name(-libc::ECONNREFUSED), c"ECONNREFUSED");
        assert_eq!(err_name(-libc::EADDRINUSE), c"EADDRINUSE");
        assert_eq!(err_name(ENOTFOUND), c"ENOTFOUND");
        assert_eq!(err_name(EINVAL), c"EINVAL");
        assert_eq!(err_name(-4000), c"UNKNOWN");
        assert_eq!(err_name(12), c"UNKNOWN");
    }

    #[test]
    fn messages_name_the_syscall_and_reason() {
        let e = NetError::sys(-libc::ECONNREFUSED, c"connect", "127.0.0.1:1");
        assert_eq!(e.message, "connect ECONNREFUSED 127.0.0.1:1: Connection refused");
        assert_eq!(e.syscall, Some(c"connect"));
    }
}
