// listener.reload() from inside a data handler, with the socket live: from the next event on, the
// listener and its accepted socket use the new handlers (the reply prefix changes from v1 to v2,
// and v2's end and close handlers run).
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const v2 = {
  open(s) { say("server v2 open"); },
  data(s, d) { sayData("server", d); sayRc("server v2", "write", s.write("v2:" + d)); },
  end(s) { say("server v2 end"); },
  close(s, e) { sayErr("server v2", "close", e); server.stop(); },
};
const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server v1 open"); },
    data(s, d) {
      sayData("server", d);
      sayRc("server v1", "write", s.write("v1:" + d));
      server.reload({ socket: v2 });
      say("server reloaded");
    },
    end(s) { say("server v1 end"); },
    close(s, e) { sayErr("server v1", "close", e); server.stop(); },
  },
});

let n = 0;
connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); s.write("a"); },
    data(s, d) {
      sayData("client", d);
      if (++n === 1) s.write("b");
      else s.end();
    },
    close(s, e) { sayErr("client", "close", e); },
  },
});
