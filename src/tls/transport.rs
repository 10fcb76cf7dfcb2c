//! Moving ciphertext: rustls' records to the socket (one send, the queue, flushes); the loop's TLS
//! read path is `event_loop/tls.rs`.

use super::TlsState;
use crate::os::Stream;
use crate::write_queue::WriteQueue;
use std::io::{self, ErrorKind, IoSlice, Write};

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
