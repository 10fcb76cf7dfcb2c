//! The bun_tcp Zig package. Another Zig project adds it as a dependency (build.zig.zon:
//! `.bun_tcp = .{ .path = "path/to/bun_tcp/bindings/zig" }`) and imports the module:
//!
//!   const bun_tcp = b.dependency("bun_tcp", .{ .target = target, .optimize = optimize });
//!   exe.root_module.addImport("bun_tcp", bun_tcp.module("bun_tcp"));
//!
//! The module links libbun_tcp.a, which this build.zig builds with `cargo build --release --lib`
//! from the repository this package sits in (bindings/zig: the Rust crate is two levels up), and
//! @cImports include/bun_tcp.h. Options: -Dcargo=PATH (default: cargo on PATH), or
//! -Dstatic-lib=PATH and -Dinclude-dir=DIR to use a library built elsewhere (CMake's, in ctest).
//!
//!   zig build test        runs echo_test.zig (a server and a client on loopback) and api_test.zig
//!                         (timers, post, tracing, metrics, listener and socket queries) with the
//!                         module.
const std = @import("std");

/// What a Rust staticlib needs from the system on Linux/glibc (CMake's BUN_TCP_NATIVE_LIBS).
const native_libs = [_][]const u8{ "gcc_s", "util", "rt", "pthread", "m", "dl" };

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const include_dir = b.option([]const u8, "include-dir", "directory of bun_tcp.h") orelse
        b.pathFromRoot("../../include");
    const static_lib: std.Build.LazyPath = if (b.option([]const u8, "static-lib", "libbun_tcp.a to link")) |path|
        .{ .cwd_relative = path }
    else
        cargoBuild(b, b.option([]const u8, "cargo", "the cargo executable") orelse "cargo");

    const module = b.addModule("bun_tcp", .{
        .root_source_file = b.path("bun_tcp.zig"),
        .target = target,
        .optimize = optimize,
        // The Rust library was compiled against glibc: link libc (glibc for a native target).
        .link_libc = true,
    });
    module.addIncludePath(.{ .cwd_relative = include_dir });
    module.addObjectFile(static_lib);
    for (native_libs) |name| module.linkSystemLibrary(name, .{});

    const test_step = b.step("test", "Run the tests (echo_test.zig, api_test.zig) against libbun_tcp.a");
    for ([_][]const u8{ "echo_test", "api_test" }) |name| {
        const test_module = b.createModule(.{
            .root_source_file = b.path(b.fmt("{s}.zig", .{name})),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "bun_tcp", .module = module }},
        });
        const tests = b.addTest(.{ .name = name, .root_module = test_module });
        const run_tests = b.addRunArtifact(tests);
        run_tests.has_side_effects = true; // sockets: run every time, never from the cache
        test_step.dependOn(&run_tests.step);
    }
}

/// `cargo build --release --lib` in the crate two levels up, then a copy of libbun_tcp.a into the
/// Zig cache (a LazyPath the module can depend on). It runs at every build: cargo's own
/// up-to-date check makes that a no-op when nothing changed.
fn cargoBuild(b: *std.Build, cargo: []const u8) std.Build.LazyPath {
    const crate = b.pathFromRoot("../..");
    const run = b.addSystemCommand(&.{
        "sh", "-c",
        \\set -e
        \\"$1" build --release --lib --quiet --manifest-path "$2/Cargo.toml"
        \\cp "${CARGO_TARGET_DIR:-$2/target}/release/libbun_tcp.a" "$3"
        , "cargo-build", cargo, crate,
    });
    run.has_side_effects = true;
    return run.addOutputFileArg("libbun_tcp.a");
}
