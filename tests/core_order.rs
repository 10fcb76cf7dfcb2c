//! Handler order and lifetime rules (the header: order of handlers), driven on the safe core.

mod common;

use bun_tcp::{ConnectOptions, EventLoop, ListenOptions};
use common::{Event, LIMIT, Recorder, run_until};
use std::rc::Rc;

fn listen_local(lp: &EventLoop, h: Rc<Recorder>) -> (bun_tcp::ListenerId, u16) {
    let opts = ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() };
    let l = lp.listen(&opts, h).expect("listen");
    let port = lp.listener_port(l).unwrap();
    (l, port)
}

fn connect_local(lp: &EventLoop, port: u16, h: Rc<Recorder>) -> bun_tcp::SocketId {
    let opts = ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() };
    lp.connect(&opts, h).expect("connect")
}

#[test]
fn client_end_with_data_gives_open_data_end_close_on_both_sides() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let (l, port) = listen_local(&lp, server.clone());
    client.on(|lp, s, e| {
        if *e == Event::Open {
            assert_eq!(lp.end(s, b"hello").unwrap(), 5);
        }
    });
    connect_local(&lp, port, client.clone());
    run_until(&lp, LIMIT, "both closed", || {
        server.count(|e| matches!(e, Event::Close(_))) == 1 && client.count(|e| matches!(e, Event::Close(_))) == 1
    });
    assert_eq!(server.trace(), "open data:hello end close");
    assert_eq!(client.trace(), "open end close");
    lp.stop(l, false).unwrap();
    assert!(!lp.alive());
    assert_eq!(lp.socket_count(), 0);
}

#[test]
fn end_is_a_half_close_and_the_reply_still_arrives() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let (_l, port) = listen_local(&lp, server.clone());
    // The server answers only after it saw the client's FIN.
    server.on(|lp, s, e| {
        if *e == Event::End {
            lp.write(s, b"reply").unwrap();
        }
    });
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.end(s, b"request").unwrap();
        }
    });
    connect_local(&lp, port, client.clone());
    run_until(&lp, LIMIT, "client closed", || client.count(|e| matches!(e, Event::Close(_))) == 1);
    assert_eq!(client.trace(), "open data:reply end close");
    assert_eq!(server.trace(), "open data:request end close");
}

#[test]
fn refused_connect_fires_connect_error_only() {
    let lp = EventLoop::new().unwrap();
    // Find a closed port: listen, note the port, stop.
    let probe = Recorder::new(&[]);
    let (l, port) = listen_local(&lp, probe);
    lp.stop(l, false).unwrap();
    let client = Recorder::new(&[]);
    let s = connect_local(&lp, port, client.clone());
    assert!(lp.alive(), "a pending connect keeps the loop alive");
    run_until(&lp, LIMIT, "connect_error", || !client.log.borrow().is_empty());
    lp.poll(Some(std::time::Duration::ZERO)).unwrap();
    assert_eq!(client.trace(), "connect_error:ECONNREFUSED");
    assert!(lp.write(s, b"x").is_err(), "the handle is stale after connect_error");
    assert_eq!(lp.socket_count(), 0);
}

#[test]
fn unknown_host_is_enotfound_from_getaddrinfo_every_time() {
    let lp = EventLoop::new().unwrap();
    for _ in 0..2 {
        let client = Recorder::new(&[]);
        let opts = ConnectOptions { hostname: Some("nonexistent.invalid".into()), port: 80, ..Default::default() };
        lp.connect(&opts, client.clone()).unwrap();
        run_until(&lp, LIMIT, "connect_error", || !client.log.borrow().is_empty());
        assert_eq!(client.trace(), "connect_error:ENOTFOUND");
    }
}

#[test]
fn echo_ping_pong_ten_rounds_without_drain() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let (_l, port) = listen_local(&lp, server.clone());
    server.on(|lp, s, e| {
        if let Event::Data(d) = e {
            assert_eq!(lp.write(s, d).unwrap(), d.len());
        }
    });
    let rounds = Rc::new(std::cell::Cell::new(0));
    let r = rounds.clone();
    client.on(move |lp, s, e| match e {
        Event::Open => {
            lp.write(s, b"ping").unwrap();
        }
        Event::Data(_) => {
            r.set(r.get() + 1);
            if r.get() < 10 {
                lp.write(s, b"ping").unwrap();
            } else {
                lp.close(s).unwrap();
            }
        }
        _ => {}
    });
    connect_local(&lp, port, client.clone());
    run_until(&lp, LIMIT, "ten rounds", || client.count(|e| matches!(e, Event::Close(_))) == 1);
    assert_eq!(rounds.get(), 10);
    assert_eq!(client.count(|e| *e == Event::Drain), 0);
    assert_eq!(server.count(|e| *e == Event::Drain), 0);
}

#[test]
fn close_inside_data_stops_delivery_and_close_is_last() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let (_l, port) = listen_local(&lp, server.clone());
    server.on(|lp, s, e| {
        if let Event::Data(_) = e {
            lp.close(s).unwrap();
            assert!(lp.close(s).is_err(), "second close is an error");
            assert!(lp.write(s, b"x").is_err());
        }
    });
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.write(s, b"one").unwrap();
        }
    });
    connect_local(&lp, port, client.clone());
    run_until(&lp, LIMIT, "both closed", || {
        server.count(|e| matches!(e, Event::Close(_))) == 1 && client.count(|e| matches!(e, Event::Close(_))) == 1
    });
    let log = server.log.borrow();
    assert!(matches!(log.last().unwrap().1, Event::Close(None)));
    assert_eq!(log.iter().filter(|(_, e)| matches!(e, Event::Data(_))).count(), 1);
}

#[test]
fn idle_timeout_fires_near_the_deadline_and_does_not_close() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let (_l, port) = listen_local(&lp, server.clone());
    let s = connect_local(&lp, port, client.clone());
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    let start = std::time::Instant::now();
    lp.set_timeout(s, Some(std::time::Duration::from_millis(300))).unwrap();
    run_until(&lp, LIMIT, "timeout", || client.count(|e| *e == Event::Timeout) == 1);
    let took = start.elapsed();
    assert!(took >= std::time::Duration::from_millis(300), "{took:?}");
    assert!(took <= std::time::Duration::from_millis(400), "{took:?}");
    assert_eq!(lp.ready_state(s), bun_tcp::ReadyState::Open);
}
