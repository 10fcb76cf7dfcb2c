// The server greets and ends in open: end("bye"). Both sides have end handlers.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); sayRc("server", "end", s.end("bye")); },
    data(s, d) { sayData("server", d); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
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
