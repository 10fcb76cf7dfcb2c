//! A socket's state as types: where it is in its life, what its read side and its write side
//! may still do, and the few independent flags. Pure data and transitions, no I/O: the loop asks
//! these types what is allowed and what must happen, then does the I/O and fires the handlers.
//!
//! Combinations the old bools allowed but no socket may be in (FIN sent without `end`, `open`
//! pending on a socket that is still connecting, ...) cannot be written here.

/// Where a socket is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Waiting for the resolver thread.
    Resolving,
    /// A non-blocking connect is in flight.
    Connecting,
    /// Connected; `open` fires when the TLS handshake completes (no `handshake` handler).
    OpenDeferred(OpenFired),
    /// Connected and announced: `open` fired, reads and writes flow (a TLS handshake may still
    /// run when a `handshake` handler reports it).
    Open,
    /// Closed: the slot lives until the end of the tick, then the handle is stale.
    Closed,
}

/// Whether `open` already fired for a socket whose (next) `open` waits for a TLS handshake.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum OpenFired {
    /// Not yet: a TLS connect or accept without a `handshake` handler.
    Never,
    /// Yes, on the plain socket: a STARTTLS upgrade, whose `open` fires again after the handshake.
    Before,
}

/// Whether `open` fires now or after the TLS handshake.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Announce {
    Now,
    AfterHandshake,
}

impl Lifecycle {
    /// Connected (open or waiting for the handshake to announce it): not resolving, connecting
    /// or closed.
    #[inline]
    pub fn is_connected(self) -> bool {
        matches!(self, Lifecycle::Open | Lifecycle::OpenDeferred(_))
    }

    #[inline]
    pub fn is_live(self) -> bool {
        !matches!(self, Lifecycle::Closed)
    }

    #[inline]
    pub fn is_dialing(self) -> bool {
        matches!(self, Lifecycle::Resolving | Lifecycle::Connecting)
    }

    /// `open` has fired: `close` will fire exactly once.
    #[inline]
    pub fn open_fired(self) -> bool {
        matches!(self, Lifecycle::Open | Lifecycle::OpenDeferred(OpenFired::Before))
    }

    /// The connection is established (connect completed or accepted).
    #[inline]
    pub fn connected(announce: Announce) -> Lifecycle {
        match announce {
            Announce::Now => Lifecycle::Open,
            Announce::AfterHandshake => Lifecycle::OpenDeferred(OpenFired::Never),
        }
    }

    /// A STARTTLS upgrade of an open socket: with `AfterHandshake`, `open` fires again then.
    #[inline]
    pub fn upgraded(self, announce: Announce) -> Lifecycle {
        debug_assert!(self.open_fired(), "only an open socket is upgraded");
        match announce {
            Announce::Now => self,
            Announce::AfterHandshake => Lifecycle::OpenDeferred(OpenFired::Before),
        }
    }

    /// The TLS handshake completed: the new state and whether a deferred `open` fires now.
    #[inline]
    pub fn handshake_done(self) -> (Lifecycle, bool) {
        match self {
            Lifecycle::OpenDeferred(_) => (Lifecycle::Open, true),
            other => (other, false),
        }
    }
}

/// What the read side may still do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReadSide {
    /// Bytes and the peer's FIN are delivered.
    Reading,
    /// `pause`: nothing is read (no `data`, the FIN is deferred) until `resume`.
    Paused,
    /// The peer's FIN was seen: nothing more to read.
    Eof,
    /// shutdown(read side): no `data` any more, and no `end`.
    Shut,
}

/// The answer to the peer's FIN.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum PeerFin {
    /// First FIN on a reading socket: `end` (if set) and the half-close rule apply.
    Deliver,
    /// The read side was shut (or already saw FIN): nothing fires.
    Ignore,
}

impl ReadSide {
    #[inline]
    pub fn pause(self) -> ReadSide {
        match self {
            ReadSide::Reading => ReadSide::Paused,
            other => other,
        }
    }

    /// `resume`: the new side and whether bytes that arrived meanwhile must be read now.
    #[inline]
    pub fn resume(self) -> (ReadSide, bool) {
        match self {
            ReadSide::Paused => (ReadSide::Reading, true),
            other => (other, false),
        }
    }

    /// The peer's FIN was read.
    #[inline]
    pub fn peer_fin(self) -> (ReadSide, PeerFin) {
        match self {
            // Paused sockets read only after a reset; the FIN found then still counts.
            ReadSide::Reading | ReadSide::Paused => (ReadSide::Eof, PeerFin::Deliver),
            ReadSide::Eof | ReadSide::Shut => (self, PeerFin::Ignore),
        }
    }

    /// Whether the read side is over (FIN seen or shut): half of "both sides done".
    #[inline]
    pub fn is_done(self) -> bool {
        matches!(self, ReadSide::Eof | ReadSide::Shut)
    }

