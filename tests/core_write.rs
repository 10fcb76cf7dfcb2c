//! Writing rules (the header: bun_tcp_socket_write / bun_tcp_socket_end): Bun's unbuffered write + drain, end's whole chunk, write_all
//! and cork, errors after end/close, and a queued tail meeting a reset.

mod common;

use bun_tcp::{ConnectOptions, EventLoop, ListenOptions, SocketId};
use common::{Event, LIMIT, Recorder, run_until};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

fn pair(lp: &EventLoop, server: Rc<Recorder>, client: Rc<Recorder>) -> SocketId {
    let l = lp.listen(&ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }, server).unwrap();
    let port = lp.listener_port(l).unwrap();
    lp.set_listener_ref(l, false).unwrap();
    lp.connect(&ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() }, client).unwrap()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn short_write_returns_part_and_drain_follows() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let big = Rc::new(pattern(32 << 20));
    let first = Rc::new(Cell::new(0usize));
    let (b, f) = (big.clone(), first.clone());
    // The server pauses so the client's kernel buffers fill.
    server.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap();
        }
    });
    client.on(move |lp, s, e| {
        if *e == Event::Open {
            f.set(lp.write(s, &b).unwrap());
        }
    });
    pair(&lp, server.clone(), client.clone());
    run_until(&lp, LIMIT, "client open", || client.count(|e| *e == Event::Open) == 1);
    let n = first.get();
    assert!(n > 0 && n < big.len(), "short write expected, got {n}");
    let sid = server.log.borrow()[0].0;
    lp.resume(sid).unwrap();
    run_until(&lp, LIMIT, "drain", || client.count(|e| *e == Event::Drain) >= 1);
    assert_eq!(client.count(|e| *e == Event::Drain), 1, "one drain per short write");
}

#[test]
fn end_delivers_every_byte_of_a_large_chunk_then_fin() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let big = Rc::new(pattern(32 << 20));
    let b = big.clone();
    client.on(move |lp, s, e| {
        if *e == Event::Open {
            assert_eq!(lp.end(s, &b).unwrap(), b.len());
            assert_eq!(lp.write(s, b"late").unwrap_err().code, bun_tcp::error::EENDED);
            assert_eq!(lp.end(s, b"again").unwrap_err().code, bun_tcp::error::EENDED);
        }
    });
    pair(&lp, server.clone(), client.clone());
    run_until(&lp, LIMIT, "server end", || server.count(|e| *e == Event::End) == 1);
    assert!(server.received() == *big, "32 MiB arrive intact");
}

#[test]
fn write_all_and_cork_keep_order_and_drain_when_the_queue_empties() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let expected = Rc::new(RefCell::new(Vec::new()));
    let exp = expected.clone();
    client.on(move |lp, s, e| {
        if *e == Event::Open {
            let mut all = exp.borrow_mut();
            for i in 0..200u32 {
                let chunk = pattern(1000 + (i as usize * 7919) % 70000);
                if i % 3 == 0 {
                    lp.cork(s).unwrap();
                    lp.write(s, &chunk).unwrap();
                    lp.write_all(s, b"|").unwrap();
                    lp.uncork(s).unwrap();
                    all.extend_from_slice(&chunk);
                    all.push(b'|');
                } else {
                    assert_eq!(lp.write_all(s, &chunk).unwrap(), chunk.len());
                    all.extend_from_slice(&chunk);
                }
                // A plain write must not jump the queue.
                if lp.buffered_amount(s).unwrap() > 0 {
                    assert_eq!(lp.write(s, b"JUMP").unwrap(), 0);
                }
            }
            lp.end(s, b"").unwrap();
        }
    });
    pair(&lp, server.clone(), client.clone());
    run_until(&lp, LIMIT, "server end", || server.count(|e| *e == Event::End) == 1);
    assert!(server.received() == *expected.borrow());
}

#[test]
fn write_after_close_and_after_shutdown_fail() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let client = Recorder::new(&[]);
    let s = pair(&lp, server.clone(), client.clone());
    run_until(&lp, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    assert_eq!(lp.write(s, b"").unwrap(), 0, "zero-length write on an open socket");
    lp.shutdown_socket(s, false).unwrap();
    assert_eq!(lp.write(s, b"x").unwrap_err().code, bun_tcp::error::EENDED);
    assert_eq!(lp.ready_state(s), bun_tcp::ReadyState::WriteShut);
    lp.close(s).unwrap();
    assert_eq!(lp.write(s, b"x").unwrap_err().code, bun_tcp::error::ECLOSED);
    assert_eq!(client.trace(), "open close");
}

#[test]
fn queued_tail_meeting_a_reset_reports_an_error() {
    for with_error_handler in [true, false] {
        let lp = EventLoop::new().unwrap();
        let server = Recorder::new(&[]);
        let without: &[&str] = if with_error_handler { &[] } else { &["error"] };
        let client = Recorder::new(without);
        server.on(|lp, s, e| {
            if *e == Event::Open {
                lp.pause(s).unwrap();
            }
            if *e == Event::Timeout {
                lp.terminate(s).unwrap();
            }
        });
        let big = Rc::new(pattern(64 << 20));
        let b = big.clone();
        client.on(move |lp, s, e| {
            if *e == Event::Open {
                lp.end(s, &b).unwrap();
            }
        });
        pair(&lp, server.clone(), client.clone());
        run_until(&lp, LIMIT, "server open", || server.count(|e| *e == Event::Open) == 1);
        let sid = server.log.borrow()[0].0;
        run_until(&lp, LIMIT, "tail queued", || lp.buffered_amount(server_peer(&client)).unwrap_or(0) > 0);
        lp.terminate(sid).unwrap();
        run_until(&lp, LIMIT, "client closed", || client.count(|e| matches!(e, Event::Close(_))) == 1);
        let trace = client.trace();
        if with_error_handler {
            assert!(
                trace.contains("error:") || trace.contains("close:ECONNRESET"),
                "error handler or reset close expected: {trace}"
            );
        } else {
            assert!(trace.ends_with("close:ECONNRESET") || trace.ends_with("close:EPIPE"), "{trace}");
        }
    }
}

fn server_peer(client: &Recorder) -> SocketId {
    client.log.borrow()[0].0
}
