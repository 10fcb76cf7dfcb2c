//! The write path: Bun's one-send `write`, `write_all` with its queue, `end` (FIN after the
//! queue), shutdown, cork, and the writable edge that flushes and fires `drain`.

use super::*;

impl EventLoop {
    /// The socket can take more: flush the queue, send FIN if ending, fire `drain` if owed.
    pub(crate) fn on_writable(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let now = st.books.now;
            let state = &mut *st;
            let Some(s) = state.sockets.get_mut(id) else { return };
            if !s.state.life.is_connected() || s.state.cork == Cork::On {
                return;
            }
            // Most writable edges find nothing to send, no FIN to send and no drain owed.
            if !s.has_write_work() {
                return;
            }
            let before = s.bytes_written;
            match flush_queue(s) {
                Ok(true) => {}
                Ok(false) => {
                    if s.bytes_written != before {
                        s.touch(id, &mut state.books.timers, now);
                    }
                    return;
                }
                Err(e) => {
                    let err = NetError::io(&e, c"write", "");
                    if s.failure.is_none() {
                        s.failure = Some(Box::new(err));
                        state.books.failures.push(id);
                    }
                    return;
                }
            }
            if s.bytes_written != before {
                s.touch(id, &mut state.books.timers, now);
            }
            if s.handshaking() {
                return;
            }
            if s.state.write.fin_owed() {
                if let (Some(stream), Some(tls)) = (s.stream.as_ref(), s.tls.as_mut()) {
                    if !tls.close_notify_sent {
                        tls.conn.send_close_notify();
                        tls.close_notify_sent = true;
                    }
                    match tls::flush_tls(stream, tls) {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(e) => {
                            if s.failure.is_none() {
                                s.failure = Some(Box::new(NetError::io(&e, c"write", "")));
                                state.books.failures.push(id);
                            }
                            return;
                        }
                    }
                }
                if let Some(stream) = s.stream.as_ref() {
                    let _ = stream.shutdown(Shutdown::Write);
                }
                s.state.write = s.state.write.fin_sent();
            }
            s.state.flushed()
        };
        self.apply(id, effects, None);
    }

    /// Checks that a socket can take writes; Ok(false) = not yet (connecting).
    pub(super) fn writable_now(s: &Socket) -> Result<bool, NetError> {
        if let Some(f) = &s.failure {
            return Err((**f).clone());
        }
        if s.state.write.is_ended() {
            return Err(NetError::new(EENDED, "write after end or shutdown"));
        }
        Ok(s.state.life.is_connected() && !s.handshaking())
    }

    /// One non-blocking send (Bun's unbuffered contract): returns the bytes accepted, 0..len.
    /// While bytes are queued it returns 0 rather than jump the queue; while corked it queues all.
    pub fn write(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, st| {
            if !EventLoop::writable_now(s)? {
                s.state.drain = Drain::Owed;
                return Ok(0);
            }
            if bytes.is_empty() {
                return Ok(0);
            }
            if s.state.cork == Cork::On {
                s.queue.push(bytes);
                return Ok(bytes.len());
            }
            if !s.queue.is_empty() {
                s.state.drain = Drain::Owed;
                return Ok(0);
            }
            send_now(id.0, s, st, bytes)
        })
    }

    /// Accepts every byte: sends what the kernel takes and queues the rest; `drain` fires when
    /// the queue is empty again. With a write limit, a chunk that would take the queue past it
    /// is refused whole (ENOBUFS): nothing is sent or queued.
    pub fn write_all(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, st| {
            let open = EventLoop::writable_now(s)?;
            refuse_past_limit(s, bytes.len())?;
            if bytes.is_empty() {
                return Ok(0);
            }
            if s.state.cork == Cork::On {
                s.queue.push(bytes);
                return Ok(bytes.len());
            }
            if !open || !s.queue.is_empty() {
                s.queue.push(bytes);
                s.state.drain = Drain::Owed;
                return Ok(bytes.len());
            }
            let sent = send_now(id.0, s, st, bytes)?;
            if sent < bytes.len() {
                s.queue.push(&bytes[sent..]);
                s.state.drain = Drain::Owed;
            }
            Ok(bytes.len())
        })
    }

    /// Sends `bytes` then FIN: the whole chunk is accepted (the rest queued), writes are refused
    /// from now on, the socket stays readable. Returns `bytes.len()`.
    /// With a write limit, a chunk past it is refused (ENOBUFS) and the socket stays open.
    pub fn end(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        let open = self.with_live_socket(id, |s, st| {
            let open = EventLoop::writable_now(s)?;
            refuse_past_limit(s, bytes.len())?;
            let mut sent = 0;
            if open && s.state.cork == Cork::Off && s.queue.is_empty() && !bytes.is_empty() {
                sent = send_now(id.0, s, st, bytes)?;
            }
            s.queue.push(&bytes[sent..]);
            s.state.write = s.state.write.end().0;
            Ok(open)
        })?;
        if open {
            self.on_writable(id.0);
        }
        Ok(bytes.len())
    }

    /// shutdown(2): the read side stops delivery; the write side sends FIN now (queued bytes are
    /// dropped; use `end` to flush first). ENOTCONN while connecting or in the TLS handshake.
    pub fn shutdown_socket(&self, id: SocketId, read_side: bool) -> Result<(), NetError> {
        let effects = self.with_live_socket(id, |s, _| {
            if !s.state.life.is_connected() {
                return Err(NetError::new(-libc::ENOTCONN, "shutdown on a socket that is not connected"));
            }
            // Either side shut mid-handshake leaves a handshake that can never finish (no more
            // records read, or no Finished sent): refused like a connect in flight.
            if s.handshaking() {
                return Err(NetError::new(-libc::ENOTCONN, "shutdown during the TLS handshake"));
            }
            let how = if read_side { Shutdown::Read } else { Shutdown::Write };
            if let Some(stream) = s.stream.as_ref() {
                let _ = stream.shutdown(how);
            }
            if read_side {
                Ok(s.state.shutdown(Side::Read))
            } else {
                s.queue.clear();
                Ok(s.state.shutdown(Side::Write))
            }
        })?;
        self.apply(id.0, effects, None);
        Ok(())
    }

    /// Sends queued bytes now (Ok) — for callers that queued with `write_all` or corked.
    pub fn flush(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |_, _| Ok(()))?;
        self.uncork_now(id.0);
        Ok(())
    }

    /// Coalesces writes until `uncork` or until the current handler returns.
    pub fn cork(&self, id: SocketId) -> Result<(), NetError> {
        let fx = self.with_live_socket(id, |s, _| Ok(s.state.cork()))?;
        self.apply(id.0, fx, None);
        Ok(())
    }

    /// Sends what was written while corked, in one writev.
    pub fn uncork(&self, id: SocketId) -> Result<(), NetError> {
        self.with_live_socket(id, |_, _| Ok(()))?;
        self.uncork_now(id.0);
        Ok(())
    }

    pub(crate) fn uncork_now(&self, id: u64) {
        {
            let mut st = self.st.borrow_mut();
            let Some(s) = st.sockets.get_mut(id) else { return };
            s.state.cork = Cork::Off;
            if !s.state.life.is_connected() {
                return;
            }
        }
        self.on_writable(id);
        let mut st = self.st.borrow_mut();
        if let Some(s) = st.sockets.get_mut(id) {
            // What the kernel did not take leaves from the writable path; drain follows.
            if !s.queue.is_empty() && s.state.write == WriteSide::Open {
                s.state.drain = Drain::Owed;
            }
        }
    }
}

