//! Flow control (pause, resume, ref), the idle timeout, user data, handlers and queries.

use super::*;
use crate::ListenerId;
use crate::addr::family_of;
use crate::addr::ip_text;
use crate::handlers::{HandlerCell, validate};
use crate::os::{self, Stream};
use crate::socket::*;

impl EventLoop {
    /// Stops reading (no `data`, FIN deferred) until `resume`.
    pub fn pause(&self, id: SocketId) -> Result<(), NetError> {
        let fx = self.with_live_socket(id, |s, _| Ok(s.state.pause()))?;
        self.apply(id.0, fx, None);
        Ok(())
    }

    /// Starts reading again; bytes that arrived meanwhile are delivered from the loop.
    pub fn resume(&self, id: SocketId) -> Result<(), NetError> {
        let fx = self.with_live_socket(id, |s, _| Ok(s.state.resume()))?;
        self.apply(id.0, fx, None);
        Ok(())
    }

    /// Whether this socket keeps the loop alive (an idempotent flag).
    pub fn set_ref(&self, id: SocketId, on: bool) -> Result<(), NetError> {
        let fx = self.with_live_socket(id, |s, _| Ok(s.state.set_hold(Hold::of(on))))?;
        self.apply(id.0, fx, None);
        Ok(())
    }

    /// Arms the idle timeout (None or zero disables): `timeout` fires once the socket has been
    /// idle that long (every read and write resets it); the socket is not closed.
    pub fn set_timeout(&self, id: SocketId, period: Option<Duration>) -> Result<(), NetError> {
        self.with_live_socket(id, |s, st| {
            let period = period.filter(|p| !p.is_zero());
            if let Some((at, seq)) = s.timer.set(period, std::time::Instant::now()) {
                st.timers.push(at, id.0, seq);
            }
            Ok(())
        })
    }

    // ---- user data, handlers, queries -------------------------------------------------------

    /// The socket's user data (readable inside `close` and `connect_error`).
    pub fn data(&self, id: SocketId) -> Result<UserData, NetError> {
        self.with_socket(id, |s, _| Ok(s.data))
    }

    pub fn set_data(&self, id: SocketId, data: UserData) -> Result<(), NetError> {
        self.with_socket(id, |s, _| {
            s.data = data;
            Ok(())
        })
    }

    /// Gives this socket its own handler table, used from its next event.
    pub fn reload_socket(&self, id: SocketId, handlers: Rc<dyn Handlers>) -> Result<(), NetError> {
        validate(&*handlers)?;
        self.with_live_socket(id, |s, _| {
            s.handlers = HandlerCell::new(handlers);
            Ok(())
        })
    }

    pub fn ready_state(&self, id: SocketId) -> ReadyState {
        self.with_socket(id, |s, _| {
            Ok(match (s.state.life, s.state.write) {
                (Lifecycle::Resolving | Lifecycle::Connecting, _) => ReadyState::Connecting,
                (Lifecycle::Closed, _) => ReadyState::Closed,
                (_, WriteSide::Shut) => ReadyState::WriteShut,
                (_, WriteSide::Ending) => ReadyState::Closing,
                (_, WriteSide::Open) => ReadyState::Open,
            })
        })
        .unwrap_or(ReadyState::Closed)
    }

    pub(super) fn stream_query<R>(&self, id: SocketId, f: impl FnOnce(&Stream) -> Option<R>) -> Result<R, NetError> {
        self.with_live_socket(id, |s, _| {
            let stream =
                s.stream.as_ref().ok_or_else(|| NetError::new(-libc::ENOTCONN, "the socket is not connected"))?;
            f(stream).ok_or_else(|| NetError::new(-libc::ENOTCONN, "no such address for this socket"))
        })
    }

    /// The peer's IP as text ("127.0.0.1", "::1"); IPv4-mapped addresses print as IPv4.
    pub fn remote_address(&self, id: SocketId) -> Result<String, NetError> {
        self.stream_query(id, |st| st.peer_addr().map(|a| ip_text(&a)))
    }

    pub fn remote_port(&self, id: SocketId) -> Result<u16, NetError> {
        self.stream_query(id, |st| st.peer_addr().map(|a| a.port()))
    }

    pub fn local_address(&self, id: SocketId) -> Result<String, NetError> {
        self.stream_query(id, |st| st.local_addr().map(|a| ip_text(&a)))
    }

    pub fn local_port(&self, id: SocketId) -> Result<u16, NetError> {
        self.stream_query(id, |st| st.local_addr().map(|a| a.port()))
    }

