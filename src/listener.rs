//! A listener's record (`Listener`) and how its socket is bound; the loop's listen, accept,
//! stop and reload are in `event_loop/listen.rs`.
//!
//! A stopped listener's slot lives while sockets it accepted are open (they use its handlers and
//! may ask for its data), then it is released, so listen/stop cycles do not grow the loop. Its
//! handle then answers like a stale one, except that `stop` and ref/unref stay harmless no-ops.

use crate::addr::{Host, UnixName, parse_host};
use crate::dns;
use crate::error::NetError;
use crate::handlers::HandlerCell;
use crate::os::{self, BoundName, ListenSpec};
use crate::tls::ServerTls;
use crate::{ListenOptions, UserData};
use mio::net::{TcpListener, UnixListener};
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

/// Back-off before a listener that ran out of file descriptors tries to accept again.
pub(crate) const ACCEPT_RETRY: Duration = Duration::from_millis(50);

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
    pub(crate) io: Option<ListenIo>,
    pub(crate) handlers: HandlerCell,
    pub(crate) data: UserData,
    pub(crate) allow_half_open: bool,
    pub(crate) refd: bool,
    /// Where it listens, read back from the socket once (it stays known after stop).
    pub(crate) address: Option<BoundName>,
    pub(crate) tls: Option<Arc<ServerTls>>,
    /// How long an accepted TLS socket may take to complete its handshake; None = no limit.
    pub(crate) tls_handshake_timeout: Option<Duration>,
    /// Accepted sockets whose slots are not released yet.
    pub(crate) live_sockets: usize,
}

impl Listener {
    pub fn is_listening(&self) -> bool {
        self.io.is_some()
    }
}

pub(crate) fn bind_tcp(opts: &ListenOptions, spec: &ListenSpec) -> Result<TcpListener, NetError> {
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

pub(crate) fn bind_unix(name: &UnixName, spec: &ListenSpec) -> Result<UnixListener, NetError> {
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

/// Closes a listening socket and removes its unix path from the file system.
pub(crate) fn unlink(io: Option<ListenIo>) {
    if let Some(ListenIo::Unix(listener, Some(UnixName::Path(path)))) = io {
        drop(listener);
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ConnectOptions, EventLoop};
    use std::rc::Rc;

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
