//! Leak checks count this process's fds, so they live alone in their own test binary.

mod common;

use bun_tcp::EventLoop;
use common::{Event, LIMIT, Recorder, local, run_until, to};

#[test]
fn failing_connects_leak_no_slot_and_no_fd() {
    let lp = EventLoop::new().unwrap();
    let probe = lp.listen(&local(), Recorder::new(&[])).unwrap();
    let port = lp.listener_port(probe).unwrap();
    lp.stop(probe, false).unwrap();
    let fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let before = fds();
    let client = Recorder::new(&[]);
    for _ in 0..50 {
        lp.connect(&to(port), client.clone()).unwrap();
    }
    run_until(&lp, LIMIT, "50 errors", || client.count(|e| matches!(e, Event::ConnectError(_))) == 50);
    lp.poll(Some(std::time::Duration::ZERO)).unwrap();
    assert_eq!(lp.socket_count(), 0);
    assert_eq!(fds(), before);
    assert_eq!(client.count(|e| matches!(e, Event::Open | Event::Close(_))), 0);
}
