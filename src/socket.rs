//! A socket's record (`Socket`, `Dial`): its descriptor, transport (plain or TLS), queue, timer
//! and state. No handler runs in this module and nothing here knows the loop: the loop
//! (`event_loop/`) borrows a record, asks it, releases it, then applies the `Effects` it returned
//! (`event_loop/sockets.rs`). Beside this file:
//! - `state.rs`: the state as types (lifecycle, read side, write side, flags);
//! - `transitions.rs`: the transitions that return `Effects`; unit-tested without sockets;
//! - `read.rs`: one plain read with its bookkeeping;
//! - `write.rs`: the write path on the record (one send, the queue, FIN, the writable edge).
//!
//! Rules these files keep (the header):
//! - exactly one of `open` / `connect_error` per connect; `close` exactly once, last, and only for
//!   sockets that fired `open`;
//! - `write` is one non-blocking send (Bun's contract); `drain` follows a short write;
//! - `end` queues its whole chunk and sends FIN once the queue is flushed; reading goes on;
//! - a peer FIN closes the socket unless an `end` handler is set (then `allow_half_open` decides);
//! - failures found inside a call (a write error) are reported after the current handler returns,
//!   so a socket is never freed under its caller.

use crate::UserData;
use crate::books::Books;
use crate::error::{EENDED, NetError};
use crate::handlers::{HandlerCell, Handlers};
use crate::os::Stream;
use crate::timers::IdleTimer;
use crate::tls::{self, TlsState};
use crate::write_queue::WriteQueue;
use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

mod read;
mod state;
mod transitions;
mod write;
pub(crate) use read::PlainRead;
pub(crate) use state::{
    Announce, Cork, Drain, HalfOpen, Hold, Lifecycle, ReadSide, Reset, Side, SocketState, WriteSide,
};
pub(crate) use transitions::{Effect, Effects};

/// The idle timeout accepted sockets start with (Bun's).
pub(crate) const ACCEPTED_IDLE_TIMEOUT: Duration = Duration::from_secs(120);

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
    /// The most `write_all` and `end` may leave queued (the header: bun_tcp_socket_set_write_limit).
    pub write_limit: WriteLimit,
    pub timer: IdleTimer,
    pub bytes_written: u64,
    /// The TLS transport; None = plain.
    pub tls: Option<Box<TlsState>>,
    /// A reset found when the connect completed (SO_ERROR is cleared by reading it): reported
    /// after the bytes that arrived before it, instead of a FIN.
    pub pending_reset: Option<Box<NetError>>,
}

/// How many bytes `write_all` and `end` may leave in a socket's queue.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WriteLimit {
    /// No limit (the default): the queue grows as the peer lags.
    None,
    /// A chunk is accepted only if the queue plus the chunk stay within this many bytes.
    AtMost(usize),
}

impl WriteLimit {
    /// 0 means no limit (the header's convention).
    pub fn from_max(max_buffered: usize) -> WriteLimit {
        if max_buffered == 0 { WriteLimit::None } else { WriteLimit::AtMost(max_buffered) }
    }

    /// Whether a chunk of `len` bytes may join `queued` bytes: queued + len <= max, as the header
    /// says, also for len 0 (an `end` without bytes on a queue already past a lowered limit waits
    /// for `drain` like any other chunk).
    #[inline]
    pub fn admits(self, queued: usize, len: usize) -> bool {
        match self {
            WriteLimit::None => true,
            WriteLimit::AtMost(max) => queued.checked_add(len).is_some_and(|total| total <= max),
        }
    }
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
    /// TCP_NODELAY and keep-alive asked for while connecting: applied to the attempt in flight
    /// and again to whichever attempt wins, at open (which otherwise turns TCP_NODELAY on).
    pub no_delay: Option<bool>,
    pub keep_alive: Option<crate::os::KeepAlive>,
    /// `local_address` / `local_port`: what every attempt binds before connecting.
    pub local: LocalBind,
}

