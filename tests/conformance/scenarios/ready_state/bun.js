// readyState through a socket's life: open in open and in data, still open inside end after the
// peer's FIN (allowHalfOpen), after our own shutdown() (FIN sent), and closed inside close.
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  allowHalfOpen: true,
  socket: {
    open(s) { say("server open", stateName(s.readyState)); },
    data(s, d) { sayData("server", d); say("server in data", stateName(s.readyState)); },
    end(s) { say("server end", stateName(s.readyState)); s.close(); },
    close(s, e) { sayErr("server", "close", e); say("server in close", stateName(s.readyState)); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open", stateName(s.readyState));
      s.write("x");
      s.shutdown();
      say("client after shutdown", stateName(s.readyState));
    },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); say("client in close", stateName(s.readyState)); },
  },
});
