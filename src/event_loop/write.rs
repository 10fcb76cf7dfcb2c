//! The write path: Bun's one-send `write`, `write_all` with its queue, `end` (FIN after the
//! queue), shutdown, cork, and the writable edge that flushes and fires `drain`.

use super::*;
use crate::socket::*;

impl EventLoop {
    /// The socket can take more: flush the queue, send FIN if ending, fire `drain` if owed.
    pub(crate) fn on_writable(&self, id: u64) {
        let effects = {
            let mut st = self.st.borrow_mut();
            let state = &mut *st;
            let Some(s) = state.sockets.get_mut(id) else { return };
            s.flush_writes(id, &mut state.books)
        };
        self.apply(id, effects, None);
    }

    /// One non-blocking send (Bun's unbuffered contract): returns the bytes accepted, 0..len.
    /// While bytes are queued it returns 0 rather than jump the queue; while corked it queues all.
    pub fn write(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, books| s.write_once(id.0, books, bytes))
    }

    /// Accepts every byte: sends what the kernel takes and queues the rest; `drain` fires when
    /// the queue is empty again. With a write limit, a chunk that would take the queue past it
    /// is refused whole (ENOBUFS): nothing is sent or queued.
    pub fn write_all(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        self.with_live_socket(id, |s, books| s.write_whole(id.0, books, bytes))
    }

    /// Sends `bytes` then FIN: the whole chunk is accepted (the rest queued), writes are refused
    /// from now on, the socket stays readable. Returns `bytes.len()`.
    /// With a write limit, a chunk past it is refused (ENOBUFS) and the socket stays open.
    pub fn end(&self, id: SocketId, bytes: &[u8]) -> Result<usize, NetError> {
        let open = self.with_live_socket(id, |s, books| s.end_with(id.0, books, bytes))?;
        if open {
            self.on_writable(id.0);
        }
        Ok(bytes.len())
    }

    /// shutdown(2): the read side stops delivery; the write side sends FIN now (queued bytes are
    /// dropped; use `end` to flush first). ENOTCONN while connecting or in the TLS handshake.
    pub fn shutdown_socket(&self, id: SocketId, read_side: bool) -> Result<(), NetError> {
        let effects = self.with_live_socket(id, |s, _| s.shut(read_side))?;
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
