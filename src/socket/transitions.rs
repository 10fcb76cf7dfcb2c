//! The transitions of a socket's state that ask the loop to act, and the `Effect` type they
//! return. A transition changes `SocketState` and lists what must happen (fire a handler, run the
//! write path, change the loop's bookkeeping); `EventLoop::apply` (socket.rs) does it. Unit-tested
//! here without sockets.

use super::state::*;

/// Something a transition asks the loop to do. The state types decide; `EventLoop::apply` does
/// it, in order, re-reading the socket between effects (a handler may have closed it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Fire `open`: the connection is announced.
    FireOpen,
    /// Fire `end`: the peer's FIN.
    FireEnd,
    /// Fire `drain`: the socket takes writes again.
    FireDrain,
    /// Fire `close`, with the cause the closing call carries.
    FireClose,
    /// Fire `connect_error`, with the cause the failing call carries.
    FireConnectError,
    /// End the write side on the application's behalf (peer FIN without half-open).
    EndWriteSide,
    /// Run the write path: flush the queue, send an owed FIN, fire an owed `drain`.
    RunWritePath,
    /// Both directions may be done: if so, close once the current handler returns (never nested
    /// inside the call that finished the socket).
    FinishLater,
    /// The slot goes stale at the end of the tick; a socket that held the loop releases it.
    Release(Hold),
    /// Read from the loop what arrived while the socket was paused (`resume`).
    ReadAgain,
    /// Uncork when the current handler returns (`cork` outside `uncork`).
    UncorkAfterHandler,
    /// The socket now keeps the loop alive (`Refd`) or no longer does (`Unrefd`).
    HoldLoop(Hold),
}

/// The effects of one transition, in order: a stack array, so the hot paths allocate nothing.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Effects {
    list: [Option<Effect>; Effects::CAPACITY],
}

impl Effects {
    const CAPACITY: usize = 3;

    #[inline]
    pub fn push(&mut self, effect: Effect) {
        match self.list.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(effect),
            None => debug_assert!(false, "more than {} effects in one transition", Effects::CAPACITY),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.list[0].is_none()
    }

    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Effect> + '_ {
        self.list.iter().map_while(|slot| *slot)
    }
}

impl SocketState {
    /// The peer's FIN was read: `end` (when the table has one), then the library ends the write
    /// side unless half-open is allowed, then the socket closes if both sides are done.
    #[inline]
    pub fn peer_fin(&mut self, has_end: bool) -> Effects {
        let mut fx = Effects::default();
        // Closed (or its read side shut) by a handler earlier in the same read: no `end`.
        if !self.life.is_connected() {
            return fx;
        }
        let (read, fin) = self.read.peer_fin();
        if fin == PeerFin::Ignore {
            return fx;
        }
        self.read = read;
        if has_end {
            fx.push(Effect::FireEnd);
        }
        if self.half_open.ends_write_side(has_end) {
            fx.push(Effect::EndWriteSide);
        }
        fx.push(Effect::FinishLater);
        fx
    }

    /// The library ends the write side (after a peer FIN): FIN once the queue is flushed.
    #[inline]
    pub fn end_write_side(&mut self) -> Effects {
        let mut fx = Effects::default();
        if self.life.is_connected() {
            let (write, run_now) = self.write.end();
            self.write = write;
            if run_now {
                fx.push(Effect::RunWritePath);
            }
        }
        fx
    }

    /// `shutdown(2)` of one side on a connected socket.
    #[inline]
    pub fn shutdown(&mut self, side: Side) -> Effects {
        debug_assert!(self.life.is_connected(), "shutdown needs a connected socket");
        match side {
            Side::Read => self.read = ReadSide::Shut,
            Side::Write => self.write = WriteSide::Shut,
        }
        let mut fx = Effects::default();
        fx.push(Effect::FinishLater);
        fx
    }

    /// The write path flushed everything (and sent an owed FIN): a socket whose both sides are
    /// done finishes, and an owed `drain` fires. Nothing runs between this transition and its
    /// effects, so "done" is decided here: the usual flush on the hot path asks for nothing.
    #[inline]
    pub fn flushed(&mut self) -> Effects {
        debug_assert!(!self.write.fin_owed(), "the FIN leaves before the flush counts as done");
        let mut fx = Effects::default();
        if self.both_sides_done() {
            fx.push(Effect::FinishLater);
        }
        if self.take_drain() {
            fx.push(Effect::FireDrain);
        }
        fx
    }

