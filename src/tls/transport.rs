//! Moving ciphertext: rustls' records to the socket (one send, the queue, flushes); the loop's TLS
//! read path is `event_loop/tls.rs`.

use super::TlsState;
use crate::os::Stream;
use crate::write_queue::WriteQueue;
use std::io::{self, ErrorKind, IoSlice, Write};

/// Plaintext encrypted per send. rustls allocates each record it buffers and frees it once sent;
/// encrypting a whole 256 KiB write at once made glibc's allocator give the heap top back to the
/// kernel and take it again on every write (a page fault per 4 KiB: twice the server CPU per MiB
/// of bulk TLS), while this much stays in the allocator's free lists and is reused.
const ENCRYPT_PER_SEND: usize = 64 * 1024;
const _: () = assert!(ENCRYPT_PER_SEND < super::TLS_BUFFER_LIMIT / 2, "rustls must always take more");

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

/// Moves queued plaintext into rustls and sends the records, until both are empty (Ok(true)) or
/// the kernel pushes back (Ok(false): a writable edge follows).
///
/// Records are sent before more plaintext goes in: rustls refuses plaintext while its buffer is
/// full, and a refusal that is not the kernel's EAGAIN raises no writable edge, so stopping on it
/// left the queue waiting for an edge that never came.
pub(crate) fn flush_queue_tls(
    stream: &Stream,
    tls: &mut TlsState,
    queue: &mut WriteQueue,
    written: &mut u64,
) -> io::Result<bool> {
    loop {
        if !flush_tls(stream, tls)? {
            return Ok(false);
        }
        if queue.is_empty() {
            return Ok(true);
        }
        if tls.handshaking {
            return Ok(false); // the end of the handshake flushes the queue
        }
        let mut moved = 0;
        while !queue.is_empty() && moved < ENCRYPT_PER_SEND {
            let n = encrypt(tls, queue.front(), ENCRYPT_PER_SEND - moved)?;
            if n == 0 {
                break;
            }
            queue.consume(n);
            *written += n as u64;
            moved += n;
        }
    }
}

/// One `write` on a TLS socket: the plaintext rustls accepts (0 during the handshake or while
/// earlier records are still unsent), then as many records as the socket takes.
///
/// Records are sent before more plaintext goes in (see `flush_queue_tls`), so a short return
/// always means the kernel pushed back (EAGAIN), which is what raises the writable edge that
/// `drain` waits for.
pub(crate) fn send_tls(stream: &Stream, tls: &mut TlsState, bytes: &[u8]) -> io::Result<usize> {
    if tls.handshaking || !flush_tls(stream, tls)? {
        return Ok(0);
    }
    let mut accepted = 0;
    while accepted < bytes.len() {
        accepted += encrypt(tls, &bytes[accepted..], ENCRYPT_PER_SEND)?;
        if !flush_tls(stream, tls)? {
            break;
        }
    }
    Ok(accepted)
}

/// Encrypts up to `max` bytes of `plain`. Callers send rustls' records first and hold at most
/// ENCRYPT_PER_SEND unsent, far below its buffer limit, so it takes some, or first queues a TLS 1.3
/// key update (then 0, and the caller's flush sends it). Anything else is a refusal with nothing
/// to send: an error, never a silent stall.
fn encrypt(tls: &mut TlsState, plain: &[u8], max: usize) -> io::Result<usize> {
    let n = tls.conn.writer().write(&plain[..plain.len().min(max)])?;
    if n == 0 && !plain.is_empty() && !tls.conn.wants_write() {
        return Err(io::Error::other("the TLS layer refused plaintext with nothing to send"));
    }
    Ok(n)
}
