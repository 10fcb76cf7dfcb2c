//! Error names, descriptions and the thread-local last error.

use super::{boundary, last_error_ptr};
use crate::error::{err_name, strerror_string};
use std::collections::HashMap;
use std::ffi::{CString, c_char};
use std::sync::Mutex;

/// The static name of an error code: "ECONNREFUSED", "ENOTFOUND", "EADDRINUSE", ...; "UNKNOWN"
/// for a code the library does not know. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_err_name(code: i32) -> *const c_char {
    boundary(c"UNKNOWN".as_ptr(), || err_name(code).as_ptr())
}

static DESCRIPTIONS: Mutex<Option<HashMap<i32, &'static std::ffi::CStr>>> = Mutex::new(None);

/// A static, human-readable description of an error code ("Connection refused"). Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_strerror(code: i32) -> *const c_char {
    boundary(c"unknown error".as_ptr(), || {
        let mut table = DESCRIPTIONS.lock().unwrap_or_else(|p| p.into_inner());
        let table = table.get_or_insert_with(HashMap::new);
        // Codes are bounded (errno < 4096 plus the library's), so the interned set stays small.
        let key = if (-20000..=0).contains(&code) { code } else { i32::MIN };
        let text = table.entry(key).or_insert_with(|| {
            let owned = CString::new(strerror_string(key)).unwrap_or_default();
            Box::leak(owned.into_boxed_c_str())
        });
        text.as_ptr()
    })
}

/// The message of this thread's last failed call ("" if none failed yet). Valid until the next
/// failing call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_last_error_message() -> *const c_char {
    boundary(c"".as_ptr(), last_error_ptr)
}
