//! Error codes, their names and messages.
//!
//! A code is either a negative errno (`-ECONNREFUSED`) or one of the library's own codes below
//! `-10000`. Names follow Bun/Node (`"ECONNREFUSED"`, `"ENOTFOUND"`), so a C host can print what a
//! JavaScript user would see.
//!
//! Every library code is written once, in `error_table.rs`: the macros below turn its rows into
//! the constants, `LIBRARY_CODES`, `err_name` and `strerror_string`, and build.rs turns the same
//! rows into the header's `#define BUN_TCP_X (-N)` lines.

use std::ffi::CStr;
use std::io;

/// One code of the error table, for code that walks them all (tests, bindings, tools).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode {
    /// The value: 0, `-EINVAL`, or a library code below -10000.
    pub code: i32,
    /// The macro name in `bun_tcp.h`: `"BUN_TCP_ECLOSED"`.
    pub c_name: &'static str,
    /// What `bun_tcp_err_name` returns: `"ECLOSED"`, `"DEPTH_ZERO_SELF_SIGNED_CERT"`.
    pub name: &'static CStr,
    /// What `bun_tcp_strerror` returns.
    pub message: &'static str,
}

/// A `&'static CStr` from a string literal, checked at compile time (a NUL inside the literal is
/// a build error, not a runtime fallback).
macro_rules! c_literal {
    ($($text:tt)+) => {
        match CStr::from_bytes_with_nul(concat!($($text)+, "\0").as_bytes()) {
            Ok(s) => s,
            Err(_) => panic!("an error name with a NUL inside"),
        }
    };
}

/// Generates, from the rows of `error_table.rs`: one constant per code, `LIBRARY_CODES`, and the
/// lookups behind `err_name` and `strerror_string`.
macro_rules! library_codes {
    ($($(#[doc = $doc:literal])* $rust_name:ident = $value:literal => $c_name:ident, $name:literal, $message:literal;)*) => {
        $($(#[doc = $doc])* pub const $rust_name: i32 = $value;)*

        /// Every code of the error table, in table order.
        pub const LIBRARY_CODES: &[ErrorCode] = &[$(ErrorCode {
            code: $value,
            c_name: stringify!($c_name),
            name: c_literal!($name),
            message: $message,
        }),*];

        fn library_code_name(code: i32) -> Option<&'static CStr> {
            match code {
                $($rust_name => Some(c_literal!($name)),)*
                _ => None,
            }
        }

        fn library_code_message(code: i32) -> Option<&'static str> {
            match code {
                $($rust_name => Some($message),)*
                _ => None,
            }
        }
    };
}

/// Generates `errno_name` from the errno list of `error_table.rs` (values from libc).
macro_rules! errno_names {
    ($($errno:ident),* $(,)?) => {
        fn errno_name(errno: i32) -> Option<&'static CStr> {
            match errno {
                $(libc::$errno => Some(c_literal!(stringify!($errno))),)*
                _ => None,
            }
        }
    };
}

include!("error_table.rs");

// The table writes EINVAL's value as a literal (the header needs the number); it must be libc's.
const _: () = assert!(EINVAL == -libc::EINVAL);

/// An error as the handlers and the last-error slot see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetError {
    /// Negative errno or library code.
    pub code: i32,
    /// Static name, e.g. `ECONNREFUSED`.
    pub name: &'static CStr,
    /// The system call that failed, if any.
    pub syscall: Option<&'static CStr>,
    /// Human-readable detail.
    pub message: String,
}

impl NetError {
    /// An error with a library or errno code and a message.
    pub fn new(code: i32, message: impl Into<String>) -> NetError {
        NetError { code, name: err_name(code), syscall: None, message: message.into() }
    }

    /// An error raised by `syscall`, with the message built from the code and `detail`.
    pub fn sys(code: i32, syscall: &'static CStr, detail: &str) -> NetError {
        let syscall_name = syscall.to_str().unwrap_or("?");
        let mut message = format!("{} {}", syscall_name, err_name(code).to_str().unwrap_or("?"));
        if !detail.is_empty() {
            message.push(' ');
            message.push_str(detail);
        }
        message.push_str(": ");
        message.push_str(&strerror_string(code));
        NetError { code, name: err_name(code), syscall: Some(syscall), message }
    }

