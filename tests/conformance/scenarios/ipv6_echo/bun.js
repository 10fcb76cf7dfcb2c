// Listen on ::1 and connect to it: an echo over IPv6; both ends report the IPv6 loopback
// address.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "::1",
  port: 0,
  socket: {
    open(s) { say("server open remote", s.remoteAddress); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write(d)); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

connect({
  hostname: "::1",
  port: server.port,
  socket: {
    open(s) { say("client open remote", s.remoteAddress); sayRc("client", "write", s.write("over ipv6")); },
    data(s, d) { sayData("client", d); s.close(); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
