//! Per-loop bookkeeping beside the slabs: the loop time, the lists of work a tick owes, the
//! deadline heaps and the counters. Sockets and the loop both write here (a socket record's
//! methods take `&mut Books`), so it sits below both.

use crate::timers::TimerHeap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Per-loop bookkeeping beside the slabs (a separate struct so a socket and the books can be
/// borrowed at the same time).
pub(crate) struct Books {
    pub timers: TimerHeap,
    /// Loop time: refreshed when the poll wakes up (as libuv does), used for deadlines.
    pub now: Instant,
    /// Live ref'd sockets, pending connects and listening ref'd listeners.
    pub holds: usize,
    /// Sockets with bytes left to read (fairness cap reached, or resumed).
    pub read_again: Vec<u64>,
    /// Listeners with connections left to accept.
    pub accept_again: Vec<u64>,
    /// Sockets whose failure (write error, immediate connect error) waits to be reported.
    pub failures: Vec<u64>,
    /// Corked sockets, uncorked when the current handler returns.
    pub corked: Vec<u64>,
    /// Closed sockets whose slots are released at the end of the tick.
    pub released: Vec<u64>,
    /// Listeners that ran out of file descriptors (EMFILE), with the time of their next try.
    pub accept_retry: Vec<(Instant, u64)>,
    /// Connecting sockets with addresses left: when to start the next attempt (Happy Eyeballs),
    /// and the attempt number it belongs to.
    pub next_attempts: Vec<(Instant, (u64, u32))>,
    /// Stopped listeners to release once no socket they accepted is left.
    pub stopped_listeners: Vec<u64>,
    /// Sockets whose both directions are done: they close once the current handler returns.
    pub finishing: Vec<u64>,
    /// TLS handshake steps run in this iteration (see `tls::HANDSHAKE_BUDGET`).
    pub handshakes: u32,
    /// Accepted TLS sockets and the time by which their handshake must be complete, earliest
    /// first. An entry stays after its handshake completed and is ignored when it comes due.
    pub handshake_deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Client sockets with a `connect_timeout_ms` and when it passes, earliest first. An entry
    /// stays after its connection completed and is ignored when it comes due.
    pub connect_deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// What `metrics` reports (src/observe.rs).
    pub counters: Counters,
}

impl Books {
    pub fn hold(&mut self, on: bool) {
        if on {
            self.holds += 1;
        } else {
            self.holds = self.holds.saturating_sub(1);
        }
    }
}

/// Counters the loop bumps as it works (see `LoopMetrics` for their meaning).
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Counters {
    pub iterations: u64,
    pub events: u64,
    pub accepts: u64,
    pub connects: u64,
    pub connect_errors: u64,
    pub closes: u64,
    /// Handler calls of the polls before the current one (the current one's are in `calls`).
    pub handler_calls: u64,
    pub bytes_read: u64,
    /// Bytes written by sockets whose slots were released.
    pub bytes_written_released: u64,
    pub handler_ns: u64,
}
