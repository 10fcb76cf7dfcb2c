//! Host-name resolution off the loop thread.
//!
//! getaddrinfo blocks, so look-ups run on a small pool shared by every loop of the process: at
//! most `MAX_RESOLVER_THREADS` threads, started on demand and fed by one queue; a thread that has
//! had no work for `RESOLVER_IDLE` exits. Each answer goes back through its loop's channel and
//! wakes that loop. A look-up whose socket was closed while it waited in the queue is skipped.
//! When the last loop of the process is dropped, idle threads exit at once and are joined (for a
//! bounded time), so a process that freed its loops keeps no resolver thread or its libc state.
//! IP literals never come here.

use crate::error::{ENOTFOUND, NetError};
use std::collections::VecDeque;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The most resolver threads the process runs at once (every loop shares them).
pub(crate) const MAX_RESOLVER_THREADS: usize = 4;

/// How long a resolver thread waits for work before it exits.
pub(crate) const RESOLVER_IDLE: Duration = Duration::from_secs(2);

/// How long dropping the last loop waits for resolver threads to end (a look-up in progress may
/// take longer: that thread is left to finish on its own).
const RETIRE_WAIT: Duration = Duration::from_millis(250);

/// The answer for socket `id`: its addresses, or ENOTFOUND (EMFILE / ENFILE when out of descriptors).
pub struct Resolved {
    pub id: u64,
    pub result: Result<Vec<SocketAddr>, NetError>,
}

/// Resolves `host` synchronously (used by listen, which is synchronous by contract).
pub fn resolve_now(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    let not_found = |detail: String| {
        let mut e = NetError::new(ENOTFOUND, format!("getaddrinfo ENOTFOUND {host}{detail}"));
        e.syscall = Some(c"getaddrinfo");
        e
    };
    match (host, port).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() { Err(not_found(String::new())) } else { Ok(addrs) }
        }
        // A look-up that failed for want of a descriptor is not an unknown name: report EMFILE /
        // ENFILE (EAI_SYSTEM carries it; glibc often says EAI_NONAME instead, so probe).
        Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
            Err(NetError::io(&e, c"getaddrinfo", host))
        }
        Err(e) => match crate::os::descriptor_shortage() {
            Some(shortage) => Err(NetError::io(&shortage, c"getaddrinfo", host)),
            None => Err(not_found(format!(" ({e})"))),
        },
    }
}

/// A name resolver: host and port to addresses, most preferred first. Runs on a resolver thread.
pub type Resolver = Arc<dyn Fn(&str, u16) -> Result<Vec<SocketAddr>, NetError> + Send + Sync>;

/// The socket's claim on a queued look-up: dropping it (the socket closed, or its connect ended)
/// tells the pool the answer is no longer wanted, so a look-up still queued is skipped.
pub struct LookupTicket(Arc<AtomicBool>);

