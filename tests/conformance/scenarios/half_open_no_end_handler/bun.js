// The client writes "ping" and half-closes (shutdown: FIN). The server has no end handler: the
// peer's FIN closes it (after its reply "pong" is sent).
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write("pong")); },
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
