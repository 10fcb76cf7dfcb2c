//! The `repr(C)` types and constants of `bun_tcp.h`.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

// The error codes (BUN_TCP_OK, BUN_TCP_E*) are not here: build.rs writes their #defines into the
// header from src/error_table.rs, the one error table.

/// TLS handshake steps one `bun_tcp_poll` iteration runs at most; the rest wait for the next
/// iteration, so a flood of handshakes cannot starve established connections.
pub const BUN_TCP_TLS_HANDSHAKE_BUDGET: u32 = 32;

/// `min_version` / `max_version`: TLS 1.2.
pub const BUN_TCP_TLS1_2: u16 = 0x0303;
/// `min_version` / `max_version`: TLS 1.3.
pub const BUN_TCP_TLS1_3: u16 = 0x0304;

/// `bun_tcp_socket_ready_state`: the connect is in flight.
pub const BUN_TCP_STATE_CONNECTING: i32 = 2;
/// `bun_tcp_socket_ready_state`: open for reading and writing.
pub const BUN_TCP_STATE_OPEN: i32 = 1;
/// `bun_tcp_socket_ready_state`: `end` was called and its tail is still being sent.
pub const BUN_TCP_STATE_CLOSING: i32 = 0;
/// `bun_tcp_socket_ready_state`: FIN sent; the socket may still read.
pub const BUN_TCP_STATE_WRITE_SHUT: i32 = -2;
/// `bun_tcp_socket_ready_state`: closed, stale or unknown.
pub const BUN_TCP_STATE_CLOSED: i32 = -1;

/// An event loop. Opaque: create with `bun_tcp_loop_new`, free with `bun_tcp_loop_free`. A
/// pointer to it is a key that is never dereferenced and never reused (see `bun_tcp_loop_new`).
pub struct bun_tcp_loop {
    /// Never constructed: loop pointers are keys, not allocations.
    _never: (),
}

/// A socket handle, passed by value. `id` packs the loop, a slot and a generation: a handle to a
/// closed socket is stale and every call on it returns an error (never undefined behaviour).
/// `id == 0` is never a valid socket.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct bun_tcp_socket {
    /// The handle: loop, slot and generation packed together; 0 is never a socket.
    pub id: u64,
}

/// A listener handle, passed by value; same rules as `bun_tcp_socket`.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct bun_tcp_listener {
    /// The handle, packed as a socket's; 0 is never a listener.
    pub id: u64,
}

/// A timer handle, passed by value; same rules as `bun_tcp_socket`: a stopped timer, or a one-shot
/// timer that fired, is stale. `id == 0` is never a valid timer.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct bun_tcp_timer {
    /// The handle, packed as a socket's; 0 is never a timer.
    pub id: u64,
}

/// A timer's callback: `timer` is the handle `bun_tcp_timer_start` returned, `data` its user data.
pub type bun_tcp_timer_fn = Option<unsafe extern "C" fn(timer: bun_tcp_timer, data: *mut c_void)>;

/// An error as handlers see it. `name` and `syscall` are static strings; `message` is valid until
/// the handler returns.
#[repr(C)]
pub struct bun_tcp_error {
    /// Negative errno (-ECONNREFUSED) or a negative BUN_TCP_E* library code.
    pub code: i32,
    /// "ECONNREFUSED", "ENOTFOUND", "EADDRINUSE", "ECONNRESET", ...
    pub name: *const c_char,
    /// "connect", "getaddrinfo", "read", "write", "listen", or NULL.
    pub syscall: *const c_char,
    /// Human-readable detail.
    pub message: *const c_char,
}

/// One table of handlers, shared by a listener and every socket it accepts (or owned by one
/// client socket). Copied by every function that takes it (listen, connect, adopt, reload,
/// upgrade_tls): it may live on the caller's stack.
/// NULL members are skipped; at least `data` or `drain` must be set. `data` (the second
/// argument of every handler) is the socket's current user data.
#[repr(C)]
#[derive(Copy, Clone, Default)]
pub struct bun_tcp_handlers {
    /// The connection is established (accepted, or connected; for TLS see `handshake`).
    pub open: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void)>,
    /// Bytes arrived. `bytes` points into a loop-shared buffer, valid only during the call.
    pub data: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void, bytes: *const u8, len: usize)>,
    /// The socket can take more after a short write (or its write_all queue emptied).
    pub drain: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void)>,
    /// The peer sent FIN. Without this handler, a FIN closes the socket.
    pub end: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void)>,
    /// Last handler of every socket that fired `open`, exactly once. `err` is NULL for a clean
    /// close; set for a reset, a fatal write error with no `error` handler, a TLS rejection.
    pub close: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void, err: *const bun_tcp_error)>,
    /// A fatal error on an open socket: a failed write, or a TLS failure (a failed handshake, an
    /// alert, a protocol error); `close` follows.
    pub error: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void, err: *const bun_tcp_error)>,
    /// The idle timeout passed. The socket is not closed. On a client before `open` (resolving,
    /// connecting, or in a TLS handshake that defers `open`) it is a connect timeout: closing the
    /// socket here ends the connect with `connect_error` (ECANCELED). Accepted sockets get it
    /// only after `open` (their TLS handshake is bounded by `tls_handshake_timeout_ms`).
    pub timeout: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void)>,
    /// A connect failed (or was closed while in flight): no `open` and no `close` follow.
    pub connect_error: Option<unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void, err: *const bun_tcp_error)>,
    /// TLS handshake finished (`success`), with the verification verdict (NULL = verified).
    pub handshake: Option<
        unsafe extern "C" fn(s: bun_tcp_socket, data: *mut c_void, success: bool, verify_error: *const bun_tcp_error),
    >,
}

