//! Idle timeouts with millisecond resolution.
//!
//! Activity only moves a socket's deadline; the heap is not touched on the hot path. A heap entry
//! that surfaces before its socket's (moved) deadline is pushed back; an entry whose sequence
//! number is old (the timeout was set again since) is dropped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// A socket's idle timeout as the socket stores it.
#[derive(Default, Clone, Copy, Debug)]
pub struct IdleTimer {
    /// The idle period; None = disabled.
    pub period: Option<Duration>,
    /// The last activity; the deadline is this plus `period`, worked out only when the heap
    /// entry comes due, so that activity costs one store.
    pub last_activity: Option<Instant>,
    /// A heap entry is live (false after the timeout fired, until the next activity).
    pub armed: bool,
    /// Matches the live heap entry.
    pub seq: u32,
}

impl IdleTimer {
    /// Arms (or disables, with None) the timer; returns the heap entry to push.
    pub fn set(&mut self, period: Option<Duration>, now: Instant) -> Option<(Instant, u32)> {
        self.period = period;
        self.seq = self.seq.wrapping_add(1);
        self.last_activity = Some(now);
        self.armed = period.is_some();
        period.map(|p| (now + p, self.seq))
    }

    /// Records activity; returns a heap entry to push when the timer had fired and re-arms now.
    pub fn touch(&mut self, now: Instant) -> Option<(Instant, u32)> {
        let period = self.period?;
        self.last_activity = Some(now);
        if self.armed {
            return None;
        }
        self.armed = true;
        self.seq = self.seq.wrapping_add(1);
        Some((now + period, self.seq))
    }

    /// When it fires if nothing happens; None when disabled or after it fired.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.armed, self.last_activity, self.period) {
            (true, Some(at), Some(p)) => Some(at + p),
            _ => None,
        }
    }
}

/// What a due heap entry means for its socket.
#[derive(Debug, PartialEq, Eq)]
pub enum Due {
    /// The deadline passed: fire the timeout handler.
    Fire,
    /// The deadline moved later: the entry goes back with this time.
    Later(Instant),
    /// The entry is obsolete.
    Drop,
}

impl IdleTimer {
    /// Judges a heap entry with sequence `seq` that is due at `now`; on Fire the timer disarms.
    pub fn judge(&mut self, seq: u32, now: Instant) -> Due {
        if seq != self.seq {
            return Due::Drop;
        }
        match self.deadline() {
            None => Due::Drop,
            Some(d) if d <= now => {
                self.armed = false;
                Due::Fire
            }
            Some(d) => Due::Later(d),
        }
    }
}

/// The loop's heap of (deadline, socket id, sequence).
#[derive(Default)]
pub struct TimerHeap {
    heap: BinaryHeap<Reverse<(Instant, u64, u32)>>,
}

impl TimerHeap {
    pub fn push(&mut self, at: Instant, id: u64, seq: u32) {
        self.heap.push(Reverse((at, id, seq)));
    }

    /// The earliest entry's time.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<(u64, u32)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse((_, id, seq))| (id, seq)),
            _ => None,
        }
    }

    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_moves_the_deadline_and_fired_timers_rearm_on_activity() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut timer = IdleTimer::default();
        let (at, seq) = timer.set(Some(ms(100)), t0).unwrap();
        assert_eq!(at, t0 + ms(100));
        assert_eq!(timer.touch(t0 + ms(50)), None);
        assert_eq!(timer.judge(seq, t0 + ms(100)), Due::Later(t0 + ms(150)));
        assert_eq!(timer.judge(seq, t0 + ms(150)), Due::Fire);
        assert_eq!(timer.judge(seq, t0 + ms(300)), Due::Drop);
        let (at2, seq2) = timer.touch(t0 + ms(400)).unwrap();
        assert_eq!(at2, t0 + ms(500));
        assert_eq!(timer.judge(seq, t0 + ms(500)), Due::Drop);
        assert_eq!(timer.judge(seq2, t0 + ms(500)), Due::Fire);
        assert!(timer.set(None, t0).is_none());
    }

    #[test]
    fn heap_pops_only_due_entries_in_order() {
        let t0 = Instant::now();
        let mut heap = TimerHeap::default();
        heap.push(t0 + Duration::from_millis(20), 2, 0);
        heap.push(t0 + Duration::from_millis(10), 1, 0);
        assert_eq!(heap.pop_due(t0), None);
        assert_eq!(heap.pop_due(t0 + Duration::from_millis(30)), Some((1, 0)));
        assert_eq!(heap.pop_due(t0 + Duration::from_millis(30)), Some((2, 0)));
        assert_eq!(heap.next(), None);
    }
}
