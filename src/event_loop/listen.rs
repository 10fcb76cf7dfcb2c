//! The loop's listeners: listen (on an address, a unix path, or an inherited descriptor:
//! `bun_tcp_listen_fd`, for systemd socket activation and zero-downtime handover), accept,
//! stop, reload, and their queries. A stopped listener's slot lives while sockets it accepted
//! are open, then it is released.

use super::*;
use crate::addr::{UnixName, family_of, ip_text};
use crate::handlers::{HandlerCell, validate};
use crate::listener::*;
use crate::os::{self, BoundName, Family, ListenFdRefusal, ListenSpec, ListenState, ListeningSocket, Stream};
use crate::socket::*;
use crate::tls::*;
use crate::{ListenOptions, ListenerId};
use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

impl EventLoop {
    /// Listens; accepted sockets use `handlers` (shared: see `reload_listener`) and start with
    /// `opts.data` as their user data. Fails at once on a bad option, a port in use, an
    /// unresolvable or invalid host; no handler fires then.
    pub fn listen(&self, opts: &ListenOptions, handlers: Rc<dyn Handlers>) -> Result<ListenerId, NetError> {
        self.refuse_if_shut()?;
        validate(&*handlers)?;
        if opts.backlog < 0 {
            return Err(NetError::invalid("backlog must not be negative"));
        }
        let tls = match &opts.tls {
            Some(t) => Some(Arc::new(server_config(t)?)),
            None => None,
        };
        let spec = ListenSpec { reuse_port: opts.reuse_port, ipv6_only: opts.ipv6_only, backlog: opts.backlog };
        let io = match &opts.unix {
            Some(name) => ListenIo::Unix(bind_unix(name, &spec)?, Some(name.clone())),
            None => ListenIo::Tcp(bind_tcp(opts, &spec)?),
        };
        self.install(io, opts, handlers, tls).map_err(|(err, io)| {
            unlink(Some(io));
            err
        })
    }

    /// Makes a listener of a socket that is listening (or about to) and registers it. On error
    /// the socket comes back unregistered, and nothing else changed.
    pub(crate) fn install(
        &self,
        mut io: ListenIo,
        opts: &ListenOptions,
        handlers: Rc<dyn Handlers>,
        tls: Option<Arc<ServerTls>>,
    ) -> Result<ListenerId, (NetError, ListenIo)> {
        let address = os::local_name(io.fd());
        let listener = Listener {
            io: None,
            handlers: HandlerCell::new(handlers),
            data: opts.data,
            allow_half_open: opts.allow_half_open,
            refd: true,
            address,
            tls,
            tls_handshake_timeout: match opts.tls_handshake_timeout {
                None => Some(crate::tls::DEFAULT_HANDSHAKE_TIMEOUT),
                Some(Duration::MAX) => None,
                Some(limit) => Some(limit),
            },
            live_sockets: 0,
        };
        let mut st = self.st.borrow_mut();
        let Ok(id) = st.listeners.insert(listener) else {
            return Err((NetError::new(-libc::ENOMEM, "too many listeners in this loop"), io));
        };
        if let Err(e) = self.registry.register(io.source(), EventLoop::token_for_listener(id), Interest::READABLE) {
            // The id was never handed out; the slot goes back with a new generation.
            st.listeners.remove(id);
            return Err((NetError::io(&e, c"epoll_ctl", ""), io));
        }
        match st.listeners.get_mut(id) {
            Some(l) => l.io = Some(io),
            None => debug_assert!(false, "the slot inserted above is gone"),
        }
        st.books.hold(true);
        Ok(ListenerId(id))
    }

    /// Undoes `install` for a listener whose id was never handed out.
    pub(crate) fn uninstall(&self, id: ListenerId) -> Option<ListenIo> {
        let mut st = self.st.borrow_mut();
        let mut io = st.listeners.remove(id.0)?.io?;
        let _ = self.registry.deregister(io.source());
        st.books.hold(false);
        Some(io)
    }

    /// Runs `f` on the socket of a listener that is listening.
    pub(crate) fn with_listen_io<R>(&self, id: ListenerId, f: impl FnOnce(&ListenIo) -> R) -> Option<R> {
        let st = self.st.borrow();
        st.listeners.get(id.0).and_then(|l| l.io.as_ref()).map(f)
    }

