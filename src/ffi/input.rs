//! Reading C inputs: strings, byte ranges, handler tables, unix paths.

use super::c_handlers::CHandlers;
use super::types::{bun_tcp_bytes, bun_tcp_handlers, bun_tcp_tls_options};
use crate::addr::{UNIX_PATH_MAX, UnixName, UnixNamespace};
use crate::error::{EINVALHOST, NetError};
use crate::handlers::Handlers;
use crate::tls::TlsOptions;
use std::ffi::{CStr, c_char};
use std::rc::Rc;

/// A C string as UTF-8; None for NULL.
pub fn opt_str(p: *const c_char, what: &str) -> Result<Option<String>, NetError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string (the header's contract).
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(|s| Some(s.to_string())).map_err(|_| NetError::invalid(format!("{what} is not valid UTF-8")))
}

/// A host name option (hostname): NULL = none. Bytes that are not UTF-8 cannot be a host name, so
/// they fail as any other malformed host does (BUN_TCP_EINVALHOST), not as a bad string (EINVAL).
pub fn opt_host(p: *const c_char, what: &str) -> Result<Option<String>, NetError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string (the header's contract).
    let s = unsafe { CStr::from_ptr(p) };
    match s.to_str() {
        Ok(text) => Ok(Some(text.to_string())),
        Err(_) => Err(NetError::new(
            EINVALHOST,
            format!("invalid {what} {:?}: not a host name (bytes that are not UTF-8)", s.to_string_lossy()),
        )),
    }
}

/// A unix name option: `p` NULL = none. `len` 0: `p` is a NUL-terminated path, and a leading
/// NUL (the empty string, or the abstract form without its length) is refused without reading
/// a byte past it: the string may end there. `len` > 0: exactly `len` bytes are read (no NUL
/// needed after them); a leading NUL selects the abstract name made of the other `len - 1`.
pub fn unix_name(p: *const c_char, len: usize) -> Result<Option<UnixName>, NetError> {
    if p.is_null() {
        return if len == 0 {
            Ok(None)
        } else {
            Err(NetError::invalid("unix_path is NULL but unix_path_len is not 0"))
        };
    }
    if len == 0 {
        // SAFETY: a NUL-terminated string (the header's contract); CStr stops at the first NUL,
        // so an empty string is read up to its one byte and no further.
        let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
        if bytes.is_empty() {
            return Err(NetError::invalid(
                "unix_path is empty (an abstract name needs unix_path_len: its leading NUL plus the name)",
            ));
        }
        return UnixName::new(bytes, UnixNamespace::FileSystem).map(Some);
    }
    // Longer than any sun_path: refused before reading, so a huge length is never trusted.
    if len > UNIX_PATH_MAX + 1 {
        return Err(NetError::new(
            -libc::ENAMETOOLONG,
            format!("unix_path_len is {len}; the limit is {} (with an abstract name's leading NUL)", UNIX_PATH_MAX + 1),
        ));
    }
    check_span(p, len, "unix_path_len")?;
    // SAFETY: the caller passes `len` readable bytes at `p` (the header's contract for a length).
    let raw = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    match raw.split_first() {
        Some((0, name)) => UnixName::new(name, UnixNamespace::Abstract).map(Some),
        _ => UnixName::new(raw, UnixNamespace::FileSystem).map(Some),
    }
}

/// Refuses a count of `T`s at `ptr` that no real buffer can have: more than isize::MAX bytes, or
/// a range that wraps around the address space (both are undefined behaviour for a slice, so a
/// garbage length must fail here, before any slice exists).
#[inline]
fn check_span<T>(ptr: *const T, count: usize, what: &str) -> Result<(), NetError> {
    let size = count.checked_mul(std::mem::size_of::<T>()).filter(|n| *n <= isize::MAX as usize);
    match size.and_then(|n| (ptr as usize).checked_add(n)) {
        Some(_) => Ok(()),
        None => Err(span_too_large(what, count)),
    }
}

#[cold]
#[inline(never)]
fn span_too_large(what: &str, count: usize) -> NetError {
    NetError::invalid(format!("{what} is too large ({count})"))
}

/// A byte range: NULL is allowed only with a zero length.
#[inline]
pub fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], NetError> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(NetError::invalid("bytes is NULL but len is not 0")) };
    }
    check_span(ptr, len, "len")?;
    // SAFETY: the caller passes `len` readable bytes at `ptr` (the header's contract).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A writable byte range (non-NULL: callers check NULL first with their own message).