    /// Whether the socket reads now; a reset lets a paused socket read what the kernel holds.
    #[inline]
    pub fn reads(self, reset: Reset) -> bool {
        match self {
            ReadSide::Reading => true,
            ReadSide::Paused => reset == Reset::Seen,
            ReadSide::Eof | ReadSide::Shut => false,
        }
    }

    /// What TLS plaintext read for an opened socket may do (TLS decrypts ahead of `pause`).
    #[inline]
    pub fn holds_input(self, reset: Reset) -> bool {
        self == ReadSide::Paused && reset == Reset::NotSeen
    }
}

/// Whether the peer reset the connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reset {
    NotSeen,
    Seen,
}

/// What the write side may still do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum WriteSide {
    /// Writes are accepted.
    Open,
    /// `end` was called (or the library ended the socket): no more writes; FIN leaves once the
    /// queue is flushed.
    Ending,
    /// FIN sent (end flushed, or shutdown of the write side).
    Shut,
}

impl WriteSide {
    /// `end` (or the library's end after a peer FIN): returns the new side and whether the
    /// write path must run now to send the FIN (false when it was already ending or shut).
    #[inline]
    pub fn end(self) -> (WriteSide, bool) {
        match self {
            WriteSide::Open => (WriteSide::Ending, true),
            other => (other, false),
        }
    }

    /// The queue is flushed on an ending side: FIN is owed.
    #[inline]
    pub fn fin_owed(self) -> bool {
        self == WriteSide::Ending
    }

    /// FIN left (after `end` flushed).
    #[inline]
    pub fn fin_sent(self) -> WriteSide {
        debug_assert!(self == WriteSide::Ending, "FIN leaves only after end");
        WriteSide::Shut
    }

    /// Writes are refused (EENDED).
    #[inline]
    pub fn is_ended(self) -> bool {
        self != WriteSide::Open
    }
}

/// Whether writing is coalesced until `uncork` (or the handler returns).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cork {
    Off,
    On,
}

/// Whether a `drain` is owed (a short write, or a queued tail).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Drain {
    NotOwed,
    Owed,
}

/// Whether the socket keeps the loop alive.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    Refd,
    Unrefd,
}

impl Hold {
    #[inline]
    pub fn of(on: bool) -> Hold {
        if on { Hold::Refd } else { Hold::Unrefd }
    }
}

/// Whether a peer FIN ends the write side too (the `end` handler and `allow_half_open`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum HalfOpen {
    /// `allow_half_open`: with an `end` handler, the write side stays open after the peer's FIN.
    Allowed,
    /// The library ends the write side after the peer's FIN.
    Refused,
}

impl HalfOpen {
    #[inline]
    pub fn of(allow: bool) -> HalfOpen {
        if allow { HalfOpen::Allowed } else { HalfOpen::Refused }
    }

    /// After the peer's FIN (and `end`, when `has_end`): whether the library ends the write side.
    #[inline]
    pub fn ends_write_side(self, has_end: bool) -> bool {
        !has_end || self == HalfOpen::Refused
    }
}

/// A socket's whole state: lifecycle, both sides and the independent flags.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct SocketState {
    pub life: Lifecycle,
    pub read: ReadSide,
    pub reset: Reset,
    pub write: WriteSide,
    pub cork: Cork,
    pub drain: Drain,
    pub hold: Hold,
    pub half_open: HalfOpen,
}

impl SocketState {
    #[inline]
    pub fn new(half_open: HalfOpen) -> SocketState {
        SocketState {
            life: Lifecycle::Connecting,
            read: ReadSide::Reading,
            reset: Reset::NotSeen,
            write: WriteSide::Open,
            cork: Cork::Off,
            drain: Drain::NotOwed,
            hold: Hold::Refd,
            half_open,
        }
    }

    /// Both directions are done on a connected socket: it closes (deferred to after the current
    /// handler).
    #[inline]
    pub fn both_sides_done(&self) -> bool {
        self.life.is_connected() && self.read.is_done() && self.write == WriteSide::Shut
    }

    /// Whether the read path may read the socket now (plain or TLS ciphertext); `failed`: a
    /// failure waits to be reported (after a reset a read would return 0 and look like a FIN).
    #[inline]
    pub fn reads_now(&self, failed: bool) -> bool {
        self.life.is_connected() && self.read.reads(self.reset) && !failed
    }

    /// Takes the owed `drain` after a flush: fires only on an open, announced write side.
    #[inline]
    pub fn take_drain(&mut self) -> bool {
        let owed = self.drain == Drain::Owed;
        self.drain = Drain::NotOwed;
        owed && self.write == WriteSide::Open && self.life.open_fired()
    }
}

/// Which direction `shutdown` ends.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Read,
    Write,
}
