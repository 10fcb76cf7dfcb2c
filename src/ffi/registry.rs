//! Which loops this thread owns, and which loops exist at all.
//!
//! A socket or listener handle carries its loop's id; the thread-local list maps it to the loop.
//! A miss there that the process-wide list knows is a wrong-thread call; a miss in both is a stale
//! handle.
//!
//! A `bun_tcp_loop *` is not an address: it is a serial number, minted once per loop from a
//! process-wide counter and never reused, and never dereferenced. A freed loop's pointer therefore
//! never names a later loop (malloc would hand out the same address again), and every call with it
//! fails with EINVAL, forever.

use super::types::bun_tcp_loop;
use crate::error::{ECLOSED, EINVAL, EWRONGTHREAD, NetError};
use crate::event_loop::EventLoop;
use crate::slab::Key;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Loop keys are multiples of this, so they look like aligned pointers to C code and tools.
const KEY_STEP: usize = 16;
/// Where keys start: far from small made-up values (1, 0x10, ...) and, on 64-bit, from where
/// heap, stack and mappings live, yet below 2^47 (hosts that NaN-box pointers keep working).
const KEY_BASE: usize = if usize::BITS == 64 { 0x0B7C_0000_0000_u64 as usize } else { 0x4000_0000 };
/// How many keys there are before the range would run into real addresses.
const KEY_COUNT: usize = if usize::BITS == 64 { 1 << 36 } else { 1 << 24 };

/// The serial number of the next loop: its key is KEY_BASE + serial * KEY_STEP.
static NEXT_KEY: AtomicUsize = AtomicUsize::new(0);

/// Whether `bun_tcp_loop_free` is running for a loop (its close handlers may free it again).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Freeing {
    No,
    InProgress,
}

struct Owned {
    id: u32,
    key: usize,
    core: Rc<EventLoop>,
    freeing: Cell<Freeing>,
}

struct Known {
    id: u32,
    /// Handles with this loop id and a lower generation belong to an earlier loop with the id.
    first_generation: u32,
    key: usize,
    waker: Arc<mio::Waker>,
    poster: crate::event_loop::Poster,
}

/// The loops of this thread. When the thread (or the process, through exit()) ends with loops
/// still alive, they are abandoned: they leave the process-wide list (posts and wakeups get EINVAL,
/// their handles ECLOSED), and their sockets close without running handlers, since the host's
/// handlers could not call back into a registry that is being torn down. Dropping the cores then
/// closes the epoll and eventfd descriptors.
struct OwnedLoops(RefCell<Vec<Owned>>);

