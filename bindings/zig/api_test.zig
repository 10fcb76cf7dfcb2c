//! The functions new in this release, from Zig through the package's module: timers, post from
//! another thread, metrics and tracing, the listener's address and family, socket families,
//! write limit and keep-alive, and the error codes of stale handles.
const std = @import("std");
const bun_tcp = @import("bun_tcp");
const c = bun_tcp.c;

const Counts = struct {
    ticks: u32 = 0,
    posted: u32 = 0,
    traced: u32 = 0,
    opens: u32 = 0,
    closes: u32 = 0,
    client: c.bun_tcp_socket = .{ .id = 0 },
};

fn onTick(timer: c.bun_tcp_timer, data: ?*anyopaque) callconv(.c) void {
    const seen: *Counts = @ptrCast(@alignCast(data.?));
    seen.ticks += 1;
    if (seen.ticks == 3) _ = c.bun_tcp_timer_stop(timer);
}
fn onPosted(arg: ?*anyopaque) callconv(.c) void {
    const seen: *Counts = @ptrCast(@alignCast(arg.?));
    seen.posted += 1;
}
fn onTrace(_: [*c]const c.bun_tcp_trace_event, data: ?*anyopaque) callconv(.c) void {
    const seen: *Counts = @ptrCast(@alignCast(data.?));
    seen.traced += 1;
}
fn onOpen(s: c.bun_tcp_socket, data: ?*anyopaque) callconv(.c) void {
    const seen: *Counts = @ptrCast(@alignCast(data.?));
    seen.opens += 1;
    if (c.bun_tcp_socket_listener(s).id == 0) seen.client = s;
}
fn onData(_: c.bun_tcp_socket, _: ?*anyopaque, _: [*c]const u8, _: usize) callconv(.c) void {}
fn onClose(_: c.bun_tcp_socket, data: ?*anyopaque, _: [*c]const c.bun_tcp_error) callconv(.c) void {
    const seen: *Counts = @ptrCast(@alignCast(data.?));
    seen.closes += 1;
}

fn pollUntil(loop: *c.bun_tcp_loop, done: *const fn () bool) !void {
    var polls: u32 = 0;
    while (!done()) : (polls += 1) {
        if (polls > 1000) return error.Timeout;
        _ = try bun_tcp.check(c.bun_tcp_poll(loop, 100));
    }
}

var counts = Counts{};

test "timers, post from a thread, tracing and metrics, listener and socket queries" {
    const loop = c.bun_tcp_loop_new() orelse return error.LoopFailed;
    defer c.bun_tcp_loop_free(loop);
    counts = .{};

    // A repeating timer that stops itself after 3 ticks, and a post from another thread.
    var timer: c.bun_tcp_timer = undefined;
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_timer_start(loop, 1, 1, onTick, &counts, &timer));
    const poster = try std.Thread.spawn(.{}, struct {
        fn run(l: *c.bun_tcp_loop) void {
            _ = c.bun_tcp_loop_post(l, onPosted, &counts);
        }
    }.run, .{loop});
    poster.join();
    try pollUntil(loop, struct {
        fn done() bool {
            return counts.ticks == 3 and counts.posted == 1;
        }
    }.done);
    try std.testing.expectEqual(@as(i32, c.BUN_TCP_ECLOSED), c.bun_tcp_timer_ref(timer)); // stopped: stale

    // A listener and a client, traced.
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_loop_set_trace(loop, onTrace, &counts));
    const handlers = c.bun_tcp_handlers{ .open = onOpen, .data = onData, .close = onClose };
    var lopts = std.mem.zeroes(c.bun_tcp_listen_options);
    lopts.hostname = "127.0.0.1";
    lopts.data = &counts;
    var listener: c.bun_tcp_listener = undefined;
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_listen(loop, &lopts, &handlers, &listener));
    var address: [64]u8 = undefined;
    const len = try bun_tcp.check(c.bun_tcp_listener_address(listener, &address, address.len));
    try std.testing.expectEqualStrings("127.0.0.1", address[0..@intCast(len)]);
    try std.testing.expectEqual(@as(i32, std.posix.AF.INET), c.bun_tcp_listener_family(listener));

    var copts = std.mem.zeroes(c.bun_tcp_connect_options);
    copts.hostname = "127.0.0.1";
    copts.port = c.bun_tcp_listener_port(listener);
    copts.data = &counts;
    var sock: c.bun_tcp_socket = undefined;
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_connect(loop, &copts, &handlers, &sock));
    try pollUntil(loop, struct {
        fn done() bool {
            return counts.opens == 2;
        }
    }.done);
    try std.testing.expectEqual(sock.id, counts.client.id);
    try std.testing.expectEqual(@as(i32, std.posix.AF.INET), c.bun_tcp_socket_remote_family(sock));
    try std.testing.expectEqual(@as(i32, std.posix.AF.INET), c.bun_tcp_socket_local_family(sock));
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_socket_set_write_limit(sock, 1 << 20));
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_socket_set_keep_alive_ex(sock, true, 60, 10, 5));
    try std.testing.expectEqual(@as(i32, c.BUN_TCP_EINVAL), c.bun_tcp_socket_set_keep_alive_ex(sock, true, 0, 10, 5));
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_socket_close(sock));
    try pollUntil(loop, struct {
        fn done() bool {
            return counts.closes == 2;
        }
    }.done);
    try std.testing.expectEqual(@as(i32, c.BUN_TCP_ECLOSED), c.bun_tcp_socket_set_write_limit(sock, 1));
    try std.testing.expectEqualStrings("ECLOSED", bun_tcp.errName(c.BUN_TCP_ECLOSED));

    var metrics: c.bun_tcp_metrics = undefined;
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_loop_metrics(loop, &metrics));
    try std.testing.expectEqual(@as(u64, 1), metrics.accepts);
    try std.testing.expectEqual(@as(u64, 1), metrics.connects);
    try std.testing.expectEqual(@as(u64, 2), metrics.closes);
    try std.testing.expectEqual(@as(u32, 4), counts.traced); // open, open, close, close
    _ = c.bun_tcp_listener_stop(listener, true);
}
