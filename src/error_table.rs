// The library's error table: the ONE place where an error code is written down.
//
// `src/error.rs` `include!`s this file with its own `library_codes!` and `errno_names!` macros,
// which generate the Rust constants, `err_name` and `strerror`. `build.rs` reads the same
// `library_codes!` rows as text and writes the `#define BUN_TCP_X (-N)` block of
// include/bun_tcp.h from them (cbindgen cannot expand macros), each define under its `///` lines.
//
// A row, one per code (it may wrap; it ends at its `;`):
//     /// What the code means, for the header and the Rust docs (one or more lines).
//     RUST_NAME = VALUE => BUN_TCP_RUST_NAME, "name for bun_tcp_err_name", "message for bun_tcp_strerror";
// VALUE is a decimal literal (negative, or 0 for OK); the C name is always BUN_TCP_ + the Rust
// name (build.rs checks it). Names follow Bun/Node, and for TLS verdicts OpenSSL, so a C host
// prints what a JavaScript user would see. Library codes live below -10000, out of errno's range;
// EINVAL is the one errno value the library returns as its own code.

library_codes! {
    /// Success.
    OK = 0 => BUN_TCP_OK, "OK", "success";
    /// A bad argument: NULL where data is required, a bad option value, handlers without data/drain.
    EINVAL = -22 => BUN_TCP_EINVAL, "EINVAL", "Invalid argument";
    /// The handle is closed, stale, zero or unknown.
    ECLOSED = -10001 => BUN_TCP_ECLOSED, "ECLOSED", "socket is closed or the handle is stale";
    /// The call came from a thread that does not own the loop.
    EWRONGTHREAD = -10002 => BUN_TCP_EWRONGTHREAD, "EWRONGTHREAD",
        "called from a thread that does not own the loop";
    /// Write after `end` or after shutdown of the write side.
    EENDED = -10003 => BUN_TCP_EENDED, "EENDED", "the write side has been ended or shut down";
    /// A host name did not resolve (name "ENOTFOUND", syscall "getaddrinfo").
    ENOTFOUND = -10004 => BUN_TCP_ENOTFOUND, "ENOTFOUND", "host name not found";
    /// `bun_tcp_poll` / `bun_tcp_run` called from inside a handler of the same loop.
    EBUSY = -10005 => BUN_TCP_EBUSY, "EBUSY",
        "the loop is already polling on this thread (called from a handler)";
    /// An internal error (a Rust panic caught at the ABI boundary).
    EPANIC = -10006 => BUN_TCP_EPANIC, "EPANIC", "internal error (caught panic)";
    /// The operation is not supported for this socket (`bun_tcp_socket_detach` of a TLS socket or
    /// of one that is not open).
    ENOTSUP = -10007 => BUN_TCP_ENOTSUP, "ENOTSUP", "not supported";
    /// A host name that is neither a valid DNS name nor an IP literal.
    EINVALHOST = -10008 => BUN_TCP_EINVALHOST, "EINVALHOST", "invalid host name";

    /// A TLS failure without a more precise code (the message says what rustls reported).
    ETLS = -10100 => BUN_TCP_ETLS, "ERR_TLS", "TLS error";
    /// TLS options: PEM input that is malformed or holds no usable item ("ERR_TLS_BAD_PEM").
    ETLS_BAD_PEM = -10101 => BUN_TCP_ETLS_BAD_PEM, "ERR_TLS_BAD_PEM", "invalid or empty PEM";
    /// TLS options: a private key that does not match its certificate ("ERR_TLS_KEY_MISMATCH").
    ETLS_KEY_MISMATCH = -10102 => BUN_TCP_ETLS_KEY_MISMATCH, "ERR_TLS_KEY_MISMATCH",
        "the private key does not match the certificate";
    /// TLS options: an encrypted private key without its passphrase, or a wrong one
    /// ("ERR_TLS_KEY_ENCRYPTED").
    ETLS_KEY_ENCRYPTED = -10103 => BUN_TCP_ETLS_KEY_ENCRYPTED, "ERR_TLS_KEY_ENCRYPTED",
        "the private key is encrypted";
    /// The peer sent a fatal TLS alert ("ERR_TLS_ALERT_RECEIVED").
    ETLS_ALERT = -10104 => BUN_TCP_ETLS_ALERT, "ERR_TLS_ALERT_RECEIVED", "the peer sent a fatal TLS alert";
    /// The peer broke the TLS protocol ("ERR_SSL_PROTOCOL").
    ETLS_PROTOCOL = -10105 => BUN_TCP_ETLS_PROTOCOL, "ERR_SSL_PROTOCOL", "TLS protocol error";

    // Certificate verdicts, named as OpenSSL (and so Bun and Node) name them.
    /// Verdict "UNABLE_TO_VERIFY_LEAF_SIGNATURE": the issuer is not trusted.
    ECERT_UNTRUSTED = -10110 => BUN_TCP_ECERT_UNTRUSTED, "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "unable to verify the first certificate";
    /// Verdict "DEPTH_ZERO_SELF_SIGNED_CERT": a self-signed certificate that is not trusted.
    ECERT_SELF_SIGNED = -10111 => BUN_TCP_ECERT_SELF_SIGNED, "DEPTH_ZERO_SELF_SIGNED_CERT",
        "self-signed certificate";
    /// Verdict "SELF_SIGNED_CERT_IN_CHAIN": the chain ends in an untrusted self-signed root.
    ECERT_SELF_SIGNED_IN_CHAIN = -10112 => BUN_TCP_ECERT_SELF_SIGNED_IN_CHAIN, "SELF_SIGNED_CERT_IN_CHAIN",
        "self-signed certificate in certificate chain";
    /// Verdict "CERT_HAS_EXPIRED".
    ECERT_EXPIRED = -10113 => BUN_TCP_ECERT_EXPIRED, "CERT_HAS_EXPIRED", "certificate has expired";
    /// Verdict "CERT_NOT_YET_VALID".
    ECERT_NOT_YET_VALID = -10114 => BUN_TCP_ECERT_NOT_YET_VALID, "CERT_NOT_YET_VALID",
        "certificate is not yet valid";
    /// Verdict "ERR_TLS_CERT_ALTNAME_INVALID": the certificate is not for this host name or IP.
    ECERT_ALTNAME = -10115 => BUN_TCP_ECERT_ALTNAME, "ERR_TLS_CERT_ALTNAME_INVALID",
        "hostname/IP does not match the certificate's altnames";
    /// Verdict "CERT_SIGNATURE_FAILURE".
    ECERT_SIGNATURE = -10116 => BUN_TCP_ECERT_SIGNATURE, "CERT_SIGNATURE_FAILURE",
        "certificate signature failure";
    /// Verdict "CERT_REVOKED".
    ECERT_REVOKED = -10117 => BUN_TCP_ECERT_REVOKED, "CERT_REVOKED", "certificate revoked";
    /// Verdict "UNABLE_TO_GET_ISSUER_CERT": the peer sent no certificate (server with request_cert).
    ECERT_MISSING = -10118 => BUN_TCP_ECERT_MISSING, "UNABLE_TO_GET_ISSUER_CERT", "the peer sent no certificate";
    /// Verdict "CERT_REJECTED": any other certificate problem.
    ECERT_REJECTED = -10119 => BUN_TCP_ECERT_REJECTED, "CERT_REJECTED", "certificate rejected";
}

// The errno values bun_tcp_err_name names ("ECONNREFUSED" for -ECONNREFUSED), with the values of
// the platform's libc; their descriptions come from the OS. Not in the header: C has <errno.h>.
errno_names! {
    EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY,
    EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, ENOSPC, EPIPE, ERANGE, ENAMETOOLONG,
    ENOSYS, ENOTSOCK, EDESTADDRREQ, EMSGSIZE, EPROTOTYPE, ENOPROTOOPT, EPROTONOSUPPORT, EOPNOTSUPP,
    EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ENETDOWN, ENETUNREACH, ENETRESET, ECONNABORTED,
    ECONNRESET, ENOBUFS, EISCONN, ENOTCONN, ESHUTDOWN, ETIMEDOUT, ECONNREFUSED, EHOSTDOWN,
    EHOSTUNREACH, EALREADY, EINPROGRESS, ECANCELED, ELOOP, ENOTEMPTY, EPROTO,
}