impl Drop for OwnedLoops {
    fn drop(&mut self) {
        let abandoned = std::mem::take(&mut *self.0.borrow_mut());
        known().retain(|k| !abandoned.iter().any(|o| o.key == k.key));
        for owned in &abandoned {
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

fn key_of(ptr: *const bun_tcp_loop) -> usize {
    ptr.addr()
}

/// Records a new loop owned by this thread and returns its pointer (a fresh key). Fails when
/// the thread is ending (its list is gone) or the keys ran out.
pub fn add(core: Rc<EventLoop>) -> Result<*mut bun_tcp_loop, NetError> {
    let serial = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    if serial >= KEY_COUNT {
        NEXT_KEY.store(KEY_COUNT, Ordering::Relaxed); // no wrap of the counter, ever
        return Err(NetError::new(-libc::EMFILE, "every loop pointer value was used"));
    }
    let key = KEY_BASE + serial * KEY_STEP;
    let id = core.id();
    let first_generation = core.first_generation();
    let waker = core.waker();
    let poster = core.poster();
    OWNED
        .try_with(|owned| owned.0.borrow_mut().push(Owned { id, key, core, freeing: Cell::new(Freeing::No) }))
        .map_err(|_| NetError::new(EINVAL, "the thread is ending"))?;
    known().push(Known { id, first_generation, key, waker, poster });
    Ok(std::ptr::without_provenance_mut(key))
}

/// Marks a loop of this thread as being freed and returns its core; Ok(None) when a free of it
/// is already running (a close handler freeing the loop again: the outer call frees it).
pub fn begin_free(ptr: *const bun_tcp_loop) -> Result<Option<Rc<EventLoop>>, NetError> {
    let mine = OWNED
        .try_with(|owned| {
            owned
                .0
                .borrow()
                .iter()
                .find(|o| o.key == key_of(ptr))
                .map(|o| (o.freeing.replace(Freeing::InProgress) == Freeing::No).then(|| o.core.clone()))
        })
        .ok()
        .flatten();
    match mine {
        Some(core) => Ok(core),
        None => by_ptr(ptr).map(Some), // the error: NULL, wrong thread, or not a live loop
    }
}

/// Forgets a loop owned by this thread; returns its core.
pub fn remove(ptr: *const bun_tcp_loop) -> Option<Rc<EventLoop>> {
    let core = OWNED
        .try_with(|owned| {
            let mut owned = owned.0.borrow_mut();
            let at = owned.iter().position(|o| o.key == key_of(ptr))?;
            Some(owned.swap_remove(at).core)
        })
        .ok()
        .flatten()?;
    known().retain(|k| k.key != key_of(ptr));
    Some(core)
}

fn wrong_thread() -> NetError {
    NetError::new(EWRONGTHREAD, "called from a thread that does not own the loop")
}

fn not_a_loop() -> NetError {
    NetError::new(EINVAL, "not a live bun_tcp_loop (freed, or never created)")
}

/// The loop behind a `bun_tcp_loop *`, if this thread owns it.
pub fn by_ptr(ptr: *const bun_tcp_loop) -> Result<Rc<EventLoop>, NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let key = key_of(ptr);
    let mine =
        OWNED.try_with(|owned| owned.0.borrow().iter().find(|o| o.key == key).map(|o| o.core.clone())).ok().flatten();
    match mine {
        Some(core) => Ok(core),
        None if known().iter().any(|k| k.key == key) => Err(wrong_thread()),
        None => Err(not_a_loop()),
    }
}

/// The loop that minted a handle id, if this thread owns it.
pub fn by_handle(id: u64) -> Result<Rc<EventLoop>, NetError> {
    if id == 0 {
        return Err(NetError::new(ECLOSED, "zero handle"));
    }
    let (loop_id, generation) = (Key::loop_of(id), Key::unpack(id).generation);
    let mine = OWNED
        .try_with(|owned| owned.0.borrow().iter().find(|o| o.id == loop_id).map(|o| o.core.clone()))
        .ok()
        .flatten();
    match mine {
        Some(core) => Ok(core),
        // A handle of a freed loop whose id another thread's loop got since is stale, not that
        // loop's: wrong-thread only for generations the live loop may have issued.
        None if known().iter().any(|k| k.id == loop_id && generation >= k.first_generation) => Err(wrong_thread()),
        None => Err(NetError::new(ECLOSED, "stale handle: its loop was freed")),
    }
}

/// Posts a task to a loop from any thread.
pub fn post(ptr: *const bun_tcp_loop, task: crate::event_loop::Task) -> Result<(), NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let poster = known().iter().find(|k| k.key == key_of(ptr)).map(|k| k.poster.clone());
    match poster {
        Some(p) => p.post(task),
        None => Err(not_a_loop()),
    }
}

/// Wakes a loop from any thread.
pub fn wake(ptr: *const bun_tcp_loop) -> Result<(), NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("loop is NULL"));
    }
    let waker = known().iter().find(|k| k.key == key_of(ptr)).map(|k| k.waker.clone());
    match waker {
        Some(w) => w.wake().map_err(|e| NetError::io(&e, c"write", "(eventfd)")),
        None => Err(not_a_loop()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slab::LoopIds;
    use crate::{ListenOptions, ListenerId};

    use crate::handlers::DataOnly;

    fn listen(core: &EventLoop) -> ListenerId {
        let opts = ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() };
        core.listen(&opts, Rc::new(DataOnly)).unwrap()
    }

    #[test]
    fn a_handle_of_a_freed_loop_is_stale_even_when_another_threads_loop_has_its_id() {
        // A table with one id: the second loop, on another thread, gets the first loop's id.
        static IDS: Mutex<LoopIds> = Mutex::new(LoopIds::new(1));
        let first = Rc::new(EventLoop::with_ids(&IDS).unwrap());
        let old = listen(&first);
        let ptr = add(first).unwrap();
        assert!(by_handle(old.0).is_ok());
        drop(remove(ptr)); // bun_tcp_loop_free without the handlers
        let (ready, wait) = std::sync::mpsc::channel();
        let (done, finish) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            let second = Rc::new(EventLoop::with_ids(&IDS).unwrap());
            let fresh = listen(&second);
            let ptr = add(second).unwrap();
            ready.send(fresh).unwrap();
            finish.recv().unwrap();
            drop(remove(ptr));
        });
        let fresh = wait.recv().unwrap();
        assert_eq!(Key::loop_of(fresh.0), Key::loop_of(old.0), "the id was reused");
        assert_eq!(by_handle(fresh.0).err().map(|e| e.code), Some(EWRONGTHREAD));
        assert_eq!(by_handle(old.0).err().map(|e| e.code), Some(ECLOSED), "the old loop's handle is stale");
        done.send(()).unwrap();
        other.join().unwrap();
    }
}
