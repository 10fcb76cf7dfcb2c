//! TLS configuration from options: PEM contents and files, trust roots, versions, ALPN, and the
//! server's certificate choice by SNI. Every problem fails listen / connect at once with a
//! message that names it; no handler fires.

use super::verify::ClientVerifier;
use crate::error::{EINVAL, ETLS, ETLS_BAD_PEM, ETLS_KEY_ENCRYPTED, ETLS_KEY_MISMATCH, NetError};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::{ClientHello, ParsedCertificate, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// TLS 1.2 as a protocol number (`min_version` / `max_version`).
pub const TLS1_2: u16 = 0x0303;
/// TLS 1.3 as a protocol number.
pub const TLS1_3: u16 = 0x0304;

/// TLS options, as the C struct `bun_tcp_tls_options` carries them. `Default` = verify the peer
/// against the system trust store, TLS 1.2 and 1.3, no ALPN.
/// `Eq` and `Hash` compare content (PEM bytes, paths, every option): a loop's client connects
/// with equal options share one client config and its session cache (`client_cache.rs`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// PEM private keys; key i belongs to certificate chain i.
    pub keys: Vec<Vec<u8>>,
    /// PEM certificate chains (leaf first).
    pub certs: Vec<Vec<u8>>,
    /// PEM CA certificates; when given they replace the system trust store.
    pub cas: Vec<Vec<u8>>,
    pub key_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// Passphrase of an encrypted PKCS#8 key ("ENCRYPTED PRIVATE KEY").
    pub passphrase: Option<String>,
    /// Client: SNI and the name verified (default: the connect hostname, else "localhost").
    pub server_name: Option<String>,
    /// Complete handshakes with peers that fail verification, and report the verdict.
    pub allow_unauthorized: bool,
    /// Server: ask clients for a certificate (mTLS).
    pub request_cert: bool,
    /// ALPN protocols, most preferred first.
    pub alpn: Vec<Vec<u8>>,
    /// 0 = TLS 1.2; TLS1_2 or TLS1_3.
    pub min_version: u16,
    /// 0 = TLS 1.3; TLS1_2 or TLS1_3.
    pub max_version: u16,
    /// NSS key log lines (SSLKEYLOGFILE format) are appended to this file.
    pub keylog_file: Option<PathBuf>,
    /// No session resumption for this end: no tickets, no session cache.
    pub disable_session_resumption: bool,
    /// IANA cipher suite names, most preferred first; empty = the provider's defaults.
    pub cipher_suites: Vec<String>,
    /// IANA key-exchange group names, most preferred first; empty = the provider's defaults.
    pub groups: Vec<String>,
    /// PEM certificate revocation lists ("X509 CRL" blocks) checked against the peer's certificate.
    pub crls: Vec<Vec<u8>>,
    pub crl_file: Option<PathBuf>,
}

/// The crypto provider this build uses (a cargo feature: aws-lc-rs by default, or ring).
pub fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            #[cfg(feature = "aws-lc-rs")]
            let p = rustls::crypto::aws_lc_rs::default_provider();
            #[cfg(not(feature = "aws-lc-rs"))]
            let p = rustls::crypto::ring::default_provider();
            Arc::new(p)
        })
        .clone()
}

/// Draws a few random bytes now, on the thread that will run the handshakes: aws-lc seeds its
/// per-thread generator on first use (about 30 ms of CPU), which would otherwise land on the
/// first handshake of the loop. Later draws cost next to nothing.
pub(super) fn warm_up_rng(provider: &CryptoProvider) {
    let _ = provider.secure_random.fill(&mut [0u8; 16]);
}

/// The name of the provider compiled in.
pub fn provider_name() -> &'static str {
    if cfg!(feature = "aws-lc-rs") { "aws-lc-rs" } else { "ring" }
}

pub(super) fn tls_error(code: i32, message: String) -> NetError {
    NetError::new(code, message)
}