/// ENOBUFS when `len` more bytes would take the queue past the socket's write limit. The caller
/// waits for `drain`, so one is owed whenever bytes are queued (a refusal while corked included).
#[inline]
fn refuse_past_limit(s: &mut Socket, len: usize) -> Result<(), NetError> {
    if s.write_limit.admits(s.queue.len(), len) {
        return Ok(());
    }
    if !s.queue.is_empty() {
        s.state.drain = Drain::Owed;
    }
    Err(NetError::new(
        -libc::ENOBUFS,
        format!("{len} bytes would take the write queue ({} bytes) past the write limit", s.queue.len()),
    ))
}

/// Sends the queue (and, for TLS, rustls' records) until everything left (Ok(true)), the kernel
/// is full (Ok(false)) or an error.
fn flush_queue(s: &mut Socket) -> io::Result<bool> {
    let Some(stream) = s.stream.as_ref() else { return Ok(false) };
    if let Some(tls) = s.tls.as_mut() {
        return tls::flush_queue_tls(stream, tls, &mut s.queue, &mut s.bytes_written);
    }
    while !s.queue.is_empty() {
        match stream.send_vectored(&s.queue.slices()) {
            Ok(n) => {
                s.queue.consume(n);
                s.bytes_written += n as u64;
            }
            Err(e) if would_block(&e) => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// One send on an open socket with an empty queue; records failures for later reporting.
fn send_now(id: u64, s: &mut Socket, st: &mut Books, bytes: &[u8]) -> Result<usize, NetError> {
    let Some(stream) = s.stream.as_ref() else { return Ok(0) };
    let sent = match s.tls.as_mut() {
        Some(tls) => tls::send_tls(stream, tls, bytes),
        // EINTR is retried here: treated as "try later", it would wait for a writable edge that an
        // already writable socket never raises again, and `drain` would never fire.
        None => loop {
            match stream.send(bytes) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other,
            }
        },
    };
    match sent {
        Ok(n) => {
            s.bytes_written += n as u64;
            if n > 0 {
                let now = st.now;
                s.touch(id, &mut st.timers, now);
            }
            if n < bytes.len() {
                s.state.drain = Drain::Owed;
            }
            Ok(n)
        }
        Err(e) if would_block(&e) || e.kind() == ErrorKind::Interrupted => {
            s.state.drain = Drain::Owed;
            Ok(0)
        }
        Err(e) => {
            let err = NetError::io(&e, c"write", "");
            if s.failure.is_none() {
                s.failure = Some(Box::new(err.clone()));
                st.failures.push(id);
            }
            Err(err)
        }
    }
}
