//! Moving ciphertext: rustls' records to and from the socket, and the TLS read path.

use super::{HANDSHAKE_BUDGET, TlsState, tls_failure};
use crate::error::NetError;
use crate::event_loop::{EventLoop, Lease, READ_BUDGET};
use crate::os::Stream;
use crate::socket::{CloseHow, Effects, ReadSide, Socket};
use crate::write_queue::WriteQueue;
use std::io::{self, ErrorKind, IoSlice, Read, Write};

/// `io::Write` onto a socket with MSG_NOSIGNAL, for rustls' `write_tls`.
struct SendTo<'a>(&'a Stream);

impl Write for SendTo<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.send(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.send_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Sends rustls' pending records; Ok(true) when none is left.
pub(crate) fn flush_tls(stream: &Stream, tls: &mut TlsState) -> io::Result<bool> {
    while tls.conn.wants_write() {
        match tls.conn.write_tls(&mut SendTo(stream)) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Moves queued plaintext into rustls (as much as its buffer takes) and sends the records.
/// Ok(true) when the queue and rustls are both empty.
pub(crate) fn flush_queue_tls(
    stream: &Stream,
    tls: &mut TlsState,
    queue: &mut WriteQueue,
    written: &mut u64,
) -> io::Result<bool> {
    loop {
        let mut moved = 0;
        if !tls.handshaking {
            while !queue.is_empty() {
                let n = tls.conn.writer().write(queue.front())?;
                if n == 0 {
                    break;
                }
                queue.consume(n);
                *written += n as u64;
                moved += n;
            }
        }
        if !flush_tls(stream, tls)? {
            return Ok(false);
        }
        if queue.is_empty() {
            return Ok(true);
        }
        if tls.handshaking || moved == 0 {
            return Ok(false);
        }
    }
}

/// One `write` on a TLS socket: the plaintext rustls accepts (0 during the handshake or while
/// earlier records are still unsent), then as many records as the socket takes.
///
/// rustls' buffer bounds memory, not progress: while the kernel takes the records, more
/// plaintext goes in, so a short return always means the kernel pushed back (EAGAIN), which is
/// what raises the writable edge that `drain` waits for.
pub(crate) fn send_tls(stream: &Stream, tls: &mut TlsState, bytes: &[u8]) -> io::Result<usize> {
    if tls.handshaking || !flush_tls(stream, tls)? {
        return Ok(0);
    }
    let mut accepted = 0;
    while accepted < bytes.len() {
        let n = tls.conn.writer().write(&bytes[accepted..])?;
        accepted += n;
        if !flush_tls(stream, tls)? || n == 0 {
            break;
        }
    }
    Ok(accepted)
}

/// What one read of ciphertext produced.
#[derive(Default)]
struct Step {
    /// Plaintext bytes placed in the plaintext buffer.
    plain: usize,
    /// The raw read filled less than the buffer.
    short: bool,
    would_block: bool,
    eof: bool,
    peer_closed: bool,
    handshake_done: bool,
    /// A failure, and whether it happened during the handshake.
    failure: Option<(NetError, bool)>,
    /// A read error on the socket (a reset).
    reset: Option<NetError>,
    /// Out of handshake budget this iteration.
    deferred: bool,
    /// Where the plaintext goes, judged at the read: valid while no handler ran since (no
    /// handshake completed in this step).
    gate: Gate,
}

/// What may happen to input (plaintext or the peer's end of stream) read for a socket, judged
/// after the handlers of the same read ran: they may have paused, closed or shut the read side.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
enum Gate {
    /// Open, reading: deliver now.
    Deliver,
    /// Paused: keep it for `resume` (the header: reading: no `data`, FIN deferred).
    Hold,
    /// Closed, read side shut, or never opened: nobody reads it.
    #[default]
    Discard,
}

impl Gate {
    fn of(s: &Socket) -> Gate {
        if s.state.life.open_fired() && s.state.read != ReadSide::Shut && s.tls.is_some() {
            if s.state.read.holds_input(s.state.reset) { Gate::Hold } else { Gate::Deliver }
        } else {
            Gate::Discard
        }
    }
}

impl EventLoop {
    fn read_gate(&self, id: u64) -> Gate {
        self.st.borrow().sockets.get(id).map_or(Gate::Discard, Gate::of)
    }

    fn tls_mut<R>(&self, id: u64, f: impl FnOnce(&mut TlsState) -> R) -> Option<R> {
        self.st.borrow_mut().sockets.get_mut(id).and_then(|s| s.tls.as_deref_mut()).map(f)
    }

    /// Delivers what a pause held back: the plaintext, then the end of stream. Returns true when
    /// reading may go on (nothing held any more and no end of stream was processed).
    fn deliver_held(&self, id: u64) -> bool {
        let (has_plain, end_held) = match self.st.borrow().sockets.get(id).and_then(|s| s.tls.as_ref()) {
            Some(t) => (!t.held_plain.is_empty(), t.end_held),
            None => return false,
        };
        if !has_plain && !end_held {
            return true;
        }
        if has_plain {
            match self.read_gate(id) {
                Gate::Hold => return false,
                Gate::Discard => {
                    self.tls_mut(id, |t| t.held_plain = Vec::new());
                }
                Gate::Deliver => {
                    let held = self.tls_mut(id, |t| std::mem::take(&mut t.held_plain)).unwrap_or_default();
                    self.count_read(held.len());
                    self.emit(id, |h, lp, s, d| h.data(lp, s, d, &held));
                    self.after_dispatch();
                }
            }
        }
        if !end_held {
            return true;
        }
        match self.read_gate(id) {
            Gate::Hold => false,
            Gate::Discard => {
                self.tls_mut(id, |t| t.end_held = false);
                false
            }
            Gate::Deliver => {
                self.tls_mut(id, |t| t.end_held = false);
                self.eof_or_pending_reset(id);
                false
            }
        }
    }

    /// The TLS read path: ciphertext from the socket into the receive buffer, through rustls,
    /// plaintext into the loop's plaintext buffer, then handshake events and `data`. Every
    /// handler that runs (`handshake`, `open`, `data`) may pause, close or shut the read side:
    /// what follows in the same read is delivered, held for `resume`, or dropped accordingly.
    pub(crate) fn on_readable_tls(&self, id: u64, edge: bool) {
        if !self.deliver_held(id) {
            return;
        }
        let mut reads = 0;
        loop {
            let mut raw = Lease::take(&self.recv_buf);
            let mut plain = Lease::take(&self.plain_buf);
            let step = self.tls_read_step(id, &mut raw, &mut plain);
            drop(raw);
            if step.deferred {
                drop(plain);
                self.st.borrow_mut().books.read_again.push(id);
                return;
            }
            if let Some(err) = step.reset {
                drop(plain);
                if self.tls_handshaking(id) {
                    // A reset mid-handshake fails the handshake like a FIN does.
                    self.tls_failed(id, err, true);
                } else {
                    let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                }
                return;
            }
            if let Some((err, during_handshake)) = step.failure {
                // Records that decrypted before the bad one are the peer's data: delivered
                // first, as plain TCP delivers the bytes before a reset.
                if step.plain > 0 && self.read_gate(id) == Gate::Deliver {
                    self.count_read(step.plain);
                    self.emit(id, |h, lp, s, d| h.data(lp, s, d, &plain[..step.plain]));
                    self.after_dispatch();
                }
                drop(plain);
                self.tls_failed(id, err, during_handshake);
                return;
            }
            if step.handshake_done {
                self.tls_handshake_done(id);
            }
            if step.plain > 0 {
                // `handshake` and `open` may have paused or closed the socket.
                let gate = if step.handshake_done { self.read_gate(id) } else { step.gate };
                match gate {
                    Gate::Deliver => {
                        self.count_read(step.plain);
                        self.emit(id, |h, lp, s, d| h.data(lp, s, d, &plain[..step.plain]));
                    }
                    Gate::Hold => {
                        self.tls_mut(id, |t| t.held_plain.extend_from_slice(&plain[..step.plain]));
                    }
                    Gate::Discard => {}
                }
            }
            drop(plain);
            self.after_dispatch();
            if step.eof || step.peer_closed {
                if self.tls_handshaking(id) {
                    let err = NetError::sys(
                        -libc::ECONNRESET,
                        c"read",
                        "(the peer closed the connection during the TLS handshake)",
                    );
                    self.tls_failed(id, err, true);
                    return;
                }
                match self.read_gate(id) {
                    Gate::Deliver => self.eof_or_pending_reset(id),
                    Gate::Hold => {
                        self.tls_mut(id, |t| t.end_held = true);
                    }
                    Gate::Discard => {}
                }
                return;
            }
            if step.would_block || (step.short && edge) {
                return;
            }
            reads += 1;
            if reads >= READ_BUDGET {
                self.st.borrow_mut().books.read_again.push(id);
                return;
            }
        }
    }

    /// Whether the socket is live and its TLS handshake is still running.
    pub(crate) fn tls_handshaking(&self, id: u64) -> bool {
        self.st
            .borrow()
            .sockets
            .get(id)
            .is_some_and(|s| s.state.life.is_connected() && s.tls.as_ref().is_some_and(|t| t.handshaking))
    }

    fn tls_read_step(&self, id: u64, raw: &mut [u8], plain: &mut [u8]) -> Step {
        let mut step = Step::default();
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let Some(s) = state.sockets.get_mut(id) else {
            step.would_block = true;
            return step;
        };
        let readable = s.state.reads_now(s.failure.is_some());
        let (Some(stream), Some(tls)) = (s.stream.as_ref(), s.tls.as_mut()) else {
            step.would_block = true;
            return step;
        };
        if !readable {
            step.would_block = true;
            return step;
        }
        if tls.handshaking {
            if state.books.handshakes >= HANDSHAKE_BUDGET {
                step.deferred = true;
                return step;
            }
            state.books.handshakes += 1;
        }
        let n = match stream.read(raw) {
            Ok(0) => {
                step.eof = true;
                return step;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {
                step.would_block = true;
                return step;
            }
            Err(e) => {
                step.reset = Some(NetError::io(&e, c"read", ""));
                return step;
            }
        };
        step.short = n < raw.len();
        let was_handshaking = tls.handshaking;
        let mut cipher = &raw[..n];
        while !cipher.is_empty() {
            if let Err(e) = tls.conn.read_tls(&mut cipher) {
                step.failure = Some((NetError::new(crate::error::ETLS, format!("TLS read: {e}")), tls.handshaking));
                break;
            }
            let processed = tls.conn.process_new_packets();
            if let Ok(io_state) = &processed {
                if io_state.peer_has_closed() {
                    step.peer_closed = true;
                }
            }
            // Plaintext leaves rustls' 16 KiB buffer at once, so read_tls can always go on; on
            // a failure, what decrypted before the bad record is still taken (and delivered
            // before the error).
            // After a success rustls says how much plaintext waits, so no read ends in the
            // WouldBlock error (an allocation-free but not free io::Error) when it is all taken.
            let mut waiting = processed.as_ref().map_or(usize::MAX, |io| io.plaintext_bytes_to_read());
            while waiting > 0 && step.plain < plain.len() {
                match tls.conn.reader().read(&mut plain[step.plain..]) {
                    Ok(0) => break,
                    Ok(k) => {
                        step.plain += k;
                        waiting = waiting.saturating_sub(k);
                    }
                    Err(_) => break,
                }
            }
            if let Err(e) = processed {
                step.failure = Some((tls_failure(&e), tls.handshaking));
                break;
            }
        }
        if step.failure.is_none() && was_handshaking && !tls.conn.is_handshaking() {
            tls.finish_handshake();
            step.handshake_done = true;
        }
        // Handshake replies, tickets, alerts (including the one for a failure) leave now.
        let _ = flush_tls(stream, tls);
        if step.plain > 0 {
            let now = state.books.now;
            s.touch(id, &mut state.books.timers, now);
            step.gate = Gate::of(s);
        }
        step
    }

    /// The handshake completed: `handshake` (if set), the deferred `open`, then what was
    /// written meanwhile leaves and `drain` follows.
    fn tls_handshake_done(&self, id: u64) {
        let (has_handshake, open_now, verdict) = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            let verdict = s.tls.as_ref().and_then(|t| t.verify_error.clone());
            // The state moves to Open only below, once `handshake` returned: a socket closed
            // inside it never opened.
            let open_now = s.state.life.handshake_done().1;
            (s.handlers.get().present().handshake, open_now, verdict)
        };
        if has_handshake {
            self.emit(id, |h, lp, s, d| h.handshake(lp, s, d, true, verdict.as_ref()));
        }
        if open_now {
            // `handshake` (a table reloaded before the handshake ended has both) may have
            // closed the socket: then no `open`.
            let effects = {
                let mut st = self.st.borrow_mut();
                let now = st.books.now;
                let state = &mut *st;
                match state.sockets.get_mut(id) {
                    Some(s) => {
                        let effects = s.state.handshake_announced();
                        if !effects.is_empty() {
                            s.start_idle_timer(id, &mut state.books.timers, now);
                        }
                        effects
                    }
                    None => Effects::default(),
                }
            };
            self.apply(id, effects, None);
        }
        self.on_writable(id);
    }

    /// A TLS failure: during the handshake `handshake(false, err)`; then `error(err)` and
    /// `close(err)` for a socket that fired `open` (a client whose open was deferred gets
    /// `connect_error(err)` instead; a server socket that never opened closes silently).
    pub(crate) fn tls_failed(&self, id: u64, err: NetError, during_handshake: bool) {
        let (opened, present) = {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            if !s.state.life.is_connected() {
                return;
            }
            // Writes from the handlers below fail with the error: nothing can be sent any more.
            s.failure = Some(Box::new(err.clone()));
            (s.state.life.open_fired(), s.handlers.get().present())
        };
        if opened {
            if during_handshake && present.handshake {
                self.emit(id, |h, lp, s, d| h.handshake(lp, s, d, false, Some(&err)));
            }
            if present.error {
                self.emit(id, |h, lp, s, d| h.error(lp, s, d, &err));
            }
        }
        let _ = self.close_socket(id, Some(err), CloseHow::Fin);
    }
}
