//! Half-open rules, pause/resume, stop, reload, ref/unref, unix and IPv6 listeners, bad options
//! (the header: order of handlers).

mod common;

use bun_tcp::error::{EINVAL, EINVALHOST};
use bun_tcp::{ConnectOptions, EventLoop, ListenOptions, SocketId, UnixName, UnixNamespace};
use common::{Event, LIMIT, Recorder, local, run_until, to};
use std::rc::Rc;

fn closed(r: &Recorder) -> usize {
    r.count(|e| matches!(e, Event::Close(_)))
}

/// The server side gets `server_without` handlers missing and `half_open`; the client sends
/// "ping" and FIN, then waits for what the server writes after seeing the FIN.
fn half_open_case(server_without: &[&str], half_open: bool) -> (String, String) {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(server_without);
    let client = Recorder::new(&[]);
    let opts = ListenOptions { allow_half_open: half_open, ..local() };
    let l = lp.listen(&opts, server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    lp.set_listener_ref(l, false).unwrap();
    server.on(|lp, s, e| {
        if *e == Event::End {
            // Writable only with allow_half_open; otherwise the library ends it after this.
            let _ = lp.write(s, b"after-fin");
        }
    });
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.end(s, b"ping").unwrap();
        }
    });
    lp.connect(&to(port), client.clone()).unwrap();
    if half_open {
        run_until(&lp, LIMIT, "reply after fin", || client.received() == b"after-fin");
        let sid = server.log.borrow()[0].0;
        assert_eq!(lp.ready_state(sid), bun_tcp::ReadyState::Open, "still writable until end");
        lp.end(sid, b"!").unwrap();
    }
    run_until(&lp, LIMIT, "both closed", || closed(&server) == 1 && closed(&client) == 1);
    (server.trace(), client.trace())
}

#[test]
fn peer_fin_without_end_handler_closes() {
    let (server, client) = half_open_case(&["end"], false);
    assert_eq!(server, "open data:ping close");
    assert_eq!(client, "open end close");
}

#[test]
fn peer_fin_with_end_handler_and_no_half_open_ends_after_the_handler() {
    let (server, client) = half_open_case(&[], false);
    assert_eq!(server, "open data:ping end close");
    // What the end handler wrote still leaves before the library's FIN.
    assert_eq!(client, "open data:after-fin end close");
}

#[test]
fn half_open_socket_stays_writable_until_end() {
    let (server, client) = half_open_case(&[], true);
    assert_eq!(server, "open data:ping end close");
    assert_eq!(client, "open data:after-fin! end close");
}

#[test]
fn pause_defers_data_and_fin_until_resume() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    server.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap();
        }
    });
    let c = lp.connect(&to(lp.listener_port(l).unwrap()), client.clone()).unwrap();
    run_until(&lp, LIMIT, "both open", || {
        server.count(|e| *e == Event::Open) == 1 && client.count(|e| *e == Event::Open) == 1
    });
    lp.end(c, b"held").unwrap();
    for _ in 0..5 {
        lp.poll(Some(std::time::Duration::from_millis(20))).unwrap();
    }
    assert_eq!(server.trace(), "open", "nothing while paused");
    let sid = server.log.borrow()[0].0;
    lp.resume(sid).unwrap();
    run_until(&lp, LIMIT, "server closed", || closed(&server) == 1);
    assert_eq!(server.trace(), "open data:held end close");
}

#[test]
fn stop_keeps_or_closes_accepted_sockets() {
    for close_active in [false, true] {
        let lp = EventLoop::new().unwrap();
        let server = Recorder::new(&[]);
        let client = Recorder::new(&[]);
        let l = lp.listen(&local(), server.clone()).unwrap();
        server.on(|lp, s, e| {
            if let Event::Data(d) = e {
                lp.write(s, d).unwrap();
            }
        });
        let c = lp.connect(&to(lp.listener_port(l).unwrap()), client.clone()).unwrap();
        run_until(&lp, LIMIT, "server open", || server.count(|e| *e == Event::Open) == 1);
        lp.stop(l, close_active).unwrap();
        lp.stop(l, close_active).unwrap();
        assert_eq!(lp.listener_count(), 0);
        if close_active {
            assert_eq!(server.trace(), "open close", "close ran inside stop");
            run_until(&lp, LIMIT, "client sees the close", || closed(&client) == 1);
        } else {
            lp.write(c, b"still").unwrap();
            run_until(&lp, LIMIT, "echo", || client.received() == b"still");
            lp.close(c).unwrap();
        }
    }
}

