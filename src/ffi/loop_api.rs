//! Loop functions: create, free, poll, run, liveness, wakeup, embedding.

use super::types::bun_tcp_loop;
use super::{code_of, fail, ffi_call, registry};
use crate::event_loop::EventLoop;
use std::ffi::c_char;
use std::rc::Rc;
use std::time::Duration;

/// Creates an event loop owned by the calling thread. Every other call on the loop and its
/// sockets must come from this thread (except `bun_tcp_loop_wakeup` and `bun_tcp_loop_post`). A
/// loop still alive when its thread ends (or the process calls exit()) is abandoned: its sockets
/// and listeners close without running handlers, its descriptors are closed, and from then on the
/// pointer is invalid (BUN_TCP_EINVAL) and its handles stale (BUN_TCP_ECLOSED). The pointer is an
/// opaque key, never dereferenced and never handed out again: after `bun_tcp_loop_free` every
/// call with it fails with BUN_TCP_EINVAL (or returns the documented neutral value), even once
/// other loops were created. Returns NULL on failure (see `bun_tcp_last_error_message`).
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

/// Frees a loop: stops every listener and closes every socket still open (their `close`, or
/// `connect_error` for connects in flight, run first). Every handle of the loop becomes stale.
/// NULL is ignored; a call from another thread, or with a freed pointer, is refused and changes
/// nothing (see `bun_tcp_last_error_message`). It may be called from inside one of the loop's
/// own handlers: the loop is closed and freed then, and the `bun_tcp_poll` that ran the handler
/// returns normally. Called again from a handler that this free runs (a `close`), it does
/// nothing: the remaining handlers still see their handles and user data, and the loop is freed
/// once, when the outer call returns. Afterwards the pointer is invalid (BUN_TCP_EINVAL).
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

/// One loop iteration: waits up to `timeout_ms` for readiness (-1 = until something happens,
/// 0 = do not wait), dispatches handlers, runs deferred work and due timers. Returns the number
/// of handler calls made (>= 0), or a negative code: BUN_TCP_EINVAL (NULL or freed loop),
/// BUN_TCP_EWRONGTHREAD, BUN_TCP_EBUSY (called from inside a handler of this loop).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_poll(loop_: *mut bun_tcp_loop, timeout_ms: i32) -> i32 {
    ffi_call(|| {
        let timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
        code_of(registry::by_ptr(loop_).and_then(|core| core.poll(timeout)), |n| n.min(i32::MAX as u32) as i32)
    })
}

/// Polls until `bun_tcp_loop_alive` is false (every ref'd listener, socket and pending connect is
/// gone or unref'd). Returns 0, or a negative code as `bun_tcp_poll`.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_run(loop_: *mut bun_tcp_loop) -> i32 {
    ffi_call(|| code_of(registry::by_ptr(loop_).and_then(|core| core.run()), |()| 0))
}

/// Whether any ref'd listener, open socket or pending connect keeps the loop alive. false for
/// NULL, a freed loop or a call from another thread.
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

/// Makes a blocked `bun_tcp_poll` of this loop return. Thread-safe: the one call any thread may
/// make. Returns 0, or BUN_TCP_EINVAL for NULL or a freed loop.
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

/// Thread-safe: queues `func(arg)` to run on the loop's thread during its next `bun_tcp_poll`
/// (and wakes a blocked poll). Calls run in the order posted from one thread; each counts as a
/// handler call. Calls still queued when the loop is freed are dropped without running. Returns
/// 0, or BUN_TCP_EINVAL (NULL loop or func, freed loop).
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
/// `bun_tcp_poll(loop, 0)` again. 0 when work is pending, the milliseconds to the next timer
/// (rounded up), or -1 when only I/O or a wakeup can bring work. Negative codes as bun_tcp_poll
/// (BUN_TCP_EINVAL, BUN_TCP_EWRONGTHREAD) are below -1.
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

/// The loop's epoll file descriptor, readable when `bun_tcp_poll` has work: add it to a host
/// loop (epoll, libuv, GLib) and call `bun_tcp_poll(loop, 0)` when it is readable. Returns the
/// fd, or a negative code.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_fd(loop_: *const bun_tcp_loop) -> i32 {
    ffi_call(|| code_of(registry::by_ptr(loop_).map(|core| core.backend_fd()), |fd| fd))
}

/// Sockets of the loop whose slots are not yet released, connecting ones included (0 for NULL,
/// a freed loop or another thread's loop). For leak checks: after a poll, closed sockets are released.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_socket_count(loop_: *const bun_tcp_loop) -> usize {
    ffi_call(|| registry::by_ptr(loop_).map(|core| core.socket_count()).unwrap_or(0))
}

/// Listeners of the loop that are still listening (0 for NULL, a freed loop or another thread's
/// loop).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_loop_listener_count(loop_: *const bun_tcp_loop) -> usize {
    ffi_call(|| registry::by_ptr(loop_).map(|core| core.listener_count()).unwrap_or(0))
}

/// The library version, e.g. "0.1.0" (static).
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_version() -> *const c_char {
    ffi_call(|| concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}
