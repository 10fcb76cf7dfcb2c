// A listener whose handlers have drain but no data is accepted; bytes it receives are dropped
// silently; its open, end and close handlers still run.
import { say, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    drain(s) { say("server drain"); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("nobody reads this")); s.close(); },
    data() {},
    close(s, e) { sayErr("client", "close", e); },
  },
});
