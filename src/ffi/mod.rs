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
mod error_api;
mod input;
mod listen_api;
mod loop_api;
mod registry;
mod socket_api;
mod tls_api;
mod types;

pub use error_api::*;
pub use listen_api::*;
pub use loop_api::*;
pub use socket_api::*;
pub use tls_api::*;
pub use types::*;

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

/// Runs `body` behind the panic boundary; a panic becomes `on_panic` and EPANIC's message.
pub(crate) fn boundary<R>(on_panic: R, body: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r,
        Err(_) => {
            fail(&NetError::new(EPANIC, "internal error: a panic was caught at the C boundary"));
            on_panic
        }
    }
}

/// Turns a core result into a C return value, recording failures.
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
    fn header_codes_match_the_core() {
        assert_eq!(BUN_TCP_EINVAL, error::EINVAL);
        assert_eq!(BUN_TCP_ECLOSED, error::ECLOSED);
        assert_eq!(BUN_TCP_EWRONGTHREAD, error::EWRONGTHREAD);
        assert_eq!(BUN_TCP_EENDED, error::EENDED);
        assert_eq!(BUN_TCP_ENOTFOUND, error::ENOTFOUND);
        assert_eq!(BUN_TCP_EBUSY, error::EBUSY);
        assert_eq!(BUN_TCP_EPANIC, error::EPANIC);
        assert_eq!(BUN_TCP_ENOTSUP, error::ENOTSUP);
        assert_eq!(BUN_TCP_EINVALHOST, error::EINVALHOST);
        assert_eq!(BUN_TCP_ETLS, error::ETLS);
        assert_eq!(BUN_TCP_ETLS_BAD_PEM, error::ETLS_BAD_PEM);
        assert_eq!(BUN_TCP_ETLS_KEY_MISMATCH, error::ETLS_KEY_MISMATCH);
        assert_eq!(BUN_TCP_ETLS_KEY_ENCRYPTED, error::ETLS_KEY_ENCRYPTED);
        assert_eq!(BUN_TCP_ETLS_ALERT, error::ETLS_ALERT);
        assert_eq!(BUN_TCP_ETLS_PROTOCOL, error::ETLS_PROTOCOL);
        assert_eq!(BUN_TCP_ECERT_UNTRUSTED, error::ECERT_UNTRUSTED);
        assert_eq!(BUN_TCP_ECERT_SELF_SIGNED, error::ECERT_SELF_SIGNED);
        assert_eq!(BUN_TCP_ECERT_SELF_SIGNED_IN_CHAIN, error::ECERT_SELF_SIGNED_IN_CHAIN);
        assert_eq!(BUN_TCP_ECERT_EXPIRED, error::ECERT_EXPIRED);
        assert_eq!(BUN_TCP_ECERT_NOT_YET_VALID, error::ECERT_NOT_YET_VALID);
        assert_eq!(BUN_TCP_ECERT_ALTNAME, error::ECERT_ALTNAME);
        assert_eq!(BUN_TCP_ECERT_SIGNATURE, error::ECERT_SIGNATURE);
        assert_eq!(BUN_TCP_ECERT_REVOKED, error::ECERT_REVOKED);
        assert_eq!(BUN_TCP_ECERT_MISSING, error::ECERT_MISSING);
        assert_eq!(BUN_TCP_ECERT_REJECTED, error::ECERT_REJECTED);
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
        let r = boundary(-1, || -> i32 { panic!("boom") });
        assert_eq!(r, -1);
        let msg = unsafe { std::ffi::CStr::from_ptr(last_error_ptr()) };
        assert!(msg.to_str().unwrap().contains("panic"));
    }
}
