//! The loop's side of user timers: start / stop / ref from the API, and the poll's timer phase,
//! which fires due timers with no loop state borrowed (a callback may stop itself, start timers,
//! close sockets or free the loop).

use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::user_timers::{Arming, Hold, TimerCallback, TimerId};
use std::time::{Duration, Instant};

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