    /// Closes now: the slot is released, and `close` fires for a socket that opened.
    #[inline]
    pub fn close(&mut self) -> Effects {
        debug_assert!(self.life.is_live(), "closed twice");
        let was_open = self.life.open_fired();
        self.life = Lifecycle::Closed;
        let mut fx = Effects::default();
        fx.push(Effect::Release(self.hold));
        if was_open {
            fx.push(Effect::FireClose);
        }
        fx
    }

    /// A connect that never opened failed (or was closed): the slot is released and
    /// `connect_error` fires, never `close`.
    #[inline]
    pub fn fail_connect(&mut self) -> Effects {
        debug_assert!(self.life.is_live() && !self.life.open_fired(), "only a pending connect fails");
        self.life = Lifecycle::Closed;
        let mut fx = Effects::default();
        fx.push(Effect::Release(self.hold));
        fx.push(Effect::FireConnectError);
        fx
    }

    /// The connection is established (a connect completed, a listener accepted): `open` fires
    /// now, or, for TLS without a `handshake` handler, once the handshake completes.
    #[inline]
    pub fn connected(&mut self, announce: Announce) -> Effects {
        debug_assert!(self.life.is_dialing(), "a socket connects once");
        self.life = Lifecycle::connected(announce);
        let mut fx = Effects::default();
        if announce == Announce::Now {
            fx.push(Effect::FireOpen);
        }
        fx
    }

    /// The TLS handshake completed and its `handshake` handler (if any) returned: a deferred
    /// `open` fires now, unless that handler closed the socket.
    #[inline]
    pub fn handshake_announced(&mut self) -> Effects {
        let mut fx = Effects::default();
        if self.life.is_connected() {
            let (life, open_now) = self.life.handshake_done();
            self.life = life;
            if open_now {
                fx.push(Effect::FireOpen);
            }
        }
        fx
    }

    /// `pause`: no `data` and no `end` until `resume`; nothing else changes.
    #[inline]
    pub fn pause(&mut self) -> Effects {
        self.read = self.read.pause();
        Effects::default()
    }

    /// `resume`: a paused socket reads again, starting with what the kernel kept meanwhile.
    #[inline]
    pub fn resume(&mut self) -> Effects {
        let (read, read_now) = self.read.resume();
        self.read = read;
        let mut fx = Effects::default();
        if read_now {
            fx.push(Effect::ReadAgain);
        }
        fx
    }

    /// `cork`: writes coalesce until `uncork` or until the current handler returns.
    #[inline]
    pub fn cork(&mut self) -> Effects {
        let mut fx = Effects::default();
        if self.cork == Cork::Off {
            self.cork = Cork::On;
            fx.push(Effect::UncorkAfterHandler);
        }
        fx
    }

    /// `ref` / `unref`: idempotent; only a change moves the loop's count of holding sockets.
    #[inline]
    pub fn set_hold(&mut self, hold: Hold) -> Effects {
        let mut fx = Effects::default();
        if self.hold != hold {
            self.hold = hold;
            fx.push(Effect::HoldLoop(hold));
        }
        fx
    }

