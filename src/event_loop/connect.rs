//! Connecting: resolve, connect attempts raced by Happy Eyeballs (RFC 8305), and the step to
//! open (also for sockets a listener accepted).
//! Also the connect timeout (`connect_timeout_ms`): one deadline from the connect call that
//! covers resolving, every attempt and, for a TLS client, the first handshake.

use super::*;
use crate::ConnectOptions;
use crate::addr::{Host, UnixName, interleave_families, parse_host};
use crate::handlers::{HandlerCell, validate};
use crate::os::{self, Stream};
use crate::socket::*;
use crate::tls::{ServerTls, TlsState};
use std::net::SocketAddr;

impl EventLoop {
    /// Starts a connect. Returns at once with a socket in state "connecting"; later exactly one
    /// of `open` or `connect_error` fires. Bad arguments fail here and fire nothing.
    pub fn connect(&self, opts: &ConnectOptions, handlers: Rc<dyn Handlers>) -> Result<SocketId, NetError> {
        self.refuse_if_shut()?;
        validate(&*handlers)?;
        enum Plan {
            Unix(UnixName),
            Addrs(Vec<SocketAddr>),
            Resolve(String),
        }
        let host_text = opts.hostname.clone().unwrap_or_else(|| "localhost".to_string());
        let local = LocalBind { address: opts.local_address, port: opts.local_port };
        if opts.unix.is_some() && (local.address.is_some() || local.port != 0) {
            return Err(NetError::invalid("local_address and local_port apply to TCP, not to a unix connect"));
        }
        let plan = match &opts.unix {
            Some(name) => Plan::Unix(name.clone()),
            None => match parse_host(&host_text)? {
                Host::Ip(ip) => Plan::Addrs(vec![SocketAddr::new(ip, opts.port)]),
                Host::Name(name) => Plan::Resolve(name),
            },
        };
        let mut socket = Socket::new(HandlerCell::new(handlers), opts.data, opts.allow_half_open);
        if let Some(tls_opts) = &opts.tls {
            let host = match &plan {
                Plan::Unix(_) => None,
                _ => Some(host_text.as_str()),
            };
            socket.tls = Some(Box::new(TlsState::client(self.client_tls.borrow_mut().client_tls(tls_opts, host)?)?));
        }
        // Counted from the call: resolving is covered too.
        let connect_deadline = opts.connect_timeout.and_then(|limit| Instant::now().checked_add(limit));
        if let Some(tls) = socket.tls.as_mut() {
            tls.connect_deadline = connect_deadline;
        }
        socket.dial().local = local;
        socket.dial().target = match &plan {
            Plan::Unix(name) => name.display(),
            _ => format!("{host_text}:{}", opts.port),
        };
        let mut immediate_failure = None;
        match &plan {
            Plan::Unix(name) => match os::connect_unix(name) {
                Ok(stream) => socket.stream = Some(stream),
                Err(e) => immediate_failure = Some(NetError::io(&e, c"connect", &name.display())),
            },
            Plan::Addrs(addrs) => match only_local_family(addrs.clone(), local) {
                Ok(addrs) => socket.dial().addrs = addrs.into(),
                Err(e) => immediate_failure = Some(e),
            },
            Plan::Resolve(_) => socket.state.life = Lifecycle::Resolving,
        }
        let id = self
            .st
            .borrow_mut()
            .sockets
            .insert(socket)
            .map_err(|_| NetError::new(-libc::ENOMEM, "too many sockets in this loop"))?;
        {
            let mut st = self.st.borrow_mut();
            st.books.hold(true);
            if let Some(at) = connect_deadline {
                st.books.connect_deadlines.push(std::cmp::Reverse((at, id)));
            }
        }
        match plan {
            Plan::Resolve(name) => match self.start_dns(id, name, opts.port) {
                Ok(ticket) => {
                    if let Some(s) = self.st.borrow_mut().sockets.get_mut(id) {
                        s.dial().lookup = Some(ticket);
                    }
                }
                Err(e) => {
                    self.forget_unopened(id);
                    return Err(e);
                }
            },
            Plan::Addrs(_) if immediate_failure.is_none() => {
                if let Err(e) = self.start_attempt(id, false) {
                    immediate_failure = Some(e);
                }
            }
            Plan::Addrs(_) => {}
            Plan::Unix(_) => {
                let mut st = self.st.borrow_mut();
                if let Some(s) = st.sockets.get_mut(id) {
                    if let Err(e) = self.register_socket(id, s) {
                        immediate_failure = Some(NetError::io(&e, c"epoll_ctl", ""));
                    }
                }
            }
        }
        if let Some(err) = immediate_failure {
            // Reported from the loop, never from inside this call.
            let mut st = self.st.borrow_mut();
            if let Some(s) = st.sockets.get_mut(id) {
                s.failure = Some(Box::new(err));
            }
            st.books.failures.push(id);
        }
        Ok(SocketId(id))
    }

