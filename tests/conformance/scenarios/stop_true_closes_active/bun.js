// stop(true) inside the server's data handler: the accepted socket is closed (its close handler
// runs inside stop), the client sees end and close.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); server.stop(true); say("server stop(true) returned"); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("hello")); },
    data(s, d) { sayData("client", d); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
