//! Ending a socket's life in this loop: close and terminate, failures reported from the loop,
//! detach (the descriptor leaves) and adopt (a descriptor joins).

use super::*;
use crate::error::ENOTSUP;
use crate::handlers::{HandlerCell, validate};
use crate::os::{self, Stream};
use crate::socket::*;
use crate::tls::{self};
use std::os::fd::OwnedFd;

impl EventLoop {
    /// Closes now: FIN (or RST), queued bytes discarded, `close` (or `connect_error` for a
    /// connect still in flight, with ECANCELED) fires before this returns.
    pub(crate) fn close_socket(&self, id: u64, err: Option<NetError>, how: CloseHow) -> Result<(), NetError> {
        let effects = {
            let mut st = self.st.borrow_mut();
            let s = st.sockets.get_mut(id).ok_or_else(NetError::closed)?;
            if !s.is_live() {
                return Err(NetError::closed());
            }
            if !s.state.life.open_fired() && s.listener.is_none() {
                // A client that never opened ends with connect_error, never close.
                drop(st);
                let err =
                    err.unwrap_or_else(|| NetError::sys(-libc::ECANCELED, c"connect", "(closed while connecting)"));
                self.fail_connect(id, err);
                return Ok(());
            }
            // A server socket whose TLS handshake never completed closes without handlers.
            let effects = s.state.close();
            if let (Some(stream), Some(tls)) = (s.stream.as_ref(), s.tls.as_mut()) {
                // Best effort: a TLS peer learns that the close was deliberate.
                if how == CloseHow::Fin && !tls.handshaking && !tls.close_notify_sent {
                    tls.conn.send_close_notify();
                    tls.close_notify_sent = true;
                    let _ = tls::flush_tls(stream, tls);
                }
            }
            if let Some(stream) = s.stream.take() {
                if how == CloseHow::Reset {
                    let _ = stream.set_linger_zero();
                }
                drop(stream);
            }
            s.queue.clear();
            s.failure = None;
            effects
        };
        self.apply(id, effects, err);
        Ok(())
    }

    /// Takes an open plain socket out of this loop and returns its descriptor, still connected:
    /// the handle goes stale and no handler fires (not even `close`). For moving a connection
    /// to another loop (`adopt` there). Bytes the kernel holds move with the descriptor.
    /// Refused with EBUSY while bytes wait in the write queue (wait for `drain`), with ENOTSUP
    /// for TLS sockets (the session cannot move) and sockets that are not open.
    pub fn detach(&self, id: SocketId) -> Result<OwnedFd, NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let s = state.sockets.get_mut(id.0).ok_or_else(NetError::closed)?;
        if !s.state.life.is_connected() || s.stream.is_none() {
            return Err(NetError::new(ENOTSUP, "only an open socket can be detached"));
        }
        if s.tls.is_some() {
            return Err(NetError::new(
                ENOTSUP,
                "a TLS socket cannot be detached: its session state stays in this loop",
            ));
        }
        if let Some(f) = &s.failure {
            return Err((**f).clone());
        }
        if !s.queue.is_empty() {
            return Err(NetError::new(
                EBUSY,
                format!("{} bytes wait in the write queue: detach after drain", s.queue.len()),
            ));
        }
        let Some(mut stream) = s.stream.take() else { return Err(NetError::closed()) };
        let _ = self.registry.deregister(stream.source());
        let effects = s.state.detach();
        drop(st);
        self.apply(id.0, effects, None);
        Ok(stream.into_fd())
    }

    /// Makes a connected stream socket (from `detach` on another loop, or made elsewhere) a
    /// socket of this loop. `open` fires from the loop, as for a connect; then data flows. On
    /// error nothing fires and the descriptor is handed back with the error: EINVAL for a
    /// listening socket, ENOTCONN for an unconnected one, EPROTOTYPE for a datagram socket,
    /// ENOTSOCK for a descriptor that is no socket. The loop takes the descriptor only once
    /// everything that can fail has run: if anything here panicked, the descriptor would be left
    /// open (the caller's), never closed by the unwind.
    pub fn adopt(
        &self,
        fd: OwnedFd,
        data: UserData,
        allow_half_open: bool,
        handlers: Rc<dyn Handlers>,
    ) -> Result<SocketId, (NetError, OwnedFd)> {
        use std::mem::ManuallyDrop;
        use std::os::fd::AsFd;
        let loan = ManuallyDrop::new(fd);
        let checked = self
            .refuse_if_shut()
            .and_then(|()| validate(&*handlers))
            .and_then(|()| os::check_adoptable(loan.as_fd()).map_err(|e| NetError::io(&e, c"adopt", "")));
        let family = match checked {
            Ok(family) => family,
            Err(e) => return Err((e, ManuallyDrop::into_inner(loan))),
        };
        let mut socket = Socket::new(HandlerCell::new(handlers), data, allow_half_open);
        socket.dial().target = os::peer_text(loan.as_fd());
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let Ok(id) = state.sockets.insert(socket) else {
            let err = NetError::new(-libc::ENOMEM, "too many sockets in this loop");
            return Err((err, ManuallyDrop::into_inner(loan)));
        };
        // Registered as a connect in flight: the first writable event finds it connected and
        // runs the usual open path (open, queued writes, pending bytes).
        let mut stream = ManuallyDrop::new(Stream::wrap(ManuallyDrop::into_inner(loan), family));
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.registry.register(stream.source(), EventLoop::token_for_socket(id), interest) {
            state.sockets.remove(id);
            return Err((NetError::io(&e, c"epoll_ctl", ""), ManuallyDrop::into_inner(stream).into_fd()));
        }
        // From here the loop owns the descriptor.
        match state.sockets.get_mut(id) {
            Some(s) => s.stream = Some(ManuallyDrop::into_inner(stream)),
            None => debug_assert!(false, "the slot inserted above is gone"),
        }
        state.books.hold(true);
        Ok(SocketId(id))
    }

    /// Closes with FIN; queued bytes are discarded. `close` fires before this returns.
    pub fn close(&self, id: SocketId) -> Result<(), NetError> {
        self.close_socket(id.0, None, CloseHow::Fin)
    }

    /// Closes with RST (SO_LINGER 0). `close` fires before this returns.
    pub fn terminate(&self, id: SocketId) -> Result<(), NetError> {
        self.close_socket(id.0, None, CloseHow::Reset)
    }

    /// Reports a failure recorded inside an earlier call.
    pub(crate) fn report_failure(&self, id: u64) {
        let (life, err, has_error_handler, handshaking) = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            let Some(err) = s.failure.take().map(|b| *b) else { return };
            (s.state.life, err, s.handlers.get().present().error, s.handshaking())
        };
        match life {
            Lifecycle::Connecting | Lifecycle::Resolving => self.connect_attempt_failed(id, err),
            // A send that fails mid-handshake (the peer reset) fails the handshake: the same
            // shape as a read that finds the reset (handshake(false), error, close, or
            // connect_error for a client that has not opened).
            Lifecycle::Open | Lifecycle::OpenDeferred(_) if handshaking => self.tls_failed(id, err, true),
            Lifecycle::Open | Lifecycle::OpenDeferred(_) => {
                if has_error_handler {
                    self.emit(id, |h, lp, s, d| h.error(lp, s, d, &err));
                    let _ = self.close_socket(id, None, CloseHow::Fin);
                } else {
                    let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                }
            }
            Lifecycle::Closed => {}
        }
    }
}
