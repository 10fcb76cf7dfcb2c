//! C handler tables as core `Handlers`.

use super::types::{bun_tcp_error, bun_tcp_handlers, bun_tcp_socket};
use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::handlers::{HandlerSet, Handlers};
use crate::{SocketId, UserData};
use std::ffi::CString;

/// A copied `bun_tcp_handlers`.
pub struct CHandlers(pub bun_tcp_handlers);

fn sock(s: SocketId) -> bun_tcp_socket {
    bun_tcp_socket { id: s.0 }
}

/// Calls `f` with a `bun_tcp_error *` (NULL for None) valid during the call.
pub(super) fn with_c_error(err: Option<&NetError>, f: impl FnOnce(*const bun_tcp_error)) {
    match err {
        None => f(std::ptr::null()),
        Some(e) => {
            let message = CString::new(e.message.replace('\0', " ")).unwrap_or_default();
            let c = bun_tcp_error {
                code: e.code,
                name: e.name.as_ptr(),
                syscall: e.syscall.map_or(std::ptr::null(), |s| s.as_ptr()),
                message: message.as_ptr(),
            };
            f(&c);
        }
    }
}

// SAFETY (every call below): the function pointers come from the host's handler table, whose
// contract (bun_tcp.h) is the signature declared in `bun_tcp_handlers`; the pointers passed live
// for the duration of the call.
impl Handlers for CHandlers {
    fn present(&self) -> HandlerSet {
        let t = &self.0;
        HandlerSet {
            open: t.open.is_some(),
            data: t.data.is_some(),
            drain: t.drain.is_some(),
            end: t.end.is_some(),
            close: t.close.is_some(),
            error: t.error.is_some(),
            timeout: t.timeout.is_some(),
            connect_error: t.connect_error.is_some(),
            handshake: t.handshake.is_some(),
        }
    }

    fn open(&self, _: &EventLoop, s: SocketId, data: UserData) {
        if let Some(f) = self.0.open {
            unsafe { f(sock(s), data) }
        }
    }

    fn data(&self, _: &EventLoop, s: SocketId, data: UserData, bytes: &[u8]) {
        if let Some(f) = self.0.data {
            unsafe { f(sock(s), data, bytes.as_ptr(), bytes.len()) }
        }
    }

    fn drain(&self, _: &EventLoop, s: SocketId, data: UserData) {
        if let Some(f) = self.0.drain {
            unsafe { f(sock(s), data) }
        }
    }

    fn end(&self, _: &EventLoop, s: SocketId, data: UserData) {
        if let Some(f) = self.0.end {
            unsafe { f(sock(s), data) }
        }
    }

    fn close(&self, _: &EventLoop, s: SocketId, data: UserData, err: Option<&NetError>) {
        if let Some(f) = self.0.close {
            with_c_error(err, |e| unsafe { f(sock(s), data, e) })
        }
    }

    fn error(&self, _: &EventLoop, s: SocketId, data: UserData, err: &NetError) {
        if let Some(f) = self.0.error {
            with_c_error(Some(err), |e| unsafe { f(sock(s), data, e) })
        }
    }

    fn timeout(&self, _: &EventLoop, s: SocketId, data: UserData) {
        if let Some(f) = self.0.timeout {
            unsafe { f(sock(s), data) }
        }
    }

    fn connect_error(&self, _: &EventLoop, s: SocketId, data: UserData, err: &NetError) {
        if let Some(f) = self.0.connect_error {
            with_c_error(Some(err), |e| unsafe { f(sock(s), data, e) })
        }
    }

    fn handshake(&self, _: &EventLoop, s: SocketId, data: UserData, success: bool, verify_error: Option<&NetError>) {
        if let Some(f) = self.0.handshake {
            with_c_error(verify_error, |e| unsafe { f(sock(s), data, success, e) })
        }
    }
}