#[test]
fn listener_reload_reaches_live_sockets_and_socket_reload_only_that_socket() {
    let lp = EventLoop::new().unwrap();
    let first = Recorder::new(&[]);
    let second = Recorder::new(&[]);
    let own = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), first.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let c1 = lp.connect(&to(port), client.clone()).unwrap();
    let c2 = lp.connect(&to(port), client.clone()).unwrap();
    run_until(&lp, LIMIT, "two accepted", || first.count(|e| *e == Event::Open) == 2);
    lp.reload_listener(l, second.clone()).unwrap();
    let accepted: Vec<SocketId> = first.log.borrow().iter().map(|(s, _)| *s).collect();
    lp.reload_socket(accepted[1], own.clone()).unwrap();
    lp.write(c1, b"a").unwrap();
    lp.write(c2, b"b").unwrap();
    run_until(&lp, LIMIT, "both delivered", || second.received().len() + own.received().len() == 2);
    assert_eq!(first.received().len(), 0);
    assert_eq!(second.log.borrow()[0].0, accepted[0]);
    assert_eq!(own.log.borrow()[0].0, accepted[1]);
    let bad = Recorder::new(&["data", "drain"]);
    assert_eq!(lp.reload_listener(l, bad.clone()).unwrap_err().code, EINVAL);
    assert_eq!(lp.reload_socket(accepted[0], bad).unwrap_err().code, EINVAL);
}

#[test]
fn run_returns_once_everything_is_closed_or_unrefd() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    lp.set_listener_ref(l, false).unwrap();
    lp.set_listener_ref(l, false).unwrap();
    assert!(!lp.alive(), "unref is a flag, not a counter");
    lp.set_listener_ref(l, true).unwrap();
    lp.set_listener_ref(l, true).unwrap();
    assert!(lp.alive());
    lp.set_listener_ref(l, false).unwrap();
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.end(s, b"bye").unwrap();
        }
    });
    lp.connect(&to(lp.listener_port(l).unwrap()), client.clone()).unwrap();
    lp.run().unwrap();
    assert_eq!(closed(&client), 1);
    assert!(!lp.alive());
}

#[test]
fn unix_socket_lifecycle() {
    let lp = EventLoop::new().unwrap();
    let dir = std::env::temp_dir().join(format!("bun_tcp_unix_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.sock");
    let name = UnixName::Path(path.clone());
    let server = Recorder::new(&[]);
    let opts = ListenOptions { unix: Some(name.clone()), ..Default::default() };
    let l = lp.listen(&opts, server.clone()).unwrap();
    assert!(path.exists());
    assert_eq!(lp.listen(&opts, server.clone()).unwrap_err().code, -libc::EADDRINUSE, "live path");
    let client = Recorder::new(&[]);
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.end(s, b"over unix").unwrap();
        }
    });
    lp.connect(&ConnectOptions { unix: Some(name.clone()), ..Default::default() }, client.clone()).unwrap();
    run_until(&lp, LIMIT, "server closed", || closed(&server) == 1);
    assert_eq!(server.trace(), "open data:over unix end close");
    lp.stop(l, false).unwrap();
    assert!(!path.exists(), "path removed on stop");
    let again = lp.listen(&opts, server.clone()).unwrap();
    lp.stop(again, false).unwrap();

    let abstract_name =
        UnixName::new(format!("bun_tcp_test_{}", std::process::id()).as_bytes(), UnixNamespace::Abstract).unwrap();
    let a =
        lp.listen(&ListenOptions { unix: Some(abstract_name.clone()), ..Default::default() }, server.clone()).unwrap();
    let c = Recorder::new(&[]);
    lp.connect(&ConnectOptions { unix: Some(abstract_name), ..Default::default() }, c.clone()).unwrap();
    run_until(&lp, LIMIT, "abstract open", || c.count(|e| *e == Event::Open) == 1);
    lp.stop(a, true).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ipv6_loopback_and_addresses() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&ListenOptions { hostname: Some("::1".into()), ..Default::default() }, server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let c = lp
        .connect(&ConnectOptions { hostname: Some("::1".into()), port, ..Default::default() }, client.clone())
        .unwrap();
    run_until(&lp, LIMIT, "open", || {
        server.count(|e| *e == Event::Open) == 1 && client.count(|e| *e == Event::Open) == 1
    });
    let s = server.log.borrow()[0].0;
    assert_eq!(lp.remote_address(c).unwrap(), "::1");
    assert_eq!(lp.remote_port(c).unwrap(), port);
    assert_eq!(lp.local_port(s).unwrap(), port);
    assert_eq!(lp.remote_port(s).unwrap(), lp.local_port(c).unwrap());
    assert_eq!(lp.local_address(s).unwrap(), "::1");
}