    /// An `io::Error` from `syscall`.
    pub fn io(e: &io::Error, syscall: &'static CStr, detail: &str) -> NetError {
        NetError::sys(io_code(e), syscall, detail)
    }

    pub(crate) fn invalid(message: impl Into<String>) -> NetError {
        NetError::new(EINVAL, message)
    }

    pub(crate) fn closed() -> NetError {
        NetError::new(ECLOSED, "the socket is closed or the handle is stale")
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NetError {}

/// The negative errno of an `io::Error` (`-EIO` when it carries none).
pub fn io_code(e: &io::Error) -> i32 {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

/// The static name of a code: `"ECONNREFUSED"`, `"ENOTFOUND"`, ... or `"UNKNOWN"`.
pub fn err_name(code: i32) -> &'static CStr {
    if let Some(name) = library_code_name(code) {
        return name;
    }
    match code {
        c if c < 0 && c > -4096 => errno_name(-c).unwrap_or(c"UNKNOWN"),
        _ => c"UNKNOWN",
    }
}

/// A description of a code, as an owned string.
pub fn strerror_string(code: i32) -> String {
    if let Some(message) = library_code_message(code) {
        return message.into();
    }
    match code {
        c if c < 0 && c > -4096 => {
            let text = io::Error::from_raw_os_error(-c).to_string();
            // std appends " (os error N)"; the name already says which errno it is.
            match text.rfind(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
        _ => "unknown error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_errno_and_library_codes() {
        assert_eq!(err_name(-libc::ECONNREFUSED), c"ECONNREFUSED");
        assert_eq!(err_name(-libc::EADDRINUSE), c"EADDRINUSE");
        assert_eq!(err_name(ENOTFOUND), c"ENOTFOUND");
        assert_eq!(err_name(EINVAL), c"EINVAL");
        assert_eq!(err_name(-4000), c"UNKNOWN");
        assert_eq!(err_name(12), c"UNKNOWN");
    }

    #[test]
    fn the_error_table_is_consistent() {
        for (i, code) in LIBRARY_CODES.iter().enumerate() {
            assert_eq!(err_name(code.code), code.name, "{}", code.c_name);
            assert_eq!(strerror_string(code.code), code.message, "{}", code.c_name);
            assert_ne!(code.name, c"UNKNOWN", "{}", code.c_name);
            assert!(!code.message.is_empty() && code.message != "unknown error", "{}", code.c_name);
            let rust_name = code.c_name.strip_prefix("BUN_TCP_").expect("C names start with BUN_TCP_");
            assert!(code.code == OK || code.code == EINVAL || code.code < -10000, "{rust_name} is out of range");
            for other in &LIBRARY_CODES[..i] {
                assert_ne!(other.code, code.code, "{} and {} share a value", other.c_name, code.c_name);
                assert_ne!(other.c_name, code.c_name);
            }
        }
        assert_eq!(LIBRARY_CODES.len(), 26);
    }

    /// EINVAL is both a table row and an errno: the table must say what the errno path says.
    #[test]
    fn errno_rows_agree_with_the_os() {
        assert_eq!(err_name(EINVAL), errno_name(libc::EINVAL).unwrap());
        let os_text = io::Error::from_raw_os_error(libc::EINVAL).to_string();
        assert_eq!(format!("{} (os error {})", strerror_string(EINVAL), libc::EINVAL), os_text);
    }

    #[test]
    fn messages_name_the_syscall_and_reason() {
        let e = NetError::sys(-libc::ECONNREFUSED, c"connect", "127.0.0.1:1");
        assert_eq!(e.message, "connect ECONNREFUSED 127.0.0.1:1: Connection refused");
        assert_eq!(e.syscall, Some(c"connect"));
    }
}
