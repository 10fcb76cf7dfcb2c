//! Accepting under file-descriptor exhaustion: the loop must neither spin nor stall. Alone in
//! its binary because it lowers this process's RLIMIT_NOFILE.

mod common;

use bun_tcp::{EventLoop, ListenOptions};
use common::{Event, LIMIT, Recorder, run_until};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One past the highest open descriptor: RLIMIT_NOFILE bounds descriptor numbers, and the
/// lowest free number is taken first, so gaps below must be filled too.
fn fd_ceiling() -> u64 {
    let fds: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let highest = fds.iter().max().copied().unwrap_or(0);
    let gaps = (0..=highest).filter(|n| !fds.contains(n)).count() as u64;
    // The read_dir descriptor itself is closed again, leaving one more gap.
    highest + 1 + gaps
}

/// User + system CPU time of this process (getrusage: needs no file descriptor).
#[allow(unsafe_code)]
fn cpu_time() -> Duration {
    // SAFETY: getrusage fills a zeroed struct; the OS edge of this test.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, &mut u), 0);
        u
    };
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[allow(unsafe_code)]
fn set_fd_limit(n: u64) {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit with a valid struct; the OS edge of this test. The hard limit
    // stays as it is (raising it needs privileges).
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = n.min(lim.rlim_max);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
}

#[test]
fn emfile_neither_spins_nor_stalls_and_accepting_resumes() {
    let lp = EventLoop::new().unwrap();
    let server = Recorder::new(&[]);
    let l =
        lp.listen(&ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }, server.clone()).unwrap();
    let port = lp.listener_port(l).unwrap();
    // Use up every descriptor under a lowered limit, then free exactly three: one connection
    // (client side + accepted side) fits, the next client takes the last one and its accept
    // fails with EMFILE.
    set_fd_limit(fd_ceiling() + 16);
    let mut filler = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        filler.push(f);
    }
    filler.truncate(filler.len() - 3);
    let first = TcpStream::connect(("127.0.0.1", port)).unwrap();
    run_until(&lp, LIMIT, "one accepted", || server.count(|e| *e == Event::Open) == 1);
    let waiting = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let cpu_before = cpu_time();
    let wall = Instant::now();
    let mut iterations = 0;
    while wall.elapsed() < Duration::from_millis(600) {
        lp.poll(Some(Duration::from_millis(100))).unwrap();
        iterations += 1;
    }
    let cpu = cpu_time() - cpu_before;
    assert_eq!(server.count(|e| *e == Event::Open), 1, "no descriptor: not accepted yet");
    println!(
        "EMFILE: {cpu:?} of CPU and {iterations} loop iterations in 600 ms while the listener was out of descriptors"
    );
    assert!(cpu < Duration::from_millis(200), "the loop spun: {cpu:?} of CPU in 600 ms");
    assert!(iterations < 100, "{iterations} iterations in 600 ms: busy retrying");
    // Free descriptors: the waiting connection is accepted without any new event.
    drop(filler);
    run_until(&lp, LIMIT, "second accepted", || server.count(|e| *e == Event::Open) == 2);
    drop(waiting);
    drop(first);
}
