//! The TLS transport on rustls. A socket's transport is plain or TLS; everything above it
//! (handlers, queue, timers, liveness) is the same. This module holds the per-socket TLS state
//! (with its session queries: resumed or not, exported keying material),
//! the configuration built from options, verification verdicts, and the ciphertext paths.

mod client_cache;
mod config;
mod crl;
mod der;
mod keylog;
mod suites;
mod transport;
mod verify;

pub(crate) use client_cache::{ClientConfigCache, ClientTls};
pub(crate) use config::{ServerTls, server_config};
pub use config::{TLS1_2, TLS1_3, TlsOptions, provider_name};
pub(crate) use transport::{flush_queue_tls, flush_tls, send_tls};

use crate::error::{ECERT_MISSING, ENOTSUP, ETLS, ETLS_ALERT, ETLS_PROTOCOL, NetError};
use rustls::{ClientConnection, Connection, ServerConnection};
use std::sync::Arc;
use verify::{ClientVerifier, ServerVerifier};

/// How many TLS handshake steps one loop iteration runs; the rest wait for the next iteration,
/// so a flood of handshakes cannot starve established connections.
pub const HANDSHAKE_BUDGET: u32 = 32;

/// How long an accepted TLS socket may take to complete its handshake when the listener does not
/// say (`ListenOptions::tls_handshake_timeout`): a peer that stalls is closed with ETIMEDOUT
/// instead of holding its descriptor until the 120 s idle timeout.
pub const DEFAULT_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// rustls' own buffer of outgoing plaintext/ciphertext per connection. Above it `write` accepts
/// less (a short write), which is what drives `drain`.
const TLS_BUFFER_LIMIT: usize = 256 * 1024;

/// A socket's TLS state.
pub(crate) struct TlsState {
    pub conn: Connection,
    /// The handshake has not completed yet.
    pub handshaking: bool,
    /// Client side: judges the server's chain after the handshake (allow_unauthorized), with
    /// the name it was checked against.
    client_verifier: Option<(Arc<ServerVerifier>, rustls::pki_types::ServerName<'static>)>,
    /// Server side with request_cert: computes the verdict after the handshake.
    server_check: Option<Arc<ClientVerifier>>,
    is_server: bool,
    /// The verdict on the peer (None = verified, or not asked for).
    pub verify_error: Option<NetError>,
    /// The peer was verified.
    pub authorized: bool,
    pub close_notify_sent: bool,
    /// Plaintext decrypted while the socket was paused (inside the handler that paused it):
    /// delivered on `resume`, before anything read later.
    pub held_plain: Vec<u8>,
    /// The peer's end of stream (FIN or close_notify) seen while paused: `end` is owed after
    /// `held_plain`, on `resume`.
    pub end_held: bool,
    /// A client's `connect_timeout_ms` deadline, which bounds this (its first) handshake too;
    /// None for servers, STARTTLS upgrades and connects without one.
    pub connect_deadline: Option<std::time::Instant>,
}

impl TlsState {
    pub fn client(tls: ClientTls) -> Result<TlsState, NetError> {
        let mut conn = ClientConnection::new(tls.config, tls.server_name.clone())
            .map_err(|e| NetError::new(ETLS, format!("TLS client: {e}")))?;
        conn.set_buffer_limit(Some(TLS_BUFFER_LIMIT));
        Ok(TlsState {
            conn: Connection::Client(conn),
            handshaking: true,
            client_verifier: Some((tls.verifier, tls.server_name)),
            server_check: None,
            is_server: false,
            verify_error: None,
            authorized: false,
            close_notify_sent: false,
            held_plain: Vec::new(),
            end_held: false,
            connect_deadline: None,
        })
    }

    pub fn server(tls: &ServerTls) -> Result<TlsState, NetError> {
        let mut conn =
            ServerConnection::new(tls.config.clone()).map_err(|e| NetError::new(ETLS, format!("TLS server: {e}")))?;
        conn.set_buffer_limit(Some(TLS_BUFFER_LIMIT));
        Ok(TlsState {
            conn: Connection::Server(conn),
            handshaking: true,
            client_verifier: None,
            server_check: tls.client_verifier.clone(),
            is_server: true,
            verify_error: None,
            authorized: false,
            close_notify_sent: false,
            held_plain: Vec::new(),
            end_held: false,
            connect_deadline: None,
        })
    }

    /// Records the verdict once the handshake has completed.
    pub fn finish_handshake(&mut self) {
        self.handshaking = false;
        if self.is_server {
            // A server that did not ask for a certificate verified nothing: no verdict, and
            // not authorized.
            if let Some(check) = &self.server_check {
                self.verify_error = check.check(self.conn.peer_certificates());
                self.authorized = self.verify_error.is_none();
            }
        } else {
            self.verify_error =
                self.client_verifier.as_ref().and_then(|(v, name)| v.verdict(self.conn.peer_certificates(), name));
            self.authorized = self.verify_error.is_none();
        }
    }

    /// The completed handshake resumed a session (a ticket or a TLS 1.2 session id).
    pub fn session_reused(&self) -> bool {
        !self.handshaking && self.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }

    /// RFC 5705 / RFC 8446 §7.5 keying material into `out`; ENOTSUP before the handshake.
    pub fn export_keying_material(&self, out: &mut [u8], label: &[u8], context: Option<&[u8]>) -> Result<(), NetError> {
        if self.handshaking {
            return Err(NetError::new(ENOTSUP, "no keying material before the TLS handshake completed"));
        }
        self.conn
            .export_keying_material(out, label, context)
            .map(|_| ())
            .map_err(|e| NetError::new(ETLS, format!("export_keying_material: {e}")))
    }

    /// "TLSv1.2" / "TLSv1.3" once negotiated.
    pub fn version(&self) -> Option<&'static str> {
        match self.conn.protocol_version()? {
            rustls::ProtocolVersion::TLSv1_2 => Some("TLSv1.2"),
            rustls::ProtocolVersion::TLSv1_3 => Some("TLSv1.3"),
            _ => None,
        }
    }

    /// The IANA name of the negotiated cipher suite ("TLS_AES_128_GCM_SHA256").
    pub fn cipher(&self) -> Option<&'static str> {
        suites::iana_suite_name(self.conn.negotiated_cipher_suite()?.suite())
    }
}

/// A rustls failure as the handlers see it.
pub(crate) fn tls_failure(err: &rustls::Error) -> NetError {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(rustls::CertificateError::Other(other)) => match other.0.downcast_ref::<NetError>() {
            Some(e) => e.clone(),
            None => NetError::new(crate::error::ECERT_REJECTED, format!("certificate rejected: {other}")),
        },
        E::InvalidCertificate(_) => {
            verify::classify(err, &rustls::pki_types::CertificateDer::from(Vec::new()), &[], "peer")
        }
        E::NoCertificatesPresented => NetError::new(ECERT_MISSING, "the peer sent no certificate"),
        E::AlertReceived(alert) => NetError::new(ETLS_ALERT, format!("the peer sent a fatal TLS alert: {alert:?}")),
        E::InvalidMessage(_)
        | E::PeerMisbehaved(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. }
        | E::DecryptError => NetError::new(ETLS_PROTOCOL, format!("TLS protocol error: {err}")),
        other => NetError::new(ETLS, format!("TLS error: {other}")),
    }
}
