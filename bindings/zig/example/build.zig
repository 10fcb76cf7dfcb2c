//! A Zig project that uses bun_tcp as a package: build.zig.zon names the dependency (by path),
//! this file imports its module. `zig build run` builds libbun_tcp.a through cargo (the
//! package's build.zig does that), then runs src/main.zig: an echo and a timer on one loop.
const std = @import("std");

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const bun_tcp = b.dependency("bun_tcp", .{
        .target = target,
        .optimize = optimize,
        // Only needed when cargo is not on PATH (ctest passes CMake's CARGO_EXECUTABLE).
        .cargo = b.option([]const u8, "cargo", "the cargo executable") orelse "cargo",
    });

    const exe = b.addExecutable(.{
        .name = "echo_timer",
        .root_module = b.createModule(.{
            .root_source_file = b.path("src/main.zig"),
            .target = target,
            .optimize = optimize,
            .imports = &.{.{ .name = "bun_tcp", .module = bun_tcp.module("bun_tcp") }},
        }),
    });
    b.installArtifact(exe);

    const run = b.addRunArtifact(exe);
    run.has_side_effects = true; // sockets: run every time, never from the cache
    b.step("run", "Run the echo + timer example").dependOn(&run.step);
}
