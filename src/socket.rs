//! The socket state machine (resolving → connecting → open → closed) and its read and write paths.
//!
//! Rules this file keeps (SPEC §3):
//! - exactly one of `open` / `connect_error` per connect; `close` exactly once, last, and only for
//!   sockets that fired `open`;
//! - `write` is one non-blocking send (Bun's contract); `drain` follows a short write;
//! - `end` queues its whole chunk and sends FIN once the queue is flushed; reading goes on;
//! - a peer FIN closes the socket unless an `end` handler is set (then `allow_half_open` decides);
//! - failures found inside a call (a write error) are reported after the current handler returns,
//!   so a socket is never freed under its caller.

use crate::addr::{Host, UnixName, interleave_families, ip_text, parse_host};
use crate::error::{EBUSY, EENDED, ENOTSUP, NetError};
use crate::event_loop::{Books, EventLoop, Lease, READ_BUDGET};
use crate::handlers::{HandlerCell, Handlers, validate};
use crate::os::{self, Stream};
use crate::timers::IdleTimer;
use crate::tls::{self, ServerTls, TlsState};
use crate::write_queue::WriteQueue;
use crate::{ConnectOptions, ListenerId, SocketId, UserData};
use mio::Interest;
use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod state;
pub(crate) use state::{
    Announce, Cork, Drain, Effect, Effects, HalfOpen, Hold, Lifecycle, ReadSide, Reset, Side, SocketState, WriteSide,
};

/// The idle timeout accepted sockets start with (Bun's).
const ACCEPTED_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a connect attempt runs alone before the next address is tried beside it
/// (RFC 8305 §5 recommends 250 ms).
pub const CONNECT_ATTEMPT_DELAY: Duration = Duration::from_millis(250);

/// `bun_tcp_socket_ready_state` values.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ReadyState {
    Connecting = 2,
    Open = 1,
    /// `end` was called and its tail is still queued.
    Closing = 0,
    /// FIN sent (end flushed, or shutdown of the write side).
    WriteShut = -2,
    Closed = -1,
}

/// How `close_socket` ends the connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CloseHow {
    /// close(2): FIN, queued bytes discarded.
    Fin,
    /// SO_LINGER 0 then close(2): RST.
    Reset,
}

/// What the loop keeps per socket.
pub(crate) struct Socket {
    /// Lifecycle, read side, write side and flags (`state.rs`).
    pub state: SocketState,
    pub stream: Option<Stream>,
    pub handlers: HandlerCell,
    pub data: UserData,
    pub listener: Option<u64>,
    /// What a connect in flight needs; dropped once the socket is open, so an established
    /// socket does not carry it.
    pub dial: Option<Box<Dial>>,
    /// A failure waiting in `State::failures`.
    pub failure: Option<Box<NetError>>,
    pub queue: WriteQueue,
    pub timer: IdleTimer,
    pub bytes_written: u64,
    /// The TLS transport; None = plain.
    pub tls: Option<Box<TlsState>>,
    /// A reset found when the connect completed (SO_ERROR is cleared by reading it): reported
    /// after the bytes that arrived before it, instead of a FIN.
    pub pending_reset: Option<Box<NetError>>,
}

/// The state of a connect in flight.
#[derive(Default)]
pub(crate) struct Dial {
    /// Addresses still to try.
    pub addrs: VecDeque<SocketAddr>,
    /// Earlier connect attempts still in flight beside `stream` (Happy Eyeballs); a slot goes
    /// None when its attempt fails, so the slot numbers in their tokens stay valid.
    pub racing: Vec<Option<Stream>>,
    /// Counts attempts, so a stale "start the next attempt" deadline is ignored.
    pub attempt_seq: u32,
    /// The host and port (or path) for messages.
    pub target: String,
    /// The queued or running name look-up; dropping it (the socket closed) lets the resolver
    /// pool skip a look-up nobody waits for any more.
    pub lookup: Option<crate::dns::LookupTicket>,
}

impl Socket {
    fn dial(&mut self) -> &mut Dial {
        self.dial.get_or_insert_with(Box::default)
    }

    fn target(&self) -> String {
        self.dial.as_ref().map(|d| d.target.clone()).unwrap_or_default()
    }

    fn racing(&self) -> bool {
        self.dial.as_ref().is_some_and(|d| d.racing.iter().any(Option::is_some))
    }

    fn addrs_left(&self) -> bool {
        self.dial.as_ref().is_some_and(|d| !d.addrs.is_empty())
    }

    pub(crate) fn new(handlers: HandlerCell, data: UserData, allow_half_open: bool) -> Socket {
        Socket {
            state: SocketState::new(HalfOpen::of(allow_half_open)),
            stream: None,
            handlers,
            data,
            listener: None,
            dial: None,
            failure: None,
            queue: WriteQueue::default(),
            timer: IdleTimer::default(),
            bytes_written: 0,
            tls: None,
            pending_reset: None,
        }
    }

