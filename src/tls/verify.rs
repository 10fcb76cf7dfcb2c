//! Certificate verification that keeps Bun's two modes: enforce (a bad peer aborts the handshake)
//! and `allow_unauthorized` (the handshake completes and the verdict is reported). Verdicts carry
//! OpenSSL's names, as Bun and Node report them.

use super::der::is_self_issued;
use crate::error::{
    ECERT_ALTNAME, ECERT_EXPIRED, ECERT_MISSING, ECERT_NOT_YET_VALID, ECERT_REJECTED, ECERT_REVOKED, ECERT_SELF_SIGNED,
    ECERT_SELF_SIGNED_IN_CHAIN, ECERT_SIGNATURE, ECERT_UNTRUSTED, NetError,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, OtherError, SignatureScheme};
use std::sync::Arc;

/// Names a verification failure as OpenSSL would.
pub fn classify(
    err: &Error,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    peer: &str,
) -> NetError {
    let verdict = |code: i32, detail: String| {
        let mut e = NetError::new(code, detail);
        e.syscall = None;
        e
    };
    let Error::InvalidCertificate(cert_err) = err else {
        return verdict(ECERT_REJECTED, format!("certificate rejected: {err}"));
    };
    match cert_err {
        CertificateError::UnknownIssuer => {
            if intermediates.is_empty() && is_self_issued(end_entity) {
                verdict(ECERT_SELF_SIGNED, "self-signed certificate".into())
            } else if intermediates.iter().any(|c| is_self_issued(c)) {
                verdict(ECERT_SELF_SIGNED_IN_CHAIN, "self-signed certificate in certificate chain".into())
            } else {
                verdict(ECERT_UNTRUSTED, "unable to verify the first certificate".into())
            }
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            verdict(ECERT_EXPIRED, "certificate has expired".into())
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            verdict(ECERT_NOT_YET_VALID, "certificate is not yet valid".into())
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => verdict(
            ECERT_ALTNAME,
            format!("Hostname/IP does not match certificate's altnames: Host: {peer} is not in the cert's altnames"),
        ),
        CertificateError::BadSignature => verdict(ECERT_SIGNATURE, "certificate signature failure".into()),
        CertificateError::Revoked => verdict(ECERT_REVOKED, "certificate revoked".into()),
        CertificateError::Other(other) => match other.0.downcast_ref::<NetError>() {
            Some(e) => e.clone(),
            None => verdict(ECERT_REJECTED, format!("certificate rejected: {other}")),
        },
        // webpki may report a failed path search in other terms (for example a system root
        // with another key type looked like a candidate issuer); a lone self-issued
        // certificate that did not verify is OpenSSL's DEPTH_ZERO_SELF_SIGNED_CERT.
        _ if intermediates.is_empty() && is_self_issued(end_entity) => {
            verdict(ECERT_SELF_SIGNED, "self-signed certificate".into())
        }
        other => verdict(ECERT_REJECTED, format!("certificate rejected: {other:?}")),
    }
}

/// A verdict as a rustls error, so that the handshake aborts with it and `classify` finds it again.
fn as_rustls_error(e: NetError) -> Error {
    Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(e))))
}

/// The verdict of "no certificate", for a server that asked for one.
pub fn missing_certificate() -> NetError {
    NetError::new(ECERT_MISSING, "the peer sent no certificate")
}

/// A client's view of the server, shared by every connection of one client config (so it holds
/// no per-connection state): enforced, a bad certificate aborts the handshake; with `allow`
/// the handshake goes on and `verdict` judges the chain once it has completed (resumed
/// handshakes included, whose chain comes from the session).
#[derive(Debug)]
pub struct ServerVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    allow: bool,
}

impl ServerVerifier {
    pub fn new(inner: Arc<rustls::client::WebPkiServerVerifier>, allow: bool) -> ServerVerifier {
        ServerVerifier { inner, allow }
    }

    /// The verdict on the server's chain after a completed handshake (None = verified). In
    /// enforce mode a completed handshake was verified (now or when its session was made).
    pub fn verdict(&self, certs: Option<&[CertificateDer<'static>]>, server_name: &ServerName<'_>) -> Option<NetError> {
        if !self.allow {
            return None;
        }
        let Some((end_entity, intermediates)) = certs.and_then(|c| c.split_first()) else {
            return Some(missing_certificate());
        };
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, &[], UnixTime::now())
            .err()
            .map(|e| classify(&e, end_entity, intermediates, &server_name.to_str()))
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.allow {
            // Judged once, after the handshake (`verdict`): the connection goes on either way.
            return Ok(ServerCertVerified::assertion());
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| as_rustls_error(classify(&e, end_entity, intermediates, &server_name.to_str())))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A server's view of client certificates (request_cert): mandatory and enforced, or (with
/// `allow`) optional, with the verdict computed after the handshake by `check`.
#[derive(Debug)]
pub struct ClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    enforce: bool,
}

impl ClientVerifier {
    pub fn new(inner: Arc<dyn ClientCertVerifier>, enforce: bool) -> ClientVerifier {
        ClientVerifier { inner, enforce }
    }

    /// The verdict on the certificates a client presented (None = verified).
    pub fn check(&self, certs: Option<&[CertificateDer<'static>]>) -> Option<NetError> {
        let Some((end_entity, intermediates)) = certs.and_then(|c| c.split_first()) else {
            return Some(missing_certificate());
        };
        self.inner
            .verify_client_cert(end_entity, intermediates, UnixTime::now())
            .err()
            .map(|e| classify(&e, end_entity, intermediates, "client"))
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.enforce
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        match self.inner.verify_client_cert(end_entity, intermediates, now) {
            Ok(v) => Ok(v),
            Err(_) if !self.enforce => Ok(ClientCertVerified::assertion()),
            Err(e) => Err(as_rustls_error(classify(&e, end_entity, intermediates, "client"))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
