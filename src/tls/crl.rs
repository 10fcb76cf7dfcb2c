//! `crl` / `crl_file`: certificate revocation lists (PEM "X509 CRL" blocks) handed to the
//! rustls-webpki verifiers, so that a revoked peer certificate fails with ECERT_REVOKED.
//!
//! Only the peer's end-entity certificate is checked, and a certificate whose issuer has no CRL
//! among those given passes: a CRL for one CA must not make every other CA's certificates fail.

use super::config::{TlsOptions, gather, tls_error};
use crate::error::{ETLS_BAD_PEM, NetError};
use rustls::pki_types::CertificateRevocationListDer;
use rustls::pki_types::pem::PemObject;

/// The CRLs of `opts` (contents first, then the file), parsed; empty when none were given.
pub(super) fn revocation_lists(opts: &TlsOptions) -> Result<Vec<CertificateRevocationListDer<'static>>, NetError> {
    let mut out = Vec::new();
    for (label, pem) in gather(&opts.crls, &opts.crl_file, "crl")? {
        let crls: Vec<CertificateRevocationListDer<'static>> = CertificateRevocationListDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|e| tls_error(ETLS_BAD_PEM, format!("{label}: invalid PEM: {e}")))?;
        if crls.is_empty() {
            return Err(tls_error(ETLS_BAD_PEM, format!("{label}: no X509 CRL block found in the PEM")));
        }
        out.extend(crls);
    }
    Ok(out)
}

/// The client side's server verifier with `crls` applied (no change without CRLs).
pub(super) fn server_verifier_builder(
    builder: rustls::client::ServerCertVerifierBuilder,
    crls: Vec<CertificateRevocationListDer<'static>>,
) -> rustls::client::ServerCertVerifierBuilder {
    if crls.is_empty() {
        return builder;
    }
    builder.with_crls(crls).only_check_end_entity_revocation().allow_unknown_revocation_status()
}

/// The server side's client verifier with `crls` applied (no change without CRLs).
pub(super) fn client_verifier_builder(
    builder: rustls::server::ClientCertVerifierBuilder,
    crls: Vec<CertificateRevocationListDer<'static>>,
) -> rustls::server::ClientCertVerifierBuilder {
    if crls.is_empty() {
        return builder;
    }
    builder.with_crls(crls).only_check_end_entity_revocation().allow_unknown_revocation_status()
}
