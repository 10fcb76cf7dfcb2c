//! The OS edge: making listening and connecting sockets, and the byte-moving calls on them.
//!
//! Sends use `MSG_NOSIGNAL`: a C host keeps SIGPIPE's default action (terminate), and a peer that
//! resets mid-write must give `-EPIPE`, not kill the process.

use crate::addr::UnixName;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use socket2::{Domain, Protocol, SockAddr, SockRef, Socket, TcpKeepalive, Type};
use std::ffi::CStr;
use std::io::{self, IoSlice, Read};
use std::net::{Shutdown, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// A connected stream: TCP or unix-domain. (The TLS transport, when it lands, wraps one of these.)
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn sock(&self) -> SockRef<'_> {
        match self {
            Stream::Tcp(s) => SockRef::from(s),
            Stream::Unix(s) => SockRef::from(s),
        }
    }

    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => (&*s).read(buf),
            Stream::Unix(s) => (&*s).read(buf),
        }
    }

    pub fn send(&self, bytes: &[u8]) -> io::Result<usize> {
        self.sock().send_with_flags(bytes, libc::MSG_NOSIGNAL)
    }

    pub fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.sock().send_vectored_with_flags(bufs, libc::MSG_NOSIGNAL)
    }

    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
        }
    }

    /// The pending socket error (SO_ERROR), used to learn how a non-blocking connect ended.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Stream::Tcp(s) => s.take_error(),
            Stream::Unix(s) => s.take_error(),
        }
    }

    /// Whether a non-blocking connect has completed.
    pub fn is_connected(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.peer_addr().is_ok(),
            Stream::Unix(s) => s.peer_addr().is_ok(),
        }
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nodelay(on),
            Stream::Unix(_) => Ok(()),
        }
    }

    /// SO_KEEPALIVE on with the given times, or off. If the kernel refuses one of the options,
    /// those set before it are put back, so a failure changes nothing. A no-op on unix-domain
    /// sockets.
    pub fn set_keepalive(&self, setting: KeepAlive) -> io::Result<()> {
        if let Stream::Unix(_) = self {
            return Ok(());
        }
        let sock = self.sock();
        let KeepAlive::On(times) = setting else { return sock.set_keepalive(false) };
        let before = KeepAliveSnapshot::read(&sock, &times)?;
        let mut params = TcpKeepalive::new().with_time(Duration::from_secs(u64::from(times.idle)));
        if let Some(interval) = times.interval {
            params = params.with_interval(Duration::from_secs(u64::from(interval)));
        }
        if let Some(count) = times.count {
            params = params.with_retries(count);
        }
        // socket2 turns SO_KEEPALIVE on, then sets each time.
        sock.set_tcp_keepalive(&params).inspect_err(|_| before.restore(&sock))
    }

    /// SO_LINGER 0: the next close sends RST instead of FIN.
    pub fn set_linger_zero(&self) -> io::Result<()> {
        self.sock().set_linger(Some(Duration::ZERO))
    }

    pub fn peer_addr(&self) -> Option<SocketAddr> {
        match self {
            Stream::Tcp(s) => s.peer_addr().ok(),
            Stream::Unix(_) => None,
        }
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Stream::Tcp(s) => s.local_addr().ok(),
            Stream::Unix(_) => None,
        }
    }

    pub fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Stream::Tcp(s) => s,
            Stream::Unix(s) => s,
        }
    }

    /// Gives up the descriptor (still registered nowhere, still open).
    pub fn into_fd(self) -> std::os::fd::OwnedFd {
        match self {
            Stream::Tcp(s) => s.into(),
            Stream::Unix(s) => s.into(),
        }
    }

    /// Wraps a descriptor that `check_adoptable` accepted. Cannot fail.
    pub fn wrap(fd: std::os::fd::OwnedFd, family: Family) -> Stream {
        match family {
            Family::Unix => Stream::Unix(UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))),
            Family::Inet => Stream::Tcp(TcpStream::from_std(std::net::TcpStream::from(fd))),
        }
    }

    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Linux's limits for TCP_KEEPIDLE, in seconds (MAX_TCP_KEEPIDLE in include/net/tcp.h).
