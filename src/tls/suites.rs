//! `cipher_suites` / `groups`: the crypto provider narrowed to the cipher suites and key-exchange
//! groups a user names (IANA names), in the user's order of preference. Unknown names are
//! refused when the config is built, i.e. at the listen / connect / upgrade / set_tls call.

use super::config::{TlsOptions, provider};
use crate::error::NetError;
use rustls::crypto::CryptoProvider;
use std::sync::Arc;

/// The IANA name of a suite. rustls prefixes TLS 1.3 suites with "TLS13_"; IANA (and OpenSSL)
/// write "TLS_".
pub(super) fn iana_suite_name(suite: rustls::CipherSuite) -> Option<&'static str> {
    let name = suite.as_str()?;
    Some(match name {
        "TLS13_AES_128_GCM_SHA256" => "TLS_AES_128_GCM_SHA256",
        "TLS13_AES_256_GCM_SHA384" => "TLS_AES_256_GCM_SHA384",
        "TLS13_CHACHA20_POLY1305_SHA256" => "TLS_CHACHA20_POLY1305_SHA256",
        other => other,
    })
}

/// The build's provider, restricted to `opts.cipher_suites` and `opts.groups` when given (an
/// empty list keeps the provider's defaults).
pub(super) fn provider_for(opts: &TlsOptions) -> Result<Arc<CryptoProvider>, NetError> {
    let base = provider();
    if opts.cipher_suites.is_empty() && opts.groups.is_empty() {
        return Ok(base);
    }
    let mut narrowed = CryptoProvider::clone(&base);
    if !opts.cipher_suites.is_empty() {
        narrowed.cipher_suites =
            pick(&opts.cipher_suites, "cipher_suites", &base.cipher_suites, |s| iana_suite_name(s.suite()))?;
    }
    if !opts.groups.is_empty() {
        narrowed.kx_groups = pick(&opts.groups, "groups", &base.kx_groups, |g| g.name().as_str())?;
    }
    Ok(Arc::new(narrowed))
}

/// The entries of `available` named by `wanted` (case-insensitive), in `wanted`'s order; an
/// unknown or repeated name is BUN_TCP_EINVAL naming the entry and the names this build knows.
fn pick<T: Copy>(
    wanted: &[String],
    field: &str,
    available: &[T],
    name_of: impl Fn(&T) -> Option<&'static str>,
) -> Result<Vec<T>, NetError> {
    let mut out = Vec::with_capacity(wanted.len());
    let mut taken = Vec::with_capacity(wanted.len());
    for (i, want) in wanted.iter().enumerate() {
        let found = available.iter().position(|t| name_of(t).is_some_and(|n| n.eq_ignore_ascii_case(want)));
        let Some(at) = found else {
            let known: Vec<&str> = available.iter().filter_map(&name_of).collect();
            return Err(NetError::invalid(format!(
                "{field}[{i}]: unknown name \"{want}\" (this build knows: {})",
                known.join(", ")
            )));
        };
        if taken.contains(&at) {
            return Err(NetError::invalid(format!("{field}[{i}]: \"{want}\" is listed twice")));
        }
        taken.push(at);
        out.push(available[at]);
    }
    debug_assert_eq!(out.len(), wanted.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrows_in_the_users_order_and_refuses_unknown_names() {
        let opts = TlsOptions {
            cipher_suites: vec!["TLS_CHACHA20_POLY1305_SHA256".into(), "tls_aes_128_gcm_sha256".into()],
            groups: vec!["secp384r1".into()],
            ..TlsOptions::default()
        };
        let p = provider_for(&opts).unwrap();
        let names: Vec<_> = p.cipher_suites.iter().map(|s| iana_suite_name(s.suite()).unwrap()).collect();
        assert_eq!(names, ["TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]);
        let groups: Vec<_> = p.kx_groups.iter().map(|g| g.name().as_str().unwrap()).collect();
        assert_eq!(groups, ["secp384r1"]);

        let bad = TlsOptions { cipher_suites: vec!["TLS_AES_128_GCM_SHA256".into(), "RC4".into()], ..opts.clone() };
        let err = provider_for(&bad).unwrap_err();
        assert_eq!(err.code, crate::error::EINVAL);
        assert!(err.message.contains("cipher_suites[1]: unknown name \"RC4\""), "{}", err.message);
        let twice = TlsOptions { groups: vec!["x25519".into(), "X25519".into()], ..opts };
        assert!(provider_for(&twice).unwrap_err().message.contains("groups[1]"));
    }
}
