//! The loop: mio `Poll` + `Waker`; one tick = poll → dispatch → deferred work → timers → frees.
//!
//! State lives in a `RefCell` that is never borrowed while a handler runs, so handlers may call
//! back into the loop (write, close, connect, listen, stop, reload) on any socket. Sockets closed
//! during a tick keep their slot until the tick ends: their handle (and user data) stays readable
//! inside `close`, and a stale handle can never reach a reused slot.

use crate::books::{Books, Counters};
use crate::dns::{self, Resolved};
use crate::error::{EBUSY, ECLOSED, NetError};
use crate::handlers::Handlers;
use crate::listener::Listener;
use crate::observe::{HandlerTiming, Observed, TraceSink};
use crate::slab::{LOOP_ID_MAX, LoopIds, Slab, SlabKind};
use crate::socket::{Lifecycle, Socket};
use crate::timers::{Due, TimerHeap};
use crate::user_timers::UserTimers;
use crate::{SocketId, UserData};
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod close;
mod connect;
mod listen;
mod observe;
mod query;
mod read;
mod sockets;
/// Size of the loop-shared receive buffer (as uSockets): every `data` call points into it.
mod state;
#[cfg(test)]
mod tests;
mod tick;
mod timers;
mod tls;
mod write;
use state::Batch;
pub(crate) use state::{Lease, State, pop_due, take_due};
pub(crate) const RECV_BUFFER_SIZE: usize = 512 * 1024;
/// Reads of one socket per readiness event before others get a turn.
pub const READ_BUDGET: u32 = 4;
/// Accepts of one listener per readiness event before others get a turn.
pub(crate) const ACCEPT_BUDGET: u32 = 64;

const WAKER_TOKEN: Token = Token(usize::MAX);
const ID_BITS_WITHOUT_LOOP: u32 = 44;

/// The loop ids of the process: never two live loops with one id, and a reused id's handles
/// start above every generation the earlier loops with that id issued.
static LOOP_IDS: Mutex<LoopIds> = Mutex::new(LoopIds::new(LOOP_ID_MAX));

/// The kind of object a mio token names.
pub(crate) enum TokenTarget {
    Socket(u64),
    Listener(u64),
    /// An earlier connect attempt of a socket still racing (Happy Eyeballs): socket id, slot.
    Attempt(u64, usize),
    Waker,
}

// A token is `attempt slot << 48 | id without the loop bits << 2 | kind`; the waker's token
// (all ones) has kind 3, which no socket or listener uses.
const TOKEN_KIND_SOCKET: u64 = 0;
const TOKEN_KIND_LISTENER: u64 = 1;
const TOKEN_KIND_ATTEMPT: u64 = 2;
const TOKEN_SLOT_SHIFT: u32 = 48;

impl EventLoop {
    fn token(id: u64, kind: u64) -> Token {
        Token((((id & ((1 << ID_BITS_WITHOUT_LOOP) - 1)) << 2) | kind) as usize)
    }

    pub(crate) fn token_for_socket(id: u64) -> Token {
        Self::token(id, TOKEN_KIND_SOCKET)
    }

    pub(crate) fn token_for_listener(id: u64) -> Token {
        Self::token(id, TOKEN_KIND_LISTENER)
    }

    pub(crate) fn token_for_attempt(id: u64, slot: usize) -> Token {
        Token(Self::token(id, TOKEN_KIND_ATTEMPT).0 | (slot << TOKEN_SLOT_SHIFT))
    }

    fn token_target(&self, token: Token) -> TokenTarget {
        if token == WAKER_TOKEN {
            return TokenTarget::Waker;
        }
        let raw = token.0 as u64;
        let id = (u64::from(self.id) << ID_BITS_WITHOUT_LOOP) | ((raw >> 2) & ((1 << ID_BITS_WITHOUT_LOOP) - 1));
        match raw & 3 {
            TOKEN_KIND_LISTENER => TokenTarget::Listener(id),
            TOKEN_KIND_ATTEMPT => TokenTarget::Attempt(id, (raw >> TOKEN_SLOT_SHIFT) as usize),
            _ => TokenTarget::Socket(id),
        }
    }
}

