//! The `extern "C"` shell: the only module where `unsafe` is allowed.
//!
//! Every exported function runs behind a panic boundary, checks NULL arguments, finds the loop of
//! a handle through this thread's registry (so wrong-thread calls are refused and stale handles
//! are errors), converts C inputs into the core's types, and records failures for
//! `bun_tcp_last_error_message`.

// The exported functions are called from C, where Rust's `unsafe fn` means nothing; their pointer
// arguments are checked for NULL and otherwise trusted per the header's contract.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod c_handlers;
mod input;
mod registry;
mod types;

// cbindgen writes the functions in the order it meets these modules, so this order is the
// header's: loop, listen, connect, socket, TLS, errors, version (blank lines keep rustfmt from
// sorting it).
mod loop_api;

mod observe_api;
mod timer_api;

mod listen_api;

mod connect_api;

mod socket_api;

mod tls_api;

mod error_api;

mod version_api;

pub use connect_api::*;
pub use error_api::*;
pub use listen_api::*;
pub use loop_api::*;
pub use observe_api::*;
pub use socket_api::*;
pub use timer_api::*;
pub use tls_api::*;
pub use types::*;
pub use version_api::*;

use crate::error::{EPANIC, NetError};
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

/// A static C string with this text, made once per distinct text. The texts are a small, fixed
/// set (error descriptions, TLS version, cipher and provider names), so the table stays small.
pub(crate) fn intern(text: &str) -> &'static std::ffi::CStr {
    static TABLE: Mutex<Option<HashMap<String, &'static std::ffi::CStr>>> = Mutex::new(None);
    let mut table = TABLE.lock().unwrap_or_else(|p| p.into_inner());
    let table = table.get_or_insert_with(HashMap::new);
    if let Some(found) = table.get(text) {
        return found;
    }
    let leaked: &'static std::ffi::CStr =
        Box::leak(CString::new(text.replace('\0', " ")).unwrap_or_default().into_boxed_c_str());
    table.insert(text.to_string(), leaked);
    leaked
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Remembers `e` as this thread's last error and returns its code.
pub(crate) fn fail(e: &NetError) -> i32 {
    let text = CString::new(e.message.replace('\0', " ")).unwrap_or_default();
    // During thread teardown the slot may be gone: the code still goes back to the caller.
    let _ = LAST_ERROR.try_with(|last| *last.borrow_mut() = text);
    e.code
}

pub(crate) fn last_error_ptr() -> *const std::ffi::c_char {
    LAST_ERROR.try_with(|last| last.borrow().as_ptr()).unwrap_or(c"".as_ptr())
}

/// What an exported function returns when a panic is caught inside it: chosen once per return
/// type, so no call site picks its own (and none can pick one that reads as success or as a
/// state).
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

/// Status codes, counts-or-codes and states: BUN_TCP_EPANIC (no state or count is negative
/// below -2, and no other code has this value).
impl PanicValue for i32 {
    fn panic_value() -> i32 {
        EPANIC
    }
}

impl PanicValue for i64 {
    fn panic_value() -> i64 {
        i64::from(EPANIC)
    }
}

/// Predicates: false.
impl PanicValue for bool {
    fn panic_value() -> bool {
        false
    }
}

/// Counts, ports, sizes: 0 (the value of a stale handle).
macro_rules! panic_value_zero {
    ($($t:ty),*) => {$(
        impl PanicValue for $t {
            fn panic_value() -> $t {
                0
            }
        }
    )*};
}
panic_value_zero!(u16, u32, u64, usize);

impl PanicValue for () {
    fn panic_value() {}
}

/// Pointers: NULL.
impl<T> PanicValue for *mut T {
    fn panic_value() -> *mut T {
        std::ptr::null_mut()
    }
}

impl<T> PanicValue for *const T {
    fn panic_value() -> *const T {
        std::ptr::null()
    }
}

/// Handles: the zero handle, which is never valid.
impl PanicValue for bun_tcp_listener {
    fn panic_value() -> bun_tcp_listener {
        bun_tcp_listener { id: 0 }
    }
}

/// The panic boundary every exported function runs behind: a panic becomes the return type's
/// `PanicValue` and EPANIC's message (never an unwind into C, which would be undefined behaviour).
#[inline(always)]
pub(crate) fn ffi_call<R: PanicValue>(body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(_) => {
            fail(&NetError::new(EPANIC, "internal error: a panic was caught at the C boundary"));
            R::panic_value()
        }
    }
}

/// Turns a core result into a C return value, recording failures.
#[inline]
pub(crate) fn code_of<T>(result: Result<T, NetError>, ok: impl FnOnce(T) -> i32) -> i32 {
    match result {
        Ok(v) => ok(v),
        Err(e) => fail(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error;

    #[test]
    fn header_constants_match_the_core() {
        assert_eq!(BUN_TCP_TLS1_2, crate::tls::TLS1_2);
        assert_eq!(BUN_TCP_TLS_HANDSHAKE_BUDGET, crate::tls::HANDSHAKE_BUDGET);
        assert_eq!(BUN_TCP_TLS1_3, crate::tls::TLS1_3);
        use crate::ReadyState;
        assert_eq!(BUN_TCP_STATE_CONNECTING, ReadyState::Connecting as i32);
        assert_eq!(BUN_TCP_STATE_OPEN, ReadyState::Open as i32);
        assert_eq!(BUN_TCP_STATE_CLOSING, ReadyState::Closing as i32);
        assert_eq!(BUN_TCP_STATE_WRITE_SHUT, ReadyState::WriteShut as i32);
        assert_eq!(BUN_TCP_STATE_CLOSED, ReadyState::Closed as i32);
    }

    #[test]
    fn panics_become_epanic() {
        let r = ffi_call(|| -> i32 { panic!("boom") });
        assert_eq!(r, error::EPANIC);
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert!(msg.to_str().unwrap().contains("panic"));
    }

    #[test]
    fn the_panic_value_follows_the_return_type() {
        assert_eq!(ffi_call(|| -> i64 { panic!("boom") }), i64::from(error::EPANIC));
        assert!(!ffi_call(|| -> bool { panic!("boom") }));
        assert_eq!(ffi_call(|| -> usize { panic!("boom") }), 0);
        assert_eq!(ffi_call(|| -> u16 { panic!("boom") }), 0);
        assert!(ffi_call(|| -> *mut u8 { panic!("boom") }).is_null());
        assert!(ffi_call(|| -> *const std::ffi::c_char { panic!("boom") }).is_null());
        assert_eq!(ffi_call(|| -> bun_tcp_listener { panic!("boom") }).id, 0);
        // A state query that panics must not read as a state (CLOSED is -1).
        let states = [
            BUN_TCP_STATE_CONNECTING,
            BUN_TCP_STATE_OPEN,
            BUN_TCP_STATE_CLOSING,
            BUN_TCP_STATE_WRITE_SHUT,
            BUN_TCP_STATE_CLOSED,
        ];
        assert!(!states.contains(&ffi_call(|| -> i32 { panic!("boom") })));
    }
}
