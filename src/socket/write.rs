//! The write path on the socket record: Bun's one-send `write`, `write_all` with its queue, `end`
//! (FIN after the queue), shutdown, and the writable edge that flushes; what must follow (`drain`,
//! a close) comes back as `Effects`.

use super::*;

/// The write path on the socket record itself: no handler runs here; what must follow (a
/// `drain`, a close) comes back as `Effects`, failures wait in `Books::failures`.
impl Socket {
    /// The writable edge: flush the queue, send an owed FIN, and say what follows.
    #[inline]
    pub(crate) fn flush_writes(&mut self, id: u64, books: &mut Books) -> Effects {
        let none = Effects::default();
        if !self.state.life.is_connected() || self.state.cork == Cork::On {
            return none;
        }
        // Most writable edges find nothing to send, no FIN to send and no drain owed.
        if !self.has_write_work() {
            return none;
        }
        let before = self.bytes_written;
        match self.flush_queue() {
            Ok(all_sent) => {
                if self.bytes_written != before {
                    self.touch(id, &mut books.timers, books.now);
                }
                if !all_sent {
                    return none;
                }
            }
            Err(e) => {
                self.record_failure(id, books, NetError::io(&e, c"write", ""));
                return none;
            }
        }
        if self.handshaking() {
            return none;
        }
        if self.state.write.fin_owed() {
            if let (Some(stream), Some(tls)) = (self.stream.as_ref(), self.tls.as_mut()) {
                if !tls.close_notify_sent {
                    tls.conn.send_close_notify();
                    tls.close_notify_sent = true;
                }
                match tls::flush_tls(stream, tls) {
                    Ok(true) => {}
                    Ok(false) => return none,
                    Err(e) => {
                        self.record_failure(id, books, NetError::io(&e, c"write", ""));
                        return none;
                    }
                }
            }
            if let Some(stream) = self.stream.as_ref() {
                let _ = stream.shutdown(Shutdown::Write);
            }
            self.state.write = self.state.write.fin_sent();
        }
        self.state.flushed()
    }

    /// Whether the socket takes writes; Ok(false) = not yet (connecting, TLS handshake).
    #[inline]
    fn writable_now(&self) -> Result<bool, NetError> {
        if let Some(f) = &self.failure {
            return Err((**f).clone());
        }
        if self.state.write.is_ended() {
            return Err(NetError::new(EENDED, "write after end or shutdown"));
        }
        Ok(self.state.life.is_connected() && !self.handshaking())
    }

    /// `write`: one send, or nothing while bytes wait (no queue jumping); all queued while corked.
    #[inline]
    pub(crate) fn write_once(&mut self, id: u64, books: &mut Books, bytes: &[u8]) -> Result<usize, NetError> {
        if !self.writable_now()? {
            self.state.drain = Drain::Owed;
            return Ok(0);
        }
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.state.cork == Cork::On {
            self.queue.push(bytes);
            return Ok(bytes.len());
        }
        if !self.queue.is_empty() {
            self.state.drain = Drain::Owed;
            return Ok(0);
        }
        self.send_now(id, books, bytes)
    }

    /// `write_all`: sends what the kernel takes and queues the rest.
    #[inline]
    pub(crate) fn write_whole(&mut self, id: u64, books: &mut Books, bytes: &[u8]) -> Result<usize, NetError> {
        let open = self.writable_now()?;
        self.refuse_past_limit(bytes.len())?;
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.state.cork == Cork::On {
            self.queue.push(bytes);
            return Ok(bytes.len());
        }
        if !open || !self.queue.is_empty() {
            self.queue.push(bytes);
            self.state.drain = Drain::Owed;
            return Ok(bytes.len());
        }
        let sent = self.send_now(id, books, bytes)?;
        if sent < bytes.len() {
            self.queue.push(&bytes[sent..]);
            self.state.drain = Drain::Owed;
        }
        Ok(bytes.len())
    }