pub const TCP_KEEPIDLE_SECS: std::ops::RangeInclusive<u32> = 1..=32767;
/// Linux's limits for TCP_KEEPINTVL, in seconds (MAX_TCP_KEEPINTVL).
pub const TCP_KEEPINTVL_SECS: std::ops::RangeInclusive<u32> = 1..=32767;
/// Linux's limits for TCP_KEEPCNT (MAX_TCP_KEEPCNT).
pub const TCP_KEEPCNT_PROBES: std::ops::RangeInclusive<u32> = 1..=127;

/// What `Stream::set_keepalive` applies.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum KeepAlive {
    Off,
    On(KeepAliveTimes),
}

/// Keep-alive times the kernel accepts (built by `keepalive_idle` or `keepalive_times` only):
/// the idle time, and the probe interval and count when given (else left as they are).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct KeepAliveTimes {
    idle: u32,
    interval: Option<u32>,
    count: Option<u32>,
}

/// Checks a keep-alive delay against the kernel's limits before anything is applied: it is
/// rounded down to whole seconds (TCP_KEEPIDLE's unit) and raised to 1 s; a delay over 32767 s
/// is refused (the kernel would refuse it after SO_KEEPALIVE was already on).
pub fn keepalive_idle(delay: Duration) -> Result<KeepAliveTimes, u64> {
    let secs = delay.as_secs();
    match u32::try_from(secs) {
        Ok(s) if s <= *TCP_KEEPIDLE_SECS.end() => {
            Ok(KeepAliveTimes { idle: s.max(*TCP_KEEPIDLE_SECS.start()), interval: None, count: None })
        }
        _ => Err(secs),
    }
}

/// Checks idle time, probe interval (both in seconds) and probe count against the kernel's
/// limits; the error names the first value out of range.
pub fn keepalive_times(idle: u32, interval: u32, count: u32) -> Result<KeepAliveTimes, String> {
    let check = |value: u32, range: std::ops::RangeInclusive<u32>, name: &str| {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(format!("{name} is {value}; the kernel accepts {} to {}", range.start(), range.end()))
        }
    };
    check(idle, TCP_KEEPIDLE_SECS, "idle_s (TCP_KEEPIDLE)")?;
    check(interval, TCP_KEEPINTVL_SECS, "interval_s (TCP_KEEPINTVL)")?;
    check(count, TCP_KEEPCNT_PROBES, "count (TCP_KEEPCNT)")?;
    Ok(KeepAliveTimes { idle, interval: Some(interval), count: Some(count) })
}

/// A socket's keep-alive options as they were, to put back when applying new ones fails. Only the
/// options the new setting changes are read (one `getsockopt` each).
struct KeepAliveSnapshot {
    on: bool,
    idle: Duration,
    interval: Option<Duration>,
    count: Option<u32>,
}

impl KeepAliveSnapshot {
    fn read(sock: &SockRef<'_>, times: &KeepAliveTimes) -> io::Result<KeepAliveSnapshot> {
        Ok(KeepAliveSnapshot {
            on: sock.keepalive()?,
            idle: sock.tcp_keepalive_time()?,
            interval: times.interval.map(|_| sock.tcp_keepalive_interval()).transpose()?,
            count: times.count.map(|_| sock.tcp_keepalive_retries()).transpose()?,
        })
    }

    fn restore(&self, sock: &SockRef<'_>) {
        let mut params = TcpKeepalive::new().with_time(self.idle);
        if let Some(interval) = self.interval {
            params = params.with_interval(interval);
        }
        if let Some(count) = self.count {
            params = params.with_retries(count);
        }
        let _ = sock.set_tcp_keepalive(&params);
        let _ = sock.set_keepalive(self.on);
    }
}

/// The address family of an adopted stream.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    Unix,
    Inet,
}

