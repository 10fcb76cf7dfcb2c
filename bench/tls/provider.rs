//! Measures the compiled-in rustls crypto provider on bun_tcp's own loop: TLS handshakes per
//! second (client and server in this process, one after another) and bulk throughput over one
//! TLS connection. Run by bench/tls/compare.sh once per provider.
//!
//!   cargo run --release --example tls_provider [-- HANDSHAKES BULK_MIB]

use bun_tcp::{
    ConnectOptions, EventLoop, HandlerSet, Handlers, ListenOptions, NetError, SocketId, TlsOptions, UserData,
};
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

struct Counter {
    handshake: bool,
    opened: Cell<u64>,
    closed: Cell<u64>,
    received: Cell<u64>,
    writer: Option<Rc<Writer>>,
}

/// Writes `total` bytes through write + drain.
struct Writer {
    chunk: Vec<u8>,
    left: Cell<u64>,
}

impl Writer {
    fn pump(&self, lp: &EventLoop, s: SocketId) {
        while self.left.get() > 0 {
            let n = (self.left.get() as usize).min(self.chunk.len());
            match lp.write(s, &self.chunk[..n]) {
                Ok(0) | Err(_) => return,
                Ok(k) => self.left.set(self.left.get() - k as u64),
            }
        }
        let _ = lp.end(s, b"");
    }
}

impl Handlers for Counter {
    fn present(&self) -> HandlerSet {
        HandlerSet { open: true, data: true, drain: true, close: true, handshake: self.handshake, ..Default::default() }
    }
    fn open(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.opened.set(self.opened.get() + 1);
        if let Some(w) = &self.writer {
            w.pump(lp, s);
        }
    }
    fn handshake(&self, lp: &EventLoop, s: SocketId, _: UserData, _: bool, _: Option<&NetError>) {
        // Client handshakes: done once verified.
        self.opened.set(self.opened.get() + 1);
        let _ = lp.close(s);
    }
    fn data(&self, _: &EventLoop, _: SocketId, _: UserData, bytes: &[u8]) {
        self.received.set(self.received.get() + bytes.len() as u64);
    }
    fn drain(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        if let Some(w) = &self.writer {
            w.pump(lp, s);
        }
    }
    fn close(&self, _: &EventLoop, _: SocketId, _: UserData, _: Option<&NetError>) {
        self.closed.set(self.closed.get() + 1);
    }
}

fn counter(handshake: bool, writer: Option<Rc<Writer>>) -> Rc<Counter> {
    Rc::new(Counter { handshake, opened: Cell::new(0), closed: Cell::new(0), received: Cell::new(0), writer })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let handshakes: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let bulk_mib: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1024);
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/tls-fixtures"));
    let status = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/make-fixtures.sh"))
        .arg(&dir)
        .status()
        .expect("bash");
    assert!(status.success(), "fixtures");
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let server_tls =
        TlsOptions { certs: vec![read("server.crt")], keys: vec![read("server.key")], ..Default::default() };
    let client_tls = TlsOptions { cas: vec![read("ca.crt")], ..Default::default() };

    let lp = EventLoop::new().unwrap();
    let server = counter(false, None);
    let l = lp
        .listen(
            &ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(server_tls.clone()), ..Default::default() },
            server.clone(),
        )
        .unwrap();
    let port = lp.listener_port(l).unwrap();
    let to = ConnectOptions {
        hostname: Some("127.0.0.1".into()),
        port,
        tls: Some(client_tls.clone()),
        ..Default::default()
    };

    // Handshakes: 8 in flight at a time, each client closes once its handshake verified.
    let clients = counter(true, None);
    let start = Instant::now();
    let mut started = 0;
    while clients.closed.get() < handshakes {
        while started < handshakes && started - clients.closed.get() < 8 {
            lp.connect(&to, clients.clone()).unwrap();
            started += 1;
        }
        lp.poll(Some(Duration::from_millis(100))).unwrap();
    }
    let hs_rate = handshakes as f64 / start.elapsed().as_secs_f64();

    // Bulk: one client writes BULK_MIB through write + drain; the server counts.
    let before = server.received.get();
    let writer = Rc::new(Writer { chunk: vec![0x5a; 256 * 1024], left: Cell::new(bulk_mib << 20) });
    let bulk_client = counter(false, Some(writer));
    let start = Instant::now();
    lp.connect(&to, bulk_client.clone()).unwrap();
    while server.received.get() - before < bulk_mib << 20 {
        lp.poll(Some(Duration::from_millis(100))).unwrap();
    }
    let mib_s = bulk_mib as f64 / start.elapsed().as_secs_f64();
    println!(
        "provider={} handshakes_per_s={:.0} bulk_mib_per_s={:.0} (handshakes={} bulk_mib={})",
        bun_tcp::tls::provider_name(),
        hs_rate,
        mib_s,
        handshakes,
        bulk_mib
    );
    lp.stop(l, true).unwrap();
}
