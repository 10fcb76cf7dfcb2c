//! The loop's TLS path: ciphertext read through rustls into `data` (with the gates that let a
//! handler pause or close mid-read), the end of a handshake (`handshake`, the deferred `open`),
//! TLS failures, STARTTLS and the TLS queries of a socket.

use super::*;
use crate::handlers::{HandlerCell, validate};
use crate::socket::*;
use crate::tls::*;
use std::io::{ErrorKind, Read};

/// What one read of ciphertext produced.
#[derive(Default)]
pub(super) struct Step {
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

impl EventLoop {
    /// STARTTLS: the open plain socket becomes a TLS socket (client or server side) with a new
    /// handler table. With a `handshake` handler it fires when the handshake ends; without one,
    /// `open` fires again after the handshake. Nothing may be queued or ended. Bytes the peer
    /// sent after its last plaintext message and before the upgrade were already delivered as
    /// plaintext: protocols wait for the answer to their STARTTLS command before the handshake.
    pub fn upgrade_tls(
        &self,
        id: SocketId,
        opts: &TlsOptions,
        handlers: Rc<dyn Handlers>,
        is_server: bool,
    ) -> Result<(), NetError> {
        validate(&*handlers)?;
        let state = if is_server {
            TlsState::server(&server_config(opts)?)?
        } else {
            TlsState::client(self.client_tls.borrow_mut().client_tls(opts, None)?)?
        };
        let wants_handshake = handlers.present().handshake;
        self.with_live_socket(id, |s, books| {
            if !s.state.life.is_connected() || !s.state.life.open_fired() {
                return Err(NetError::invalid("upgrade_tls needs an open socket"));
            }
            if s.tls.is_some() {
                return Err(NetError::invalid("the socket already speaks TLS"));
            }
            if !s.queue.is_empty() || s.state.write != WriteSide::Open {
                return Err(NetError::invalid("upgrade_tls with bytes still queued or the write side ended"));
            }
            s.tls = Some(Box::new(state));
            s.handlers = HandlerCell::new(handlers);
            s.state.life =
                s.state.life.upgraded(if wants_handshake { Announce::Now } else { Announce::AfterHandshake });
            s.state.drain = Drain::NotOwed;
            // The peer's first records may already wait in the kernel.
            books.read_again.push(id.0);
            Ok(())
        })?;
        self.on_writable(id.0);
        Ok(())
    }

    fn tls_query<R>(&self, id: SocketId, f: impl FnOnce(&TlsState) -> Option<R>) -> Result<Option<R>, NetError> {
        self.with_live_socket(id, |s, _| Ok(s.tls.as_deref().and_then(f)))
    }

    /// Whether the TLS peer was verified (false for plain sockets and during the handshake).
    pub fn authorized(&self, id: SocketId) -> Result<bool, NetError> {
        self.tls_query(id, |t| Some(!t.handshaking && t.authorized)).map(|v| v.unwrap_or(false))
    }

    /// The verdict on the peer's certificate (None = verified, not asked, or plain).
    pub fn verify_error(&self, id: SocketId) -> Result<Option<NetError>, NetError> {
        self.tls_query(id, |t| t.verify_error.clone())
    }

    /// The ALPN protocol the handshake agreed on.
    pub fn alpn_protocol(&self, id: SocketId) -> Result<Option<Vec<u8>>, NetError> {
        self.tls_query(id, |t| t.conn.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// "TLSv1.2" or "TLSv1.3" once negotiated.
    pub fn tls_version(&self, id: SocketId) -> Result<Option<&'static str>, NetError> {
        self.tls_query(id, TlsState::version)
    }

    /// The negotiated cipher suite's IANA name.
    pub fn cipher(&self, id: SocketId) -> Result<Option<&'static str>, NetError> {
        self.tls_query(id, TlsState::cipher)
    }

    /// On a server, the host name the client asked for (SNI), once its ClientHello arrived.
    pub fn server_name(&self, id: SocketId) -> Result<Option<String>, NetError> {
        self.tls_query(id, |t| match &t.conn {
            rustls::Connection::Server(server) => server.server_name().map(str::to_string),
            rustls::Connection::Client(_) => None,
        })
    }

    /// The peer's end-entity certificate (DER).
    pub fn peer_certificate(&self, id: SocketId) -> Result<Option<Vec<u8>>, NetError> {
        self.peer_certificate_at(id, 0)
    }

    /// Certificate `index` of the chain the peer sent (DER; 0 is its end-entity certificate),
    /// None past the end of the chain.
    pub fn peer_certificate_at(&self, id: SocketId, index: usize) -> Result<Option<Vec<u8>>, NetError> {
        self.tls_query(id, |t| t.conn.peer_certificates().and_then(|c| c.get(index)).map(|c| c.to_vec()))
    }

    /// Whether the completed handshake resumed a session (false for plain sockets and during
    /// the handshake).
    pub fn session_reused(&self, id: SocketId) -> Result<bool, NetError> {
        self.tls_query(id, |t| Some(t.session_reused())).map(|v| v.unwrap_or(false))
    }

    /// RFC 5705 / RFC 8446 §7.5 keying material into `out` (ENOTSUP: plain, or before the
    /// handshake completed).
    pub fn export_keying_material(
        &self,
        id: SocketId,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| match s.tls.as_deref() {
            Some(t) => t.export_keying_material(out, label, context),
            None => Err(NetError::new(crate::error::ENOTSUP, "a plain socket has no keying material")),
        })
    }
}
