//! Loop functions: create, free, poll, run, liveness, wakeup, embedding.

use super::types::bun_tcp_loop;
use super::{code_of, fail, ffi_call, registry};
use crate::event_loop::EventLoop;
use std::rc::Rc;
use std::time::Duration;

/// --- Loop ---
///
/// Creates an event loop owned by the calling thread.
///
/// The pointer is an opaque key, never dereferenced and never handed out again: after
/// `bun_tcp_loop_free` every call with it fails with BUN_TCP_EINVAL (or returns the documented
/// neutral value), even once other loops were created. A loop still alive when its thread ends (or
/// the process calls exit()) is abandoned: its sockets and listeners close without running
/// handlers, its descriptors are closed, and from then on the pointer is invalid (BUN_TCP_EINVAL)
/// and its handles stale (BUN_TCP_ECLOSED).
/// Returns: the loop, or NULL on failure.
/// Errors: NULL is returned and `bun_tcp_last_error_message` says why: -EMFILE (every loop id or
///   pointer value is in use), the -errno of setting up epoll (epoll_create, dup, eventfd),
///   BUN_TCP_EINVAL (the thread is ending).
/// Fires: nothing.
/// Thread: every later call on the loop and its handles must come from this thread, except
///   `bun_tcp_loop_wakeup` and `bun_tcp_loop_post`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_new() -> *mut bun_tcp_loop {
    ffi_call(|| match EventLoop::new().and_then(|core| registry::add(Rc::new(core))) {
        Ok(ptr) => ptr,
        Err(e) => {
            fail(&e);
            std::ptr::null_mut()
        }
    })
}

/// Frees a loop: stops every listener and closes every socket still open; pending timers are
/// dropped without being called.
///
/// Every handle of the loop becomes stale, and the pointer invalid (BUN_TCP_EINVAL). It may be
/// called from inside one of the loop's own handlers: the loop is closed and freed then, and the
/// `bun_tcp_poll` that ran the handler returns normally. Called again from a handler that this free
/// runs (a `close`), it does nothing: the remaining handlers still see their handles and user data,
/// and the loop is freed once, when the outer call returns. Posted calls not run yet are dropped.
/// Returns: nothing.
/// Errors: none returned. NULL is ignored; a call from another thread (BUN_TCP_EWRONGTHREAD) or
///   with a freed pointer (BUN_TCP_EINVAL) is refused and changes nothing (see
///   `bun_tcp_last_error_message`).
/// Fires: before it returns, `close` of every open socket and `connect_error` (-ECANCELED) of every
///   client that has not fired `open` (a connect in flight); an accepted TLS socket whose handshake
///   never finished closes without a handler.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_free(loop_: *mut bun_tcp_loop) {
    ffi_call(|| {
        if loop_.is_null() {
            return;
        }
        let core = match registry::begin_free(loop_) {
            Ok(Some(core)) => core,
            // Re-entered from a handler this free runs: the outer call finishes the job.
            Ok(None) => return,
            Err(e) => {
                fail(&e);
                return;
            }
        };
        // Forgotten even if a handler panics below, so the loop cannot stay half-freed.
        let _forget = ForgetOnDrop(loop_);
        // Handlers run here and may still use their handles, so the loop stays registered.
        core.close_all();
    })
}

/// Removes a loop from the registry when dropped (on return or unwind).
struct ForgetOnDrop(*mut bun_tcp_loop);

impl Drop for ForgetOnDrop {
    fn drop(&mut self) {
        drop(registry::remove(self.0));
    }
}

/// Runs one loop iteration: waits for readiness, dispatches handlers, runs posted calls, deferred
/// work and due timers.
///
/// `timeout_ms` bounds the wait: -1 (any negative value) = until something happens, 0 = do not
/// wait.
/// Returns: the number of handler calls made (>= 0; each posted call counts as one).
/// Errors: BUN_TCP_EINVAL (NULL or freed loop), BUN_TCP_EWRONGTHREAD, BUN_TCP_EBUSY (called from
///   inside a handler of this loop), BUN_TCP_ECLOSED (called from a handler that
///   `bun_tcp_loop_free` runs outside a poll: the loop is being freed), the -errno of epoll_wait.
/// Fires: any handler of the loop's sockets, posted calls and due timers, before it returns.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_poll(loop_: *mut bun_tcp_loop, timeout_ms: i32) -> i32 {
    ffi_call(|| {
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        code_of(registry::by_ptr(loop_).and_then(|core| core.poll(timeout)), |n| n.min(i32::MAX as u32) as i32)
    })
}

/// Polls until `bun_tcp_loop_alive` is false (every ref'd listener, socket, pending connect and
/// pending timer is gone or unref'd).
///
/// Returns: 0 (at once when the loop is not alive).
/// Errors: those of `bun_tcp_poll`: BUN_TCP_EBUSY from inside a handler of this loop and
///   BUN_TCP_ECLOSED while `bun_tcp_loop_free` runs, even when nothing keeps the loop alive; else
///   the error of the first iteration that fails.
/// Fires: as `bun_tcp_poll`, before it returns.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_run(loop_: *mut bun_tcp_loop) -> i32 {
    ffi_call(|| code_of(registry::by_ptr(loop_).and_then(|core| core.run()), |()| 0))
}

