//! bun_tcp: Bun's native TCP socket API (`Bun.listen`, `Bun.connect`) as a Rust library with a C ABI.
//!
//! The core (everything but `ffi`) is safe Rust: an [`EventLoop`] on mio drives sockets and
//! listeners stored in generation-checked slabs and calls [`Handlers`] tables. The `ffi` module is
//! the thin `extern "C"` shell that `include/bun_tcp.h` describes; it is the only place `unsafe`
//! is allowed.
//!
//! Data flows one way: readiness (mio) → socket state machine → handler. Modules depend one way:
//! the OS edge (`os`, `addr`, `dns`) → storage (`slab`, `timers`, `user_timers`, `write_queue`,
//! `books`) → transport (`tls`) → records and state machines (`socket`, `listener`) → the loop
//! (`event_loop`: poll, dispatch, every `impl EventLoop`, applying effects) → the C shell (`ffi`).
//! The handler interface (`handlers`, `observe`) names the loop its handlers are called from.

#![deny(unsafe_code)]

// Linux only: edge-triggered epoll (a short read skips the read that would return EAGAIN),
// MSG_NOSIGNAL, accept4, abstract unix sockets and the TCP_KEEP* options. A port replaces the
// OS-edge code (src/os.rs, the poll backend in src/event_loop.rs) and lifts this line.
#[cfg(not(target_os = "linux"))]
compile_error!("bun_tcp supports Linux only: a port to another OS changes src/os.rs and the poll backend");

pub mod addr;
mod books;
mod dns;
pub mod error;
pub mod event_loop;
#[allow(unsafe_code)]
pub mod ffi;
pub mod handlers;
mod listener;
pub mod observe;
#[allow(unsafe_code)] // one setsockopt socket2 lacks (IP_BIND_ADDRESS_NO_PORT)
mod os;
mod slab;
mod socket;
mod timers;
pub mod tls;
mod user_timers;
mod write_queue;

pub use addr::{UnixName, UnixNamespace};
pub use dns::Resolver;
pub use error::NetError;
pub use event_loop::{EventLoop, Poster, Task};
pub use handlers::{HandlerSet, Handlers};
pub use observe::{HandlerTiming, LoopMetrics, TraceKind, TraceRecord, TraceSink};
pub use socket::{CONNECT_ATTEMPT_DELAY, ReadyState};
pub use tls::TlsOptions;
pub use user_timers::{Hold, TimerCallback, TimerId};

use std::ffi::c_void;
use std::time::Duration;

/// A socket's or listener's user data: opaque to the library, handed back to every handler.
pub type UserData = *mut c_void;

/// A socket handle: slot and generation (and the owning loop). Stale handles are rejected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SocketId(pub u64);

/// A listener handle.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(pub u64);

/// How to listen. `Default` gives Bun's defaults: 0.0.0.0, an ephemeral port, plain TCP.
#[derive(Clone, Debug)]
pub struct ListenOptions {
    /// None = "0.0.0.0"; an IP literal or a host name (resolved at once: listen is synchronous).
    pub hostname: Option<String>,
    pub port: u16,
    /// The default user data of every accepted socket.
    pub data: UserData,
    /// Listen on a unix-domain socket instead of TCP.
    pub unix: Option<UnixName>,
    pub allow_half_open: bool,
    pub reuse_port: bool,
    pub ipv6_only: bool,
    /// 0 = the default (511).
    pub backlog: i32,
    /// TLS: the server's certificates and keys (and client-certificate policy).
    pub tls: Option<TlsOptions>,
    /// TLS: how long an accepted socket may take to complete its handshake, counted from the
    /// accept (activity does not extend it). None = `tls::DEFAULT_HANDSHAKE_TIMEOUT`;
    /// `Duration::MAX` = no limit.
    pub tls_handshake_timeout: Option<Duration>,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            hostname: None,
            port: 0,
            data: std::ptr::null_mut(),
            unix: None,
            allow_half_open: false,
            reuse_port: false,
            ipv6_only: false,
            backlog: 0,
            tls: None,
            tls_handshake_timeout: None,
        }
    }
}

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// None = "localhost". IP literals connect at once; names resolve off the loop thread.
    pub hostname: Option<String>,
    pub port: u16,
    pub data: UserData,
    pub unix: Option<UnixName>,
    pub allow_half_open: bool,
    /// TLS: trust roots, server name, client certificate.
    pub tls: Option<TlsOptions>,
    /// The address to bind before connecting (None = any); only target addresses of its family
    /// are tried. Not allowed with `unix`.
    pub local_address: Option<std::net::IpAddr>,
    /// The port to bind before connecting (0 = any). Not allowed with `unix`. Attempts to
    /// several addresses then run one at a time.
    pub local_port: u16,
    /// Time from the call until the connection is complete (resolve, attempts, and the TLS
    /// handshake of a client without a `handshake` handler); None = no limit.
    pub connect_timeout: Option<Duration>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            hostname: None,
            port: 0,
            data: std::ptr::null_mut(),
            unix: None,
            allow_half_open: false,
            tls: None,
            local_address: None,
            local_port: 0,
            connect_timeout: None,
        }
    }
}
