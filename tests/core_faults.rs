//! Faults (issue: reliability): a peer that never reads, a connect into a full backlog with a
//! timeout, freeing a loop with hundreds of live sockets.

mod common;

use bun_tcp::EventLoop;
use common::{Event, LIMIT, Recorder, local, run_until, to};
use std::time::Duration;

#[test]
fn a_peer_that_never_reads_does_not_stop_the_server_serving_others() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    // Every byte a client sends is answered with 16 MiB: the silent client never reads its share.
    server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            if d.starts_with(b"flood") {
                lp.write_all(s, &vec![1u8; 16 << 20]).unwrap();
            } else {
                lp.write_all(s, d).unwrap();
            }
        }
    });
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let silent = Recorder::new(&[]);
    silent.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap();
            for _ in 0..32 {
                lp.write(s, b"flood").unwrap();
            }
        }
    });
    lp.connect(&to(port), silent.clone()).unwrap();
    run_until(&lp, LIMIT, "the server has a backlog for the silent client", || {
        server.log.borrow().first().is_some_and(|(s, _)| lp.buffered_amount(*s).unwrap_or(0) > 8 << 20)
    });
    for round in 0..20 {
        let echo = Recorder::new(&[]);
        echo.on(move |lp, s, e| {
            if *e == Event::Open {
                lp.write(s, format!("ping {round}").as_bytes()).unwrap();
            }
        });
        let c = lp.connect(&to(port), echo.clone()).unwrap();
        run_until(&lp, LIMIT, "echo", || echo.received() == format!("ping {round}").as_bytes());
        lp.close(c).unwrap();
    }
}

#[test]
fn a_connect_into_a_full_backlog_can_time_out_and_be_cancelled() {
    // A listener that never accepts, with a backlog of 1: once it is full the kernel drops SYNs,
    // like a blackholed address.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&"127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap().into()).unwrap();
    socket.listen(1).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    let mut fillers = Vec::new();
    for _ in 0..3 {
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        let _ = s.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into());
        fillers.push(s);
    }
    // The queue holds backlog + 1 = 2 established connections; wait until it does.
    let deadline = std::time::Instant::now() + LIMIT;
    while fillers.iter().filter(|s| s.peer_addr().is_ok()).count() < 2 {
        assert!(std::time::Instant::now() < deadline, "the fillers never connected");
        std::thread::yield_now();
    }
    let lp = EventLoop::new().unwrap();
    let client = Recorder::new(&[]);
    client.on(|lp, s, e| {
        if *e == Event::Timeout {
            lp.close(s).unwrap();
        }
    });
    let c = lp.connect(&to(port), client.clone()).unwrap();
    lp.set_timeout(c, Some(Duration::from_millis(300))).unwrap();
    run_until(&lp, LIMIT, "connect_error", || client.count(|e| matches!(e, Event::ConnectError(_))) == 1);
    assert_eq!(client.trace(), "timeout connect_error:ECANCELED");
    assert!(!lp.alive());
}

#[test]
fn freeing_a_loop_with_hundreds_of_live_sockets_runs_every_close() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    for _ in 0..300 {
        lp.connect(&to(port), client.clone()).unwrap();
    }
    run_until(&lp, LIMIT, "300 accepted", || server.count(|e| *e == Event::Open) == 300);
    run_until(&lp, LIMIT, "300 open", || client.count(|e| *e == Event::Open) == 300);
    lp.close_all();
    assert_eq!(server.count(|e| matches!(e, Event::Close(_))), 300);
    assert_eq!(client.count(|e| matches!(e, Event::Close(_))), 300);
    assert_eq!(lp.socket_count(), 0);
}
