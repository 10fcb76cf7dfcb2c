// An unref'd listener does not keep the process alive, but a connection to it does: the client
// exchanges one message and closes; the process then ends although the listener was never stopped.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write("pong")); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); },
  },
});
server.unref();
server.unref(); // idempotent
say("server listener unref'd");

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("ping")); },
    data(s, d) { sayData("client", d); s.close(); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