/// The largest PEM file read (key_file, cert_file, ca_file). A full system CA bundle is about
/// 250 KiB; anything much larger is a mistake (a wrong path, a device), not PEM to hold in memory.
const PEM_FILE_CAP: u64 = 4 * 1024 * 1024;

pub(super) fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, NetError> {
    use crate::os::FileRefusal;
    let shown = path.display();
    crate::os::read_small_file(path, PEM_FILE_CAP).map_err(|refusal| match refusal {
        FileRefusal::Io(e) => {
            let mut err = NetError::io(&e, c"open", &format!("{what} {shown}"));
            err.syscall = Some(c"open");
            err
        }
        FileRefusal::Directory => {
            NetError::new(-libc::EISDIR, format!("{what} {shown} is a directory, not a PEM file"))
        }
        FileRefusal::NotRegular(kind) => {
            NetError::new(EINVAL, format!("{what} {shown} is {kind}, not a regular PEM file"))
        }
        FileRefusal::TooLarge { cap } => NetError::new(
            -libc::EFBIG,
            format!("{what} {shown} is larger than {} MiB: not a PEM file", cap / (1024 * 1024)),
        ),
    })
}

/// The PEM inputs of one kind: contents first, then the file.
pub(super) fn gather(
    contents: &[Vec<u8>],
    file: &Option<PathBuf>,
    what: &str,
) -> Result<Vec<(String, Vec<u8>)>, NetError> {
    let mut all: Vec<(String, Vec<u8>)> =
        contents.iter().enumerate().map(|(i, c)| (format!("{what}[{i}]"), c.clone())).collect();
    if let Some(path) = file {
        all.push((format!("{what}_file {}", path.display()), read_file(path, &format!("{what}_file"))?));
    }
    Ok(all)
}

/// Checks what lies around the PEM blocks. Explanatory text is allowed (RFC 7468 §2; OpenSSL
/// writes "subject=..." lines into bundles), but bytes that are not text (binary junk, a DER
/// file given as PEM) and a block without its END line are refused rather than skipped.
fn check_pem_text(label: &str, pem: &[u8]) -> Result<(), NetError> {
    // C callers often pass a string with its terminating NUL (sizeof instead of strlen).
    let end = pem.iter().rposition(|b| *b != 0).map_or(0, |last| last + 1);
    let pem = &pem[..end];
    let mut open_block: Option<usize> = None;
    let mut offset = 0;
    for (number, line) in pem.split(|b| *b == b'\n').enumerate() {
        let trimmed = line.trim_ascii();
        if trimmed.starts_with(b"-----BEGIN ") {
            open_block = Some(number + 1);
        } else if trimmed.starts_with(b"-----END ") {
            open_block = None;
        } else if open_block.is_none() {
            let is_text =
                std::str::from_utf8(line).is_ok_and(|t| t.chars().all(|c| !c.is_control() || c == '\t' || c == '\r'));
            if !is_text {
                return Err(tls_error(
                    ETLS_BAD_PEM,
                    format!("{label}: not PEM text: line {} (byte {offset}) holds bytes that are not text", number + 1),
                ));
            }
        }
        offset += line.len() + 1;
    }
    match open_block {
        Some(line) => {
            Err(tls_error(ETLS_BAD_PEM, format!("{label}: the PEM block that starts on line {line} never ends")))
        }
        None => Ok(()),
    }
}

fn parse_certs(label: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, NetError> {
    check_pem_text(label, pem)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| tls_error(ETLS_BAD_PEM, format!("{label}: invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(tls_error(ETLS_BAD_PEM, format!("{label}: no CERTIFICATE block found in the PEM")));
    }
    // Valid base64 is not yet a certificate: without this check a chain of junk is accepted and
    // only fails in every handshake.
    if let Some(n) = certs.iter().position(|c| !super::der::is_certificate(c)) {
        let which = if certs.len() > 1 { format!(" (block {} of {})", n + 1, certs.len()) } else { String::new() };
        return Err(tls_error(ETLS_BAD_PEM, format!("{label}: not a DER certificate{which}")));
    }
    Ok(certs)
}

fn parse_key(label: &str, pem: &[u8], passphrase: Option<&str>) -> Result<PrivateKeyDer<'static>, NetError> {
    check_pem_text(label, pem)?;
    let text = String::from_utf8_lossy(pem);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(tls_error(
            ETLS_KEY_ENCRYPTED,
            format!(
                "{label}: legacy OpenSSL key encryption (Proc-Type: 4,ENCRYPTED) is not supported; convert it with `openssl pkcs8 -topk8`"
            ),
        ));
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return decrypt_pkcs8(label, &text, passphrase);
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| tls_error(ETLS_BAD_PEM, format!("{label}: no usable private key in the PEM ({e})")))
}

