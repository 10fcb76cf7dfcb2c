//! The Zig host of bun_tcp: `zig build test` compiles echo_test.zig, which @cImports bun_tcp.h,
//! links it with libbun_tcp.a (the Rust static library) and runs it.
//!
//!   zig build test -Dstatic-lib=/path/libbun_tcp.a -Dinclude-dir=/path/include
const std = @import("std");

/// What a Rust staticlib needs from the system on Linux/glibc (CMake's BUN_TCP_NATIVE_LIBS).
const native_libs = [_][]const u8{ "gcc_s", "util", "rt", "pthread", "m", "dl" };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const static_lib = b.option([]const u8, "static-lib", "libbun_tcp.a to link") orelse
        b.pathFromRoot("../../target/release/libbun_tcp.a");
    const include_dir = b.option([]const u8, "include-dir", "directory of bun_tcp.h") orelse
        b.pathFromRoot("../../include");

    const module = b.createModule(.{
        .root_source_file = b.path("echo_test.zig"),
        .target = target,
        .optimize = optimize,
        // The Rust library was compiled against glibc: link libc (glibc for a native target).
        .link_libc = true,
    });
    module.addIncludePath(.{ .cwd_relative = include_dir });
    module.addObjectFile(.{ .cwd_relative = static_lib });
    for (native_libs) |name| module.linkSystemLibrary(name, .{});

    const tests = b.addTest(.{ .name = "echo_test", .root_module = module });
    const run_tests = b.addRunArtifact(tests);
    run_tests.has_side_effects = true; // sockets: run every time, never from the cache
    b.step("test", "Run the echo test against libbun_tcp.a").dependOn(&run_tests.step);
}
