// socket.reload() on a client socket from inside its data handler: its next events go to the
// new handlers (v2's data, end and close).
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); s.write("one"); },
    data(s, d) { sayData("server", d); s.end("three"); },
    close(s, e) { sayErr("server", "close", e); server.stop(); },
  },
});

const v2 = {
  open(s) { say("client v2 open"); },
  data(s, d) { sayData("client v2", d); },
  end(s) { say("client v2 end"); },
  close(s, e) { sayErr("client v2", "close", e); },
};
connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client v1 open"); },
    data(s, d) {
      sayData("client v1", d);
      s.reload({ socket: v2 });
      say("client reloaded");
      s.write("two");
    },
    end(s) { say("client v1 end"); },
    close(s, e) { sayErr("client v1", "close", e); },
  },
});