/// An "ENCRYPTED PRIVATE KEY" (PKCS#8 with PBES2) opened with the passphrase.
fn decrypt_pkcs8(label: &str, text: &str, passphrase: Option<&str>) -> Result<PrivateKeyDer<'static>, NetError> {
    let Some(passphrase) = passphrase else {
        return Err(tls_error(
            ETLS_KEY_ENCRYPTED,
            format!("{label}: the private key is encrypted and no passphrase was given"),
        ));
    };
    let begin = text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----").unwrap_or(0);
    let unreadable = |e: String| tls_error(ETLS_BAD_PEM, format!("{label}: unreadable ENCRYPTED PRIVATE KEY ({e})"));
    let (_, der) = pkcs8::der::pem::decode_vec(&text.as_bytes()[begin..]).map_err(|e| unreadable(e.to_string()))?;
    let encrypted = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| unreadable(e.to_string()))?;
    let plain = encrypted.decrypt(passphrase).map_err(|_| {
        tls_error(
            ETLS_KEY_ENCRYPTED,
            format!("{label}: cannot decrypt the private key: wrong passphrase or unsupported cipher"),
        )
    })?;
    Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()))
}

fn roots_from(cas: &[(String, Vec<u8>)]) -> Result<RootCertStore, NetError> {
    let mut roots = RootCertStore::empty();
    for (label, pem) in cas {
        for cert in parse_certs(label, pem)? {
            roots
                .add(cert)
                .map_err(|e| tls_error(ETLS_BAD_PEM, format!("{label}: not a usable CA certificate ({e})")))?;
        }
    }
    Ok(roots)
}

/// The system trust store, loaded once per process.
fn system_roots() -> Result<Arc<RootCertStore>, NetError> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    let roots = ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        Arc::new(roots)
    });
    if roots.is_empty() {
        return Err(tls_error(ETLS, "no system CA certificates found: pass `ca` to trust a CA explicitly".into()));
    }
    Ok(roots.clone())
}

pub(super) fn trust_roots(opts: &TlsOptions) -> Result<Arc<RootCertStore>, NetError> {
    let cas = gather(&opts.cas, &opts.ca_file, "ca")?;
    if cas.is_empty() { system_roots() } else { Ok(Arc::new(roots_from(&cas)?)) }
}

pub(super) fn versions(opts: &TlsOptions) -> Result<Vec<&'static SupportedProtocolVersion>, NetError> {
    let min = if opts.min_version == 0 { TLS1_2 } else { opts.min_version };
    let max = if opts.max_version == 0 { TLS1_3 } else { opts.max_version };
    for v in [min, max] {
        if v != TLS1_2 && v != TLS1_3 {
            return Err(NetError::invalid(format!(
                "unsupported TLS version 0x{v:04x} (use 0x0303 for TLS 1.2 or 0x0304 for TLS 1.3)"
            )));
        }
    }
    if min > max {
        return Err(NetError::invalid("min_version is above max_version"));
    }
    let mut out = Vec::new();
    if min <= TLS1_2 {
        out.push(&rustls::version::TLS12);
    }
    if max >= TLS1_3 {
        out.push(&rustls::version::TLS13);
    }
    Ok(out)
}

