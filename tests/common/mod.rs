//! Test helpers: a handler table that records every call as text and can run a closure on
//! each event, and a loop runner with a deadline.

#![allow(dead_code)]

use bun_tcp::{EventLoop, HandlerSet, Handlers, NetError, SocketId, UserData};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub type Hook = Box<dyn Fn(&EventLoop, SocketId, &Event)>;

/// What a handler saw.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Open,
    Data(Vec<u8>),
    Drain,
    End,
    Close(Option<String>),
    Error(String),
    Timeout,
    ConnectError(String),
    Handshake(bool, Option<String>),
}

/// Records events per socket and runs an optional hook after recording.
pub struct Recorder {
    pub set: HandlerSet,
    pub log: RefCell<Vec<(SocketId, Event)>>,
    pub hook: RefCell<Option<Hook>>,
}

impl Recorder {
    /// A table with every handler present except those named in `without`.
    pub fn new(without: &[&str]) -> Rc<Recorder> {
        let has = |n: &str| !without.contains(&n);
        Rc::new(Recorder {
            set: HandlerSet {
                open: has("open"),
                data: has("data"),
                drain: has("drain"),
                end: has("end"),
                close: has("close"),
                error: has("error"),
                timeout: has("timeout"),
                connect_error: has("connect_error"),
                handshake: false,
            },
            log: RefCell::new(Vec::new()),
            hook: RefCell::new(None),
        })
    }

    /// The same table with a `handshake` handler.
    pub fn with_handshake(without: &[&str]) -> Rc<Recorder> {
        let mut r = Recorder::new(without);
        Rc::get_mut(&mut r).unwrap().set.handshake = true;
        r
    }

    pub fn on(&self, hook: impl Fn(&EventLoop, SocketId, &Event) + 'static) {
        *self.hook.borrow_mut() = Some(Box::new(hook));
    }

    fn record(&self, lp: &EventLoop, s: SocketId, e: Event) {
        self.log.borrow_mut().push((s, e.clone()));
        if let Some(h) = self.hook.borrow().as_ref() {
            h(lp, s, &e);
        }
    }

    /// The events as short words, data merged per run: "open data:hello end close".
    pub fn trace(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        for (_, e) in self.log.borrow().iter() {
            let word = match e {
                Event::Open => "open".to_string(),
                Event::Data(d) => {
                    let text = String::from_utf8_lossy(d).to_string();
                    if let Some(last) = out.last_mut() {
                        if let Some(prev) = last.strip_prefix("data:") {
                            *last = format!("data:{prev}{text}");
                            continue;
                        }
                    }
                    format!("data:{text}")
                }
                Event::Drain => "drain".into(),
                Event::End => "end".into(),
                Event::Close(None) => "close".into(),
                Event::Close(Some(n)) => format!("close:{n}"),
                Event::Error(n) => format!("error:{n}"),
                Event::Timeout => "timeout".into(),
                Event::ConnectError(n) => format!("connect_error:{n}"),
                Event::Handshake(ok, None) => format!("handshake:{ok}"),
                Event::Handshake(ok, Some(n)) => format!("handshake:{ok}:{n}"),
            };
            out.push(word);
        }
        out.join(" ")
    }

    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.log.borrow().iter().filter(|(_, e)| pred(e)).count()
    }

    pub fn received(&self) -> Vec<u8> {
        self.log
            .borrow()
            .iter()
            .filter_map(|(_, e)| if let Event::Data(d) = e { Some(d.clone()) } else { None })
            .flatten()
            .collect()
    }
}

fn name(e: &NetError) -> String {
    e.name.to_str().unwrap().to_string()
}

impl Handlers for Recorder {
    fn present(&self) -> HandlerSet {
        self.set
    }
    fn open(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.record(lp, s, Event::Open)
    }
    fn data(&self, lp: &EventLoop, s: SocketId, _: UserData, bytes: &[u8]) {
        self.record(lp, s, Event::Data(bytes.to_vec()))
    }
    fn drain(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.record(lp, s, Event::Drain)
    }
    fn end(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.record(lp, s, Event::End)
    }
    fn close(&self, lp: &EventLoop, s: SocketId, _: UserData, err: Option<&NetError>) {
        self.record(lp, s, Event::Close(err.map(name)))
    }
    fn error(&self, lp: &EventLoop, s: SocketId, _: UserData, err: &NetError) {
        self.record(lp, s, Event::Error(name(err)))
    }
    fn timeout(&self, lp: &EventLoop, s: SocketId, _: UserData) {
        self.record(lp, s, Event::Timeout)
    }
    fn connect_error(&self, lp: &EventLoop, s: SocketId, _: UserData, err: &NetError) {
        self.record(lp, s, Event::ConnectError(name(err)))
    }
    fn handshake(&self, lp: &EventLoop, s: SocketId, _: UserData, ok: bool, err: Option<&NetError>) {
        self.record(lp, s, Event::Handshake(ok, err.map(name)))
    }
}

/// Polls until `done()` or panics after `limit`.
pub fn run_until(lp: &EventLoop, limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        lp.poll(Some(Duration::from_millis(50))).expect("poll");
    }
}

pub const LIMIT: Duration = Duration::from_secs(20);

/// Listen options for 127.0.0.1 on an ephemeral port.
pub fn local() -> bun_tcp::ListenOptions {
    bun_tcp::ListenOptions { hostname: Some("127.0.0.1".into()), ..Default::default() }
}

/// Connect options for 127.0.0.1:port.
pub fn to(port: u16) -> bun_tcp::ConnectOptions {
    bun_tcp::ConnectOptions { hostname: Some("127.0.0.1".into()), port, ..Default::default() }
}
