// The server closes inside its first data call; nothing more is delivered to it, and its user
// data stays readable in close. The client wrote "first" and keeps writing "second" when it gets
// the server's "ack".
import { say, sayData, sayErr, sayRc, init, connect } from "../../lib/conf.js";
init();

const server = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { say("server open"); s.data = { name: "accepted#1" }; },
    data(s, d) {
      sayData("server", d);
      sayRc("server", "write", s.write("ack"));
      s.close();
      say("server close() returned");
    },
    end(s) { say("server end"); },
    close(s, e) { sayErr("server", "close", e); say("server data in close", s.data.name); server.stop(); },
  },
});

connect({
  hostname: "127.0.0.1",
  port: server.port,
  socket: {
    open(s) { say("client open"); sayRc("client", "write", s.write("first")); },
    data(s, d) { sayData("client", d); sayRc("client", "write", s.write("second")); },
    end(s) { say("client end"); },
    close(s, e) { sayErr("client", "close", e); },
  },
});