pub fn bytes_mut<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8], NetError> {
    if ptr.is_null() {
        return Err(NetError::invalid("out is NULL"));
    }
    check_span(ptr.cast_const(), len, "out_len")?;
    // SAFETY: the caller passes `len` writable bytes at `ptr` (the header's contract), not
    // aliased by any other argument during the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// A copied handler table.
pub fn handlers(p: *const bun_tcp_handlers) -> Result<Rc<dyn Handlers>, NetError> {
    if p.is_null() {
        return Err(NetError::invalid("handlers is NULL"));
    }
    // SAFETY: non-NULL pointer to the caller's table; it is copied, not kept.
    let table = unsafe { *p };
    Ok(Rc::new(CHandlers(table)))
}

/// A reference to an options struct.
pub fn options<'a, T>(p: *const T, what: &str) -> Result<&'a T, NetError> {
    if p.is_null() {
        return Err(NetError::invalid(format!("{what} is NULL")));
    }
    // SAFETY: non-NULL pointer to the caller's struct, read during this call only.
    Ok(unsafe { &*p })
}

/// An array of `count` byte strings, copied.
fn byte_list(p: *const bun_tcp_bytes, count: usize, what: &str) -> Result<Vec<Vec<u8>>, NetError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(NetError::invalid(format!("{what} is NULL but {what}_count is {count}")));
    }
    check_span(p, count, &format!("{what}_count"))?;
    // SAFETY: `count` elements at `p` (the header's contract).
    let items = unsafe { std::slice::from_raw_parts(p, count) };
    items
        .iter()
        .enumerate()
        .map(|(i, b)| {
            bytes(b.ptr, b.len)
                .map(<[u8]>::to_vec)
                .map_err(|_| NetError::invalid(format!("{what}[{i}].ptr is NULL but its len is not 0")))
        })
        .collect()
}

fn opt_path(p: *const c_char, what: &str) -> Result<Option<std::path::PathBuf>, NetError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: a NUL-terminated string (the header's contract).
    let raw = unsafe { CStr::from_ptr(p) }.to_bytes();
    if raw.is_empty() {
        return Err(NetError::invalid(format!("{what} is an empty path")));
    }
    use std::os::unix::ffi::OsStrExt;
    Ok(Some(std::path::PathBuf::from(std::ffi::OsStr::from_bytes(raw))))
}

/// Copies `count` NUL-terminated names at `list` (empty for count 0); a NULL array with a count,
/// a NULL or empty entry is BUN_TCP_EINVAL.
fn name_list(list: *const *const c_char, count: usize, field: &str) -> Result<Vec<String>, NetError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return Err(NetError::invalid(format!("{field} is NULL but {field}_count is {count}")));
    }
    check_span(list, count, &format!("{field}_count"))?;
    // SAFETY: `count` C strings at `list` (the header's contract).
    let names = unsafe { std::slice::from_raw_parts(list, count) };
    let mut out = Vec::with_capacity(count);
    for (i, name) in names.iter().enumerate() {
        match opt_str(*name, field)? {
            Some(s) if !s.is_empty() => out.push(s),
            Some(_) => return Err(NetError::invalid(format!("{field}[{i}] is empty"))),
            None => return Err(NetError::invalid(format!("{field}[{i}] is NULL"))),
        }
    }
    Ok(out)
}

/// Copies a `bun_tcp_tls_options` (None for NULL).
pub fn tls_options(p: *const bun_tcp_tls_options) -> Result<Option<TlsOptions>, NetError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL pointer to the caller's struct, read during this call only.
    let o = unsafe { &*p };
    let alpn = if o.alpn_count == 0 {
        Vec::new()
    } else if o.alpn.is_null() {
        return Err(NetError::invalid(format!("alpn is NULL but alpn_count is {}", o.alpn_count)));
    } else {
        check_span(o.alpn, o.alpn_count, "alpn_count")?;
        // SAFETY: `alpn_count` C strings at `alpn` (the header's contract).
        let names = unsafe { std::slice::from_raw_parts(o.alpn, o.alpn_count) };
        let mut out = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let bytes = opt_str(*name, "alpn")?.ok_or_else(|| NetError::invalid(format!("alpn[{i}] is NULL")))?;
            if bytes.is_empty() || bytes.len() > 255 {
                return Err(NetError::invalid(format!("alpn[{i}] must be 1 to 255 bytes long")));
            }
            out.push(bytes.into_bytes());
        }
        out
    };
    Ok(Some(TlsOptions {
        keys: byte_list(o.key, o.key_count, "key")?,
        certs: byte_list(o.cert, o.cert_count, "cert")?,
        cas: byte_list(o.ca, o.ca_count, "ca")?,
        key_file: opt_path(o.key_file, "key_file")?,
        cert_file: opt_path(o.cert_file, "cert_file")?,
        ca_file: opt_path(o.ca_file, "ca_file")?,
        passphrase: opt_str(o.passphrase, "passphrase")?,
        server_name: opt_str(o.server_name, "server_name")?,
        allow_unauthorized: o.allow_unauthorized,
        request_cert: o.request_cert,
        alpn,
        min_version: o.min_version,
        max_version: o.max_version,
        keylog_file: opt_path(o.keylog_file, "keylog_file")?,
        disable_session_resumption: o.disable_session_resumption,
        cipher_suites: name_list(o.cipher_suites, o.cipher_suites_count, "cipher_suites")?,
        groups: name_list(o.groups, o.groups_count, "groups")?,
        crls: byte_list(o.crl, o.crl_count, "crl")?,
        crl_file: opt_path(o.crl_file, "crl_file")?,
    }))
}
