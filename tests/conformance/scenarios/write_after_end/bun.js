// The server ends in open and then tries to write and end again: both refused.
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      say("server open");
      sayRc("server", "end", s.end("bye"));
      sayRc("server", "write", s.write("more"));
      sayRc("server", "end again", s.end("again"));
    },
    data(s, d) { sayData("server", d); },
    close(s, e) {
      sayErr("server", "close", e);
      sayRc("server", "write in close", s.write("x"));
      server.stop();
    },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
