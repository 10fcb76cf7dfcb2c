// The client writes "hi", shuts its write side down (FIN) and writes again: refused. The server
// (no end handler) closes on the FIN.
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); },
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
      s.shutdown();
      sayRc("client", "write after shutdown", s.write("more"));
    },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
