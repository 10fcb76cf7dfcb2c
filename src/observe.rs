//! Seeing what a loop does: the counters behind `bun_tcp_loop_metrics`, and tracing (one record
//! per handler call, with the socket and any error) through `BUN_TCP_TRACE=1` or a callback.
//!
//! Off costs one predictable branch where handlers fire (`EventLoop::emit`, the plain read path):
//! with tracing and handler timing off, `observing` is false and the handler is called directly.
//! When on, handlers are called through [`Observed`], which reports each call to the trace sink
//! and times it. The counters are plain u64 additions in the loop's books, kept where the loop
//! already holds its state; what can be computed when asked (bytes written, bytes queued) is.

use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::handlers::{HandlerSet, Handlers};
use crate::{SocketId, UserData};
use std::ffi::CStr;
use std::fmt::Write as _;
use std::io::Write as _;
use std::rc::Rc;

/// The environment variable that turns tracing to stderr on for loops created while it is "1".
pub const TRACE_ENV: &str = "BUN_TCP_TRACE";

/// A snapshot of a loop's counters since it was created.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct LoopMetrics {
    /// `poll` calls (each `run` iteration is one).
    pub iterations: u64,
    /// Readiness events the poller reported.
    pub events: u64,
    /// Connections accepted by the loop's listeners.
    pub accepts: u64,
    /// Client connects that were established (TCP connected; a TLS handshake may follow).
    pub connects: u64,
    /// Client connects that ended with `connect_error`.
    pub connect_errors: u64,
    /// Sockets that closed after `open` (each fires `close` once).
    pub closes: u64,
    /// Handler calls made (what the polls returned, posted calls included).
    pub handler_calls: u64,
    /// Bytes handed to `data` handlers (plaintext for TLS).
    pub bytes_read: u64,
    /// Bytes the sockets sent (as `bytes_written`: plaintext handed to the TLS layer for TLS).
    pub bytes_written: u64,
    /// Bytes queued now (the sum of every live socket's `buffered_amount`).
    pub bytes_queued: u64,
    /// Time spent inside socket handlers, measured only while tracing or handler timing is on.
    pub handler_ns: u64,
}

/// Which handler a trace record is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    Open,
    /// `data`, with the number of bytes.
    Data(usize),
    Drain,
    End,
    Close,
    Error,
    Timeout,
    ConnectError,
    /// `handshake`, with its `success` argument.
    Handshake(bool),
}

impl TraceKind {
    /// The handler's name, as the header spells it.
    pub fn name(self) -> &'static CStr {
        match self {
            TraceKind::Open => c"open",
            TraceKind::Data(_) => c"data",
            TraceKind::Drain => c"drain",
            TraceKind::End => c"end",
            TraceKind::Close => c"close",
            TraceKind::Error => c"error",
            TraceKind::Timeout => c"timeout",
            TraceKind::ConnectError => c"connect_error",
            TraceKind::Handshake(_) => c"handshake",
        }
    }
}

/// One handler call about to happen.
pub struct TraceRecord<'a> {
    pub loop_id: u32,
    pub socket: SocketId,
    pub kind: TraceKind,
    /// The error the handler gets (`close`, `error`, `connect_error`, a failed `handshake`).
    pub error: Option<&'a NetError>,
}

impl TraceRecord<'_> {
    /// The record as one line of text (no newline):
    /// `bun_tcp loop=1 socket=0x... close err=ECONNRESET syscall=read "Connection reset by peer"`.
    pub fn line(&self) -> String {
        let mut line =
            format!("bun_tcp loop={} socket={:#x} {}", self.loop_id, self.socket.0, self.kind.name().to_string_lossy());
        match self.kind {
            TraceKind::Data(len) => {
                let _ = write!(line, " len={len}");
            }
            TraceKind::Handshake(success) => {
                let _ = write!(line, " success={success}");
            }
            _ => {}
        }
        if let Some(e) = self.error {
            let _ = write!(line, " err={} code={}", e.name.to_string_lossy(), e.code);
            if let Some(syscall) = e.syscall {
                let _ = write!(line, " syscall={}", syscall.to_string_lossy());
            }
            let _ = write!(line, " {:?}", e.message);
        }
        line
    }
}

