//! STARTTLS (upgrading an open plain socket) and the TLS queries of a socket.

use super::{TlsOptions, TlsState, server_config};
use crate::SocketId;
use crate::error::NetError;
use crate::event_loop::EventLoop;
use crate::handlers::{HandlerCell, Handlers, validate};
use crate::socket::{Announce, Drain, WriteSide};
use std::rc::Rc;

impl EventLoop {
    /// STARTTLS: the open plain socket becomes a TLS socket (client or server side) with a new
    /// handler table. With a `handshake` handler it fires when the handshake ends; without one,
    /// `open` fires again after the handshake. Nothing may be queued or ended. Bytes the peer
    /// sent after its last plaintext message and before the upgrade were already delivered as
    /// plaintext: protocols wait for the answer to their STARTTLS command before the handshake.
    pub fn upgrade_tls(
        &self,
        id: SocketId,
        opts: &TlsOptions,
        handlers: Rc<dyn Handlers>,
        is_server: bool,
    ) -> Result<(), NetError> {
        validate(&*handlers)?;
        let state = if is_server {
            TlsState::server(&server_config(opts)?)?
        } else {
            TlsState::client(self.client_tls.borrow_mut().client_tls(opts, None)?)?
        };
        let wants_handshake = handlers.present().handshake;
        self.with_live_socket(id, |s, books| {
            if !s.state.life.is_connected() || !s.state.life.open_fired() {
                return Err(NetError::invalid("upgrade_tls needs an open socket"));
            }
            if s.tls.is_some() {
                return Err(NetError::invalid("the socket already speaks TLS"));
            }
            if !s.queue.is_empty() || s.state.write != WriteSide::Open {
                return Err(NetError::invalid("upgrade_tls with bytes still queued or the write side ended"));
            }
            s.tls = Some(Box::new(state));
            s.handlers = HandlerCell::new(handlers);
            s.state.life =
                s.state.life.upgraded(if wants_handshake { Announce::Now } else { Announce::AfterHandshake });
            s.state.drain = Drain::NotOwed;
            // The peer's first records may already wait in the kernel.
            books.read_again.push(id.0);
            Ok(())
        })?;
        self.on_writable(id.0);
        Ok(())
    }

    fn tls_query<R>(&self, id: SocketId, f: impl FnOnce(&TlsState) -> Option<R>) -> Result<Option<R>, NetError> {
        self.with_live_socket(id, |s, _| Ok(s.tls.as_deref().and_then(f)))
    }

    /// Whether the TLS peer was verified (false for plain sockets and during the handshake).
    pub fn authorized(&self, id: SocketId) -> Result<bool, NetError> {
        self.tls_query(id, |t| Some(!t.handshaking && t.authorized)).map(|v| v.unwrap_or(false))
    }

    /// The verdict on the peer's certificate (None = verified, not asked, or plain).
    pub fn verify_error(&self, id: SocketId) -> Result<Option<NetError>, NetError> {
        self.tls_query(id, |t| t.verify_error.clone())
    }

    /// The ALPN protocol the handshake agreed on.
    pub fn alpn_protocol(&self, id: SocketId) -> Result<Option<Vec<u8>>, NetError> {
        self.tls_query(id, |t| t.conn.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// "TLSv1.2" or "TLSv1.3" once negotiated.
    pub fn tls_version(&self, id: SocketId) -> Result<Option<&'static str>, NetError> {
        self.tls_query(id, TlsState::version)
    }

    /// The negotiated cipher suite's IANA name.
    pub fn cipher(&self, id: SocketId) -> Result<Option<&'static str>, NetError> {
        self.tls_query(id, TlsState::cipher)
    }

    /// On a server, the host name the client asked for (SNI), once its ClientHello arrived.
    pub fn server_name(&self, id: SocketId) -> Result<Option<String>, NetError> {
        self.tls_query(id, |t| match &t.conn {
            rustls::Connection::Server(server) => server.server_name().map(str::to_string),
            rustls::Connection::Client(_) => None,
        })
    }

    /// The peer's end-entity certificate (DER).
    pub fn peer_certificate(&self, id: SocketId) -> Result<Option<Vec<u8>>, NetError> {
        self.peer_certificate_at(id, 0)
    }

    /// Certificate `index` of the chain the peer sent (DER; 0 is its end-entity certificate),
    /// None past the end of the chain.
    pub fn peer_certificate_at(&self, id: SocketId, index: usize) -> Result<Option<Vec<u8>>, NetError> {
        self.tls_query(id, |t| t.conn.peer_certificates().and_then(|c| c.get(index)).map(|c| c.to_vec()))
    }

    /// Whether the completed handshake resumed a session (false for plain sockets and during
    /// the handshake).
    pub fn session_reused(&self, id: SocketId) -> Result<bool, NetError> {
        self.tls_query(id, |t| Some(t.session_reused())).map(|v| v.unwrap_or(false))
    }

    /// RFC 5705 / RFC 8446 §7.5 keying material into `out` (ENOTSUP: plain, or before the
    /// handshake completed).
    pub fn export_keying_material(
        &self,
        id: SocketId,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), NetError> {
        self.with_live_socket(id, |s, _| match s.tls.as_deref() {
            Some(t) => t.export_keying_material(out, label, context),
            None => Err(NetError::new(crate::error::ENOTSUP, "a plain socket has no keying material")),
        })
    }
}