/// Checks, without taking it, that `fd` is a connected stream socket of a family we handle,
/// then makes it non-blocking and close-on-exec (only once every check passed).
pub fn check_adoptable(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<Family> {
    let socket = SockRef::from(&fd);
    if socket.r#type()? != Type::STREAM {
        return Err(io::Error::from_raw_os_error(libc::EPROTOTYPE));
    }
    if socket.is_listener()? {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    socket.peer_addr().map_err(|_| io::Error::from_raw_os_error(libc::ENOTCONN))?;
    let family = match socket.domain()? {
        Domain::UNIX => Family::Unix,
        Domain::IPV4 | Domain::IPV6 => Family::Inet,
        _ => return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
    };
    socket.set_nonblocking(true)?;
    socket.set_cloexec(true)?;
    Ok(family)
}

/// The peer's address of a socket not wrapped yet ("" when it has none we can show).
pub fn peer_text(fd: std::os::fd::BorrowedFd<'_>) -> String {
    SockRef::from(&fd).peer_addr().ok().and_then(|a| a.as_socket()).map(|a| a.to_string()).unwrap_or_default()
}

/// Options for a listening socket.
pub struct ListenSpec {
    pub reuse_port: bool,
    pub ipv6_only: bool,
    pub backlog: i32,
}

const DEFAULT_BACKLOG: i32 = 511;

fn backlog_of(spec: &ListenSpec) -> i32 {
    if spec.backlog > 0 { spec.backlog } else { DEFAULT_BACKLOG }
}

/// Binds and listens on a TCP address: SO_REUSEADDR always, SO_REUSEPORT only when asked, and a
/// dual-stack socket for IPv6 addresses unless `ipv6_only`. Errors come back with the failing step.
pub fn listen_tcp(addr: SocketAddr, spec: &ListenSpec) -> Result<TcpListener, (io::Error, &'static str)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking().cloexec(), None)
        .map_err(|e| (e, "socket"))?;
    socket.set_reuse_address(true).map_err(|e| (e, "setsockopt"))?;
    if spec.reuse_port {
        socket.set_reuse_port(true).map_err(|e| (e, "setsockopt"))?;
    }
    if addr.is_ipv6() {
        socket.set_only_v6(spec.ipv6_only).map_err(|e| (e, "setsockopt"))?;
    }
    socket.bind(&addr.into()).map_err(|e| (e, "listen"))?;
    socket.listen(backlog_of(spec)).map_err(|e| (e, "listen"))?;
    Ok(TcpListener::from_std(std::net::TcpListener::from(socket)))
}

fn unix_sockaddr(name: &UnixName) -> io::Result<SockAddr> {
    match name {
        UnixName::Path(path) => SockAddr::unix(path),
        UnixName::Abstract(bytes) => {
            let mut raw = Vec::with_capacity(bytes.len() + 1);
            raw.push(0u8);
            raw.extend_from_slice(bytes);
            SockAddr::unix(std::ffi::OsStr::from_bytes(&raw))
        }
    }
}

/// Binds and listens on a unix-domain name.
pub fn listen_unix(name: &UnixName, spec: &ListenSpec) -> Result<UnixListener, (io::Error, &'static str)> {
    let addr = unix_sockaddr(name).map_err(|e| (e, "listen"))?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None).map_err(|e| (e, "socket"))?;
    socket.bind(&addr).map_err(|e| (e, "listen"))?;
    socket.listen(backlog_of(spec)).map_err(|e| (e, "listen"))?;
    Ok(UnixListener::from_std(std::os::unix::net::UnixListener::from(socket)))
}

