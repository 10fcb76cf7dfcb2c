//! Moving ciphertext: rustls' records to and from the socket, and the TLS read path.

use super::{HANDSHAKE_BUDGET, TlsState, tls_failure};
use crate::error::NetError;
use crate::event_loop::{EventLoop, Lease, READ_BUDGET};
use crate::os::Stream;
use crate::socket::{CloseHow, Phase};
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
}

impl EventLoop {
    /// The TLS read path: ciphertext from the socket into the receive buffer, through rustls,
    /// plaintext into the loop's plaintext buffer, then handshake events and `data`.
    pub(crate) fn on_readable_tls(&self, id: u64, edge: bool) {
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
                let _ = self.close_socket(id, Some(err), CloseHow::Fin);
                return;
            }
            if let Some((err, during_handshake)) = step.failure {
                drop(plain);
                self.tls_failed(id, err, during_handshake);
                return;
            }
            if step.handshake_done {
                self.tls_handshake_done(id);
            }
            if step.plain > 0 {
                let deliver = self.st.borrow().sockets.get(id).is_some_and(|s| s.phase == Phase::Open && s.opened);
                if deliver {
                    self.emit(id, |h, lp, s, d| h.data(lp, s, d, &plain[..step.plain]));
                }
            }
            drop(plain);
            self.after_dispatch();
            if step.eof || step.peer_closed {
                let handshaking =
                    self.st.borrow().sockets.get(id).and_then(|s| s.tls.as_ref()).is_some_and(|t| t.handshaking);
                if handshaking {
                    let err = NetError::sys(
                        -libc::ECONNRESET,
                        c"read",
                        "(the peer closed the connection during the TLS handshake)",
                    );
                    self.tls_failed(id, err, true);
                } else {
                    self.eof_or_pending_reset(id);
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

    fn tls_read_step(&self, id: u64, raw: &mut [u8], plain: &mut [u8]) -> Step {
        let mut step = Step::default();
        let mut st = self.st.borrow_mut();
        let state = &mut *st;
        let Some(s) = state.sockets.get_mut(id) else {
            step.would_block = true;
            return step;
        };
        let readable =
            s.phase == Phase::Open && (!s.paused || s.reset_seen) && !s.read_eof && !s.read_shut && s.failure.is_none();
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
            match tls.conn.process_new_packets() {
                Ok(io_state) => {
                    if io_state.peer_has_closed() {
                        step.peer_closed = true;
                    }
                }
                Err(e) => {
                    step.failure = Some((tls_failure(&e), tls.handshaking));
                    break;
                }
            }
            // Plaintext leaves rustls' 16 KiB buffer at once, so read_tls can always go on.
            loop {
                if step.plain == plain.len() {
                    break;
                }
                match tls.conn.reader().read(&mut plain[step.plain..]) {
                    Ok(0) => break,
                    Ok(k) => step.plain += k,
                    Err(_) => break,
                }
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
            let open_now = s.open_pending;
            if open_now {
                s.open_pending = false;
                s.opened = true;
            }
            (s.handlers.get().present().handshake, open_now, verdict)
        };
        if has_handshake {
            self.emit(id, |h, lp, s, d| h.handshake(lp, s, d, true, verdict.as_ref()));
        }
        if open_now {
            self.emit(id, |h, lp, s, d| h.open(lp, s, d));
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
            if s.phase != Phase::Open {
                return;
            }
            // Writes from the handlers below fail with the error: nothing can be sent any more.
            s.failure = Some(Box::new(err.clone()));
            (s.opened, s.handlers.get().present())
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