    /// Whether a writable edge has anything to do: bytes queued, TLS records, a FIN to send or
    /// a `drain` owed.
    pub(crate) fn has_write_work(&self) -> bool {
        !self.queue.is_empty() || self.tls.is_some() || self.state.drain == Drain::Owed || self.state.write.fin_owed()
    }

    fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.handshaking)
    }

    fn is_live(&self) -> bool {
        self.state.life.is_live()
    }

    /// (Re)starts the idle timeout at `open`: a period set earlier (the accepted sockets'
    /// default, or `set_timeout` on a client, where it ran as a connect timeout) counts from now.
    pub(crate) fn start_idle_timer(&mut self, id: u64, timers: &mut crate::timers::TimerHeap, now: Instant) {
        debug_assert!(self.state.life.open_fired(), "the idle timeout starts at open");
        if let Some((at, seq)) = self.timer.period.and_then(|period| self.timer.set(Some(period), now)) {
            timers.push(at, id, seq);
        }
    }

    /// Records activity for the idle timeout.
    pub(crate) fn touch(&mut self, id: u64, timers: &mut crate::timers::TimerHeap, now: std::time::Instant) {
        if let Some((at, seq)) = self.timer.touch(now) {
            timers.push(at, id, seq);
        }
    }
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

/// Sends the queue (and, for TLS, rustls' records) until everything left (Ok(true)), the kernel
/// is full (Ok(false)) or an error.
fn flush_queue(s: &mut Socket) -> io::Result<bool> {
    let Some(stream) = s.stream.as_ref() else { return Ok(false) };
    if let Some(tls) = s.tls.as_mut() {
        return tls::flush_queue_tls(stream, tls, &mut s.queue, &mut s.bytes_written);
    }
    while !s.queue.is_empty() {
        match stream.send_vectored(&s.queue.slices()) {
            Ok(n) => {
                s.queue.consume(n);
                s.bytes_written += n as u64;
            }
            Err(e) if would_block(&e) => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

impl EventLoop {
    fn with_socket<R>(
        &self,
        id: SocketId,
        f: impl FnOnce(&mut Socket, &mut Books) -> Result<R, NetError>,
    ) -> Result<R, NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        match state.sockets.get_mut(id.0) {
            Some(s) => f(s, &mut state.books),
            None => Err(NetError::closed()),
        }
    }

    pub(crate) fn with_live_socket<R>(
        &self,
        id: SocketId,
        f: impl FnOnce(&mut Socket, &mut Books) -> Result<R, NetError>,
    ) -> Result<R, NetError> {
        self.with_socket(id, |s, st| if s.is_live() { f(s, st) } else { Err(NetError::closed()) })
    }

    // ---- connect ---------------------------------------------------------------------------

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
            socket.tls = Some(Box::new(TlsState::client(tls::client_config(tls_opts, host)?)?));
        }
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
            Plan::Addrs(addrs) => socket.dial().addrs = addrs.iter().copied().collect(),
            Plan::Resolve(_) => socket.state.life = Lifecycle::Resolving,
        }
        let id = self
            .st
            .borrow_mut()
            .sockets
            .insert(socket)
            .map_err(|_| NetError::new(-libc::ENOMEM, "too many sockets in this loop"))?;
        self.st.borrow_mut().books.hold(true);
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
            Plan::Addrs(_) => {
                if let Err(e) = self.start_attempt(id, false) {
                    immediate_failure = Some(e);
                }
            }
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
    fn forget_unopened(&self, id: u64) {
        let mut st = self.st.borrow_mut();
        st.sockets.remove(id);
        st.books.hold(false);
    }

    /// Connects to the next address; on immediate errors tries the ones after it. With `race`,
    /// the attempt in flight keeps going beside the new one (Happy Eyeballs); without, it is
    /// dropped. While addresses remain, the next one starts after `CONNECT_ATTEMPT_DELAY`.
    fn start_attempt(&self, id: u64, race: bool) -> Result<(), NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let s = state.sockets.get_mut(id).ok_or_else(NetError::closed)?;
        let mut last = None;
        while let Some(addr) = s.dial().addrs.pop_front() {
            let mut stream = match os::connect_tcp(addr) {
                Ok(stream) => stream,
                Err(e) => {
                    last = Some(NetError::io(&e, c"connect", &addr.to_string()));
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
            if !dial.addrs.is_empty() {
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
                s.dial().addrs = interleave_families(addrs).into_iter().collect();
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
    fn connect_attempt_failed(&self, id: u64, err: NetError) {
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
    fn fail_connect(&self, id: u64, err: NetError) {
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
    fn socket_opened(&self, id: u64) {
        let open_now = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            debug_assert!(s.state.life.is_dialing(), "a socket connects once");
            s.dial = None;
            if let Some(stream) = s.stream.as_ref() {
                let _ = stream.set_nodelay(true);
            }
            let open_now = s.tls.is_none() || s.handlers.get().present().handshake;
            s.state.life = Lifecycle::connected(if open_now { Announce::Now } else { Announce::AfterHandshake });
            if open_now {
                let now = st.books.now;
                let state = &mut *st;
                if let Some(s) = state.sockets.get_mut(id) {
                    s.start_idle_timer(id, &mut state.books.timers, now);
                }
            }
            open_now
        };
        if open_now {
            self.emit(id, |h, lp, s, d| h.open(lp, s, d));
        }
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
        let (id, open_now) = {
            let mut st = self.st.borrow_mut();
            let mut socket = Socket::new(handlers, data, allow_half_open);
            socket.stream = Some(stream);
            socket.listener = Some(listener);
            let open_now = tls_state.is_none() || socket.handlers.get().present().handshake;
            socket.tls = tls_state;
            socket.state.life = Lifecycle::connected(if open_now { Announce::Now } else { Announce::AfterHandshake });
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
            (id, open_now)
        };
        if open_now {
            self.emit(id, |h, lp, s, d| h.open(lp, s, d));
        }
    }

    // ---- reading ---------------------------------------------------------------------------

    /// Reads until the kernel has nothing more, the socket stops reading, or the budget is used.
    ///
    /// `edge` says the call answers a fresh readiness event that did not report the peer's FIN:
    /// then a short read means the kernel buffer is empty, and anything arriving later (bytes or
    /// FIN) raises a new edge, so the extra read that would only return EAGAIN is skipped. Calls
    /// without such an event (resume, the fairness list) read until EAGAIN.
    pub(crate) fn on_readable(&self, id: u64, edge: bool) {
        let mut reads = 0;
        loop {
            let mut buf = Lease::take(&self.recv_buf);
            // One borrow per read: the read itself, the idle timer, and the handler to call.
            let result = {
                let mut st = self.st.borrow_mut();
                let state = &mut *st;
                match state.sockets.get_mut(id) {
                    Some(s) if s.tls.is_some() => {
                        drop(st);
                        drop(buf);
                        return self.on_readable_tls(id, edge);
                    }
                    // A socket whose send failed is reported by report_failure, not read: after
                    // a reset the read would return 0 and look like a FIN.
                    Some(s) if s.state.reads_now(s.failure.is_some()) => {
                        match s.stream.as_ref().map(|stream| stream.read(&mut buf)) {
                            Some(Ok(n)) if n > 0 => {
                                s.touch(id, &mut state.books.timers, state.books.now);
                                Ok((n, Some((s.handlers.get(), s.data))))
                            }
                            Some(Ok(_)) => Ok((0, None)),
                            Some(Err(e)) => Err(e),
                            None => Err(io::Error::from(ErrorKind::WouldBlock)),
                        }
                    }
                    _ => Err(io::Error::from(ErrorKind::WouldBlock)),
                }
            };
            match result {
                Ok((0, _)) | Ok((_, None)) => {
                    drop(buf);
                    return self.eof_or_pending_reset(id);
                }
                Ok((n, Some((handlers, data)))) => {
                    let short = n < buf.len();
                    self.calls.set(self.calls.get().wrapping_add(1));
                    handlers.data(self, SocketId(id), data, &buf[..n]);
                    drop(handlers);
                    drop(buf);
                    self.after_dispatch();
                    if short && edge {
                        return;
                    }
                    reads += 1;
                    if reads >= READ_BUDGET {
                        self.st.borrow_mut().books.read_again.push(id);
                        return;
                    }
                }
                Err(e) if would_block(&e) => {
                    drop(buf);
                    return;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {
                    drop(buf);
                }
                Err(e) => {
                    drop(buf);
                    // A peer reset goes to close(err), not to error.
                    let err = NetError::io(&e, c"read", "");
                    let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                    return;
                }
            }
        }
    }

    /// Records a reset; true when the socket has nothing left to do but learn the error: it no
    /// longer reads (peer FIN seen, SHUT_RD) and has no queued tail to report it through.
    pub(crate) fn mark_reset(&self, id: u64) -> bool {
        match self.st.borrow_mut().sockets.get_mut(id) {
            Some(s) => {
                s.state.reset = Reset::Seen;
                s.state.read.is_done() && s.queue.is_empty()
            }
            None => false,
        }
    }

    /// Closes an open socket that no longer reads with its pending SO_ERROR, if it has one and
    /// no failure is already on its way; true when it did.
    pub(crate) fn close_on_socket_error(&self, id: u64) -> bool {
        let pending = {
            let st = self.st.borrow();
            match st.sockets.get(id) {
                Some(s) if s.state.life.is_connected() && s.failure.is_none() && s.state.read.is_done() => {
                    match s.stream.as_ref().map(Stream::take_error) {
                        Some(Ok(Some(e))) => Some(e),
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        match pending {
            Some(e) => {
                // A reset goes to close(err), not to error (SPEC §3.1).
                let _ = self.close_socket(id, Some(NetError::io(&e, c"read", "")), CloseHow::Fin);
                true
            }
            None => false,
        }
    }

    /// End of stream: a FIN, unless a reset seen at connect completion is owed.
    pub(crate) fn eof_or_pending_reset(&self, id: u64) {
        let reset = self.st.borrow_mut().sockets.get_mut(id).and_then(|s| s.pending_reset.take()).map(|b| *b);
        match reset {
            Some(err) => {
                let _ = self.close_socket(id, Some(err), CloseHow::Fin);
            }
            None => self.peer_fin(id),
        }
    }

    /// The peer sent FIN.
    pub(crate) fn peer_fin(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            let has_end = s.handlers.get().present().end;
            s.state.peer_fin(has_end)
        };
        self.apply(id, effects, None);
    }

    /// Does what a transition of socket `id` asked for, in order. Each effect looks the socket
    /// up again: a handler fired by an earlier one may have closed it. `cause` is the error that
    /// `close` or `connect_error` reports.
    pub(crate) fn apply(&self, id: u64, effects: Effects, mut cause: Option<NetError>) {
        for effect in effects.iter() {
            match effect {
                Effect::FireEnd => {
                    self.emit(id, |h, lp, s, d| h.end(lp, s, d));
                }
                Effect::FireDrain => {
                    self.emit(id, |h, lp, s, d| h.drain(lp, s, d));
                }
                Effect::FireClose => {
                    let err = cause.take();
                    self.emit(id, |h, lp, s, d| h.close(lp, s, d, err.as_ref()));
                }
                Effect::FireConnectError => {
                    debug_assert!(cause.is_some(), "connect_error always has a cause");
                    let err = cause.take().unwrap_or_else(|| NetError::sys(-libc::ECANCELED, c"connect", ""));
                    self.emit(id, |h, lp, s, d| h.connect_error(lp, s, d, &err));
                }
                Effect::EndWriteSide => {
                    let more = self.st.borrow_mut().sockets.get_mut(id).map(|s| s.state.end_write_side());
                    if let Some(more) = more {
                        self.apply(id, more, None);
                    }
                }
                Effect::RunWritePath => self.on_writable(id),
                Effect::FinishLater => self.maybe_finish(id),
                Effect::Release(hold) => {
                    let mut st = self.st.borrow_mut();
                    st.books.released.push(id);
                    if hold == Hold::Refd {
                        st.books.hold(false);
                    }
                }
            }
        }
    }

    fn both_sides_done(&self, id: u64) -> bool {
        self.st.borrow().sockets.get(id).is_some_and(|s| s.state.both_sides_done())
    }

    /// A socket whose both directions are done closes once the current handler returns (as in
    /// Bun), so `close` never runs nested inside the `end`, `shutdown` or `end()` that finished it.
    fn maybe_finish(&self, id: u64) {
        if self.both_sides_done(id) {
            self.st.borrow_mut().books.finishing.push(id);
        }
    }

    pub(crate) fn finish_if_done(&self, id: u64) {
        if self.both_sides_done(id) {
            let _ = self.close_socket(id, None, CloseHow::Fin);
        }
    }

    // ---- writing ---------------------------------------------------------------------------

    /// The socket can take more: flush the queue, send FIN if ending, fire `drain` if owed.
    pub(crate) fn on_writable(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let now = st.books.now;
            let state = &mut *st;
            let Some(s) = state.sockets.get_mut(id) else { return };
            if !s.state.life.is_connected() || s.state.cork == Cork::On {
                return;
            }
            // Most writable edges find nothing to send, no FIN to send and no drain owed.
            if !s.has_write_work() {
                return;
            }
            let before = s.bytes_written;
            match flush_queue(s) {
                Ok(true) => {}
                Ok(false) => {
                    if s.bytes_written != before {
                        s.touch(id, &mut state.books.timers, now);
                    }
                    return;
                }
                Err(e) => {
                    let err = NetError::io(&e, c"write", "");
                    if s.failure.is_none() {
                        s.failure = Some(Box::new(err));
                        state.books.failures.push(id);
                    }
                    return;
                }
            }
            if s.bytes_written != before {
                s.touch(id, &mut state.books.timers, now);
            }
            if s.handshaking() {
                return;
            }
            if s.state.write.fin_owed() {
                if let (Some(stream), Some(tls)) = (s.stream.as_ref(), s.tls.as_mut()) {
                    if !tls.close_notify_sent {
                        tls.conn.send_close_notify();
                        tls.close_notify_sent = true;
                    }
                    match tls::flush_tls(stream, tls) {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(e) => {
                            if s.failure.is_none() {
                                s.failure = Some(Box::new(NetError::io(&e, c"write", "")));
                                state.books.failures.push(id);
                            }
                            return;
                        }
                    }
                }
                if let Some(stream) = s.stream.as_ref() {
                    let _ = stream.shutdown(Shutdown::Write);
                }
                s.state.write = s.state.write.fin_sent();
            }
            s.state.flushed()
        };
        self.apply(id, effects, None);
    }

    /// Checks that a socket can take writes; Ok(false) = not yet (connecting).
    fn writable_now(s: &Socket) -> Result<bool, NetError> {
        if let Some(f) = &s.failure {
            return Err((**f).clone());
        }
        if s.state.write.is_ended() {
            return Err(NetError::new(EENDED, "write after end or shutdown"));
        }
        Ok(s.state.life.is_connected() && !s.handshaking())
    }

    /// One non-blocking send (Bun's unbuffered contract): returns the bytes accepted, 0..len.
    /// While bytes are queued it returns 0 rather than jump the queue; while corked it queues all.
    pub fn write(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, st| {
            if !EventLoop::writable_now(s)? {
                s.state.drain = Drain::Owed;
                return Ok(0);
            }
            if bytes.is_empty() {
                return Ok(0);
            }
            if s.state.cork == Cork::On {
                s.queue.push(bytes);
                return Ok(bytes.len());
            }
            if !s.queue.is_empty() {
                s.state.drain = Drain::Owed;
                return Ok(0);
            }
            send_now(id.0, s, st, bytes)
        })
    }

    /// Accepts every byte: sends what the kernel takes and queues the rest; `drain` fires when
    /// the queue is empty again.
    pub fn write_all(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, st| {
            let open = EventLoop::writable_now(s)?;
            if bytes.is_empty() {
                return Ok(0);
            }
            if s.state.cork == Cork::On {
                s.queue.push(bytes);
                return Ok(bytes.len());
            }
            if !open || !s.queue.is_empty() {
                s.queue.push(bytes);
                s.state.drain = Drain::Owed;
                return Ok(bytes.len());
            }
            let sent = send_now(id.0, s, st, bytes)?;
            if sent < bytes.len() {
                s.queue.push(&bytes[sent..]);
                s.state.drain = Drain::Owed;
            }
            Ok(bytes.len())
        })
    }

    /// Sends `bytes` then FIN: the whole chunk is accepted (the rest queued), writes are refused
    /// from now on, the socket stays readable. Returns `bytes.len()`.
    pub fn end(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        let open = self.with_live_socket(id, |s, st| {
            let open = EventLoop::writable_now(s)?;
            let mut sent = 0;
            if open && s.state.cork == Cork::Off && s.queue.is_empty() && !bytes.is_empty() {
                sent = send_now(id.0, s, st, bytes)?;
            }
            s.queue.push(&bytes[sent..]);
            s.state.write = s.state.write.end().0;
            Ok(open)
        })?;
        if open {
            self.on_writable(id.0);
        }
        Ok(bytes.len())
    }

    /// shutdown(2): the read side stops delivery; the write side sends FIN now (queued bytes are
    /// dropped; use `end` to flush first).
    pub fn shutdown_socket(&self, id: SocketId, read_side: bool) -> Result<(), NetError> {
        let effects = self.with_live_socket(id, |s, _| {
            if !s.state.life.is_connected() {
                return Err(NetError::new(-libc::ENOTCONN, "shutdown on a socket that is not connected"));
            }
            let how = if read_side { Shutdown::Read } else { Shutdown::Write };
            if let Some(stream) = s.stream.as_ref() {
                let _ = stream.shutdown(how);
            }
            if read_side {
                Ok(s.state.shutdown(Side::Read))
            } else {
                s.queue.clear();
                Ok(s.state.shutdown(Side::Write))
            }
        })?;
        self.apply(id.0, effects, None);
        Ok(())
    }

    /// Sends queued bytes now (Ok) — for callers that queued with `write_all` or corked.
    pub fn flush(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |_, _| Ok(()))?;
        self.uncork_now(id.0);
        Ok(())
    }

    /// Coalesces writes until `uncork` or until the current handler returns.
    pub fn cork(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |s, st| {
            if s.state.cork == Cork::Off {
                s.state.cork = Cork::On;
                st.corked.push(id.0);
            }
            Ok(())
        })
    }

    /// Sends what was written while corked, in one writev.
    pub fn uncork(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |_, _| Ok(()))?;
        self.uncork_now(id.0);
        Ok(())
    }

    pub(crate) fn uncork_now(&self, id: u64) {
        {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            s.state.cork = Cork::Off;
            if !s.state.life.is_connected() {
                return;
            }
        }
        self.on_writable(id);
        let mut st = self.st.borrow_mut();
        if let Some(s) = st.sockets.get_mut(id) {
            // What the kernel did not take leaves from the writable path; drain follows.
            if !s.queue.is_empty() && s.state.write == WriteSide::Open {
                s.state.drain = Drain::Owed;
            }
        }
    }

    // ---- closing ---------------------------------------------------------------------------

    /// Closes now: FIN (or RST), queued bytes discarded, `close` (or `connect_error` for a
    /// connect still in flight, with ECANCELED) fires before this returns.
    pub(crate) fn close_socket(&self, id: u64, err: Option<NetError>, how: CloseHow) -> Result<(), NetError> {
        let effects = {
            let mut st = self.st.borrow_mut();
            let s = st.sockets.get_mut(id).ok_or_else(NetError::closed)?;
            if !s.is_live() {
                return Err(NetError::closed());
            }
            if !s.state.life.open_fired() && s.listener.is_none() {
                // A client that never opened ends with connect_error, never close.
                drop(st);
                let err =
                    err.unwrap_or_else(|| NetError::sys(-libc::ECANCELED, c"connect", "(closed while connecting)"));
                self.fail_connect(id, err);
                return Ok(());
            }
            // A server socket whose TLS handshake never completed closes without handlers.
            let effects = s.state.close();
            if let (Some(stream), Some(tls)) = (s.stream.as_ref(), s.tls.as_mut()) {
                // Best effort: a TLS peer learns that the close was deliberate.
                if how == CloseHow::Fin && !tls.handshaking && !tls.close_notify_sent {
                    tls.conn.send_close_notify();
                    tls.close_notify_sent = true;
                    let _ = tls::flush_tls(stream, tls);
                }
            }
            if let Some(stream) = s.stream.take() {
                if how == CloseHow::Reset {
                    let _ = stream.set_linger_zero();
                }
                drop(stream);
            }
            s.queue.clear();
            s.failure = None;
            effects
        };
        self.apply(id, effects, err);
        Ok(())
    }

    /// Takes an open plain socket out of this loop and returns its descriptor, still connected:
    /// the handle goes stale and no handler fires (not even `close`). For moving a connection
    /// to another loop (`adopt` there). Bytes the kernel holds move with the descriptor.
    /// Refused with EBUSY while bytes wait in the write queue (wait for `drain`), with ENOTSUP
    /// for TLS sockets (the session cannot move) and sockets that are not open.
    pub fn detach(&self, id: SocketId) -> Result<OwnedFd, NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let s = state.sockets.get_mut(id.0).ok_or_else(NetError::closed)?;
        if !s.state.life.is_connected() || s.stream.is_none() {
            return Err(NetError::new(ENOTSUP, "only an open socket can be detached"));
        }
        if s.tls.is_some() {
            return Err(NetError::new(
                ENOTSUP,
                "a TLS socket cannot be detached: its session state stays in this loop",
            ));
        }
        if let Some(f) = &s.failure {
            return Err((**f).clone());
        }
        if !s.queue.is_empty() {
            return Err(NetError::new(
                EBUSY,
                format!("{} bytes wait in the write queue: detach after drain", s.queue.len()),
            ));
        }
        let Some(mut stream) = s.stream.take() else { return Err(NetError::closed()) };
        let _ = self.registry.deregister(stream.source());
        let effects = s.state.detach();
        drop(st);
        self.apply(id.0, effects, None);
        Ok(stream.into_fd())
    }

    /// Makes a connected stream socket (from `detach` on another loop, or made elsewhere) a
    /// socket of this loop. `open` fires from the loop, as for a connect; then data flows. On
    /// error nothing fires and the descriptor is handed back with the error: EINVAL for a
    /// listening socket, ENOTCONN for an unconnected one, EPROTOTYPE for a datagram socket,
    /// ENOTSOCK for a descriptor that is no socket. The loop takes the descriptor only once
    /// everything that can fail has run: if anything here panicked, the descriptor would be left
    /// open (the caller's), never closed by the unwind.
    pub fn adopt(
        &self,
        fd: OwnedFd,
        data: UserData,
        allow_half_open: bool,
        handlers: Rc<dyn Handlers>,
    ) -> Result<SocketId, (NetError, OwnedFd)> {
        use std::mem::ManuallyDrop;
        use std::os::fd::AsFd;
        let loan = ManuallyDrop::new(fd);
        let checked = self
            .refuse_if_shut()
            .and_then(|()| validate(&*handlers))
            .and_then(|()| os::check_adoptable(loan.as_fd()).map_err(|e| NetError::io(&e, c"adopt", "")));
        let family = match checked {
            Ok(family) => family,
            Err(e) => return Err((e, ManuallyDrop::into_inner(loan))),
        };
        let mut socket = Socket::new(HandlerCell::new(handlers), data, allow_half_open);
        socket.dial().target = os::peer_text(loan.as_fd());
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let Ok(id) = state.sockets.insert(socket) else {
            let err = NetError::new(-libc::ENOMEM, "too many sockets in this loop");
            return Err((err, ManuallyDrop::into_inner(loan)));
        };
        // Registered as a connect in flight: the first writable event finds it connected and
        // runs the usual open path (open, queued writes, pending bytes).
        let mut stream = ManuallyDrop::new(Stream::wrap(ManuallyDrop::into_inner(loan), family));
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.registry.register(stream.source(), EventLoop::token_for_socket(id), interest) {
            state.sockets.remove(id);
            return Err((NetError::io(&e, c"epoll_ctl", ""), ManuallyDrop::into_inner(stream).into_fd()));
        }
        // From here the loop owns the descriptor.
        match state.sockets.get_mut(id) {
            Some(s) => s.stream = Some(ManuallyDrop::into_inner(stream)),
            None => debug_assert!(false, "the slot inserted above is gone"),
        }
        state.books.hold(true);
        Ok(SocketId(id))
    }

    /// Closes with FIN; queued bytes are discarded. `close` fires before this returns.
    pub fn close(&self, id: SocketId) -> Result<(), NetError> {
        self.close_socket(id.0, None, CloseHow::Fin)
    }

    /// Closes with RST (SO_LINGER 0). `close` fires before this returns.
    pub fn terminate(&self, id: SocketId) -> Result<(), NetError> {
        self.close_socket(id.0, None, CloseHow::Reset)
    }

    /// Reports a failure recorded inside an earlier call.
    pub(crate) fn report_failure(&self, id: u64) {
        let (life, err, has_error_handler, handshaking) = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            let Some(err) = s.failure.take().map(|b| *b) else { return };
            (s.state.life, err, s.handlers.get().present().error, s.handshaking())
        };
        match life {
            Lifecycle::Connecting | Lifecycle::Resolving => self.connect_attempt_failed(id, err),
            // A send that fails mid-handshake (the peer reset) fails the handshake: the same
            // shape as a read that finds the reset (handshake(false), error, close, or
            // connect_error for a client that has not opened).
            Lifecycle::Open | Lifecycle::OpenDeferred(_) if handshaking => self.tls_failed(id, err, true),
            Lifecycle::Open | Lifecycle::OpenDeferred(_) => {
                if has_error_handler {
                    self.emit(id, |h, lp, s, d| h.error(lp, s, d, &err));
                    let _ = self.close_socket(id, None, CloseHow::Fin);
                } else {
                    let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                }
            }
            Lifecycle::Closed => {}
        }
    }

    // ---- flow control, liveness, timers ----------------------------------------------------

    /// Stops reading (no `data`, FIN deferred) until `resume`.
    pub fn pause(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| {
            s.state.read = s.state.read.pause();
            Ok(())
        })
    }

    /// Starts reading again; bytes that arrived meanwhile are delivered from the loop.
    pub fn resume(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |s, st| {
            let (read, read_now) = s.state.read.resume();
            s.state.read = read;
            if read_now {
                st.read_again.push(id.0);
            }
            Ok(())
        })
    }

    /// Whether this socket keeps the loop alive (an idempotent flag).
    pub fn set_ref(&self, id: SocketId, on: bool) -> Result<(), NetError> {
        self.with_live_socket(id, |s, st| {
            if s.state.hold != Hold::of(on) {
                s.state.hold = Hold::of(on);
                st.hold(on);
            }
            Ok(())
        })
    }

    /// Arms the idle timeout (None or zero disables): `timeout` fires once the socket has been
    /// idle that long (every read and write resets it); the socket is not closed.
    pub fn set_timeout(&self, id: SocketId, period: Option<Duration>) -> Result<(), NetError> {
        self.with_live_socket(id, |s, st| {
            let period = period.filter(|p| !p.is_zero());
            if let Some((at, seq)) = s.timer.set(period, std::time::Instant::now()) {
                st.timers.push(at, id.0, seq);
            }
            Ok(())
        })
    }

    // ---- user data, handlers, queries -------------------------------------------------------

    /// The socket's user data (readable inside `close` and `connect_error`).
    pub fn data(&self, id: SocketId) -> Result<UserData, NetError> {
        self.with_socket(id, |s, _| Ok(s.data))
    }

    pub fn set_data(&self, id: SocketId, data: UserData) -> Result<(), NetError> {
        self.with_socket(id, |s, _| {
            s.data = data;
            Ok(())
        })
    }

    /// Gives this socket its own handler table, used from its next event.
    pub fn reload_socket(&self, id: SocketId, handlers: Rc<dyn Handlers>) -> Result<(), NetError> {
        validate(&*handlers)?;
        self.with_live_socket(id, |s, _| {
            s.handlers = HandlerCell::new(handlers);
            Ok(())
        })
    }

    pub fn ready_state(&self, id: SocketId) -> ReadyState {
        self.with_socket(id, |s, _| {
            Ok(match (s.state.life, s.state.write) {
                (Lifecycle::Resolving | Lifecycle::Connecting, _) => ReadyState::Connecting,
                (Lifecycle::Closed, _) => ReadyState::Closed,
                (_, WriteSide::Shut) => ReadyState::WriteShut,
                (_, WriteSide::Ending) => ReadyState::Closing,
                (_, WriteSide::Open) => ReadyState::Open,
            })
        })
        .unwrap_or(ReadyState::Closed)
    }

    fn stream_query<R>(&self, id: SocketId, f: impl FnOnce(&Stream) -> Option<R>) -> Result<R, NetError> {
        self.with_live_socket(id, |s, _| {
            let stream =
                s.stream.as_ref().ok_or_else(|| NetError::new(-libc::ENOTCONN, "the socket is not connected"))?;
            f(stream).ok_or_else(|| NetError::new(-libc::ENOTCONN, "no such address for this socket"))
        })
    }

    /// The peer's IP as text ("127.0.0.1", "::1"); IPv4-mapped addresses print as IPv4.
    pub fn remote_address(&self, id: SocketId) -> Result<String, NetError> {
        self.stream_query(id, |st| st.peer_addr().map(|a| ip_text(&a)))
    }

    pub fn remote_port(&self, id: SocketId) -> Result<u16, NetError> {
        self.stream_query(id, |st| st.peer_addr().map(|a| a.port()))
    }

    pub fn local_address(&self, id: SocketId) -> Result<String, NetError> {
        self.stream_query(id, |st| st.local_addr().map(|a| ip_text(&a)))
    }

    pub fn local_port(&self, id: SocketId) -> Result<u16, NetError> {
        self.stream_query(id, |st| st.local_addr().map(|a| a.port()))
    }

    pub fn socket_fd(&self, id: SocketId) -> Result<i32, NetError> {
        self.stream_query(id, |st| Some(st.raw_fd()))
    }

    pub fn bytes_written(&self, id: SocketId) -> Result<u64, NetError> {
        self.with_socket(id, |s, _| Ok(s.bytes_written))
    }

    pub fn buffered_amount(&self, id: SocketId) -> Result<usize, NetError> {
        self.with_socket(id, |s, _| Ok(s.queue.len()))
    }

    /// The listener that accepted this socket (None for client sockets).
    pub fn socket_listener(&self, id: SocketId) -> Result<Option<ListenerId>, NetError> {
        self.with_socket(id, |s, _| Ok(s.listener.map(ListenerId)))
    }

    pub fn set_no_delay(&self, id: SocketId, on: bool) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| match s.stream.as_ref() {
            Some(stream) => stream.set_nodelay(on).map_err(|e| NetError::io(&e, c"setsockopt", "TCP_NODELAY")),
            None => Err(NetError::new(-libc::ENOTCONN, "the socket is not connected")),
        })
    }

    /// SO_KEEPALIVE with TCP_KEEPIDLE = `initial_delay` rounded down to seconds (at least 1), or
    /// off (the delay is then unused). The delay is checked against the kernel's limit before
    /// anything is applied, so an error leaves the socket's options as they were.
    pub fn set_keep_alive(&self, id: SocketId, on: bool, initial_delay: Duration) -> Result<(), NetError> {
        let setting = if on {
            let idle = os::keepalive_idle(initial_delay).map_err(|secs| {
                let max = *os::TCP_KEEPIDLE_SECS.end();
                NetError::invalid(format!(
                    "initial_delay_ms is {} ms ({secs} s); the kernel's TCP_KEEPIDLE limit is {max} s ({} ms)",
                    initial_delay.as_millis(),
                    u64::from(max) * 1000 + 999
                ))
            })?;
            os::KeepAlive::On(idle)
        } else {
            os::KeepAlive::Off
        };
        self.with_live_socket(id, |s, _| match s.stream.as_ref() {
            Some(stream) => stream.set_keepalive(setting).map_err(|e| NetError::io(&e, c"setsockopt", "SO_KEEPALIVE")),
            None => Err(NetError::new(-libc::ENOTCONN, "the socket is not connected")),
        })
    }
}

/// One send on an open socket with an empty queue; records failures for later reporting.
fn send_now(id: u64, s: &mut Socket, st: &mut Books, bytes: &[u8]) -> Result<usize, NetError> {
    let Some(stream) = s.stream.as_ref() else { return Ok(0) };
    let sent = match s.tls.as_mut() {
        Some(tls) => tls::send_tls(stream, tls, bytes),
        // EINTR is retried here: treated as "try later", it would wait for a writable edge that an
        // already writable socket never raises again, and `drain` would never fire.
        None => loop {
            match stream.send(bytes) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other,
            }
        },
    };
    match sent {
        Ok(n) => {
            s.bytes_written += n as u64;
            if n > 0 {
                let now = st.now;
                s.touch(id, &mut st.timers, now);
            }
            if n < bytes.len() {
                s.state.drain = Drain::Owed;
            }
            Ok(n)
        }
        Err(e) if would_block(&e) || e.kind() == ErrorKind::Interrupted => {
            s.state.drain = Drain::Owed;
            Ok(0)
        }
        Err(e) => {
            let err = NetError::io(&e, c"write", "");
            if s.failure.is_none() {
                s.failure = Some(Box::new(err.clone()));
                st.failures.push(id);
            }
            Err(err)
        }
    }
}
