// allowHalfOpen: true on the server. The client writes "ping" and half-closes (shutdown: FIN);
// the server's end handler fires and the socket stays writable: it sends two more chunks, the
// second with end().
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
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
      say("server readyState", stateName(s.readyState));
      sayRc("server", "write", s.write("still "));
      sayRc("server", "end", s.end("writable"));
    },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("ping")); s.shutdown(); },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
