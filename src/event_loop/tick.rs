//! The stages of a tick after dispatch (posted tasks, deferred work, the read-again and
//! accept-again lists, resolver answers, idle timeouts, handshake deadlines, accept retries,
//! released slots) and the loop's teardown (`abandon`, `close_all`).

use super::*;

impl EventLoop {
    /// Runs the tasks posted from other threads (each counts as a handler call).
    pub(super) fn run_posted(&self) {
        let tasks = self.posted.lock().unwrap_or_else(|p| p.into_inner()).as_mut().map(std::mem::take);
        let Some(tasks) = tasks else { return };
        let put_back = |rest: Vec<Task>| {
            if let Some(queue) = self.posted.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                queue.splice(0..0, rest);
            }
        };
        for task in Batch::new(tasks, &put_back) {
            if self.shut.get() {
                return;
            }
            self.calls.set(self.calls.get().wrapping_add(1));
            task(self);
            self.after_dispatch();
        }
    }

    /// Work that waits for the current handler to return: corked bytes leave, failures are
    /// reported (error/close or connect_error).
    #[inline]
    pub(crate) fn after_dispatch(&self) {
        // The common case, after nearly every handler: nothing deferred.
        let pending = {
            let st = self.st.borrow();
            !(st.books.corked.is_empty() && st.books.failures.is_empty() && st.books.finishing.is_empty())
        };
        if pending {
            self.run_deferred();
        }
    }

    #[inline(never)]
    fn run_deferred(&self) {
        loop {
            let corked = std::mem::take(&mut self.st.borrow_mut().books.corked);
            let failures = std::mem::take(&mut self.st.borrow_mut().books.failures);
            let finishing = std::mem::take(&mut self.st.borrow_mut().books.finishing);
            if corked.is_empty() && failures.is_empty() && finishing.is_empty() {
                return;
            }
            let (put_back_corked, put_back_failures, put_back_finishing) = (
                self.put_back_ids(|b| &mut b.corked),
                self.put_back_ids(|b| &mut b.failures),
                self.put_back_ids(|b| &mut b.finishing),
            );
            let mut corked = Batch::new(corked, &put_back_corked);
            let mut failures = Batch::new(failures, &put_back_failures);
            let mut finishing = Batch::new(finishing, &put_back_finishing);
            for id in &mut corked {
                self.uncork_now(id);
            }
            for id in &mut failures {
                self.report_failure(id);
            }
            for id in &mut finishing {
                self.finish_if_done(id);
            }
        }
    }

    pub(super) fn run_again_lists(&self) {
        // The common case: no socket left over budget, no listener to accept again.
        {
            let st = self.st.borrow();
            if st.books.read_again.is_empty() && st.books.accept_again.is_empty() {
                return;
            }
        }
        let mut reads = std::mem::take(&mut self.st.borrow_mut().books.read_again);
        // A socket can be listed twice (resumed, then out of budget): one turn each iteration.
        reads.sort_unstable();
        reads.dedup();
        let put_back_reads = self.put_back_ids(|b| &mut b.read_again);
        for id in Batch::new(reads, &put_back_reads) {
            if self.shut.get() {
                return;
            }
            self.on_readable(id, false);
            self.after_dispatch();
        }
        let mut accepts = std::mem::take(&mut self.st.borrow_mut().books.accept_again);
        accepts.sort_unstable();
        accepts.dedup();
        let put_back_accepts = self.put_back_ids(|b| &mut b.accept_again);
        for id in Batch::new(accepts, &put_back_accepts) {
            if self.shut.get() {
                return;
            }
            self.on_acceptable(id);
            self.after_dispatch();
        }
    }

    /// Delivers answers from the resolver threads.
    pub(super) fn resolve_answers(&self) {
        while let Ok(answer) = self.dns_rx.try_recv() {
            self.on_resolved(answer.id, answer.result);
            self.after_dispatch();
        }
    }

    pub(super) fn fire_timers(&self) {
        self.st.borrow_mut().books.now = Instant::now();
        loop {
            if self.shut.get() {
                return;
            }
            let fire = {
                let mut st = self.st.borrow_mut();
                let now = st.books.now;
                let Some((id, seq)) = st.books.timers.pop_due(now) else { return };
                let state = &mut *st;
                match state.sockets.get_mut(id) {
                    // An open socket's idle timeout; or, on a client that has not opened yet
                    // (resolving, connecting, or in a TLS handshake that defers `open`), a
                    // connect timeout. An accepted socket that has not opened (its TLS handshake
                    // runs; the application has no handle yet) drops the entry: its timer
                    // starts at `open`, its handshake has its own deadline.
                    Some(s) if s.state.life.open_fired() || (s.listener.is_none() && s.state.life.is_live()) => {
                        match s.timer.judge(seq, now) {
                            Due::Fire => Some(id),
                            Due::Later(at) => {
                                state.books.timers.push(at, id, seq);
                                None
                            }
                            Due::Drop => None,
                        }
                    }
                    _ => None,
                }
            };
            let Some(id) = fire else { continue };
            self.emit(id, |h, lp, s, d| h.timeout(lp, s, d));
            self.after_dispatch();
        }
    }

    /// Fails the handshake of accepted TLS sockets whose handshake deadline passed: ETIMEDOUT,
    /// with the shape of any failed handshake (`handshake(false)`, `error`, `close`; nothing for
    /// a socket that never opened).
    pub(super) fn expire_handshakes(&self) {
        let now = {
            let st = self.st.borrow();
            if st.books.handshake_deadlines.is_empty() {
                return;
            }
            st.books.now
        };
        loop {
            if self.shut.get() {
                return;
            }
            let due = pop_due(&mut self.st.borrow_mut().books.handshake_deadlines, now);
            let Some((_, id)) = due else { return };
            if self.tls_handshaking(id) {
                let err = NetError::new(-libc::ETIMEDOUT, "the TLS handshake did not complete in time");
                self.tls_failed(id, err, true);
                self.after_dispatch();
            }
        }
    }

    /// Listeners that hit EMFILE try again once their back-off passed.
    pub(super) fn retry_accepts(&self) {
        if self.st.borrow().books.accept_retry.is_empty() {
            return;
        }
        let due = take_due(&mut self.st.borrow_mut().books.accept_retry);
        // Not retried yet when a handler panicked: they try again at the next tick.
        let put_back = self.put_back_ids(|b| &mut b.accept_again);
        for id in Batch::new(due, &put_back) {
            if self.shut.get() {
                return;
            }
            self.on_acceptable(id);
            self.after_dispatch();
        }
    }

    /// Releases the slots of sockets closed during the tick: their handles become stale.
    pub(crate) fn release_closed(&self) {
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        if state.books.released.is_empty() && state.books.stopped_listeners.is_empty() {
            return;
        }
        for id in state.books.released.drain(..) {
            let Some(socket) = state.sockets.remove(id) else { continue };
            state.books.counters.bytes_written_released += socket.bytes_written;
            let Some(lid) = socket.listener else { continue };
            if let Some(l) = state.listeners.get_mut(lid) {
                l.live_sockets = l.live_sockets.saturating_sub(1);
                if l.live_sockets == 0 && !l.is_listening() {
                    state.books.stopped_listeners.push(lid);
                }
            }
        }
        for lid in state.books.stopped_listeners.drain(..) {
            if state.listeners.get(lid).is_some_and(|l| l.live_sockets == 0 && !l.is_listening()) {
                state.listeners.remove(lid);
            }
        }
    }

    /// Drops every socket and listener without running handlers (their fds close, unix paths are
    /// unlinked). For a loop whose owner can no longer take calls: a thread or process that
    /// ends without freeing it.
    pub fn abandon(&self) {
        if self.shut.replace(true) {
            return;
        }
        let listeners = self.st.borrow().listeners.ids();
        for id in listeners {
            // stop(false) runs no handler; it closes the listening socket and unlinks its path.
            let _ = self.stop(crate::ListenerId(id), false);
        }
        let mut st = self.st.borrow_mut();
        for id in st.sockets.ids() {
            st.sockets.remove(id);
        }
        st.user_timers.drop_all();
    }

    /// Closes everything: listeners stop, sockets close (their close or connect_error handlers
    /// run), and the loop refuses further work. Called by `bun_tcp_loop_free`.
    pub fn close_all(&self) {
        if self.shut.get() || self.closing_all.replace(true) {
            return;
        }
        let listeners = self.st.borrow().listeners.ids();
        for id in listeners {
            let _ = self.stop(crate::ListenerId(id), false);
        }
        // Handlers may open new sockets while we close: repeat until none is left.
        loop {
            let ids: Vec<u64> = {
                let st = self.st.borrow();
                st.sockets
                    .ids()
                    .into_iter()
                    .filter(|id| st.sockets.get(*id).is_some_and(|s| s.state.life.is_live()))
                    .collect()
            };
            if ids.is_empty() {
                break;
            }
            for id in ids {
                let _ = self.close_socket(id, None, crate::socket::CloseHow::Fin);
            }
        }
        self.shut.set(true);
        let mut st = self.st.borrow_mut();
        st.books.timers.clear();
        // Pending user timers are dropped without being called (the header: bun_tcp_loop_free).
        st.user_timers.drop_all();
        st.books.read_again.clear();
        st.books.accept_again.clear();
        st.books.failures.clear();
        st.books.finishing.clear();
        st.books.accept_retry.clear();
        st.books.next_attempts.clear();
        st.books.corked.clear();
        st.books.handshake_deadlines.clear();
        st.books.connect_deadlines.clear();
        drop(st);
        self.release_closed();
    }
}