/// Starts a non-blocking TCP connect (EINPROGRESS is success here), bound first to `local` when
/// given. Errors come back with the failing step ("socket", "bind" or "connect").
pub fn connect_tcp(addr: SocketAddr, local: Option<SocketAddr>) -> Result<Stream, (io::Error, &'static CStr)> {
    let Some(local) = local else {
        return TcpStream::connect(addr).map(Stream::Tcp).map_err(|e| (e, c"connect"));
    };
    debug_assert_eq!(local.is_ipv6(), addr.is_ipv6(), "only targets of the local address's family are tried");
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM.nonblocking().cloexec(), Some(Protocol::TCP))
        .map_err(|e| (e, c"socket"))?;
    if local.port() == 0 {
        // Bound to an address but no port: let connect pick the port for the 4-tuple, so that
        // many connections from one source address do not run out of ephemeral ports at bind.
        bind_address_no_port(&socket);
    }
    socket.bind(&local.into()).map_err(|e| (e, c"bind"))?;
    loop {
        match socket.connect(&addr.into()) {
            Ok(()) => break,
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((e, c"connect")),
        }
    }
    Ok(Stream::Tcp(TcpStream::from_std(std::net::TcpStream::from(socket))))
}

/// IP_BIND_ADDRESS_NO_PORT (Linux 4.2+), best effort: without it the bind only reserves a port
/// early, which still works.
fn bind_address_no_port(socket: &Socket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid descriptor, and a c_int option value whose size is passed with it.
    let _ = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&raw const on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

/// Makes a unix-domain connection. Linux completes (or refuses) a non-blocking AF_UNIX connect
/// inside the call: EAGAIN means the listener's backlog is full and is final, since no readiness
/// event will ever finish that connect (unlike TCP's EINPROGRESS); it is returned as an error.
pub fn connect_unix(name: &UnixName) -> io::Result<Stream> {
    let addr = unix_sockaddr(name)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
    loop {
        match socket.connect(&addr) {
            Ok(()) => break,
            // Not expected from AF_UNIX on Linux, but if it ever is, the connect is truly in
            // flight and its writable event finishes it.
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(Stream::Unix(UnixStream::from_std(std::os::unix::net::UnixStream::from(socket))))
}

/// Why `read_small_file` refused a file.
#[derive(Debug)]
pub enum FileRefusal {
    /// open / fstat / read failed.
    Io(io::Error),
    /// A directory.
    Directory,
    /// Neither a regular file nor a directory: a FIFO, a device, a socket. Named for the message.
    NotRegular(&'static str),
    /// A regular file larger than the cap (or one that grew past it while being read).
    TooLarge { cap: u64 },
}

/// Reads a whole regular file of at most `cap` bytes. The open is non-blocking (O_NONBLOCK, and
/// O_CLOEXEC as always in std), so a FIFO with no writer cannot block it; then fstat refuses
/// anything that is not a regular file before a byte is read (a FIFO, /dev/zero, /dev/urandom
/// would block or never end), and the read stops one byte past the cap.
pub fn read_small_file(path: &std::path::Path, cap: u64) -> Result<Vec<u8>, FileRefusal> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            // open(2) of a unix socket file fails with ENXIO: name what the file is instead.
            Ok(m) if e.raw_os_error() == Some(libc::ENXIO) && m.file_type().is_socket() => {
                FileRefusal::NotRegular("a socket")
            }
            _ => FileRefusal::Io(e),
        })?;
    let meta = file.metadata().map_err(FileRefusal::Io)?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(FileRefusal::Directory);
    }
    if !kind.is_file() {
        let name = if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a special file"
        };
        return Err(FileRefusal::NotRegular(name));
    }
    if meta.len() > cap {
        return Err(FileRefusal::TooLarge { cap });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes).map_err(FileRefusal::Io)?;
    if bytes.len() as u64 > cap {
        return Err(FileRefusal::TooLarge { cap });
    }
    Ok(bytes)
}

/// Whether this process (EMFILE) or the system (ENFILE) is out of file descriptors right now,
/// probed by making one throw-away descriptor. getaddrinfo hides this cause: when it cannot
/// open /etc/hosts or a DNS socket it answers "name not known" (EAI_NONAME), not EAI_SYSTEM.
pub fn descriptor_shortage() -> Option<io::Error> {
    match std::os::unix::net::UnixDatagram::unbound() {
        Ok(_probe) => None,
        Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => Some(e),
        Err(_) => None,
    }
}