    /// Accepts pending connections (up to a budget per event, the rest next tick).
    pub(crate) fn on_acceptable(&self, id: u64) {
        for _ in 0..ACCEPT_BUDGET {
            let accepted = {
                let st = self.st.borrow();
                let Some(l) = st.listeners.get(id) else { return };
                let result = match &l.io {
                    Some(ListenIo::Tcp(t)) => t.accept().map(|(s, _)| Stream::Tcp(s)),
                    Some(ListenIo::Unix(u, _)) => u.accept().map(|(s, _)| Stream::Unix(s)),
                    None => return,
                };
                result.map(|stream| {
                    let tls = l.tls.clone().map(|config| (config, l.tls_handshake_timeout));
                    (stream, l.handlers.clone(), l.data, l.allow_half_open, tls)
                })
            };
            match accepted {
                Ok((stream, handlers, data, half_open, tls)) => {
                    self.adopt_accepted(id, stream, handlers, data, half_open, tls);
                    self.after_dispatch();
                    if self.is_shut() {
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::ConnectionAborted) => {}
                // EMFILE/ENFILE/ENOBUFS/ENOMEM: the connection stays in the backlog. Edge-triggered
                // epoll will not report it again, and retrying at once would spin: try again
                // after a short back-off, until descriptors are free.
                Err(_) => {
                    let mut st = self.st.borrow_mut();
                    if !st.books.accept_retry.iter().any(|(_, l)| *l == id) {
                        let at = std::time::Instant::now() + ACCEPT_RETRY;
                        st.books.accept_retry.push((at, id));
                    }
                    return;
                }
            }
        }
        self.st.borrow_mut().books.accept_again.push(id);
    }

    /// Stops accepting (and unlinks a unix path). With `close_active`, also closes every socket
    /// this listener accepted; their `close` handlers run before this returns. Idempotent.
    pub fn stop(&self, id: ListenerId, close_active: bool) -> Result<(), NetError> {
        {
            let mut st = self.st.borrow_mut();
            if st.listeners.was_released(id.0) {
                return Ok(());
            }
            let l = st
                .listeners
                .get_mut(id.0)
                .ok_or_else(|| NetError::new(crate::error::ECLOSED, "unknown or stale listener"))?;
            let was_held = l.io.is_some() && l.refd;
            if let Some(mut io) = l.io.take() {
                let _ = self.registry.deregister(io.source());
                unlink(Some(io));
            }
            if was_held {
                st.books.hold(false);
            }
            st.books.stopped_listeners.push(id.0);
        }
        if close_active {
            let accepted: Vec<u64> = {
                let st = self.st.borrow();
                st.sockets
                    .ids()
                    .into_iter()
                    .filter(|sid| {
                        st.sockets.get(*sid).is_some_and(|s| s.listener == Some(id.0) && s.state.life.is_live())
                    })
                    .collect()
            };
            for sid in accepted {
                let _ = self.close_socket(sid, None, CloseHow::Fin);
            }
        }
        Ok(())
    }

    fn with_listener<R>(&self, id: ListenerId, f: impl FnOnce(&mut Listener) -> R) -> Result<R, NetError> {
        let mut st = self.st.borrow_mut();
        let l = st
            .listeners
            .get_mut(id.0)
            .ok_or_else(|| NetError::new(crate::error::ECLOSED, "unknown or stale listener"))?;
        Ok(f(l))
    }

    /// Swaps the handler table of the listener and of every socket still using it.
    pub fn reload_listener(&self, id: ListenerId, handlers: Rc<dyn Handlers>) -> Result<(), NetError> {
        validate(&*handlers)?;
        self.with_listener(id, |l| l.handlers.replace(handlers))
    }

    /// Certificate rotation: new handshakes use a config built from `tls` (certificates, keys,
    /// CA, every option); sockets already accepted keep the config they started with. The new
    /// config has its own tickets and session cache, so sessions of the old one do not resume.
    /// Bad options fail here and leave the old config. A plain listener: ENOTSUP; a stopped or
    /// stale one: ECLOSED.
    pub fn set_listener_tls(&self, id: ListenerId, tls: &crate::TlsOptions) -> Result<(), NetError> {
        self.with_listener(id, |l| match (&l.io, &l.tls) {
            (None, _) => Err(NetError::new(crate::error::ECLOSED, "the listener was stopped")),
            (Some(_), None) => {
                Err(NetError::new(crate::error::ENOTSUP, "a plain listener cannot take TLS options (listen with tls)"))
            }
            (Some(_), Some(_)) => Ok(()),
        })??;
        let config = Arc::new(server_config(tls)?);
        self.with_listener(id, |l| l.tls = Some(config))
    }

    /// The bound port (0 for unix sockets).
    pub fn listener_port(&self, id: ListenerId) -> Result<u16, NetError> {
        self.with_listener(id, |l| match &l.address {
            Some(BoundName::Ip(addr)) => addr.port(),
            _ => 0,
        })
    }

    /// Where the listener listens: its IP as text (as `ip_text` prints it), a unix path, or
    /// `@name` for an abstract name. Known after stop too, while the handle is valid.
    pub fn listener_address(&self, id: ListenerId) -> Result<Vec<u8>, NetError> {
        self.with_listener(id, |l| match &l.address {
            Some(BoundName::Ip(addr)) => Ok(ip_text(addr).into_bytes()),
            Some(BoundName::Unix(UnixName::Path(path))) => Ok(path.as_os_str().as_bytes().to_vec()),
            Some(BoundName::Unix(UnixName::Abstract(name))) => Ok([b"@", name.as_slice()].concat()),
            None => Err(NetError::new(-libc::ENOTCONN, "the listening socket has no local name")),
        })?
    }

    /// The listener's address family: AF_INET, AF_INET6 or AF_UNIX (see `addr::family_of`).
    pub fn listener_family(&self, id: ListenerId) -> Result<i32, NetError> {
        self.with_listener(id, |l| match &l.address {
            Some(BoundName::Ip(addr)) => Ok(family_of(addr)),
            Some(BoundName::Unix(_)) => Ok(libc::AF_UNIX),
            None => Err(NetError::new(-libc::ENOTCONN, "the listening socket has no local name")),
        })?
    }

    pub fn listener_data(&self, id: ListenerId) -> Result<UserData, NetError> {
        self.with_listener(id, |l| l.data)
    }

    pub fn set_listener_data(&self, id: ListenerId, data: UserData) -> Result<(), NetError> {
        self.with_listener(id, |l| l.data = data)
    }

    /// Whether the listener keeps the loop alive; a no-op after stop.
    pub fn set_listener_ref(&self, id: ListenerId, on: bool) -> Result<(), NetError> {
        let mut st = self.st.borrow_mut();
        if st.listeners.was_released(id.0) {
            return Ok(());
        }
        let l = st
            .listeners
            .get_mut(id.0)
            .ok_or_else(|| NetError::new(crate::error::ECLOSED, "unknown or stale listener"))?;
        if l.io.is_none() || l.refd == on {
            return Ok(());
        }
        l.refd = on;
        st.books.hold(on);
        Ok(())
    }
}

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
mod listen_fd_tests {
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