    /// The descriptor leaves the loop (`detach`): released, no handler fires.
    #[inline]
    pub fn detach(&mut self) -> Effects {
        debug_assert!(self.life.is_connected(), "only a connected socket is detached");
        self.life = Lifecycle::Closed;
        let mut fx = Effects::default();
        fx.push(Effect::Release(self.hold));
        fx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_state() -> SocketState {
        let mut s = SocketState::new(HalfOpen::Refused);
        s.life = Lifecycle::connected(Announce::Now);
        s
    }

    #[test]
    fn peer_fin_while_paused_is_deferred_until_resume() {
        let mut s = open_state();
        s.read = s.read.pause();
        assert!(!s.reads_now(false), "a paused socket does not read, so its FIN waits");
        let (read, again) = s.read.resume();
        s.read = read;
        assert!(again, "resume reads what arrived meanwhile");
        assert!(s.reads_now(false));
        let (read, fin) = s.read.peer_fin();
        assert_eq!((read, fin), (ReadSide::Eof, PeerFin::Deliver));
    }

    #[test]
    fn a_reset_lets_a_paused_socket_read_what_the_kernel_holds() {
        let mut s = open_state();
        s.read = s.read.pause();
        s.reset = Reset::Seen;
        assert!(s.reads_now(false));
        assert!(!s.read.holds_input(s.reset));
        assert!(!s.reads_now(true), "a failure waiting to be reported stops reading");
    }

    #[test]
    fn end_then_flush_then_fin_then_peer_fin_closes() {
        let mut s = open_state();
        let (write, run_now) = s.write.end();
        s.write = write;
        assert!(run_now);
        assert!(s.write.is_ended(), "writes after end are refused");
        assert!(s.write.fin_owed(), "FIN waits for the queue");
        assert_eq!(s.write.end(), (WriteSide::Ending, false), "a second end changes nothing");
        s.write = s.write.fin_sent();
        assert!(!s.both_sides_done(), "still reading the peer's reply");
        s.read = s.read.peer_fin().0;
        assert!(s.both_sides_done());
        let fx = s.close();
        assert_eq!(fx.iter().collect::<Vec<_>>(), [Effect::Release(Hold::Refd), Effect::FireClose]);
        assert_eq!(s.life, Lifecycle::Closed);
    }

    #[test]
    fn shutdown_of_the_read_side_stops_data_but_not_writes_and_ignores_fin() {
        let mut s = open_state();
        s.read = ReadSide::Shut;
        assert!(!s.reads_now(false));
        assert!(!s.write.is_ended(), "the socket stays writable");
        assert_eq!(s.read.peer_fin(), (ReadSide::Shut, PeerFin::Ignore), "no `end` after SHUT_RD");
        assert!(!s.both_sides_done());
        s.write = WriteSide::Shut;
        assert!(s.both_sides_done());
    }

    #[test]
    fn pause_and_resume_do_not_reopen_a_finished_read_side() {
        assert_eq!(ReadSide::Eof.pause(), ReadSide::Eof);
        assert_eq!(ReadSide::Shut.resume(), (ReadSide::Shut, false));
        assert_eq!(ReadSide::Reading.resume(), (ReadSide::Reading, false));
    }

    #[test]
    fn half_open_decides_whether_a_peer_fin_ends_the_write_side() {
        assert!(HalfOpen::Allowed.ends_write_side(false), "no `end` handler: the socket ends");
        assert!(!HalfOpen::Allowed.ends_write_side(true));
        assert!(HalfOpen::Refused.ends_write_side(true));
    }

    #[test]
    fn tls_open_is_deferred_to_the_handshake_and_upgrade_announces_again() {
        let mut s = SocketState::new(HalfOpen::Refused);
        assert!(s.life.is_dialing() && !s.life.open_fired());
        s.life = Lifecycle::connected(Announce::AfterHandshake);
        assert!(s.life.is_connected() && !s.life.open_fired(), "close would not fire yet");
        let (life, fire_open) = s.life.handshake_done();
        assert!(fire_open && life == Lifecycle::Open);
        let upgraded = life.upgraded(Announce::AfterHandshake);
        assert!(upgraded.open_fired(), "an upgraded socket still gets close");
        assert_eq!(upgraded.handshake_done(), (Lifecycle::Open, true));
        assert_eq!(Lifecycle::Open.upgraded(Announce::Now), Lifecycle::Open);
        assert_eq!(Lifecycle::Open.handshake_done(), (Lifecycle::Open, false));
    }

    #[test]
    fn drain_fires_only_on_an_open_announced_write_side() {
        let mut s = open_state();
        s.drain = Drain::Owed;
        assert!(s.take_drain());
        assert!(!s.take_drain(), "taken once");
        s.drain = Drain::Owed;
        s.write = WriteSide::Ending;
        assert!(!s.take_drain(), "no drain after end");
        let mut deferred = SocketState::new(HalfOpen::Refused);
        deferred.life = Lifecycle::connected(Announce::AfterHandshake);
        deferred.drain = Drain::Owed;
        assert!(!deferred.take_drain(), "no drain before open");
    }

    #[test]
    fn closing_a_socket_that_never_opened_fires_no_close() {
        let mut s = SocketState::new(HalfOpen::Allowed);
        s.life = Lifecycle::connected(Announce::AfterHandshake);
        s.hold = Hold::Unrefd;
        assert_eq!(s.close().iter().collect::<Vec<_>>(), [Effect::Release(Hold::Unrefd)]);
    }

    fn effects(fx: Effects) -> Vec<Effect> {
        fx.iter().collect()
    }

    #[test]
    fn peer_fin_effects_follow_the_end_handler_and_half_open() {
        use Effect::*;
        let mut no_end = open_state();
        assert_eq!(effects(no_end.peer_fin(false)), [EndWriteSide, FinishLater], "no `end`: the socket ends");
        assert_eq!(effects(no_end.peer_fin(false)), [], "one FIN counts once");
        let mut refused = open_state();
        assert_eq!(effects(refused.peer_fin(true)), [FireEnd, EndWriteSide, FinishLater]);
        let mut half_open = SocketState::new(HalfOpen::Allowed);
        half_open.life = Lifecycle::Open;
        assert_eq!(effects(half_open.peer_fin(true)), [FireEnd, FinishLater], "half-open keeps writing");
        let mut shut = open_state();
        shut.shutdown(Side::Read);
        assert_eq!(effects(shut.peer_fin(true)), [], "no `end` after SHUT_RD");
        let mut closed = open_state();
        closed.close();
        assert_eq!(effects(closed.peer_fin(true)), []);
    }

    #[test]
    fn the_library_end_runs_the_write_path_once() {
        let mut s = open_state();
        assert_eq!(effects(s.end_write_side()), [Effect::RunWritePath]);
        assert_eq!(s.write, WriteSide::Ending);
        assert_eq!(effects(s.end_write_side()), [], "already ending: the FIN is on its way");
    }

    #[test]
    fn a_flush_pays_an_owed_drain_and_finishes_a_socket_done_both_ways() {
        let mut s = open_state();
        s.drain = Drain::Owed;
        assert_eq!(effects(s.flushed()), [Effect::FireDrain]);
        assert_eq!(effects(s.flushed()), [], "the usual flush asks for nothing");
        s.read = s.read.peer_fin().0;
        s.write = WriteSide::Shut;
        assert_eq!(effects(s.flushed()), [Effect::FinishLater], "FIN sent after the peer's: the socket closes");
    }

    #[test]
    fn a_failed_connect_fires_connect_error_and_detach_fires_nothing() {
        let mut dialing = SocketState::new(HalfOpen::Refused);
        assert_eq!(effects(dialing.fail_connect()), [Effect::Release(Hold::Refd), Effect::FireConnectError]);
        assert!(!dialing.life.is_live());
        let mut s = open_state();
        assert_eq!(effects(s.detach()), [Effect::Release(Hold::Refd)]);
        assert!(!s.life.is_live());
    }

    #[test]
    fn pause_resume_cork_and_ref_ask_only_for_what_changed() {
        use Effect::*;
        let mut s = open_state();
        assert_eq!(effects(s.resume()), [], "resume of a reading socket reads nothing extra");
        assert_eq!(effects(s.pause()), []);
        assert_eq!(effects(s.pause()), [], "a second pause changes nothing");
        assert_eq!(effects(s.resume()), [ReadAgain]);
        assert_eq!(effects(s.cork()), [UncorkAfterHandler]);
        assert_eq!(effects(s.cork()), [], "corked once until uncorked");
        assert_eq!(effects(s.set_hold(Hold::Refd)), [], "ref is idempotent");
        assert_eq!(effects(s.set_hold(Hold::Unrefd)), [HoldLoop(Hold::Unrefd)]);
        assert_eq!(effects(s.set_hold(Hold::Unrefd)), []);
        s.read = s.read.peer_fin().0;
        assert_eq!(effects(s.pause()), []);
        assert_eq!(effects(s.resume()), [], "a finished read side is not reopened");
    }

    #[test]
    fn open_fires_at_connect_or_after_the_handshake_and_never_after_a_close() {
        let mut plain = SocketState::new(HalfOpen::Refused);
        assert_eq!(effects(plain.connected(Announce::Now)), [Effect::FireOpen]);
        assert_eq!(effects(plain.handshake_announced()), [], "an open socket is not announced twice");
        let mut tls = SocketState::new(HalfOpen::Refused);
        assert_eq!(effects(tls.connected(Announce::AfterHandshake)), []);
        assert_eq!(effects(tls.handshake_announced()), [Effect::FireOpen]);
        assert_eq!(tls.life, Lifecycle::Open);
        let mut closed_in_handshake = SocketState::new(HalfOpen::Refused);
        closed_in_handshake.connected(Announce::AfterHandshake);
        closed_in_handshake.close();
        assert_eq!(effects(closed_in_handshake.handshake_announced()), [], "closed inside `handshake`: no `open`");
    }
}