/// One event loop. Single-threaded: every method must be called on the thread that created it
/// (the C shell enforces this; Rust's type system already does, `EventLoop` is neither Send nor Sync).
pub struct EventLoop {
    pub(crate) id: u32,
    /// The table `id` came from; it goes back there when the loop is dropped.
    ids: &'static Mutex<LoopIds>,
    pub(crate) st: RefCell<State>,
    pub(crate) registry: Registry,
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    ready: RefCell<Vec<(Token, mio::event::Event)>>,
    /// Index of the first event in `ready` not dispatched yet: non-zero only after a handler
    /// panicked halfway through a dispatch (the next poll dispatches the rest first).
    ready_next: Cell<usize>,
    pub(crate) recv_buf: RefCell<Vec<u8>>,
    /// Decrypted bytes of TLS sockets (the receive buffer holds their ciphertext).
    pub(crate) plain_buf: RefCell<Vec<u8>>,
    /// Client TLS configs by options' content: equal options share one session cache.
    pub(crate) client_tls: RefCell<crate::tls::ClientConfigCache>,
    waker: Arc<Waker>,
    dns_tx: Sender<Resolved>,
    dns_rx: Receiver<Resolved>,
    resolver: RefCell<Option<dns::Resolver>>,
    /// This loop's share of the resolver pool (the last loop dropped retires its threads).
    _resolver_pool: dns::PoolUser,
    /// Tasks posted from other threads; None once the loop is dropped (posts then fail).
    posted: Arc<Mutex<Option<Vec<Task>>>>,
    pub(crate) calls: Cell<u32>,
    /// Tracing or handler timing is on: handlers are called through `Observed` (src/observe.rs).
    /// The one flag the handler dispatch checks.
    pub(crate) observing: Cell<bool>,
    pub(crate) trace_sink: RefCell<Option<TraceSink>>,
    pub(crate) handler_timing: Cell<HandlerTiming>,
    polling: Cell<bool>,
    shut: Cell<bool>,
    closing_all: Cell<bool>,
}

/// Work handed to a loop from any thread; it runs on the loop's thread, inside `poll`.
pub type Task = Box<dyn FnOnce(&EventLoop) + Send>;

/// The thread-safe handle for posting work to a loop (see `EventLoop::poster`).
#[derive(Clone)]
pub struct Poster {
    queue: Arc<Mutex<Option<Vec<Task>>>>,
    waker: Arc<Waker>,
}

impl Poster {
    /// Queues `task` and wakes the loop; the task runs during its next `poll`. Fails with EINVAL
    /// once the loop was dropped (the task is dropped, never run).
    pub fn post(&self, task: Task) -> Result<(), NetError> {
        match self.queue.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            Some(queue) => queue.push(task),
            None => return Err(NetError::new(crate::error::EINVAL, "the loop was freed")),
        }
        self.waker.wake().map_err(|e| NetError::io(&e, c"write", "(eventfd)"))
    }
}

/// Resets the re-entrancy flag even when a handler panics.
struct PollingGuard<'a>(&'a Cell<bool>);

impl Drop for PollingGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl EventLoop {
    /// Creates a loop with its own epoll instance and waker.
    pub fn new() -> Result<EventLoop, NetError> {
        Self::with_ids(&LOOP_IDS)
    }