/// A byte string (PEM contents, for example).
#[repr(C)]
#[derive(Copy, Clone)]
pub struct bun_tcp_bytes {
    /// The first byte (may be NULL when `len` is 0).
    pub ptr: *const u8,
    /// The number of bytes at `ptr`.
    pub len: usize,
}

/// TLS options (rustls). A zero-filled struct means: verify the peer against the system trust
/// store, TLS 1.2 and 1.3, no ALPN. Keys, certificates and CAs are PEM, given as contents
/// (arrays) and/or file paths; key i belongs to certificate chain i, and a server with several
/// chains picks the one whose certificate matches the client's SNI (else the first).
#[repr(C)]
#[derive(Copy, Clone)]
pub struct bun_tcp_tls_options {
    /// PEM private keys (several for several chains).
    pub key: *const bun_tcp_bytes,
    /// The number of entries at `key`.
    pub key_count: usize,
    /// PEM certificate chains.
    pub cert: *const bun_tcp_bytes,
    /// The number of entries at `cert`.
    pub cert_count: usize,
    /// PEM CA certificates; replace the system trust store when given.
    pub ca: *const bun_tcp_bytes,
    /// The number of entries at `ca`.
    pub ca_count: usize,
    /// Client: SNI and the name verified (default: the connect hostname, else "localhost").
    pub server_name: *const c_char,
    /// false = verify the peer (Bun's rejectUnauthorized: true).
    pub allow_unauthorized: bool,
    /// Server: ask for a client certificate (mTLS). Enforced unless `allow_unauthorized`.
    pub request_cert: bool,
    /// PEM file with a private key (appended after `key`).
    pub key_file: *const c_char,
    /// PEM file with a certificate chain (appended after `cert`).
    pub cert_file: *const c_char,
    /// PEM file with CA certificates (added to `ca`).
    pub ca_file: *const c_char,
    /// Passphrase of an encrypted PKCS#8 key ("ENCRYPTED PRIVATE KEY", PBES2). Without it, or
    /// when it is wrong, listen/connect fail with BUN_TCP_ETLS_KEY_ENCRYPTED.
    pub passphrase: *const c_char,
    /// ALPN protocol names (NUL-terminated), most preferred first.
    pub alpn: *const *const c_char,
    /// The number of names at `alpn`.
    pub alpn_count: usize,
    /// Lowest TLS version: 0 = TLS 1.2, or BUN_TCP_TLS1_2 / BUN_TCP_TLS1_3.
    pub min_version: u16,
    /// Highest TLS version: 0 = TLS 1.3, or BUN_TCP_TLS1_2 / BUN_TCP_TLS1_3.
    pub max_version: u16,
    /// NSS key log lines (SSLKEYLOGFILE format, for Wireshark) appended to this file, created
    /// (mode 0600) if missing; NULL = off. Servers log too. Each handshake's lines are written
    /// before its `handshake` / `open` handler runs. A file that cannot be opened fails
    /// listen / connect with its errno (syscall "open").
    pub keylog_file: *const c_char,
    /// Session resumption is on by default: a server issues TLS 1.3 tickets and keeps a bounded
    /// TLS 1.2 session cache; a loop's client connects with equal TLS options (equal content:
    /// PEM bytes, every option, and for the *_file options the path and the file's content
    /// read at each connect; `server_name` aside) share one session cache, so a reconnect to
    /// the same server resumes (see `bun_tcp_socket_session_reused`). true turns it off for
    /// this end.
    pub disable_session_resumption: bool,
    /// Cipher suites this end may negotiate, by IANA name ("TLS_AES_128_GCM_SHA256",
    /// "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"; case-insensitive), most preferred first;
    /// `cipher_suites_count` 0 = the defaults. An unknown or repeated name fails listen / connect /
    /// upgrade_tls / listener_set_tls with BUN_TCP_EINVAL, the message naming the entry.
    pub cipher_suites: *const *const c_char,
    /// The number of names at `cipher_suites`.
    pub cipher_suites_count: usize,
    /// Key-exchange groups this end may use, by IANA name ("x25519", "secp256r1", "secp384r1",
    /// "X25519MLKEM768"; case-insensitive), most preferred first; `groups_count` 0 = the
    /// defaults. Unknown or repeated names: as `cipher_suites`.
    pub groups: *const *const c_char,
    /// The number of names at `groups`.
    pub groups_count: usize,
    /// PEM certificate revocation lists ("X509 CRL" blocks) the peer's certificate is checked
    /// against: a client checks the server's, a server with `request_cert` the client's. A revoked
    /// certificate gets the BUN_TCP_ECERT_REVOKED verdict (the handshake fails unless
    /// `allow_unauthorized`). Only the end-entity certificate is checked; a certificate whose
    /// issuer has no CRL here passes. Not PEM: BUN_TCP_ETLS_BAD_PEM; PEM but not a valid CRL:
    /// BUN_TCP_ETLS.
    pub crl: *const bun_tcp_bytes,
    /// The number of entries at `crl`.
    pub crl_count: usize,
    /// PEM file with CRLs (added after `crl`).
    pub crl_file: *const c_char,
}

