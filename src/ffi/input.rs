//! Reading C inputs: strings, byte ranges, handler tables, unix paths.

use super::c_handlers::CHandlers;
use super::types::{bun_tcp_bytes, bun_tcp_handlers, bun_tcp_tls_options};
use crate::addr::UnixName;
use crate::error::NetError;
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

/// A unix path option: NULL = none; a leading NUL selects the abstract name that follows it.
pub fn unix_name(p: *const c_char) -> Result<Option<UnixName>, NetError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: as for `opt_str`; for an abstract name the header requires a second NUL-terminated
    // string right after the leading NUL.
    let (bytes, abstract_name) = unsafe {
        if *p == 0 { (CStr::from_ptr(p.add(1)).to_bytes(), true) } else { (CStr::from_ptr(p).to_bytes(), false) }
    };
    UnixName::new(bytes, abstract_name).map(Some)
}

/// A byte range: NULL is allowed only with a zero length.
pub fn bytes<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], NetError> {
    if ptr.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(NetError::invalid("bytes is NULL but len is not 0")) };
    }
    if len > isize::MAX as usize {
        return Err(NetError::invalid("len is too large"));
    }
    // SAFETY: the caller passes `len` readable bytes at `ptr` (the header's contract).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
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
    }))
}