#[test]
fn bad_listen_options_fail_at_once() {
    let lp = EventLoop::new().unwrap();
    let h = Recorder::new(&[]);
    let l = lp.listen(&local(), h.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let e = lp.listen(&ListenOptions { port, ..local() }, h.clone()).unwrap_err();
    assert_eq!((e.name.to_str().unwrap(), e.syscall), ("EADDRINUSE", Some(c"listen")));
    let e = lp
        .listen(&ListenOptions { hostname: Some("no such host!".into()), ..Default::default() }, h.clone())
        .unwrap_err();
    assert_eq!(e.code, EINVALHOST);
    let none = Recorder::new(&["data", "drain"]);
    assert_eq!(lp.listen(&local(), none.clone()).unwrap_err().code, EINVAL);
    assert_eq!(lp.connect(&to(port), none).unwrap_err().code, EINVAL);
    assert!(h.log.borrow().is_empty(), "no handler fired");
}

#[test]
fn close_all_runs_close_handlers_and_refuses_new_work() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    for _ in 0..3 {
        lp.connect(&to(port), client.clone()).unwrap();
    }
    run_until(&lp, LIMIT, "accepted", || server.count(|e| *e == Event::Open) == 3);
    let pending = lp
        .connect(
            &ConnectOptions { hostname: Some("nonexistent.invalid".into()), port, ..Default::default() },
            client.clone(),
        )
        .unwrap();
    lp.close_all();
    assert_eq!(closed(&server), 3);
    assert_eq!(closed(&client), 3);
    assert_eq!(client.count(|e| matches!(e, Event::ConnectError(n) if n == "ECANCELED")), 1);
    assert!(lp.write(pending, b"x").is_err());
    assert!(lp.connect(&to(port), client.clone()).is_err());
    assert!(!lp.alive());
    let _ = Rc::clone(&server);
}

#[test]
fn dual_stack_by_default_and_ipv6_only_when_asked() {
    let lp = EventLoop::new().unwrap();
    for v6only in [false, true] {
        let server = Recorder::new(&[]);
        let opts = ListenOptions { hostname: Some("::".into()), ipv6_only: v6only, ..Default::default() };
        let l = lp.listen(&opts, server.clone()).unwrap();
        let client = Recorder::new(&[]);
        lp.connect(&to(lp.listener_port(l).unwrap()), client.clone()).unwrap();
        run_until(&lp, LIMIT, "connect outcome", || !client.log.borrow().is_empty());
        let expected = if v6only { "connect_error:ECONNREFUSED" } else { "open" };
        assert_eq!(client.trace(), expected, "ipv6_only={v6only}");
        if !v6only {
            run_until(&lp, LIMIT, "accepted", || server.count(|e| *e == Event::Open) == 1);
            let s = server.log.borrow()[0].0;
            assert_eq!(lp.remote_address(s).unwrap(), "127.0.0.1", "mapped IPv4 peers print as IPv4");
        }
        lp.stop(l, true).unwrap();
    }
}

#[test]
fn one_busy_socket_gets_a_bounded_number_of_reads_per_iteration() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    server.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap();
        }
    });
    let c = lp.connect(&to(lp.listener_port(l).unwrap()), client.clone()).unwrap();
    run_until(&lp, LIMIT, "accepted", || server.count(|e| *e == Event::Open) == 1);
    let total = 8 << 20;
    lp.write_all(c, &vec![7u8; total]).unwrap();
    let sid = server.log.borrow()[0].0;
    lp.resume(sid).unwrap();
    let mut most_per_poll = 0;
    while server.received().len() < total {
        let before = server.count(|e| matches!(e, Event::Data(_)));
        lp.poll(Some(std::time::Duration::from_millis(50))).unwrap();
        most_per_poll = most_per_poll.max(server.count(|e| matches!(e, Event::Data(_))) - before);
    }
    // One readiness event and one fairness-list turn per iteration, each capped.
    let cap = 2 * bun_tcp::event_loop::READ_BUDGET as usize;
    assert!(most_per_poll >= 1 && most_per_poll <= cap, "{most_per_poll} reads in one iteration");
}

#[test]
fn a_reset_after_the_peers_fin_still_closes_the_socket() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let opts = ListenOptions { allow_half_open: true, ..local() };
    let l = lp.listen(&opts, server.clone()).unwrap();
    server.on(|lp, s, e| {
        if *e == Event::Open {
            lp.write(s, b"0123456789").unwrap();
        }
    });
    let c = lp
        .connect(&ConnectOptions { allow_half_open: true, ..to(lp.listener_port(l).unwrap()) }, client.clone())
        .unwrap();
    client.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap();
            lp.shutdown_socket(s, false).unwrap();
        }
    });
    run_until(&lp, LIMIT, "server saw FIN", || server.count(|e| *e == Event::End) == 1);
    lp.terminate(c).unwrap();
    run_until(&lp, LIMIT, "server closed", || closed(&server) == 1);
    let trace = server.trace();
    assert!(trace.ends_with("close:EPIPE") || trace.ends_with("close:ECONNRESET"), "{trace}");
}
