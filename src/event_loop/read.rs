//! The read path: plain reads into the loop's buffer, `data`, the peer's FIN and resets.

use super::*;
use crate::observe::Observed;
use crate::os::Stream;
use crate::socket::*;

impl EventLoop {
    /// Reads until the kernel has nothing more, the socket stops reading, or the budget is used.
    ///
    /// `edge` says the call answers a fresh readiness event that did not report the peer's FIN:
    /// then a short read means the kernel buffer is empty, and anything arriving later (bytes or
    /// FIN) raises a new edge, so the extra read that would only return EAGAIN is skipped. Calls
    /// without such an event (resume, the fairness list) read until EAGAIN.
    pub(crate) fn on_readable(&self, id: u64, edge: bool) {
        let mut reads = 0;
        loop {
            let mut buf = Lease::take(&self.recv_buf);
            // One borrow per read: the read itself, the idle timer, and the handler to call.
            let found = {
                let mut st = self.st.borrow_mut();
                let state = &mut *st;
                match state.sockets.get_mut(id) {
                    Some(s) if s.tls.is_some() => {
                        drop(st);
                        drop(buf);
                        return self.on_readable_tls(id, edge);
                    }
                    Some(s) => s.read_plain(id, &mut state.books, &mut buf),
                    None => PlainRead::Nothing,
                }
            };
            match found {
                PlainRead::Eof => {
                    drop(buf);
                    return self.eof_or_pending_reset(id);
                }
                PlainRead::Bytes(n, handlers, data) => {
                    let short = n < buf.len();
                    self.calls.set(self.calls.get().wrapping_add(1));
                    if self.observing.get() {
                        Observed { inner: &*handlers }.data(self, SocketId(id), data, &buf[..n]);
                    } else {
                        handlers.data(self, SocketId(id), data, &buf[..n]);
                    }
                    drop(handlers);
                    drop(buf);
                    self.after_dispatch();
                    if short && edge {
                        return;
                    }
                    reads += 1;
                    if reads >= READ_BUDGET {
                        self.st.borrow_mut().books.read_again.push(id);
                        return;
                    }
                }
                PlainRead::Nothing => {
                    drop(buf);
                    return;
                }
                PlainRead::Interrupted => {
                    drop(buf);
                }
                PlainRead::Failed(e) => {
                    drop(buf);
                    // A peer reset goes to close(err), not to error.
                    let err = NetError::io(&e, c"read", "");
                    let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                    return;
                }
            }
        }
    }

    /// Records a reset; true when the socket has nothing left to do but learn the error: it no
    /// longer reads (peer FIN seen, SHUT_RD) and has no queued tail to report it through.
    pub(crate) fn mark_reset(&self, id: u64) -> bool {
        self.st.borrow_mut().sockets.get_mut(id).is_some_and(Socket::reset_seen)
    }

    /// Closes an open socket that no longer reads with its pending SO_ERROR, if it has one and
    /// no failure is already on its way; true when it did.
    pub(crate) fn close_on_socket_error(&self, id: u64) -> bool {
        let pending = {
            let st = self.st.borrow();
            match st.sockets.get(id) {
                Some(s) if s.state.life.is_connected() && s.failure.is_none() && s.state.read.is_done() => {
                    match s.stream.as_ref().map(Stream::take_error) {
                        Some(Ok(Some(e))) => Some(e),
                        _ => None,
                    }
                }
                _ => None,
            }
        };
        match pending {
            Some(e) => {
                // A reset goes to close(err), not to error (the header: order of handlers).
                let _ = self.close_socket(id, Some(NetError::io(&e, c"read", "")), CloseHow::Fin);
                true
            }
            None => false,
        }
    }

    /// End of stream: a FIN, unless a reset seen at connect completion is owed.
    pub(crate) fn eof_or_pending_reset(&self, id: u64) {
        let reset = self.st.borrow_mut().sockets.get_mut(id).and_then(|s| s.pending_reset.take()).map(|b| *b);
        match reset {
            Some(err) => {
                let _ = self.close_socket(id, Some(err), CloseHow::Fin);
            }
            None => self.peer_fin(id),
        }
    }

    /// The peer sent FIN.
    pub(crate) fn peer_fin(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            let has_end = s.handlers.get().present().end;
            s.state.peer_fin(has_end)
        };
        self.apply(id, effects, None);
    }

    pub(super) fn both_sides_done(&self, id: u64) -> bool {
        self.st.borrow().sockets.get(id).is_some_and(|s| s.state.both_sides_done())
    }

    /// A socket whose both directions are done closes once the current handler returns (as in
    /// Bun), so `close` never runs nested inside the `end`, `shutdown` or `end()` that finished it.
    pub(super) fn maybe_finish(&self, id: u64) {
        if self.both_sides_done(id) {
            self.st.borrow_mut().books.finishing.push(id);
        }
    }

    pub(crate) fn finish_if_done(&self, id: u64) {
        if self.both_sides_done(id) {
            let _ = self.close_socket(id, None, CloseHow::Fin);
        }
    }
}
