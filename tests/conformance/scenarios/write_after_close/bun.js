// The client writes "hi" and closes in open; then write and end are refused. The close handler
// runs inside close() (before it returns).
import { say, sayData, sayErr, sayRc, stateName, init, connect } from "../../lib/conf.js";
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
      sayRc("client", "write", s.write("hi"));
      s.close();
      say("client close() returned");
      say("client readyState", stateName(s.readyState));
      sayRc("client", "write", s.write("more"));
      sayRc("client", "end", s.end("bye"));
    },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
