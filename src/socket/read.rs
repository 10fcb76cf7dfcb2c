//! One plain read on the socket record, with its bookkeeping; the loop's read path (handlers, the
//! peer's FIN, resets) is `event_loop/read.rs`.

use super::*;

/// What one read of a plain socket found.
pub(crate) enum PlainRead {
    /// Bytes, with the handler table and the user data to deliver them to.
    Bytes(usize, Rc<dyn Handlers>, UserData),
    /// The peer's FIN (a read of 0).
    Eof,
    /// Nothing to read now: the kernel holds nothing (EAGAIN), or the socket does not read
    /// (paused, read side done, closed, a failure waiting to be reported).
    Nothing,
    /// EINTR: read again.
    Interrupted,
    /// A read error (a reset).
    Failed(io::Error),
}

/// The plain read on the socket record itself: no handler runs here.
impl Socket {
    /// One read into `buf`, with its bookkeeping (idle timer, counters) and, for bytes, the
    /// handler table and user data to deliver them to.
    #[inline]
    pub(crate) fn read_plain(&mut self, id: u64, books: &mut Books, buf: &mut [u8]) -> PlainRead {
        // A socket whose send failed is reported by report_failure, not read: after a reset the
        // read would return 0 and look like a FIN.
        if !self.state.reads_now(self.failure.is_some()) {
            return PlainRead::Nothing;
        }
        let Some(stream) = self.stream.as_ref() else { return PlainRead::Nothing };
        match stream.read(buf) {
            Ok(0) => PlainRead::Eof,
            Ok(n) => {
                self.touch(id, &mut books.timers, books.now);
                books.counters.bytes_read += n as u64;
                PlainRead::Bytes(n, self.handlers.get(), self.data)
            }
            Err(e) if would_block(&e) => PlainRead::Nothing,
            Err(e) if e.kind() == ErrorKind::Interrupted => PlainRead::Interrupted,
            Err(e) => PlainRead::Failed(e),
        }
    }

    /// Records a reset; true when the socket has nothing left to do but learn the error: it no
    /// longer reads (peer FIN seen, SHUT_RD) and has no queued tail to report it through.
    #[inline]
    pub(crate) fn reset_seen(&mut self) -> bool {
        self.state.reset = Reset::Seen;
        self.state.read.is_done() && self.queue.is_empty()
    }
}