    /// The peer's address family: AF_INET, AF_INET6 (an IPv4-mapped peer counts as AF_INET, as
    /// its address prints) or AF_UNIX.
    pub fn remote_family(&self, id: SocketId) -> Result<i32, NetError> {
        self.stream_query(id, |st| match st {
            Stream::Unix(_) => st.is_connected().then_some(libc::AF_UNIX),
            Stream::Tcp(_) => st.peer_addr().map(|a| family_of(&a)),
        })
    }

    /// The local address family, by the same rules as `remote_family`.
    pub fn local_family(&self, id: SocketId) -> Result<i32, NetError> {
        self.stream_query(id, |st| match st {
            Stream::Unix(_) => Some(libc::AF_UNIX),
            Stream::Tcp(_) => st.local_addr().map(|a| family_of(&a)),
        })
    }

    pub fn socket_fd(&self, id: SocketId) -> Result<i32, NetError> {
        self.stream_query(id, |st| Some(st.raw_fd()))
    }

    pub fn bytes_written(&self, id: SocketId) -> Result<u64, NetError> {
        self.with_socket(id, |s, _| Ok(s.bytes_written))
    }

    pub fn buffered_amount(&self, id: SocketId) -> Result<usize, NetError> {
        self.with_socket(id, |s, _| Ok(s.queue.len()))
    }

    /// Bounds what `write_all` and `end` may leave queued; 0 = no limit. Bytes already queued
    /// stay (a lower limit only refuses the next chunks until the queue drains).
    pub fn set_write_limit(&self, id: SocketId, max_buffered: usize) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| {
            s.write_limit = WriteLimit::from_max(max_buffered);
            Ok(())
        })
    }

    /// The listener that accepted this socket (None for client sockets).
    pub fn socket_listener(&self, id: SocketId) -> Result<Option<ListenerId>, NetError> {
        self.with_socket(id, |s, _| Ok(s.listener.map(ListenerId)))
    }

    pub fn set_no_delay(&self, id: SocketId, on: bool) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| match s.stream.as_ref() {
            Some(stream) => {
                stream.set_nodelay(on).map_err(|e| NetError::io(&e, c"setsockopt", "TCP_NODELAY"))?;
                // Still connecting: the winning attempt gets it too, at open.
                if let Some(dial) = s.dial.as_mut() {
                    dial.no_delay = Some(on);
                }
                Ok(())
            }
            None => Err(NetError::new(-libc::ENOTCONN, "the socket is not connected")),
        })
    }

    /// SO_KEEPALIVE with TCP_KEEPIDLE = `initial_delay` rounded down to seconds (at least 1), or
    /// off (the delay is then unused). The delay is checked against the kernel's limit before
    /// anything is applied, so an error leaves the socket's options as they were.
    pub fn set_keep_alive(&self, id: SocketId, on: bool, initial_delay: Duration) -> Result<(), NetError> {
        let setting = if on {
            let idle = os::keepalive_idle(initial_delay).map_err(|secs| {
                let max = *os::TCP_KEEPIDLE_SECS.end();
                NetError::invalid(format!(
                    "initial_delay_ms is {} ms ({secs} s); the kernel's TCP_KEEPIDLE limit is {max} s ({} ms)",
                    initial_delay.as_millis(),
                    u64::from(max) * 1000 + 999
                ))
            })?;
            os::KeepAlive::On(idle)
        } else {
            os::KeepAlive::Off
        };
        self.apply_keep_alive(id, setting)
    }

    /// SO_KEEPALIVE with all three times (as libuv's `uv_tcp_keepalive_ex`), or off (the times
    /// are then unused). Each value is checked against the kernel's limits before anything is
    /// applied, so an error leaves the socket's options as they were.
    pub fn set_keep_alive_ex(
        &self,
        id: SocketId,
        on: bool,
        idle_secs: u32,
        interval_secs: u32,
        count: u32,
    ) -> Result<(), NetError> {
        let setting = if on {
            os::KeepAlive::On(os::keepalive_times(idle_secs, interval_secs, count).map_err(NetError::invalid)?)
        } else {
            os::KeepAlive::Off
        };
        self.apply_keep_alive(id, setting)
    }

    /// Applies a checked keep-alive setting; while connecting it is kept for the winning attempt.
    fn apply_keep_alive(&self, id: SocketId, setting: os::KeepAlive) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| match s.stream.as_ref() {
            Some(stream) => {
                stream.set_keepalive(setting).map_err(|e| NetError::io(&e, c"setsockopt", "SO_KEEPALIVE"))?;
                if let Some(dial) = s.dial.as_mut() {
                    dial.keep_alive = Some(setting);
                }
                Ok(())
            }
            None => Err(NetError::new(-libc::ENOTCONN, "the socket is not connected")),
        })
    }
}
