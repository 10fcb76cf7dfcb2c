//! The connect timeout (`connect_timeout_ms`): one deadline from the connect call that covers
//! resolving, every attempt and, for a TLS client, the first handshake. Once the connection is
//! complete it never fires, and it is separate from the idle timeout (`set_timeout`).

use super::*;
use std::cmp::Reverse;

/// Where a socket whose connect deadline passed is, and so how the timeout ends it.
enum Stage {
    /// Resolving or connecting: `connect_error`.
    Dialing,
    /// Connected, in the TLS handshake the deadline bounds: `connect_error` when `open` has
    /// not fired, else handshake(false), error, close (`tls_failed` picks the shape).
    Handshaking,
    /// Complete (or closed): the deadline is gone.
    Done,
}

impl EventLoop {
    /// Ends the connects whose deadline passed with -ETIMEDOUT (syscall "connect").
    pub(crate) fn expire_connects(&self) {
        let now = {
            let st = self.st.borrow();
            if st.books.connect_deadlines.is_empty() {
                return;
            }
            // Read now, not the loop time of the poll's wake-up: handlers ran since.
            Instant::now()
        };
        loop {
            if self.is_shut() {
                return;
            }
            let due = {
                let mut st = self.st.borrow_mut();
                match st.books.connect_deadlines.peek() {
                    Some(Reverse((at, _))) if *at <= now => {
                        st.books.connect_deadlines.pop().map(|Reverse(entry)| entry)
                    }
                    _ => None,
                }
            };
            let Some((at, id)) = due else { return };
            let err = || NetError::sys(-libc::ETIMEDOUT, c"connect", "(connect_timeout_ms passed)");
            match self.connect_stage(id, at) {
                Stage::Dialing => self.fail_connect(id, err()),
                Stage::Handshaking => self.tls_failed(id, err(), true),
                Stage::Done => continue,
            }
            self.after_dispatch();
        }
    }

    fn connect_stage(&self, id: u64, deadline: Instant) -> Stage {
        let st = self.st.borrow();
        let Some(s) = st.sockets.get(id) else { return Stage::Done };
        debug_assert!(s.listener.is_none(), "only client sockets have a connect deadline");
        if s.state.life.is_dialing() {
            return Stage::Dialing;
        }
        let bounded_handshake = s.state.life.is_connected()
            && s.tls.as_ref().is_some_and(|t| t.handshaking && t.connect_deadline == Some(deadline));
        if bounded_handshake { Stage::Handshaking } else { Stage::Done }
    }
}
