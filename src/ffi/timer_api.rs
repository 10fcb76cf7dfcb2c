//! Timer functions: start, stop, ref, unref (one-shot and repeating callbacks on the loop).

use super::types::{bun_tcp_loop, bun_tcp_timer, bun_tcp_timer_fn};
use super::{code_of, ffi_call, registry};
use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::{Hold, TimerCallback, TimerId, UserData};
use std::ffi::c_void;
use std::rc::Rc;
use std::time::Duration;

/// Starts a timer that calls `fn_(timer, data)` on the loop's thread, from a `bun_tcp_poll`, once
/// `delay_ms` milliseconds have passed (counted from this call; never earlier). 0 = in the next
/// iteration, after its I/O. A timer started from inside a handler or a timer callback (even
/// with delay 0) fires in a later `bun_tcp_poll`, never in the one running it. `repeat_ms` > 0
/// repeats the timer every `repeat_ms` on its original schedule (delay, delay + repeat, ...): no
/// drift; periods missed while the loop was busy are skipped, never fired in a burst (a late
/// repeat fires once, then keeps its schedule). Due timers fire in deadline order, ties in start
/// order. A pending timer keeps `bun_tcp_run` going and `bun_tcp_loop_alive` true (as
/// `setTimeout` does) until it is stopped, fired (one-shot) or unref'd; it counts in
/// `bun_tcp_loop_next_timeout_ms` in every case. `bun_tcp_loop_free` drops pending timers without
/// calling them.
/// Returns: 0, with the timer written to `*out`. After a one-shot timer fired (its callback
///   returned) its handle is stale.
/// Errors (nothing is written): BUN_TCP_EINVAL (NULL or freed loop, NULL fn_ or out),
///   BUN_TCP_EWRONGTHREAD, BUN_TCP_ECLOSED (the loop is being freed: a call from a handler
///   `bun_tcp_loop_free` runs), -ENOMEM (the loop holds as many timers as it can: 4 Mi).
/// Fires: nothing now. Later, from a `bun_tcp_poll`, `fn_(timer, data)`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_timer_start(
    loop_: *mut bun_tcp_loop,
    delay_ms: u64,
    repeat_ms: u64,
    fn_: bun_tcp_timer_fn,
    data: *mut c_void,
    out: *mut bun_tcp_timer,
) -> i32 {
    ffi_call(|| {
        let result = (|| {
            let core = registry::by_ptr(loop_)?;
            let Some(func) = fn_ else { return Err(NetError::invalid("fn is NULL")) };
            if out.is_null() {
                return Err(NetError::invalid("out is NULL"));
            }
            let callback = c_callback(func, data);
            let period = (repeat_ms > 0).then(|| Duration::from_millis(repeat_ms));
            let id = core.start_timer(Duration::from_millis(delay_ms), period, callback)?;
            // SAFETY: non-NULL output pointer from the caller, written only on success.
            unsafe { *out = bun_tcp_timer { id: id.0 } };
            Ok(())
        })();
        code_of(result, |()| 0)
    })
}

/// The host's function and user data as a core callback.
fn c_callback(func: unsafe extern "C" fn(timer: bun_tcp_timer, data: *mut c_void), data: UserData) -> TimerCallback {
    // SAFETY: a function pointer of the declared type (the header's contract), called on the
    // loop's thread with the handle and the user data it was started with.
    Rc::new(move |_: &EventLoop, id: TimerId| unsafe { func(bun_tcp_timer { id: id.0 }, data) })
}

/// Runs `f` on the timer's loop; errors become codes (recorded for `bun_tcp_last_error_message`).
fn with_timer(t: bun_tcp_timer, f: impl FnOnce(&EventLoop, TimerId) -> Result<(), NetError>) -> i32 {
    ffi_call(|| code_of(registry::by_handle(t.id).and_then(|core| f(&core, TimerId(t.id))), |()| 0))
}

/// Stops a timer: it does not fire (again), and its handle becomes stale. Works inside the timer's
/// own callback (a repeating timer then does not repeat).
/// Returns: 0.
/// Errors: BUN_TCP_ECLOSED (a zero, stopped, fired one-shot, forged or freed-loop handle),
///   BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_timer_stop(timer: bun_tcp_timer) -> i32 {
    with_timer(timer, |core, id| core.stop_timer(id))
}

/// Makes a pending timer keep the loop alive again (the default after start). An idempotent flag,
/// not a counter.
/// Returns: 0.
/// Errors: as `bun_tcp_timer_stop`.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_timer_ref(timer: bun_tcp_timer) -> i32 {
    with_timer(timer, |core, id| core.set_timer_hold(id, Hold::Ref))
}

/// Lets the loop end (`bun_tcp_run` return, `bun_tcp_loop_alive` false) while this timer is still
/// pending; it still fires if the loop runs that long. An idempotent flag, not a counter.
/// Returns: 0.
/// Errors: as `bun_tcp_timer_stop`.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_timer_unref(timer: bun_tcp_timer) -> i32 {
    with_timer(timer, |core, id| core.set_timer_hold(id, Hold::Unref))
}