/// Options of `bun_tcp_listen`. A zero-filled struct means Bun's defaults.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct bun_tcp_listen_options {
    /// NULL = "0.0.0.0"; an IP literal ("127.0.0.1", "::", "[::1]") or a host name ("localhost").
    pub hostname: *const c_char,
    /// 0 = an ephemeral port (read it with `bun_tcp_listener_port`).
    pub port: u16,
    /// Default user data of every accepted socket.
    pub data: *mut c_void,
    /// NULL = plain TCP.
    pub tls: *const bun_tcp_tls_options,
    /// Listen on a unix-domain socket instead: a NUL-terminated path (at most 107 bytes), or,
    /// with `unix_path_len`, exactly that many bytes. A leading '\0' selects the Linux abstract
    /// namespace and then needs `unix_path_len` (the NUL plus 1 to 107 name bytes): without a
    /// length a leading '\0' is BUN_TCP_EINVAL, as is "" (nothing past that first byte is read).
    pub unix_path: *const c_char,
    /// After the peer's FIN (with an `end` handler), keep the socket writable until `end`.
    pub allow_half_open: bool,
    /// SO_REUSEPORT (several listeners on one port). Off: a port in use fails with EADDRINUSE.
    pub reuse_port: bool,
    /// IPV6_V6ONLY for an IPv6 address (default: dual-stack).
    pub ipv6_only: bool,
    /// listen(2) backlog; 0 = 511.
    pub backlog: i32,
    /// 0 = `unix_path` is NUL-terminated. Else the number of bytes at `unix_path`, an abstract
    /// name's leading '\0' included and no terminating NUL counted (none is needed; `sizeof` of
    /// a string literal is one too many): `{.unix_path = "\0name", .unix_path_len = 5}`. Only
    /// those bytes are read. Over 108: -ENAMETOOLONG; a NUL among them after the first byte, or a
    /// NULL `unix_path`: BUN_TCP_EINVAL.
    pub unix_path_len: usize,
    /// TLS: milliseconds an accepted socket has to complete its handshake, from the accept
    /// (bytes arriving do not extend it). 0 = 10,000; UINT32_MAX = no limit. When it passes the
    /// handshake fails with -ETIMEDOUT like any failed handshake: with a `handshake` handler
    /// `handshake(false, ETIMEDOUT)`, `error(ETIMEDOUT)`, `close(ETIMEDOUT)`; without one the
    /// socket never opened and closes without a handler call.
    pub tls_handshake_timeout_ms: u32,
}

