// stop() (without closing active sockets) inside the server's open: the accepted socket keeps
// working with the listener's handlers (an echo), a new connect is refused, the process ends once
// the last socket closes.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); server.stop(); say("server stop() returned"); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write(d)); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); },
  },
});
const port = server.port;

connect({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("still there?")); },
    data(s, d) {
      sayData("client", d);
      connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open(s2) { say("client2 open"); s2.close(); },
          data() {},
          connectError(s2, e) { sayErr("client2", "connect_error", e); s.close(); },
        },
      });
    },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
