//! The loop's state: the slabs with the books beside them (`State`), leases of the shared
//! buffers, and batches of work that survive a panicking handler.

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

/// Pops the earliest entry of a deadline heap if it is due at `now`.
pub(crate) fn pop_due(heap: &mut BinaryHeap<Reverse<(Instant, u64)>>, now: Instant) -> Option<(Instant, u64)> {
    match heap.peek() {
        Some(Reverse((at, _))) if *at <= now => heap.pop().map(|Reverse(entry)| entry),
        _ => None,
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
