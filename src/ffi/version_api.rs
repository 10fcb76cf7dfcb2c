//! The library version.

use super::ffi_call;
use std::ffi::c_char;

/// --- Library ---
///
/// The library version, e.g. "0.1.0".
///
/// Returns: the version (static).
/// Errors: none.
/// Fires: nothing.
/// Thread: any thread; needs no loop.
#[unsafe(no_mangle)]
pub extern "C" fn bun_tcp_version() -> *const c_char {
    ffi_call(|| concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast())
}