/// Options of `bun_tcp_connect`. A zero-filled struct plus a port connects to localhost.
#[repr(C)]
#[derive(Copy, Clone)]
pub struct bun_tcp_connect_options {
    /// NULL = "localhost". IP literals connect at once; names resolve off the loop thread.
    pub hostname: *const c_char,
    /// The port to connect to (ignored with `unix_path`).
    pub port: u16,
    /// The socket's user data.
    pub data: *mut c_void,
    /// NULL = plain TCP.
    pub tls: *const bun_tcp_tls_options,
    /// Connect to a unix-domain socket instead; a path or (leading '\0', with `unix_path_len`)
    /// an abstract name, as for listen.
    pub unix_path: *const c_char,
    /// After the peer's FIN (with an `end` handler), keep the socket writable until `end`.
    pub allow_half_open: bool,
    /// An IP literal ("127.0.0.1", "::1", "[::1]") to bind before connecting; NULL = any. A
    /// name ("localhost" included) is BUN_TCP_EINVALHOST at the call. Only the target addresses
    /// of its family are tried; when none is, `connect_error` fires with -EAFNOSUPPORT (syscall
    /// "bind"). A unix connect with a local address or port is BUN_TCP_EINVAL.
    pub local_address: *const c_char,
    /// The local port to bind (0 = any). A port in use: `connect_error` EADDRINUSE, syscall
    /// "bind" (no SO_REUSEADDR: a port held by any socket, one in TIME_WAIT included, is in
    /// use). With a local port the attempts to several addresses run one after the other
    /// instead of racing (two attempts cannot hold one port): the next starts when one fails.
    pub local_port: u16,
    /// 0 = none (the kernel's limits); else milliseconds from the call until the connection is
    /// complete: resolving, every attempt and, on a TLS client without a `handshake` handler,
    /// the handshake. When it passes: `connect_error` -ETIMEDOUT (syscall "connect"); on a TLS
    /// client with a `handshake` handler, once `open` fired: handshake(false, ETIMEDOUT),
    /// error(ETIMEDOUT), close(ETIMEDOUT). Gone for good once complete (`open` on a plain
    /// socket, the handshake on TLS); independent of `bun_tcp_socket_timeout`.
    pub connect_timeout_ms: u32,
    /// The length of `unix_path` (0 = NUL-terminated), as for listen.
    pub unix_path_len: usize,
}

/// What `bun_tcp_loop_metrics` writes: the loop's counters since `bun_tcp_loop_new`. Counting is
/// plain additions the loop does anyway; only `handler_ns` needs a switch (tracing, or
/// `bun_tcp_loop_time_handlers`).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct bun_tcp_metrics {
    /// `bun_tcp_poll` calls (each iteration of `bun_tcp_run` is one).
    pub iterations: u64,
    /// Readiness events epoll reported.
    pub events: u64,
    /// Connections accepted by the loop's listeners.
    pub accepts: u64,
    /// Client connects established (TCP connected; a TLS handshake may follow).
    pub connects: u64,
    /// Client connects that ended with `connect_error`.
    pub connect_errors: u64,
    /// Sockets that closed after `open` (each fires `close` once, set or not).
    pub closes: u64,
    /// Handler calls: the sum of what `bun_tcp_poll` returned (posted calls included), plus calls
    /// made from API calls outside a poll (a `drain` from `bun_tcp_socket_uncork`).
    pub handler_calls: u64,
    /// Bytes given to `data` handlers (plaintext for TLS).
    pub bytes_read: u64,
    /// Bytes sent, as `bun_tcp_socket_bytes_written` counts them, over every socket the loop had.
    pub bytes_written: u64,
    /// Bytes queued now: the sum of `bun_tcp_socket_buffered_amount` over the live sockets.
    pub bytes_queued: u64,
    /// Nanoseconds spent inside socket handlers (the `bun_tcp_handlers` table), measured only
    /// while tracing (`bun_tcp_loop_set_trace`, `BUN_TCP_TRACE=1`) or handler timing is on; 0
    /// until then.
    pub handler_ns: u64,
}

/// One handler call, as `bun_tcp_loop_set_trace` reports it: made right before the handler runs
/// (also when the table has no such handler). Every pointer is valid during the trace call only.
#[repr(C)]
pub struct bun_tcp_trace_event {
    /// The socket the handler is for.
    pub socket: bun_tcp_socket,
    /// The handler's name: "open", "data", "drain", "end", "close", "error", "timeout",
    /// "connect_error" or "handshake" (static strings).
    pub handler: *const c_char,
    /// `data`: the byte count; 0 for the others.
    pub len: usize,
    /// `handshake`: its `success` argument; false for the others.
    pub success: bool,
    /// The error the handler gets (`close` with an error, `error`, `connect_error`, a
    /// `handshake` verdict); NULL for none.
    pub error: *const bun_tcp_error,
    /// The whole event as one line of text without a newline, what `BUN_TCP_TRACE=1` prints:
    /// `bun_tcp loop=1 socket=0x100000100000 close err=ECONNRESET code=-104 syscall=read "..."`.
    pub line: *const c_char,
}

/// A trace callback: `event` and what it points to are valid during the call only.
pub type bun_tcp_trace_fn = Option<unsafe extern "C" fn(event: *const bun_tcp_trace_event, data: *mut c_void)>;
