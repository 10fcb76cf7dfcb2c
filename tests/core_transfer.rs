//! Moving a connection between loops: `detach` on one, `adopt` on the other.

mod common;
use bun_tcp::EventLoop;
use bun_tcp::error::{EBUSY, ENOTSUP};
use common::*;

#[test]
fn a_detached_socket_fires_nothing_more_and_its_adopter_gets_open_then_the_bytes() {
    let a = EventLoop::new().unwrap();
    let b = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let l = a.listen(&local(), server.clone()).unwrap();
    let client = Recorder::new(&[]);
    let c = a.connect(&to(a.listener_port(l).unwrap()), client.clone()).unwrap();
    assert_eq!(a.detach(c).unwrap_err().code, ENOTSUP, "a connecting socket cannot move");
    run_until(&a, LIMIT, "both open", || {
        client.count(|e| *e == Event::Open) == 1 && server.count(|e| *e == Event::Open) == 1
    });
    let accepted = server.log.borrow()[0].0;

    let fd = a.detach(accepted).unwrap();
    assert!(a.write(accepted, b"x").is_err(), "the detached handle is stale");
    a.write(c, b"hello").unwrap();
    let moved = Recorder::new(&[]);
    let s = b.adopt(fd, std::ptr::null_mut(), false, moved.clone()).map_err(|(e, _)| e).unwrap();
    run_until(&b, LIMIT, "data on b", || moved.received() == b"hello");
    b.write(s, b"back").unwrap();
    run_until(&a, LIMIT, "reply on a", || client.received() == b"back");
    a.end(c, b"").unwrap();
    run_until(&b, LIMIT, "close on b", || moved.count(|e| matches!(e, Event::Close(_))) == 1);
    assert_eq!(moved.trace(), "open data:hello end close");
    assert_eq!(server.trace(), "open", "loop a fired nothing after detach");
    run_until(&a, LIMIT, "client close", || client.count(|e| matches!(e, Event::Close(_))) == 1);
    assert_eq!(client.trace(), "open data:back end close");
    a.poll(Some(std::time::Duration::ZERO)).unwrap();
    assert_eq!(a.socket_count(), 0);
}

#[test]
fn queued_bytes_keep_a_socket_in_its_loop() {
    let a = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    server.on(|lp, s, e| {
        if *e == Event::Open {
            lp.pause(s).unwrap()
        }
    });
    let l = a.listen(&local(), server.clone()).unwrap();
    let client = Recorder::new(&[]);
    let c = a.connect(&to(a.listener_port(l).unwrap()), client.clone()).unwrap();
    run_until(&a, LIMIT, "open", || client.count(|e| *e == Event::Open) == 1);
    a.write_all(c, &vec![0u8; 16 << 20]).unwrap();
    assert_eq!(a.detach(c).unwrap_err().code, EBUSY);
    a.close(c).unwrap();
}
