//! Soak: many concurrent connections echo random-length streams written in random pieces (half
//! with write + drain, half with write_all + cork), compared by SHA-256; then connect/close churn
//! with descriptor and memory counts before and after. The short version runs in the test
//! command; BUN_TCP_SOAK_CONNECTIONS / BUN_TCP_SOAK_CHURN make it long (README, "Soak").
//! Alone in its binary: it counts this process's descriptors and memory.

use bun_tcp::{ConnectOptions, EventLoop, HandlerSet, Handlers, ListenOptions, NetError, SocketId, UserData};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// xorshift64*: reproducible pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Stream {
    data: Vec<u8>,
    sent: usize,
    corked: bool,
    received: usize,
    hash: Sha256,
}

struct Clients {
    streams: RefCell<HashMap<SocketId, Stream>>,
    rng: RefCell<Rng>,
    verified: Cell<usize>,
    mismatched: Cell<usize>,
    closed: Cell<usize>,
}

impl Clients {
    /// Sends pieces until the kernel pushes back (write + drain) or all is queued (write_all +
    /// cork), then ends.
    fn pump(&self, lp: &EventLoop, s: SocketId) {
        let mut streams = self.streams.borrow_mut();
        let Some(st) = streams.get_mut(&s) else { return };
        let mut rng = self.rng.borrow_mut();
        if st.corked {
            lp.cork(s).unwrap();
        }
        while st.sent < st.data.len() {
            let piece = (1 + rng.below(64 * 1024)).min(st.data.len() - st.sent);
            let chunk = &st.data[st.sent..st.sent + piece];
            let n = if st.corked { lp.write_all(s, chunk).unwrap() } else { lp.write(s, chunk).unwrap() };
            st.sent += n;
            if n < piece {
                return;
            }
        }
        if st.corked {
            lp.uncork(s).unwrap();
        }
        let _ = lp.end(s, b"");
    }
}

impl Handlers for Clients {
    fn present(&self) -> HandlerSet {
        HandlerSet { open: true, data: true, drain: true, close: true, ..Default::default() }
    }
    fn open(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.pump(lp, s);
    }
    fn drain(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.pump(lp, s);
    }
    fn data(&self, _: &EventLoop, s: SocketId, _: UserData, bytes: &[u8]) {
        if let Some(st) = self.streams.borrow_mut().get_mut(&s) {
            st.received += bytes.len();
            st.hash.update(bytes);
        }
    }
    fn close(&self, _: &EventLoop, s: SocketId, _: UserData, _: Option<&NetError>) {
        self.closed.set(self.closed.get() + 1);
        if let Some(st) = self.streams.borrow_mut().remove(&s) {
            let sent_hash = Sha256::digest(&st.data);
            if st.received == st.data.len() && st.hash.finalize() == sent_hash {
                self.verified.set(self.verified.get() + 1);
            } else {
                self.mismatched.set(self.mismatched.get() + 1);
            }
        }
    }
}

/// The server echoes everything with write_all.
struct Echo;

impl Handlers for Echo {
    fn present(&self) -> HandlerSet {
        HandlerSet { data: true, ..Default::default() }
    }
    fn data(&self, lp: &EventLoop, s: SocketId, _: UserData, bytes: &[u8]) {
        lp.write_all(s, bytes).unwrap();
    }
}

/// Opens and closes at once.
struct Churn {
    done: Cell<usize>,
}

impl Handlers for Churn {
    fn present(&self) -> HandlerSet {
        HandlerSet { open: true, data: true, close: true, connect_error: true, ..Default::default() }
    }
    fn open(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        lp.close(s).unwrap();
    }
    fn close(&self, _: &EventLoop, _: SocketId, _: UserData, _: Option<&NetError>) {
        self.done.set(self.done.get() + 1);
    }
    fn connect_error(&self, _: &EventLoop, _: SocketId, _: UserData, e: &NetError) {
        panic!("churn connect failed: {e}");
    }
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[allow(unsafe_code)]
fn raise_fd_limit() {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid struct: the OS edge of this test.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

#[test]
fn soak_echo_then_churn() {
    raise_fd_limit();
    let connections = env_or("BUN_TCP_SOAK_CONNECTIONS", 200);
    let churn = env_or("BUN_TCP_SOAK_CHURN", 2000);
    let max_len = env_or("BUN_TCP_SOAK_MAX_BYTES", 256 * 1024);
    let lp = EventLoop::new().unwrap();
    let l = lp
        .listen(
            &ListenOptions { hostname: Some("127.0.0.1".into()), backlog: 4096, ..Default::default() },
            Rc::new(Echo),
        )
        .unwrap();
    let to =
        ConnectOptions { hostname: Some("127.0.0.1".into()), port: lp.listener_port(l).unwrap(), ..Default::default() };
    let fds_before = fds();

    let clients = Rc::new(Clients {
        streams: RefCell::new(HashMap::new()),
        rng: RefCell::new(Rng(0x9e37_79b9_7f4a_7c15)),
        verified: Cell::new(0),
        mismatched: Cell::new(0),
        closed: Cell::new(0),
    });
    let mut total = 0usize;
    let started = Instant::now();
    for i in 0..connections {
        let len = clients.rng.borrow_mut().below(max_len + 1);
        let data: Vec<u8> = (0..len).map(|_| clients.rng.borrow_mut().next() as u8).collect();
        total += len;
        let s = lp.connect(&to, clients.clone()).unwrap();
        clients
            .streams
            .borrow_mut()
            .insert(s, Stream { data, sent: 0, corked: i % 2 == 1, received: 0, hash: Sha256::new() });
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while clients.closed.get() < connections {
        assert!(Instant::now() < deadline, "soak stalled: {} of {connections} closed", clients.closed.get());
        lp.poll(Some(Duration::from_millis(100))).unwrap();
    }
    let soak_time = started.elapsed();
    assert_eq!(clients.mismatched.get(), 0, "streams that came back different");
    assert_eq!(clients.verified.get(), connections);
    lp.poll(Some(Duration::ZERO)).unwrap();
    assert_eq!(fds(), fds_before, "descriptors leaked by the echo phase");

    let churner = Rc::new(Churn { done: Cell::new(0) });
    let rss_before = rss_kib();
    let started = Instant::now();
    let mut launched = 0;
    while churner.done.get() < churn {
        while launched < churn && launched - churner.done.get() < 64 {
            lp.connect(&to, churner.clone()).unwrap();
            launched += 1;
        }
        lp.poll(Some(Duration::from_millis(100))).unwrap();
    }
    let churn_time = started.elapsed();
    for _ in 0..5 {
        lp.poll(Some(Duration::from_millis(10))).unwrap();
    }
    let rss_after = rss_kib();
    assert_eq!(fds(), fds_before, "descriptors leaked by churn");
    assert_eq!(lp.socket_count(), 0);
    // Bound: the allocator may keep some freed pages, but churn must not grow memory per cycle.
    assert!(
        rss_after <= rss_before + 8 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB over {churn} cycles"
    );
    println!(
        "soak: {connections} connections, {} MiB echoed in {:.2?}, 0 mismatches; churn: {churn} cycles in {:.2?}; fds {fds_before} -> {}; RSS {rss_before} -> {rss_after} KiB",
        total >> 20,
        soak_time,
        churn_time,
        fds()
    );
}
