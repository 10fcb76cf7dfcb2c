// Ten rounds of ping-pong: the client sends "ping N", the server echoes it, the client sends the
// next one from its data handler; after round 10 the client closes.
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); },
    data(s, d) { sayData("server", d); sayRc("server", "write", s.write(d)); },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

let round = 0;
connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); round = 1; sayRc("client", "write", s.write("ping 1;")); },
    data(s, d) {
      say("client got", JSON.stringify(d.toString()));
      if (round++ < 10) sayRc("client", "write", s.write(`ping ${round};`));
      else s.close();
    },
    close(s, e) { sayErr("client", "close", e); },
  },
});
