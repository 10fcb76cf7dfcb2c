// Zero-length writes on an open socket return 0 and send nothing; then the client closes.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open");
      sayRc("client", "write empty string", s.write(""));
      sayRc("client", "write empty buffer", s.write(new Uint8Array(0)));
      sayRc("client", "write", s.write("x"));
      s.close();
    },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
