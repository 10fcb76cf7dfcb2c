//! Addresses: host names and IP literals, unix-domain names, and how they print.

use crate::error::{EINVALHOST, NetError};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Longest unix-domain path, without its NUL (sun_path is 108 bytes on Linux).
pub const UNIX_PATH_MAX: usize = 107;

/// Which namespace a unix-domain name lives in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UnixNamespace {
    /// A path in the file system.
    FileSystem,
    /// Linux's abstract namespace (no file; written with a leading NUL in sun_path).
    Abstract,
}

/// A unix-domain socket name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixName {
    /// A file-system path (unlinked when the listener stops).
    Path(PathBuf),
    /// A Linux abstract name (the bytes after the leading NUL).
    Abstract(Vec<u8>),
}

impl UnixName {
    /// Checks the length limits and builds the name; `bytes` never holds an abstract name's
    /// leading NUL.
    pub fn new(bytes: &[u8], namespace: UnixNamespace) -> Result<UnixName, NetError> {
        if bytes.is_empty() {
            return Err(match namespace {
                UnixNamespace::FileSystem => NetError::invalid("unix_path is empty"),
                UnixNamespace::Abstract => {
                    NetError::invalid("unix_path is an abstract name with no name after its NUL")
                }
            });
        }
        // sun_path holds 108 bytes: a path needs its NUL, an abstract name its leading NUL.
        let limit = UNIX_PATH_MAX;
        if bytes.len() > limit {
            return Err(NetError::new(
                -libc::ENAMETOOLONG,
                format!("unix_path is {} bytes long; the limit is {limit}", bytes.len()),
            ));
        }
        if bytes.contains(&0) {
            return Err(NetError::invalid("unix_path contains a NUL byte"));
        }
        use std::os::unix::ffi::OsStrExt;
        Ok(match namespace {
            UnixNamespace::Abstract => UnixName::Abstract(bytes.to_vec()),
            UnixNamespace::FileSystem => UnixName::Path(PathBuf::from(std::ffi::OsStr::from_bytes(bytes))),
        })
    }

    /// How the name prints in messages: the path, or `@name` for an abstract name.
    pub fn display(&self) -> String {
        match self {
            UnixName::Path(p) => p.display().to_string(),
            UnixName::Abstract(b) => format!("@{}", String::from_utf8_lossy(b)),
        }
    }
}

/// What a host string names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// An IPv4 or IPv6 literal (brackets allowed around IPv6): no DNS needed.
    Ip(IpAddr),
    /// A syntactically valid DNS name: resolved off the loop thread.
    Name(String),
}

/// Parses a host: an IP literal, or a DNS name made of letters, digits, '-', '_' and '.' in labels
/// of 1 to 63 characters, 253 characters at most. Anything else fails at once (EINVALHOST).
pub fn parse_host(host: &str) -> Result<Host, NetError> {
    let unbracketed = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    let invalid = || NetError::new(EINVALHOST, format!("invalid hostname {host:?}"));
    let name = host.strip_suffix('.').unwrap_or(host);
    if name.is_empty() || name.len() > 253 {
        return Err(invalid());
    }
    for label in name.split('.') {
        let ok_chars = label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if label.is_empty() || label.len() > 63 || !ok_chars {
            return Err(invalid());
        }
    }
    Ok(Host::Name(name.to_string()))
}

/// Parses an IP literal (brackets allowed around IPv6); anything else, a host name included,
/// fails with EINVALHOST. `what` names the option in the message.
pub fn parse_ip_literal(text: &str, what: &str) -> Result<IpAddr, NetError> {
    let unbracketed = text.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(text);
    unbracketed
        .parse::<IpAddr>()
        .map_err(|_| NetError::new(EINVALHOST, format!("invalid {what} {text:?}: not an IP literal")))
}

