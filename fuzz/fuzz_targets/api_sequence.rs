//! Arbitrary sequences of API calls from inside and outside handlers, checked against the
//! invariants: close exactly once and last, nothing after close, stale handles refused, bytes in
//! order.

#![no_main]

use bun_tcp::{ConnectOptions, EventLoop, HandlerSet, Handlers, ListenOptions, NetError, SocketId, UserData};
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

#[derive(Default)]
struct Log {
    /// Events per socket: 'o' open, 'c' close, 'e' connect_error, 'd' data, 'n' end, 'r' drain.
    events: RefCell<HashMap<u64, String>>,
    received: RefCell<HashMap<u64, Vec<u8>>>,
    /// An action to run inside the next data handler (byte from the input).
    inside: RefCell<Vec<u8>>,
}

struct Table(Rc<Log>);

impl Table {
    fn note(&self, s: SocketId, c: char) {
        let mut ev = self.0.events.borrow_mut();
        let e = ev.entry(s.0).or_default();
        assert!(!e.contains('c') && !e.contains('e'), "handler '{c}' after close/connect_error: {e}");
        e.push(c);
    }
}

impl Handlers for Table {
    fn present(&self) -> HandlerSet {
        HandlerSet { open: true, data: true, drain: true, end: true, close: true, connect_error: true, timeout: true, ..Default::default() }
    }
    fn open(&self, _: &EventLoop, s: SocketId, _: UserData) {
        self.note(s, 'o');
    }
    fn data(&self, lp: &EventLoop, s: SocketId, _: UserData, bytes: &[u8]) {
        self.note(s, 'd');
        self.0.received.borrow_mut().entry(s.0).or_default().extend_from_slice(bytes);
        if let Some(action) = self.0.inside.borrow_mut().pop() {
            let _ = match action % 5 {
                0 => lp.close(s),
                1 => lp.terminate(s),
                2 => lp.end(s, b"").map(|_| ()),
                3 => lp.pause(s),
                // (No writes here: a client echoing back would add bytes to its own stream.)
                _ => lp.resume(s),
            };
        }
    }
    fn drain(&self, _: &EventLoop, s: SocketId, _: UserData) {
        self.note(s, 'r');
    }
    fn end(&self, _: &EventLoop, s: SocketId, _: UserData) {
        self.note(s, 'n');
    }
    fn close(&self, _: &EventLoop, s: SocketId, _: UserData, _: Option<&NetError>) {
        self.note(s, 'c');
    }
    fn connect_error(&self, _: &EventLoop, s: SocketId, _: UserData, _: &NetError) {
        self.note(s, 'e');
    }
}

fuzz_target!(|input: &[u8]| {
    let lp = EventLoop::new().unwrap();
    let log = Rc::new(Log::default());
    let l = lp.listen(&ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }, Rc::new(Table(log.clone()))).unwrap();
    let port = lp.listener_port(l).unwrap();
    let mut clients: Vec<(SocketId, u8, usize)> = Vec::new();
    let mut closed: Vec<SocketId> = Vec::new();
    for pair in input.chunks(2).take(64) {
        let (op, arg) = (pair[0], *pair.get(1).unwrap_or(&0));
        let pick = |clients: &Vec<(SocketId, u8, usize)>| (!clients.is_empty()).then(|| arg as usize % clients.len());
        match op % 12 {
            0 if clients.len() < 6 => {
                let to = ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() };
                let s = lp.connect(&to, Rc::new(Table(log.clone()))).unwrap();
                clients.push((s, clients.len() as u8 + 1, 0));
            }
            1..=3 => {
                if let Some(i) = pick(&clients) {
                    let (s, seed, off) = clients[i];
                    let n = 1 + (arg as usize) * 997;
                    let bytes: Vec<u8> = (off..off + n).map(|k| if k == 0 { seed } else { ((k * 7 + seed as usize) % 251) as u8 }).collect();
                    let r = if op % 12 == 1 { lp.write(s, &bytes) } else if op % 12 == 2 { lp.write_all(s, &bytes) } else { lp.cork(s).and_then(|()| lp.write(s, &bytes)) };
                    if let Ok(k) = r {
                        clients[i].2 += k;
                    }
                }
            }
            4 => {
                if let Some(i) = pick(&clients) {
                    let _ = lp.end(clients[i].0, b"");
                }
            }
            5 | 6 => {
                if let Some(i) = pick(&clients) {
                    let s = clients[i].0;
                    let ok = if op % 12 == 5 { lp.close(s) } else { lp.terminate(s) };
                    if ok.is_ok() {
                        closed.push(s);
                    }
                }
            }
            7 => {
                if let Some(i) = pick(&clients) {
                    let _ = if arg % 2 == 0 { lp.pause(clients[i].0) } else { lp.resume(clients[i].0) };
                }
            }
            8 => log.inside.borrow_mut().push(arg),
            9 => {
                if let Some(i) = pick(&clients) {
                    let _ = lp.set_timeout(clients[i].0, Some(Duration::from_millis(1 + arg as u64 % 10)));
                }
            }
            10 => {
                let _ = lp.stop(l, arg % 2 == 0);
            }
            _ => {
                lp.poll(Some(Duration::from_millis(arg as u64 % 3))).unwrap();
            }
        }
        for s in &closed {
            assert!(lp.write(*s, b"x").is_err(), "a closed handle accepted a write");
        }
    }
    for _ in 0..5 {
        lp.poll(Some(Duration::from_millis(1))).unwrap();
    }
    lp.close_all();
    for (id, events) in log.events.borrow().iter() {
        if events.contains('e') {
            assert_eq!(events, "e", "{id}: connect_error not alone");
        } else {
            assert!(events.starts_with('o'), "{id}: {events}");
            assert_eq!(events.matches('c').count(), 1, "{id}: {events}");
            assert!(events.ends_with('c'), "{id}: {events}");
        }
    }
    for (id, bytes) in log.received.borrow().iter() {
        // Only accepted sockets: clients may receive partial echoes from `inside` actions.
        if clients.iter().any(|c| c.0.0 == *id) {
            continue;
        }
        let seed = bytes[0];
        if let Some(&(_, _, written)) = clients.iter().find(|c| c.1 == seed) {
            assert!(bytes.len() <= written, "{id}: more received than written");
            for (k, b) in bytes.iter().enumerate() {
                let want = if k == 0 { seed } else { ((k * 7 + seed as usize) % 251) as u8 };
                assert_eq!(*b, want, "{id}: byte {k} out of order");
            }
        }
    }
});