    /// A loop whose id comes from `ids` (the process-wide table, or a small one in tests).
    pub(crate) fn with_ids(ids: &'static Mutex<LoopIds>) -> Result<EventLoop, NetError> {
        let poll = Poll::new().map_err(|e| NetError::io(&e, c"epoll_create", ""))?;
        let registry = poll.registry().try_clone().map_err(|e| NetError::io(&e, c"dup", ""))?;
        let waker = Waker::new(&registry, WAKER_TOKEN).map_err(|e| NetError::io(&e, c"eventfd", ""))?;
        let (id, first_generation) = ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .acquire()
            .ok_or_else(|| NetError::new(-libc::EMFILE, "every loop id is in use"))?;
        let (dns_tx, dns_rx) = channel();
        let trace_sink = crate::observe::trace_env_on().then(crate::observe::stderr_sink);
        Ok(EventLoop {
            id,
            ids,
            st: RefCell::new(State {
                sockets: Slab::new(id, first_generation, SlabKind::Sockets),
                listeners: Slab::new(id, first_generation, SlabKind::Listeners),
                user_timers: UserTimers::new(id, first_generation),
                books: Books {
                    timers: TimerHeap::default(),
                    now: Instant::now(),
                    holds: 0,
                    read_again: Vec::new(),
                    accept_again: Vec::new(),
                    failures: Vec::new(),
                    corked: Vec::new(),
                    released: Vec::new(),
                    finishing: Vec::new(),
                    accept_retry: Vec::new(),
                    next_attempts: Vec::new(),
                    stopped_listeners: Vec::new(),
                    handshakes: 0,
                    handshake_deadlines: BinaryHeap::new(),
                    connect_deadlines: BinaryHeap::new(),
                    counters: Counters::default(),
                },
            }),
            registry,
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            ready: RefCell::new(Vec::with_capacity(1024)),
            ready_next: Cell::new(0),
            recv_buf: RefCell::new(vec![0; RECV_BUFFER_SIZE]),
            // Room for one receive buffer of plaintext plus what rustls may still hold.
            plain_buf: RefCell::new(vec![0; RECV_BUFFER_SIZE + 64 * 1024]),
            client_tls: RefCell::new(crate::tls::ClientConfigCache::default()),
            waker: Arc::new(waker),
            dns_tx,
            dns_rx,
            resolver: RefCell::new(None),
            _resolver_pool: dns::PoolUser::new(),
            posted: Arc::new(Mutex::new(Some(Vec::new()))),
            calls: Cell::new(0),
            observing: Cell::new(trace_sink.is_some()),
            trace_sink: RefCell::new(trace_sink),
            handler_timing: Cell::new(HandlerTiming::Off),
            polling: Cell::new(false),
            shut: Cell::new(false),
            closing_all: Cell::new(false),
        })
    }

    /// The loop's id (the high bits of every handle it mints).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The lowest generation in this loop's handles: a handle with its id and a lower generation
    /// belongs to an earlier loop that had the same id.
    pub(crate) fn first_generation(&self) -> u32 {
        self.st.borrow().sockets.first_generation()
    }

    /// A handle other threads use to hand work to this loop.
    pub fn poster(&self) -> Poster {
        Poster { queue: self.posted.clone(), waker: self.waker.clone() }
    }

    /// How long a host loop may wait before calling `poll(Some(ZERO))` again: Some(ZERO) when
    /// work is pending, the time to the next timer, or None (only I/O or a wakeup can bring work).
    pub fn next_timeout(&self) -> Option<Duration> {
        self.wait_timeout(None)
    }

    /// A waker usable from any thread: makes a blocked `poll` return.
    pub fn waker(&self) -> Arc<Waker> {
        self.waker.clone()
    }

