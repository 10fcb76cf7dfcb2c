// Three writes and an end with data, back to back in open: the FIN behind the data never
// truncates it; the server sees every byte, then end, then close.
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
      sayRc("client", "write", s.write("one,"));
      sayRc("client", "write", s.write("two,"));
      sayRc("client", "write", s.write(Buffer.from([0, 1, 2, 255])));
      sayRc("client", "end", s.end(",three"));
    },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
