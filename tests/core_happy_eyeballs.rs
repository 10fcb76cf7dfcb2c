//! Happy Eyeballs (RFC 8305): a name with several addresses is connected to by racing attempts.
//! The loop's resolver is replaced so a name maps to chosen loopback addresses; a "silent"
//! address is an IPv6 listener whose accept queue is full, so the kernel drops further SYNs and a
//! connect to it stays in flight.

mod common;
use bun_tcp::CONNECT_ATTEMPT_DELAY;
use bun_tcp::{ConnectOptions, EventLoop, NetError, Resolver};
use common::*;
use socket2::{Domain, Socket, Type};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The tests count this process's file descriptors: they must not run side by side.
static SERIAL: Mutex<()> = Mutex::new(());

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// A listener on [::1] that accepts nothing more: backlog 0, and one connection fills its queue.
struct Silent {
    _listener: Socket,
    _filler: TcpStream,
    addr: SocketAddr,
}

fn silent_v6(port: u16) -> Silent {
    let listener = Socket::new(Domain::IPV6, Type::STREAM, None).unwrap();
    listener.set_only_v6(true).unwrap();
    listener.bind(&SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)).into()).unwrap();
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let filler = TcpStream::connect(addr).unwrap();
    Silent { _listener: listener, _filler: filler, addr }
}

fn resolving_to(addrs: Vec<SocketAddr>) -> Resolver {
    Arc::new(move |_host: &str, _port: u16| -> Result<Vec<SocketAddr>, NetError> { Ok(addrs.clone()) })
}

fn to_name(port: u16) -> ConnectOptions {
    ConnectOptions { hostname: Some("racing.test".into()), port, ..Default::default() }
}

#[test]
fn a_silent_first_address_loses_to_the_next_one_started_after_the_attempt_delay() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let l = lp.listen(&local(), server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    let silent = silent_v6(port);
    lp.set_resolver(Some(resolving_to(vec![silent.addr, SocketAddr::from(([127, 0, 0, 1], port))])));

    let fds_before = open_fds();
    let client = Recorder::new(&[]);
    let started = Instant::now();
    let s = lp.connect(&to_name(port), client.clone()).unwrap();
    run_until(&lp, LIMIT, "client open", || client.count(|e| *e == Event::Open) == 1);
    let waited = started.elapsed();

    assert_eq!(client.trace(), "open");
    assert_eq!(lp.remote_address(s).unwrap(), "127.0.0.1", "the IPv4 attempt won");
    assert!(waited >= CONNECT_ATTEMPT_DELAY, "the second attempt started after {waited:?}, before the delay");
    run_until(&lp, LIMIT, "server open", || server.count(|e| *e == Event::Open) == 1);
    // The losing IPv6 attempt is closed: what is left is the client socket and the accepted one.
    assert_eq!(open_fds(), fds_before + 2, "the losing attempt's descriptor was not closed");
    lp.close(s).unwrap();
    assert_eq!(client.trace(), "open close");
}

#[test]
fn every_address_refused_fires_one_connect_error_with_the_last_error() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    // Two closed ports: listen, note the ports, stop.
    let probe = Recorder::new(&[]);
    let l = lp.listen(&local(), probe.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    lp.stop(l, false).unwrap();
    let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));
    let v4 = SocketAddr::from(([127, 0, 0, 1], port));
    lp.set_resolver(Some(resolving_to(vec![v6, v4, v6, v4])));

    let client = Recorder::new(&[]);
    let s = lp.connect(&to_name(port), client.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || !client.log.borrow().is_empty());
    lp.poll(Some(std::time::Duration::ZERO)).unwrap();
    assert_eq!(client.trace(), "connect_error:ECONNREFUSED");
    assert!(lp.write(s, b"x").is_err(), "the handle is stale after connect_error");
    assert_eq!(lp.socket_count(), 0);
}

#[test]
fn closing_while_attempts_race_cancels_all_of_them() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    let a = silent_v6(0);
    let b = silent_v6(0);
    let c = silent_v6(0);
    lp.set_resolver(Some(resolving_to(vec![a.addr, b.addr, c.addr])));

    let fds_before = open_fds();
    let client = Recorder::new(&[]);
    let s = lp.connect(&to_name(a.addr.port()), client.clone()).unwrap();
    // Let the delay pass twice, so that three attempts are in flight.
    let started = Instant::now();
    run_until(&lp, LIMIT, "three attempts", || open_fds() == fds_before + 3);
    assert!(started.elapsed() >= CONNECT_ATTEMPT_DELAY * 2);
    assert!(client.log.borrow().is_empty(), "nothing fires while attempts are in flight");
    assert_eq!(lp.socket_count(), 1, "racing attempts are one socket");

    lp.close(s).unwrap();
    assert_eq!(client.trace(), "connect_error:ECANCELED");
    assert_eq!(open_fds(), fds_before, "every attempt's descriptor was closed");
    lp.poll(Some(std::time::Duration::ZERO)).unwrap();
    assert_eq!(lp.socket_count(), 0);
    assert!(!lp.alive());
}

#[test]
fn a_name_that_resolves_to_nothing_is_enotfound() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let lp = EventLoop::new().unwrap();
    lp.set_resolver(Some(Arc::new(|host: &str, _| {
        Err(NetError::new(bun_tcp::error::ENOTFOUND, format!("no such name: {host}")))
    })));
    let client = Recorder::new(&[]);
    lp.connect(&to_name(80), client.clone()).unwrap();
    run_until(&lp, LIMIT, "connect_error", || !client.log.borrow().is_empty());
    assert_eq!(client.trace(), "connect_error:ENOTFOUND");
}
