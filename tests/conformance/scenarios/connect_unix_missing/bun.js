// Connect to a unix-socket path that does not exist: connectError ENOENT "connect".
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

connect({
  unix: process.env.CONF_TMP + "/missing.sock",
  socket: {
    open(s) { say("client open"); },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
    connectError(s, e) { sayErr("client", "connect_error", e); },
  },
});
