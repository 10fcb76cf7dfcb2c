// A half-open socket whose peer resets. The server (allowHalfOpen) greets in open; the client
// (allowHalfOpen) pauses and shuts its write side (FIN). When the server's end handler runs, the
// client terminates (RST). The server writes nothing more: it must still notice the reset and
// close.
import { say, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

let client;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  allowHalfOpen: true,
  socket: {
    open(s) { say("server open"); sayRc("server", "write", s.write("hello")); },
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
