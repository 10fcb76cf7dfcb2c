// A unix-domain socket: listen on a path, connect, echo one message, the client closes, the
// server stops from its close handler; the socket file exists while listening and not after stop.
import { existsSync } from "node:fs";
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const path = process.env.CONF_TMP + "/echo.sock";
const server = Bun.listen({
  unix: path,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write(d)); },
    end(s) { say("server end"); },
    close(s, e) {
      sayErr("server", "close", e);
      server.stop();
      say("server file exists after stop:", String(existsSync(path)));
    },
  },
});
say("server file exists while listening:", String(existsSync(path)));

connect({
  unix: path,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("over unix")); },
    data(s, d) { sayData("client", d); s.close(); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
