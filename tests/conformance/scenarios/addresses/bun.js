// Addresses and ports in open: the server sees the client's address, the client's remote port is
// the listener's port, and the two ends' local/remote ports match each other.
import { say, sayErr, init, connect } from "../../lib/conf.js";
init();

let serverSide;
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      serverSide = { local: s.localPort, remote: s.remotePort };
      say("server open remoteAddress", s.remoteAddress);
      say("server localPort is the listener port:", String(s.localPort === server.port));
    },
    data() {},
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) {
      say("client open remoteAddress", s.remoteAddress);
      say("client remotePort is the listener port:", String(s.remotePort === server.port));
      say("client localPort is the server's remotePort:", String(s.localPort === serverSide?.remote));
      s.close();
    },
    data() {},
    close(s, e) { sayErr("client", "close", e); },
  },
});
