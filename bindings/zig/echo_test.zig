//! bun_tcp from Zig: a server and a client in one loop on loopback. The client sends 256 KiB,
//! the server echoes it, the client ends once everything came back; the test checks the bytes
//! and the order of events on both sides.
const std = @import("std");
const c = @import("bun_tcp").c; // the package's module (build.zig)

const payload_len = 256 * 1024;
const wait_limit_ms = 10_000;

/// What one side saw: its events in order, consecutive `data` events collapsed into one
/// ("open,data,end,close"), and the bytes it received.
const Peer = struct {
    trace_buf: [64]u8 = undefined,
    trace_len: usize = 0,
    received: []u8,
    received_len: usize = 0,
    close_code: i32 = 0,
    closed: bool = false,

    fn record(self: *Peer, event: []const u8) void {
        if (std.mem.eql(u8, event, "data") and std.mem.endsWith(u8, self.trace(), "data")) return;
        if (self.trace_len > 0) self.append(",");
        self.append(event);
    }

    fn append(self: *Peer, text: []const u8) void {
        const n = @min(text.len, self.trace_buf.len - self.trace_len);
        @memcpy(self.trace_buf[self.trace_len..][0..n], text[0..n]);
        self.trace_len += n;
    }

    fn trace(self: *const Peer) []const u8 {
        return self.trace_buf[0..self.trace_len];
    }

    fn keep(self: *Peer, bytes: []const u8) void {
        const n = @min(bytes.len, self.received.len - self.received_len);
        @memcpy(self.received[self.received_len..][0..n], bytes[0..n]);
        self.received_len += bytes.len; // counts an overflow too, so the length check sees it
    }
};

/// Both sides carry their Peer as the socket's user data.
fn peerOf(data: ?*anyopaque) *Peer {
    return @ptrCast(@alignCast(data.?));
}

var payload: [payload_len]u8 = undefined;

fn onOpen(_: c.bun_tcp_socket, data: ?*anyopaque) callconv(.c) void {
    peerOf(data).record("open");
}

fn onEnd(_: c.bun_tcp_socket, data: ?*anyopaque) callconv(.c) void {
    peerOf(data).record("end");
}

fn onClose(_: c.bun_tcp_socket, data: ?*anyopaque, err: [*c]const c.bun_tcp_error) callconv(.c) void {
    const peer = peerOf(data);
    peer.record("close");
    if (err != null) peer.close_code = err.*.code;
    peer.closed = true;
}

fn serverData(s: c.bun_tcp_socket, data: ?*anyopaque, bytes: [*c]const u8, len: usize) callconv(.c) void {
    const peer = peerOf(data);
    peer.record("data");
    peer.keep(bytes[0..len]);
    _ = c.bun_tcp_socket_write_all(s, bytes, len); // a failure closes the socket: close follows
}

fn clientOpen(s: c.bun_tcp_socket, data: ?*anyopaque) callconv(.c) void {
    peerOf(data).record("open");
    _ = c.bun_tcp_socket_write_all(s, &payload, payload.len);
}

fn clientData(s: c.bun_tcp_socket, data: ?*anyopaque, bytes: [*c]const u8, len: usize) callconv(.c) void {
    const peer = peerOf(data);
    peer.record("data");
    peer.keep(bytes[0..len]);
    if (peer.received_len == payload_len) _ = c.bun_tcp_socket_end(s, null, 0);
}

fn handlers(open: anytype, data: anytype) c.bun_tcp_handlers {
    var h = std.mem.zeroes(c.bun_tcp_handlers);
    h.open = open;
    h.data = data;
    h.end = &onEnd;
    h.close = &onClose;
    return h;
}

fn listenLoopback(loop: *c.bun_tcp_loop, port: u16, h: *const c.bun_tcp_handlers, data: ?*anyopaque, out: *c.bun_tcp_listener) i32 {
    var opts = std.mem.zeroes(c.bun_tcp_listen_options);
    opts.hostname = "127.0.0.1";
    opts.port = port;
    opts.data = data;
    return c.bun_tcp_listen(loop, &opts, h, out);
}

