//! A Rust handler that panics (a C handler cannot): the panic reaches the caller of `poll`, and
//! the loop stays usable afterwards. The shared receive and plaintext buffers are taken out of the
//! loop for each read; a panic inside `data` must not leave them taken (every later read would
//! then get a zero-length buffer, return 0 and look like a FIN on every socket).

mod common;

use bun_tcp::{ConnectOptions, EventLoop, ListenOptions, TlsOptions};
use common::{Event, LIMIT, Recorder, local, run_until, to};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// An echo server whose `data` handler panics on "boom".
fn panicking_echo_server(with_handshake: bool) -> Rc<Recorder> {
    let server = if with_handshake { Recorder::with_handshake(&[]) } else { Recorder::new(&[]) };
    server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            if d.as_slice() == b"boom" {
                panic!("a Rust handler panicked (on purpose)");
            }
            lp.write_all(s, d).unwrap();
        }
    });
    server
}

/// Polls until a poll panics; returns how many polls that took.
fn poll_until_a_handler_panics(lp: &EventLoop) -> usize {
    let deadline = Instant::now() + LIMIT;
    for n in 1.. {
        assert!(Instant::now() < deadline, "no handler panicked");
        if catch_unwind(AssertUnwindSafe(|| lp.poll(Some(Duration::from_millis(50))))).is_err() {
            return n;
        }
    }
    unreachable!()
}

/// After the panic: the same connection and a new one still echo, and nothing closed.
fn check_still_echoes(lp: &EventLoop, port: u16, client: &Rc<Recorder>, c: bun_tcp::SocketId, tls: Option<TlsOptions>) {
    lp.write(c, b"after").unwrap();
    run_until(lp, LIMIT, "the echo of \"after\" (or a close)", || {
        client.received() == b"after" || client.count(|e| matches!(e, Event::End | Event::Close(_))) > 0
    });
    assert_eq!(client.received(), b"after", "client trace: {}", client.trace());
    let second = Recorder::new(&[]);
    second.on(|lp, s, e| {
        if *e == Event::Open {
            lp.write(s, b"second").unwrap();
        }
    });
    let opts = ConnectOptions { tls, ..to(port) };
    lp.connect(&opts, second.clone()).unwrap();
    run_until(lp, LIMIT, "the second connection's echo", || {
        second.received() == b"second" || second.count(|e| matches!(e, Event::End | Event::Close(_))) > 0
    });
    assert_eq!(second.received(), b"second", "second trace: {}", second.trace());
    assert_eq!(client.count(|e| matches!(e, Event::End | Event::Close(_))), 0);
}

#[test]
fn a_panic_in_data_leaves_the_receive_buffer_in_place() {
    let lp = EventLoop::new().unwrap();
    let server = panicking_echo_server(false);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let client = Recorder::new(&[]);
    let c = lp.connect(&to(port), client.clone()).unwrap();
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    lp.write(c, b"boom").unwrap();
    poll_until_a_handler_panics(&lp);
    check_still_echoes(&lp, port, &client, c, None);
    assert_eq!(server.count(|e| matches!(e, Event::End | Event::Close(_))), 0, "server: {}", server.trace());
}

fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("tls-fixtures-panics");
        let status = std::process::Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/make-fixtures.sh"))
            .arg(&dir)
            .status()
            .expect("bash runs");
        assert!(status.success(), "make-fixtures.sh failed (is openssl installed?)");
        dir
    })
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

