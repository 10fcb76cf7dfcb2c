//! User timers (`bun_tcp_timer_start`): one-shot and repeating callbacks on the loop.
//!
//! The same structure as the idle timeouts (`timers.rs`): a binary heap keyed by deadline, with
//! lazy deletion. A timer lives in a generation-checked slab (its handle is the slab id, so a
//! stopped or fired timer's handle is stale); its heap entry is `(deadline, start order, id)`, so
//! equal deadlines fire in start order. `stop` only releases the slot (O(1)); the orphaned entry
//! is dropped when it surfaces, and the heap is rebuilt once orphans outnumber live entries, so
//! start/stop cycles cannot grow it without bound (amortised O(1) per stop). Entries at the top
//! are always live, so the next deadline is one peek.
//!
//! Time is passed in, never read here: the unit tests drive a synthetic clock.

use crate::error::{ECLOSED, NetError};
use crate::event_loop::EventLoop;
use crate::slab::{Key, Slab, SlabKind};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A timer handle: slot, generation, kind and loop, as socket ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimerId(pub u64);

/// What a timer calls when it fires (with no loop state borrowed: it may call back into the loop).
pub type TimerCallback = Rc<dyn Fn(&EventLoop, TimerId)>;

/// Whether a pending timer keeps the loop alive (`bun_tcp_run`, `bun_tcp_loop_alive`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Hold {
    Ref,
    Unref,
}

/// When a new timer may fire.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arming {
    /// Started outside a poll: its entry goes into the heap at once.
    Now,
    /// Started during a poll (from any handler): it waits until this poll's timers have fired,
    /// so it fires in a later poll, never in the one that started it.
    AfterThisPoll,
}

/// Where a timer's one heap entry is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Phase {
    InHeap,
    /// Waiting in `started_in_poll` for the end of the current poll's timer phase.
    Deferred,
    /// Its callback runs now; it has no entry until the callback returns.
    Firing,
}

struct UserTimer {
    callback: TimerCallback,
    /// The deadline of the pending (or firing) run; repeats advance it by whole periods.
    due: Instant,
    period: Option<Duration>,
    hold: Hold,
    phase: Phase,
}

/// A heap entry: earliest deadline first, then start order.
type Entry = Reverse<(Instant, u64, u64)>;

/// Orphaned entries tolerated before a rebuild, however few timers are live.
const COMPACT_FLOOR: usize = 64;
/// `entry_order` of a slot without a heap entry.
const NO_ENTRY: u64 = u64::MAX;

/// The timers of one loop.
pub struct UserTimers {
    slab: Slab<UserTimer>,
    heap: BinaryHeap<Entry>,
    /// Entries in `heap` whose timer was stopped (dropped when they surface or at a rebuild).
    orphans: usize,
    started_in_poll: Vec<u64>,
    /// By slab index: the start order of the slot's one live heap entry (NO_ENTRY if none). An
    /// entry is live iff its order matches: a dense array, so skipping orphans and rebuilding
    /// the heap do not touch the (larger) timers.
    entry_order: Vec<u64>,
    /// The start order of the next entry (ties on a deadline fire in this order).
    next_order: u64,
    /// Timers with Hold::Ref that have not been stopped or (one-shot) fired.
    referenced: usize,
}

impl UserTimers {
    pub fn new(loop_id: u32, first_generation: u32) -> UserTimers {
        UserTimers {
            slab: Slab::new(loop_id, first_generation, SlabKind::Timers),
            heap: BinaryHeap::new(),
            orphans: 0,
            started_in_poll: Vec::new(),
            entry_order: Vec::new(),
            next_order: 0,
            referenced: 0,
        }
    }