    /// `end`: the chunk is sent or queued and the write side ends; returns whether the socket
    /// is open (then the write path runs at once to send the FIN after the queue).
    pub(crate) fn end_with(&mut self, id: u64, books: &mut Books, bytes: &[u8]) -> Result<bool, NetError> {
        let open = self.writable_now()?;
        self.refuse_past_limit(bytes.len())?;
        let mut sent = 0;
        if open && self.state.cork == Cork::Off && self.queue.is_empty() && !bytes.is_empty() {
            sent = self.send_now(id, books, bytes)?;
        }
        self.queue.push(&bytes[sent..]);
        self.state.write = self.state.write.end().0;
        Ok(open)
    }

    /// shutdown(2) of one side of a connected socket whose handshake is over.
    pub(crate) fn shut(&mut self, read_side: bool) -> Result<Effects, NetError> {
        if !self.state.life.is_connected() {
            return Err(NetError::new(-libc::ENOTCONN, "shutdown on a socket that is not connected"));
        }
        // Either side shut mid-handshake leaves a handshake that can never finish (no more
        // records read, or no Finished sent): refused like a connect in flight.
        if self.handshaking() {
            return Err(NetError::new(-libc::ENOTCONN, "shutdown during the TLS handshake"));
        }
        let how = if read_side { Shutdown::Read } else { Shutdown::Write };
        if let Some(stream) = self.stream.as_ref() {
            let _ = stream.shutdown(how);
        }
        if read_side {
            Ok(self.state.shutdown(Side::Read))
        } else {
            self.queue.clear();
            Ok(self.state.shutdown(Side::Write))
        }
    }

    /// ENOBUFS when `len` more bytes would take the queue past the socket's write limit. The
    /// caller waits for `drain`, so one is owed whenever bytes are queued (a refusal while corked
    /// included).
    #[inline]
    fn refuse_past_limit(&mut self, len: usize) -> Result<(), NetError> {
        if self.write_limit.admits(self.queue.len(), len) {
            return Ok(());
        }
        if !self.queue.is_empty() {
            self.state.drain = Drain::Owed;
        }
        Err(NetError::new(
            -libc::ENOBUFS,
            format!("{len} bytes would take the write queue ({} bytes) past the write limit", self.queue.len()),
        ))
    }

    /// Sends the queue (and, for TLS, rustls' records) until everything left (Ok(true)), the
    /// kernel is full (Ok(false)) or an error.
    fn flush_queue(&mut self) -> io::Result<bool> {
        let Some(stream) = self.stream.as_ref() else { return Ok(false) };
        if let Some(tls) = self.tls.as_mut() {
            return tls::flush_queue_tls(stream, tls, &mut self.queue, &mut self.bytes_written);
        }
        while !self.queue.is_empty() {
            match stream.send_vectored(&self.queue.slices()) {
                Ok(n) => {
                    self.queue.consume(n);
                    self.bytes_written += n as u64;
                }
                Err(e) if would_block(&e) => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// One send on an open socket with an empty queue; records failures for later reporting.
    #[inline]
    fn send_now(&mut self, id: u64, books: &mut Books, bytes: &[u8]) -> Result<usize, NetError> {
        let Some(stream) = self.stream.as_ref() else { return Ok(0) };
        let sent = match self.tls.as_mut() {
            Some(tls) => tls::send_tls(stream, tls, bytes),
            // EINTR is retried here: treated as "try later", it would wait for a writable edge
            // that an already writable socket never raises again, and `drain` would never fire.
            None => loop {
                match stream.send(bytes) {
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    other => break other,
                }
            },
        };
        match sent {
            Ok(n) => {
                self.bytes_written += n as u64;
                if n > 0 {
                    self.touch(id, &mut books.timers, books.now);
                }
                if n < bytes.len() {
                    self.state.drain = Drain::Owed;
                }
                Ok(n)
            }
            Err(e) if would_block(&e) || e.kind() == ErrorKind::Interrupted => {
                self.state.drain = Drain::Owed;
                Ok(0)
            }
            Err(e) => {
                let err = NetError::io(&e, c"write", "");
                self.record_failure(id, books, err.clone());
                Err(err)
            }
        }
    }

    /// Keeps the first failure; the loop reports it once the current handler returned.
    fn record_failure(&mut self, id: u64, books: &mut Books, err: NetError) {
        if self.failure.is_none() {
            self.failure = Some(Box::new(err));
            books.failures.push(id);
        }
    }
}