#[test]
fn a_panic_in_tls_data_leaves_both_buffers_in_place() {
    let lp = EventLoop::new().unwrap();
    let server = panicking_echo_server(true);
    let server_tls = TlsOptions { certs: vec![pem("server.crt")], keys: vec![pem("server.key")], ..Default::default() };
    let opts = ListenOptions { tls: Some(server_tls), ..local() };
    let l = lp.listen(&opts, server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let client_tls =
        TlsOptions { cas: vec![pem("ca.crt")], server_name: Some("localhost".into()), ..Default::default() };
    let client = Recorder::new(&[]);
    let c = lp.connect(&ConnectOptions { tls: Some(client_tls.clone()), ..to(port) }, client.clone()).unwrap();
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    lp.write(c, b"boom").unwrap();
    poll_until_a_handler_panics(&lp);
    check_still_echoes(&lp, port, &client, c, Some(client_tls));
    assert_eq!(server.count(|e| matches!(e, Event::End | Event::Close(_))), 0, "server: {}", server.trace());
}

#[test]
fn tasks_posted_after_a_panicking_task_still_run() {
    let lp = EventLoop::new().unwrap();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let poster = lp.poster();
    poster.post(Box::new(|_| panic!("a posted task panicked (on purpose)"))).unwrap();
    for _ in 0..2 {
        let ran = ran.clone();
        poster
            .post(Box::new(move |_| {
                ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }))
            .unwrap();
    }
    assert!(catch_unwind(AssertUnwindSafe(|| lp.poll(Some(Duration::ZERO)))).is_err());
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert_eq!(lp.next_timeout(), Some(Duration::ZERO), "the two tasks still wait");
    lp.poll(Some(Duration::ZERO)).unwrap();
    assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn readiness_left_undispatched_by_a_panic_is_dispatched_at_the_next_poll() {
    use std::io::{Read, Write};
    let lp = EventLoop::new().unwrap();
    let server = panicking_echo_server(false);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let mut a = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut b = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    run_until(&lp, LIMIT, "two accepted", || server.count(|e| *e == Event::Open) == 2);
    // Both in the kernel before the next poll: one epoll batch reports both sockets, and the
    // first "boom" panics before the second socket's event is dispatched.
    a.write_all(b"boom").unwrap();
    b.write_all(b"boom").unwrap();
    let mut panics = 0;
    let deadline = Instant::now() + Duration::from_secs(3);
    while panics < 2 {
        assert!(Instant::now() < deadline, "the second socket's bytes were never delivered ({panics} panic)");
        if catch_unwind(AssertUnwindSafe(|| lp.poll(Some(Duration::from_millis(50))))).is_err() {
            panics += 1;
        }
    }
    for peer in [&mut a, &mut b] {
        peer.write_all(b"after").unwrap();
        let mut echo = [0u8; 5];
        peer.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        let deadline = Instant::now() + LIMIT;
        let mut got = 0;
        while got < 5 {
            assert!(Instant::now() < deadline, "no echo");
            lp.poll(Some(Duration::from_millis(10))).unwrap();
            match peer.read(&mut echo[got..]) {
                Ok(0) => panic!("the server closed"),
                Ok(n) => got += n,
                Err(_) => {}
            }
        }
        assert_eq!(&echo, b"after");
    }
}

#[test]
fn adopt_that_panics_leaves_the_descriptor_open_and_the_callers() {
    use bun_tcp::{HandlerSet, Handlers};
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
    use std::os::unix::net::UnixStream;
    struct PanicsWhenAsked;
    impl Handlers for PanicsWhenAsked {
        fn present(&self) -> HandlerSet {
            panic!("a Rust handler table panicked (on purpose)")
        }
    }
    let lp = EventLoop::new().unwrap();
    let (ours, mut peer) = UnixStream::pair().unwrap();
    let raw = ours.into_raw_fd();
    // SAFETY: `raw` is the descriptor just released by `ours`; adopt takes it on success only.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let adopted =
        catch_unwind(AssertUnwindSafe(|| lp.adopt(fd, std::ptr::null_mut(), false, Rc::new(PanicsWhenAsked))));
    assert!(adopted.is_err(), "the table's panic reaches the caller");
    assert_eq!(lp.socket_count(), 0);
    // SAFETY: the descriptor is still open and still ours (what this test checks).
    let mut ours = unsafe { UnixStream::from_raw_fd(raw) };
    ours.write_all(b"still open").unwrap();
    let mut got = [0u8; 10];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"still open");
}