    /// The epoll file descriptor: readable when `poll` has work (to embed the loop in another).
    pub fn backend_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.poll.borrow().as_raw_fd()
    }

    /// Whether any ref'd listener, socket, pending connect or pending timer remains.
    pub fn alive(&self) -> bool {
        let st = self.st.borrow();
        !self.shut.get() && (st.books.holds > 0 || st.user_timers.keeps_alive())
    }

    /// Sockets whose slots are not yet released (including connecting ones).
    pub fn socket_count(&self) -> usize {
        self.st.borrow().sockets.len()
    }

    /// Listeners that are still listening.
    pub fn listener_count(&self) -> usize {
        let st = self.st.borrow();
        st.listeners.ids().iter().filter(|id| st.listeners.get(**id).is_some_and(|l| l.is_listening())).count()
    }

    /// Whether a poll is running (a handler of this loop runs now, or is about to).
    pub(crate) fn is_polling(&self) -> bool {
        self.polling.get()
    }

    pub(crate) fn is_shut(&self) -> bool {
        self.shut.get()
    }

    pub(crate) fn refuse_if_shut(&self) -> Result<(), NetError> {
        if self.shut.get() || self.closing_all.get() {
            Err(NetError::new(ECLOSED, "the loop is being freed"))
        } else {
            Ok(())
        }
    }

    pub(crate) fn start_dns(&self, id: u64, host: String, port: u16) -> Result<dns::LookupTicket, NetError> {
        let custom = self.resolver.borrow().clone();
        dns::resolve_async(id, host, port, custom, self.dns_tx.clone(), self.waker.clone())
    }

    /// Replaces getaddrinfo for the host names that later connects on this loop look up (a
    /// service directory, a test's fixed answers); None restores getaddrinfo. IP literals and
    /// `listen` never use it.
    pub fn set_resolver(&self, resolver: Option<dns::Resolver>) {
        *self.resolver.borrow_mut() = resolver;
    }

    // ---- handler dispatch -------------------------------------------------------------------

    /// The handlers and user data of a socket that still has a slot.
    fn target(&self, id: u64) -> Option<(Rc<dyn Handlers>, UserData)> {
        let st = self.st.borrow();
        let s = st.sockets.get(id)?;
        Some((s.handlers.get(), s.data))
    }

    /// Runs one handler of socket `id` with no state borrowed. Returns false if the slot is gone.
    pub(crate) fn emit(&self, id: u64, call: impl FnOnce(&dyn Handlers, &EventLoop, SocketId, UserData)) -> bool {
        match self.target(id) {
            Some((handlers, data)) => {
                self.calls.set(self.calls.get().wrapping_add(1));
                if self.observing.get() {
                    call(&Observed { inner: &*handlers }, self, SocketId(id), data);
                } else {
                    call(&*handlers, self, SocketId(id), data);
                }
                true
            }
            None => false,
        }
    }

    // ---- the tick ---------------------------------------------------------------------------

    /// One iteration: waits up to `timeout` (None = until something happens) for readiness,
    /// dispatches handlers, runs deferred work and due timers. Returns how many handler calls it
    /// made. Fails with EBUSY when called from inside a handler.
    pub fn poll(&self, timeout: Option<Duration>) -> Result<u32, NetError> {
        if self.polling.get() {
            return Err(NetError::new(EBUSY, "bun_tcp_poll called from inside a handler"));
        }
        self.refuse_if_shut()?;
        self.polling.set(true);
        let _guard = PollingGuard(&self.polling);
        {
            let mut st = self.st.borrow_mut();
            st.books.handshakes = 0;
            st.books.counters.iterations += 1;
            st.books.counters.handler_calls += u64::from(self.calls.replace(0));
        }

        self.release_closed();
        self.after_dispatch();
        self.wait_and_dispatch(timeout)?;
        self.run_posted();
        self.resolve_answers();
        self.run_again_lists();
        self.fire_timers();
        self.expire_handshakes();
        self.expire_connects();
        self.retry_accepts();
        self.start_due_attempts();
        // Last: a timer started by any handler of this poll is armed at its end, so the next
        // poll's wait already counts it.
        self.fire_user_timers();
        self.release_closed();
        Ok(self.calls.get())
    }

    /// Polls until `alive()` is false.
    pub fn run(&self) -> Result<(), NetError> {
        // The same refusals as poll, before the liveness check: from inside one of its own
        // handlers (or a loop being freed) run fails even when nothing keeps the loop alive.
        if self.polling.get() {
            return Err(NetError::new(EBUSY, "bun_tcp_run called from inside a handler"));
        }
        self.refuse_if_shut()?;
        while self.alive() {
            self.poll(None)?;
        }
        Ok(())
    }

    fn wait_timeout(&self, requested: Option<Duration>) -> Option<Duration> {
        let st = self.st.borrow();
        let has_work = !st.books.read_again.is_empty()
            || !st.books.accept_again.is_empty()
            || !st.books.failures.is_empty()
            || !st.books.finishing.is_empty()
            || !st.books.corked.is_empty();
        if has_work || self.posted.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|q| !q.is_empty()) {
            return Some(Duration::ZERO);
        }
        let next_deadline = st
            .books
            .accept_retry
            .iter()
            .map(|(at, _)| *at)
            .chain(st.books.next_attempts.iter().map(|(at, _)| *at))
            .chain(st.books.handshake_deadlines.peek().map(|Reverse((at, _))| *at))
            .chain(st.books.connect_deadlines.peek().map(|Reverse((at, _))| *at))
            .min();
        let next_deadline = match (st.user_timers.next_due(), next_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let next = match (st.books.timers.next(), next_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let until_timer = next.map(|at| at.saturating_duration_since(Instant::now()));
        match (requested, until_timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn wait_and_dispatch(&self, timeout: Option<Duration>) -> Result<(), NetError> {
        let mut ready = Lease::take(&self.ready);
        // Events a panicking handler left undispatched go first: readiness is edge-triggered and
        // would not be reported again. With such events the wait does not block.
        let dispatched = self.ready_next.replace(0).min(ready.len());
        ready.drain(..dispatched);
        let timeout = if ready.is_empty() { self.wait_timeout(timeout) } else { Some(Duration::ZERO) };
        {
            let mut events = self.events.borrow_mut();
            match self.poll.borrow_mut().poll(&mut events, timeout) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(NetError::io(&e, c"epoll_wait", "")),
            }
            ready.extend(events.iter().map(|ev| (ev.token(), ev.clone())));
        }
        {
            let mut st = self.st.borrow_mut();
            st.books.now = Instant::now();
            st.books.counters.events += ready.len() as u64;
        }
        for (index, (token, event)) in ready.iter().enumerate() {
            if self.shut.get() {
                break;
            }
            // Counted as dispatched before its handlers run: an event whose handler panicked is
            // not delivered again.
            self.ready_next.set(index + 1);
            match self.token_target(*token) {
                TokenTarget::Waker => self.resolve_answers(),
                TokenTarget::Listener(id) => self.on_acceptable(id),
                TokenTarget::Socket(id) => self.on_socket_event(id, event),
                TokenTarget::Attempt(id, slot) => self.finish_racing_attempt(id, slot),
            }
            self.after_dispatch();
        }
        self.ready_next.set(0);
        ready.clear();
        Ok(())
    }

    fn on_socket_event(&self, id: u64, event: &mio::event::Event) {
        let (life, write_work) = match self.st.borrow().sockets.get(id) {
            Some(s) => (s.state.life, s.has_write_work()),
            None => return,
        };
        if life == Lifecycle::Connecting {
            if event.is_writable() || event.is_error() || event.is_write_closed() {
                self.finish_connect(id);
            }
            return;
        }
        if !life.is_connected() {
            return;
        }
        // A reset: the connection is dead. A paused socket still gets the bytes the kernel holds
        // (then the error), as in Bun. A socket that no longer reads and has nothing queued
        // closes with the error at once, before `drain` could invite a doomed write.
        if event.is_error() && self.mark_reset(id) && self.close_on_socket_error(id) {
            return;
        }
        // Writes first: a queued tail meeting the reset reports through `error` (the header: bun_tcp_socket_end).
        if event.is_writable() && write_work {
            self.on_writable(id);
        }
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            // Reading returns the queued bytes first, then the reset's error (close(err)).
            let edge = !event.is_read_closed() && !event.is_error();
            self.on_readable(id, edge);
        }
        // A socket that no longer reads (peer FIN seen, SHUT_RD) learns of the reset here.
        if event.is_error() {
            self.close_on_socket_error(id);
        }
    }

    pub(crate) fn register_socket(&self, id: u64, s: &mut Socket) -> std::io::Result<()> {
        match s.stream.as_mut() {
            Some(stream) => self.registry.register(
                stream.source(),
                EventLoop::token_for_socket(id),
                Interest::READABLE | Interest::WRITABLE,
            ),
            None => Ok(()),
        }
    }
}

impl Drop for EventLoop {
    /// Dropping a loop closes what is still open, as `close_all` does (handlers run).
    fn drop(&mut self) {
        self.close_all();
        // The id may serve a later loop, whose handles must start above every one of ours.
        // Posters may outlive the loop: their posts fail from now on, and queued tasks are dropped.
        let queued = self.posted.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(queued);
        let ceiling = self.st.borrow().generation_ceiling();
        self.ids.lock().unwrap_or_else(|p| p.into_inner()).release(self.id, ceiling);
    }
}