    /// No timer exists: the loop's timer phase has nothing to do (the one check per poll).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slab.len() == 0
    }

    /// Whether a ref'd timer is pending.
    #[inline]
    pub fn keeps_alive(&self) -> bool {
        self.referenced > 0
    }

    pub fn generation_ceiling(&self) -> u32 {
        self.slab.generation_ceiling()
    }

    /// The earliest deadline of a pending timer.
    #[inline]
    pub fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((due, _, _))| *due)
    }

    /// Starts a ref'd timer due `delay` after `now`; `period` = Some repeats it.
    pub fn start(
        &mut self,
        now: Instant,
        delay: Duration,
        period: Option<Duration>,
        callback: TimerCallback,
        arming: Arming,
    ) -> Result<TimerId, NetError> {
        debug_assert!(period.is_none_or(|p| !p.is_zero()), "a zero period would fire on every poll");
        let phase = match arming {
            Arming::Now => Phase::InHeap,
            Arming::AfterThisPoll => Phase::Deferred,
        };
        let due = add_clamped(now, delay);
        let timer = UserTimer { callback, due, period, hold: Hold::Ref, phase };
        let id = self.slab.insert(timer).map_err(|_| NetError::new(-libc::ENOMEM, "too many timers in this loop"))?;
        self.referenced += 1;
        match arming {
            Arming::Now => self.push(due, id),
            Arming::AfterThisPoll => self.started_in_poll.push(id),
        }
        Ok(TimerId(id))
    }

    /// Stops a pending timer, or one whose callback runs now (it then does not repeat). The
    /// handle becomes stale.
    pub fn stop(&mut self, id: TimerId) -> Result<(), NetError> {
        let timer = self.slab.remove(id.0).ok_or_else(stale)?;
        if timer.hold == Hold::Ref {
            self.referenced -= 1;
        }
        if timer.phase == Phase::InHeap {
            self.orphans += 1;
            self.entry_order[slot_index(id.0)] = NO_ENTRY;
        }
        if self.slab.len() == 0 {
            self.clear();
            return Ok(());
        }
        self.drop_orphans_on_top();
        if self.orphans > COMPACT_FLOOR && self.orphans > self.heap.len() / 2 {
            let live = &self.entry_order;
            self.heap.retain(|Reverse((_, order, id))| live[slot_index(*id)] == *order);
            self.orphans = 0;
        }
        Ok(())
    }

    /// Sets whether the timer keeps the loop alive (an idempotent flag, not a counter).
    pub fn set_hold(&mut self, id: TimerId, hold: Hold) -> Result<(), NetError> {
        let timer = self.slab.get_mut(id.0).ok_or_else(stale)?;
        let before = std::mem::replace(&mut timer.hold, hold);
        match (before, hold) {
            (Hold::Unref, Hold::Ref) => self.referenced += 1,
            (Hold::Ref, Hold::Unref) => self.referenced -= 1,
            _ => {}
        }
        Ok(())
    }

    /// Takes the earliest timer due at `now` and marks it firing; returns its callback. Timers
    /// started during this poll are not in the heap yet, so they never come out here.
    pub fn take_due(&mut self, now: Instant) -> Option<(TimerId, TimerCallback)> {
        let &Reverse((due, _, id)) = self.heap.peek()?;
        if due > now {
            return None;
        }
        self.heap.pop();
        self.entry_order[slot_index(id)] = NO_ENTRY;
        let timer = self.slab.get_mut(id);
        debug_assert!(timer.as_ref().is_some_and(|t| t.phase == Phase::InHeap), "orphans never stay on top");
        let timer = timer?;
        timer.phase = Phase::Firing;
        let callback = timer.callback.clone();
        self.drop_orphans_on_top();
        Some((TimerId(id), callback))
    }

    /// After the callback of `id` returned (or panicked) at `now`: a one-shot is released (its
    /// handle goes stale); a repeat is due again at the first point of its original schedule
    /// after `now` (missed periods are skipped, not fired in a burst). Nothing for a timer the
    /// callback stopped.
    pub fn finish_firing(&mut self, id: TimerId, now: Instant) {
        let Some(timer) = self.slab.get_mut(id.0) else { return };
        debug_assert_eq!(timer.phase, Phase::Firing);
        match timer.period {
            Some(period) => {
                timer.due = next_on_schedule(timer.due, period, now);
                timer.phase = Phase::InHeap;
                let due = timer.due;
                self.push(due, id.0);
            }
            None => {
                let fired = self.slab.remove(id.0);
                if fired.is_some_and(|t| t.hold == Hold::Ref) {
                    self.referenced -= 1;
                }
                if self.slab.len() == 0 {
                    self.clear();
                }
            }
        }
    }

    /// At the end of a poll's timer phase: timers started during the poll become due-able.
    pub fn arm_started_in_poll(&mut self) {
        for id in std::mem::take(&mut self.started_in_poll) {
            if let Some(timer) = self.slab.get_mut(id) {
                timer.phase = Phase::InHeap;
                let due = timer.due;
                self.push(due, id);
            }
        }
    }

    /// Drops every timer without calling it (`bun_tcp_loop_free`): every handle goes stale.
    pub fn drop_all(&mut self) {
        for id in self.slab.ids() {
            self.slab.remove(id);
        }
        self.referenced = 0;
        self.clear();
    }

    fn push(&mut self, due: Instant, id: u64) {
        let index = slot_index(id);
        if index >= self.entry_order.len() {
            self.entry_order.resize(index + 1, NO_ENTRY);
        }
        debug_assert_eq!(self.entry_order[index], NO_ENTRY, "one heap entry per timer");
        self.entry_order[index] = self.next_order;
        self.heap.push(Reverse((due, self.next_order, id)));
        self.next_order += 1;
    }

    fn drop_orphans_on_top(&mut self) {
        while let Some(&Reverse((_, order, id))) = self.heap.peek() {
            if self.entry_order[slot_index(id)] == order {
                debug_assert!(self.slab.get(id).is_some_and(|t| t.phase == Phase::InHeap));
                return;
            }
            self.heap.pop();
            self.orphans -= 1;
        }
    }

    /// No timer is left: orphans go at once.
    fn clear(&mut self) {
        debug_assert_eq!(self.slab.len(), 0);
        self.heap.clear();
        self.started_in_poll.clear();
        self.entry_order.iter_mut().for_each(|order| *order = NO_ENTRY);
        self.orphans = 0;
    }

    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

