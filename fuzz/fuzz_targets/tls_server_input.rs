//! A TLS server fed arbitrary client bytes over a real loopback connection: the server must
//! close that connection (or keep waiting) without crashing, and must go on serving.

#![no_main]

use bun_tcp::{EventLoop, HandlerSet, Handlers, ListenOptions, SocketId, TlsOptions, UserData};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

struct Quiet;

impl Handlers for Quiet {
    fn present(&self) -> HandlerSet {
        HandlerSet { data: true, handshake: true, ..Default::default() }
    }
    fn data(&self, lp: &EventLoop, s: SocketId, _: UserData, bytes: &[u8]) {
        let _ = lp.write(s, bytes);
    }
}

fn tls() -> &'static TlsOptions {
    static OPTS: OnceLock<TlsOptions> = OnceLock::new();
    OPTS.get_or_init(|| {
        let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/tls-fixtures"));
        let ok = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/tls/make-fixtures.sh"))
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "fixtures");
        let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
        TlsOptions { certs: vec![read("server.crt")], keys: vec![read("server.key")], ..Default::default() }
    })
}

fuzz_target!(|input: &[u8]| {
    let lp = EventLoop::new().unwrap();
    let opts = ListenOptions { hostname: Some("127.0.0.1".into()), tls: Some(tls().clone()), ..Default::default() };
    let l = lp.listen(&opts, Rc::new(Quiet)).unwrap();
    let port = lp.listener_port(l).unwrap();
    let mut peer = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let _ = peer.write_all(input);
    let _ = peer.shutdown(std::net::Shutdown::Write);
    // Bounded: the server either closes the connection or waits for more.
    let until = Instant::now() + Duration::from_millis(20);
    while Instant::now() < until && lp.socket_count() == 0 {
        lp.poll(Some(Duration::from_millis(1))).unwrap();
    }
    for _ in 0..4 {
        lp.poll(Some(Duration::from_millis(1))).unwrap();
    }
    lp.close_all();
});
