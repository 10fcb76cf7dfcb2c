//! Error names, descriptions and the thread-local last error.

use super::{ffi_call, intern, last_error_ptr};
use crate::error::{err_name, strerror_string};
use std::ffi::{CStr, c_char};

/// These functions promise a string: a caught panic (NULL from `ffi_call`) gives `instead`.
fn never_null(text: *const c_char, instead: &'static CStr) -> *const c_char {
    if text.is_null() { instead.as_ptr() } else { text }
}

/// --- Errors ---
///
/// The static name of an error code: the errno name of a negative errno value ("ECONNREFUSED",
/// "EADDRINUSE"), the name Bun / Node / OpenSSL give a BUN_TCP_E* code ("ENOTFOUND",
/// "ERR_TLS_BAD_PEM", "DEPTH_ZERO_SELF_SIGNED_CERT"), "OK" for 0.
///
/// Returns: the name; "UNKNOWN" for a value the library does not know. Never NULL.
/// Errors: none.
/// Fires: nothing.
/// Thread: any thread; needs no loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_err_name(code: i32) -> *const c_char {
    never_null(ffi_call(|| err_name(code).as_ptr()), c"UNKNOWN")
}

/// A static, human-readable description of an error code: the OS's text for a negative errno
/// value ("Connection refused"), the library's for 0 and the BUN_TCP_E* codes ("socket is closed
/// or the handle is stale").
///
/// Returns: the description, valid until the process ends; "unknown error" for a positive value
/// or a value below errno's range that is no BUN_TCP_E* code. Never NULL.
/// Errors: none.
/// Fires: nothing.
/// Thread: any thread; needs no loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_strerror(code: i32) -> *const c_char {
    never_null(ffi_call(|| intern(&strerror_string(code)).as_ptr()), c"unknown error")
}

/// The message of this thread's last failed call.
///
/// Returns: the message; "" if no call failed yet on this thread. Never NULL. Valid until the next
///   failing call on this thread: read or copy it after the failing call returns, not in the same
///   expression (C leaves the order of a call's arguments unspecified).
/// Errors: none.
/// Fires: nothing.
/// Thread: any thread; each thread has its own message.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_last_error_message() -> *const c_char {
    never_null(ffi_call(last_error_ptr), c"")
}