/// The slab position of a timer id (the key of `entry_order`).
fn slot_index(id: u64) -> usize {
    Key::unpack(id).index() as usize
}

fn stale() -> NetError {
    NetError::new(ECLOSED, "stale timer handle (stopped, fired, or never started)")
}

/// Deadlines past any real uptime: a huge delay means "practically never", not an overflow.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn add_clamped(at: Instant, by: Duration) -> Instant {
    at.checked_add(by.min(FAR_FUTURE)).unwrap_or(at)
}

/// The first point of the schedule `due + k * period` (k >= 1) that is later than `now`.
fn next_on_schedule(due: Instant, period: Duration, now: Instant) -> Instant {
    let late = now.saturating_duration_since(due).as_nanos();
    let periods = late / period.as_nanos() + 1;
    let offset = period.as_nanos().saturating_mul(periods);
    let offset = Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX));
    add_clamped(due, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn nothing() -> TimerCallback {
        Rc::new(|_, _| {})
    }

    fn timers() -> UserTimers {
        UserTimers::new(5, 1)
    }

    /// Fires everything due at `now` the way the loop does; returns the ids in firing order.
    fn fire(t: &mut UserTimers, now: Instant) -> Vec<TimerId> {
        let mut fired = Vec::new();
        while let Some((id, _)) = t.take_due(now) {
            fired.push(id);
            t.finish_firing(id, now);
        }
        t.arm_started_in_poll();
        fired
    }

    #[test]
    fn deadline_order_with_ties_in_start_order() {
        let t0 = Instant::now();
        let mut t = timers();
        let c = t.start(t0, ms(30), None, nothing(), Arming::Now).unwrap();
        let a = t.start(t0, ms(10), None, nothing(), Arming::Now).unwrap();
        let tie1 = t.start(t0, ms(20), None, nothing(), Arming::Now).unwrap();
        let tie2 = t.start(t0, ms(20), None, nothing(), Arming::Now).unwrap();
        let tie3 = t.start(t0, ms(20), None, nothing(), Arming::Now).unwrap();
        assert_eq!(t.next_due(), Some(t0 + ms(10)));
        assert!(fire(&mut t, t0 + ms(9)).is_empty(), "nothing fires before its delay");
        assert_eq!(fire(&mut t, t0 + ms(30)), vec![a, tie1, tie2, tie3, c]);
        assert!(t.is_empty() && !t.keeps_alive());
        assert_eq!(t.stop(a).unwrap_err().code, ECLOSED, "a fired one-shot is stale");
    }

    #[test]
    fn repeats_keep_their_schedule_and_skip_missed_periods() {
        let t0 = Instant::now();
        let mut t = timers();
        let r = t.start(t0, ms(10), Some(ms(10)), nothing(), Arming::Now).unwrap();
        // Fired 3 ms late: the next run is still at 20, not 23 (no drift).
        assert_eq!(fire(&mut t, t0 + ms(13)), vec![r]);
        assert_eq!(t.next_due(), Some(t0 + ms(20)));
        // A stall of 55 ms: one late run, then the schedule again (70, not 75 or a burst).
        assert_eq!(fire(&mut t, t0 + ms(65)), vec![r]);
        assert_eq!(t.next_due(), Some(t0 + ms(70)));
        // Exactly on a schedule point: the next one is a full period later.
        assert_eq!(fire(&mut t, t0 + ms(70)), vec![r]);
        assert_eq!(t.next_due(), Some(t0 + ms(80)));
        assert!(t.keeps_alive());
        t.stop(r).unwrap();
        assert_eq!(t.next_due(), None);
        assert!(!t.keeps_alive());
    }

    #[test]
    fn a_timer_started_during_a_poll_waits_for_the_next_one() {
        let t0 = Instant::now();
        let mut t = timers();
        let a = t.start(t0, ms(0), None, nothing(), Arming::Now).unwrap();
        let (id, _) = t.take_due(t0).unwrap();
        assert_eq!(id, a);
        let b = t.start(t0, ms(0), None, nothing(), Arming::AfterThisPoll).unwrap();
        t.finish_firing(a, t0);
        assert!(t.take_due(t0 + ms(1)).is_none(), "started in this poll: not in this poll");
        assert_eq!(t.next_due(), None);
        t.arm_started_in_poll();
        assert_eq!(t.next_due(), Some(t0));
        assert_eq!(fire(&mut t, t0 + ms(1)), vec![b]);
    }

    #[test]
    fn stop_inside_the_own_callback_ends_a_repeat_and_a_one_shot() {
        let t0 = Instant::now();
        let mut t = timers();
        let r = t.start(t0, ms(5), Some(ms(5)), nothing(), Arming::Now).unwrap();
        let o = t.start(t0, ms(5), None, nothing(), Arming::Now).unwrap();
        for expected in [r, o] {
            let (id, _) = t.take_due(t0 + ms(5)).unwrap();
            assert_eq!(id, expected);
            t.stop(id).unwrap();
            t.finish_firing(id, t0 + ms(5));
            assert_eq!(t.stop(id).unwrap_err().code, ECLOSED);
        }
        assert!(t.is_empty() && t.heap_len() == 0 && !t.keeps_alive());
    }

    #[test]
    fn ref_and_unref_are_flags() {
        let t0 = Instant::now();
        let mut t = timers();
        let a = t.start(t0, ms(5), None, nothing(), Arming::Now).unwrap();
        t.set_hold(a, Hold::Unref).unwrap();
        t.set_hold(a, Hold::Unref).unwrap();
        assert!(!t.keeps_alive());
        assert_eq!(t.next_due(), Some(t0 + ms(5)), "an unref'd timer still fires");
        t.set_hold(a, Hold::Ref).unwrap();
        t.set_hold(a, Hold::Ref).unwrap();
        assert!(t.keeps_alive());
        t.set_hold(a, Hold::Unref).unwrap();
        assert_eq!(fire(&mut t, t0 + ms(5)), vec![a]);
        assert_eq!(t.set_hold(a, Hold::Ref).unwrap_err().code, ECLOSED);
        assert!(!t.keeps_alive());
    }

    #[test]
    fn start_stop_cycles_do_not_grow_the_heap() {
        let t0 = Instant::now();
        let mut t = timers();
        let pending: Vec<TimerId> =
            (0..1000).map(|i| t.start(t0, ms(1000 + i), None, nothing(), Arming::Now).unwrap()).collect();
        for i in 0..100_000u64 {
            let id = t.start(t0, ms(500 + i % 1000), None, nothing(), Arming::Now).unwrap();
            t.stop(id).unwrap();
            assert!(t.heap_len() <= 2 * pending.len() + COMPACT_FLOOR + 2, "heap grew to {}", t.heap_len());
        }
        assert_eq!(t.next_due(), Some(t0 + ms(1000)));
        assert_eq!(fire(&mut t, t0 + ms(5000)), pending);
    }

    #[test]
    fn a_stale_handle_never_reaches_a_reused_slot() {
        let t0 = Instant::now();
        let mut t = timers();
        let a = t.start(t0, ms(5), None, nothing(), Arming::Now).unwrap();
        t.stop(a).unwrap();
        let b = t.start(t0, ms(5), None, nothing(), Arming::Now).unwrap();
        assert_ne!(a, b);
        assert_eq!(t.stop(a).unwrap_err().code, ECLOSED);
        assert_eq!(t.set_hold(a, Hold::Unref).unwrap_err().code, ECLOSED);
        assert!(t.keeps_alive());
        assert_eq!(fire(&mut t, t0 + ms(5)), vec![b]);
    }

    #[test]
    fn drop_all_calls_nothing_and_stales_every_handle() {
        let t0 = Instant::now();
        let called = Rc::new(RefCell::new(0));
        let seen = called.clone();
        let mut t = timers();
        let callback: TimerCallback = Rc::new(move |_, _| *seen.borrow_mut() += 1);
        let ids: Vec<TimerId> =
            (0..3).map(|i| t.start(t0, ms(i), Some(ms(1)), callback.clone(), Arming::Now).unwrap()).collect();
        t.drop_all();
        assert!(t.is_empty() && !t.keeps_alive() && t.next_due().is_none());
        assert!(ids.iter().all(|id| t.stop(*id).is_err()));
        assert_eq!(*called.borrow(), 0);
        assert_eq!(Rc::strong_count(&callback), 1, "the callbacks were dropped");
    }

    #[test]
    fn huge_delays_and_periods_do_not_overflow() {
        let t0 = Instant::now();
        let mut t = timers();
        let a = t
            .start(t0, Duration::from_millis(u64::MAX), Some(Duration::from_millis(u64::MAX)), nothing(), Arming::Now)
            .unwrap();
        assert!(t.next_due().unwrap() > t0 + ms(1_000_000));
        assert!(fire(&mut t, t0 + ms(1_000_000)).is_empty());
        assert_eq!(next_on_schedule(t0, Duration::from_millis(u64::MAX), t0 + ms(1)), t0 + FAR_FUTURE);
        t.stop(a).unwrap();
    }
}