impl Drop for LookupTicket {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// One queued look-up.
struct Job {
    id: u64,
    host: String,
    port: u16,
    custom: Option<Resolver>,
    answers: Sender<Resolved>,
    waker: Arc<mio::Waker>,
    abandoned: Arc<AtomicBool>,
}

impl Job {
    fn run(self) {
        if self.abandoned.load(Ordering::Acquire) {
            return;
        }
        let result = match &self.custom {
            Some(resolve) => resolve(&self.host, self.port),
            None => resolve_now(&self.host, self.port),
        };
        // The loop may be gone: then nobody waits for the answer.
        if self.answers.send(Resolved { id: self.id, result }).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    /// Threads alive (working or waiting).
    threads: usize,
    /// Threads waiting for work.
    idle: usize,
    /// Live loops: with none, a thread with no work exits at once.
    users: usize,
    /// The threads started, to join when the last loop goes.
    handles: Vec<std::thread::JoinHandle<()>>,
}

struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

static POOL: Pool = Pool {
    state: Mutex::new(PoolState { queue: VecDeque::new(), threads: 0, idle: 0, users: 0, handles: Vec::new() }),
    work: Condvar::new(),
};

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // A panicking resolver (a custom one) must not stop every later look-up.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A resolver thread: runs queued jobs until none arrives for `RESOLVER_IDLE`.
    fn serve(&'static self) {
        let mut st = self.lock();
        loop {
            if let Some(job) = st.queue.pop_front() {
                drop(st);
                // A panic in a custom resolver ends this job only (its socket would wait
                // forever otherwise, so the answer is an error).
                let id = job.id;
                let answers = job.answers.clone();
                let waker = job.waker.clone();
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run())).is_err() {
                    let mut err = NetError::new(ENOTFOUND, "getaddrinfo ENOTFOUND (the resolver panicked)");
                    err.syscall = Some(c"getaddrinfo");
                    if answers.send(Resolved { id, result: Err(err) }).is_ok() {
                        let _ = waker.wake();
                    }
                }
                st = self.lock();
                continue;
            }
            if st.users == 0 {
                st.threads -= 1;
                return;
            }
            st.idle += 1;
            let (guard, timeout) = self.work.wait_timeout(st, RESOLVER_IDLE).unwrap_or_else(|p| p.into_inner());
            st = guard;
            st.idle -= 1;
            if (timeout.timed_out() || st.users == 0) && st.queue.is_empty() {
                st.threads -= 1;
                return;
            }
        }
    }
}

/// Queues a look-up (getaddrinfo, or `custom`) for socket `id`; `wake` runs after the answer is
/// sent. Starts a resolver thread when none is idle and fewer than `MAX_RESOLVER_THREADS` run.
/// The returned ticket must live as long as the socket wants the answer.
pub fn resolve_async(
    id: u64,
    host: String,
    port: u16,
    custom: Option<Resolver>,
    answers: Sender<Resolved>,
    waker: Arc<mio::Waker>,
) -> Result<LookupTicket, NetError> {
    let abandoned = Arc::new(AtomicBool::new(false));
    let job = Job { id, host, port, custom, answers, waker, abandoned: abandoned.clone() };
    let mut st = POOL.lock();
    // Every idle thread may already be promised to a job queued before this one.
    let must_start = st.queue.len() >= st.idle && st.threads < MAX_RESOLVER_THREADS;
    if must_start {
        // Threads that ended on their own leave their handles behind: drop those (detach).
        st.handles.retain(|h| !h.is_finished());
        match std::thread::Builder::new().name("bun_tcp-dns".into()).spawn(|| POOL.serve()) {
            Ok(handle) => {
                st.threads += 1;
                st.handles.push(handle);
            }
            // With other threads alive the job still runs, later; with none it never would.
            Err(e) if st.threads == 0 => {
                return Err(NetError::io(&e, c"getaddrinfo", "(could not start a resolver thread)"));
            }
            Err(_) => {}
        }
    }
    debug_assert!(st.threads > 0 && st.threads <= MAX_RESOLVER_THREADS);
    st.queue.push_back(job);
    drop(st);
    POOL.work.notify_one();
    Ok(LookupTicket(abandoned))
}

/// A loop's share of the resolver pool: while any exists, idle threads wait for work; when the
/// last one drops, they end and are joined (up to `RETIRE_WAIT`).
pub(crate) struct PoolUser(());

impl PoolUser {
    pub(crate) fn new() -> PoolUser {
        POOL.lock().users += 1;
        PoolUser(())
    }
}

impl Drop for PoolUser {
    fn drop(&mut self) {
        let handles = {
            let mut st = POOL.lock();
            debug_assert!(st.users > 0);
            st.users = st.users.saturating_sub(1);
            if st.users > 0 {
                return;
            }
            std::mem::take(&mut st.handles)
        };
        POOL.work.notify_all();
        let deadline = std::time::Instant::now() + RETIRE_WAIT;
        let mut busy = Vec::new();
        for handle in handles {
            while !handle.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                busy.push(handle);
            }
        }
        POOL.lock().handles.extend(busy);
    }
}
