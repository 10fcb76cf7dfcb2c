// The client writes "hi" and terminates in open (RST): its close fires clean, inside terminate().
// The server sees the data and then close with ECONNRESET "read"; its error handler does not fire
// (a peer reset goes to close, not error).
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); },
    end(s) { say("server end"); },
    error(s, e) { sayErr("server", "error", e); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      sayRc("client", "write", s.write("hi"));
      s.terminate();
      say("client terminate() returned");
    },
    data(s, d) { sayData("client", d); },
    error(s, e) { sayErr("client", "error", e); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
