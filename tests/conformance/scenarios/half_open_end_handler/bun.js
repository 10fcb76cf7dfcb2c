// The client writes "ping" and half-closes (shutdown: FIN). The server has an end handler and
// allowHalfOpen false (the default): end fires, a write from it still goes out, then the socket
// is ended for it.
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); },
    end(s) {
      say("server end");
      sayRc("server", "write", s.write("late"));
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
