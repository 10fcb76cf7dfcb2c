// allowHalfOpen server: the client writes "x" and shuts its write side (FIN). In its end handler
// the server shuts its own write side too: both directions are now shut. When does close run:
// inside shutdown(), or later from the loop? Can the handler still write?
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  allowHalfOpen: true,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); },
    end(s) {
      say("server end");
      s.shutdown();
      say("server shutdown() returned");
      sayRc("server", "write after shutdown", s.write("x"));
      say("server end handler returns");
    },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); s.write("x"); s.shutdown(); },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
