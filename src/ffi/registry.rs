//! Which loops this thread owns, and which loops exist at all.
//!
//! A socket or listener handle carries its loop's id; the thread-local list maps it to the loop.
//! A miss there that the process-wide list knows is a wrong-thread call; a miss in both is a stale
//! handle. Loop pointers are never dereferenced: they are keys in the same lists.

use super::types::bun_tcp_loop;
use crate::error::{ECLOSED, EINVAL, EWRONGTHREAD, NetError};
use crate::event_loop::EventLoop;
use crate::slab::Key;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

struct Owned {
    id: u32,
    ptr: usize,
    core: Rc<EventLoop>,
}

struct Known {
    id: u32,
    ptr: usize,
    waker: Arc<mio::Waker>,
    poster: crate::event_loop::Poster,
}

/// The loops of this thread. When the thread (or the process, through exit()) ends with loops
/// still alive, they are abandoned: sockets close without running handlers, since the host's
/// handlers could not call back into a registry that is being torn down.
struct OwnedLoops(RefCell<Vec<Owned>>);

impl Drop for OwnedLoops {
    fn drop(&mut self) {
        for owned in self.0.borrow().iter() {
            owned.core.abandon();
        }
    }
}

thread_local! {
    static OWNED: OwnedLoops = const { OwnedLoops(RefCell::new(Vec::new())) };
}

static KNOWN: Mutex<Vec<Known>> = Mutex::new(Vec::new());

fn known() -> std::sync::MutexGuard<'static, Vec<Known>> {
    KNOWN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records a new loop owned by this thread.
pub fn add(ptr: *const bun_tcp_loop, core: Rc<EventLoop>) {
    let id = core.id();
    known().push(Known { id, ptr: ptr as usize, waker: core.waker(), poster: core.poster() });
    let _ = OWNED.try_with(|owned| owned.0.borrow_mut().push(Owned { id, ptr: ptr as usize, core }));
}

/// Forgets a loop owned by this thread; returns its core.
pub fn remove(ptr: *const bun_tcp_loop) -> Option<Rc<EventLoop>> {
    let core = OWNED
        .try_with(|owned| {
            let mut owned = owned.0.borrow_mut();
            let at = owned.iter().position(|o| o.ptr == ptr as usize)?;
            Some(owned.swap_remove(at).core)
        })
        .ok()
        .flatten()?;
    known().retain(|k| k.ptr != ptr as usize);
    Some(core)
}

fn wrong_thread() -> NetError {
    NetError::new(EWRONGTHREAD, "called from a thread that does not own the loop")
}

/// The loop behind a `bun_tcp_loop *`, if this thread owns it.
pub fn by_ptr(ptr: *const bun_tcp_loop) -> Result<Rc<EventLoop>, NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let mine = OWNED
        .try_with(|owned| owned.0.borrow().iter().find(|o| o.ptr == ptr as usize).map(|o| o.core.clone()))
        .ok()
        .flatten();
    match mine {
        Some(core) => Ok(core),
        None if known().iter().any(|k| k.ptr == ptr as usize) => Err(wrong_thread()),
        None => Err(NetError::new(EINVAL, "not a live bun_tcp_loop (freed, or never created)")),
    }
}

/// The loop that minted a handle id, if this thread owns it.
pub fn by_handle(id: u64) -> Result<Rc<EventLoop>, NetError> {
    if id == 0 {
        return Err(NetError::new(ECLOSED, "zero handle"));
    }
    let loop_id = Key::loop_of(id);
    let mine = OWNED
        .try_with(|owned| owned.0.borrow().iter().find(|o| o.id == loop_id).map(|o| o.core.clone()))
        .ok()
        .flatten();
    match mine {
        Some(core) => Ok(core),
        None if known().iter().any(|k| k.id == loop_id) => Err(wrong_thread()),
        None => Err(NetError::new(ECLOSED, "stale handle: its loop was freed")),
    }
}

/// Posts a task to a loop from any thread.
pub fn post(ptr: *const bun_tcp_loop, task: crate::event_loop::Task) -> Result<(), NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let poster = known().iter().find(|k| k.ptr == ptr as usize).map(|k| k.poster.clone());
    match poster {
        Some(p) => p.post(task),
        None => Err(NetError::new(EINVAL, "not a live bun_tcp_loop (freed, or never created)")),
    }
}

/// Wakes a loop from any thread.
pub fn wake(ptr: *const bun_tcp_loop) -> Result<(), NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let waker = known().iter().find(|k| k.ptr == ptr as usize).map(|k| k.waker.clone());
    match waker {
        Some(w) => w.wake().map_err(|e| NetError::io(&e, c"write", "(eventfd)")),
        None => Err(NetError::new(EINVAL, "not a live bun_tcp_loop (freed, or never created)")),
    }
}