test "echo: 256 KiB round trip, events in order on both sides" {
    const allocator = std.testing.allocator;
    for (&payload, 0..) |*byte, i| byte.* = @truncate(i *% 2654435761 >> 13);
    var server = Peer{ .received = try allocator.alloc(u8, payload_len) };
    defer allocator.free(server.received);
    var client = Peer{ .received = try allocator.alloc(u8, payload_len) };
    defer allocator.free(client.received);

    const loop = c.bun_tcp_loop_new() orelse return error.LoopNew;
    defer c.bun_tcp_loop_free(loop);

    const server_handlers = handlers(&onOpen, &serverData);
    var listener: c.bun_tcp_listener = undefined;
    try std.testing.expectEqual(@as(i32, 0), listenLoopback(loop, 0, &server_handlers, &server, &listener));

    const client_handlers = handlers(&clientOpen, &clientData);
    var opts = std.mem.zeroes(c.bun_tcp_connect_options);
    opts.hostname = "127.0.0.1";
    opts.port = c.bun_tcp_listener_port(listener);
    opts.data = &client;
    var sock: c.bun_tcp_socket = undefined;
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_connect(loop, &opts, &client_handlers, &sock));
    try std.testing.expectEqual(@as(i32, c.BUN_TCP_STATE_CONNECTING), c.bun_tcp_socket_ready_state(sock));

    const deadline = std.time.milliTimestamp() + wait_limit_ms;
    while (!(server.closed and client.closed)) {
        if (std.time.milliTimestamp() > deadline) return error.Timeout;
        try std.testing.expect(c.bun_tcp_poll(loop, 50) >= 0);
    }

    try std.testing.expectEqualStrings("open,data,end,close", server.trace());
    try std.testing.expectEqualStrings("open,data,end,close", client.trace());
    try std.testing.expectEqual(@as(i32, 0), server.close_code);
    try std.testing.expectEqual(@as(i32, 0), client.close_code);
    try std.testing.expectEqual(@as(usize, payload_len), server.received_len);
    try std.testing.expectEqual(@as(usize, payload_len), client.received_len);
    try std.testing.expectEqualSlices(u8, &payload, server.received);
    try std.testing.expectEqualSlices(u8, &payload, client.received);

    // The closed socket's handle is stale: calls fail with a code instead of crashing.
    try std.testing.expectEqual(@as(i64, c.BUN_TCP_ECLOSED), c.bun_tcp_socket_write(sock, "x", 1));
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_listener_stop(listener, true));
    _ = c.bun_tcp_poll(loop, 0);
    try std.testing.expectEqual(@as(usize, 0), c.bun_tcp_loop_socket_count(loop));
    try std.testing.expectEqual(@as(usize, 0), c.bun_tcp_loop_listener_count(loop));
}

test "listen on a port in use fails with EADDRINUSE and fires nothing" {
    const loop = c.bun_tcp_loop_new() orelse return error.LoopNew;
    defer c.bun_tcp_loop_free(loop);
    var unused = Peer{ .received = &.{} };
    const h = handlers(&onOpen, &serverData);

    var first: c.bun_tcp_listener = undefined;
    try std.testing.expectEqual(@as(i32, 0), listenLoopback(loop, 0, &h, &unused, &first));
    var second: c.bun_tcp_listener = undefined;
    const rc = listenLoopback(loop, c.bun_tcp_listener_port(first), &h, &unused, &second);

    try std.testing.expectEqual(-@as(i32, @intFromEnum(std.posix.E.ADDRINUSE)), rc);
    try std.testing.expectEqualStrings("EADDRINUSE", std.mem.span(c.bun_tcp_err_name(rc)));
    try std.testing.expectEqual(@as(usize, 1), c.bun_tcp_loop_listener_count(loop));
    try std.testing.expectEqual(@as(i32, 0), c.bun_tcp_poll(loop, 0));
    try std.testing.expectEqualStrings("", unused.trace());
}
