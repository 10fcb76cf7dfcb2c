//! The loop's access to its sockets: borrow one (live or not), and `apply`, the one place that
//! carries out what the state transitions of `socket/transitions.rs` ask for (fire a handler,
//! run the write path, close later, release the slot).

use super::*;
use crate::socket::*;

impl EventLoop {
    #[inline]
    pub(crate) fn with_socket<R>(
        &self,
        id: SocketId,
        f: impl FnOnce(&mut Socket, &mut Books) -> Result<R, NetError>,
    ) -> Result<R, NetError> {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        match state.sockets.get_mut(id.0) {
            Some(s) => f(s, &mut state.books),
            None => Err(NetError::closed()),
        }
    }

    #[inline]
    pub(crate) fn with_live_socket<R>(
        &self,
        id: SocketId,
        f: impl FnOnce(&mut Socket, &mut Books) -> Result<R, NetError>,
    ) -> Result<R, NetError> {
        self.with_socket(id, |s, st| if s.is_live() { f(s, st) } else { Err(NetError::closed()) })
    }

    /// Does what a transition of socket `id` asked for, in order. Each effect looks the socket
    /// up again: a handler fired by an earlier one may have closed it. `cause` is the error that
    /// `close` or `connect_error` reports.
    #[inline]
    pub(crate) fn apply(&self, id: u64, effects: Effects, cause: Option<NetError>) {
        // Most transitions on the hot paths (a writable edge, a flushed queue) have nothing to do.
        if !effects.is_empty() {
            self.apply_each(id, effects, cause);
        }
    }

    fn apply_each(&self, id: u64, effects: Effects, mut cause: Option<NetError>) {
        for effect in effects.iter() {
            match effect {
                Effect::FireOpen => {
                    self.emit(id, |h, lp, s, d| h.open(lp, s, d));
                }
                Effect::FireEnd => {
                    self.emit(id, |h, lp, s, d| h.end(lp, s, d));
                }
                Effect::FireDrain => {
                    self.emit(id, |h, lp, s, d| h.drain(lp, s, d));
                }
                Effect::FireClose => {
                    self.st.borrow_mut().books.counters.closes += 1;
                    let err = cause.take();
                    self.emit(id, |h, lp, s, d| h.close(lp, s, d, err.as_ref()));
                }
                Effect::FireConnectError => {
                    debug_assert!(cause.is_some(), "connect_error always has a cause");
                    let err = cause.take().unwrap_or_else(|| NetError::sys(-libc::ECANCELED, c"connect", ""));
                    self.st.borrow_mut().books.counters.connect_errors += 1;
                    self.emit(id, |h, lp, s, d| h.connect_error(lp, s, d, &err));
                }
                Effect::EndWriteSide => {
                    let more = self.st.borrow_mut().sockets.get_mut(id).map(|s| s.state.end_write_side());
                    if let Some(more) = more {
                        self.apply(id, more, None);
                    }
                }
                Effect::RunWritePath => self.on_writable(id),
                Effect::FinishLater => self.maybe_finish(id),
                Effect::Release(hold) => {
                    let mut st = self.st.borrow_mut();
                    st.books.released.push(id);
                    if hold == Hold::Refd {
                        st.books.hold(false);
                    }
                }
                Effect::ReadAgain => self.st.borrow_mut().books.read_again.push(id),
                Effect::UncorkAfterHandler => self.st.borrow_mut().books.corked.push(id),
                Effect::HoldLoop(hold) => self.st.borrow_mut().books.hold(hold == Hold::Refd),
            }
        }
    }
}
