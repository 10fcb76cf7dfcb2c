//! Listening on an inherited descriptor (`bun_tcp_listen_fd`): systemd socket activation and
//! zero-downtime handover. Checks the descriptor without changing it, then makes it a listener
//! with `listener.rs`'s install; on any error it goes back to the caller as it came.

use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::handlers::{Handlers, validate};
use crate::listener::ListenIo;
use crate::os::{self, Family, ListenFdRefusal, ListenState, ListeningSocket};
use crate::tls::{ServerTls, server_config};
use crate::{ListenOptions, ListenerId};
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::Arc;

impl EventLoop {
    /// Listens on an inherited descriptor: a bound stream socket (TCP over IPv4/IPv6, or unix),
    /// made to listen with `opts.backlog` unless it already does (then its backlog is kept).
    /// `opts` gives data, tls, allow_half_open, backlog and the handshake timeout; hostname, port
    /// and unix must be unset; reuse_port and ipv6_only are ignored (options of bind, which is
    /// done). On error the descriptor comes back exactly as it was (flags, listening state); on
    /// success the listener owns it, non-blocking and close-on-exec, and `stop` closes it without
    /// unlinking a unix path (the path belongs to whoever bound it).
    pub fn listen_fd(
        &self,
        fd: OwnedFd,
        opts: &ListenOptions,
        handlers: Rc<dyn Handlers>,
    ) -> Result<ListenerId, (NetError, OwnedFd)> {
        use std::mem::ManuallyDrop;
        use std::os::fd::AsFd;
        // Borrowed while it is checked: a refusal hands back the very descriptor, unclosed.
        let loan = ManuallyDrop::new(fd);
        let (family, state, tls) = match self.check_listen_fd(loan.as_fd(), opts, &*handlers) {
            Ok(checked) => checked,
            Err(e) => return Err((e, ManuallyDrop::into_inner(loan))),
        };
        let io = match os::wrap_listening(ManuallyDrop::into_inner(loan), family) {
            ListeningSocket::Tcp(l) => ListenIo::Tcp(l),
            ListeningSocket::Unix(l) => ListenIo::Unix(l, None),
        };
        let id = self.install(io, opts, handlers, tls).map_err(|(e, io)| (e, io.into_fd()))?;
        let started = match state {
            ListenState::BoundOnly => self.with_listen_io(id, |io| os::start_listening(io.fd(), opts.backlog)),
            ListenState::Listening => Some(Ok(())),
        };
        debug_assert!(started.is_some(), "the listener installed above has no socket");
        if let Some(Err(e)) = started {
            let io = self.uninstall(id);
            let err = NetError::io(&e, c"listen", "");
            return match io {
                Some(io) => Err((err, io.into_fd())),
                None => unreachable!("the listener installed above has no socket"),
            };
        }
        let flags = self.with_listen_io(id, |io| os::set_nonblocking_cloexec(io.fd()));
        // fcntl on an open socket does not fail; the listener owns it now either way.
        debug_assert!(matches!(flags, Some(Ok(()))), "fcntl on a listening socket failed: {flags:?}");
        Ok(id)
    }

    /// Every check of `listen_fd` that comes before touching the descriptor.
    fn check_listen_fd(
        &self,
        fd: std::os::fd::BorrowedFd<'_>,
        opts: &ListenOptions,
        handlers: &dyn Handlers,
    ) -> Result<(Family, ListenState, Option<Arc<ServerTls>>), NetError> {
        self.refuse_if_shut()?;
        validate(handlers)?;
        if opts.hostname.is_some() || opts.port != 0 || opts.unix.is_some() {
            return Err(NetError::invalid(
                "hostname, port and unix_path must be unset: the descriptor is already bound",
            ));
        }
        if opts.backlog < 0 {
            return Err(NetError::invalid("backlog must not be negative"));
        }
        let (family, state) = os::check_listenable(fd).map_err(|refusal| match refusal {
            ListenFdRefusal::Io(e) => NetError::io(&e, c"listen", ""),
            ListenFdRefusal::NotStream => NetError::invalid("fd is not a stream socket (SOCK_STREAM)"),
            ListenFdRefusal::NotTcp => NetError::invalid("fd is an IP stream socket but not TCP"),
            ListenFdRefusal::Family => {
                NetError::new(-libc::EAFNOSUPPORT, "fd is neither an IPv4, IPv6 nor unix-domain socket")
            }
            ListenFdRefusal::Unbound => NetError::invalid("fd is not bound (bind it first, or use bun_tcp_listen)"),
        })?;
        let tls = match &opts.tls {
            Some(t) => Some(Arc::new(server_config(t)?)),
            None => None,
        };
        Ok((family, state, tls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    use crate::handlers::DataOnly;

    #[test]
    fn a_listen_fd_refused_by_listen_undoes_its_listener_and_hands_the_descriptor_back() {
        use std::os::fd::{AsRawFd, OwnedFd};
        let lp = EventLoop::new().unwrap();
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let raw = client.as_raw_fd();
        let fd = OwnedFd::from(client);
        // Connected: every check passes, then listen(2) refuses it (EINVAL).
        let (err, back) = lp.listen_fd(fd, &ListenOptions::default(), Rc::new(DataOnly)).unwrap_err();
        assert_eq!(err.code, -libc::EINVAL);
        assert_eq!(back.as_raw_fd(), raw, "the same descriptor comes back");
        assert_eq!(lp.st.borrow().listeners.len(), 0);
        assert!(!lp.alive(), "the hold taken for the undone listener is given back");
    }

    #[test]
    fn a_listen_fd_listener_reports_the_sockets_own_address() {
        use std::os::fd::OwnedFd;
        let lp = EventLoop::new().unwrap();
        let bound = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        bound.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into()).unwrap();
        let port = bound.local_addr().unwrap().as_socket().unwrap().port();
        let l = lp.listen_fd(OwnedFd::from(bound), &ListenOptions::default(), Rc::new(DataOnly)).unwrap();
        assert_eq!(lp.listener_port(l).unwrap(), port);
        assert_eq!(lp.listener_address(l).unwrap(), b"127.0.0.1");
        assert_eq!(lp.listener_family(l).unwrap(), libc::AF_INET);
        assert!(lp.alive());
        lp.stop(l, false).unwrap();
        assert!(!lp.alive());
    }
}
