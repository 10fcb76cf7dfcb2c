//! The resolver pool: look-ups run on at most 4 threads per process, fed by a queue. A look-up
//! whose socket was closed while it waited in the queue is never made; slow look-ups do not
//! block the loop; answers still arrive through the loop's waker.

mod common;
use bun_tcp::{ConnectOptions, EventLoop, NetError, Resolver, SocketId};
use common::*;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Names the resolver was asked for, and a gate that holds every "slow-*" look-up.
#[derive(Default)]
struct Calls {
    asked: Mutex<Vec<String>>,
    gate_open: Mutex<bool>,
    gate: Condvar,
    arrived: Condvar,
}

fn gated_resolver(calls: Arc<Calls>) -> Resolver {
    Arc::new(move |host: &str, _port: u16| -> Result<Vec<std::net::SocketAddr>, NetError> {
        calls.asked.lock().unwrap().push(host.to_string());
        calls.arrived.notify_all();
        if host.starts_with("slow-") {
            let mut open = calls.gate_open.lock().unwrap();
            while !*open {
                open = calls.gate.wait(open).unwrap();
            }
        }
        Err(NetError::new(bun_tcp::error::ENOTFOUND, format!("no such name {host}")))
    })
}

fn to_host(host: &str) -> ConnectOptions {
    ConnectOptions { hostname: Some(host.into()), port: 80, ..Default::default() }
}

/// The pool is per process and the tests count threads: they must not run side by side.
static SERIAL: Mutex<()> = Mutex::new(());

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn queued_lookups_of_closed_sockets_are_skipped_and_slow_ones_do_not_block_the_loop() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    let calls = Arc::new(Calls::default());
    lp.set_resolver(Some(gated_resolver(calls.clone())));
    let threads_before = threads();

    // Four slow look-ups take every resolver thread.
    let rec = Recorder::new(&[]);
    for i in 0..4 {
        lp.connect(&to_host(&format!("slow-{i}.test")), rec.clone()).unwrap();
    }
    {
        let deadline = Instant::now() + LIMIT;
        let mut asked = calls.asked.lock().unwrap();
        while asked.len() < 4 {
            assert!(Instant::now() < deadline, "the four slow look-ups did not start: {asked:?}");
            asked = calls.arrived.wait_timeout(asked, Duration::from_millis(50)).unwrap().0;
        }
    }
    assert!(threads() <= threads_before + 4, "more than 4 resolver threads");

    // Ten more wait in the queue; five of their sockets close before a thread is free.
    let queued: Vec<SocketId> =
        (0..10).map(|i| lp.connect(&to_host(&format!("queued-{i}.test")), rec.clone()).unwrap()).collect();
    for id in &queued[..5] {
        lp.close(*id).unwrap();
    }
    assert_eq!(rec.count(|e| *e == Event::ConnectError("ECANCELED".into())), 5);
    assert!(threads() <= threads_before + 4, "more than 4 resolver threads");

    // The loop is not blocked by the look-ups in flight.
    let started = Instant::now();
    lp.poll(Some(Duration::from_millis(20))).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "poll blocked for {:?}", started.elapsed());
    assert_eq!(calls.asked.lock().unwrap().len(), 4, "a queued look-up ran while every thread was busy");

    // Open the gate: the slow ones and the five live queued ones answer (ENOTFOUND here).
    *calls.gate_open.lock().unwrap() = true;
    calls.gate.notify_all();
    run_until(&lp, LIMIT, "every connect ended", || rec.count(|e| matches!(e, Event::ConnectError(_))) == 14);
    assert_eq!(rec.count(|e| *e == Event::ConnectError("ENOTFOUND".into())), 9);
    assert_eq!(rec.count(|e| matches!(e, Event::Open | Event::Close(_))), 0);
    let mut asked = calls.asked.lock().unwrap().clone();
    asked.sort();
    let mut expected: Vec<String> = (0..4).map(|i| format!("slow-{i}.test")).collect();
    expected.extend((5..10).map(|i| format!("queued-{i}.test")));
    expected.sort();
    assert_eq!(asked, expected, "the closed sockets' look-ups must be skipped");
    assert!(!lp.alive());

    // Idle resolver threads exit.
    let deadline = Instant::now() + LIMIT;
    while threads() > threads_before {
        assert!(Instant::now() < deadline, "resolver threads did not exit when idle");
        lp.poll(Some(Duration::from_millis(50))).unwrap();
    }
}

#[test]
fn a_panicking_resolver_fails_the_connect_instead_of_leaving_it_resolving() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    lp.set_resolver(Some(Arc::new(|host: &str, _port: u16| -> Result<Vec<std::net::SocketAddr>, NetError> {
        panic!("test resolver panics for {host}")
    })));
    let rec = Recorder::new(&[]);
    lp.connect(&to_host("panics.test"), rec.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || rec.count(|e| matches!(e, Event::ConnectError(_))) == 1);
    assert_eq!(rec.trace(), "connect_error:ENOTFOUND");
    assert!(!lp.alive());
    // The pool still serves later look-ups.
    lp.set_resolver(Some(gated_resolver(Arc::new(Calls::default()))));
    lp.connect(&to_host("after.test"), rec.clone()).unwrap();
    run_until(&lp, LIMIT, "second connect_error", || rec.count(|e| matches!(e, Event::ConnectError(_))) == 2);
    assert_eq!(rec.trace(), "connect_error:ENOTFOUND connect_error:ENOTFOUND");
}