/// The local end a connect asked for.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct LocalBind {
    /// Only target addresses of this address's family are tried.
    pub address: Option<std::net::IpAddr>,
    /// 0 = any. With a port, attempts run one at a time (two cannot hold one port).
    pub port: u16,
}

impl LocalBind {
    /// The address to bind for an attempt to `target`; None = no bind (the kernel picks).
    pub fn for_target(self, target: SocketAddr) -> Option<SocketAddr> {
        let ip = match (self.address, target) {
            (Some(ip), _) => ip,
            (None, _) if self.port == 0 => return None,
            (None, SocketAddr::V4(_)) => std::net::Ipv4Addr::UNSPECIFIED.into(),
            (None, SocketAddr::V6(_)) => std::net::Ipv6Addr::UNSPECIFIED.into(),
        };
        Some(SocketAddr::new(ip, self.port))
    }

    /// Whether an attempt to `target` may be made (its family matches the local address's).
    pub fn allows(self, target: &SocketAddr) -> bool {
        self.address.is_none_or(|ip| ip.is_ipv6() == target.is_ipv6())
    }

    /// Whether attempts race (Happy Eyeballs) or run one after the other.
    pub fn attempts(self) -> Attempts {
        if self.port == 0 { Attempts::Race } else { Attempts::OneAtATime }
    }
}

/// How the attempts of a connect to several addresses run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Attempts {
    /// The next starts beside the one in flight after `CONNECT_ATTEMPT_DELAY`.
    Race,
    /// The next starts only when the one in flight failed (a fixed local port).
    OneAtATime,
}

impl Socket {
    pub(crate) fn dial(&mut self) -> &mut Dial {
        self.dial.get_or_insert_with(Box::default)
    }

    pub(crate) fn target(&self) -> String {
        self.dial.as_ref().map(|d| d.target.clone()).unwrap_or_default()
    }

    pub(crate) fn racing(&self) -> bool {
        self.dial.as_ref().is_some_and(|d| d.racing.iter().any(Option::is_some))
    }

    pub(crate) fn addrs_left(&self) -> bool {
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
            write_limit: WriteLimit::None,
            timer: IdleTimer::default(),
            bytes_written: 0,
            tls: None,
            pending_reset: None,
        }
    }

    /// When `open` fires: at once, or for TLS without a `handshake` handler after the handshake.
    #[inline]
    pub(crate) fn announce(&self) -> Announce {
        if self.tls.is_none() || self.handlers.get().present().handshake {
            Announce::Now
        } else {
            Announce::AfterHandshake
        }
    }

    /// Whether a writable edge has anything to do: bytes queued, TLS records, a FIN to send or
    /// a `drain` owed.
    #[inline]
    pub(crate) fn has_write_work(&self) -> bool {
        !self.queue.is_empty() || self.tls.is_some() || self.state.drain == Drain::Owed || self.state.write.fin_owed()
    }

    #[inline]
    pub(crate) fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.handshaking)
    }

    #[inline]
    pub(crate) fn is_live(&self) -> bool {
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
    #[inline]
    pub(crate) fn touch(&mut self, id: u64, timers: &mut crate::timers::TimerHeap, now: std::time::Instant) {
        if let Some((at, seq)) = self.timer.touch(now) {
            timers.push(at, id, seq);
        }
    }
}

#[inline]
fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use super::WriteLimit;

    #[test]
    fn a_write_limit_admits_a_chunk_only_within_it() {
        assert_eq!(WriteLimit::from_max(0), WriteLimit::None);
        assert!(WriteLimit::None.admits(usize::MAX, usize::MAX));
        let limit = WriteLimit::from_max(10);
        assert!(limit.admits(0, 10));
        assert!(!limit.admits(0, 11), "larger than the limit: refused even on an empty queue");
        assert!(limit.admits(4, 6));
        assert!(!limit.admits(4, 7));
        assert!(limit.admits(10, 0), "a zero-length chunk on a queue at the limit");
        assert!(!limit.admits(11, 0), "past a lowered limit even a zero-length chunk waits");
        assert!(!limit.admits(usize::MAX, 1), "no overflow");
    }
}
