//! Connect options on names with several addresses (the loop's resolver is replaced): the
//! connect timeout covers resolving, a local address keeps only its family's addresses, and a
//! local port makes the attempts run one at a time. A "silent" address is a listener whose accept
//! queue is full (backlog 0 plus one connection): the kernel drops further SYNs.

mod common;
use bun_tcp::{ConnectOptions, EventLoop, NetError, Resolver};
use common::*;
use socket2::{Domain, Socket, Type};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

struct Silent {
    _listener: Socket,
    _filler: TcpStream,
    addr: SocketAddr,
}

fn silent(ip: IpAddr) -> Silent {
    let listener = Socket::new(Domain::for_address(SocketAddr::new(ip, 0)), Type::STREAM, None).unwrap();
    listener.bind(&SocketAddr::new(ip, 0).into()).unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let filler = TcpStream::connect(addr).unwrap();
    Silent { _listener: listener, _filler: filler, addr }
}

fn resolving_to(addrs: Vec<SocketAddr>) -> Resolver {
    Arc::new(move |_host: &str, _port: u16| -> Result<Vec<SocketAddr>, NetError> { Ok(addrs.clone()) })
}

fn to_name(port: u16) -> ConnectOptions {
    ConnectOptions { hostname: Some("options.test".into()), port, ..Default::default() }
}

const V4: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);

#[test]
fn the_connect_timeout_covers_a_resolver_that_does_not_answer() {
    // The resolver answers only when the test opens the gate, after the timeout fired.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let answered = Arc::new(AtomicBool::new(false));
    let lp = EventLoop::new().unwrap();
    let (resolver_gate, resolver_answered) = (gate.clone(), answered.clone());
    lp.set_resolver(Some(Arc::new(move |_: &str, port: u16| {
        let (open, opened) = &*resolver_gate;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            is_open = opened.wait(is_open).unwrap();
        }
        resolver_answered.store(true, Ordering::SeqCst);
        Ok(vec![SocketAddr::new(V4, port)])
    })));
    let client = Recorder::new(&[]);
    let started = Instant::now();
    let opts = ConnectOptions { connect_timeout: Some(Duration::from_millis(150)), ..to_name(9) };
    lp.connect(&opts, client.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || !client.log.borrow().is_empty());
    assert_eq!(client.trace(), "connect_error:ETIMEDOUT");
    assert!(started.elapsed() >= Duration::from_millis(150), "timed out after {:?}", started.elapsed());
    assert!(!answered.load(Ordering::SeqCst), "the resolver had not answered");
    assert!(!lp.alive());
    // The late answer is dropped: nothing more fires.
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    let until = Instant::now() + LIMIT;
    while !answered.load(Ordering::SeqCst) && Instant::now() < until {
        lp.poll(Some(Duration::from_millis(10))).unwrap();
    }
    assert!(answered.load(Ordering::SeqCst));
    lp.poll(Some(Duration::from_millis(50))).unwrap();
    lp.poll(Some(Duration::ZERO)).unwrap();
    assert_eq!(client.trace(), "connect_error:ETIMEDOUT");
}

#[test]
fn a_local_address_skips_the_addresses_of_the_other_family() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    // Without the family rule the silent IPv6 address would go first and hold the connect for
    // the Happy Eyeballs delay; its attempt would also fail to bind 127.0.0.1.
    let quiet = silent(V6);
    lp.set_resolver(Some(resolving_to(vec![quiet.addr, SocketAddr::new(V4, port)])));
    let client = Recorder::new(&[]);
    let opts = ConnectOptions { local_address: Some(V4), ..to_name(port) };
    let s = lp.connect(&opts, client.clone()).unwrap();
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    assert_eq!(client.trace(), "open");
    assert_eq!(lp.remote_address(s).unwrap(), "127.0.0.1");
    assert_eq!(lp.local_address(s).unwrap(), "127.0.0.1");

    let only_v6 = Recorder::new(&[]);
    lp.set_resolver(Some(resolving_to(vec![quiet.addr])));
    lp.connect(&opts, only_v6.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || !only_v6.log.borrow().is_empty());
    assert_eq!(only_v6.trace(), "connect_error:EAFNOSUPPORT");
    lp.close(s).unwrap();
}

#[test]
fn with_a_local_port_the_attempts_run_one_at_a_time() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let free_port = || std::net::TcpListener::bind((V4, 0)).unwrap().local_addr().unwrap().port();

    // A refused address, then the live one: the second attempt starts when the first fails,
    // and binds the same local port.
    let refused = SocketAddr::new(V4, free_port());
    lp.set_resolver(Some(resolving_to(vec![refused, SocketAddr::new(V4, port)])));
    let local_port = free_port();
    let client = Recorder::new(&[]);
    let s = lp.connect(&ConnectOptions { local_port, ..to_name(port) }, client.clone()).unwrap();
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    assert_eq!(client.trace(), "open");
    assert_eq!(lp.local_port(s).unwrap(), local_port);
    lp.close(s).unwrap();

    // A silent address first: the live one is never tried beside it (no race), so only the
    // connect timeout ends the connect.
    let quiet = silent(V4);
    lp.set_resolver(Some(resolving_to(vec![quiet.addr, SocketAddr::new(V4, port)])));
    let waiting = Recorder::new(&[]);
    let opts =
        ConnectOptions { local_port: free_port(), connect_timeout: Some(Duration::from_millis(600)), ..to_name(port) };
    let started = Instant::now();
    lp.connect(&opts, waiting.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || !waiting.log.borrow().is_empty());
    assert_eq!(waiting.trace(), "connect_error:ETIMEDOUT");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(server.count(|e| *e == Event::Open), 1, "only the first client reached the server");
}
