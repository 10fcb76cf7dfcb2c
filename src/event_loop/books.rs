//! The loop's storage and bookkeeping: the slabs and the lists of work a tick owes (`State`,
//! `Books`), leases of the shared buffers, and batches that survive a panicking handler.

use super::*;

/// What the loop tracks between ticks.
pub(crate) struct State {
    pub sockets: Slab<Socket>,
    pub listeners: Slab<Listener>,
    pub user_timers: UserTimers,
    pub books: Books,
}

impl State {
    /// The lowest generation no handle of this loop carries, over every slab of the loop (a slab
    /// added later must be listed here too).
    pub(super) fn generation_ceiling(&self) -> u32 {
        self.sockets
            .generation_ceiling()
            .max(self.listeners.generation_ceiling())
            .max(self.user_timers.generation_ceiling())
    }
}

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

/// A value taken out of one of the loop's cells (the shared receive and plaintext buffers, the
/// ready list) for the length of a read or a dispatch; it goes back into the cell when the lease
/// drops, also when a handler panics, so a caught panic never leaves the loop without its buffer.
pub(crate) struct Lease<'a, T: Default> {
    cell: &'a RefCell<T>,
    value: T,
}

impl<'a, T: Default> Lease<'a, T> {
    #[inline]
    pub(crate) fn take(cell: &'a RefCell<T>) -> Lease<'a, T> {
        Lease { cell, value: cell.take() }
    }
}

impl<T: Default> std::ops::Deref for Lease<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Default> std::ops::DerefMut for Lease<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Default> Drop for Lease<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // The cell is never borrowed across a read or a handler; if it were, keeping the loop
        // alive beats a double panic.
        if let Ok(mut slot) = self.cell.try_borrow_mut() {
            *slot = std::mem::take(&mut self.value);
        }
    }
}

/// Items taken from one of the loop's lists to handle now. If a handler panics halfway, those not
/// handled yet go back to the front of their list, so a caught panic loses no work (a socket left
/// off `read_again` would never read again: readiness is edge-triggered).
pub(super) struct Batch<'a, T> {
    items: std::vec::IntoIter<T>,
    put_back: &'a dyn Fn(Vec<T>),
}

impl<'a, T> Batch<'a, T> {
    pub(super) fn new(items: Vec<T>, put_back: &'a dyn Fn(Vec<T>)) -> Batch<'a, T> {
        Batch { items: items.into_iter(), put_back }
    }
}

impl<T> Iterator for Batch<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.items.next()
    }
}

impl<T> Drop for Batch<'_, T> {
    fn drop(&mut self) {
        // Only on unwind: a normal early return (the loop was freed) drops the rest on purpose.
        if std::thread::panicking() {
            let rest: Vec<T> = self.items.by_ref().collect();
            if !rest.is_empty() {
                (self.put_back)(rest);
            }
        }
    }
}

impl EventLoop {
    /// Puts ids back at the front of one of the books' lists (see `Batch`).
    pub(super) fn put_back_ids(&self, list: fn(&mut Books) -> &mut Vec<u64>) -> impl Fn(Vec<u64>) + '_ {
        move |rest| {
            if let Ok(mut st) = self.st.try_borrow_mut() {
                list(&mut st.books).splice(0..0, rest);
            }
        }
    }
}

/// Removes the entries of a deadline list that are due now and returns what they carry; the
/// others stay. An empty list (the usual case) costs no clock read.
pub(crate) fn take_due<T>(list: &mut Vec<(Instant, T)>) -> Vec<T> {
    if list.is_empty() {
        return Vec::new();
    }
    let now = Instant::now();
    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(list).into_iter().partition(|(at, _)| *at <= now);
    *list = later;
    due.into_iter().map(|(_, item)| item).collect()
}
