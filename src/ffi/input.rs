//! Reading C inputs: strings, byte ranges, handler tables, unix paths.

use super::c_handlers::CHandlers;
use super::types::bun_tcp_handlers;
use crate::addr::UnixName;
use crate::error::NetError;
use crate::handlers::Handlers;
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