/// Tells whether any ref'd listener, open socket, pending connect or pending timer keeps the loop
/// alive.
///
/// Returns: true or false; false for NULL, a freed loop or a call from another thread.
/// Errors: none returned (a refused call records its reason for `bun_tcp_last_error_message`).
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_alive(loop_: *const bun_tcp_loop) -> bool {
    ffi_call(|| match registry::by_ptr(loop_) {
        Ok(core) => core.alive(),
        Err(e) => {
            fail(&e);
            false
        }
    })
}

/// Makes a blocked `bun_tcp_poll` of this loop return.
///
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL or freed loop), the -errno of writing the loop's eventfd.
/// Fires: nothing.
/// Thread: any thread (with `bun_tcp_loop_post`, the only calls another thread may make).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_wakeup(loop_: *mut bun_tcp_loop) -> i32 {
    ffi_call(|| code_of(registry::wake(loop_), |()| 0))
}

/// A C function and its argument, carried to the loop's thread.
struct PostedCall {
    func: unsafe extern "C" fn(arg: *mut std::ffi::c_void),
    arg: *mut std::ffi::c_void,
}

// SAFETY: the pointer is only carried to the loop's thread and handed back to the host's
// function there; what it points to is the host's to make safe (the header says so).
unsafe impl Send for PostedCall {}

/// Queues `func(arg)` to run on the loop's thread during its next `bun_tcp_poll`, and wakes a
/// blocked poll.
///
/// Calls run in the order posted from one thread; each counts as a handler call. Calls still queued
/// when the loop is freed are dropped without running. What `arg` points to is the caller's to make
/// safe to use on the loop's thread.
/// Returns: 0.
/// Errors: BUN_TCP_EINVAL (NULL loop or func, freed loop), the -errno of writing the loop's
///   eventfd.
/// Fires: `func(arg)` later, from a `bun_tcp_poll` on the loop's thread; never inside this call.
/// Thread: any thread.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_post(
    loop_: *mut bun_tcp_loop,
    func: Option<unsafe extern "C" fn(arg: *mut std::ffi::c_void)>,
    arg: *mut std::ffi::c_void,
) -> i32 {
    ffi_call(|| {
        let Some(func) = func else {
            return fail(&crate::error::NetError::invalid("func is NULL"));
        };
        let call = PostedCall { func, arg };
        let task: crate::event_loop::Task = Box::new(move |_| {
            let call = call;
            // SAFETY: a function pointer of the declared type, called on the loop's thread.
            unsafe { (call.func)(call.arg) }
        });
        code_of(registry::post(loop_, task), |()| 0)
    })
}

/// For a host loop that waits on `bun_tcp_loop_fd`: how long it may wait before it must call
/// `bun_tcp_poll(loop, 0)` again.
///
/// Returns: 0 when work is pending, the milliseconds to the next timer (rounded up; timers of
///   `bun_tcp_timer_start` count, unref'd ones too), or -1 when only I/O or a wakeup can bring work.
/// Errors (all below -1): BUN_TCP_EINVAL (NULL or freed loop), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_next_timeout_ms(loop_: *const bun_tcp_loop) -> i32 {
    ffi_call(|| {
        code_of(registry::by_ptr(loop_), |core| match core.next_timeout() {
            None => -1,
            Some(d) => {
                let ms = d.as_nanos().div_ceil(1_000_000);
                ms.min(i32::MAX as u128) as i32
            }
        })
    })
}

/// The loop's epoll file descriptor, for embedding: add it to a host loop (epoll, libuv, GLib) and
/// call `bun_tcp_poll(loop, 0)` when it is readable (it is when `bun_tcp_poll` has work).
///
/// Returns: the descriptor (>= 0).
/// Errors: BUN_TCP_EINVAL (NULL or freed loop), BUN_TCP_EWRONGTHREAD.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_fd(loop_: *const bun_tcp_loop) -> i32 {
    ffi_call(|| code_of(registry::by_ptr(loop_).map(|core| core.backend_fd()), |fd| fd))
}

/// Counts the loop's sockets whose slots are not yet released, connecting ones included: for leak
/// checks (after a poll, closed sockets are released).
///
/// Returns: the count; 0 for NULL, a freed loop or another thread's loop.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_socket_count(loop_: *const bun_tcp_loop) -> usize {
    ffi_call(|| registry::by_ptr(loop_).map(|core| core.socket_count()).unwrap_or(0))
}

/// Counts the loop's listeners that are still listening.
///
/// Returns: the count; 0 for NULL, a freed loop or another thread's loop.
/// Errors: none returned.
/// Fires: nothing.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_listener_count(loop_: *const bun_tcp_loop) -> usize {
    ffi_call(|| registry::by_ptr(loop_).map(|core| core.listener_count()).unwrap_or(0))
}