/// A listening socket: TCP or unix-domain.
pub enum ListeningSocket {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// Whether an inherited socket already listens (then its backlog is kept as it is).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ListenState {
    Listening,
    BoundOnly,
}

/// Why an inherited descriptor cannot become a listener.
#[derive(Debug)]
pub enum ListenFdRefusal {
    /// getsockopt/getsockname failed: -ENOTSOCK (not a socket), -EBADF (not open).
    Io(io::Error),
    /// A datagram, seqpacket or raw socket.
    NotStream,
    /// An IP stream socket whose protocol is not TCP (SCTP, MPTCP, ...).
    NotTcp,
    /// Neither IPv4, IPv6 nor unix-domain.
    Family,
    /// No local address: bind(2) was never called.
    Unbound,
}

/// Checks, changing nothing (no flag, no option, no listen), that `fd` is a bound stream socket
/// we can listen on: TCP over IPv4/IPv6, or unix-domain.
pub fn check_listenable(fd: std::os::fd::BorrowedFd<'_>) -> Result<(Family, ListenState), ListenFdRefusal> {
    let socket = SockRef::from(&fd);
    if socket.r#type().map_err(ListenFdRefusal::Io)? != Type::STREAM {
        return Err(ListenFdRefusal::NotStream);
    }
    let family = match socket.domain().map_err(ListenFdRefusal::Io)? {
        Domain::UNIX => Family::Unix,
        Domain::IPV4 | Domain::IPV6 => {
            if socket.protocol().map_err(ListenFdRefusal::Io)? != Some(socket2::Protocol::TCP) {
                return Err(ListenFdRefusal::NotTcp);
            }
            Family::Inet
        }
        _ => return Err(ListenFdRefusal::Family),
    };
    let name = socket.local_addr().map_err(ListenFdRefusal::Io)?;
    let bound = match family {
        // An unbound IP socket reports the wildcard address with port 0.
        Family::Inet => name.as_socket().is_some_and(|a| a.port() != 0),
        Family::Unix => !name.is_unnamed(),
    };
    if !bound {
        return Err(ListenFdRefusal::Unbound);
    }
    let state = if socket.is_listener().map_err(ListenFdRefusal::Io)? {
        ListenState::Listening
    } else {
        ListenState::BoundOnly
    };
    Ok((family, state))
}

/// listen(2) with the options' backlog (0 = the default) on a socket that is bound but not
/// listening yet.
pub fn start_listening(fd: std::os::fd::BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    SockRef::from(&fd).listen(backlog_of(&ListenSpec { reuse_port: false, ipv6_only: false, backlog }))
}

/// Wraps a descriptor that `check_listenable` accepted, changing nothing about it yet.
pub fn wrap_listening(fd: std::os::fd::OwnedFd, family: Family) -> ListeningSocket {
    match family {
        Family::Unix => ListeningSocket::Unix(UnixListener::from_std(std::os::unix::net::UnixListener::from(fd))),
        Family::Inet => ListeningSocket::Tcp(TcpListener::from_std(std::net::TcpListener::from(fd))),
    }
}

/// O_NONBLOCK and FD_CLOEXEC, as on every descriptor the library makes.
pub fn set_nonblocking_cloexec(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
    let socket = SockRef::from(&fd);
    socket.set_nonblocking(true)?;
    socket.set_cloexec(true)
}

/// A socket's local name: an IP address and port, or a unix-domain name (None when unnamed).
pub fn local_name(fd: std::os::fd::BorrowedFd<'_>) -> Option<BoundName> {
    let name = SockRef::from(&fd).local_addr().ok()?;
    if let Some(addr) = name.as_socket() {
        return Some(BoundName::Ip(addr));
    }
    if let Some(path) = name.as_pathname() {
        return Some(BoundName::Unix(UnixName::Path(path.to_path_buf())));
    }
    name.as_abstract_namespace().map(|bytes| BoundName::Unix(UnixName::Abstract(bytes.to_vec())))
}

/// The address a socket is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoundName {
    Ip(SocketAddr),
    Unix(UnixName),
}