/// Certificate chains with their keys, checked to match.
pub(super) fn certified_keys(opts: &TlsOptions, provider: &CryptoProvider) -> Result<Vec<Arc<CertifiedKey>>, NetError> {
    let keys = gather(&opts.keys, &opts.key_file, "key")?;
    let certs = gather(&opts.certs, &opts.cert_file, "cert")?;
    if keys.len() != certs.len() {
        return Err(NetError::invalid(format!(
            "{} private key(s) for {} certificate chain(s): key i belongs to cert i",
            keys.len(),
            certs.len()
        )));
    }
    let mut out = Vec::new();
    for ((key_label, key_pem), (cert_label, cert_pem)) in keys.iter().zip(certs.iter()) {
        let chain = parse_certs(cert_label, cert_pem)?;
        let key = parse_key(key_label, key_pem, opts.passphrase.as_deref())?;
        let signing = provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| tls_error(ETLS_BAD_PEM, format!("{key_label}: unsupported private key ({e})")))?;
        let certified = CertifiedKey::new(chain, signing);
        if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) = certified.keys_match() {
            return Err(tls_error(
                ETLS_KEY_MISMATCH,
                format!("{key_label} does not match the certificate in {cert_label}"),
            ));
        }
        out.push(Arc::new(certified));
    }
    Ok(out)
}

/// Picks the first chain whose certificate is valid for the client's SNI, else the first chain.
#[derive(Debug)]
struct SniResolver {
    keys: Vec<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if self.keys.len() > 1 {
            if let Some(name) = hello.server_name().and_then(|n| ServerName::try_from(n.to_string()).ok()) {
                for key in &self.keys {
                    let Some(leaf) = key.cert.first() else { continue };
                    let fits = ParsedCertificate::try_from(leaf)
                        .is_ok_and(|parsed| rustls::client::verify_server_name(&parsed, &name).is_ok());
                    if fits {
                        return Some(key.clone());
                    }
                }
            }
        }
        self.keys.first().cloned()
    }
}

/// A client certificate, when the client options carry one.
#[derive(Debug)]
pub(super) struct FixedClientCert(pub(super) Arc<CertifiedKey>);

impl ResolvesClientCert for FixedClientCert {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// What a TLS listener keeps: its config and, with request_cert, the verifier for verdicts.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    pub client_verifier: Option<Arc<ClientVerifier>>,
}

/// Builds a listener's TLS configuration.
pub fn server_config(opts: &TlsOptions) -> Result<ServerTls, NetError> {
    let provider = super::suites::provider_for(opts)?;
    warm_up_rng(&provider);
    let keys = certified_keys(opts, &provider)?;
    if keys.is_empty() {
        return Err(NetError::invalid("a TLS server needs a certificate chain and its private key (cert + key)"));
    }
    // A bad `ca` fails listen even when it is not used yet (no request_cert).
    let cas = gather(&opts.cas, &opts.ca_file, "ca")?;
    roots_from(&cas)?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(opts)?)
        .map_err(|e| tls_error(ETLS, format!("TLS versions: {e}")))?;
    let (builder, client_verifier) = if opts.request_cert {
        let roots = trust_roots(opts)?;
        let crls = super::crl::revocation_lists(opts)?;
        let inner = super::crl::client_verifier_builder(
            WebPkiClientVerifier::builder_with_provider(roots, provider.clone()),
            crls,
        )
        .allow_unauthenticated()
        .build()
        .map_err(|e| tls_error(ETLS, format!("client verification: {e}")))?;
        let verifier = Arc::new(ClientVerifier::new(inner, !opts.allow_unauthorized));
        (builder.with_client_cert_verifier(verifier.clone()), Some(verifier))
    } else {
        (builder.with_no_client_auth(), None)
    };
    let mut config = builder.with_cert_resolver(Arc::new(SniResolver { keys }));
    config.alpn_protocols = opts.alpn.clone();
    super::client_cache::server_resumption(&mut config, opts)?;
    if let Some(path) = &opts.keylog_file {
        config.key_log = super::keylog::open(path)?;
    }
    Ok(ServerTls { config: Arc::new(config), client_verifier })
}
