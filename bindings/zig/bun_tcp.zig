//! The bun_tcp Zig module: the whole C API of include/bun_tcp.h as `c` (@cImport), plus a few
//! Zig conveniences. The package's build.zig links libbun_tcp.a (built by cargo) into whatever
//! imports this module.
//!
//!   const bun_tcp = @import("bun_tcp");
//!   const loop = bun_tcp.c.bun_tcp_loop_new() orelse return error.LoopFailed;
const std = @import("std");

/// Every function, type and constant of bun_tcp.h, with its C name.
pub const c = @cImport(@cInclude("bun_tcp.h"));

/// A negative bun_tcp return code (a -errno value or a BUN_TCP_E* code).
pub const Error = error{BunTcp};

/// Turns a status or count-or-code return into an error union; the code stays readable through
/// `lastError()` (name and message of this thread's last failed call).
pub fn check(rc: anytype) Error!@TypeOf(rc) {
    if (rc < 0) return error.BunTcp;
    return rc;
}

/// The static name of a code ("ECONNREFUSED") and the last failed call's message on this thread.
pub fn errName(code: i32) []const u8 {
    return std.mem.span(c.bun_tcp_err_name(code));
}
pub fn lastErrorMessage() []const u8 {
    return std.mem.span(c.bun_tcp_last_error_message());
}

/// The library's version string ("0.1.0").
pub fn version() []const u8 {
    return std.mem.span(c.bun_tcp_version());
}