/// The address part of a socket address as text, without brackets or port.
pub fn ip_text(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; show them as IPv4.
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The address family of a socket address as the C API reports it (AF_INET or AF_INET6), by the
/// same rule as `ip_text`: an IPv4-mapped IPv6 address counts as IPv4, since it prints as one.
pub fn family_of(addr: &SocketAddr) -> i32 {
    match addr.ip() {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => libc::AF_INET6,
        _ => libc::AF_INET,
    }
}

/// Orders a resolver's answer for Happy Eyeballs (RFC 8305 §4): the families alternate, starting
/// with the family of the resolver's first (most preferred) address; within a family the
/// resolver's order is kept.
pub fn interleave_families(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else { return addrs };
    let first_is_v6 = first.is_ipv6();
    let (mut preferred, mut other): (std::collections::VecDeque<_>, std::collections::VecDeque<_>) =
        addrs.into_iter().partition(|a| a.is_ipv6() == first_is_v6);
    let mut out = Vec::with_capacity(preferred.len() + other.len());
    loop {
        match (preferred.pop_front(), other.pop_front()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_names_and_garbage() {
        assert_eq!(parse_host("127.0.0.1").unwrap(), Host::Ip("127.0.0.1".parse().unwrap()));
        assert_eq!(parse_host("[::1]").unwrap(), Host::Ip("::1".parse().unwrap()));
        assert_eq!(parse_host("::").unwrap(), Host::Ip("::".parse().unwrap()));
        assert_eq!(parse_host("localhost").unwrap(), Host::Name("localhost".into()));
        assert_eq!(parse_host("a-b.example.com.").unwrap(), Host::Name("a-b.example.com".into()));
        for bad in ["", "not a host", "a..b", "host:80", "ex*mple.com", &"x".repeat(64)] {
            assert_eq!(parse_host(bad).unwrap_err().code, EINVALHOST, "{bad:?}");
        }
    }

    #[test]
    fn unix_names_are_checked() {
        use UnixNamespace::{Abstract, FileSystem};
        assert!(UnixName::new(b"/tmp/x.sock", FileSystem).is_ok());
        assert_eq!(UnixName::new(&[b'a'; 200], FileSystem).unwrap_err().code, -libc::ENAMETOOLONG);
        assert_eq!(UnixName::new(b"", Abstract).unwrap_err().code, crate::error::EINVAL);
        assert_eq!(UnixName::new(b"", FileSystem).unwrap_err().code, crate::error::EINVAL);
        assert_eq!(UnixName::new(b"a\0b", Abstract).unwrap_err().code, crate::error::EINVAL);
        assert_eq!(UnixName::new(b"name", Abstract).unwrap().display(), "@name");
    }

    #[test]
    fn ip_literals_only() {
        assert_eq!(parse_ip_literal("[::1]", "x").unwrap(), "::1".parse::<IpAddr>().unwrap());
        assert_eq!(parse_ip_literal("127.0.0.1", "x").unwrap(), "127.0.0.1".parse::<IpAddr>().unwrap());
        for bad in ["localhost", "", "1.2.3", "::1]"] {
            assert_eq!(parse_ip_literal(bad, "x").unwrap_err().code, EINVALHOST, "{bad}");
        }
    }

    #[test]
    fn mapped_ipv4_prints_as_ipv4() {
        let a: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert_eq!(ip_text(&a), "127.0.0.1");
    }

    #[test]
    fn mapped_ipv4_counts_as_ipv4() {
        let a = |t: &str| t.parse::<SocketAddr>().unwrap();
        assert_eq!(family_of(&a("[::ffff:127.0.0.1]:80")), libc::AF_INET);
        assert_eq!(family_of(&a("127.0.0.1:80")), libc::AF_INET);
        assert_eq!(family_of(&a("[::1]:80")), libc::AF_INET6);
        assert_eq!(family_of(&a("[::]:80")), libc::AF_INET6);
    }

    #[test]
    fn families_alternate_starting_with_the_resolvers_first() {
        let a = |t: &str| t.parse::<SocketAddr>().unwrap();
        let got = interleave_families(vec![a("[::1]:1"), a("[::2]:1"), a("[::3]:1"), a("10.0.0.1:1"), a("10.0.0.2:1")]);
        assert_eq!(got, vec![a("[::1]:1"), a("10.0.0.1:1"), a("[::2]:1"), a("10.0.0.2:1"), a("[::3]:1")]);
        let got = interleave_families(vec![a("10.0.0.1:1"), a("10.0.0.2:1"), a("[::1]:1")]);
        assert_eq!(got, vec![a("10.0.0.1:1"), a("[::1]:1"), a("10.0.0.2:1")]);
        assert!(interleave_families(vec![]).is_empty());
    }
}
