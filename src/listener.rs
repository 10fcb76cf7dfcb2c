//! Listeners: bind, accept, stop, reload.
//!
//! A stopped listener's slot lives while sockets it accepted are open (they use its handlers and
//! may ask for its data), then it is released, so listen/stop cycles do not grow the loop. Its
//! handle then answers like a stale one, except that `stop` and ref/unref stay harmless no-ops.

use crate::addr::{Host, UnixName, family_of, ip_text, parse_host};
use crate::dns;
use crate::error::NetError;
use crate::event_loop::{ACCEPT_BUDGET, EventLoop};
use crate::handlers::{HandlerCell, Handlers, validate};
use crate::os::{self, BoundName, ListenSpec, Stream};
use crate::socket::CloseHow;
use crate::tls::{ServerTls, server_config};
use crate::{ListenOptions, ListenerId, UserData};
use mio::Interest;
use mio::net::{TcpListener, UnixListener};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Back-off before a listener that ran out of file descriptors tries to accept again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

pub(crate) enum ListenIo {
    Tcp(TcpListener),
    /// The name is the path to unlink at stop: None for an inherited descriptor, whose path
    /// belongs to whoever bound it (systemd, or the process that handed it over).
    Unix(UnixListener, Option<UnixName>),
}

impl ListenIo {
    pub(crate) fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            ListenIo::Tcp(l) => l,
            ListenIo::Unix(l, _) => l,
        }
    }

    pub(crate) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        match self {
            ListenIo::Tcp(l) => l.as_fd(),
            ListenIo::Unix(l, _) => l.as_fd(),
        }
    }

    /// Gives the descriptor back (inherited descriptors on a failed `listen_fd`).
    pub(crate) fn into_fd(self) -> OwnedFd {
        match self {
            ListenIo::Tcp(l) => l.into(),
            ListenIo::Unix(l, _) => l.into(),
        }
    }
}

pub(crate) struct Listener {
    /// None once stopped.
    io: Option<ListenIo>,
    handlers: HandlerCell,
    data: UserData,
    allow_half_open: bool,
    refd: bool,
    /// Where it listens, read back from the socket once (it stays known after stop).
    address: Option<BoundName>,
    tls: Option<Arc<ServerTls>>,
    /// How long an accepted TLS socket may take to complete its handshake; None = no limit.
    tls_handshake_timeout: Option<Duration>,
    /// Accepted sockets whose slots are not released yet.
    pub(crate) live_sockets: usize,
}

impl Listener {
    pub fn is_listening(&self) -> bool {
        self.io.is_some()
    }
}

fn bind_tcp(opts: &ListenOptions, spec: &ListenSpec) -> Result<TcpListener, NetError> {
    let host = opts.hostname.as_deref().unwrap_or("0.0.0.0");
    let addrs = match parse_host(host)? {
        Host::Ip(ip) => vec![SocketAddr::new(ip, opts.port)],
        Host::Name(name) => dns::resolve_now(&name, opts.port)?,
    };
    let mut last = None;
    for addr in addrs {
        match os::listen_tcp(addr, spec) {
            Ok(listener) => return Ok(listener),
            Err((e, step)) => {
                let syscall = if step == "listen" { c"listen" } else { c"socket" };
                last = Some(NetError::io(&e, syscall, &addr.to_string()));
            }
        }
    }
    Err(last.unwrap_or_else(|| NetError::invalid("no address to listen on")))
}

fn bind_unix(name: &UnixName, spec: &ListenSpec) -> Result<UnixListener, NetError> {
    // An existing path is never removed: probing it would show a live server a phantom
    // connection, and removing it would steal a live server's path. A stale file left by a
    // process that died must be removed by its owner.
    os::listen_unix(name, spec).map_err(|(e, _)| {
        let mut err = NetError::io(&e, c"listen", &name.display());
        if e.raw_os_error() == Some(libc::EADDRINUSE) {
            err.message.push_str(" (the path exists: another server, or a stale socket file to remove)");
        }
        err
    })
}

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
                match &mut io {
                    ListenIo::Tcp(t) => {
                        let _ = self.registry.deregister(t);
                    }
                    ListenIo::Unix(u, _) => {
                        let _ = self.registry.deregister(u);
                    }
                }
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

/// Closes a listening socket and removes its unix path from the file system.
fn unlink(io: Option<ListenIo>) {
    if let Some(ListenIo::Unix(listener, Some(UnixName::Path(path)))) = io {
        drop(listener);
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConnectOptions, EventLoop};

    use crate::handlers::DataOnly;

    fn local() -> ListenOptions {
        ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }
    }

    #[test]
    fn listen_stop_cycles_release_their_slots_and_stop_stays_idempotent() {
        let lp = EventLoop::new().unwrap();
        for _ in 0..2000 {
            let l = lp.listen(&local(), Rc::new(DataOnly)).unwrap();
            lp.stop(l, false).unwrap();
            lp.poll(Some(Duration::ZERO)).unwrap();
            assert!(lp.stop(l, false).is_ok(), "stop stays a no-op on a released listener");
            assert!(lp.set_listener_ref(l, true).is_ok());
        }
        assert_eq!(lp.st.borrow().listeners.len(), 0);
    }

    #[test]
    fn a_stopped_listener_lives_while_a_socket_it_accepted_is_open() {
        let lp = EventLoop::new().unwrap();
        let l = lp.listen(&local(), Rc::new(DataOnly)).unwrap();
        let port = lp.listener_port(l).unwrap();
        let opts = ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() };
        let c = lp.connect(&opts, Rc::new(DataOnly)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while lp.socket_count() < 2 {
            assert!(std::time::Instant::now() < deadline, "no accept");
            lp.poll(Some(Duration::from_millis(10))).unwrap();
        }
        lp.stop(l, false).unwrap();
        lp.poll(Some(Duration::ZERO)).unwrap();
        assert!(lp.listener_data(l).is_ok(), "kept while its socket is open");
        lp.close(c).unwrap();
        while lp.socket_count() > 0 {
            assert!(std::time::Instant::now() < deadline, "the accepted socket did not close");
            lp.poll(Some(Duration::from_millis(10))).unwrap();
        }
        assert!(lp.listener_data(l).is_err(), "released with its last socket");
        assert!(lp.stop(l, true).is_ok());
    }
}