/// Where trace records go.
pub type TraceSink = Rc<dyn Fn(&TraceRecord<'_>)>;

/// Whether handler calls are timed into `handler_ns` without tracing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HandlerTiming {
    Off,
    On,
}

/// The sink `BUN_TCP_TRACE=1` installs: one line per record on stderr.
pub(crate) fn stderr_sink() -> TraceSink {
    Rc::new(|record: &TraceRecord<'_>| {
        let mut line = record.line();
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    })
}

/// Whether the environment asks for tracing (read once, when a loop is created).
pub(crate) fn trace_env_on() -> bool {
    std::env::var_os(TRACE_ENV).is_some_and(|v| v == "1")
}

/// A handler table seen through tracing and timing: each call is reported, then made and timed.
pub(crate) struct Observed<'a> {
    pub inner: &'a dyn Handlers,
}

impl Handlers for Observed<'_> {
    fn present(&self) -> HandlerSet {
        self.inner.present()
    }
    fn open(&self, lp: &EventLoop, s: SocketId, d: UserData) {
        lp.observe(s, TraceKind::Open, None, || self.inner.open(lp, s, d));
    }
    fn data(&self, lp: &EventLoop, s: SocketId, d: UserData, bytes: &[u8]) {
        lp.observe(s, TraceKind::Data(bytes.len()), None, || self.inner.data(lp, s, d, bytes));
    }
    fn drain(&self, lp: &EventLoop, s: SocketId, d: UserData) {
        lp.observe(s, TraceKind::Drain, None, || self.inner.drain(lp, s, d));
    }
    fn end(&self, lp: &EventLoop, s: SocketId, d: UserData) {
        lp.observe(s, TraceKind::End, None, || self.inner.end(lp, s, d));
    }
    fn close(&self, lp: &EventLoop, s: SocketId, d: UserData, err: Option<&NetError>) {
        lp.observe(s, TraceKind::Close, err, || self.inner.close(lp, s, d, err));
    }
    fn error(&self, lp: &EventLoop, s: SocketId, d: UserData, err: &NetError) {
        lp.observe(s, TraceKind::Error, Some(err), || self.inner.error(lp, s, d, err));
    }
    fn timeout(&self, lp: &EventLoop, s: SocketId, d: UserData) {
        lp.observe(s, TraceKind::Timeout, None, || self.inner.timeout(lp, s, d));
    }
    fn connect_error(&self, lp: &EventLoop, s: SocketId, d: UserData, err: &NetError) {
        lp.observe(s, TraceKind::ConnectError, Some(err), || self.inner.connect_error(lp, s, d, err));
    }
    fn handshake(&self, lp: &EventLoop, s: SocketId, d: UserData, success: bool, verify_error: Option<&NetError>) {
        lp.observe(s, TraceKind::Handshake(success), verify_error, || {
            self.inner.handshake(lp, s, d, success, verify_error)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_line_names_the_socket_the_handler_and_the_error() {
        let err = NetError::sys(-libc::ECONNRESET, c"read", "");
        let record = TraceRecord { loop_id: 3, socket: SocketId(0x2a), kind: TraceKind::Close, error: Some(&err) };
        let line = record.line();
        assert!(line.starts_with("bun_tcp loop=3 socket=0x2a close err=ECONNRESET code=-104 syscall=read "), "{line}");
        assert!(!line.contains('\n'));
        let data = TraceRecord { loop_id: 3, socket: SocketId(1), kind: TraceKind::Data(7), error: None };
        assert_eq!(data.line(), "bun_tcp loop=3 socket=0x1 data len=7");
        let hs = TraceRecord { loop_id: 1, socket: SocketId(1), kind: TraceKind::Handshake(false), error: None };
        assert_eq!(hs.line(), "bun_tcp loop=1 socket=0x1 handshake success=false");
    }
}
