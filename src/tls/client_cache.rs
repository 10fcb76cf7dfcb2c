//! Session resumption: the per-loop cache of client configs (connects with equal TLS options
//! share one rustls `ClientConfig`, so one session cache, so a reconnect resumes), and a
//! server's tickets and session cache.
//!
//! The key is the options' content: the PEM bytes, every option, and for `key_file`,
//! `cert_file`, `ca_file` the path and the file's content, read at each connect (a file replaced
//! on disk gives a new config, with an empty session cache). `server_name` is not part of it:
//! it is given per connection, and rustls keys its sessions by server name.

use super::config::{
    FixedClientCert, TlsOptions, certified_keys, read_file, tls_error, trust_roots, versions, warm_up_rng,
};
use super::verify::ServerVerifier;
use crate::error::{EINVAL, ETLS, NetError};
use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache};
use rustls::{ClientConfig, ServerConfig};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Client configs one loop keeps; the oldest is dropped when a new one would exceed it.
const CLIENT_CONFIGS_PER_LOOP: usize = 32;
/// Sessions (TLS 1.3 tickets, TLS 1.2 sessions) one client config keeps, across servers.
const CLIENT_SESSIONS: usize = 256;
/// Sessions a server keeps for TLS 1.2 session ids (and TLS 1.3 without tickets).
const SERVER_SESSIONS: usize = 1024;

/// A client connection's configuration, its server name, and its verifier (for the verdict).
pub struct ClientTls {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    pub verifier: Arc<ServerVerifier>,
}

#[derive(PartialEq, Eq, Hash, Clone)]
struct CacheKey {
    /// The options with `server_name` cleared.
    opts: TlsOptions,
    /// The content of key_file, cert_file, ca_file, crl_file (empty for an unset one).
    files: [Vec<u8>; 4],
}

#[derive(Clone)]
struct Shared {
    config: Arc<ClientConfig>,
    verifier: Arc<ServerVerifier>,
}

/// A loop's client configs by options' content (bounded).
#[derive(Default)]
pub struct ClientConfigCache {
    configs: HashMap<CacheKey, Shared>,
    /// Insertion order, for eviction.
    order: VecDeque<CacheKey>,
}

impl ClientConfigCache {
    /// The config for a client connection to `host` with `opts`: the cached one for equal
    /// options, else a new one (cached).
    pub fn client_tls(&mut self, opts: &TlsOptions, host: Option<&str>) -> Result<ClientTls, NetError> {
        let name = opts.server_name.as_deref().or(host).unwrap_or("localhost");
        let unbracketed = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
        let server_name = ServerName::try_from(unbracketed.to_string())
            .map_err(|_| NetError::new(EINVAL, format!("invalid TLS server name {name:?}")))?;
        let key = cache_key(opts)?;
        let shared = match self.configs.get(&key) {
            Some(shared) => shared.clone(),
            None => {
                let shared = build_client(opts)?;
                if self.order.len() >= CLIENT_CONFIGS_PER_LOOP {
                    if let Some(oldest) = self.order.pop_front() {
                        self.configs.remove(&oldest);
                    }
                }
                self.order.push_back(key.clone());
                self.configs.insert(key, shared.clone());
                debug_assert_eq!(self.order.len(), self.configs.len());
                shared
            }
        };
        Ok(ClientTls { config: shared.config, server_name, verifier: shared.verifier })
    }
}

fn cache_key(opts: &TlsOptions) -> Result<CacheKey, NetError> {
    let content = |path: &Option<std::path::PathBuf>, what: &str| match path {
        Some(p) => read_file(p, what),
        None => Ok(Vec::new()),
    };
    let files = [
        content(&opts.key_file, "key_file")?,
        content(&opts.cert_file, "cert_file")?,
        content(&opts.ca_file, "ca_file")?,
        content(&opts.crl_file, "crl_file")?,
    ];
    Ok(CacheKey { opts: TlsOptions { server_name: None, ..opts.clone() }, files })
}

fn build_client(opts: &TlsOptions) -> Result<Shared, NetError> {
    let provider = super::suites::provider_for(opts)?;
    warm_up_rng(&provider);
    let roots = trust_roots(opts)?;
    let crls = super::crl::revocation_lists(opts)?;
    let inner = super::crl::server_verifier_builder(
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone()),
        crls,
    )
    .build()
    .map_err(|e| tls_error(ETLS, format!("server verification: {e}")))?;
    let verifier = Arc::new(ServerVerifier::new(inner, opts.allow_unauthorized));
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(opts)?)
        .map_err(|e| tls_error(ETLS, format!("TLS versions: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let mut keys = certified_keys(opts, &provider)?;
    let mut config = match keys.len() {
        0 => builder.with_no_client_auth(),
        1 => builder.with_client_cert_resolver(Arc::new(FixedClientCert(keys.remove(0)))),
        _ => return Err(NetError::invalid("a TLS client takes at most one certificate chain")),
    };
    config.alpn_protocols = opts.alpn.clone();
    config.resumption = if opts.disable_session_resumption {
        Resumption::disabled()
    } else {
        Resumption::in_memory_sessions(CLIENT_SESSIONS)
    };
    if let Some(path) = &opts.keylog_file {
        config.key_log = super::keylog::open(path)?;
    }
    Ok(Shared { config: Arc::new(config), verifier })
}

/// A server's resumption: TLS 1.3 tickets (and TLS 1.2 tickets for clients that ask) from a
/// ticketer of its own, plus a bounded session cache for TLS 1.2 session ids; or none at all.
pub fn server_resumption(config: &mut ServerConfig, opts: &TlsOptions) -> Result<(), NetError> {
    if opts.disable_session_resumption {
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        return Ok(());
    }
    config.session_storage = ServerSessionMemoryCache::new(SERVER_SESSIONS);
    #[cfg(feature = "aws-lc-rs")]
    let ticketer = rustls::crypto::aws_lc_rs::Ticketer::new();
    #[cfg(not(feature = "aws-lc-rs"))]
    let ticketer = rustls::crypto::ring::Ticketer::new();
    config.ticketer = ticketer.map_err(|e| tls_error(ETLS, format!("TLS session tickets: {e}")))?;
    Ok(())
}
