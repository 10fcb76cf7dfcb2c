//! The OS edge: making listening and connecting sockets, and the byte-moving calls on them.
//!
//! Sends use `MSG_NOSIGNAL`: a C host keeps SIGPIPE's default action (terminate), and a peer that
//! resets mid-write must give `-EPIPE`, not kill the process.

use crate::addr::UnixName;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use socket2::{Domain, SockAddr, SockRef, Socket, TcpKeepalive, Type};
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

    pub fn set_keepalive(&self, on: bool, initial_delay: Duration) -> io::Result<()> {
        match self {
            Stream::Tcp(_) => {
                let sock = self.sock();
                if on {
                    // TCP_KEEPIDLE has a one-second unit and must be at least 1.
                    let idle = Duration::from_secs(initial_delay.as_secs().max(1));
                    sock.set_tcp_keepalive(&TcpKeepalive::new().with_time(idle))
                } else {
                    sock.set_keepalive(false)
                }
            }
            Stream::Unix(_) => Ok(()),
        }
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

/// Starts a non-blocking TCP connect (EINPROGRESS is success here).
pub fn connect_tcp(addr: SocketAddr) -> io::Result<Stream> {
    TcpStream::connect(addr).map(Stream::Tcp)
}

/// Starts a unix-domain connect.
pub fn connect_unix(name: &UnixName) -> io::Result<Stream> {
    let addr = unix_sockaddr(name)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
    match socket.connect(&addr) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(Stream::Unix(UnixStream::from_std(std::os::unix::net::UnixStream::from(socket))))
}
