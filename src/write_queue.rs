//! The per-socket queue behind `write_all`, `end`'s tail and corking.
//!
//! Bytes leave in order, two slices at a time through one `sendmsg` (writev), so a corked burst of
//! small writes costs one syscall.

use std::collections::VecDeque;
use std::io::IoSlice;

/// Capacity kept after the queue empties; beyond it the buffer is released, so a socket that once
/// queued a large tail does not hold that memory while idle.
const KEEP_CAPACITY: usize = 64 * 1024;

#[derive(Default)]
pub struct WriteQueue {
    bytes: VecDeque<u8>,
}

impl WriteQueue {
    pub fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend(bytes);
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The oldest contiguous run of queued bytes.
    pub fn front(&self) -> &[u8] {
        self.bytes.as_slices().0
    }

    /// The queued bytes as at most two slices, oldest first.
    pub fn slices(&self) -> [IoSlice<'_>; 2] {
        let (a, b) = self.bytes.as_slices();
        [IoSlice::new(a), IoSlice::new(b)]
    }

    /// Drops the first `n` bytes (those the kernel took).
    pub fn consume(&mut self, n: usize) {
        self.bytes.drain(..n.min(self.bytes.len()));
        if self.bytes.is_empty() && self.bytes.capacity() > KEEP_CAPACITY {
            self.bytes = VecDeque::new();
        }
    }

    pub fn clear(&mut self) {
        self.bytes = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_leave_in_order_across_the_wrap() {
        let mut q = WriteQueue::default();
        q.push(b"hello ");
        q.consume(3);
        q.push(b"world");
        let joined: Vec<u8> = q.slices().iter().flat_map(|s| s.to_vec()).collect();
        assert_eq!(joined, b"lo world");
        q.consume(100);
        assert!(q.is_empty());
    }
}