    /// Undoes a connect that failed before returning: the slot goes, nothing fires.
    pub(super) fn forget_unopened(&self, id: u64) {
        let mut st = self.st.borrow_mut();
        st.sockets.remove(id);
        st.books.hold(false);
    }

    /// Connects to the next address; on immediate errors tries the ones after it. With `race`,
    /// the attempt in flight keeps going beside the new one (Happy Eyeballs); without, it is
    /// dropped. While addresses remain, the next one starts after `CONNECT_ATTEMPT_DELAY`.
    pub(super) fn start_attempt(&self, id: u64, race: bool) -> Result<(), NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let s = state.sockets.get_mut(id).ok_or_else(NetError::closed)?;
        let mut last = None;
        while let Some(addr) = s.dial().addrs.pop_front() {
            let local = s.dial().local;
            let bind_to = local.for_target(addr);
            let mut stream = match os::connect_tcp(addr, bind_to) {
                Ok(stream) => stream,
                Err((e, syscall)) => {
                    let detail = match bind_to {
                        Some(from) if syscall == c"bind" => from.to_string(),
                        _ => addr.to_string(),
                    };
                    last = Some(NetError::io(&e, syscall, &detail));
                    continue;
                }
            };
            if let Err(e) = self.registry.register(
                stream.source(),
                EventLoop::token_for_socket(id),
                Interest::READABLE | Interest::WRITABLE,
            ) {
                last = Some(NetError::io(&e, c"epoll_ctl", ""));
                continue;
            }
            if let Some(mut earlier) = s.stream.take() {
                if race {
                    let slot = s.dial().racing.len();
                    // Re-registered under its own token; if that fails it cannot win: drop it.
                    let token = EventLoop::token_for_attempt(id, slot);
                    let kept =
                        self.registry.reregister(earlier.source(), token, Interest::READABLE | Interest::WRITABLE);
                    s.dial().racing.push(kept.ok().map(|()| earlier));
                }
            }
            s.stream = Some(stream);
            s.state.life = Lifecycle::Connecting;
            let dial = s.dial();
            dial.attempt_seq = dial.attempt_seq.wrapping_add(1);
            if !dial.addrs.is_empty() && dial.local.attempts() == Attempts::Race {
                state.books.next_attempts.push((Instant::now() + CONNECT_ATTEMPT_DELAY, (id, dial.attempt_seq)));
            }
            return Ok(());
        }
        if race && s.stream.is_some() {
            return Ok(());
        }
        s.stream = None;
        if s.racing() {
            // The earlier attempts may still win.
            return Ok(());
        }
        Err(last.unwrap_or_else(|| NetError::invalid("no address to connect to")))
    }

    /// Starts the next attempt of every connecting socket whose attempt delay passed.
    pub(crate) fn start_due_attempts(&self) {
        let due = crate::event_loop::take_due(&mut self.st.borrow_mut().books.next_attempts);
        for (id, seq) in due {
            if self.is_shut() {
                return;
            }
            let current = self.st.borrow().sockets.get(id).is_some_and(|s| {
                s.state.life == Lifecycle::Connecting && s.dial.as_ref().is_some_and(|d| d.attempt_seq == seq)
            });
            if current {
                if let Err(err) = self.start_attempt(id, true) {
                    self.fail_connect(id, err);
                }
            }
        }
    }

    /// An event on an earlier attempt that is still racing: it won (becomes the socket's
    /// stream; the other attempts are dropped), it failed, or it is still in flight.
    pub(crate) fn finish_racing_attempt(&self, id: u64, slot: usize) {
        let failed = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            if s.state.life != Lifecycle::Connecting {
                return;
            }
            let Some(dial) = s.dial.as_mut() else { return };
            let Some(Some(attempt)) = dial.racing.get(slot) else { return };
            if attempt.is_connected() {
                let Some(mut winner) = dial.racing[slot].take() else { return };
                dial.racing.clear();
                if self
                    .registry
                    .reregister(
                        winner.source(),
                        EventLoop::token_for_socket(id),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .is_err()
                {
                    return;
                }
                s.stream = Some(winner);
                None
            } else {
                match attempt.take_error() {
                    Ok(None) => return,
                    Ok(Some(e)) | Err(e) => {
                        let detail = dial.target.clone();
                        dial.racing[slot] = None;
                        let alive = s.stream.is_some() || s.racing();
                        Some((NetError::io(&e, c"connect", &detail), alive))
                    }
                }
            }
        };
        match failed {
            None => self.finish_connect(id),
            Some((err, false)) => self.connect_attempt_failed(id, err),
            Some((_, true)) => {}
        }
    }

    pub(crate) fn on_resolved(&self, id: u64, result: Result<Vec<SocketAddr>, NetError>) {
        let waiting = self.st.borrow().sockets.get(id).is_some_and(|s| s.state.life == Lifecycle::Resolving);
        if !waiting {
            return;
        }
        let outcome = result.and_then(|addrs| {
            if addrs.is_empty() {
                let target = self.st.borrow().sockets.get(id).map(Socket::target).unwrap_or_default();
                return Err(NetError::new(crate::error::ENOTFOUND, format!("no address for {target}")));
            }
            if let Some(s) = self.st.borrow_mut().sockets.get_mut(id) {
                let local = s.dial().local;
                s.dial().addrs = only_local_family(interleave_families(addrs), local)?.into();
            }
            self.start_attempt(id, false)
        });
        if let Err(err) = outcome {
            self.fail_connect(id, err);
        }
    }

    /// A writable (or error) event on a connecting socket: connected, refused, or spurious.
    pub(crate) fn finish_connect(&self, id: u64) {
        let outcome = {
            let st = self.st.borrow();
            let Some(s) = st.sockets.get(id) else { return };
            let Some(stream) = s.stream.as_ref() else { return };
            match stream.take_error() {
                Ok(Some(e)) | Err(e) => {
                    let detail = stream.peer_addr().map(|a| a.to_string());
                    Err(NetError::io(&e, c"connect", &detail.unwrap_or_else(|| s.target())))
                }
                Ok(None) if stream.is_connected() => Ok(true),
                Ok(None) => Ok(false),
            }
        };
        match outcome {
            Ok(true) => self.socket_opened(id),
            Ok(false) => {}
            // Reset after the connection was established (the server accepted, maybe wrote,
            // then reset before we looked): open, deliver what arrived, then close(err).
            Err(err) if [-libc::ECONNRESET, -libc::EPIPE, -libc::ECONNABORTED].contains(&err.code) => {
                let err = NetError::sys(err.code, c"read", "");
                if let Some(s) = self.st.borrow_mut().sockets.get_mut(id) {
                    s.pending_reset = Some(Box::new(err));
                    s.state.reset = Reset::Seen;
                }
                self.socket_opened(id);
            }
            Err(err) => self.connect_attempt_failed(id, err),
        }
    }

    /// The newest attempt failed: the next address starts at once (RFC 8305 §5); with none
    /// left the earlier attempts still race; connect_error fires when every attempt failed.
    pub(super) fn connect_attempt_failed(&self, id: u64, err: NetError) {
        let (more, racing) = match self.st.borrow_mut().sockets.get_mut(id) {
            Some(s) => {
                s.stream = None;
                (s.addrs_left(), s.racing())
            }
            None => return,
        };
        if more || racing {
            if let Err(next_err) = self.start_attempt(id, false) {
                self.fail_connect(id, next_err);
            }
            return;
        }
        self.fail_connect(id, err);
    }

    /// The connect is over and failed: connect_error fires, never open or close.
    pub(super) fn fail_connect(&self, id: u64, err: NetError) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            if !s.state.life.is_live() || s.state.life.open_fired() {
                return;
            }
            s.stream = None;
            s.dial = None;
            s.queue.clear();
            s.state.fail_connect()
        };
        self.apply(id, effects, Some(err));
    }

    /// The connection is established: `open` (for TLS without a `handshake` handler, after the
    /// handshake), then anything written or ended before it leaves (for TLS: the ClientHello).
    pub(super) fn socket_opened(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let now = st.books.now;
            let state = &mut *st;
            let Some(s) = state.sockets.get_mut(id) else { return };
            let (no_delay, keep_alive) = s.dial.take().map_or((None, None), |d| (d.no_delay, d.keep_alive));
            if let Some(stream) = s.stream.as_ref() {
                let _ = stream.set_nodelay(no_delay.unwrap_or(true));
                if let Some(setting) = keep_alive {
                    let _ = stream.set_keepalive(setting);
                }
            }
            let effects = s.state.connected(s.announce());
            state.books.counters.connects += 1;
            if s.state.life.open_fired() {
                s.start_idle_timer(id, &mut state.books.timers, now);
            }
            effects
        };
        self.apply(id, effects, None);
        self.on_writable(id);
        self.on_readable(id, false);
    }

    /// A socket accepted by a listener: stored, registered, and announced with `open`.
    pub(crate) fn adopt_accepted(
        &self,
        listener: u64,
        stream: Stream,
        handlers: HandlerCell,
        data: UserData,
        allow_half_open: bool,
        tls: Option<(Arc<ServerTls>, Option<Duration>)>,
    ) {
        let _ = stream.set_nodelay(true);
        let (tls_state, handshake_limit) = match tls {
            Some((config, limit)) => match TlsState::server(&config) {
                Ok(state) => (Some(Box::new(state)), limit),
                Err(_) => return,
            },
            None => (None, None),
        };
        let (id, open) = {
            let mut st = self.st.borrow_mut();
            let mut socket = Socket::new(handlers, data, allow_half_open);
            socket.stream = Some(stream);
            socket.listener = Some(listener);
            socket.tls = tls_state;
            let effects = socket.state.connected(socket.announce());
            let now = st.books.now;
            // Accepted sockets start with Bun's 120 s idle timeout, counted from `open`.
            socket.timer.period = Some(ACCEPTED_IDLE_TIMEOUT);
            let Ok(id) = st.sockets.insert(socket) else { return };
            if let Some(l) = st.listeners.get_mut(listener) {
                l.live_sockets += 1;
            }
            let state = &mut *st;
            if let Some(s) = state.sockets.get_mut(id) {
                if s.state.life.open_fired() {
                    s.start_idle_timer(id, &mut state.books.timers, now);
                }
                if s.tls.is_some() {
                    if let Some(deadline) = handshake_limit.and_then(|limit| now.checked_add(limit)) {
                        state.books.handshake_deadlines.push(std::cmp::Reverse((deadline, id)));
                    }
                }
            }
            let registered = match state.sockets.get_mut(id) {
                Some(s) => self.register_socket(id, s).is_ok(),
                None => false,
            };
            if !registered {
                state.sockets.remove(id);
                return;
            }
            state.books.hold(true);
            state.books.counters.accepts += 1;
            (id, effects)
        };
        self.apply(id, open, None);
    }
}

