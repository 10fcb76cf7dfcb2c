// An idle connection: the server arms a 1-second timeout in open. The timeout handler fires once
// and does not close the socket: the server then writes "still open", and
// the client closes when it gets it.
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
init(30);

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); s.timeout(1); },
    data(s, d) { sayData("server", d); },
    end(s) { say("server end"); },
    timeout(s) {
      say("server timeout");
      say("server readyState", stateName(s.readyState));
      sayRc("server", "write", s.write("still open"));
    },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); },
    data(s, d) { sayData("client", d); s.close(); },
    end(s) { say("client end"); },
    timeout(s) { say("client timeout"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
