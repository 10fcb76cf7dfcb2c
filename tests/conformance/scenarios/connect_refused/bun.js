// Connect to a port where nothing listens (a listener's port, after stop): connectError only.
import { say, sayData, sayErr, init, connect } from "../../lib/conf.js";
init();

const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const port = probe.port;
probe.stop();

connect({
  hostname: "127.0.0.1",
  port,
  socket: {
    open(s) { say("client open"); },
    data(s, d) { sayData("client", d); },
    close(s, e) { sayErr("client", "close", e); },
    connectError(s, e) { sayErr("client", "connect_error", e); },
  },
});
