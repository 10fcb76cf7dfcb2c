//! The loop's side of user timers: start / stop / ref from the API, and the poll's timer phase,
//! which fires due timers with no loop state borrowed (a callback may stop itself, start timers,
//! close sockets or free the loop).

use super::*;
use crate::user_timers::{Arming, Hold, TimerCallback, TimerId};

impl EventLoop {
    /// Starts a timer that calls `callback` on this loop's thread once `delay` has passed (counted
    /// from now), then every `period` on the original schedule if `period` is Some (a zero
    /// period counts as none). It keeps `run` going until stopped, fired (one-shot) or unref'd.
    /// Started from inside a handler (a timer callback included), it fires in a later poll.
    /// Fails with ECLOSED while the loop is being freed, ENOMEM when the loop holds as many
    /// timers as it can.
    pub fn start_timer(
        &self,
        delay: Duration,
        period: Option<Duration>,
        callback: TimerCallback,
    ) -> Result<TimerId, NetError> {
        self.refuse_if_shut()?;
        let arming = if self.is_polling() { Arming::AfterThisPoll } else { Arming::Now };
        let period = period.filter(|p| !p.is_zero());
        self.st.borrow_mut().user_timers.start(Instant::now(), delay, period, callback, arming)
    }

    /// Stops a timer (also from inside its own callback: a repeat then ends). Its handle becomes
    /// stale. ECLOSED for a stopped, fired (one-shot) or unknown timer.
    pub fn stop_timer(&self, id: TimerId) -> Result<(), NetError> {
        self.st.borrow_mut().user_timers.stop(id)
    }

    /// Whether the timer keeps the loop alive. ECLOSED for a stopped, fired or unknown timer.
    pub fn set_timer_hold(&self, id: TimerId, hold: Hold) -> Result<(), NetError> {
        self.st.borrow_mut().user_timers.set_hold(id, hold)
    }

    /// The timer phase of a poll: fires, in deadline order, the timers due now that were started
    /// before this poll; then arms the ones started during it.
    #[inline]
    pub(crate) fn fire_user_timers(&self) {
        if self.st.borrow().user_timers.is_empty() {
            return;
        }
        self.fire_due_user_timers();
    }

    #[inline(never)]
    fn fire_due_user_timers(&self) {
        let _arm = ArmOnDrop(self);
        let now = Instant::now();
        loop {
            if self.is_shut() {
                return;
            }
            let Some((id, callback)) = self.st.borrow_mut().user_timers.take_due(now) else { return };
            let finish = FinishOnDrop(self, id);
            self.calls.set(self.calls.get().wrapping_add(1));
            callback(self, id);
            drop(finish);
            self.after_dispatch();
        }
    }
}

/// Reschedules (repeat) or releases (one-shot) a timer once its callback returned, also when it
/// panicked: a Rust callback's panic reaches the caller of `poll`, and the loop stays usable.
struct FinishOnDrop<'a>(&'a EventLoop, TimerId);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        // Read after the callback: a callback that overran its period skips what it missed.
        let now = Instant::now();
        if let Ok(mut st) = self.0.st.try_borrow_mut() {
            st.user_timers.finish_firing(self.1, now);
        }
    }
}

/// Arms the timers started during this poll when the timer phase ends (also on a panic).
struct ArmOnDrop<'a>(&'a EventLoop);

impl Drop for ArmOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.st.try_borrow_mut() {
            st.user_timers.arm_started_in_poll();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ECLOSED;
    use crate::event_loop::EventLoop;
    use crate::user_timers::{Hold, TimerCallback, TimerId};
    use std::cell::{Cell, RefCell};
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    fn poll_until(lp: &EventLoop, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "the condition was not reached");
            lp.poll(Some(Duration::from_millis(20))).unwrap();
        }
    }

    #[test]
    fn a_panicking_callback_reaches_the_caller_and_the_loop_stays_usable() {
        let lp = EventLoop::new().unwrap();
        let repeats = Rc::new(Cell::new(0));
        let seen = repeats.clone();
        let repeating: TimerCallback = Rc::new(move |_, _| {
            seen.set(seen.get() + 1);
            if seen.get() == 1 {
                panic!("a Rust timer callback panicked (on purpose)");
            }
        });
        let started_before_panic = Rc::new(Cell::new(None));
        let slot = started_before_panic.clone();
        let starter: TimerCallback = Rc::new(move |lp: &EventLoop, _| {
            let child: TimerCallback = Rc::new(|_, _| {});
            slot.set(Some(lp.start_timer(Duration::ZERO, None, child).unwrap()));
        });
        // The starter fires first (earlier deadline), then the repeat panics in the same poll.
        let s = lp.start_timer(Duration::ZERO, None, starter).unwrap();
        let r = lp.start_timer(Duration::ZERO, Some(Duration::from_millis(1)), repeating).unwrap();
        assert!(catch_unwind(AssertUnwindSafe(|| lp.poll(Some(Duration::ZERO)))).is_err());
        assert_eq!(lp.stop_timer(s).unwrap_err().code, ECLOSED, "the one-shot that fired is stale");
        // The repeat was rescheduled despite the panic, and the child started before it is armed.
        let child = started_before_panic.get().expect("the starter ran");
        assert!(lp.next_timeout().is_some_and(|d| d <= Duration::from_millis(1)));
        poll_until(&lp, || repeats.get() >= 3);
        assert_eq!(lp.stop_timer(child).unwrap_err().code, ECLOSED, "the child fired");
        lp.stop_timer(r).unwrap();
        assert!(!lp.alive());
    }

    #[test]
    fn a_callback_may_call_back_into_the_loop() {
        let lp = EventLoop::new().unwrap();
        let log = Rc::new(RefCell::new(Vec::<&str>::new()));
        let victim_id = Rc::new(Cell::new(None::<TimerId>));
        let (l2, v2) = (log.clone(), victim_id.clone());
        let busy: TimerCallback = Rc::new(move |lp: &EventLoop, me| {
            l2.borrow_mut().push("busy");
            lp.stop_timer(v2.get().unwrap()).unwrap(); // another timer, due in this poll
            lp.set_timer_hold(me, Hold::Unref).unwrap();
            lp.set_timer_hold(me, Hold::Ref).unwrap();
            let l3 = l2.clone();
            let later: TimerCallback = Rc::new(move |_, _| l3.borrow_mut().push("later"));
            lp.start_timer(Duration::ZERO, None, later).unwrap();
            assert_eq!(lp.poll(Some(Duration::ZERO)).unwrap_err().code, crate::error::EBUSY);
            lp.stop_timer(me).unwrap();
        });
        let l4 = log.clone();
        let victim: TimerCallback = Rc::new(move |_, _| l4.borrow_mut().push("victim"));
        lp.start_timer(Duration::ZERO, None, busy).unwrap();
        victim_id.set(Some(lp.start_timer(Duration::ZERO, None, victim).unwrap()));
        assert_eq!(lp.poll(Some(Duration::ZERO)).unwrap(), 1);
        assert_eq!(*log.borrow(), ["busy"]);
        lp.run().unwrap();
        assert_eq!(*log.borrow(), ["busy", "later"]);
    }
}