impl EventLoop {
    /// Ends the connects whose deadline passed with -ETIMEDOUT (syscall "connect").
    pub(crate) fn expire_connects(&self) {
        let now = {
            let st = self.st.borrow();
            if st.books.connect_deadlines.is_empty() {
                return;
            }
            // Read now, not the loop time of the poll's wake-up: handlers ran since.
            Instant::now()
        };
        loop {
            if self.is_shut() {
                return;
            }
            let due = pop_due(&mut self.st.borrow_mut().books.connect_deadlines, now);
            let Some((at, id)) = due else { return };
            let err = || NetError::sys(-libc::ETIMEDOUT, c"connect", "(connect_timeout_ms passed)");
            match self.connect_stage(id, at) {
                Stage::Dialing => self.fail_connect(id, err()),
                Stage::Handshaking => self.tls_failed(id, err(), true),
                Stage::Done => continue,
            }
            self.after_dispatch();
        }
    }

    fn connect_stage(&self, id: u64, deadline: Instant) -> Stage {
        let st = self.st.borrow();
        let Some(s) = st.sockets.get(id) else { return Stage::Done };
        debug_assert!(s.listener.is_none(), "only client sockets have a connect deadline");
        if s.state.life.is_dialing() {
            return Stage::Dialing;
        }
        let bounded_handshake = s.state.life.is_connected()
            && s.tls.as_ref().is_some_and(|t| t.handshaking && t.connect_deadline == Some(deadline));
        if bounded_handshake { Stage::Handshaking } else { Stage::Done }
    }
}

/// The target addresses an attempt may be made to: with a local address, those of its family.
/// None left: EAFNOSUPPORT (syscall "bind"), since the local address cannot reach any of them.
fn only_local_family(addrs: Vec<SocketAddr>, local: LocalBind) -> Result<Vec<SocketAddr>, NetError> {
    let Some(from) = local.address else { return Ok(addrs) };
    let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    let kept: Vec<SocketAddr> = addrs.into_iter().filter(|a| local.allows(a)).collect();
    if kept.is_empty() {
        let family = if from.is_ipv6() { "IPv6" } else { "IPv4" };
        return Err(NetError::sys(
            -libc::EAFNOSUPPORT,
            c"bind",
            &format!("local_address {from} is {family} and no target address is ({})", shown.join(", ")),
        ));
    }
    Ok(kept)
}

/// Where a socket whose connect deadline passed is, and so how the timeout ends it.
enum Stage {
    /// Resolving or connecting: `connect_error`.
    Dialing,
    /// Connected, in the TLS handshake the deadline bounds: `connect_error` when `open` has
    /// not fired, else handshake(false), error, close (`tls_failed` picks the shape).
    Handshaking,
    /// Complete (or closed): the deadline is gone.
    Done,
}
