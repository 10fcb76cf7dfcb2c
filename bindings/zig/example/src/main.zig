//! bun_tcp from a Zig project: an echo server and its client on loopback, and a repeating timer
//! that stops itself after 3 ticks, all on one loop. Prints what happened and exits 0 only if
//! the client got its bytes back, both sockets closed and the timer ticked exactly 3 times.
const std = @import("std");
const bun_tcp = @import("bun_tcp");
const c = bun_tcp.c;

const message = "hello from zig";

const State = struct {
    echoed: [64]u8 = undefined,
    echoed_len: usize = 0,
    closes: u32 = 0,
    ticks: u32 = 0,
};
var state = State{};

fn serverData(s: c.bun_tcp_socket, _: ?*anyopaque, bytes: [*c]const u8, len: usize) callconv(.c) void {
    _ = c.bun_tcp_socket_write_all(s, bytes, len);
}
fn clientOpen(s: c.bun_tcp_socket, _: ?*anyopaque) callconv(.c) void {
    _ = c.bun_tcp_socket_write_all(s, message, message.len);
}
fn clientData(s: c.bun_tcp_socket, _: ?*anyopaque, bytes: [*c]const u8, len: usize) callconv(.c) void {
    const n = @min(len, state.echoed.len - state.echoed_len);
    @memcpy(state.echoed[state.echoed_len..][0..n], bytes[0..n]);
    state.echoed_len += n;
    if (state.echoed_len == message.len) _ = c.bun_tcp_socket_end(s, null, 0);
}
fn onClose(_: c.bun_tcp_socket, _: ?*anyopaque, _: [*c]const c.bun_tcp_error) callconv(.c) void {
    state.closes += 1;
}
fn onTick(timer: c.bun_tcp_timer, _: ?*anyopaque) callconv(.c) void {
    state.ticks += 1;
    if (state.ticks == 3) _ = c.bun_tcp_timer_stop(timer);
}

pub fn main() !void {
    const loop = c.bun_tcp_loop_new() orelse return error.LoopFailed;
    defer c.bun_tcp_loop_free(loop);

    const server = c.bun_tcp_handlers{ .data = serverData, .close = onClose };
    var listen_opts = std.mem.zeroes(c.bun_tcp_listen_options);
    listen_opts.hostname = "127.0.0.1";
    var listener: c.bun_tcp_listener = undefined;
    _ = try bun_tcp.check(c.bun_tcp_listen(loop, &listen_opts, &server, &listener));

    const client = c.bun_tcp_handlers{ .open = clientOpen, .data = clientData, .close = onClose };
    var connect_opts = std.mem.zeroes(c.bun_tcp_connect_options);
    connect_opts.hostname = "127.0.0.1";
    connect_opts.port = c.bun_tcp_listener_port(listener);
    var socket: c.bun_tcp_socket = undefined;
    _ = try bun_tcp.check(c.bun_tcp_connect(loop, &connect_opts, &client, &socket));

    var timer: c.bun_tcp_timer = undefined;
    _ = try bun_tcp.check(c.bun_tcp_timer_start(loop, 1, 1, onTick, null, &timer));

    var polls: u32 = 0;
    while ((state.closes < 2 or state.ticks < 3) and polls < 1000) : (polls += 1) {
        _ = try bun_tcp.check(c.bun_tcp_poll(loop, 100));
    }
    _ = c.bun_tcp_listener_stop(listener, true);

    const echoed = state.echoed[0..state.echoed_len];
    std.debug.print("bun_tcp {s}: echoed \"{s}\", {d} closes, {d} timer ticks\n", .{ bun_tcp.version(), echoed, state.closes, state.ticks });
    if (!std.mem.eql(u8, echoed, message) or state.closes != 2 or state.ticks != 3) return error.Mismatch;
}
