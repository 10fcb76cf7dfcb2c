// A backpressured half-open socket whose peer resets (half_open_peer_reset, with backpressure).
// The server (allowHalfOpen) floods 4 MiB chunks from open and drain; the client (allowHalfOpen)
// pauses and shuts its write side (FIN). When the server's end handler runs, the client
// terminates (RST). The server must see end once and then close, not spin.
import { say, sayErr, init, connect } from "../../lib/conf.js";
init();

const big = new Uint8Array(4 * 1024 * 1024).fill(0x78);
let client;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  allowHalfOpen: true,
  socket: {
    open(s) { say("server open"); say("server first write short:", String(s.write(big) < big.length)); },
    drain(s) { s.write(big); },
    data() {},
    end(s) { say("server end"); client.terminate(); },
    error(s, e) { sayErr("server", "error", e); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  allowHalfOpen: true,
  socket: {
    open(s) { say("client open"); client = s; s.pause(); s.shutdown(); },
    data() {},
    end(s) { say("client end"); },
    error(s, e) { sayErr("client", "error", e); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
